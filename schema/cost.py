"""What an operation may cost, computed from the document and its variables before it runs.

Every selected field costs 1 unless `COSTS` says otherwise. A field listed there may add its
own weight (`cost`: the Cypher round trip behind a map) and multiply what it selects by the
size of the list it returns: an argument (`first`, `limit`, a list of ids), capped at the
largest value the resolver accepts, or a fixed cap for lists whose size is bounded in code
(a whole group hierarchy). So

    cost(field) = own cost + multiplier × Σ cost(selected subfields)

and the operation's cost is the sum over its root fields: aliased maps add up. Every field that
returns a list is priced so (tests/schema/test_cost.py walks the schema), else nesting under
it would multiply nothing. The figure saturates at MAX_FIGURE (2^53 - 1). An argument
given as a variable is read from the request's variables; an argument left out takes its
schema default. Fragments are walked once each and memoised (a fragment's cost does not
depend on where it is spread), so the computation is linear in the document, whatever its
fragments expand to.

Introspection (`__schema`, `__type`) costs what it answers: one per field of the result,
counted on the schema itself, so a client's one introspection query runs and thirty aliased
copies of it do not. The count is memoised per (selection, schema element) and stops past
the budget, so pricing a hostile document stays cheap.

An operation over the budget (CRM_MAX_QUERY_COST) is refused with `QUERY_TOO_COSTLY`,
`extensions.cost` and `extensions.budget`, before validation and before any Cypher runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import pycountry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_wrapping_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined
from graphql.type.definition import GraphQLInterfaceType

from resolvers import (
    args,
    classification,
    crosssell,
    customfields,
    decision,
    duplicates,
    influence,
    intelligence,
    maps,
    node,
    outreach,
    pipeline,
    privacy,
    records,
    related,
    relationship,
    search,
    verification,
    vocab,
)
from resolvers.errors import ErrorCode
from schema.limits import ByteBoundedLRU, FragmentMemo, split_definitions

QUERY_TOO_COSTLY = ErrorCode.QUERY_TOO_COSTLY.value
# Costs saturate here: nested lists multiply fast (11 levels of subsidiaries: 2 × 10^22), and
# `extensions.cost` must stay an integer JSON (and a JavaScript client) holds exactly.
MAX_FIGURE = 2**53 - 1


@dataclass(frozen=True)
class FieldCost:
    """How one field is priced: its own `cost`, and what multiplies its subfields: the
    product of `multipliers` (argument name -> the largest value accepted), or `size`, or,
    when an argument of `narrow` is given, the size named with it (one kind of many)."""

    cost: int = 1
    multipliers: tuple[tuple[str, int], ...] = ()
    size: int = 1
    narrow: tuple[tuple[str, int], ...] = ()

    def describe(self) -> str:
        factors = [f"`{name}` (≤ {cap})" for name, cap in self.multipliers]
        if self.size > 1:
            narrowed = "".join(f", {size} with `{name}`" for name, size in self.narrow)
            factors.append(f"{self.size}" + (f" (all{narrowed})" if narrowed else ""))
        if not factors:
            return f"{self.cost} + its subfields"
        return f"{self.cost} + {' × '.join(factors)} × its subfields"


PAGE = (("first", args.MAX_PAGE),)
MAP = 20  # a map, tree or ranking: one traversal round trip, however few fields it selects

# Caps that live in graph/ statements, which schema/ never imports (docs/DECISIONS.md): stated
# here, and tests/schema/test_cost.py holds each to its graph/ constant.
API_KEYS = 100  # graph/apikey.py MAX_KEYS_PER_USER
SHARES = 100  # graph/share.py MAX_ITEMS
REQUEST_EVENTS = 100  # graph/nodes.py MAX_REQUEST_EVENTS
ENUM_LABEL_ROWS = 300  # schema/base.py enum_labels_table(): at most this many values
TEAM_CHILDREN = 100  # graph/team.py MAX_ITEMS
PENDING_CHANGES = 20  # graph/review.py MAX_PENDING_PER_NODE
CONSENTS = 200  # graph/privacy.py CONSENT_HISTORY
CONDITIONS = 20  # graph/classification.py MAX_CONDITIONS
RULES_PER_DIMENSION = 500  # graph/classification.py MAX_RULES
CUSTOM_FIELDS = 200  # graph/customfields.py MAX_PER_KIND: definitions of one kind
MISFITS = 20  # graph/customfields.py MAX_MISFITS
RECORD_CONTACTS = 20  # graph/records.py MAX_CONTACTS
RECORD_STAFF = 10  # graph/records.py MAX_STAFF
ORDER_LINES = 100  # graph/records.py MAX_LINES (what a save accepts)
PURCHASE_WINDOWS = 4  # graph/records.py WINDOWS
CHANNELS_PER_LABEL = 3  # graph/vocab.py CHANNELS: a Company's channels, a Person's
VERIFICATION_RULES = 6  # graph/vocab.py CHANNELS: one rule per label and channel
SIGNAL_NAMES = 5  # graph/intelligence.py EXTRACT: `LIMIT 5` contacts who left, incumbents
FORECAST_MONTHS = 36  # graph/funnel.py MAX_MONTHS
DEAL_PEOPLE = 50  # graph/pipeline.py MAX_PARTICIPANTS: the people a risk flag may name
OPEN_DEALS = 50  # graph/pipeline.py MAX_OPEN_PER_ACCOUNT: a hand-over brief's deals
HAND_OVER_ACCOUNTS = 2_000  # graph/handover.py MAX_ACCOUNTS
HAND_OVER_PROJECTS = 2_000  # graph/handover.py MAX_PROJECTS (open ones; closed ones apart)
HAND_OVER_FOLLOW_UPS = 5_000  # graph/handover.py MAX_FOLLOW_UPS
KEY_PEOPLE = 20  # graph/handover.py MAX_KEY_PEOPLE
PLAN_ROWS = 500  # graph/plans.py MAX_ROWS
PLANS_SAVED = 500  # graph/plans.py MAX_SAVE
COMPANY_RECIPIENTS = 20  # graph/outreach.py MAX_PER_COMPANY
TEMPLATES = 500  # graph/outreach.py MAX_TEMPLATES
AUDIENCES = 100  # graph/outreach.py MAX_AUDIENCES
MERGED_TYPES = 22  # graph/merge.py MOVED_TYPES: the relationship types a merge moves, at most
PATHS_PER_QUERY = 10  # graph/related.py PATHS_PER_QUERY
# Fixed in resolvers/pipeline.py `brief`: the open follow-ups and latest interactions it reads.
BRIEF_FOLLOW_UPS = 20
BRIEF_INTERACTIONS = 5

CURRENCIES = len(pycountry.currencies)  # the ISO 4217 codes a currency argument accepts
# A change request holds the fields of one update: a Company's or Person's own (under 50, the
# tests check) and its custom fields.
CHANGE_FIELDS = 50 + CUSTOM_FIELDS
# A path's edges (its nodes: one more): `path` walks up to MAX_HOPS_PATH of them,
# `relatedAccounts` up to GROUP_HOPS (a whole group's hierarchy).
PATH_EDGES = max(related.MAX_HOPS_PATH, related.GROUP_HOPS)
# Unbounded in code, priced by a documented size: the groups of a data-quality report (one per
# owner, team or source of at most 50,000 customers), a key person's roles in the account's
# open deals, and the staff who know a key person.
QUALITY_GROUPS = 1_000
# A customer's figures and preferences have a row per currency it bought in: any of CURRENCIES
# (178), which no customer comes near, and at that size a page of customers with their figures
# (bench W11) would be refused. Priced as 10.
CURRENCIES_BOUGHT = 10
KEY_PERSON_ROLES = OPEN_DEALS
KEY_PERSON_TIES = 100

# The customer-record interface and its types: each prices its own fields.
RECORD_TYPES = (
    "CustomerRecord",
    "Interaction",
    "Order",
    "Payment",
    "Delivery",
    "ServiceCase",
    "Survey",
    "Contract",
    "VisitPlan",
    "MarketingActivity",
)

# One entry per field that is not a plain, single-valued field. Keyed by (type, field). Every
# field returning a list is here, or tests/schema/test_cost.py says why it need not be.
COSTS: dict[tuple[str, str], FieldCost] = {
    ("Query", "node"): FieldCost(2),
    ("Query", "nodes"): FieldCost(2, (("ids", node.MAX_IDS),)),
    ("Query", "auditTrail"): FieldCost(2, PAGE),
    ("Query", "writesOfRequest"): FieldCost(2, size=REQUEST_EVENTS),
    ("Query", "fieldHistory"): FieldCost(3, PAGE),
    ("Query", "customFieldDefinitions"): FieldCost(
        2, size=CUSTOM_FIELDS * len(customfields.KIND_OF_LABEL), narrow=(("kind", CUSTOM_FIELDS),)
    ),
    ("Query", "companies"): FieldCost(5, PAGE),
    ("Query", "people"): FieldCost(5, PAGE),
    ("Query", "projects"): FieldCost(5, PAGE),
    ("Query", "customers"): FieldCost(5, PAGE),
    ("Query", "search"): FieldCost(5, (("first", search.MAX_HITS),)),
    ("Query", "accountMap"): FieldCost(MAP, (("limit", maps.MAX_LIMIT),)),
    ("Query", "groupHierarchy"): FieldCost(MAP, size=maps.GROUP_MAX_COMPANIES),
    ("Query", "contactMap"): FieldCost(MAP, (("limit", maps.MAX_LIMIT),)),
    ("Query", "decisionTree"): FieldCost(MAP, size=decision.MAX_PARTICIPANTS),
    # The tree's subfields count MAX_PARTICIPANTS times already; its staff ties run to more.
    ("DecisionTree", "staffTies"): FieldCost(
        size=-(-decision.MAX_STAFF_TIES // decision.MAX_PARTICIPANTS)
    ),
    ("Query", "relatedAccounts"): FieldCost(MAP, (("first", related.MAX_FIRST),)),
    ("RelatedAccount", "paths"): FieldCost(size=related.PATHS_SHOWN),
    ("Query", "path"): FieldCost(MAP, size=PATHS_PER_QUERY),
    ("RelPath", "nodes"): FieldCost(size=PATH_EDGES + 1),
    ("RelPath", "edges"): FieldCost(size=PATH_EDGES),
    ("Query", "warmIntroPaths"): FieldCost(
        MAP, (("first", related.MAX_FIRST), ("maxHops", related.MAX_HOPS_PATH))
    ),
    ("Query", "influenceRanking"): FieldCost(MAP, (("first", influence.MAX_FIRST),)),
    ("Query", "stanceHistory"): FieldCost(2, (("first", relationship.HISTORY_MAX),)),
    ("Query", "apiKeys"): FieldCost(2, size=API_KEYS),
    ("Query", "enumLabels"): FieldCost(size=ENUM_LABEL_ROWS),
    # Companies and people: their lists, one round trip per request each.
    ("Company", "contacts"): FieldCost(2, PAGE),
    ("Company", "parents"): FieldCost(2, PAGE),
    ("Company", "subsidiaries"): FieldCost(2, PAGE),
    ("Company", "shares"): FieldCost(2, size=SHARES),
    ("Person", "shares"): FieldCost(2, size=SHARES),
    ("Company", "pendingChanges"): FieldCost(2, size=PENDING_CHANGES),
    ("Person", "pendingChanges"): FieldCost(2, size=PENDING_CHANGES),
    ("Company", "classes"): FieldCost(2, size=len(vocab.Dimension)),
    ("Person", "classes"): FieldCost(2, size=len(vocab.Dimension)),
    ("Company", "channels"): FieldCost(2, size=CHANNELS_PER_LABEL),
    ("Person", "channels"): FieldCost(2, size=CHANNELS_PER_LABEL),
    ("Person", "consents"): FieldCost(2, size=CONSENTS),
    ("Query", "peopleByIdNumber"): FieldCost(2, size=privacy.MAX_MATCHES),
    # Change requests (R20).
    ("Query", "changeRequests"): FieldCost(5, PAGE),
    ("ChangeRequest", "changes"): FieldCost(size=CHANGE_FIELDS),
    # Customer records: timelines, follow-ups, the catalogue, team knowledge.
    ("Query", "timeline"): FieldCost(5, PAGE),
    ("Query", "followUps"): FieldCost(5, PAGE),
    ("Query", "products"): FieldCost(5, PAGE),
    ("Query", "knowledgeSearch"): FieldCost(5, PAGE),
    **{(kind, "contacts"): FieldCost(size=RECORD_CONTACTS) for kind in RECORD_TYPES},
    **{(kind, "staff"): FieldCost(size=RECORD_STAFF) for kind in RECORD_TYPES},
    ("Order", "lines"): FieldCost(size=ORDER_LINES),
    ("Survey", "answers"): FieldCost(size=records.SURVEY_ANSWERS),
    ("CustomerFigures", "purchases"): FieldCost(size=CURRENCIES_BOUGHT),
    ("PurchaseFigures", "windows"): FieldCost(size=PURCHASE_WINDOWS),
    # Customer intelligence: scores, churn, lifecycle.
    ("Query", "scoreHistory"): FieldCost(2, PAGE),
    ("Query", "lifecycleHistory"): FieldCost(2, (("first", intelligence.MAX_STAGE_HISTORY),)),
    ("Query", "churnWarnings"): FieldCost(5, PAGE),
    ("Query", "scoringRuns"): FieldCost(2, PAGE),
    ("CustomerIntelligence", "factors"): FieldCost(size=len(intelligence.Factor)),
    ("CustomerIntelligence", "churnSignals"): FieldCost(size=len(intelligence.ChurnReason)),
    ("ScoreSnapshot", "factors"): FieldCost(size=len(intelligence.Factor)),
    ("ScoreSnapshot", "churnSignals"): FieldCost(size=len(intelligence.ChurnReason)),
    ("ChurnSignal", "people"): FieldCost(size=SIGNAL_NAMES),
    ("ChurnSignal", "companies"): FieldCost(size=SIGNAL_NAMES),
    # Per stage or reason, and a row for records that name none.
    ("ChurnAnalysis", "lostByStage"): FieldCost(size=len(vocab.LifecycleStage) + 1),
    ("ChurnAnalysis", "lostByReason"): FieldCost(size=len(vocab.LostReason) + 1),
    ("ChurnAnalysis", "atRiskByStage"): FieldCost(size=len(vocab.LifecycleStage) + 1),
    ("ChurnAnalysis", "atRiskByReason"): FieldCost(size=len(intelligence.ChurnReason)),
    ("ScoringSettings", "rates"): FieldCost(size=CURRENCIES),
    ("ScoringSettings", "weights"): FieldCost(size=len(intelligence.Factor)),
    # Pipeline, plans and hand-over (R16, R17).
    ("Query", "atRiskOpportunities"): FieldCost(5, (("first", pipeline.MAX_AT_RISK),)),
    ("AtRiskOpportunity", "flags"): FieldCost(size=len(pipeline.RiskFlag)),
    ("Project", "riskFlags"): FieldCost(2, size=len(pipeline.RiskFlag)),
    ("RiskReason", "people"): FieldCost(size=DEAL_PEOPLE),
    ("Funnel", "steps"): FieldCost(size=len(pipeline.Step)),
    ("Funnel", "lossReasons"): FieldCost(size=len(vocab.DealLossReason) + 1),
    ("Forecast", "months"): FieldCost(size=FORECAST_MONTHS),
    ("PipelineSettings", "stageProbabilities"): FieldCost(size=len(vocab.ProjectStage)),
    ("PlanVsActual", "rows"): FieldCost(size=PLAN_ROWS),
    ("SavePlansPayload", "plans"): FieldCost(size=PLANS_SAVED),
    ("RelationshipPayload", "alsoEnded"): FieldCost(size=relationship.ENDED_LINES_MAX),
    ("HandOverBrief", "openOpportunities"): FieldCost(size=OPEN_DEALS),
    ("HandOverBrief", "openFollowUps"): FieldCost(size=BRIEF_FOLLOW_UPS),
    ("HandOverBrief", "lastInteractions"): FieldCost(size=BRIEF_INTERACTIONS),
    ("HandOverBrief", "keyPeople"): FieldCost(size=KEY_PEOPLE),
    ("KeyPerson", "roles"): FieldCost(size=KEY_PERSON_ROLES),
    ("KeyPerson", "ties"): FieldCost(size=KEY_PERSON_TIES),
    ("HandOver", "accounts"): FieldCost(size=HAND_OVER_ACCOUNTS),
    ("HandOver", "projects"): FieldCost(size=HAND_OVER_PROJECTS),
    ("HandOver", "closedProjects"): FieldCost(size=HAND_OVER_PROJECTS),
    ("HandOver", "followUps"): FieldCost(size=HAND_OVER_FOLLOW_UPS),
    # Deals and follow-ups it may not move, of those it gathered.
    ("HandOver", "leftBehind"): FieldCost(size=HAND_OVER_PROJECTS + HAND_OVER_FOLLOW_UPS),
    # Teams.
    ("Query", "teams"): FieldCost(2, PAGE),
    ("Team", "children"): FieldCost(2, size=TEAM_CHILDREN),
    ("Team", "members"): FieldCost(2, PAGE),
    # Cross-sell (R18): the caps of graph/crosssell.py.
    ("Query", "relatedProducts"): FieldCost(5, (("first", crosssell.MAX_RELATED),)),
    ("Company", "recommendations"): FieldCost(2, (("first", crosssell.MAX_RECOMMENDATIONS),)),
    ("Person", "recommendations"): FieldCost(2, (("first", crosssell.MAX_RECOMMENDATIONS),)),
    ("Company", "purchasePreferences"): FieldCost(2),
    ("Person", "purchasePreferences"): FieldCost(2),
    ("PurchasePreferences", "products"): FieldCost(size=crosssell.model.MAX_PRODUCTS),
    ("PurchasePreferences", "categories"): FieldCost(size=crosssell.model.MAX_CATEGORIES),
    ("PurchasePreference", "amounts"): FieldCost(size=CURRENCIES_BOUGHT),
    ("Recommendation", "reasons"): FieldCost(size=3),
    ("RecommendationReason", "rules"): FieldCost(size=crosssell.model.MAX_RULES),
    ("RecommendationReason", "accounts"): FieldCost(size=crosssell.model.MAX_NAMED),
    # Classification (R14).
    ("Query", "classificationRules"): FieldCost(
        2,
        size=RULES_PER_DIMENSION * len(classification.Dimension),
        narrow=(("dimension", RULES_PER_DIMENSION),),
    ),
    ("ClassificationRule", "conditions"): FieldCost(size=CONDITIONS),
    ("Query", "classificationReviews"): FieldCost(2, PAGE),
    ("ClassificationReview", "changes"): FieldCost(2, PAGE),
    ("ClassificationRun", "changes"): FieldCost(size=classification.PAYLOAD_CHANGES),
    **{
        (review, "classes"): FieldCost(size=RULES_PER_DIMENSION * len(classification.Dimension))
        for review in ("ClassificationReview", "ClassificationRun")
    },
    **{
        (review, "dimensions"): FieldCost(size=len(classification.Dimension))
        for review in ("ClassificationReview", "ClassificationRun")
    },
    # Duplicates (R22).
    ("Query", "duplicateCandidates"): FieldCost(5, PAGE),
    # A create's likely duplicates: the import's probe, then the records it found.
    **{
        (f"{payload}Payload", "likelyDuplicates"): FieldCost(2, size=duplicates.MAX_LIKELY)
        for payload in ("Company", "UpsertCompany", "Person", "UpsertPerson")
    },
    ("ScanDuplicatesPayload", "scans"): FieldCost(size=len(duplicates.DuplicateKind)),
    ("MergePayload", "movedByType"): FieldCost(size=MERGED_TYPES),
    ("MergePayload", "collapsedByType"): FieldCost(size=MERGED_TYPES),
    # Custom fields, verification (R19), outreach.
    ("CustomFieldMisfits", "nodes"): FieldCost(size=MISFITS),
    ("Query", "verificationHistory"): FieldCost(2, (("first", verification.MAX_HISTORY),)),
    ("VerificationRules", "rules"): FieldCost(size=VERIFICATION_RULES),
    ("DataQualityReport", "groups"): FieldCost(size=QUALITY_GROUPS),
    ("Query", "outreachAudiences"): FieldCost(2, size=AUDIENCES),
    ("Query", "messageTemplates"): FieldCost(2, size=TEMPLATES),
    ("Query", "outreachJobs"): FieldCost(2, (("first", outreach.MAX_LIST),)),
    ("Query", "outreachMessages"): FieldCost(2, (("first", outreach.MAX_LIST),)),
    ("Query", "outboxMessages"): FieldCost(2, (("first", outreach.MAX_LIST),)),
    ("MessagePreview", "recipients"): FieldCost(size=COMPANY_RECIPIENTS),
    ("SendOutreachPayload", "planned"): FieldCost(size=outreach.MAX_PLANNED),
}


def _arg_value(
    field: FieldNode, name: str, definition: GraphQLField | None, variables: Mapping[str, Any]
) -> Any:
    for argument in field.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            if given is not None:
                return given
            break  # a variable left out or null: the argument's default applies
        if isinstance(value, ListValueNode):
            return value.values
        return value_from_ast_untyped(value, dict(variables))
    if definition is not None and name in definition.args:
        default = definition.args[name].default_value
        return None if default is Undefined else default
    return None


def _size(value: Any, cap: int) -> int:
    """How many items an argument asks for, between 1 and the largest the resolver accepts.
    A value the resolver would refuse counts as the cap; the resolver then says why."""
    if isinstance(value, list | tuple):
        value = len(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return cap
    return max(1, min(value, cap))


class _Unbounded(Exception):
    """The introspection count passed its cap: the operation is over the budget."""


class _Introspection:
    """Counts the fields an introspection selection answers, walking the schema as
    graphql-core's introspection resolvers would. Each (selection set, schema element) pair is
    walked once, and the walk stops once the fields counted pass `cap`: every pair walked
    answers at least one field, so the work stays within the cap."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], cap: int
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.cap = cap
        self.memo: dict[tuple[int, int], int] = {}
        self.spent = 0

    def children(self, obj: Any, name: str) -> Any:
        """What field `name` of introspection element `obj` returns: an element, a list of
        them, or None for a leaf (a name, a description, a kind)."""
        schema = self.schema
        if isinstance(obj, GraphQLSchema):
            return {
                "types": list(schema.type_map.values()),
                "directives": list(schema.directives),
                "queryType": schema.query_type,
                "mutationType": schema.mutation_type,
                "subscriptionType": schema.subscription_type,
            }.get(name)
        if is_wrapping_type(obj):
            return obj.of_type if name == "ofType" else None
        if isinstance(obj, GraphQLObjectType | GraphQLInterfaceType):
            if name == "fields":
                return list(obj.fields.values())
            if name == "interfaces":
                return list(obj.interfaces)
        if name == "possibleTypes" and is_abstract_type(obj):
            return list(schema.get_possible_types(obj))
        if name == "enumValues" and isinstance(obj, GraphQLEnumType):
            return list(obj.values.values())
        if name == "inputFields" and isinstance(obj, GraphQLInputObjectType):
            return list(obj.fields.values())
        if name == "args" and hasattr(obj, "args"):  # a field or a directive
            return list(obj.args.values())
        if name == "type" and hasattr(obj, "type"):  # a field or an input value
            return obj.type
        return None

    def spend(self, fields: int) -> None:
        """`spent` is the count so far, each answered field once: past the cap, stop."""
        self.spent += fields
        if self.spent > self.cap:
            raise _Unbounded

    def count(self, selection_set: SelectionSetNode, obj: Any) -> int:
        key = (id(selection_set), id(obj))
        hit = self.memo.get(key)
        if hit is not None:
            self.spend(hit)
            return hit
        self.memo[key] = 0  # a fragment spread into itself is refused later; count it once
        total = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                total += 1
                self.spend(1)
                if sel.selection_set is None:
                    continue
                found = self.children(obj, sel.name.value)
                items = found if isinstance(found, list) else [found] if found else []
                for item in items:
                    total += self.count(sel.selection_set, item)
            elif isinstance(sel, InlineFragmentNode):
                total += self.count(sel.selection_set, obj)
            elif isinstance(sel, FragmentSpreadNode):
                fragment = self.fragments.get(sel.name.value)
                if fragment is not None:
                    total += self.count(fragment.selection_set, obj)
        self.memo[key] = total
        return total


