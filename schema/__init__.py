"""Assembles the GraphQL schema from the per-domain modules; nothing else lives here."""

from __future__ import annotations

from functools import partial
from typing import Any

from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from resolvers.masking import Guards
from schema import (
    apikey,
    classification,
    company,
    connections,
    crosssell,
    customfields,
    decision,
    duplicates,
    history,
    influence,
    intelligence,
    knowledge,
    maps,
    merge,
    node,
    outreach,
    person,
    pipeline,
    plans,
    privacy,
    project,
    records,
    related,
    relationship,
    review,
    search,
    share,
    system,
    team,
    user,
    verification,
)
from schema.base import SCALAR_MAP
from schema.cost import describe_costs
from schema.execution import FlatObjectExecutionContext, default_resolver
from schema.extensions import (
    ErrorShaping,
    ParseMemo,
    ValidationMemo,
    WithoutStrawberryLogging,
    validation_rules,
)
from schema.fieldrules import install as install_field_rules
from schema.limits import Limits

QUERIES: tuple[type, ...] = (
    system.Query,
    node.Query,
    company.Query,
    person.Query,
    project.Query,
    user.Query,
    team.Query,
    connections.Query,
    search.Query,
    maps.Query,
    decision.Query,
    related.Query,
    influence.Query,
    relationship.Query,
    apikey.Query,
    review.Query,
    privacy.Query,
    records.Query,
    history.Query,
    customfields.Query,
    intelligence.Query,
    crosssell.Query,
    classification.Query,
    pipeline.Query,
    plans.Query,
    knowledge.Query,
    outreach.Query,
    verification.Query,
    duplicates.Query,
)
MUTATIONS: tuple[type, ...] = (
    company.Mutation,
    person.Mutation,
    project.Mutation,
    user.Mutation,
    team.Mutation,
    share.Mutation,
    relationship.Mutation,
    merge.Mutation,
    apikey.Mutation,
    review.Mutation,
    privacy.Mutation,
    records.Mutation,
    customfields.Mutation,
    intelligence.Mutation,
    classification.Mutation,
    pipeline.Mutation,
    plans.Mutation,
    knowledge.Mutation,
    outreach.Mutation,
    verification.Mutation,
    duplicates.Mutation,
)


def build_schema(
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 5000,
    *,
    dev: bool = True,
    limits: Limits | None = None,
    pseudonym_key: str = "",
) -> Any:
    """The schema. `dev` allows introspection; `limits` (else the three figures given) bound
    what one document may ask for (schema/limits.py). The field rules of
    resolvers/permissions.py are installed on its fields; `pseudonym_key` keys the stable
    pseudonyms anonymised views show (R22)."""
    limits = limits or Limits(max_depth=max_depth, max_aliases=max_aliases, max_tokens=max_tokens)
    query = merge_types("Query", QUERIES)
    get_object_definition(query, strict=True).description = (
        "Read access to the relationship graph. Lists are cursor connections with `first` "
        "capped at 100; maps and trees cost one Cypher round trip each. Each request's cost "
        "(every field 1, lists multiplied by their size, introspection 1 per field it "
        "answers) is computed before it runs, "
        "reported in `extensions.cost`, and refused over CRM_MAX_QUERY_COST "
        "(QUERY_TOO_COSTLY)."
    )
    mutation = None
    if MUTATIONS:
        mutation = merge_types("Mutation", MUTATIONS)
        get_object_definition(mutation, strict=True).description = (
            "Writes. Each takes one `input` and returns a payload whose `errors` list carries "
            "expected failures (nothing is written then). Every write is audited."
        )
    built = WithoutStrawberryLogging(
        query=query,
        mutation=mutation,
        # Implementations of interfaces no field names directly.
        types=records.RECORD_TYPES,
        config=StrawberryConfig(default_resolver=default_resolver, scalar_map=SCALAR_MAP),
        execution_context_class=FlatObjectExecutionContext,
        extensions=[
            # Token cap and extra validation rules live in these two rather than in
            # strawberry's stock extensions: fewer hooks per request.
            partial(ParseMemo, limits),
            partial(ValidationMemo, limits, validation_rules(dev), suggestions=dev),
            partial(ErrorShaping, suggestions=dev),
        ],
    )
    describe_costs(built._schema)
    install_field_rules(built._schema, Guards(pseudonym_key))
    return built
