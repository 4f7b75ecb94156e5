"""Pipeline and forecast (R24): opportunities (projects) through their stages, over time.

An opportunity is a `:Project`. Its stage, status, amount, expected close and win-probability
override are tracked fields (graph/history.py), so every change is a `FieldChange` with when,
from, to and by whom, written by the update statement itself. From those changes this module
rebuilds any opportunity as it stood at any moment (`as_of`), and from that the funnel, the
forecast and the forecast as it looked on an earlier date. The arithmetic is pure
(graph/funnel.py); the statements here only fetch.

Scope: an opportunity is *owned* by its team's LEAD (`ON_TEAM {role: 'LEAD'}`), or, without
one, by its customer's current owner (`OWNS`); a closed one by whoever that was when it closed
(its last LEAD, else the customer's owner at its last status change). A scope
narrows to an owner, a team (its members and the members of the teams below it), a customer
class (`CLASSIFIED_AS`), or a company group (the company and the companies under it,
`SUBSIDIARY_OF`), always within what the viewer may see.

Settings are data (`(:PipelineModel {id: 'default'})`, JSON): the win probability of each
open stage, how many days without an interaction make an opportunity stale, and the influence
at which an opposed person is a risk.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import Any, LiteralString, TypedDict

from graph import access, documents, funnel
from graph.access import TEAM_DEPTH
from graph.actor import Actor
from graph.cypher import current, hops
from graph.db import Cypher, Database, native
from graph.nodes import PROJECTION, Audit
from graph.refusal import Refusal
from graph.rows import NodeRow
from graph.vocab import ProjectStage

# Caps: opportunities one funnel or forecast reads, changes per opportunity, group depth.
MAX_OPPORTUNITIES = 50_000
MAX_CHANGES = 200
GROUP_DEPTH = 6
# The fields whose changes rebuild an opportunity at a past moment.
REPLAYED: tuple[LiteralString, ...] = (
    "stage",
    "status",
    "amount",
    "currency",
    "expectedClose",
    "winProbability",
    "lostReason",
)
# The order of the open stages; CLOSED is where WON and LOST end.
STAGES: tuple[ProjectStage, ...] = (
    ProjectStage.LEAD,
    ProjectStage.QUALIFIED,
    ProjectStage.PROPOSAL,
    ProjectStage.NEGOTIATION,
    ProjectStage.CLOSED,
)


@dataclass(frozen=True)
class Settings:
    """The pipeline model. Probabilities are 0..1 per open stage; WON counts 1, LOST 0."""

    stage_probability: dict[str, float] = field(
        default_factory=lambda: {
            ProjectStage.LEAD.value: 0.1,
            ProjectStage.QUALIFIED.value: 0.25,
            ProjectStage.PROPOSAL.value: 0.5,
            ProjectStage.NEGOTIATION.value: 0.75,
            ProjectStage.CLOSED.value: 0.9,
        }
    )
    # No interaction for this many days makes an open opportunity stale.
    stale_days: int = 30
    # An opposed person at or above this influence (0..1) is a risk.
    high_influence_at: float = 0.6

    def probability(self, stage: str | None, status: str | None, override: float | None) -> float:
        if status == "WON":
            return 1.0
        if status == "LOST":
            return 0.0
        if override is not None:
            return float(override)
        return self.stage_probability.get(stage or "", 0.0)


def settings_to_json(s: Settings) -> str:
    return json.dumps(
        {
            "stageProbability": s.stage_probability,
            "staleDays": s.stale_days,
            "highInfluenceAt": s.high_influence_at,
        },
        sort_keys=True,
    )


def settings_from_json(text: str | None) -> Settings:
    base = Settings()
    if not text:
        return base
    d = json.loads(text)
    return replace(
        base,
        stage_probability={**base.stage_probability, **d.get("stageProbability", {})},
        stale_days=int(d.get("staleDays", base.stale_days)),
        high_influence_at=float(d.get("highInfluenceAt", base.high_influence_at)),
    )


SETTINGS = documents.document("pipeline.settings", "PipelineModel", "settings")


async def settings(db: Database, actor: Actor) -> tuple[Settings, int]:
    """The pipeline settings (every signed-in role reads them) and their version (0: the
    defaults)."""
    body, version = await documents.load(db, SETTINGS, actor)
    return settings_from_json(body), version


async def save_settings(
    db: Database, s: Settings, expected_version: int | None, audit: Audit
) -> tuple[int | None, Refusal | None]:
    return await documents.save(db, SETTINGS, settings_to_json(s), expected_version, audit)


# --- Scope ------------------------------------------------------------------------------------
class ScopeParams(TypedDict):
    owner: str | None
    team: str | None
    customerClass: str | None
    group: str | None


# `p` as a NodeRow (graph.nodes.PROJECTION is written for `n`).
PROJECTION_P: LiteralString = "head([n IN [p] | " + PROJECTION + "])"
TEAM_HOPS: LiteralString = hops(0, TEAM_DEPTH)
GROUP_HOPS: LiteralString = hops(0, GROUP_DEPTH)

# `p`'s owner as `ownerId`: the team's LEAD, else the customer's current owner. A closed deal
# stays with whoever had it when it closed, after a hand-over too (graph/handover.py): its
# last LEAD, else the customer's owner at its last status change (or its creation).
OWNER_OF: LiteralString = (
    "coalesce(head([(p)<-[t:ON_TEAM {role: 'LEAD'}]-(l:User) WHERE " + current("t") + " | "
    "l.id]), "
    "CASE WHEN NOT coalesce(p.status, 'OPEN') IN ['OPEN', 'ON_HOLD'] THEN coalesce(head(COLLECT { "
    "MATCH (p)<-[lt:ON_TEAM {role: 'LEAD'}]-(ll:User) RETURN ll.id ORDER BY lt.until DESC }), "
    # The customer's owner at the instant of the last status change, from its owner history
    # (graph/history.py): the last change before it, else the first one after it was from.
    # Instants, not the OWNS edges' dates: a deal closed in the morning of a hand-over's day
    # stays with the departed rep.
    # A deal entered already closed has no status change: its creation is when it closed
    # (tester AS: a hand-over moved such deals into the successor's figures).
    "head(COLLECT { OPTIONAL MATCH (sc:FieldChange {targetId: p.id, field: 'status'}) "
    "WITH c, p, max(sc.at) AS changed WITH c, coalesce(changed, p.createdAt) AS closed "
    "OPTIONAL MATCH (oc:FieldChange {targetId: c.id, field: 'owner'}) "
    "WITH closed, oc ORDER BY oc.at, oc.id "
    "WITH closed, collect(oc) AS changes "
    "WITH [x IN changes WHERE x.at <= closed] AS before, "
    "[x IN changes WHERE x.at > closed] AS after "
    "RETURN CASE WHEN size(before) > 0 THEN last(before).new "
    "WHEN size(after) > 0 THEN head(after).old END AS was })) "
    "END, "
    "head([(c)<-[o:OWNS]-(ou:User) WHERE o.until IS NULL OR o.until > date() | ou.id]))"
)
# Binds `p` (visible project), `c` (its customer) and `ownerId`, narrowed by `$within`.
SCOPED: LiteralString = (
    "MATCH (p:Project) WHERE p.archivedAt IS NULL AND " + access.visible_as("p", "Project") + " "
    "OPTIONAL MATCH (p)-[:FOR]->(c) "
    "WITH p, c, " + OWNER_OF + " AS ownerId "
    "WHERE ($within.owner IS NULL OR ownerId = $within.owner) "
    "AND ($within.team IS NULL OR ownerId IN COLLECT { "
    "MATCH (st:Team {id: $within.team})<-[:PART_OF" + TEAM_HOPS + "]-(sd:Team) "
    "MATCH (su:User) WHERE su.team = sd.code RETURN su.id }) "
    "AND ($within.customerClass IS NULL OR EXISTS { "
    "MATCH (c)-[:CLASSIFIED_AS]->(:CustomerClass {id: $within.customerClass}) }) "
    # Through current links and companies the viewer sees, as groupHierarchy draws a group.
    "AND ($within.group IS NULL OR EXISTS { MATCH gp = (c)-[gs:SUBSIDIARY_OF" + GROUP_HOPS
    + "]->(:Company {id: $within.group}) WHERE all(r IN gs WHERE " + current("r") + ") "
    "AND all(gx IN nodes(gp) WHERE " + access.visible_as("gx", "Company") + ") }) "
)  # fmt: skip


def scope_params(
    owner: str | None = None,
    team: str | None = None,
    customer_class: str | None = None,
    group: str | None = None,
) -> ScopeParams:
    return {"owner": owner, "team": team, "customerClass": customer_class, "group": group}


# --- Funnel and forecast: one fetch of the scope's opportunities with their changes -----------
class OpportunityRows(TypedDict):
    opportunities: list[funnel.Opportunity]
    truncated: bool


OPPORTUNITIES = Cypher(
    "pipeline.opportunities",
    SCOPED + "AND p.createdAt < $before "
    "WITH p, c, ownerId LIMIT $cap "
    # Moments travel as epoch milliseconds: the driver's DateTime objects cost more to build
    # in Python than the whole statement costs the server (a funnel reads every deal).
    "RETURN p.id AS id, p.name AS name, p.createdAt.epochMillis AS createdAt, ownerId, "
    "c.id AS customerId, p{.stage, .status, .amount, .currency, .expectedClose, "
    ".winProbability, .lostReason} AS current, "
    # Seeks field_change_target_id (migrations/V0011): one index look-up per deal.
    "COLLECT { MATCH (fc:FieldChange {targetId: p.id}) WHERE fc.field IN $fields "
    "RETURN fc{.field, .old, .new, at: fc.at.epochMillis} AS change ORDER BY fc.at, fc.id "
    "LIMIT " + str(MAX_CHANGES) + " } AS changes",
)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def instant(ms: int) -> dt.datetime:
    """An epoch-milliseconds moment as an aware UTC datetime (exact: no float)."""
    return EPOCH + dt.timedelta(milliseconds=ms)


def opportunity(row: dict[str, Any]) -> funnel.Opportunity:
    changes = [
        funnel.Change(c["field"], native(c.get("old")), native(c.get("new")), instant(c["at"]))
        for c in row["changes"]
    ]
    return funnel.Opportunity(
        id=row["id"],
        name=row["name"],
        created=instant(row["createdAt"]),
        current={k: native(v) for k, v in row["current"].items()},
        changes=changes,
        owner_id=row["ownerId"],
        customer_id=row["customerId"],
    )


async def opportunities(
    db: Database, actor: Actor, scope: ScopeParams, until: dt.datetime
) -> OpportunityRows:
    """The scope's opportunities created before `until`, with their replayable changes."""
    rows = await db.read(
        OPPORTUNITIES,
        {
            "within": scope,
            "before": until,
            "fields": list(REPLAYED),
            "cap": MAX_OPPORTUNITIES + 1,
            "acl": access.acl_params(actor),
        },
    )
    return {
        "opportunities": [opportunity(r) for r in rows[:MAX_OPPORTUNITIES]],
        "truncated": len(rows) > MAX_OPPORTUNITIES,
    }


