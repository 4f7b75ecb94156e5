"""Concurrent updates of one node through the API, for the optimistic-concurrency tests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.conftest import GQL


def assert_one_of_twenty_updates_wins(gql: GQL, update: str, field: str, node_id: str) -> None:
    """Twenty `update` mutations of `node_id`, all at version 1, at once: exactly one applies
    and the other nineteen get CONFLICT (`field` is the mutation's payload key)."""

    def attempt(i: int) -> list[dict[str, Any]]:
        r = gql(update, {"input": {"id": node_id, "expectedVersion": 1, "nameEn": f"n{i}"}})
        errors: list[dict[str, Any]] = r.data[field]["errors"]
        return errors

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert sum(1 for errs in results if errs == []) == 1
    assert sum(1 for errs in results if errs and errs[0]["code"] == "CONFLICT") == 19
