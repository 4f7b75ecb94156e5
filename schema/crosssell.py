"""Cross-sell and up-sell (R18): purchase preferences with repeat cycles, related products by
co-purchase, and recommendations with their reasons (graph/crosssell.py has the model, its
caps and its measured cost).

Types only name Product and Company lazily, so schema/company.py and schema/person.py can add
the customer fields from here without an import cycle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import crosssell as r
from resolvers.crosssell import RelatedProductRow, model
from resolvers.permissions import WHOLE_BOOK_DOC
from schema.base import Info
from schema.common import by_parent, by_parent_first

if TYPE_CHECKING:
    from schema.company import Company
    from schema.records import Product

LazyProduct = Annotated["Product", strawberry.lazy("schema.records")]
LazyCompany = Annotated["Company", strawberry.lazy("schema.company")]


@strawberry.enum(description="Whether a product is due to be ordered again.")
class RepurchaseStatus(Enum):
    UNKNOWN = strawberry.enum_value("UNKNOWN", description="Fewer than two orders: no cycle.")
    NOT_DUE = strawberry.enum_value(
        "NOT_DUE", description=f"Expected more than {model.DUE_WITHIN_DAYS} days from now."
    )
    DUE = strawberry.enum_value(
        "DUE", description=f"Expected within {model.DUE_WITHIN_DAYS} days from now."
    )
    OVERDUE = strawberry.enum_value("OVERDUE", description="The expected date has passed.")


@strawberry.enum(description="Why a product is recommended.")
class RecommendationKind(Enum):
    REPURCHASE_DUE = strawberry.enum_value(
        "REPURCHASE_DUE",
        description=f"The customer's own repeat purchase is due (within "
        f"{model.DUE_WITHIN_DAYS} days: {model.DUE_POINTS} points) or overdue "
        f"({model.OVERDUE_POINTS}).",
    )
    CO_PURCHASE = strawberry.enum_value(
        "CO_PURCHASE",
        description="Customers who bought what this customer buys also bought it (lift > 1); "
        "points: the best rule's confidence (0..1).",
    )
    RELATED_ACCOUNTS = strawberry.enum_value(
        "RELATED_ACCOUNTS",
        description=f"Accounts of its group or industry chain buy it; points: "
        f"{model.PER_ACCOUNT_POINTS} per account, at most {model.CAP_POINTS}.",
    )


@strawberry.enum(description="How a related account is related to the customer.")
class AccountRelation(Enum):
    GROUP = strawberry.enum_value(
        "GROUP",
        description=f"Same group: up to {model.GROUP_DEPTH} SUBSIDIARY_OF levels up, then "
        "down again (parent, subsidiary, sibling, cousin).",
    )
    SUPPLIER = strawberry.enum_value("SUPPLIER", description="It SUPPLIES the customer.")
    SUPPLIED = strawberry.enum_value("SUPPLIED", description="The customer SUPPLIES it.")
    DISTRIBUTOR = strawberry.enum_value(
        "DISTRIBUTOR", description="It DISTRIBUTES_FOR the customer."
    )
    PRINCIPAL = strawberry.enum_value("PRINCIPAL", description="The customer DISTRIBUTES_FOR it.")
    PARTNER = strawberry.enum_value("PARTNER", description="PARTNERS_WITH, either way.")


def _cents(key: str, description: str) -> Any:
    def amount(root: strawberry.Parent[dict[str, Any]]) -> Decimal:
        return Decimal(root[key]) / 100

    return strawberry.field(resolver=amount, description=description)


@strawberry.type(description="An amount in one currency.")
class CurrencyAmount:
    currency: str = strawberry.field(description="ISO 4217 code.")
    amount = _cents("amountCents", "The sum of the order lines in that currency.")


@strawberry.type(
    description="A customer's purchases of one product, or of one category (then `product` "
    "is null), from its orders (voided ones never count), with its repeat cycle."
)
class PurchasePreference:
    product: LazyProduct | None = strawberry.field(description="The product; null for a category.")
    category: str | None = strawberry.field(
        description="The category; null for a product (see `product.category`)."
    )
    orders: int = strawberry.field(description="Orders with at least one line of it.")
    units: float = strawberry.field(description="Units bought, summed over the lines.")
    amounts: list[CurrencyAmount] = strawberry.field(
        description="Amount bought per currency, by currency code."
    )
    firstOrderAt: dt.datetime = strawberry.field(description="The first order of it.")
    lastOrderAt: dt.datetime = strawberry.field(description="The latest order of it.")
    orderDays: int = strawberry.field(
        description="Distinct business days (CRM_TIMEZONE) with an order of it: two orders "
        "on one day are one purchase for the cycle."
    )
    cycleDays: float | None = strawberry.field(
        description="Repeat cycle: the median of the days between consecutive order days of "
        "it (robust to one pause or one rush order); null below two order days."
    )
    meanDaysBetweenOrders: float | None = strawberry.field(
        description="(last − first order day) ÷ (order days − 1), for comparison; null below "
        "two order days."
    )
    nextExpectedAt: dt.datetime | None = strawberry.field(
        description="The latest order + `cycleDays`, at least 7 days (orders a day apart are "
        "one purchase split, not a daily habit); null without a cycle."
    )
    daysUntilExpected: float | None = strawberry.field(
        description="Days from now to `nextExpectedAt`; negative when overdue."
    )
    repurchase: RepurchaseStatus = strawberry.field(
        description="Due, overdue, not due, or unknown (no cycle)."
    )


@strawberry.type(
    description="Purchase preferences (购买偏好, R18), computed from the orders on every read. "
    f"Only the newest {model.MAX_ORDERS} orders are read (`truncated` says when there are "
    "more)."
)
class PurchasePreferences:
    products: list[PurchasePreference] = strawberry.field(
        description=f"Per product, the most ordered first (then the latest); at most "
        f"{model.MAX_PRODUCTS}."
    )
    categories: list[PurchasePreference] = strawberry.field(
        description=f"Per product category, the most ordered first; at most "
        f"{model.MAX_CATEGORIES}. Products without a category are left out."
    )
    orders: int = strawberry.field(description="The customer's orders (voided ones left out).")
    ordersExamined: int = strawberry.field(
        description=f"Orders read: at most the newest {model.MAX_ORDERS}."
    )
    truncated: bool = strawberry.field(description="Whether older orders were left out.")


@strawberry.type(
    description="A co-purchase rule over customers: of the customers who bought `basedOn`, "
    "how many also bought `product`. Counted over the customers the viewer sees (ADMIN, "
    "AUDITOR, ANALYST: every customer), and only reported with support ≥ "
    f"{model.MIN_SUPPORT} customers: it never tells one customer's purchases."
)
class RelatedProduct:
    basedOn: LazyProduct = strawberry.field(description="The product the rule starts from.")
    product: LazyProduct = strawberry.field(description="The product also bought.")
    support: int | None = strawberry.field(
        description=f"Customers who bought both (≥ {model.MIN_SUPPORT}). " + WHOLE_BOOK_DOC
    )
    confidence: float = strawberry.field(
        description="support ÷ `buyersOfProduct`: the share of `basedOn`'s buyers who also "
        "bought it (0..1)."
    )
    lift: float = strawberry.field(
        description="confidence ÷ (`buyersOfRelated` ÷ `population`): how much likelier "
        "buying `basedOn` makes it than among the customers counted; above 1 means related."
    )
    buyersOfProduct: int | None = strawberry.field(
        description=f"Customers examined who bought `basedOn`: at most {model.MAX_BUYERS} "
        f"in relatedProducts, {model.MAX_SEED_BUYERS} in recommendations. " + WHOLE_BOOK_DOC
    )
    buyersOfRelated: int | None = strawberry.field(
        description="Customers who bought `product`. " + WHOLE_BOOK_DOC
    )
    population: int | None = strawberry.field(
        description="Customers with at least one order. " + WHOLE_BOOK_DOC
    )
    sampled: bool = strawberry.field(
        description="Whether `basedOn` has more buyers than were examined, so support and "
        "confidence come from the first ones found (not a random sample)."
    )


@strawberry.type(description="A related account that buys the recommended product.")
class RelatedAccountPurchase:
    account: LazyCompany = strawberry.field(
        description="The account: group and industry-chain edges join companies only, and "
        "only accounts the viewer may see are named (or counted)."
    )
    via: list[AccountRelation] = strawberry.field(description="How it is related to the customer.")
    orders: int = strawberry.field(description="Its orders of the product.")


@strawberry.type(description="One reason for a recommendation, with the points it adds.")
class RecommendationReason:
    kind: RecommendationKind = strawberry.field(description="Which reason (points per kind).")
    points: float = strawberry.field(description="What it adds to the score.")
    explanation: str = strawberry.field(
        description="The reason in a sentence, from the figures below; it names products and "
        "counts, never a customer or a person."
    )
    rules: list[RelatedProduct] = strawberry.field(
        description=f"CO_PURCHASE: the best rules (by confidence), at most {model.MAX_RULES}; "
        "the first gives the points. Empty for other kinds."
    )
    accounts: list[RelatedAccountPurchase] = strawberry.field(
        description=f"RELATED_ACCOUNTS: who buys it, the most orders first, at most "
        f"{model.MAX_NAMED}. Empty for other kinds."
    )
    accountCount: int = strawberry.field(
        description="RELATED_ACCOUNTS: how many visible related accounts buy it (0 otherwise)."
    )
    preference: PurchasePreference | None = strawberry.field(
        description="REPURCHASE_DUE: the customer's own purchases of it, with the cycle."
    )


@strawberry.type(
    description="A product to offer a customer (交叉销售/向上销售, R18), with the reasons that "
    "make its score."
)
class Recommendation:
    product: LazyProduct = strawberry.field(description="The product to offer.")
    score: float = strawberry.field(
        description="The sum of the reasons' points: at most 1 for a repurchase due, at "
        "most 2 for a product new to the customer (co-purchase and related accounts)."
    )
    reasons: list[RecommendationReason] = strawberry.field(
        description="Why, the weightiest first; at most one per kind."
    )


def preferences_field() -> Any:
    return by_parent(
        r.preferences,
        PurchasePreferences | None,
        "Purchase preferences (R18): per product and category the orders, units, amounts, "
        f"repeat cycle and next expected order, from the newest {model.MAX_ORDERS} orders; "
        "for a person who objects to profiling, the sums without the cycle and prediction. "
        "Null unless a customer. One round trip per request for every customer asked.",
    )


def recommendations_field() -> Any:
    return by_parent_first(
        r.recommendations,
        list[Recommendation],
        "What to offer this customer (R18), best score first, each with its reasons: "
        "repurchases due, products related by co-purchase that it has not bought, and "
        "products that accounts of its group or industry chain (those the viewer may see) "
        f"buy and it does not. At most {model.MAX_RECOMMENDATIONS}; empty unless a customer. "
        "One round trip per request for every customer asked.",
        items="recommendations",
        default=10,
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Products bought by the customers who bought `product` (关联产品), by lift, "
        f"then support. Catalogue aggregates every signed-in viewer reads: only pairs bought "
        f"by ≥ {model.MIN_SUPPORT} customers; at most {model.MAX_BUYERS} buyers examined "
        f"and {model.MAX_CANDIDATES} candidates scored. `first` 1..{model.MAX_RELATED}. "
        "Empty for an unknown product. One round trip.",
        graphql_type=list[RelatedProduct],
    )
    async def relatedProducts(
        self,
        info: Info,
        product: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        first: Annotated[
            int,
            strawberry.argument(description=f"How many, 1..{model.MAX_RELATED} (default 10)."),
        ] = 10,
    ) -> list[RelatedProductRow]:
        return await r.related_products(info.context, str(product), first)
