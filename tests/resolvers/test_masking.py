"""The masks and guards of the field rules (R21, R22) as pure functions."""

from __future__ import annotations

import pytest

from resolvers import masking
from resolvers.masking import (
    WITHHELD_TEXT,
    Guards,
    full_value,
    mask_email,
    mask_id_number,
    mask_phone,
    register_full_value,
)

SALES = frozenset({"SALES"})
MANAGER = frozenset({"MANAGER"})
ANALYST = frozenset({"ANALYST"})


def test_id_number_keeps_region_and_last_four() -> None:
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number("1234") == "****"
    # Masking a masked value changes nothing (encrypted storage keeps the masked form).
    assert mask_id_number("1101**********002X") == "1101**********002X"


def test_phone_keeps_prefix_and_last_four() -> None:
    assert mask_phone("+8613812345678") == "+86138****5678"
    assert mask_phone("+12025550123") == "+120****0123"
    assert mask_phone("+8612") == "***12"
    assert mask_phone("+861062751234;ext=8001") == "+8610****1234;ext=****"


def test_email_keeps_first_letter_and_domain() -> None:
    assert mask_email("zhang@example.com") == "z***@example.com"
    assert mask_email("not-an-email") == "***"


def test_person_guards_per_role() -> None:
    g = Guards("k1")
    row = {"id": "p1", "mobile": "+8613812345678"}
    mobile = g.field("Person", "mobile")
    assert mobile("+8613812345678", row, SALES) == "+86138****5678"
    assert mobile("+8613812345678", row, MANAGER) == "+8613812345678"
    assert mobile(None, row, SALES) is None
    # No role that sees named people (none at all, or ANALYST): not even the masked part,
    # which beside a pseudonym would still single the person out.
    assert mobile("+8613812345678", row, frozenset()) is None
    assert mobile("+8613812345678", row, ANALYST) is None
    assert mobile("+8613812345678", row, ANALYST | SALES) == "+86138****5678"
    name = g.field("Person", "name")
    assert name("张伟", row, SALES) == "张伟"
    assert name("张伟", row, ANALYST) == g.pseudonym("p1")
    assert g.field("Person", "email")("zhang@example.com", row, ANALYST) is None
    assert g.field("Person", "email")("zhang@example.com", row, SALES) == "zhang@example.com"
    assert g.field("Person", "gender")("MALE", row, ANALYST) is None


def test_pseudonyms_are_stable_per_key_and_keyed() -> None:
    a, b = Guards("k1"), Guards("k2")
    assert a.pseudonym("p1") == Guards("k1").pseudonym("p1")
    assert a.pseudonym("p1").startswith("Person ")
    assert len(a.pseudonym("p1")) == 13
    assert a.pseudonym("p1") != a.pseudonym("p2")
    assert a.pseudonym("p1") != b.pseudonym("p1")


def test_map_node_name_is_personal_only_for_people() -> None:
    g = Guards("k1")
    name = g.field("MapNode", "name")
    company = {"id": "c1", "kind": "COMPANY", "name": "华星"}
    person = {"id": "p1", "kind": "PERSON", "name": "张伟"}
    assert name("华星", company, ANALYST) == "华星"
    assert name("张伟", person, ANALYST) == g.pseudonym("p1")
    assert name("张伟", person, SALES) == "张伟"


def test_data_shows_only_allow_listed_keys() -> None:
    data = Guards("k1").field("MapEdge", "data")
    stored = {"strength": 0.8, "basis": "老同学", "idNumberCipher": "gAAAA...", "__lock": True}
    assert data(stored, {}, MANAGER) == {"strength": 0.8, "basis": "老同学"}
    assert data(stored, {}, ANALYST) == {"strength": 0.8}
    assert data(None, {}, MANAGER) is None


def test_withheld_prose_keeps_its_shape() -> None:
    g = Guards("k1")
    assert g.field("IntroPath", "explanation")(["a", "b"], {}, ANALYST) == [WITHHELD_TEXT] * 2
    assert g.field("InfluenceRank", "explanation")("王芳 (0.8)", {}, ANALYST) == WITHHELD_TEXT
    assert g.field("InfluenceRank", "explanation")("王芳 (0.8)", {}, SALES) == "王芳 (0.8)"


def test_export_rows_are_masked_as_their_type() -> None:
    g = Guards("k1")
    node = {
        "id": "p1",
        "kind": "PERSON",
        "name": "张伟",
        "data": {"occupation": "x", "k": 1},
        "internal": "not a MapNode field",
    }
    assert g.row("MapNode", node, ANALYST) == {
        "id": "p1",
        "kind": "PERSON",
        "name": g.pseudonym("p1"),
        "data": {},
    }
    assert node["name"] == "张伟"  # the row itself is left alone


def test_full_value_reader_is_the_one_place_for_the_whole_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = {"id": "p1", "idNumber": "1101**********002X", "secret": "11010519491231002X"}
    # The registry is process-wide (resolvers/privacy.py registers the real reader): swap the
    # entry for this test only, so later tests still decrypt.
    monkeypatch.delitem(masking._FULL_VALUES, ("Person", "idNumber"), raising=False)
    assert full_value("Person", "idNumber", row["idNumber"], row) == "1101**********002X"
    register_full_value("Person", "idNumber", lambda r: r["secret"])
    g = Guards("k1")  # readers registered before the schema is built
    guard = g.field("Person", "idNumber")
    assert guard(row["idNumber"], row, MANAGER) == "11010519491231002X"
    assert guard(row["idNumber"], row, SALES) == "1101**********002X"
