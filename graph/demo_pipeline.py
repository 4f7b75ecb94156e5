"""The demo's pipeline (R24): a year of opportunities with their stage history, ending on the
day of the load, so the funnel, the forecast now and a month ago, and the at-risk list all
have something to show.

What a sales manager should find in it:
- deals won and lost in the last months, each having walked its stages on dated changes, so
  conversion and days per stage are real figures;
- open deals closing over the coming months, one with its own win probability and a reason;
- at risk: 华星集团数据平台, past its close date, with an undecided decision maker nobody on
  our staff knows; 陈国栋's private order, past its date; and the smart factory project, whose
  decision maker nobody on our staff knows directly (graph/demo_data.py).

The three projects of graph/demo_data.py get a history too (they were created months ago).
The customers' people with purchasing power gave their marketing consent in writing at last
year's trade fair, so outreach (R26) has someone to write to; everyone else has none.
Stage and status changes are `FieldChange`s as the update statement writes them, by the deal's
lead, with ids derived from the deal, so the data set is the same on every load of a day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph import demo_data as data
from graph.db import Cypher, Tx

# key -> (name, customer kind, customer key, lead, amount, created days ago,
#         [(stage entered, days ago)], (final status, days ago) or None,
#         expected close in days from today, (win probability, reason) or None)
DEALS: dict[str, tuple[Any, ...]] = {
    "suzhou_line": ("华星苏州产线自动化", "company", "hx_suzhou", "zhang_wei", 6_800_000.0, 150,
                    [("QUALIFIED", 120), ("PROPOSAL", 80), ("NEGOTIATION", 35)], ("WON", 20),
                    -20, None),
    "cloud_storage": ("华星云存储扩容", "company", "hx_cloud", "liu_yang", 3_200_000.0, 120,
                      [("QUALIFIED", 95), ("PROPOSAL", 60)], ("LOST", 30), -30, None),
    "jv_quality": ("合资公司质检系统", "company", "hx_jv", "wang_fang", 1_500_000.0, 200,
                   [("QUALIFIED", 170)], ("LOST", 150), -150, None),
    "tech_mes2": ("华星科技 MES 二期", "company", "hx_tech", "liu_yang", 4_500_000.0, 90,
                  [("QUALIFIED", 70), ("PROPOSAL", 40)], None, 45, None),
    "group_robots": ("集团机器人框架采购", "company", "huaxing", "chen_jing", 9_600_000.0, 60,
                     [("QUALIFIED", 30)], None, 90,
                     (0.4, "集团预算已批，但需与现有供应商比价")),
    "suzhou_spares": ("苏州备件年包", "company", "hx_suzhou", "zhang_wei", 900_000.0, 40,
                      [("QUALIFIED", 25), ("PROPOSAL", 15), ("NEGOTIATION", 5)], None, 10, None),
    "private_order": ("陈国栋私人定制", "person", "chen_guodong", "wang_fang", 300_000.0, 30,
                      [], None, -10, None),
    "cloud_vision": ("华星云视觉检测", "company", "hx_cloud", "liu_yang", 2_100_000.0, 100,
                     [("QUALIFIED", 80), ("PROPOSAL", 50), ("NEGOTIATION", 20)], ("WON", 8),
                     -8, None),
    "factory_care": ("智能工厂二期维保", "company", "hx_smart", "zhang_wei", 1_200_000.0, 20,
                     [], None, 120, None),
    "group_data": ("华星集团数据平台", "company", "huaxing", "chen_jing", 5_500_000.0, 75,
                   [("QUALIFIED", 50), ("PROPOSAL", 28)], None, -5, None),
}  # fmt: skip
# Why the lost deals were lost: (lostReason, lostNote).
LOSSES: dict[str, tuple[str, str]] = {
    "cloud_storage": ("COMPETITOR", "竞品报价低 15%，客户选择了对方的公有云方案"),
    "jv_quality": ("NO_BUDGET", "合资公司年度预算冻结，项目无限期搁置"),
}
# The projects of graph/demo_data.py: (created days ago, [(stage entered, days ago)]).
EXISTING: dict[str, tuple[int, list[tuple[str, int]]]] = {
    "smart_factory": (240, [("QUALIFIED", 200), ("PROPOSAL", 120)]),
    "dc_expansion": (180, [("QUALIFIED", 150), ("PROPOSAL", 100), ("NEGOTIATION", 45)]),
    "erp_upgrade": (130, [("QUALIFIED", 70)]),
}
# (person, deal, role, stance): the data platform's decision maker has not shown his hand.
PARTICIPANTS: list[tuple[str, str, str, str]] = [
    ("huang_zhenhua", "group_data", "DECISION_MAKER", "UNKNOWN"),
]

LOAD = Cypher(
    "demo.pipeline",
    "UNWIND $rows AS row "
    "MERGE (p:Project {id: row.id}) ON CREATE SET p += row.props, p.version = 1, "
    "p.updatedAt = datetime() "
    "SET p.createdAt = row.createdAt "
    "WITH p, row "
    "CALL (p, row) { WITH p, row WHERE row.customer IS NOT NULL "
    "  MATCH (c:Customer {id: row.customer}) "
    "  MERGE (p)-[f:FOR {id: row.id + '/for'}]->(c) ON CREATE SET f.version = 1, "
    "  f.createdAt = row.createdAt, f.updatedAt = datetime() "
    "  WITH p, row MATCH (u:User {id: row.lead}) "
    "  MERGE (u)-[t:ON_TEAM {id: row.id + '/lead'}]->(p) ON CREATE SET t.role = 'LEAD', "
    "  t.version = 1, t.createdAt = row.createdAt, t.updatedAt = datetime() } "
    "CALL (p, row) { UNWIND row.changes AS ch "
    "  MERGE (fc:FieldChange {id: ch.id}) ON CREATE SET fc.targetId = p.id, "
    "  fc.targetLabel = 'Project', fc.field = ch.field, fc.old = ch.old, fc.new = ch.new, "
    "  fc.at = ch.at, fc.by = row.lead, fc.requestId = 'demo-seed', fc.auditId = ch.id } "
    "RETURN count(p) AS n",
)
PARTICIPATE = Cypher(
    "demo.pipeline.participants",
    "UNWIND $rows AS row MATCH (x:Person {id: row.person}), (p:Project {id: row.project}) "
    "MERGE (x)-[r:PARTICIPATES_IN {id: row.id}]->(p) ON CREATE SET r.role = row.role, "
    "r.stance = row.stance, r.version = 1, r.createdAt = datetime(), r.updatedAt = datetime() "
    "RETURN count(r) AS n",
)
CONSENTS = Cypher(
    "demo.pipeline.consents",
    "MATCH (x:Person) WHERE x.hasPurchasingPower = true "
    "MERGE (c:Consent {id: x.id + '/marketing'}) ON CREATE SET c.personId = x.id, "
    "c.purpose = 'MARKETING', c.granted = true, c.source = 'WRITTEN', "
    "c.note = '2025 展会登记表', c.at = $at, c.by = $actor "
    "RETURN count(c) AS n",
)


def _at(today: dt.date, days_ago: int) -> dt.datetime:
    day = today - dt.timedelta(days=days_ago)
    return dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _changes(
    deal_id: str,
    today: dt.date,
    first: str,
    path: list[tuple[str, int]],
    final: tuple[str, int] | None,
    loss: str | None = None,
) -> list[dict[str, Any]]:
    out = []
    stage = first
    for new, ago in path:
        at = _at(today, ago)
        out.append(
            {"id": f"{deal_id}/stage/{ago}", "field": "stage", "old": stage, "new": new, "at": at}
        )
        stage = new
    if final is not None:
        status, ago = final
        at = _at(today, ago)
        out.append(
            {"id": f"{deal_id}/status/{ago}", "field": "status", "old": "OPEN", "new": status,
             "at": at}
        )  # fmt: skip
        if loss is not None:
            out.append(
                {"id": f"{deal_id}/lostReason/{ago}", "field": "lostReason", "old": None,
                 "new": loss, "at": at}
            )  # fmt: skip
        if status == "WON":
            out.append(
                {"id": f"{deal_id}/stage/{ago}/closed", "field": "stage", "old": stage,
                 "new": "CLOSED", "at": at}
            )  # fmt: skip
    return out


def rows(today: dt.date) -> list[dict[str, Any]]:
    out = []
    for key, deal in DEALS.items():
        name, kind, customer, lead, amount, age, path, final, close, override = deal
        deal_id = data.demo_id("project", key)
        stage = path[-1][0] if path else "LEAD"
        if final is not None and final[0] == "WON":
            stage = "CLOSED"
        props: dict[str, Any] = {
            "name": name,
            "stage": stage,
            "status": final[0] if final else "OPEN",
            "amount": amount,
            "currency": "CNY",
            "expectedClose": today + dt.timedelta(days=close),
        }
        if override is not None:
            props["winProbability"], props["winProbabilityReason"] = override
        loss = LOSSES.get(key)
        if loss is not None:
            props["lostReason"], props["lostNote"] = loss
        out.append(
            {
                "id": deal_id,
                "props": props,
                "createdAt": _at(today, age),
                "customer": data.demo_id(kind, customer),
                "lead": data.demo_id("user", lead),
                "changes": _changes(deal_id, today, "LEAD", path, final, loss[0] if loss else None),
            }
        )
    for key, (age, path) in EXISTING.items():
        deal_id = data.demo_id("project", key)
        out.append(
            {
                "id": deal_id,
                "props": {},
                "createdAt": _at(today, age),
                "customer": None,
                "lead": None,
                "changes": _changes(deal_id, today, "LEAD", path, None),
            }
        )
    return out


def participant_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": data.demo_id("participation", f"{who}:{deal}"),
            "person": data.demo_id("person", who),
            "project": data.demo_id("project", deal),
            "role": role,
            "stance": stance,
        }
        for who, deal, role, stance in PARTICIPANTS
    ]


async def load(tx: Tx, today: dt.date, actor: str) -> None:
    deals = rows(today)
    written = await tx.run(LOAD, {"rows": deals})
    if written[0]["n"] != len(deals):
        raise RuntimeError(f"demo pipeline: {written[0]['n']} of {len(deals)} written")
    parts = participant_rows()
    written = await tx.run(PARTICIPATE, {"rows": parts})
    if written[0]["n"] != len(parts):
        raise RuntimeError(f"demo participants: {written[0]['n']} of {len(parts)} written")
    await tx.run(CONSENTS, {"at": _at(today, 300), "actor": actor})
