"""resolvers/transfer_admin.py's in-memory step alone (no database: the admin path's
database steps are tests/test_transfer_admin.py's)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolvers import transfer, transfer_admin


def _rows(seen: list[bool], fail: bool) -> Iterator[transfer.Prepared | list[transfer.Rejection]]:
    for n, rec in enumerate(
        [
            {"kind": "node", "label": "Company", "id": "c1", "fields": {"name": "华星集团"}},
            {"kind": "node", "label": "Company", "id": "c2", "fields": {"name": " "}},
        ],
        start=1,
    ):
        seen.append(gc.isenabled())
        yield from transfer.graph_rows(iter([(n, rec)]))
    if fail:
        raise OSError("the file went away")


def test_prepare_pauses_the_cycle_collector_and_restores_it(tmp_path: Path) -> None:
    seen: list[bool] = []
    _plan, out = transfer_admin.prepare(_rows(seen, False), tmp_path / "rejected.csv")
    assert seen == [False, False]  # paused while the rows are read and settled
    assert gc.isenabled()
    assert (out.rows, out.rejected, out.nodes) == (2, 1, 1)
    report = (tmp_path / "rejected.csv").read_text(encoding="utf-8").splitlines()
    assert report[1:] == ["2,name,VALIDATION,is required"]


def test_prepare_restores_the_collector_when_reading_fails(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="went away"):
        transfer_admin.prepare(_rows([], True), tmp_path / "rejected.csv")
    assert gc.isenabled()


def test_prepare_leaves_a_paused_collector_paused(tmp_path: Path) -> None:
    gc.disable()
    try:
        transfer_admin.prepare(_rows([], False), tmp_path / "rejected.csv")
        assert not gc.isenabled()
    finally:
        gc.enable()
