"""Sales plans and team knowledge for the demo (R25, R27), so a manager opening the demo sees a
plan-versus-actual table with real numbers and finds a won deal's story.

Plans are set from the demo's own orders (graph/demo_records.py): each rep's, customer's and
product's mean month over the last twelve, plus 10 %, rounded up to ¥10,000, for the current
and the previous month and the current quarter. EAST has no team plan (its row is the ROLLUP
of 张伟's and 王芳's); WEST has its own (SET), below its members' sum, to show the difference.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

from graph import demo_data as data
from graph import demo_records as history
from graph import plans
from graph.db import Cypher, Tx
from graph.vocab import RecordKind

STEP = 1_000_000  # ¥10,000 in cents
UPLIFT = 1.1
# The seed writes one audit event for the whole demo (graph/demo.py), none per plan.
PLANS = Cypher(
    "demo.plans",
    "UNWIND $rows AS row MERGE (s:SalesPlan {id: row.id}) ON CREATE SET s += row.props, "
    "s.version = 1, s.createdAt = datetime(), s.updatedAt = datetime() RETURN count(s) AS n",
)
KNOWLEDGE = Cypher(
    "demo.knowledge",
    "UNWIND $rows AS row MATCH (r:Record {id: row.id}) SET r:Knowledge, "
    "r.knowledgeTitle = row.title, r.knowledgeTags = row.tags, r.knowledgeText = row.tagText, "
    "r.knowledgeMarkedAt = datetime(), r.knowledgeMarkedBy = row.by RETURN count(r) AS n",
)
# (interaction key, title, tags, who marked it)
NOTES: list[tuple[str, str, list[str], str]] = [
    (
        "hx_smart:recent",
        "报价异议：用三年总拥有成本回应价格顾虑",
        ["异议", "价格", "objection"],
        "zhang_wei",
    ),
    ("hx_tech:recent", "赢单经验：先做视觉检测试点再谈 MES", ["赢单", "试点"], "liu_yang"),
]


def _monthly(today: dt.date) -> dict[tuple[str, str], int]:
    """Mean monthly CNY amounts over the twelve months before this one, per (dimension, id)."""
    start = plans.period_of(today, plans.PeriodKind.MONTH).start
    since = dt.date(start.year - 1, start.month, 1)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for row in history.record_rows(today)[RecordKind.ORDER]:
        day = row["props"]["occurredAt"].astimezone(plans.PERIOD_TZ).date()
        if not since <= day < start:
            continue
        amount = row["props"]["amountCents"]
        sums[("CUSTOMER", row["account"])] += amount
        for user in row["staff"]:
            sums[("USER", user)] += amount
        for line in row["lines"]:
            sums[("PRODUCT", line["product"])] += line["props"]["amountCents"]
    return {key: total // 12 for key, total in sums.items() if total > 0}


def _round(cents: float) -> int:
    return math.ceil(cents / STEP) * STEP


def plan_rows(today: dt.date) -> list[dict[str, Any]]:
    """PLANS rows: the demo's plans for this month, the previous one and this quarter."""
    month = plans.period_of(today, plans.PeriodKind.MONTH)
    periods = [
        (month, 1),
        (plans.previous(month), 1),
        (plans.period_of(today, plans.PeriodKind.QUARTER), 3),
    ]
    means = _monthly(today)
    west = [data.demo_id("user", u) for u, v in data.USERS.items() if v[2] == "WEST"]
    rows = []
    for period, months in periods:
        amounts = {key: _round(mean * UPLIFT * months) for key, mean in means.items()}
        west_sum = sum(
            a for (dim, target), a in amounts.items() if dim == "USER" and target in west
        )
        if west_sum:
            amounts[("TEAM", data.demo_id("team", "WEST"))] = _round(west_sum * 0.9)
        for (dim, target), cents in sorted(amounts.items()):
            rows.append(
                {
                    "id": plans.plan_id(period.key, plans.Dimension(dim), target, "CNY"),
                    "props": {
                        "period": period.key,
                        "periodKind": period.kind.value,
                        "dimension": dim,
                        "targetId": target,
                        "currency": "CNY",
                        "amountCents": cents,
                        "note": "演示计划 / demo plan",
                    },
                }
            )
    return rows


def knowledge_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": data.demo_id("record", f"{RecordKind.INTERACTION.name}:{key}"),
            "title": title,
            "tags": tags,
            "tagText": " ".join(tags),
            "by": data.demo_id("user", who),
        }
        for key, title, tags, who in NOTES
    ]


async def load(tx: Tx, today: dt.date) -> None:
    """Write the demo's plans and knowledge notes (after its records)."""
    await tx.run(PLANS, {"rows": plan_rows(today)})
    notes = knowledge_rows()
    marked = await tx.run(KNOWLEDGE, {"rows": notes})
    if marked[0]["n"] != len(notes):
        raise RuntimeError(f"demo knowledge: {marked[0]['n']} of {len(notes)} marked")
