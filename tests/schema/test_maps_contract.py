"""The map types keep the names and shapes of docs/API-MAPS.md (the viewer codes against it)."""

from __future__ import annotations

import re

from graphql import GraphQLEnumType, GraphQLObjectType

from graph.vocab import Rel
from schema import build_schema
from settings import ROOT

CONTRACT_FIELDS = {
    "MapNode": "id kind name nameEn isCustomer tier lifecycleStage title department companyId "
    "depth role stance influence hidden x y data",
    "MapEdge": "id source target type since until kind strength polarity data",
    "GraphMap": "nodes edges truncated moreBeyondDepth cytoscape graphml",
    "GroupHierarchy": "map roots rollups",
    "SubtreeRollup": "companyId companies customers openProjectAmount",
    "DecisionTree": "map roots uncoveredRoles riskyOpponents unconnectedDecisionMakers "
    "decisionMakersNobodyKnows staffTies stanceHistory",
    "StanceHistoryEntry": "id projectId personId from to at by",
    "StaffTie": "userId userName personId strength decisionMaker",
    "RelatedAccount": "company score via paths",
    "RelPath": "nodes edges strength explanation",
    "IntroPath": "nodes edges strength explanation hops colleagueHops ranking",
    "IntroHop": "from to tie types strength explanation edgeIds",
    "InfluenceRank": "person score betweenness rank explanation",
}
CONTRACT_ARGS = {
    "accountMap": "center depth edgeKinds limit asOf layout",
    "groupHierarchy": "company asOf layout",
    "contactMap": "company includeSubsidiaries includeInfluence asOf limit layout",
    "decisionTree": "project asOf layout",
    "relatedAccounts": "company via maxHops first asOf wholeGroup",
    "path": "from to maxHops edgeKinds asOf",
    "warmIntroPaths": "target from maxHops first asOf",
    "influenceRanking": "scope first asOf",
}


def test_types_and_arguments_match_the_contract() -> None:
    s = build_schema()._schema
    for name, fields in CONTRACT_FIELDS.items():
        t = s.type_map[name]
        assert isinstance(t, GraphQLObjectType)
        assert set(fields.split()) <= set(t.fields), name
    query = s.query_type
    assert query is not None
    for name, args in CONTRACT_ARGS.items():
        assert set(query.fields[name].args) == set(args.split()), name


def test_edge_type_is_the_closed_vocabulary() -> None:
    t = build_schema()._schema.type_map["EdgeType"]
    assert isinstance(t, GraphQLEnumType)
    assert set(t.values) == {r.value for r in Rel}
    # The document the viewer codes against lists the same (tester BJ: REFERRED was missing).
    doc = (ROOT / "docs" / "API-MAPS.md").read_text(encoding="utf-8")
    listed = re.search(r"enum EdgeType \{([^}]*)\}", doc)
    assert listed is not None
    assert set(listed.group(1).split()) == {r.value for r in Rel}
    layout = build_schema()._schema.type_map["Layout"]
    assert isinstance(layout, GraphQLEnumType)
    assert set(layout.values) == {"NONE", "FORCE", "HIERARCHY"}
