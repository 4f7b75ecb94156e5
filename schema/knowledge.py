"""Team knowledge (R27): records whose notes are worth keeping, marked and searched."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import knowledge as r
from resolvers.knowledge import NoteRow
from resolvers.shapes import ConnectionOf
from schema.base import Info, input_mutation, optional, page_type, payload_type, wants_total
from schema.records import CustomerRecord
from schema.user import User


@strawberry.type(
    description="A team knowledge note (团队知识): a record whose notes are worth keeping, "
    "such as a won deal's story or an objection and its answer. It follows its record's "
    "customer: found only by viewers who see that customer."
)
class KnowledgeNote:
    record: CustomerRecord = strawberry.field(
        description="The record holding the text (its subject, notes, agreement, resolution)."
    )
    title: str | None = strawberry.field(
        description="The title it was marked with, ≤ 200; null for roles that do not read "
        "personal data."
    )
    tags: list[str] = strawberry.field(description="Tags, ≤ 10 of ≤ 50 characters each.")
    markedAt: dt.datetime = strawberry.field(description="When it was marked.")
    markedBy: User | None = strawberry.field(description="Who marked it.")
    score: float = strawberry.field(description="Search relevance; higher is better.")


KnowledgeNoteConnection = page_type(
    KnowledgeNote, "KnowledgeNote", "A knowledge note", "knowledge notes, best match first",
    "The note.",
)  # fmt: skip


@strawberry.input(
    description="Mark a record as team knowledge (or, with `remove`, unmark it). Marking "
    "again replaces the title and tags."
)
class MarkKnowledgeInput:
    record: strawberry.ID = strawberry.field(description="The record, not voided.")
    title: str | None = optional("≤ 200; required unless `remove`.")
    tags: list[str] | None = optional("≤ 10 tags of ≤ 50 characters, e.g. 异议, 价格.")
    expectedVersion: int | None = optional("The record's version: CONFLICT if stale.")
    remove: bool | None = optional("True: it is no longer team knowledge.")


KnowledgePayload = payload_type(
    "KnowledgePayload",
    "Result of markKnowledge.",
    record=(CustomerRecord | None, "The record as stored; null when `errors` is not empty."),
)


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class Query:
    @strawberry.field(
        description="Search team knowledge (知识库) by words, Chinese included (异议 or 价格 find "
        "Chinese notes; a single Chinese character is matched as a substring): the title, "
        "tags, subject, notes, agreement and resolution (tags only for a viewer who sees "
        "people pseudonymised, ANALYST). Only notes whose customer the viewer sees. "
        "`first` 1..100. One round trip a page, one more for `totalCount`.",
        graphql_type=KnowledgeNoteConnection,
    )
    async def knowledgeSearch(
        self,
        info: Info,
        text: Annotated[
            str,
            arg(
                f"Words to find, ≤ {r.MAX_TEXT} characters (BAD_USER_INPUT beyond); Lucene "
                "syntax is taken literally."
            ),
        ],
        first: Annotated[int, arg("Page size, 1..100.")],
        after: Annotated[str | None, arg("Continue after this cursor.")] = None,
        tags: Annotated[list[str] | None, arg("Only notes with one of these tags.")] = None,
    ) -> ConnectionOf[NoteRow]:
        return await r.search(info.context, text, tags, first, after, wants_total(info))


@strawberry.type
class Mutation:
    markKnowledge = input_mutation(
        MarkKnowledgeInput,
        r.mark_knowledge,
        KnowledgePayload,
        "Mark a record's notes as team knowledge with a title and tags, or unmark them "
        "(`remove`). Same rights as saveRecord on the record's customer. Audited.",
    )
