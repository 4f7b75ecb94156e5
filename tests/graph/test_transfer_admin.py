"""neo4j-admin's CSV files, written from settled rows (a pure step: no database)."""

from __future__ import annotations

import csv
import datetime as dt
import enum
from pathlib import Path
from typing import Any

import pytest

from graph import transfer_admin as admin
from graph.vocab import Label, Rel

NOW = dt.datetime(2026, 12, 3, 8, 30, 15, 250000, tzinfo=dt.UTC)


class Tier(enum.StrEnum):
    GOLD = "GOLD"


def _person(ident: str, customer: bool = False, **props: Any) -> admin.AdminNode:
    return admin.AdminNode(
        Label.PERSON, customer, {"id": ident, "version": 1, "createdAt": NOW, **props}
    )


def _sheet(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_cells_take_the_column_types_and_empty_cells_stay_empty(tmp_path: Path) -> None:
    nodes = [
        _person(
            "p1",
            True,
            name="王芳",
            score=3,
            vip=True,
            birthDate=dt.date(1980, 2, 29),
            hobbies=["围棋", "a;b,c"],
            tier=Tier.GOLD,
        ),
        _person("p2", name='Li, "Lei"', score=2.5, vip=False),
        _person("p3"),
    ]
    edge = admin.AdminEdge(
        Rel.WORKS_AT, (Label.PERSON, "p1"), (Label.COMPANY, "c1"), {"id": "e1", "since": None}
    )
    files = admin.write_files(nodes, [edge], tmp_path)
    header, *rows = _sheet(files.nodes[0][1])
    assert header == [
        "id:ID(Person)",
        ":LABEL",
        "version:long",
        "createdAt:datetime",
        "name:string",
        "score:double",  # a whole number and a fraction in one column
        "vip:boolean",
        "birthDate:date",
        "hobbies:string[]",
        "tier:string",  # a StrEnum member is a text
    ]
    stamp = "2026-12-03T08:30:15.250000Z"
    assert rows == [
        ["p1", "Person\x1fCustomer", "1", stamp, "王芳", "3", "true", "1980-02-29",
         "围棋\x1fa;b,c", "GOLD"],
        ["p2", "Person", "1", stamp, 'Li, "Lei"', "2.5", "false", "", "", ""],
        ["p3", "Person", "1", stamp, "", "", "", "", "", ""],
    ]  # fmt: skip
    edges = _sheet(files.relationships[0][1])
    # a property that is never set gets no column
    assert edges == [[":START_ID(Person)", ":END_ID(Company)", ":TYPE", "id:string"],
                     ["p1", "c1", "WORKS_AT", "e1"]]  # fmt: skip
    assert not files.multiline


@pytest.mark.parametrize("text", ["两行\n文本", "a\rb", "a\r\nb"])
@pytest.mark.parametrize("at", [0, admin._Sheet.BLOCK - 1, admin._Sheet.BLOCK + 7])
def test_a_value_spanning_lines_is_reported_wherever_it_is(
    tmp_path: Path, text: str, at: int
) -> None:
    nodes = [_person(f"p{i}", name="张三") for i in range(admin._Sheet.BLOCK + 10)]
    nodes[at].props["note"] = text
    files = admin.write_files(nodes, [], tmp_path)
    assert files.multiline
    rows = _sheet(files.nodes[0][1])
    assert len(rows) == len(nodes) + 1
    assert rows[at + 1][-1] == text


def test_only_texts_spanning_lines_need_the_multiline_option(tmp_path: Path) -> None:
    nodes = [_person(f"p{i}", name="甲\t乙 \\ 丙") for i in range(admin._Sheet.BLOCK * 2)]
    assert not admin.write_files(nodes, [], tmp_path).multiline


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1, "one"], "property x holds both long and string values"),
        ([True, 1], "property x holds both boolean and long values"),
        ([["a", 1]], "property x holds a list of other than texts"),
        ([{"a": 1}], "no neo4j-admin type for dict values"),
    ],
)
def test_values_without_one_csv_type_are_refused(
    tmp_path: Path, values: list[Any], message: str
) -> None:
    nodes = [_person(f"p{i}", x=value) for i, value in enumerate(values)]
    with pytest.raises(admin.AdminImportError, match=message):
        admin.write_files(nodes, [], tmp_path)
