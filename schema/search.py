"""Name search over companies and people."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import search as r
from resolvers.shapes import SearchHitRow
from schema.base import Info, Node
from schema.maps import NodeKind


@strawberry.type(description="One search result.")
class SearchHit:
    id: strawberry.ID = strawberry.field(description="The node's id.")
    kind: NodeKind = strawberry.field(description="COMPANY or PERSON.")
    name: str = strawberry.field(description="The node's name.")
    nameEn: str | None = strawberry.field(description="The node's English name.")
    score: float = strawberry.field(
        description="Relevance; higher is better, and hits come in its order: a name typed "
        "whole (or spelled whole in pinyin, for Latin words apart) scores above the names "
        "that only hold the text. Comparable within one answer only."
    )
    node: Node = strawberry.field(description="The company or person itself.")


@strawberry.type
class Query:
    @strawberry.field(
        description="Full-text search of company and person names (name, nameEn, shortName) "
        "with a Chinese-aware index: `华为` finds 华为技术有限公司; Latin is case-insensitive "
        "and matches word prefixes; a single Chinese character matches names containing it. "
        "Latin letters also find Chinese names by their pinyin or its initials (`huaxing`, "
        "`hxjt` find 华星集团), after the hits of the names themselves. "
        "Archived records and records the viewer may not see are left out; a viewer who sees "
        "people anonymised (ANALYST) finds companies only. One round trip; two when text in "
        "Latin letters finds fewer than `first` names and pinyin is looked up too.",
        graphql_type=list[SearchHit],
    )
    async def search(
        self,
        info: Info,
        text: Annotated[
            str, strawberry.argument(description="What to look for, ≤ 200 characters.")
        ],
        first: Annotated[int, strawberry.argument(description="Number of hits, 1..50.")] = 10,
    ) -> list[SearchHitRow]:
        return await r.search(info.context, text, first)