class _Pricer(FragmentMemo[int]):
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        cap: int,
    ) -> None:
        super().__init__(fragments, 0)
        self.schema = schema
        self.variables = variables
        self.introspection = _Introspection(schema, fragments, cap)

    def _type(self, name: str | None) -> GraphQLNamedType | None:
        return self.schema.get_type(name) if name else None

    def fragment(self, fragment: FragmentDefinitionNode) -> int:
        return self.selections(
            fragment.selection_set, self._type(fragment.type_condition.name.value)
        )

    def field(self, sel: FieldNode, parent: GraphQLNamedType | None) -> int:
        name = sel.name.value
        if name.startswith("__"):
            return self.introspect(sel)
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
        price = COSTS.get((parent.name, name)) if parent is not None else None
        price = price or FieldCost()
        if sel.selection_set is None:
            return price.cost
        child_type = get_named_type(definition.type) if definition is not None else None
        children = self.selections(sel.selection_set, child_type)
        multiplier = price.size
        for arg, size in price.narrow:
            if _arg_value(sel, arg, definition, self.variables) is not None:
                multiplier = size
        for arg, cap in price.multipliers:
            multiplier *= _size(_arg_value(sel, arg, definition, self.variables), cap)
        return min(price.cost + multiplier * children, MAX_FIGURE)

    def introspect(self, sel: FieldNode) -> int:
        """`__schema` and `__type` cost the fields they answer; `__typename` nothing."""
        name = sel.name.value
        target: Any = None
        if name == "__schema":
            target = self.schema
        elif name == "__type":
            type_name = _arg_value(sel, "name", None, self.variables)
            target = self.schema.get_type(type_name) if isinstance(type_name, str) else None
        if target is None or sel.selection_set is None:
            return 0 if name == "__typename" else 1
        return 1 + self.introspection.count(sel.selection_set, target)

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> int:
        cost = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                cost += self.field(sel, parent)
            elif isinstance(sel, InlineFragmentNode):
                condition = sel.type_condition
                target = self._type(condition.name.value) if condition else parent
                cost += self.selections(sel.selection_set, target)
            elif isinstance(sel, FragmentSpreadNode):
                cost += self.spread(sel.name.value)
        return min(cost, MAX_FIGURE)


