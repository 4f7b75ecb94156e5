"""Demo data: a bilingual group of companies, contacts, projects, our staff and their teams.

The data lives in `graph.demo_data`; this module turns it into rows and loads them with one
batched UNWIND statement per label and per relationship type, all in one write transaction
together with one `demo.seed` audit event. Nodes and relationships are MERGEd on their fixed ids,
so a retried or repeated load writes nothing twice.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any, LiteralString

from graph import clock, crypto, demo_pipeline, demo_plans, pinyin, records
from graph import demo_data as data
from graph import demo_records as history
from graph.actor import Actor
from graph.db import Cypher, Database, Tx
from graph.nodes import AUDIT, Audit
from graph.vocab import ENDPOINTS, Label, Rel

# Staff accounts alone do not make a database "not empty": an installer may create its admin
# user first and seed afterwards. Companies, people or projects do.
IS_EMPTY = Cypher(
    "demo.is_empty",
    "RETURN NOT EXISTS { MATCH (:Company) } AND NOT EXISTS { MATCH (:Person) } "
    "AND NOT EXISTS { MATCH (:Project) } AS empty",
)


def _node_statement(label: Label) -> Cypher:
    lb: LiteralString = label.value  # closed vocabulary, never input
    return Cypher(
        f"demo.{label.value.lower()}s",
        "UNWIND $rows AS row MERGE (n:" + lb + " {id: row.id}) "
        "ON CREATE SET n += row.props, n.version = 1, n.createdAt = datetime(), "
        "n.updatedAt = datetime() "
        "FOREACH (_ IN CASE WHEN row.customer THEN [1] ELSE [] END | SET n:Customer) "
        "RETURN count(n) AS n",
    )


def _match(var: LiteralString, key: LiteralString, labels: tuple[Label, ...]) -> LiteralString:
    if len(labels) == 1:
        lb: LiteralString = labels[0].value
        return "MATCH (" + var + ":" + lb + " {id: row." + key + "}) "
    where: LiteralString = " OR ".join(var + ":" + label.value for label in labels)
    return "MATCH (" + var + ") WHERE " + var + ".id = row." + key + " AND (" + where + ") "


def _edge_statement(rel: Rel) -> Cypher:
    src, dst = ENDPOINTS[rel]
    tp: LiteralString = rel.value  # closed vocabulary, never input
    return Cypher(
        f"demo.{rel.value.lower()}",
        "UNWIND $rows AS row "
        + _match("a", "from", src)
        + _match("b", "to", dst)
        + "MERGE (a)-[r:"
        + tp
        + " {id: row.id}]->(b) "
        "ON CREATE SET r += row.props, r.version = 1, r.createdAt = datetime(), "
        "r.updatedAt = datetime() "
        "RETURN count(r) AS n",
    )


NODE_STATEMENTS: dict[Label, Cypher] = {label: _node_statement(label) for label in Label}
EDGE_STATEMENTS: dict[Rel, Cypher] = {rel: _edge_statement(rel) for rel in Rel}

STANCE_CHANGES = Cypher(
    "demo.stance_changes",
    "UNWIND $rows AS row MERGE (s:StanceChange {id: row.id}) "
    "ON CREATE SET s += row.props, s.version = 1, s.createdAt = datetime(), "
    "s.updatedAt = datetime() "
    "RETURN count(s) AS n",
)

# Teams MERGE on their code: an installer may have made them (or migration V0005 from users'
# `team`) before seeding; a team already placed in a hierarchy keeps its parent.
TEAMS = Cypher(
    "demo.teams",
    "UNWIND $rows AS row MERGE (t:Team {code: row.code}) "
    "ON CREATE SET t.id = row.id, t.name = row.name, t.version = 1, t.createdAt = datetime(), "
    "t.updatedAt = datetime() "
    "WITH t, row MATCH (p:Team {code: row.parent}) WHERE NOT (t)-[:PART_OF]->(:Team) "
    "MERGE (t)-[:PART_OF]->(p) RETURN count(t) AS n",
)
# Access edges are not in the business vocabulary (graph/access.py), hence their own statement.
SHARES = Cypher(
    "demo.shares",
    "UNWIND $rows AS row "
    "CALL (row) { MATCH (a:Company {id: row.account}) RETURN a "
    "  UNION MATCH (a:Person {id: row.account}) RETURN a } "
    "MATCH (u:User {id: row.user}) "
    "MERGE (a)-[s:SHARED_WITH {id: row.id}]->(u) "
    "ON CREATE SET s.level = row.level, s.by = row.by, s.at = datetime(), s.reason = row.reason "
    "RETURN count(s) AS n",
)

SEED_AUDIT = Cypher("demo.audit", AUDIT + " RETURN a.id AS id")

# The demo users' keys (public: they are in the README). Production refuses to start while
# any of them works (app.py).
DEMO_KEYS = Cypher(
    "demo.api_keys",
    "UNWIND $rows AS row MATCH (u:User {id: row.userId}) "
    "MERGE (k:ApiKey {hash: row.hash}) ON CREATE SET k.id = row.id, k.name = 'demo', "
    "k.prefix = row.prefix, k.createdAt = datetime(), k.createdBy = $actor "
    "MERGE (u)-[:HAS_KEY]->(k) RETURN count(k) AS n",
)


def demo_key_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": data.demo_id("apikey", key),
            "userId": data.demo_id("user", key),
            "hash": data.sha256_hex(api_key),
            "prefix": api_key[:12],
        }
        for key, (_, _, _, _, api_key) in data.USERS.items()
    ]


SEED_ACTOR = "system:demo-seed"
SEED_TIMEOUT = 600.0


def _compact(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if v is not None}


def _edge(rel: Rel, src: str, dst: str, props: dict[str, Any], *extra: str) -> dict[str, Any]:
    """One relationship row; its id derives from type, endpoints and any disambiguating key."""
    key = ":".join((rel.value, src, dst, *extra))
    return {"id": data.demo_id("rel", key), "from": src, "to": dst, "props": _compact(props)}


def node_rows() -> dict[Label, list[dict[str, Any]]]:
    """Rows per label: {id, props, customer}."""
    companies = []
    for key, raw in data.COMPANIES.items():
        props = dict(raw)
        profile = props.pop("customer", None)
        companies.append(
            {
                "id": data.demo_id("company", key),
                "props": _compact({**props, **(profile or {})}),
                "customer": profile is not None,
            }
        )
    people = []
    for key, (name, name_en, gender, extra) in data.PEOPLE.items():
        profile = data.PERSON_CUSTOMERS.get(key)
        email = None if "occupation" in extra else f"{key.replace('_', '.')}@contacts.example"
        people.append(
            {
                "id": data.demo_id("person", key),
                "props": _compact(
                    {
                        "name": name,
                        "nameEn": name_en,
                        "gender": gender,
                        "email": email,
                        **extra,
                        **(profile or {}),
                    }
                ),
                "customer": profile is not None,
            }
        )
    projects = [
        {"id": data.demo_id("project", key), "props": _compact(props), "customer": False}
        for key, (props, _) in data.PROJECTS.items()
    ]
    users = [
        {
            "id": data.demo_id("user", key),
            "props": {
                "name": name,
                "email": email,
                "team": team,
                "roles": roles,
            },
            "customer": False,
        }
        for key, (name, email, team, roles, api_key) in data.USERS.items()
    ]
    return {
        Label.COMPANY: companies,
        Label.PERSON: people,
        Label.PROJECT: projects,
        Label.USER: users,
    }


def edge_rows() -> dict[Rel, list[dict[str, Any]]]:
    """Rows per relationship type: {id, from, to, props} with node ids resolved."""
    company = partial(data.demo_id, "company")
    person = partial(data.demo_id, "person")
    project = partial(data.demo_id, "project")
    user = partial(data.demo_id, "user")
    rows: dict[Rel, list[dict[str, Any]]] = {rel: [] for rel in Rel}

    def add(rel: Rel, src: str, dst: str, props: dict[str, Any], *extra: str) -> None:
        rows[rel].append(_edge(rel, src, dst, props, *extra))

    since: dt.date | None
    for child, parent, kind, ownership, since in data.SUBSIDIARY_OF:
        props = {"kind": kind, "ownership": ownership, "since": since}
        add(Rel.SUBSIDIARY_OF, company(child), company(parent), props)
    for tp, src, dst, link, since in data.COMPANY_LINKS:
        add(Rel(tp), company(src), company(dst), {**link, "since": since})
    for who, where, title, dept, started, until in data.WORKS_AT:
        job = {"title": title, "department": dept, "since": started, "until": until}
        add(Rel.WORKS_AT, person(who), company(where), job, started.isoformat())
    for who, manager, kind, since in data.REPORTS_TO:
        add(Rel.REPORTS_TO, person(who), person(manager), {"kind": kind, "since": since})
    for src, dst, strength, polarity, basis, scope in data.INFLUENCES:
        sway = {
            "strength": strength,
            "polarity": polarity,
            "basis": basis,
            "projectId": project(scope) if scope else None,
        }
        add(Rel.INFLUENCES, person(src), person(dst), sway, scope or "")
    for a, b, kind, since in data.RELATED_TO:
        add(Rel.RELATED_TO, person(a), person(b), {"kind": kind, "since": since})
    for project_key, (_, customer) in data.PROJECTS.items():
        add(Rel.FOR, project(project_key), company(customer), {})
    for who, project_key, role, stance, concerns in data.PARTICIPATES_IN:
        part = {"role": role, "stance": stance, "concerns": concerns}
        add(Rel.PARTICIPATES_IN, person(who), project(project_key), part, role)
    for who, customer, kind in data.OWNS:
        add(Rel.OWNS, user(who), company(customer) if kind == "company" else person(customer), {})
    for who, project_key, role in data.ON_TEAM:
        add(Rel.ON_TEAM, user(who), project(project_key), {"role": role})
    for who, contact, strength in data.KNOWS:
        add(Rel.KNOWS, user(who), person(contact), {"strength": strength})
    for src_kind, src, dst_kind, dst, note, since in history.REFERRALS:
        ends = (data.demo_id(src_kind, src), data.demo_id(dst_kind, dst))
        add(Rel.REFERRED, *ends, {"note": note, "since": since})
    return {rel: r for rel, r in rows.items() if r}


def team_rows() -> list[dict[str, Any]]:
    return [
        {"id": data.demo_id("team", code), "code": code, "name": name, "parent": parent}
        for code, (name, parent) in data.TEAMS.items()
    ]


def share_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": data.demo_id("share", f"{kind}:{account}:{user}"),
            "account": data.demo_id(kind, account),
            "user": data.demo_id("user", user),
            "level": level,
            "by": data.demo_id("user", by),
            "reason": reason,
        }
        for kind, account, user, level, by, reason in data.SHARES
    ]


def stance_change_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": data.demo_id("stance", f"{project_key}:{who}:{at.isoformat()}"),
            "props": _compact(
                {
                    "projectId": data.demo_id("project", project_key),
                    "personId": data.demo_id("person", who),
                    "from": before,
                    "to": after,
                    "at": at,
                    "by": data.demo_id("user", by),
                }
            ),
        }
        for project_key, who, before, after, at, by in data.STANCE_CHANGES
    ]


async def _load_records(tx: Tx) -> None:
    """Products, then two years of records ending today; orders come before the payments and
    deliveries against them (RecordKind's order)."""
    await tx.run(records.PRODUCT_LOAD, {"rows": history.product_rows()})
    for kind, rows in history.record_rows(clock.today()).items():
        written = await tx.run(records.LOAD[kind], {"rows": rows, "actor": SEED_ACTOR})
        if written[0]["n"] != len(rows):
            raise RuntimeError(f"demo {kind.value}: {written[0]['n']} of {len(rows)} written")


async def seed_if_empty(db: Database) -> bool:
    """Load the demo data set into an empty database. True if it loaded anything."""
    nodes = node_rows()
    edges = edge_rows()
    stances = stance_change_rows()
    audit = Audit(Actor(SEED_ACTOR), "demo.seed", "demo-seed").params(
        data.GROUP_ID,
        Label.COMPANY,
        [label.value for label in nodes] + ["StanceChange", "ApiKey", "Team", "Product", "Record"],
        data.demo_id("audit", "demo.seed"),
    )

    async def work(tx: Tx) -> bool:
        # Checked inside the transaction so that two starting instances do not both load.
        if not (await tx.run(IS_EMPTY))[0]["empty"]:
            return False
        await tx.run(TEAMS, {"rows": team_rows()})
        for label, rows in nodes.items():
            rows = [
                {**r, "props": pinyin.with_keys(label, crypto.protect(label, r["props"]))}
                for r in rows
            ]
            await tx.run(NODE_STATEMENTS[label], {"rows": rows})
        await tx.run(STANCE_CHANGES, {"rows": stances})
        await tx.run(DEMO_KEYS, {"rows": demo_key_rows(), "actor": SEED_ACTOR})
        for rel, rows in edges.items():
            written = await tx.run(EDGE_STATEMENTS[rel], {"rows": rows})
            if written[0]["n"] != len(rows):
                raise RuntimeError(f"demo {rel.value}: {written[0]['n']} of {len(rows)} written")
        shares = share_rows()
        written = await tx.run(SHARES, {"rows": shares})
        if written[0]["n"] != len(shares):
            raise RuntimeError(f"demo shares: {written[0]['n']} of {len(shares)} written")
        await _load_records(tx)
        await demo_pipeline.load(tx, clock.today(), SEED_ACTOR)
        await demo_plans.load(tx, clock.today())
        await tx.run(SEED_AUDIT, audit)
        return True

    # One transaction, so a half-loaded demo never exists; it runs at start-up, not for a
    # request, and takes seconds on a busy machine: the request timeout does not apply.
    return await db.transaction(work, server_timeout=SEED_TIMEOUT)
