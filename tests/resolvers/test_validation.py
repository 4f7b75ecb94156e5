"""resolvers/validation.py's text rules, alone (pure functions; the API tests go through them)."""

from __future__ import annotations

import unicodedata

import pytest

from resolvers import validation as v


def check(value: str, **kw: bool) -> tuple[str | None, list[str]]:
    errors = v.Errors()
    out = v.text(errors, value, "input.name", required=True, **kw)
    return out, [e["message"] for e in errors]


@pytest.mark.parametrize(
    "value",
    ["\u200b\u200b", " \ufeff ", "\u2060", "\u200b \u3000"],
    ids=["zero-width", "bom", "word-joiner", "ideographic-space"],
)
def test_invisible_only_is_blank(value: str) -> None:
    assert check(value) == (None, ["must not be blank"])


def test_zero_width_inside_is_dropped() -> None:
    # else 华星智能 and 华星​智能 would be two names to the duplicate scan
    assert check("华星\u200b智能\ufeff制造有限公司") == ("华星智能制造有限公司", [])


@pytest.mark.parametrize(
    "value",
    ["abc\u202edef", "x\u2066y\u2069", "a\x00b", "a\x1bb", "a\x85b"],
    ids=["rlo", "isolate", "nul", "escape", "nel"],
)
def test_controls_and_direction_marks_refused(value: str) -> None:
    out, errors = check(value)
    assert out is None
    assert errors == ["must not contain control or text-direction characters"]


def test_line_breaks_only_where_one_line() -> None:
    assert check("第一行\n第二行") == ("第一行\n第二行", [])
    out, errors = check("第一行\n第二行", one_line=True)
    assert out is None
    assert errors == ["must not contain control or text-direction characters or line breaks"]


def test_nfc_but_not_nfkc() -> None:
    decomposed = "Ame\u0301lie"
    assert check(decomposed)[0] == unicodedata.normalize("NFC", decomposed) == "Amélie"
    # full-width brackets are how a registered Chinese name is written: kept as they are
    assert check("华星（苏州）智能制造有限公司")[0] == "华星（苏州）智能制造有限公司"
    # ZWJ joins emoji and some scripts: kept
    assert check("团队\u200d名")[0] == "团队\u200d名"


@pytest.mark.parametrize("one_line", [False, True])
def test_ascii_text_meets_the_same_rules_as_any_other(one_line: bool) -> None:
    # Printable ASCII skips the normalising and the scans (resolvers/validation.py): each ASCII
    # character inside an ASCII value is judged as it is inside a Chinese one.
    for code in range(128):
        c = chr(code)
        ascii_out, ascii_errors = check(f"ab{c}cd", one_line=one_line)
        cjk_out, cjk_errors = check(f"华星{c}cd", one_line=one_line)
        assert ascii_errors == cjk_errors, repr(c)
        assert (ascii_out is None) == (cjk_out is None), repr(c)
        if ascii_out is not None:
            assert ascii_out == f"ab{c}cd"
    assert check("  a-1 ", one_line=one_line) == ("a-1", [])


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("330113198506123455", True),  # Linping, Hangzhou: python-stdnum's table has no county
        ("330108198506123112", True),  # Binjiang (1996) for a person born in 1985
        ("330111198506123110", True),  # Fuyang (a district since 2015)
        ("990101198506123110", False),  # no such region
        ("11010519491231002X", True),
        ("11010519491231002Y", False),  # check character
        ("110105194913310021", False),  # no 13th month
    ],
)
def test_resident_id_numbers(value: str, valid: bool) -> None:
    errors = v.Errors()
    out = v.resident_id(errors, value, "input.idNumber")
    assert (out == value, not errors) == (valid, valid), [e["message"] for e in errors]


def test_full_width_id_numbers_and_credit_codes_read_as_ascii() -> None:
    """Tester BK: 11010519491231002Ｘ (a full-width X, as an input method types it) was refused
    as a bad checksum, the credit code in full-width forms as a bad format."""
    full = str.maketrans(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
    )
    errors = v.Errors()
    assert v.resident_id(errors, "11010519491231002Ｘ", "input.idNumber") == "11010519491231002X"
    assert v.resident_id(errors, "11010519491231002X".translate(full), "f") == "11010519491231002X"
    assert v.credit_code(errors, "91440300708461136T".translate(full), "f") == "91440300708461136T"
    assert errors == []