class _Ranges(_Pricer):
    """Walks an operation as the pricer does and notes every counted argument (`first`,
    `limit`) given outside 1..its cap, the range its resolver accepts."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        super().__init__(schema, fragments, variables, MAX_FIGURE)
        self.errors: list[GraphQLError] = []

    def field(self, sel: FieldNode, parent: GraphQLNamedType | None) -> int:
        name = sel.name.value
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            price = COSTS.get((parent.name, name))
            for arg, cap in price.multipliers if price else ():
                value = _arg_value(sel, arg, parent.fields.get(name), self.variables)
                if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= cap:
                    self.errors.append(
                        GraphQLError(
                            f"`{arg}` must be between 1 and {cap} (on `{name}`); nothing ran",
                            sel,
                            extensions={"code": ErrorCode.BAD_USER_INPUT.value, "field": arg},
                        )
                    )
        return super().field(sel, parent)


def mutation_range_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> list[GraphQLError]:
    """For a mutation, its counted arguments out of range, anywhere in what it selects. A
    resolver refuses them itself, but under a mutation's payload only after the write: the
    client then read `company: null` of a company that was saved (tester BB), and retried."""
    fragments, operations = split_definitions(document)
    ranges = _Ranges(schema, fragments, variables or {})
    for op in operations:
        if op.operation is not OperationType.MUTATION:
            continue
        if operation_name is None or (op.name is not None and op.name.value == operation_name):
            ranges.selections(op.selection_set, schema.mutation_type)  # priced: bounded
    return ranges.errors


def _root(schema: GraphQLSchema, op: OperationDefinitionNode) -> GraphQLNamedType | None:
    if op.operation is OperationType.MUTATION:
        return schema.mutation_type
    if op.operation is OperationType.SUBSCRIPTION:
        return schema.subscription_type
    return schema.query_type


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    budget: int = 10**9,
) -> int:
    """The cost of the operation that would run (the named one, else the costliest). Past
    `budget`, introspection stops counting, and the figure is `budget` + 1: a lower bound."""
    fragments, operations = split_definitions(document)
    pricer = _Pricer(schema, fragments, variables or {}, budget)
    try:
        costs = [
            pricer.selections(op.selection_set, _root(schema, op))
            for op in operations
            if operation_name is None or (op.name is not None and op.name.value == operation_name)
        ]
    except _Unbounded:
        return budget + 1
    return max(costs, default=0)


class _Reads(Mapping[str, Any]):
    """The request's variables, noting which ones pricing read: the cost depends on those
    alone. Anything that lists them (`dict(variables)` for a literal object) reads them all."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        self.variables = variables
        self.names: set[str] = set()
        self.all = False

    def __getitem__(self, name: str) -> Any:
        self.names.add(name)
        return self.variables[name]

    def get(self, name: str, default: Any = None) -> Any:
        self.names.add(name)
        return self.variables.get(name, default)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.names.add(name)
        return name in self.variables

    def __bool__(self) -> bool:
        return True  # `variables or {}` must keep the recorder, even over no variables

    def __iter__(self) -> Iterator[str]:
        self.all = True
        return iter(self.variables)

    def __len__(self) -> int:
        self.all = True
        return len(self.variables)


