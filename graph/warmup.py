"""Plan every named statement once at start-up, so the first user does not pay for planning.

Neo4j plans a statement the first time it sees its text and keeps the plan in its query
cache. Planning our map and traversal statements took 0.3-3 s (issue 11); `EXPLAIN` plans
without executing, so running `EXPLAIN <statement>` for each one after the migrations fills
the cache before /readyz turns 200.

The statements are found by walking graph/'s modules for `Cypher` values at module level, in
dicts, lists and tuples (the maps build one statement per depth or option that way).
Statements built on demand (e.g. the list pages of graph/lists.py, one per combination of
filters) are planned on first use.

Parameters must be given with the types the real calls send: Neo4j keys its plan cache by
the statement and its parameters' types, so an `EXPLAIN` with nulls plans an entry no
request ever hits (measured: relatedAccounts' first call took 2.4 s after a null-typed
warm-up, 0.44 s after a typed one). `SAMPLES` holds one value of the right type per
parameter name; a name it does not know is sent as null.

Planning all of them takes 20-45 s on a busy 2-core machine, so it runs two at a time, the
read statements users wait for first (maps, trees, traversals), and within a time budget:
what is left when it runs out is planned on first use, as before.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import logging
import pkgutil
import re
import time
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any, LiteralString

import graph
from graph.db import Cypher, Database
from graph.errors import CrmError

log = logging.getLogger(__name__)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_ID = "00000000-0000-4000-8000-000000000000"
_STRINGS = (
    *("action", "actor", "afterId", "auditId", "by", "center", "changeId", "company"),
    *("externalId", "from", "hash", "id", "person", "personId", "project"),
    *("projectId", "requestId", "scope", "source", "survivor", "target"),
    *("targetId", "targetLabel", "to"),
    *("userId", "name", "prefix", "value", "replacedBy", "email", "oidcSubject"),  # keys, sign-in
)
# One value of the type the repositories send, per parameter name (see the module doc).
SAMPLES: dict[str, Any] = {
    **dict.fromkeys(_STRINGS, _ID),
    **dict.fromkeys(
        ("customer", "former", "people", "projects", "shared", "manager", "anyones"), True
    ),
    "withData": False,
    **dict.fromkeys(("query", "text"), "华星集团"),  # search text: a short name
    "texts": ["华", "華"],  # a character in its written forms
    "reviewed": ["name", "unifiedSocialCreditCode"],  # property keys a change request holds
    **dict.fromkeys(("cap", "limit", "limitPlus", "subCap"), 10),
    # Five items: the plan cache also tells list sizes apart, by bucket (measured: after a
    # one-item sample a two-item call still took 0.76 s, a one-item call 0.18 s). Default
    # edge-kind and via lists, and most dataloader batches, hold 2-10 items.
    **{
        name: [_ID] * 5
        for name in (
            *("ids", "types", "exclude", "fields", "merged", "all", "edges", "seen", "keyIds"),
        )
    },
    **dict.fromkeys(("asOf", "since", "until"), dt.date(2024, 1, 1)),
    **dict.fromkeys(("afterAt", "expiresAt", "occurredAt"), dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
    "graceSeconds": 0,
    "zone": "+08:00",  # graph/clock.py's neo4j_zone()
    "hashes": [_ID] * 5,
    "props": {"name": "x"},
    "extra": {"name": "x"},
    "keys": {_ID: {"externalSource": "ERP", "externalId": "x"}},  # graph/merge.py's aliases
    "audits": [{"id": _ID}] * 5,
    "ends": [{"targetId": _ID}] * 5,
    # The visibility predicate's map (graph/access.py), as a SALES viewer sends it.
    "acl": {
        "me": _ID,
        "all": False,
        "users": [_ID] * 5,
        "principals": [_ID] * 2,
        "editAll": False,
        "editUsers": [_ID] * 5,
        "editPrincipals": [_ID] * 2,
        "editMe": _ID,
        "publicCompanies": True,
        "named": True,
    },
    # graph/review.py; graph/crypto.py's rotation of the ciphertext requests hold
    **dict.fromkeys(("note", "requestedBy", "kind"), _ID),
    "status": "PENDING",
    "request": {"id": _ID, "targetId": _ID, "fields": ["mobile"], "baseVersion": 1},
    # Teams and shares (graph/team.py, graph/share.py); who claims a created record.
    **dict.fromkeys(("account", "principal", "shareId", "code", "parent"), _ID),
    "moveTo": True,
    **dict.fromkeys(("owner", "claimId", "claimAuditId"), _ID),
    **dict.fromkeys(("archived", "expired"), False),
    "level": "READ",
    "first": 20,
    # Personal data (graph/privacy.py, graph/crypto.py).
    **dict.fromkeys(("after", "consentId", "digest", "legalHoldReason"), _ID),
    **dict.fromkeys(("placeholder", "purpose", "reason", "retentionUntil"), _ID),
    **dict.fromkeys(("granted", "legalHold"), True),
    "gone": ["x"] * 5,
    "rows": [{"id": _ID}] * 5,
    # Records over time (graph/records.py).
    **dict.fromkeys(("party", "staffId", "customerId", "assignee", "order", "extKey"), _ID),
    **dict.fromkeys(("afterName", "outcome"), _ID),
    # graph/pages.py's text_after: a cursor value's prefixes, almost always none.
    **{f"after{key}{side}": [] for key in ("Id", "Key", "Name") for side in ("Above", "Below")},
    **{name: [_ID] * 5 for name in ("contacts", "staff", "projectIds", "products", "orders")},
    **dict.fromkeys(("from", "to", "dueBefore"), dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
    "kinds": ["Interaction"] * 2,
    "voided": False,
    "expectedVersion": 1,
    "requiredKind": "COMPANY",
    "lines": [{"product": _ID, "props": {"position": 1, "quantity": 1.0}}] * 5,
    "followUps": [{"id": _ID, "props": {"action": "x"}, "assignee": _ID}],
    "product": _ID,  # graph/crosssell.py
    # Field history and custom fields (graph/history.py, graph/customfields.py).
    **dict.fromkeys(("field", "label", "old", "new", "prop", "type", "pattern"), "x"),
    **dict.fromkeys(("labels", "valueTypes", "options", "concealed"), ["x"] * 5),
    "required": False,
    "maxLength": 10,
    **dict.fromkeys(("min", "max"), 1.0),
    **dict.fromkeys(("minDate", "maxDate"), dt.date(2024, 1, 1)),
    # Customer intelligence (graph/intelligence.py).
    "levels": ["HIGH", "MEDIUM"],
    **dict.fromkeys(("team", "currency", "stage", "lostReason", "runId", "model"), "x"),
    **dict.fromkeys(("holder", "settings"), "x"),
    # Verification rules and saved outreach audiences (JSON text), and an ADMIN flag.
    **dict.fromkeys(("rules", "filter", "body"), "x"),  # graph/documents.py: JSON text
    "admin": False,
    **dict.fromkeys(("afterRisk", "lease"), 1),
    "share": 0.2,
    "now": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    "today": dt.date(2024, 1, 1),
    # Classification (graph/classification.py); a list filter by class.
    **dict.fromkeys(("dimension", "classId", "review", "counts", "customerClass"), _ID),
    "customerGroup": _ID,
    "classProps": {"name": "x"},
    "afterSeq": 0,
    # Pipeline and hand-over (graph/pipeline.py, graph/handover.py).
    "within": {"owner": _ID, "team": _ID, "customerClass": _ID, "group": _ID},
    "before": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    **dict.fromkeys(("account", "departed", "moved"), _ID),
    "accounts": [{"edge": _ID, "to": _ID, "newEdge": _ID, "label": "Company"}] * 5,
    "teams": [{"edge": _ID, "to": _ID, "newEdge": _ID, "role": "LEAD"}] * 5,
    **dict.fromkeys(("nAccounts", "nProjects", "nFollowUps"), 1),
    # Sales plans and team knowledge (graph/plans.py, graph/knowledge.py); `teams` (a list of
    # maps) is the hand-over's sample above.
    **dict.fromkeys(("period", "title", "tagText"), "x"),
    **{name: [_ID] * 5 for name in ("customers", "users", "teamIds", "dimensions", "tags")},
    "readOnly": ["ANALYST", "AUDITOR"],
    "afterScore": 1.0,
    # Outreach (graph/outreach.py); `customers` is the plans' sample above.
    **dict.fromkeys(("template", "record", "jobId"), _ID),
    **dict.fromkeys(("channel", "locale", "audience", "providerId", "failure", "method"), "x"),
    **{name: ["x"] * 2 for name in ("tiers", "churnLevels", "stages", "live")},
    "recipients": [_ID] * 5,
    "hours": 24,
    "messages": [{"key": "x", "id": _ID, "customerId": _ID, "personId": _ID, "props": {}}] * 5,
    **dict.fromkeys(("rate", "grace"), 60),
    # Duplicates (graph/duplicates.py): a scan's id; incoming rows' look-up keys.
    "scanId": _ID,
    "probes": [
        {
            **{"i": 0, "codes": ["x"], "tels": ["x"], "core": "x", "written": "x", "mail": "x"},
            "han": "x",
            **{"names": ["x"], "companies": [_ID], "digest": "x"},
        }
    ]
    * 5,
}


def sample_parameters(text: str) -> dict[str, Any]:
    return {name: SAMPLES.get(name) for name in _PARAM.findall(text)}


# Run by the migrations runner or the bulk loader, not per request; some cannot be EXPLAINed
# in the form they are written (schema statements, CALL ... IN TRANSACTIONS).
_SKIP_MODULES = frozenset(
    {
        *("graph.migrate", "graph.bulk", "graph.demo", "graph.demo_data"),
        *("graph.demo_pipeline", "graph.demo_plans"),
        "graph.transfer",  # crm-graph import and export, never per request
        # Import and export jobs over HTTP: a background worker plans its own on first use; the
        # one per-request statement (a job by id) is trivial to plan.
        "graph.transfer_jobs",
    }
)


def _values(value: Any, depth: int = 0) -> Iterator[Cypher]:
    if isinstance(value, Cypher):
        yield value
    elif depth < 3 and isinstance(value, dict):
        for v in value.values():
            yield from _values(v, depth + 1)
    elif depth < 3 and isinstance(value, list | tuple):
        for v in value:
            yield from _values(v, depth + 1)


def _modules() -> Iterator[ModuleType]:
    for info in pkgutil.iter_modules(graph.__path__, "graph."):
        if info.name not in _SKIP_MODULES and not info.ispkg:
            yield importlib.import_module(info.name)


# Statement-name prefixes in the order users meet them; everything else comes after.
_FIRST = ("apikey.by_hash", "maps.", "related.", "decision.", "influence.", "search.", "system.")


def _priority(q: Cypher) -> tuple[int, str]:
    for i, prefix in enumerate(_FIRST):
        if q.name.startswith(prefix):
            return i, q.name
    return len(_FIRST), q.name


def statements(modules: Iterable[ModuleType] | None = None) -> list[Cypher]:
    """Every distinct named statement held by graph/'s modules, most wanted first."""
    seen: dict[str, Cypher] = {}
    for module in _modules() if modules is None else modules:
        for value in vars(module).values():
            for q in _values(value):
                seen.setdefault(q.text, q)
    return sorted(seen.values(), key=_priority)


