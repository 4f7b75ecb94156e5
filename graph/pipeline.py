"""Pipeline and forecast (R24): opportunities (projects) through their stages, over time.

An opportunity is a `:Project`. Its stage, status, amount, expected close and win-probability
override are tracked fields (graph/history.py), so every change is a `FieldChange` with when,
from, to and by whom, written by the update statement itself. From those changes this module
rebuilds any opportunity as it stood at any moment (`as_of`), and from that the funnel, the
forecast and the forecast as it looked on an earlier date. The arithmetic is pure
(graph/funnel.py); the statements here only fetch.

Scope: an opportunity is *owned* by its team's LEAD (`ON_TEAM {role: 'LEAD'}`), or, without
one, by its customer's current owner (`OWNS`). A scope narrows to an owner, a team (its members
and the members of the teams below it), a customer class (`CLASSIFIED_AS`), or a company group
(the company and the companies under it, `SUBSIDIARY_OF`), always within what the viewer may
see.

Settings are data (`(:PipelineModel {id: 'default'})`, JSON): the win probability of each
open stage, how many days without an interaction make an opportunity stale, and the influence
at which an opposed person is a risk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import LiteralString, TypedDict

from graph import access
from graph.access import TEAM_DEPTH
from graph.actor import Actor
from graph.cypher import hops
from graph.db import Cypher, Database
from graph.nodes import AUDIT, Audit
from graph.refusal import Refusal
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


SETTINGS_LOAD = Cypher(
    "pipeline.settings.load",
    "OPTIONAL MATCH (m:PipelineModel {id: 'default'}) RETURN m.settings AS settings, "
    "m.version AS version",
)
SETTINGS_SAVE = Cypher(
    "pipeline.settings.save",
    "MERGE (n:PipelineModel {id: 'default'}) ON CREATE SET n.version = 0 "
    "WITH n WHERE $expectedVersion IS NULL OR n.version = $expectedVersion "
    "SET n.settings = $settings, n.version = n.version + 1, n.updatedAt = datetime(), "
    "n.updatedBy = $actor WITH n " + AUDIT + " RETURN n.version AS version",
)


async def settings(db: Database, actor: Actor) -> tuple[Settings, int]:
    """The pipeline settings (every signed-in role reads them) and their version (0: the
    defaults)."""
    rows = await db.read(SETTINGS_LOAD)
    return settings_from_json(rows[0]["settings"]), rows[0]["version"] or 0


async def save_settings(
    db: Database, s: Settings, expected_version: int | None, audit: Audit
) -> tuple[int | None, Refusal | None]:
    params = {
        "settings": settings_to_json(s),
        "expectedVersion": expected_version,
        **audit.params("default", "PipelineModel", ["settings"]),
    }
    rows = await db.write(SETTINGS_SAVE, params)
    if not rows:
        return None, Refusal.CONFLICT
    return rows[0]["version"], None


# --- Scope ------------------------------------------------------------------------------------
class ScopeParams(TypedDict):
    owner: str | None
    team: str | None
    customerClass: str | None
    group: str | None


TEAM_HOPS: LiteralString = hops(0, TEAM_DEPTH)
GROUP_HOPS: LiteralString = hops(0, GROUP_DEPTH)

# `p`'s owner as `ownerId`: the team's LEAD, else the customer's current owner.
OWNER_OF: LiteralString = (
    "coalesce(head([(p)<-[t:ON_TEAM {role: 'LEAD'}]-(l:User) | l.id]), "
    "head([(c)<-[o:OWNS]-(ou:User) WHERE o.until IS NULL OR o.until > date() | ou.id]))"
)
# Binds `p` (visible project), `c` (its customer) and `ownerId`, narrowed by `$scope`.
SCOPED: LiteralString = (
    "MATCH (p:Project) WHERE p.archivedAt IS NULL AND " + access.visible_as("p", "Project") + " "
    "OPTIONAL MATCH (p)-[:FOR]->(c) "
    "WITH p, c, " + OWNER_OF + " AS ownerId "
    "WHERE ($scope.owner IS NULL OR ownerId = $scope.owner) "
    "AND ($scope.team IS NULL OR ownerId IN COLLECT { "
    "MATCH (st:Team {id: $scope.team})<-[:PART_OF" + TEAM_HOPS + "]-(sd:Team) "
    "MATCH (su:User) WHERE su.team = sd.code RETURN su.id }) "
    "AND ($scope.customerClass IS NULL OR EXISTS { "
    "MATCH (c)-[:CLASSIFIED_AS]->(:CustomerClass {id: $scope.customerClass}) }) "
    "AND ($scope.group IS NULL OR EXISTS { MATCH (c)-[:SUBSIDIARY_OF" + GROUP_HOPS
    + "]->(:Company {id: $scope.group}) }) "
)  # fmt: skip


def scope_params(
    owner: str | None = None,
    team: str | None = None,
    customer_class: str | None = None,
    group: str | None = None,
) -> ScopeParams:
    return {"owner": owner, "team": team, "customerClass": customer_class, "group": group}
