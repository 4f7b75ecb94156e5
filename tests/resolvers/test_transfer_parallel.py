"""resolvers/transfer_parallel.py: rows checked in worker processes come back in file order,
the same as one process checks them (no database: the checks are pure)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from graph import crypto
from graph import transfer_formats as fmt
from resolvers import transfer, transfer_parallel

ID_NUMBER = "11010519491231002X"


def _pids(records: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, int]]:
    """A check that says which process ran it (module level: workers import it)."""
    for n, _ in records:
        yield n, os.getpid()


def _dies(records: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, int]]:
    """A check whose process ends on row 3,000, as one the kernel kills for its memory."""
    for n, _ in records:
        if n == 3_000:
            os._exit(1)
        yield n, 0


def _records(copies: int) -> list[tuple[int, Any]]:
    """An export file's lines, valid and not, `copies` times over."""
    lines: list[Any] = []
    for i in range(copies):
        lines += [
            {"kind": "node", "label": "Company", "id": f"c{i}", "fields": {"name": "华星集团"}},
            {
                "kind": "node",
                "label": "Person",
                "id": f"p{i}",
                "fields": {"name": "王芳", "idNumber": ID_NUMBER, "mobile": "13800138000"},
            },
            {"kind": "node", "label": "Person", "id": f"q{i}", "fields": {"mobile": "12"}},
            {
                "kind": "edge",
                "type": "WORKS_AT",
                "id": f"e{i}",
                "from": f"p{i}",
                "fromLabel": "Person",
                "to": f"c{i}",
                "toLabel": "Company",
                "fields": {"title": "采购经理"},
            },
            {"kind": "edge", "type": "LIKES", "id": f"x{i}", "from": "a", "to": "b"},
            fmt.BadRow("3 cells, the header has 4"),
            {"kind": "planet", "id": f"z{i}"},
        ]
    return list(enumerate(lines, start=1))


def _plain(item: transfer.Prepared | list[transfer.Rejection]) -> Any:
    """An item without its ciphertext, which a fresh nonce makes differ on every run."""
    if isinstance(item, list):
        return item
    row = {**item.row, "secret": {**(item.row.get("secret") or {})}}
    token = row["secret"].pop(crypto.CIPHER, None)
    return item.n, item.group, row, token is not None and crypto.keyring().decrypt(token)


def test_workers_check_each_row_as_one_process_does_in_file_order() -> None:
    records = _records(40)
    alone = [_plain(x) for x in transfer.graph_rows(iter(records))]
    spread = transfer_parallel.checked(records, transfer.graph_rows, workers=2, serial_up_to=50)
    together = [_plain(x) for x in spread]
    assert together == alone
    assert len(together) == 280
    people = [x for x in together if not isinstance(x, list) and x[1][1].value == "Person"]
    # Each worker protected the ID number with the command's keyring: it decrypts here.
    assert len(people) == 40
    assert all(x[3] == ID_NUMBER for x in people)
    refused = [x for x in together if isinstance(x, list)]
    # The person without a name, the unknown type, the bad row, the unknown kind.
    assert len(refused) == 4 * 40


def test_a_file_past_the_threshold_is_checked_by_the_workers() -> None:
    records = [(n, None) for n in range(1, 4_001)]
    seen = list(transfer_parallel.checked(records, _pids, workers=2, serial_up_to=100))
    assert [n for n, _ in seen] == list(range(1, 4_001))
    pids = {pid for _, pid in seen}
    assert os.getpid() not in pids
    # Never more processes than asked; how the chunks spread over them is the pool's choice
    # (a worker that starts first may take them all).
    assert 1 <= len(pids) <= 2


def test_a_small_file_or_one_worker_stays_in_this_process() -> None:
    small = [(n, None) for n in range(1, 101)]
    for workers, serial_up_to in ((2, 100), (1, 10)):
        seen = list(transfer_parallel.checked(small, _pids, workers, serial_up_to))
        assert seen == [(n, os.getpid()) for n in range(1, 101)]


def test_a_worker_that_dies_stops_the_import_with_a_message() -> None:
    records = [(n, None) for n in range(1, 10_001)]
    with pytest.raises(transfer.TransferError, match="--workers 1"):
        list(transfer_parallel.checked(records, _dies, workers=2, serial_up_to=100))
