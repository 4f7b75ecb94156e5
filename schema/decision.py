"""Project decision tree (R3)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from resolvers import decision as r
from schema.base import Info
from schema.maps import AsOf, GraphMap, Layout, MapLayout, arg, mode, with_data
from schema.relationship import StanceHistoryEntry


@strawberry.type(
    description="A KNOWS tie from one of our staff to someone in the decision tree, with its "
    "stored strength."
)
class StaffTie:
    userId: strawberry.ID = strawberry.field(description="Our staff member (User id).")
    userName: str = strawberry.field(description="The staff member's name.")
    personId: strawberry.ID = strawberry.field(description="Whom they know (a node of `map`).")
    strength: float | None = strawberry.field(
        description="The KNOWS edge's stored strength, 0..1; null when none was recorded."
    )
    decisionMaker: bool = strawberry.field(
        description="Whether `personId` is one of the tree's decision makers (`roots`)."
    )


@strawberry.type(description="Who decides a project, who sways them, and where we are exposed.")
class DecisionTree:
    map: GraphMap = strawberry.field(
        description="Participants and hidden influencers (nodes, in tree order: a node's "
        "children are those who influence or report to it; project-scoped influence first), "
        "and the influence and reporting edges between them. A node's `depth` is its level "
        "below a decision maker (0 = one of `roots`); null for people no decision maker's tree "
        f"reaches, who come last, in trees of their own. At most {r.MAX_PARTICIPANTS} "
        f"participants and {r.MAX_HIDDEN} hidden influencers."
    )
    roots: list[strawberry.ID] = strawberry.field(
        description="Decision makers (role DECISION_MAKER): the tree's roots."
    )
    uncoveredRoles: list[str] = strawberry.field(
        description="The roles a deal needs that nobody fills, of "
        + ", ".join(x.value for x in r.KEY_ROLES)
        + ". INFLUENCER, GATEKEEPER and BLOCKER are never listed: a deal does not need them. "
        "As the viewer sees the tree: a role filled only by someone hidden from them is listed "
        "(hidden means missing; ask the account's owner)."
    )
    riskyOpponents: list[strawberry.ID] = strawberry.field(
        description=f"Opponents with influence >= {r.RISKY_INFLUENCE}, a decision-maker or "
        "economic-buyer role, or an influence edge onto a decision maker."
    )
    unconnectedDecisionMakers: list[strawberry.ID] = strawberry.field(
        description="Decision makers no one on our staff can reach through the tree: nobody "
        "KNOWS them or anyone linked to them through the tree's edges."
    )
    decisionMakersNobodyKnows: list[strawberry.ID] = strawberry.field(
        description="Decision makers no one on our staff KNOWS directly (valid on `asOf`), "
        "whether or not they can be reached through others (see "
        "`unconnectedDecisionMakers` and warmIntroPaths). Subset of `roots`."
    )
    staffTies: list[StaffTie] = strawberry.field(
        description="Who on our staff KNOWS whom in the tree and how strongly (valid on "
        "`asOf`): decision makers first, then by person name, strongest first. At most "
        f"{r.MAX_STAFF_TIES}."
    )
    stanceHistory: list[StanceHistoryEntry] = strawberry.field(
        description="Stance changes on this project, oldest first (at most 500); the same "
        "type as the `stanceHistory` query."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="The decision tree of a project (R3), rooted at its decision maker(s), with "
        "hidden influencers (people who influence participants without taking part) and "
        "coverage checks. One Cypher round trip; influence by weighted PageRank (networkx). "
        "With `asOf`, the relationships are those valid that day; the stances and the "
        "project's own fields are today's (a past stance: `stanceHistory`).",
        graphql_type=DecisionTree,
    )
    async def decisionTree(
        self,
        info: Info,
        project: Annotated[strawberry.ID, arg("The project.")],
        asOf: AsOf = None,
        layout: MapLayout = Layout.HIERARCHY,
    ) -> dict[str, Any]:
        return await with_data(info, r.decision_tree, project, asOf, mode(layout, Layout.HIERARCHY))
