"""Input checks shared by every mutation. Each returns the normalised value, or records a
payload error in `Errors` and returns None, so a resolver can report every problem at once."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from resolvers.errors import ErrorCode, payload_error

MAX_TEXT = 500
# Characters that show nothing: a name of zero-width spaces looks blank, and one with them inside
# escapes the duplicate scan's name keys. Dropped before any check (ZWJ and ZWNJ stay: scripts
# and emoji need them).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u180e"), None)
# Refused: C0/C1 controls (but tab and line breaks) and the bidirectional overrides and
# isolates, which make a value read differently from what it stores (U+202E spoofing).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029\x85]")


class Errors(list[dict[str, Any]]):
    def add(self, code: ErrorCode, message: str, field: str | None) -> None:
        self.append(payload_error(code, message, field))


def visible(value: str) -> str:
    """`value` in NFC without zero-width spaces: as stored (see `text`), so as searched."""
    return unicodedata.normalize("NFC", value.translate(_INVISIBLE))


def text(
    errors: Errors,
    value: str | None,
    field: str,
    required: bool = False,
    max_len: int = MAX_TEXT,
    one_line: bool = False,
) -> str | None:
    """Trimmed, in Unicode NFC (one stored form for what looks the same; NFKC would turn a
    company name's full-width brackets （） into ASCII ones), without zero-width spaces; control
    and text-direction characters refused, and line breaks too when `one_line`."""
    if value is None:
        if required:
            errors.add(ErrorCode.VALIDATION, "is required", field)
        return None
    # Printable ASCII (ids, codes, most e-mail addresses) has no invisible, control or
    # line-break character and is already NFC: only the trim applies. Imports call this for
    # every id of every row.
    plain = value.isascii() and value.isprintable()
    value = value.strip() if plain else visible(value).strip()
    if not value:
        if required:
            errors.add(ErrorCode.VALIDATION, "must not be blank", field)
        return None
    if not plain and (_CONTROLS.search(value) or (one_line and _LINE_BREAKS.search(value))):
        what = "control or text-direction characters" + (" or line breaks" if one_line else "")
        errors.add(ErrorCode.VALIDATION, f"must not contain {what}", field)
        return None
    if len(value) > max_len:
        errors.add(ErrorCode.VALIDATION, f"is longer than {max_len} characters", field)
        return None
    return value


def texts(
    errors: Errors,
    data: dict[str, Any],
    creating: bool,
    name_max: int,
    caps: dict[str, int] | None = None,
) -> dict[str, Any]:
    """`name` (required on create, and never blank) and the capped text fields present in
    `data`, trimmed; each input field path is `input.<key>`."""
    props: dict[str, Any] = {}
    if creating or "name" in data:
        props["name"] = text(
            errors, data.get("name"), "input.name", required=True, max_len=name_max, one_line=True
        )
    for key, cap in (caps or {}).items():
        if key in data:
            props[key] = text(errors, data[key], f"input.{key}", max_len=cap)
    return props


def credit_code(errors: Errors, value: str | None, field: str) -> str | None:
    """Unified social credit code (统一社会信用代码): 18 characters with a check character."""
    return _standard_number(errors, value, field, uscc.validate, "unified social credit code")


def resident_id(errors: Errors, value: str | None, field: str) -> str | None:
    """Resident identity card number (居民身份证号): 18 digits, birth date and checksum."""
    return _standard_number(errors, value, field, _resident_id, "resident ID number")


def resident_id_birth(number: str) -> dt.date:
    """The birth date a valid resident ID number (as `resident_id` returns it) encodes."""
    born: dt.date = ric.get_birth_date(number)
    return born


def _resident_id(value: str) -> str:
    """python-stdnum's checks, except that the region needs only a known province.
    `ric.validate` also wants the county to have existed in the birth year, but the first
    six digits are where the number was issued: the 1999 move to 18 digits gave people born
    in 1985 codes of districts made later (330108, Binjiang, 1996). Its table also lacks
    newer districts (330113, Linping, 2021), on which it fails with KeyError."""
    number = str(ric.compact(value))
    if len(number) != 18:
        raise ric.InvalidLength()
    if not number[:-1].isdigit():
        raise ric.InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise ric.InvalidChecksum()
    ric.get_birth_date(number)
    parts = numdb.get("cn/loc").info(number[:6])
    if not any("province" in props for _, props in parts):
        raise ric.InvalidComponent()
    return number


def _standard_number(
    errors: Errors, value: str | None, field: str, validate: Callable[[str], Any], what: str
) -> str | None:
    """`value` in the compact form a python-stdnum validator gives it; blank is None.
    Full-width digits and letters (１１０１…Ｘ, as a Chinese input method types them) are
    read as the ASCII ones (NFKC): the checksum was judged on the full-width X (tester BK)."""
    if value is None or not value.strip():
        return None
    try:
        return str(validate(unicodedata.normalize("NFKC", value)))
    except StdnumError as exc:
        errors.add(ErrorCode.VALIDATION, f"is not a valid {what}: {exc}", field)
        return None


# Number types nobody answers (phonenumbers' metadata): refused in a contact field (R19).
UNANSWERED = {
    phonenumbers.PhoneNumberType.PAGER: "a pager number",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    phonenumbers.PhoneNumberType.VOICEMAIL: "a voicemail number",
}
MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


_LATIN = re.compile("[A-Za-z]")
# The Chinese extension markers (010-6552 9988 转 12, 分机 12), read as phonenumbers' "ext".
_CN_EXTENSION = re.compile(r"\s*(?:转|分机)\s*(?=\d+\s*$)")


def _without_extension(value: str, extension: str | None) -> str:
    """`value` (NFKC: full-width letters are letters) without the extension phonenumbers found
    in it, marker and all ("ext. 12", "x12", ";ext=12", "#12")."""
    value = unicodedata.normalize("NFKC", value)
    if not extension:
        return value
    digits = re.escape(unicodedata.normalize("NFKC", extension))
    return re.sub(r"\D*" + digits + r"\D*$", "", value)


def masked(errors: Errors, value: Any, field: str) -> bool:
    """A masked value as a key without the right reads it back (`+86138****5678`,
    `1101**********002X`, an export's cell): refused, never stored over the real one."""
    if isinstance(value, str) and "**" in value:
        errors.add(
            ErrorCode.VALIDATION,
            "is masked (as a key without the right to the whole value reads it, or exports "
            "it): give the whole value, or leave the field out",
            field,
        )
        return True
    return False


def phone(
    errors: Errors, value: str | None, field: str, region: str = "CN", mobile: bool = False
) -> str | None:
    """A phone number someone can answer, normalised to E.164; numbers without a country code
    are Chinese. Malformed and unassigned numbers are refused (`is_valid_number` checks the
    numbering plan), so are pagers, premium-rate and voicemail numbers, numbers with letters
    (vanity numbers; an extension marker such as "ext", "x", 转 or 分机 is fine, and the
    extension is kept), and with `mobile` a number that is not a mobile one."""
    if value is None or not value.strip() or masked(errors, value, field):
        return None
    value = _CN_EXTENSION.sub(" ext ", unicodedata.normalize("NFKC", value))
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        errors.add(ErrorCode.VALIDATION, "is not a valid phone number", field)
        return None
    if _LATIN.search(_without_extension(value, parsed.extension)):
        # phonenumbers reads letters as keypad digits (ABCD -> 2223) or drops trailing ones:
        # either way the number stored is not the one typed.
        errors.add(
            ErrorCode.VALIDATION,
            "must not contain letters, but for an extension marker (ext, x, 转)",
            field,
        )
        return None
    kind = phonenumbers.number_type(parsed)
    if kind in UNANSWERED:
        errors.add(ErrorCode.VALIDATION, f"is {UNANSWERED[kind]}, not a contact number", field)
        return None
    if mobile and kind not in MOBILE_TYPES:
        errors.add(ErrorCode.VALIDATION, "is not a mobile number", field)
        return None
    number = str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    # The extension is kept, as RFC 3966 writes it (`+861062751234;ext=8001`): it was dropped,
    # and a phone and fax of one switchboard then read as one number (tester BK).
    return number + (f"{EXTENSION}{parsed.extension}" if parsed.extension else "")


EXTENSION = ";ext="


def email(errors: Errors, value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return str(validate_email(value.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        errors.add(ErrorCode.VALIDATION, f"is not a valid email address: {exc}", field)
        return None


# A scheme before the first colon, unless what follows is a port ("example.cn:8080/x").
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(?!\d)")
WEB_SCHEMES = frozenset({"http", "https"})


def website(errors: Errors, value: str | None, field: str) -> str | None:
    """A web address, with or without its scheme; any scheme but http(s) is refused, since
    a client may render the value as a link (`javascript:alert(1)` would run on a click)."""
    if value is None:
        return None
    scheme = _SCHEME.match(value)
    if (scheme and scheme.group(1).lower() not in WEB_SCHEMES) or any(c.isspace() for c in value):
        errors.add(ErrorCode.VALIDATION, "must be a web address, e.g. https://example.cn", field)
        return None
    return value


def unit_interval(errors: Errors, value: float | None, field: str) -> float | None:
    if value is None:
        return None
    if not 0.0 <= value <= 1.0:
        errors.add(ErrorCode.VALIDATION, "must be between 0 and 1", field)
        return None
    return float(value)


def non_negative(errors: Errors, value: float | None, field: str) -> float | None:
    if value is not None and not math.isfinite(value):
        errors.add(ErrorCode.VALIDATION, "must be a finite number", field)
        return None
    if value is not None and value < 0:
        errors.add(ErrorCode.VALIDATION, "must not be negative", field)
        return None
    return value


# `until` is exclusive: a range ending on its first day is valid on no day (tester AU).
UNTIL_BY_SINCE = "must be after `since` (`until` is exclusive)"


def date_range(
    errors: Errors, since: dt.date | None, until: dt.date | None, field: str = "input.until"
) -> None:
    if since is not None and until is not None and until <= since:
        errors.add(ErrorCode.VALIDATION, UNTIL_BY_SINCE, field)