# --- Risk: the facts behind each open opportunity's flags --------------------------------------
MAX_PARTICIPANTS = 50
MAX_AT_RISK_SCAN = 5_000
_INFLUENCE: LiteralString = (
    "(x)-[i:INFLUENCES]->(y:Person)-[yp:PARTICIPATES_IN]->(p) WHERE " + current("i") + " AND "
    + current("yp") + " AND (i.projectId IS NULL OR i.projectId = p.id)"
)  # fmt: skip
# For `p` (open, visible) and its customer `c`: the dates and the deal's people.
RISK_FACTS: LiteralString = (
    "RETURN " + PROJECTION_P + " AS project, ownerId, c.id AS customerId, "
    "head(COLLECT { MATCH (r:Interaction)-[:IN_PROJECT]->(p) WHERE r.voidedAt IS NULL "
    "RETURN r.occurredAt AS at ORDER BY at DESC LIMIT 1 }) AS lastInProject, "
    # A customer-wide interaction counts for every deal; one in another deal does not.
    "head(COLLECT { MATCH (r:Interaction)-[:ABOUT]->(c) WHERE r.voidedAt IS NULL "
    "AND NOT EXISTS { MATCH (r)-[:IN_PROJECT]->(:Project) } "
    "RETURN r.occurredAt AS at ORDER BY at DESC LIMIT 1 }) AS lastWithCustomer, "
    "COLLECT { MATCH (x:Person)-[pi:PARTICIPATES_IN]->(p) WHERE " + current("pi") + " "
    "AND x.archivedAt IS NULL AND " + access.visible_as("x", "Person") + " "
    "RETURN {id: x.id, role: pi.role, stance: pi.stance, "
    "known: EXISTS { MATCH (:User)-[k:KNOWS]->(x) WHERE " + current("k") + " }, "
    "influence: coalesce(head(COLLECT { MATCH " + _INFLUENCE + " RETURN i.strength AS s "
    "ORDER BY s DESC LIMIT 1 }), 0.0), "
    "swaysDecisionMaker: EXISTS { MATCH " + _INFLUENCE + " AND yp.role = 'DECISION_MAKER' }"
    "} AS part ORDER BY x.id LIMIT " + str(MAX_PARTICIPANTS) + " } AS participants"
)  # fmt: skip
AT_RISK = Cypher(
    "pipeline.at_risk",
    SCOPED + "AND coalesce(p.status, 'OPEN') = 'OPEN' WITH p, c, ownerId LIMIT $cap " + RISK_FACTS,
)
RISK_OF = Cypher(
    "pipeline.risk_of",
    "UNWIND $ids AS pid MATCH (p:Project {id: pid}) WHERE coalesce(p.status, 'OPEN') = 'OPEN' "
    "AND "
    + access.visible_as("p", "Project") + " "
    "OPTIONAL MATCH (p)-[:FOR]->(c) WITH p, c, " + OWNER_OF + " AS ownerId " + RISK_FACTS,
)  # fmt: skip


