"""Project decision tree (R3)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import decision as r
from resolvers.args import selects_any
from schema.base import Info
from schema.maps import AS_OF, LAYOUT, GraphMap, Layout, arg, mode


@strawberry.type(description="One recorded change of a participant's stance on the project.")
class StanceChange:
    personId: strawberry.ID = strawberry.field(description="Whose stance changed.")
    from_: str | None = strawberry.field(name="from", description="Stance before; null at first.")
    to: str = strawberry.field(description="Stance after (Stance).")
    at: dt.datetime = strawberry.field(description="When it changed.")
    by: str = strawberry.field(description="Who recorded it (a user id or actor).")


@strawberry.type(description="Who decides a project, who sways them, and where we are exposed.")
class DecisionTree:
    map: GraphMap = strawberry.field(
        description="Participants and hidden influencers (nodes, in tree order: a node's "
        "children are those who influence or report to it; project-scoped influence first), "
        f"and the influence and reporting edges between them. At most {r.MAX_PARTICIPANTS} "
        f"participants and {r.MAX_HIDDEN} hidden influencers."
    )
    roots: list[strawberry.ID] = strawberry.field(
        description="Decision makers (role DECISION_MAKER): the tree's roots."
    )
    uncoveredRoles: list[str] = strawberry.field(
        description="Key roles nobody fills: " + ", ".join(x.value for x in r.KEY_ROLES) + "."
    )
    riskyOpponents: list[strawberry.ID] = strawberry.field(
        description=f"Opponents with influence >= {r.RISKY_INFLUENCE}, a decision-maker or "
        "economic-buyer role, or an influence edge onto a decision maker."
    )
    unconnectedDecisionMakers: list[strawberry.ID] = strawberry.field(
        description="Decision makers no one on our staff can reach: nobody KNOWS them or "
        "anyone linked to them through the tree's edges."
    )
    stanceHistory: list[StanceChange] = strawberry.field(
        description="Stance changes on this project, oldest first (at most 500)."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="The decision tree of a project (R3), rooted at its decision maker(s), with "
        "hidden influencers (people who influence participants without taking part) and "
        "coverage checks. One Cypher round trip; influence by weighted PageRank (networkx).",
        graphql_type=DecisionTree,
    )
    async def decisionTree(
        self,
        info: Info,
        project: Annotated[strawberry.ID, arg("The project.")],
        asOf: Annotated[dt.date | None, arg(AS_OF)] = None,
        layout: Annotated[Layout | None, arg(LAYOUT)] = Layout.HIERARCHY,
    ) -> dict[str, Any]:
        return await r.decision_tree(
            info.context,
            project,
            asOf,
            mode(layout, Layout.HIERARCHY),
            with_data=selects_any(info.selected_fields),
        )
