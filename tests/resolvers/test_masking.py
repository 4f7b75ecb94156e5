"""The personal-data mask (R21) as a pure function."""

from __future__ import annotations

from resolvers.context import Viewer
from resolvers.masking import mask_id_number, mask_person, mask_phone, may_see_personal_data


def test_id_number_keeps_region_and_last_four() -> None:
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number("1234") == "****"


def test_phone_keeps_prefix_and_last_four() -> None:
    assert mask_phone("+8613812345678") == "+86138****5678"
    assert mask_phone("+12025550123") == "+120****0123"
    assert mask_phone("+8612") == "***12"


def test_mask_person_copies_and_only_touches_people() -> None:
    row = {"__typename": "Person", "idNumber": "11010519491231002X", "mobile": "+8613812345678"}
    masked = mask_person(row, reveal=False)
    assert masked == {
        "__typename": "Person",
        "idNumber": "1101**********002X",
        "mobile": "+86138****5678",
    }
    assert row["mobile"] == "+8613812345678"  # the cached original is left alone
    assert mask_person(row, reveal=True) is row
    company = {"__typename": "Company", "mobile": "+8613812345678"}
    assert mask_person(company, reveal=False) is company
    empty = {"__typename": "Person", "idNumber": None, "mobile": None}
    assert mask_person(empty, reveal=False) == empty


def test_roles_that_reveal() -> None:
    assert may_see_personal_data(Viewer("u", "a", frozenset({"ADMIN"})))
    assert may_see_personal_data(Viewer("u", "m", frozenset({"MANAGER", "SALES"})))
    assert not may_see_personal_data(Viewer("u", "s", frozenset({"SALES"})))
    assert not may_see_personal_data(Viewer(None, "anon", frozenset(), anonymous=True))
