"""Why a write was refused, as data: the storage layer's words, not the API's.

A repository returns a `Refusal` and, where it matters, the `Part` of the request it concerns
(an endpoint, the version, a date). Resolvers map both to their own messages and input paths;
`graph/` knows nothing of GraphQL input shapes.
"""

from __future__ import annotations

from enum import Enum


class Refusal(Enum):
    NOT_FOUND = "not_found"  # a referenced node or edge does not exist (or is invisible)
    FORBIDDEN = "forbidden"  # the viewer sees the node or edge but may not change it
    WRONG_LABEL = "wrong_label"  # an endpoint has a label this edge type does not allow
    SELF_LOOP = "self_loop"  # both endpoints are the same node
    DUPLICATE = "duplicate"  # an edge of the type between the pair overlaps these dates
    CYCLE = "cycle"  # the write would close a cycle in an acyclic type
    CONFLICT = "conflict"  # the expected version is stale
    ENDED = "ended"  # the edge has already ended
    UNTIL_BEFORE_SINCE = "until_before_since"  # a validity range that ends by its start
    ALREADY_OWNER = "already_owner"  # the new owner already owns the customer
    IN_USE = "in_use"  # the node is still referred to (a team with members or child teams)
    TOO_DEEP = "too_deep"  # the write would make a hierarchy deeper than its hop cap
    MISMATCH = "mismatch"  # a value disagrees with the record it refers to (a currency)
    TOO_MANY = "too_many"  # the write would move more than its cap allows at once
    INCOMPLETE = "incomplete"  # a required (custom) field has no value
    INACTIVE = "inactive"  # a user archived, or with no role that edits
    SAME_LINE = "same_line"  # two lines that must differ would hold one number (vocab)
    ONE_PARENT = "one_parent"  # a branch or division would have a second parent on some day


class Part(Enum):
    """What a refusal concerns."""

    EDGE = "edge"  # the edge named by id
    FROM = "from"  # the edge's start node
    TO = "to"  # the edge's end node
    PROJECT = "project"  # the project an influence is scoped to
    PARTICIPATION = "participation"  # a person's current participation in a project
    VERSION = "version"  # the expected version
    SINCE = "since"  # the start of the validity range
    UNTIL = "until"  # the end of the validity range
    KIND = "kind"  # an edge's kind (a SUBSIDIARY_OF's BRANCH, DIVISION …)
    WHOLE = "whole"  # the write as a whole
    ACCOUNT = "account"  # the account a share is about
    PRINCIPAL = "principal"  # the user or team an account is shared with
    PARENT = "parent"  # a team's parent team
    RECORD = "record"  # the record a write replaces (by id or by its source key)
    CONTACTS = "contacts"  # a record's people on the customer's side
    STAFF = "staff"  # a record's staff
    PRODUCTS = "products"  # an order's products
    ORDER = "order"  # the order a payment or delivery is against
    NEXT_STEP = "next_step"  # a record's next step (its follow-up)
