"""Team knowledge (R27): notes worth keeping, marked on the records that hold them.

The smallest model that does the job: a record (graph/records.py) whose notes are worth
keeping, such as a won deal's story or an objection and its answer, gets the `:Knowledge`
label with a title, tags, and who marked it when. The text stays where it was written (the
record's subject, notes, agreement or resolution), so there is no second copy to keep in
step, and the note follows its record's access: it is found only by viewers who see the
record's customer, and marked or unmarked by those who may edit that customer. Voided records
drop out of the results.

Search runs over the `knowledge_notes` FULLTEXT index (cjk analyzer: Chinese as overlapping
bigrams, Latin text by words), through graph/search.py's escaping, so user text never reaches
Lucene's syntax. One Chinese character cannot match a bigram index: that case falls back to
CONTAINS over the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString, TypedDict

from graph import access, pages
from graph.actor import Actor
from graph.db import Cypher, Database
from graph.nodes import AUDIT, PROJECTION, Audit
from graph.records import RECORD, RecordRow
from graph.refusal import Refusal
from graph.search import is_single_cjk, lucene_query

MAX_TAGS = 10
# Properties a knowledge note is searched by (the index's, and the CONTAINS fallback's).
FIELDS: tuple[LiteralString, ...] = (
    "knowledgeTitle",
    "knowledgeText",
    "subject",
    "notes",
    "agreement",
    "resolution",
)
# What a viewer who sees people anonymised (access.named) may search: the tags. The title, the
# subject and the record's free text are hidden from them (a subject names its people), and a
# match on a guessed name would tell what those say.
OPEN_FIELDS: tuple[LiteralString, ...] = ("knowledgeText",)


class NoteRow(TypedDict):
    record: RecordRow
    title: str
    tags: list[str]
    markedAt: Any
    markedBy: Any  # NodeRow of the user, when it still exists
    score: float


NOTE: LiteralString = (
    "{record: " + RECORD + ", title: r.knowledgeTitle, tags: coalesce(r.knowledgeTags, []), "
    "markedAt: r.knowledgeMarkedAt, markedBy: head(COLLECT { MATCH (n:User "
    "{id: r.knowledgeMarkedBy}) RETURN " + PROJECTION + " }), score: score}"
)

# The verdict on marking record `r` (bound or null) whose customer is `n`.
_VERDICT: LiteralString = (
    "CASE WHEN r IS NULL OR NOT " + access.visible("n") + " THEN 'missing' "
    "WHEN NOT " + access.editable("n") + " THEN 'forbidden' "
    "WHEN r.voidedAt IS NOT NULL THEN 'ended' "
    "WHEN $expectedVersion IS NOT NULL AND r.version <> $expectedVersion THEN 'conflict' "
    "ELSE 'ok' END AS verdict "
)
_BUMP: LiteralString = "r.version = r.version + 1, r.updatedAt = datetime() "
MARK = Cypher(
    "knowledge.mark",
    "OPTIONAL MATCH (r:Record {id: $id})-[:ABOUT]->(n) "
    "WITH r, n, " + _VERDICT + "CALL (r, verdict) { WITH r WHERE verdict = 'ok' "
    # Marked already with this title and these tags: nothing to write (no version, no audit).
    "  AND NOT (r:Knowledge AND r.knowledgeTitle = $title "
    "  AND coalesce(r.knowledgeTags, []) = coalesce($tags, [])) "
    "  SET r:Knowledge, r.knowledgeTitle = $title, r.knowledgeTags = $tags, "
    "  r.knowledgeText = $tagText, r.knowledgeMarkedAt = datetime(), "
    "  r.knowledgeMarkedBy = $actor, " + _BUMP + "WITH r " + AUDIT + " } "
    # `n` (the customer) leaves scope: RECORD's own patterns bind `n` afresh.
    "WITH r, verdict RETURN verdict, r.version AS version, "
    "CASE WHEN verdict = 'ok' THEN " + RECORD + " END AS record",
)  # fmt: skip
UNMARK = Cypher(
    "knowledge.unmark",
    "OPTIONAL MATCH (r:Record {id: $id})-[:ABOUT]->(n) "
    "WITH r, n, " + _VERDICT + "CALL (r, verdict) { WITH r WHERE verdict = 'ok' AND r:Knowledge "
    "  REMOVE r:Knowledge SET r.knowledgeTitle = null, r.knowledgeTags = null, "
    "  r.knowledgeText = null, r.knowledgeMarkedAt = null, r.knowledgeMarkedBy = null, "
    + _BUMP + "WITH r " + AUDIT + " } "
    # `n` (the customer) leaves scope: RECORD's own patterns bind `n` afresh.
    "WITH r, verdict RETURN verdict, r.version AS version, "
    "CASE WHEN verdict = 'ok' THEN " + RECORD + " END AS record",
)  # fmt: skip

_VISIBLE: LiteralString = (
    "r:Knowledge AND r.voidedAt IS NULL "
    "AND ($tags IS NULL OR any(t IN $tags WHERE t IN r.knowledgeTags)) "
    "AND EXISTS { MATCH (r)-[:ABOUT]->(c) WHERE " + access.visible("c") + " } "
)
_AFTER: LiteralString = (
    "AND ($afterScore IS NULL OR score < $afterScore OR (score = $afterScore AND r.id > $afterId)) "
)
_FULLTEXT: LiteralString = (
    "CALL db.index.fulltext.queryNodes('knowledge_notes', $query) YIELD node AS r, score "
    "WHERE " + _VISIBLE
)


def _contains(fields: tuple[LiteralString, ...]) -> LiteralString:
    return (
        "MATCH (r:Knowledge) WHERE ("
        + " OR ".join("r." + f + " CONTAINS $text" for f in fields)
        + ") AND " + _VISIBLE + "WITH r, 1.0 AS score WHERE true "
    )  # fmt: skip


_CONTAINS = _contains(FIELDS)
_CONTAINS_OPEN = _contains(OPEN_FIELDS)
_PAGE: LiteralString = (
    "WITH r, score ORDER BY score DESC, r.id LIMIT $limit RETURN " + NOTE + " AS note"
)
# By how it matches: the full-text index (an anonymised viewer's query names OPEN_FIELDS),
# or CONTAINS for a single CJK character (on OPEN_FIELDS only for that viewer).
SEARCH = {
    "fulltext": Cypher("knowledge.search", _FULLTEXT + _AFTER + _PAGE),
    "contains": Cypher("knowledge.search.contains", _CONTAINS + _AFTER + _PAGE),
    "contains.open": Cypher("knowledge.search.contains.open", _CONTAINS_OPEN + _AFTER + _PAGE),
}
COUNT = {
    "fulltext": Cypher("knowledge.search.count", _FULLTEXT + "RETURN count(r) AS total"),
    "contains": Cypher("knowledge.search.contains.count", _CONTAINS + "RETURN count(r) AS total"),
    "contains.open": Cypher(
        "knowledge.search.contains.open.count", _CONTAINS_OPEN + "RETURN count(r) AS total"
    ),
}


@dataclass(frozen=True)
class MarkResult:
    record: RecordRow | None = None
    refusal: Refusal | None = None
    current_version: int | None = None


_REFUSALS = {
    "missing": Refusal.NOT_FOUND,
    "forbidden": Refusal.FORBIDDEN,
    "ended": Refusal.ENDED,
    "conflict": Refusal.CONFLICT,
}


async def mark(
    db: Database,
    record_id: str,
    title: str | None,
    tags: list[str],
    expected_version: int | None,
    audit: Audit,
) -> MarkResult:
    """Mark a record as team knowledge (title given) or unmark it (title None)."""
    params = {
        "id": record_id,
        "title": title,
        "tags": tags,
        # Tags are searched as words beside the title and the record's text.
        "tagText": " ".join(tags),
        "expectedVersion": expected_version,
        "acl": access.acl_params(audit.actor),
        **audit.params(record_id, "Record", ["knowledgeTitle", "knowledgeTags"]),
    }
    rows = await db.write(MARK if title is not None else UNMARK, params)
    row = rows[0]
    refusal = _REFUSALS.get(row["verdict"])
    return MarkResult(row["record"], refusal, row["version"])


async def search(
    db: Database,
    actor: Actor,
    text: str,
    tags: list[str] | None,
    limit: int,
    after: tuple[float, str] | None,
    with_total: bool,
) -> tuple[list[NoteRow], int | None]:
    """Knowledge notes matching `text`, best first, among the customers `actor` sees."""
    text = text.strip()
    contains = is_single_cjk(text)
    query = None if contains else lucene_query(text)
    if not contains and query is None:
        return [], 0 if with_total else None
    named = access.named(actor)
    if query is not None and not named:  # the open fields only (OPEN_FIELDS)
        query = " ".join(f"{f}:({query})" for f in OPEN_FIELDS)
    how = "fulltext" if not contains else "contains" if named else "contains.open"
    params: dict[str, Any] = {
        "query": query,
        "text": text,
        "tags": tags,
        "acl": access.acl_params(actor),
    }
    position = pages.after(after, "afterScore")
    rows, total = await pages.read(db, SEARCH[how], COUNT[how], params, position, limit, with_total)
    return [r["note"] for r in rows], total
