"""Shapes of what the repositories return: one TypedDict per Cypher projection.

They stay plain dicts at run time (docs/DECISIONS.md: no per-row objects), but mypy now checks
that graph/, the resolvers and the schema agree on the keys. Keys the projection always sets
are required; stored properties that may be absent (`n{.*}` leaves unset ones out) are
`NotRequired`. Only the keys some code reads are declared; the schema reads the rest by name.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from neo4j.time import Date, DateTime


class CustomerRow(TypedDict):
    """The `:Customer` profile gathered by graph.nodes.PROJECTION."""

    customerCode: str | None
    customerKind: str | None
    lifecycleStage: str | None
    classification: str | None
    tier: str | None


# graph.nodes.PROJECTION: every stored property (minus secrets) of a Company, Person, Project
# or User, with its GraphQL type name and customer profile. Functional form: `__typename`.
NodeRow = TypedDict(
    "NodeRow",
    {
        "__typename": str,
        "id": str,
        "version": int,
        "isCustomer": bool,
        "customer": CustomerRow | None,
        "createdAt": NotRequired[DateTime],
        "updatedAt": NotRequired[DateTime],
        "archivedAt": NotRequired[DateTime],
        "externalSource": NotRequired[str],
        "externalId": NotRequired[str],
        "name": NotRequired[str],
        "nameEn": NotRequired[str],
        "custom": NotRequired[str],  # JSON text
        "idNumber": NotRequired[str],  # personal data: masked in resolvers/masking.py
        "mobile": NotRequired[str],  # personal data
    },
)


class EmploymentRow(TypedDict):
    """graph.relations.EMPLOYER: a current WORKS_AT edge with its company."""

    company: NodeRow
    title: str | None
    department: str | None
    since: Date | None
    relationshipId: str


class TreeRow(TypedDict):
    """graph.relations.TREE: one company of a walk down its group, with its lists."""

    id: str
    subsidiaries: list[NodeRow]
    contacts: list[NodeRow]


class EdgeRow(TypedDict):
    """graph.relationship.PROJECTION: a stored edge with its type and endpoint ids."""

    id: str
    type: str
    fromId: str
    toId: str
    version: int
    since: NotRequired[Date]
    until: NotRequired[Date]
    stance: NotRequired[str]
    projectId: NotRequired[str]


class StanceChangeRow(TypedDict):
    """graph.relationship.STANCE_HISTORY: `from` is a Python keyword, so the projection
    names it `from_` (the one place it is renamed)."""

    id: str
    projectId: str
    personId: str
    from_: str | None
    to: str | None
    at: DateTime
    by: str


class AuditEventRow(TypedDict):
    """graph.nodes.AUDIT_TRAIL."""

    id: str
    at: DateTime
    actor: str
    action: str
    targetId: str
    targetLabel: str
    fields: list[str]
    requestId: str | None


class SearchRow(TypedDict):
    """graph.search: a match and its score."""

    node: NodeRow
    score: float


class PageRow(TypedDict):
    """graph.lists: a node of a page and its sort key (the cursor's text)."""

    node: NodeRow
    sortKey: Any


class ApiKeyRow(TypedDict):
    """graph.apikey.KEY_PROJECTION: a key's metadata, never its hash."""

    id: str
    userId: str
    name: str
    prefix: str | None
    createdAt: DateTime
    createdBy: str | None
    expiresAt: DateTime | None
    revokedAt: DateTime | None
    lastUsedAt: DateTime | None
    replacedBy: str | None
    userArchived: bool  # an archived user's keys sign nobody in


class SignInRow(TypedDict):
    """graph.apikey: who a working key (or a token's subject) belongs to."""

    id: str
    name: str
    roles: list[str]
    keyId: str | None
    expiresAt: DateTime | None
    lastUsedAt: DateTime | None


class ConsentRow(TypedDict):
    """graph.privacy: one consent record (a grant or a withdrawal); history is kept."""

    id: str
    personId: str
    purpose: str
    granted: bool
    source: str
    at: DateTime
    by: str
    note: NotRequired[str]
    expiresAt: NotRequired[DateTime]


class ProcessingRow(TypedDict):
    """graph.privacy.may_process: may this person be processed for this purpose now."""

    person: str
    purpose: str
    allowed: bool
    reason: str  # graph.privacy.ProcessingReason value
    consent: ConsentRow | None


class RetentionRow(TypedDict):
    """graph.privacy.set_retention: a person's or company's legal hold and retention."""

    id: str
    label: str
    legalHold: bool
    legalHoldReason: str | None
    retentionUntil: Date | None


class TeamRow(TypedDict):
    """graph.team.projection: a team and the id of its parent team."""

    id: str
    code: str
    name: str
    parentId: str | None
    version: int
    createdAt: DateTime | None  # teams made by migration V0005 or by hand may lack these
    updatedAt: DateTime | None
    archivedAt: DateTime | None


class ShareRow(TypedDict):
    """graph.share.SHARE: a SHARED_WITH edge with the user or team it grants access to."""

    id: str
    accountId: str
    level: str
    until: DateTime | None
    by: str | None
    byId: str | None
    at: DateTime
    reason: str | None
    active: bool
    user: NodeRow | None
    team: TeamRow | None
