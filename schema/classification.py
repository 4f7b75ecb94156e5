"""Customer classification (R14): rules as data, the classes they assign, and reviews that
re-run them and keep what changed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import classification as r
from resolvers.classification import (
    ChangeRow,
    ClassRow,
    ConditionOp,
    Dimension,
    Feature,
    ReviewRow,
    RuleRow,
)
from resolvers.permissions import WHOLE_BOOK_DOC
from resolvers.shapes import ConnectionOf
from schema.base import ID_ARG, Info, input_mutation, optional, page_type, payload_type, vocab_enum
from schema.base import wants_total as _wants_total
from schema.person import CustomerParty

vocab_enum(Dimension, "Classification dimensions (R14); a customer has at most one class in each.",
           name="ClassificationDimension")  # fmt: skip
vocab_enum(
    Feature,
    "What a classification condition may test: the customer's profile, and figures computed "
    "from its records when the review runs. Values are as described; money in integer cents.",
    {f.name: f"{f.value} ({spec.type.value}): {spec.description}"
     + (f" One of {', '.join(spec.options)}." if spec.options else "")
     for f, spec in r.FEATURES.items()},
    name="ClassificationField",
)  # fmt: skip
vocab_enum(
    ConditionOp,
    "Comparisons of a classification condition. A field without a value (null, or no "
    "categories) satisfies IS_NULL only.",
    {
        "EQ": "Equal (NUMBER, TEXT, ENUM).",
        "NE": "Not equal (NUMBER, TEXT, ENUM).",
        "GT": "Greater than (NUMBER).",
        "GTE": "Greater than or equal (NUMBER).",
        "LT": "Less than (NUMBER).",
        "LTE": "Less than or equal (NUMBER).",
        "IN": "One of a list of 1..50 values (NUMBER, TEXT, ENUM).",
        "NOT_IN": "None of a list of 1..50 values (NUMBER, TEXT, ENUM).",
        "CONTAINS": "TEXT contains the text (case-sensitive), e.g. industry contains 制造.",
        "HAS": "LIST (productCategories) holds the text.",
        "HAS_ANY": "LIST holds any of 1..50 texts.",
        "IS_NULL": "Has no value; give no value.",
        "NOT_NULL": "Has a value; give no value.",
    },
    name="ClassificationConditionOp",
)


@strawberry.type(description="One condition of a rule: `field op value`.")
class ClassificationCondition:
    field: Feature = strawberry.field(description="What is tested.")
    op: ConditionOp = strawberry.field(description="The comparison.")
    value: JSON | None = strawberry.field(
        description="A number, a text or a list of them; null for IS_NULL and NOT_NULL."
    )


@strawberry.type(description="A customer class (客户类别) in one dimension, e.g. TRADE:LONG_TERM.")
class CustomerClass:
    id: strawberry.ID = strawberry.field(description="`<dimension>:<key>`.")
    dimension: Dimension = strawberry.field(description="Its dimension.")
    key: str = strawberry.field(description="Its key, e.g. LONG_TERM.")
    nameZh: str | None = strawberry.field(description="Chinese name, e.g. 长期客户.")
    nameEn: str | None = strawberry.field(description="English name.")


@strawberry.type(
    description="A classification rule (分类规则): data an admin edits. Per dimension the "
    "enabled rules are tried by ascending `priority` (ties: class key, then id); the first "
    "whose conditions all hold assigns its class at the next review."
)
class ClassificationRule:
    id: strawberry.ID = strawberry.field(description="The rule's id.")
    dimension: Dimension = strawberry.field(description="The dimension it classifies.")
    classKey: str = strawberry.field(description="The class it assigns, e.g. LONG_TERM.")
    nameZh: str = strawberry.field(description="The class's Chinese name, ≤ 100.")
    nameEn: str | None = strawberry.field(description="The class's English name, ≤ 100.")
    description: str | None = strawberry.field(description="What the rule is for, ≤ 500.")
    priority: int = strawberry.field(description="0..1000000; lower is tried first.")
    enabled: bool = strawberry.field(description="Disabled rules are never tried.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    createdAt: dt.datetime = strawberry.field(description="When it was created.")
    updatedAt: dt.datetime = strawberry.field(description="When it last changed.")
    updatedBy: str | None = strawberry.field(description="Who changed it last (a user id).")

    @strawberry.field(description="All of these must hold (an empty list always holds); ≤ 20.")
    def conditions(self, root: strawberry.Parent[RuleRow]) -> list[ClassificationCondition]:
        return [ClassificationCondition(**c) for c in r.conditions_of(root)]


@strawberry.type(description="A customer's class in one dimension, as the last review set it.")
class CustomerClassAssignment:
    dimension: Dimension = strawberry.field(description="The dimension.")
    customerClass: CustomerClass = strawberry.field(description="The class.")
    since: dt.datetime = strawberry.field(description="Since when the customer holds it.")
    ruleId: strawberry.ID | None = strawberry.field(description="The rule that assigned it.")
    rule: ClassificationRule | None = strawberry.field(
        description="That rule; null once deleted (the next review reassigns)."
    )


def _class_field(key: str, description: str) -> Any:
    async def resolve(info: Info, root: strawberry.Parent[dict[str, Any]]) -> ClassRow | None:
        value = root.get(key)
        assert value is None or isinstance(value, str)
        return await r.customer_class(info.context, value) if value else None

    return strawberry.field(resolver=resolve, graphql_type=CustomerClass | None,
                            description=description)  # fmt: skip


@strawberry.type(description="One class a review moved: a customer's class in a dimension.")
class ClassificationChange:
    id: strawberry.ID = strawberry.field(description="The change's id.")
    dimension: Dimension = strawberry.field(description="The dimension.")
    customerId: strawberry.ID = strawberry.field(description="The customer's id.")
    customer: CustomerParty | None = strawberry.field(description="The customer.")
    ruleId: strawberry.ID | None = strawberry.field(
        description="The rule that assigned the new class; null when none matched."
    )
    fromClass = _class_field("fromId", "The class before; null when it had none.")
    toClass = _class_field("toId", "The class after; null when no rule matched any more.")

    @strawberry.field(
        description="The rule, while it exists. Batched per request.",
        graphql_type=ClassificationRule | None,
    )
    async def rule(self, info: Info, root: strawberry.Parent[ChangeRow]) -> RuleRow | None:
        rule_id = root.get("ruleId")
        return await r.rule(info.context, rule_id) if rule_id else None


ClassificationChangeConnection = page_type(
    ClassificationChange,
    "ClassificationChange",
    "A change",
    "classification changes in the order the review made them",
    "The change.",
)


@strawberry.type(description="How many customers a class holds after a review.")
class ClassCount:
    customers: int = strawberry.field(description="Customers in the class.")
    classId: strawberry.ID = strawberry.field(description="`<dimension>:<key>`.")

    @strawberry.field(
        description="The class. Batched per request.", graphql_type=CustomerClass | None
    )
    async def customerClass(self, info: Info) -> ClassRow | None:
        return await r.customer_class(info.context, str(self.classId))


@strawberry.type(description="How many classes a review changed in a dimension.")
class DimensionCount:
    dimension: Dimension = strawberry.field(description="The dimension.")
    changed: int = strawberry.field(description="Customers whose class in it changed.")


def _counts(root: Any) -> dict[str, Any]:
    return r.counts(root)


def _class_counts(root: Any) -> list[ClassCount]:
    return [ClassCount(customers=n, classId=strawberry.ID(k))
            for k, n in _counts(root).get("classes", {}).items()]  # fmt: skip


def _dimension_counts(root: Any) -> list[DimensionCount]:
    changed = _counts(root).get("changed", {})
    return [DimensionCount(dimension=d, changed=changed.get(d.value, 0)) for d in Dimension]


@strawberry.type(
    description="A classification review (分类复核): every enabled rule re-run over every "
    "customer (archived ones keep theirs; people who object to profiling get none). Kept as "
    "history."
)
class ClassificationReview:
    id: strawberry.ID = strawberry.field(description="The review's id.")
    startedAt: dt.datetime = strawberry.field(description="When it started.")
    finishedAt: dt.datetime | None = strawberry.field(
        description="When it finished; null while running or when it was aborted."
    )
    abortedAt: dt.datetime | None = strawberry.field(
        description="When it stopped on an error; the batches before it were written."
    )
    by: str = strawberry.field(description="Who ran it: a user id, or `system:…` for jobs.")
    dryRun: bool = strawberry.field(description="Always false: dry runs are not stored.")

    @strawberry.field(
        description="Customers classified: the run's total, of every customer (`changes` "
        "lists those you see). " + WHOLE_BOOK_DOC
    )
    def customers(self, root: strawberry.Parent[ReviewRow]) -> int | None:
        return int(_counts(root).get("customers", 0))

    @strawberry.field(description="Classes changed, of every customer. " + WHOLE_BOOK_DOC)
    def changed(self, root: strawberry.Parent[ReviewRow]) -> int | None:
        return int(_counts(root).get("changes", 0))

    @strawberry.field(
        description="Customers per class after the review, by class id, of every customer. "
        + WHOLE_BOOK_DOC
    )
    def classes(self, root: strawberry.Parent[ReviewRow]) -> list[ClassCount] | None:
        return _class_counts(root)

    @strawberry.field(description="Changes per dimension, of every customer. " + WHOLE_BOOK_DOC)
    def dimensions(self, root: strawberry.Parent[ReviewRow]) -> list[DimensionCount] | None:
        return _dimension_counts(root)

    @strawberry.field(
        description="What it changed, in order, for the customers you may see; `first` "
        "1..100. One round trip a page, one more for `totalCount` (which counts those only).",
        graphql_type=ClassificationChangeConnection,
    )
    async def changes(
        self,
        info: Info,
        root: strawberry.Parent[ReviewRow],
        first: Annotated[int, strawberry.argument(description="Page size, 1..100.")],
        after: Annotated[
            str | None, strawberry.argument(description="Continue after this cursor.")
        ] = None,
        dimension: Annotated[
            Dimension | None, strawberry.argument(description="Only this dimension.")
        ] = None,
    ) -> ConnectionOf[ChangeRow]:
        review_id = str(root["id"])
        return await r.changes(info.context, review_id, dimension, first, after,
                               _wants_total(info))  # fmt: skip


ClassificationReviewConnection = page_type(
    ClassificationReview,
    "ClassificationReview",
    "A review",
    "classification reviews, newest first",
    "The review.",
)


@strawberry.type(description="What runClassificationReview did (or, dry, would do).")
class ClassificationRun:
    dryRun: bool = strawberry.field(description="Whether nothing was written.")

    @strawberry.field(description="Customers classified. " + WHOLE_BOOK_DOC)
    def customers(self, root: strawberry.Parent[dict[str, Any]]) -> int | None:
        return int(_counts(root).get("customers", 0))

    @strawberry.field(description="Classes changed, of every customer. " + WHOLE_BOOK_DOC)
    def changed(self, root: strawberry.Parent[dict[str, Any]]) -> int | None:
        return int(_counts(root).get("changes", 0))

    @strawberry.field(description="Customers per class after the review. " + WHOLE_BOOK_DOC)
    def classes(self, root: strawberry.Parent[dict[str, Any]]) -> list[ClassCount] | None:
        return _class_counts(root)

    @strawberry.field(description="Changes per dimension. " + WHOLE_BOOK_DOC)
    def dimensions(self, root: strawberry.Parent[dict[str, Any]]) -> list[DimensionCount] | None:
        return _dimension_counts(root)

    changes: list[ClassificationChange] = strawberry.field(
        description="The first 100 changes of customers you may see (a stored review lists "
        "them all under `review.changes`)."
    )


# --- Inputs -----------------------------------------------------------------------------------
@strawberry.input(description="A condition: `field op value`, checked against the field's type.")
class ClassificationConditionInput:
    field: Feature = strawberry.field(description="What to test.")
    op: ConditionOp = strawberry.field(description="How; it must suit the field's type.")
    value: JSON | None = optional(
        "A number, a text (≤ 100) or a list of 1..50 of them (IN, NOT_IN, HAS_ANY); omitted "
        "for IS_NULL and NOT_NULL. ENUM fields take one of their values."
    )


@strawberry.input(
    description="Create a rule (no id) or change one (id and expectedVersion; omitted fields "
    "stay). Admins only."
)
class SaveClassificationRuleInput:
    id: strawberry.ID | None = optional("The rule to change; omit to create.")
    expectedVersion: int | None = optional("Required when changing: CONFLICT if stale.")
    dimension: Dimension | None = optional("Required to create.")
    classKey: str | None = optional("The class: A-Z first, then A-Z, 0-9, _ (≤ 40); required.")
    nameZh: str | None = optional("The class's Chinese name, ≤ 100; required to create.")
    nameEn: str | None = optional("The class's English name, ≤ 100.")
    description: str | None = optional("What the rule is for, ≤ 500.")
    priority: int | None = optional("0..1000000, lower tried first; 100 when omitted.")
    enabled: bool | None = optional("True when omitted on create.")
    conditions: list[ClassificationConditionInput] | None = optional(
        "All must hold; ≤ 20; required to create ([] matches every customer)."
    )


@strawberry.input(description="Delete a rule. Admins only.")
class DeleteClassificationRuleInput:
    id: strawberry.ID = strawberry.field(description="The rule.")
    expectedVersion: int | None = optional("CONFLICT if stale.")


@strawberry.input(description="Run a classification review.")
class RunClassificationReviewInput:
    dryRun: bool | None = optional("Compute the changes without writing anything (default false).")


ClassificationRulePayload = payload_type(
    "ClassificationRulePayload",
    "Result of saveClassificationRule.",
    rule=(ClassificationRule | None, "The rule as stored; null when `errors` is not empty."),
)
DeleteClassificationRulePayload = payload_type(
    "DeleteClassificationRulePayload",
    "Result of deleteClassificationRule.",
    deletedId=(strawberry.ID | None, "The deleted rule's id; null when `errors` is not empty."),
)


RunClassificationReviewPayload = payload_type(
    "RunClassificationReviewPayload",
    "Result of runClassificationReview.",
    review=(
        ClassificationReview | None,
        "The stored review; null for a dry run or when `errors` is not empty.",
    ),
    run=(
        ClassificationRun | None,
        "What the run did (dry: would do); null when `errors` is not empty.",
    ),
)


@strawberry.type
class Query:
    @strawberry.field(
        description="Classification rules (of one dimension), in the order they are tried; at "
        "most 2000. Every signed-in viewer. One round trip.",
        graphql_type=list[ClassificationRule],
    )
    async def classificationRules(
        self,
        info: Info,
        dimension: Annotated[
            Dimension | None, strawberry.argument(description="Only this dimension.")
        ] = None,
    ) -> list[RuleRow]:
        return await r.rules(info.context, dimension)

    @strawberry.field(
        description="Classification reviews, newest first; `first` 1..100. Every signed-in "
        "viewer; each sees the changes of its own customers only. One round trip a page, one "
        "more for `totalCount`.",
        graphql_type=ClassificationReviewConnection,
    )
    async def classificationReviews(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1..100.")],
        after: Annotated[
            str | None, strawberry.argument(description="Continue after this cursor.")
        ] = None,
    ) -> ConnectionOf[ReviewRow]:
        return await r.reviews(info.context, first, after, _wants_total(info))

    @strawberry.field(
        description="One classification review by id. Batched per request.",
        graphql_type=ClassificationReview | None,
    )
    async def classificationReview(
        self, info: Info, id: Annotated[strawberry.ID, ID_ARG]
    ) -> ReviewRow | None:
        return await r.review(info.context, str(id))


@strawberry.type
class Mutation:
    saveClassificationRule = input_mutation(
        SaveClassificationRuleInput,
        r.save_rule,
        ClassificationRulePayload,
        "Create or change a classification rule (ADMIN only, else FORBIDDEN). Every problem "
        "is reported at once at its path, e.g. `input.conditions[2].op`; a stale version is "
        "CONFLICT, an unknown id NOT_FOUND. Takes effect at the next review. Audited.",
    )
    deleteClassificationRule = input_mutation(
        DeleteClassificationRuleInput,
        r.delete_rule,
        DeleteClassificationRulePayload,
        "Delete a classification rule (ADMIN only); `enabled: false` keeps it instead. The "
        "classes it assigned stay until the next review. Audited.",
    )
    runClassificationReview = input_mutation(
        RunClassificationReviewInput,
        r.run_review,
        RunClassificationReviewPayload,
        "Re-run every enabled rule over every customer, 1000 customers a statement, and store "
        "the review with its changes (ADMIN, MANAGER). A dry run writes nothing. CONFLICT "
        "while another review runs. Audited.",
    )