class RiskRow(TypedDict):
    project: NodeRow
    ownerId: str | None
    customerId: str | None
    flags: list[funnel.Flag]
    score: int


def _participant(x: dict[str, Any]) -> funnel.Participant:
    return funnel.Participant(
        id=x["id"],
        role=x["role"],
        stance=x["stance"],
        known_by_staff=bool(x["known"]),
        influence=float(x["influence"] or 0.0),
        sways_decision_maker=bool(x["swaysDecisionMaker"]),
    )


def _risk(row: dict[str, Any], s: Settings, today: dt.date) -> RiskRow:
    project: NodeRow = row["project"]
    seen = [native(x) for x in (row["lastInProject"], row["lastWithCustomer"]) if x is not None]
    last = max(seen).date() if seen else None
    created = native(project.get("createdAt"))
    close = native(project.get("expectedClose"))
    flags = funnel.risk_flags(
        today=today,
        created=created.date() if created else today,
        expected_close=close,
        last_interaction=last,
        participants=[_participant(x) for x in row["participants"]],
        stale_days=s.stale_days,
        high_influence_at=s.high_influence_at,
    )
    return {
        "project": project,
        "ownerId": row["ownerId"],
        "customerId": row["customerId"],
        "flags": flags,
        "score": funnel.score([f.flag for f in flags]),
    }


