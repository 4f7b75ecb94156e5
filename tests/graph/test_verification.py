"""The channel assessment and the quality score (R19), pure, with known answers."""

from __future__ import annotations

import datetime as dt

from graph.verification import Flag, Rules, assess, quality, rules_from_json, rules_to_json
from graph.vocab import Label

TODAY = dt.date(2026, 12, 1)


def at(days_ago: int) -> dt.datetime:
    return dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC) - dt.timedelta(days=days_ago)


def flags(label: Label, props: dict[str, object], rules: Rules | None = None) -> dict[str, Flag]:
    return {s["field"]: s["flag"] for s in assess(label, props, rules or Rules(), TODAY)}


def test_each_channel_gets_its_flag() -> None:
    company = {
        "phone": "+861012345678",
        "phoneStatus": "VERIFIED",
        "phoneStatusAt": at(10),
        "fax": "+861012345679",
        "address": "北京市海淀区中关村大街1号",
        "addressStatus": "VERIFIED",
        "addressStatusAt": at(800),  # the default keeps an address 730 days
    }
    assert flags(Label.COMPANY, company) == {
        "phone": Flag.OK,
        "fax": Flag.NEVER_VERIFIED,
        "address": Flag.STALE,
    }
    person = {
        "mobile": "+8613800000001",
        "mobileStatus": "BOUNCED",
        "officePhone": "+861088888888",
        "officePhoneStatus": "NO_ANSWER",
        "emailStatus": "VERIFIED",  # a status left without a value counts as no value
    }
    assert flags(Label.PERSON, person) == {
        "mobile": Flag.INVALID,
        "officePhone": Flag.NO_ANSWER,
        "email": Flag.EMPTY,
    }


def test_valid_until_follows_the_rules() -> None:
    props = {"mobile": "+8613800000001", "mobileStatus": "VERIFIED", "mobileStatusAt": at(100)}
    [mobile, *_] = assess(Label.PERSON, props, Rules(), TODAY)
    assert mobile["validUntil"] == dt.date(2027, 2, 19)  # checked 2026-08-23, + 180 days
    assert mobile["flag"] is Flag.OK
    strict = Rules({**Rules().valid_days, Label.PERSON: {"mobile": 90}})
    assert flags(Label.PERSON, props, strict)["mobile"] is Flag.STALE
    # Stored rules override the defaults they name and keep the others.
    back = rules_from_json(rules_to_json(strict))
    assert back.days(Label.PERSON, "mobile") == 90
    assert back.days(Label.PERSON, "email") == 365
    assert back.days(Label.COMPANY, "address") == 730


def test_the_score_and_reachability() -> None:
    rules = Rules()
    # Phone OK (1) and address never verified (0.3): (1 + 0.3) / 2 = 65.
    company = {"phone": "x", "phoneStatus": "VERIFIED", "phoneStatusAt": at(1), "address": "y"}
    q = quality(Label.COMPANY, company, rules, TODAY)
    assert (q["score"], q["reachable"], q["neverVerified"]) == (65, True, ["address"])
    # A fax-only company: the fax is not a reaching channel, nothing scored is present.
    fax_only = {"fax": "x", "faxStatus": "VERIFIED", "faxStatusAt": at(1)}
    q = quality(Label.COMPANY, fax_only, rules, TODAY)
    assert (q["score"], q["reachable"]) == (0, False)
    # ... but a current contact with a fresh mobile makes it reachable.
    contact = {"mobile": True, "mobileStatus": "VERIFIED", "mobileStatusAt": at(3)}
    assert quality(Label.COMPANY, fax_only, rules, TODAY, [contact])["reachable"] is True
    stale_contact = {**contact, "mobileStatusAt": at(400)}
    assert quality(Label.COMPANY, fax_only, rules, TODAY, [stale_contact])["reachable"] is False
    # Mobile stale (0.5), e-mail bounced (0): 25; nothing reaches.
    person = {
        "mobile": "m",
        "mobileStatus": "VERIFIED",
        "mobileStatusAt": at(200),
        "email": "e",
        "emailStatus": "BOUNCED",
    }
    q = quality(Label.PERSON, person, rules, TODAY)
    assert q == {
        "score": 25,
        "reachable": False,
        "neverVerified": [],
        "stale": ["mobile"],
        "invalid": ["email"],
    }