# (schema id, query text, operation name, budget) -> the variables its cost read (None: all);
# (that key, those variables' values as JSON) -> the cost. Values keep the schema alive, so
# its id cannot be reused by another schema while the entry lives.
_READS: ByteBoundedLRU[tuple[int, str, str | None, int], tuple[Any, tuple[str, ...] | None]] = (
    ByteBoundedLRU(512, 16 << 20)
)
_COSTED: ByteBoundedLRU[tuple[int, str, str | None, int, bytes], tuple[Any, int]] = ByteBoundedLRU(
    2048, 16 << 20
)


def configure_cost_memo(max_bytes: int, entries: int = 512) -> None:
    """Bounds for the cost memo (settings: CRM_QUERY_CACHE_BYTES)."""
    for cache, scale in ((_READS, 1), (_COSTED, 4)):
        cache.max_bytes = max_bytes
        cache.max_entries = entries * scale
        cache.clear()


def _values_key(variables: Mapping[str, Any], names: tuple[str, ...] | None) -> bytes | None:
    """The values cost depends on, as JSON (1, 1.0 and true stay apart); None when they are
    not plain JSON (a caller in code passing dates), and the cost is then not memoised."""
    try:
        if names is None:
            return orjson.dumps(dict(variables))
        return orjson.dumps([variables.get(n) for n in names])
    except TypeError:
        return None