def _riskiest(r: RiskRow) -> tuple[int, float, str]:
    amount: Any = r["project"].get("amount")
    return (-r["score"], -float(amount or 0), r["project"]["id"])


async def at_risk(
    db: Database, actor: Actor, scope: ScopeParams, s: Settings, today: dt.date
) -> tuple[list[RiskRow], bool]:
    """Every open opportunity in scope with at least one flag, riskiest first (score, then
    amount, then id); true when the scan hit its cap."""
    rows = await db.read(
        AT_RISK,
        {"within": scope, "cap": MAX_AT_RISK_SCAN + 1, "acl": access.acl_params(actor)},
    )
    out = [_risk(r, s, today) for r in rows[:MAX_AT_RISK_SCAN]]
    out = [r for r in out if r["flags"]]
    out.sort(key=_riskiest)
    return out, len(rows) > MAX_AT_RISK_SCAN


async def risk_of(
    db: Database, actor: Actor, ids: list[str], s: Settings, today: dt.date
) -> dict[str, RiskRow]:
    """The flags of these opportunities (open and visible ones; others are absent)."""
    rows = await db.read(RISK_OF, {"ids": ids, "acl": access.acl_params(actor)})
    return {r["project"]["id"]: _risk(r, s, today) for r in rows}


MAX_OPEN_PER_ACCOUNT = 50
OPEN_PROJECTS = Cypher(
    "pipeline.open_projects",
    "MATCH (c:Customer {id: $account})<-[:FOR]-(p:Project) WHERE p.archivedAt IS NULL "
    "AND coalesce(p.status, 'OPEN') IN ['OPEN', 'ON_HOLD'] AND "
    + access.visible_as("p", "Project") + " "
    "WITH p ORDER BY p.expectedClose, p.id LIMIT " + str(MAX_OPEN_PER_ACCOUNT) + " "
    "RETURN " + PROJECTION_P + " AS project",
)  # fmt: skip


async def open_projects(db: Database, actor: Actor, customer: str) -> list[NodeRow]:
    """A customer's open and on-hold opportunities the viewer sees, soonest close first."""
    rows = await db.read(OPEN_PROJECTS, {"account": customer, "acl": access.acl_params(actor)})
    return [r["project"] for r in rows]
