"""Field permissions, declared once as data (R20, R21, R22): who reads and who edits each field.

An allow-list. Every field of a *personal type* (a type that can hold a person's data) needs
its own rule here; other types' fields take their type's default (PUBLIC) unless listed. What
a viewer without the read right sees is the rule's `mask`. A change by a role without the
edit right to a field marked `review` becomes a change request instead of being refused.

The schema applies these rules to the fields themselves when it is built (schema/fieldrules.py
wraps every guarded field's resolver, and the flat execution path applies the same guards), so
a new resolver cannot forget them. Tests walk the schema and fail when a field of a personal
type has no rule here. JSON fields (`data`) are filtered key by key against `DATA_RULES`:
keys not listed there are dropped for every role, so a property stored later (a ciphertext,
a digest) never leaks through a map.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

from graph.access import NAMED_ROLES, READ_ALL_ROLES


class Mask(Enum):
    NONE = "NONE"  # shown as stored to every role that sees the row
    ID_NUMBER = "ID_NUMBER"  # 1101**********002X
    PHONE = "PHONE"  # +86138****5678
    EMAIL = "EMAIL"  # z***@example.com
    HIDE = "HIDE"  # null (only on nullable fields; the schema test checks)
    PSEUDONYM = "PSEUDONYM"  # "Person 3f2a9c": a keyed hash of the row's id, for ANALYST
    WITHHELD = "WITHHELD"  # a fixed text, for non-null prose that names people


EVERYONE = frozenset({"ADMIN", "MANAGER", "SALES", "ANALYST", "AUDITOR"})
WRITERS = frozenset({"ADMIN", "MANAGER", "SALES"})
PRIVILEGED = frozenset({"ADMIN", "MANAGER"})
# Roles that see named individuals: everyone but the anonymised ANALYST view (R22). One set
# with graph/access.py's, which keeps such a viewer from finding or ordering people by a
# personal value (names, e-mail, phone) in any statement: a match would unmask a pseudonym.
NAMED = NAMED_ROLES
# Masks that keep part of the value. What they keep (a phone's last digits, an e-mail's
# first letter) still helps to single a person out beside a stable pseudonym, so a viewer
# with no NAMED role (the anonymised view) gets none of it: see `mask_for`.
PARTIAL = frozenset({Mask.ID_NUMBER, Mask.PHONE, Mask.EMAIL})


def anonymised(roles: Collection[str]) -> bool:
    """Whether a viewer with `roles` sees people only as pseudonyms (no NAMED role)."""
    return NAMED.isdisjoint(roles)


def mask_for(mask: Mask, roles: Collection[str]) -> Mask:
    """The mask a viewer with `roles` gets where a rule masks with `mask`."""
    return Mask.HIDE if mask in PARTIAL and anonymised(roles) else mask


@dataclass(frozen=True)
class FieldRule:
    read: frozenset[str]  # roles that see the value in full
    edit: frozenset[str]  # roles that change it directly
    mask: Mask = Mask.NONE  # what the other roles see
    personal: bool = False  # personal information (PIPL): exported, erased, never audited
    review: bool = False  # changes by other writers go through review (R20)
    # The rule binds only rows whose `kind` is this (MapNode, SearchHit: "PERSON"); on other
    # rows the field is public. None: every row.
    only_kind: str | None = None
    # A JSON object filtered key by key with DATA_RULES[keys]; unknown keys are dropped.
    keys: str | None = None
    # A value shown under another field's rule, which the row names (`ruleType`,
    # `ruleField`, `personal`): a field's history (R23) is masked as the live field. The
    # name is the row key holding a stand-in for the live row (its id, the value and any
    # ciphertext), for pseudonyms and full-value readers.
    delegate: str | None = None

    @property
    def guarded(self) -> bool:
        """Whether the field needs a guard at all: someone is masked, or keys are filtered."""
        return self.keys is not None or self.delegate is not None or self.read != EVERYONE


PUBLIC = FieldRule(read=EVERYONE, edit=WRITERS)
# Read by all; ADMIN and MANAGER change it directly, SALES through a change request (R20).
REVIEWED = FieldRule(read=EVERYONE, edit=PRIVILEGED, review=True)
SYSTEM = FieldRule(read=EVERYONE, edit=frozenset())  # set by the server only


def personal(
    read: frozenset[str] = NAMED,
    mask: Mask = Mask.HIDE,
    edit: frozenset[str] = WRITERS,
    review: bool = False,
    only_kind: str | None = None,
) -> FieldRule:
    return FieldRule(
        read=read, edit=edit, mask=mask, personal=True, review=review, only_kind=only_kind
    )


def json_keys(table: str) -> FieldRule:
    return FieldRule(read=EVERYONE, edit=frozenset(), keys=table)


def as_field(stand_in: str) -> FieldRule:
    return FieldRule(read=EVERYONE, edit=frozenset(), delegate=stand_in)


# Figures over every customer, whoever owns them: null for a viewer who does not read them all.
WHOLE_BOOK = FieldRule(read=READ_ALL_ROLES, edit=frozenset(), mask=Mask.HIDE)
# What such a field's description says (its roles, from READ_ALL_ROLES).
WHOLE_BOOK_DOC = "Null unless you read every customer (" + ", ".join(sorted(READ_ALL_ROLES)) + ")."

# A custom field marked personal (R10): masked as other personal data.
PERSONAL_CUSTOM = personal()


# Types that can hold a person's data: every one of their fields must have a rule below.
# Company is not one (a company is not a person), but its `legalRepresentative` names one and
# has its own rule; User (our staff) likewise for `email`.
PERSONAL_TYPES = frozenset(
    {
        "Person",
        "Employment",
        "MapNode",
        "MapEdge",
        "GraphMap",
        "SearchHit",
        "Relationship",
        "IntroHop",
        "IntroPath",
        "RelPath",
        "InfluenceRank",
        "FieldHistoryEntry",
        "OutreachMessage",
        "OutboxMessage",
        "PlannedMessage",
    }
)

TYPE_DEFAULTS: dict[str, FieldRule] = {}
DEFAULT = PUBLIC

FIELD_RULES: dict[tuple[str, str], FieldRule] = {
    ("Person", "id"): SYSTEM,
    ("Person", "externalSource"): PUBLIC,
    # A source system's key for a person (an HR system's employee number) names them as well
    # as their name does: hidden from the anonymised view, as the name is pseudonymised.
    ("Person", "externalId"): personal(),
    ("Person", "version"): SYSTEM,
    ("Person", "createdAt"): SYSTEM,
    ("Person", "updatedAt"): SYSTEM,
    ("Person", "archivedAt"): SYSTEM,
    ("Person", "name"): personal(mask=Mask.PSEUDONYM, edit=PRIVILEGED, review=True),
    ("Person", "nameEn"): personal(mask=Mask.HIDE),
    ("Person", "gender"): personal(),
    ("Person", "birthDate"): personal(edit=PRIVILEGED, review=True),
    ("Person", "nationality"): personal(),
    ("Person", "idType"): personal(),
    ("Person", "idNumber"): personal(
        read=PRIVILEGED, mask=Mask.ID_NUMBER, edit=PRIVILEGED, review=True
    ),
    ("Person", "mobile"): personal(read=PRIVILEGED, mask=Mask.PHONE, edit=PRIVILEGED, review=True),
    ("Person", "officePhone"): personal(),
    ("Person", "email"): personal(mask=Mask.EMAIL),
    ("Person", "education"): personal(),
    ("Person", "occupation"): personal(),
    ("Person", "hasPurchasingPower"): PUBLIC,
    ("Person", "hobbies"): personal(),
    ("Person", "customer"): PUBLIC,
    ("Person", "custom"): personal(),
    ("Person", "employer"): PUBLIC,
    ("Person", "owner"): PUBLIC,
    # Consent records hold no personal values; they change through recordConsent only.
    ("Person", "consents"): SYSTEM,
    ("Person", "shares"): PUBLIC,
    # Figures computed from the records (counts, amounts, dates) name no one; analysts need them.
    ("Person", "figures"): SYSTEM,
    # Scores from the scoring run: numbers and codes; the people a signal names are Person
    # rows, masked by their own rules.
    ("Person", "intelligence"): SYSTEM,
    # Cross-sell (R18): products, counts, dates and cycles; related accounts are companies.
    ("Person", "purchasePreferences"): SYSTEM,
    ("Person", "recommendations"): SYSTEM,
    # Classes the review derives from the profile and the records, as the figures are.
    ("Person", "classes"): SYSTEM,
    ("Person", "channels"): PUBLIC,  # statuses only, never a value
    ("Person", "dataQuality"): PUBLIC,
    # Values inside are masked per field by resolvers/review.py.
    ("Person", "pendingChanges"): PUBLIC,
    # The viewer's own right, computed by the server: says nothing of the person.
    ("Person", "mayEdit"): SYSTEM,
    # A company's identity and its customer classification change through review (R20).
    ("Company", "name"): REVIEWED,
    ("Company", "unifiedSocialCreditCode"): REVIEWED,
    ("CustomerProfile", "tier"): REVIEWED,
    ("CustomerProfile", "classification"): REVIEWED,
    # A job is business information; the statistics an analyst runs need titles.
    ("Employment", "company"): PUBLIC,
    ("Employment", "title"): PUBLIC,
    ("Employment", "department"): PUBLIC,
    ("Employment", "since"): PUBLIC,
    ("Employment", "relationshipId"): SYSTEM,
    # Companies are public records, but their legal representative is a named individual;
    # a change to it is reviewed (R20).
    ("Company", "legalRepresentative"): personal(edit=PRIVILEGED, review=True),
    # Our own staff: the work e-mail is theirs.
    ("User", "email"): personal(mask=Mask.EMAIL, edit=PRIVILEGED),
    # A classification review's totals count every customer: only roles that read them all
    # see them (tester AT: a rep learnt the size of the whole book, and of each class).
    ("ClassificationRun", "customers"): WHOLE_BOOK,
    ("ClassificationRun", "changed"): WHOLE_BOOK,
    ("ClassificationRun", "classes"): WHOLE_BOOK,
    ("ClassificationRun", "dimensions"): WHOLE_BOOK,
    ("ClassificationReview", "customers"): WHOLE_BOOK,
    ("ClassificationReview", "changed"): WHOLE_BOOK,
    ("ClassificationReview", "classes"): WHOLE_BOOK,
    ("ClassificationReview", "dimensions"): WHOLE_BOOK,
    ("RelatedProduct", "support"): WHOLE_BOOK,
    ("RelatedProduct", "buyersOfProduct"): WHOLE_BOOK,
    ("RelatedProduct", "buyersOfRelated"): WHOLE_BOOK,
    ("RelatedProduct", "population"): WHOLE_BOOK,
    # Maps, trees and paths: a PERSON node's name and English name are personal.
    ("MapNode", "id"): SYSTEM,
    ("MapNode", "kind"): SYSTEM,
    ("MapNode", "name"): personal(mask=Mask.PSEUDONYM, only_kind="PERSON"),
    ("MapNode", "nameEn"): personal(only_kind="PERSON"),
    ("MapNode", "isCustomer"): SYSTEM,
    ("MapNode", "tier"): SYSTEM,
    ("MapNode", "lifecycleStage"): SYSTEM,
    ("MapNode", "title"): SYSTEM,
    ("MapNode", "department"): SYSTEM,
    ("MapNode", "companyId"): SYSTEM,
    ("MapNode", "depth"): SYSTEM,
    ("MapNode", "role"): SYSTEM,
    ("MapNode", "stance"): SYSTEM,
    ("MapNode", "influence"): SYSTEM,
    ("MapNode", "hidden"): SYSTEM,
    ("MapNode", "x"): SYSTEM,
    ("MapNode", "y"): SYSTEM,
    ("MapNode", "data"): json_keys("MapNode.data"),
    ("MapEdge", "id"): SYSTEM,
    ("MapEdge", "source"): SYSTEM,
    ("MapEdge", "target"): SYSTEM,
    ("MapEdge", "type"): SYSTEM,
    ("MapEdge", "since"): SYSTEM,
    ("MapEdge", "until"): SYSTEM,
    ("MapEdge", "kind"): SYSTEM,
    ("MapEdge", "strength"): SYSTEM,
    ("MapEdge", "polarity"): SYSTEM,
    ("MapEdge", "data"): json_keys("MapEdge.data"),
    # Exports read the map's rows directly: they are masked as MapNode / MapEdge first
    # (EXPORTS below), so these two fields carry no rule of their own.
    ("GraphMap", "nodes"): SYSTEM,
    ("GraphMap", "edges"): SYSTEM,
    ("GraphMap", "truncated"): SYSTEM,
    ("GraphMap", "moreBeyondDepth"): SYSTEM,
    ("GraphMap", "cytoscape"): SYSTEM,
    ("GraphMap", "graphml"): SYSTEM,
    ("SearchHit", "id"): SYSTEM,
    ("SearchHit", "kind"): SYSTEM,
    ("SearchHit", "name"): personal(mask=Mask.PSEUDONYM, only_kind="PERSON"),
    ("SearchHit", "nameEn"): personal(only_kind="PERSON"),
    ("SearchHit", "score"): SYSTEM,
    ("SearchHit", "node"): SYSTEM,
    # Edges: free text about a person (what an influence rests on, their concerns, notes, a
    # competitor's rep by name) is personal; the structure is not.
    ("Relationship", "id"): SYSTEM,
    ("Relationship", "type"): SYSTEM,
    ("Relationship", "fromId"): SYSTEM,
    ("Relationship", "toId"): SYSTEM,
    ("Relationship", "since"): PUBLIC,
    ("Relationship", "until"): PUBLIC,
    ("Relationship", "version"): SYSTEM,
    ("Relationship", "createdAt"): SYSTEM,
    ("Relationship", "updatedAt"): SYSTEM,
    ("Relationship", "kind"): PUBLIC,
    ("Relationship", "ownership"): PUBLIC,
    ("Relationship", "products"): PUBLIC,
    ("Relationship", "region"): PUBLIC,
    ("Relationship", "note"): personal(),
    ("Relationship", "strength"): PUBLIC,
    ("Relationship", "satisfaction"): PUBLIC,
    ("Relationship", "repName"): personal(),
    ("Relationship", "title"): PUBLIC,
    ("Relationship", "department"): PUBLIC,
    ("Relationship", "polarity"): PUBLIC,
    ("Relationship", "basis"): personal(),
    ("Relationship", "projectId"): PUBLIC,
    ("Relationship", "role"): PUBLIC,
    ("Relationship", "stance"): PUBLIC,
    ("Relationship", "concerns"): personal(),
    ("Relationship", "fromNode"): SYSTEM,
    ("Relationship", "toNode"): SYSTEM,
    # Warm introductions and rankings explain themselves with people's names.
    ("IntroHop", "from"): SYSTEM,
    ("IntroHop", "to"): SYSTEM,
    ("IntroHop", "tie"): SYSTEM,
    ("IntroHop", "types"): SYSTEM,
    ("IntroHop", "strength"): SYSTEM,
    ("IntroHop", "explanation"): personal(mask=Mask.WITHHELD),
    ("IntroHop", "edgeIds"): SYSTEM,
    ("IntroPath", "nodes"): SYSTEM,
    ("IntroPath", "edges"): SYSTEM,
    ("IntroPath", "hops"): SYSTEM,
    ("IntroPath", "strength"): SYSTEM,
    ("IntroPath", "colleagueHops"): SYSTEM,
    ("IntroPath", "explanation"): personal(mask=Mask.WITHHELD),
    ("IntroPath", "ranking"): SYSTEM,
    # `path` and `relatedAccounts` paths: nodes and edges masked as their own types.
    ("RelPath", "nodes"): SYSTEM,
    ("RelPath", "edges"): SYSTEM,
    ("RelPath", "strength"): SYSTEM,
    ("RelPath", "explanation"): personal(mask=Mask.WITHHELD),
    ("InfluenceRank", "person"): SYSTEM,
    ("InfluenceRank", "score"): SYSTEM,
    ("InfluenceRank", "betweenness"): SYSTEM,
    ("InfluenceRank", "rank"): SYSTEM,
    ("InfluenceRank", "explanation"): personal(mask=Mask.WITHHELD),
    # Field history (R9, R23): the values are masked exactly as the live field they belong to.
    ("FieldHistoryEntry", "id"): SYSTEM,
    ("FieldHistoryEntry", "targetId"): SYSTEM,
    ("FieldHistoryEntry", "targetLabel"): SYSTEM,
    ("FieldHistoryEntry", "field"): SYSTEM,
    ("FieldHistoryEntry", "oldValue"): as_field("oldRow"),
    ("FieldHistoryEntry", "newValue"): as_field("newRow"),
    ("FieldHistoryEntry", "at"): SYSTEM,
    ("FieldHistoryEntry", "by"): SYSTEM,
    ("FieldHistoryEntry", "requestId"): SYSTEM,
    ("FieldHistoryEntry", "mergedFrom"): SYSTEM,  # a merged record's id, as targetId is
    # Company fields of R9 (settlement, bank account, visit cycle) are business data: PUBLIC.
}

# Records over time: free text written about a customer's people (what was said, agreed,
# complained about) is personal; kinds, times, amounts and statuses are business figures.
RECORD_TYPES = ("Interaction", "Order", "Payment", "Delivery", "ServiceCase", "Survey",
                "Contract", "VisitPlan", "MarketingActivity")  # fmt: skip
FIELD_RULES.update({(t, "notes"): personal() for t in RECORD_TYPES})
FIELD_RULES.update({
    # A conversation's subject names its people ("拜访张总"); an outreach message's is
    # rendered with the contact's name (resolvers/outreach.py).
    ("Interaction", "subject"): personal(),
    ("Interaction", "agreement"): personal(),
    ("ServiceCase", "resolution"): personal(),
    ("Survey", "answers"): personal(),
    ("FollowUp", "action"): personal(),
    ("FollowUp", "outcome"): personal(),
    # A visit plan's purpose names whom it is to see ("与刘建国总确认二期预算"), as a subject
    # does, whatever the record's kind (tester AQ).
    ("VisitPlan", "purpose"): personal(),
    # A channel check's note is about the person reached ("丁先生本人接听 ...", tester AR).
    ("VerificationEvent", "note"): personal(),
})  # fmt: skip
FIELD_RULES.update({(t, "subject"): personal() for t in RECORD_TYPES})
# Team knowledge (R27): a note's title is free text about a customer's people, as its notes.
FIELD_RULES[("KnowledgeNote", "title")] = personal()

# Outreach (resolvers/outreach.py): who sends (sendOutreach, previewMessage, and keeping
# templates: SALES their own, ADMIN and MANAGER any); AUDITOR and ANALYST never send. A
# message's address is masked as the person's own field, and what it says (rendered with names)
# or what the channel answered (it may quote the address) is personal.
OUTREACH_SENDERS = WRITERS
TEMPLATE_KEEPERS = PRIVILEGED
_ADDRESSES = {
    "email": personal(mask=Mask.EMAIL, edit=frozenset()),
    "mobile": personal(read=PRIVILEGED, mask=Mask.PHONE, edit=frozenset()),
    "subject": personal(edit=frozenset()),
    "body": personal(edit=frozenset()),
}
_OUTREACH_SYSTEM = {
    "OutreachMessage": ("id", "seq", "jobId", "status", "reason", "channel", "customerId",
                        "personId", "customer", "person", "sendingAt", "sentAt", "recordId"),
    "OutboxMessage": ("id", "channel", "at", "jobId", "customerId"),
    "PlannedMessage": ("customerId", "personId", "customer", "person", "channel", "willSend",
                       "reason"),
}  # fmt: skip
for _type, _fields in _OUTREACH_SYSTEM.items():
    FIELD_RULES.update({(_type, f): SYSTEM for f in _fields})
    FIELD_RULES.update({(_type, f): r for f, r in _ADDRESSES.items()})
FIELD_RULES[("OutreachMessage", "failure")] = personal(edit=frozenset())

# The keys a JSON field may show, each under its own rule. Anything else is dropped.
DATA_RULES: dict[str, dict[str, FieldRule]] = {
    "MapNode.data": {
        # companies and customers
        "industry": SYSTEM,
        "scale": SYSTEM,
        "shortName": SYSTEM,
        "customerCode": SYSTEM,
        "customerKind": SYSTEM,
        "classification": SYSTEM,
        "openProjectAmount": SYSTEM,
        # projects
        "stage": SYSTEM,
        "status": SYSTEM,
        "amount": SYSTEM,
        "currency": SYSTEM,
        "expectedClose": SYSTEM,
        # people
        "occupation": personal(),
        "hasPurchasingPower": SYSTEM,
        "projectRoles": SYSTEM,
        "concerns": personal(),
        "stanceHistory": SYSTEM,
        # staff
        "team": SYSTEM,
    },
    "MapEdge.data": {
        "id": SYSTEM,
        "since": SYSTEM,
        "until": SYSTEM,
        "version": SYSTEM,
        "createdAt": SYSTEM,
        "updatedAt": SYSTEM,
        "kind": SYSTEM,
        "ownership": SYSTEM,
        "products": SYSTEM,
        "region": SYSTEM,
        "note": personal(),
        "strength": SYSTEM,
        "satisfaction": SYSTEM,
        "repName": personal(),
        "title": SYSTEM,
        "department": SYSTEM,
        "polarity": SYSTEM,
        "basis": personal(),
        "projectId": SYSTEM,
        "role": SYSTEM,
        "stance": SYSTEM,
        "concerns": personal(),
    },
}

# Fields whose resolver reads other rows of its parent (exports): the listed keys of the
# parent row are lists of rows of the named type, masked as that type before the resolver runs.
EXPORTS: dict[tuple[str, str], dict[str, str]] = {
    ("GraphMap", "cytoscape"): {"nodes": "MapNode", "edges": "MapEdge"},
    ("GraphMap", "graphml"): {"nodes": "MapNode", "edges": "MapEdge"},
}


def rule(type_name: str, field: str) -> FieldRule:
    """The rule for `type_name.field`: its own, else its type's default, else PUBLIC."""
    return FIELD_RULES.get((type_name, field)) or TYPE_DEFAULTS.get(type_name, DEFAULT)


def live_rule(type_name: str, field: str, is_personal: bool) -> FieldRule:
    """The rule a delegated value follows: `type_name.field`'s, or PERSONAL_CUSTOM for a
    custom field marked personal when that is stricter."""
    own = rule(type_name, field)
    return PERSONAL_CUSTOM if is_personal and not own.personal else own


def may_read(roles: frozenset[str], r: FieldRule) -> bool:
    return bool(roles & r.read)


def may_edit(roles: frozenset[str], r: FieldRule) -> bool:
    return bool(roles & r.edit)