def request_cost(
    schema: GraphQLSchema,
    query: str,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    budget: int = 10**9,
) -> int:
    """`operation_cost`, memoised per query text (which fixes the document) and the values of
    just the variables the pricing read: clients repeat a few operations with new ids, and an
    id is never a multiplier, so most requests reuse their document's figure."""
    variables = variables or {}
    doc_key = (id(schema), query, operation_name, budget)
    reads = _READS.get(doc_key)
    if reads is not None:
        values = _values_key(variables, reads[1])
        if values is not None:
            hit = _COSTED.get((*doc_key, values))
            if hit is not None:
                return hit[1]
    recorder = _Reads(variables)
    cost = operation_cost(schema, document, recorder, operation_name, budget)
    names = None if recorder.all else tuple(sorted(recorder.names))
    values = _values_key(variables, names)
    if values is not None:
        size = 2 * len(query) + 256
        _READS.put(doc_key, (schema, names), size + 32 * len(names or ()))
        _COSTED.put((*doc_key, values), (schema, cost), size + len(values))
    return cost


def too_costly(cost: int, budget: int) -> GraphQLError:
    # A saturated figure is no count (tester AZ read 9007199254740991 as one).
    costs = "more than can be counted" if cost >= MAX_FIGURE else str(cost)
    return GraphQLError(
        f"The query costs {costs}; the budget is {budget}. Ask for fewer items (`first`, "
        "`limit`) or fewer maps per request; `extensions.cost` shows what each request costs.",
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "budget": budget},
    )


def describe_costs(schema: GraphQLSchema) -> None:
    """Append each priced field's cost to its description, so the SDL states it."""
    for (type_name, field_name), price in COSTS.items():
        owner = schema.get_type(type_name)
        if not isinstance(owner, GraphQLObjectType | GraphQLInterfaceType):
            continue
        if field_name not in owner.fields:
            continue
        field = owner.fields[field_name]
        text = f"Cost: {price.describe()} (budget per request: CRM_MAX_QUERY_COST)."
        if field.description and "Cost:" not in field.description:
            field.description = f"{field.description} {text}"
        elif not field.description:
            field.description = text
