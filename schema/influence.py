"""Influence ranking (R2, R3)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from resolvers import influence as r
from schema.base import Info
from schema.maps import AsOf, MapNode, arg, or_, with_data


@strawberry.type(description="A person's place in the influence ranking of a scope.")
class InfluenceRank:
    person: MapNode = strawberry.field(
        description="The person, with title and employer as of `asOf`; `influence` = score."
    )
    score: float = strawberry.field(
        description="Weighted PageRank, scaled so the top is 1. Rank flows from the influenced "
        "to the influencer with the INFLUENCES edge's stored strength (polarity aside), and "
        "from a report to the manager with a fixed weight (0.3 solid, 0.15 dotted line; not "
        "stored anywhere)."
    )
    betweenness: float = strawberry.field(
        description="Brokerage: normalised betweenness on the undirected influence graph "
        "(sampled, seeded, above 300 people)."
    )
    rank: int = strawberry.field(
        description="1 = most influential; people equal in score and betweenness (to 6 places) "
        "share a rank, and the next rank skips (1, 2, 2, 4)."
    )
    explanation: str = strawberry.field(
        description="Why, from the stored edges, each kind apart: whom the person "
        'influences with the stored strengths ("influences 2: 王芳 (0.8), 李娜 (0.6)"), '
        'negative influence likewise ("negative influence on 1: 马强 (0.9)"), whom they '
        'manage by solid and dotted reporting lines (no strength: "manages 1 directly: 王强"), '
        "and brokerage. At most 3 names per kind, strongest first."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="The most influential people in a scope: a company with its subsidiaries "
        f"({r.SCOPE_MAX_LEVELS} levels down; a group when given its parent), or a project "
        f"(participants and their direct influencers). Influence limited to a project "
        f"counts in that project's scope only. At most {r.SCOPE_MAX_PEOPLE} people "
        f"considered; first 1..{r.MAX_FIRST}; one Cypher round trip, networkx after.",
        graphql_type=list[InfluenceRank],
    )
    async def influenceRanking(
        self,
        info: Info,
        scope: Annotated[strawberry.ID, arg("A company (or group parent) or a project.")],
        first: Annotated[int | None, arg(f"Most people returned, 1..{r.MAX_FIRST}.")] = 20,
        asOf: AsOf = None,
    ) -> list[dict[str, Any]]:
        return await with_data(info, r.influence_ranking, scope, or_(first, 20), asOf)