_LIST_WANTED = re.compile(r"Type mismatch for parameter '(\w+)': expected List")


async def _explain(db: Database, text: LiteralString, params: dict[str, Any]) -> None:
    """EXPLAIN; where a sample is a scalar and the statement wants a list of them (`$from`
    is one id in one statement and a list of ids in another), wrap it and try again."""
    for _ in range(4):
        try:
            await db.explain(text, params)
            return
        except CrmError:
            raise
        except Exception as exc:
            wanted = _LIST_WANTED.search(str(exc))
            if wanted is None or isinstance(params.get(wanted[1]), list):
                raise
            params = {**params, wanted[1]: [params[wanted[1]]]}
    await db.explain(text, params)


async def warm_up(db: Database, budget: float = 60.0, parallel: int = 2) -> tuple[int, int]:
    """EXPLAIN every statement (each of its variants) until `budget` seconds have passed;
    returns (planned, left), counted in variants.

    Never fails for one statement's sake (it is planned on first use instead); raises
    `DatabaseUnavailable` when the database goes away, so the caller retries the preparation.
    """
    started = time.perf_counter()
    # Each text a statement is sent as (graph/db.py Cypher.variants): a read-all viewer's
    # variant has its own plan.
    queue = [(q, text) for q in statements() for text in q.variants()]
    total = len(queue)
    planned = failed = 0

    async def worker() -> None:
        nonlocal planned, failed
        while queue and time.perf_counter() - started < budget:
            q, variant = queue.pop(0)
            text: LiteralString = "EXPLAIN " + variant
            try:
                await _explain(db, text, sample_parameters(variant))
                planned += 1
            except CrmError:
                raise
            except Exception as exc:
                failed += 1
                log.warning("warm-up: could not plan %s: %s", q.name, str(exc)[:200])

    await asyncio.gather(*(worker() for _ in range(max(1, parallel))))
    log.info(
        "warm-up: planned %d of %d statements in %.1fs (%d failed, %d left to first use)",
        planned,
        total,
        time.perf_counter() - started,
        failed,
        len(queue),
    )
    return planned, len(queue) + failed
