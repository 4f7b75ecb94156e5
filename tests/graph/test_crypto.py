"""ID-number encryption: the keyring, the write hook, migrating plain values, key rotation."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import crypto
from graph.actor import Actor
from graph.db import Database
from graph.server import LocalNeo4j
from graph.vocab import Label
from neo4j import Driver

ID_NUMBER = "11010519491231002X"
SYSTEM = Actor("system:test")


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def ring(*ids: str, hash_key: str | None = None) -> crypto.Keyring:
    return crypto.Keyring.parse(",".join(f"{i}:{key()}" for i in ids), hash_key or key())


@pytest.fixture
def keys() -> Iterator[None]:
    """Tests below swap the process keyring; the app's own comes back afterwards."""
    before = crypto.keyring()
    yield
    crypto.configure(before)


def test_newest_key_encrypts_every_key_decrypts() -> None:
    old = ring("k1")
    token = old.encrypt(ID_NUMBER)
    assert token.startswith("k1:")
    assert ID_NUMBER not in token
    # Deterministic, so re-running a load rewrites nothing; other values, other nonces.
    assert old.encrypt(ID_NUMBER) == token
    other = old.encrypt("110105198001010016")
    assert base64.b64decode(other.split(":")[1])[:12] != base64.b64decode(token[3:])[:12]
    both = crypto.Keyring((("k2", os.urandom(32)), *old.keys), old.hash_key)
    assert both.decrypt(token) == ID_NUMBER
    assert both.encrypt(ID_NUMBER).startswith("k2:")
    with pytest.raises(crypto.DataKeyError, match="no data key 'k1'"):
        ring("k3").decrypt(token)


def test_tampered_or_mislabelled_ciphertext_is_refused() -> None:
    r = ring("k1")
    kid, body = r.encrypt(ID_NUMBER).split(":")
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(crypto.DataKeyError, match="does not decrypt"):
        r.decrypt(f"{kid}:{base64.b64encode(bytes(raw)).decode()}")


def test_digest_is_keyed_and_normalised() -> None:
    h = key()
    a, b = ring("k1", hash_key=h), ring("k2", hash_key=h)
    assert a.digest(ID_NUMBER) == b.digest(" " + ID_NUMBER.lower())  # same hash key
    assert ring("k1").digest(ID_NUMBER) != a.digest(ID_NUMBER)  # another hash key


@pytest.mark.parametrize(
    ("data_keys", "hash_key", "message"),
    [
        ("k1", key(), "id:base64key"),
        ("k1:" + base64.b64encode(b"short").decode(), key(), "32 bytes"),
        ("bad id!:" + key(), key(), "data key id"),
        (f"k1:{key()},k1:{key()}", key(), "unique"),
        (f"k1:{key()}", base64.b64encode(b"short").decode(), "at least 32"),
    ],
    # Ids by what is wrong: the keys are random, and parallel workers must collect the same
    # test names.
    ids=["no-key", "short-key", "bad-id", "duplicate-id", "short-hash-key"],
)
def test_bad_configuration_is_refused(data_keys: str, hash_key: str, message: str) -> None:
    with pytest.raises(crypto.DataKeyError, match=message):
        crypto.Keyring.parse(data_keys, hash_key)


def test_production_needs_keys_and_dev_generates_them_once(tmp_path: Path) -> None:
    with pytest.raises(crypto.DataKeyError, match="production"):
        crypto.Keyring.load(None, None, dev=False, dev_dir=tmp_path)
    with pytest.raises(crypto.DataKeyError, match="both"):
        crypto.Keyring.load(f"k1:{key()}", None, dev=False, dev_dir=tmp_path)
    first = crypto.Keyring.load(None, None, dev=True, dev_dir=tmp_path)
    again = crypto.Keyring.load(None, None, dev=True, dev_dir=tmp_path)
    assert first == again
    assert (tmp_path / crypto.DEV_KEYS_FILE).stat().st_mode & 0o077 == 0  # owner only
    new = crypto.add_dev_key(tmp_path)
    rotated = crypto.Keyring.load(None, None, dev=True, dev_dir=tmp_path)
    assert rotated.newest == new
    assert rotated.keys[1:] == first.keys
    assert rotated.hash_key == first.hash_key
    configured = crypto.Keyring.load(f"prod:{key()}", key(), dev=True, dev_dir=tmp_path)
    assert configured.newest == "prod"  # configuration wins over the dev file


def test_protect_masks_encrypts_clears_and_skips_unchanged(keys: None) -> None:
    crypto.configure(ring("k1"))
    out = crypto.protect(Label.PERSON, {"name": "张伟", "idNumber": ID_NUMBER})
    assert out["idNumber"] == "1101**********002X"
    assert crypto.keyring().decrypt(out["idNumberCipher"]) == ID_NUMBER
    assert out["name"] == "张伟"
    # A merge copies the three together: already protected, left as is.
    assert crypto.protect(Label.PERSON, dict(out)) == out
    cleared = crypto.protect(Label.PERSON, {"idNumber": None})
    assert cleared == {"idNumber": None, "idNumberCipher": None, "idNumberDigest": None}
    same = crypto.protect(Label.PERSON, {"idNumber": ID_NUMBER, "name": "x"}, out)
    assert same == {"name": "x"}
    # Other labels are never touched.
    assert crypto.protect(Label.COMPANY, {"idNumber": "x"}) == {"idNumber": "x"}
    assert crypto.field_names(["idNumberCipher", "idNumberDigest", "idNumber", "a"]) == [
        "a",
        "idNumber",
    ]


def _run(server: LocalNeo4j, fn: str) -> int:
    async def main() -> int:
        db = Database(server.uri, "neo4j", server.password)
        try:
            done: int = await getattr(crypto, fn)(db, SYSTEM, batch=2)
            return done
        finally:
            await db.close()

    return asyncio.run(main())


def _people(cypher: Driver) -> dict[str, dict[str, str]]:
    records = cypher.execute_query(
        "MATCH (p:Person) RETURN p.id AS id, properties(p) AS props", database_="neo4j"
    ).records
    return {r["id"]: dict(r["props"]) for r in records}


def test_plain_values_are_encrypted_idempotently_then_rotated(
    cypher: Driver, neo4j_server: LocalNeo4j, keys: None
) -> None:
    cypher.execute_query(
        "UNWIND range(1, 5) AS i CREATE (:Person {id: 'p' + i, name: 'n' + i, "
        "idNumber: '1101051949123100' + i + 'X'})",
        database_="neo4j",
    )
    cypher.execute_query("CREATE (:Person {id: 'none', name: 'x'})", database_="neo4j")
    old = ring("old")
    crypto.configure(old)
    assert _run(neo4j_server, "encrypt_plain_ids") == 5
    assert _run(neo4j_server, "encrypt_plain_ids") == 0  # nothing left in plain text
    people = _people(cypher)
    assert "idNumber" not in people["none"]
    for i in range(1, 6):
        p = people[f"p{i}"]
        plain = f"1101051949123100{i}X"
        assert p["idNumber"] == crypto.mask(plain)
        assert old.decrypt(p["idNumberCipher"]) == plain
        assert p["idNumberDigest"] == old.digest(plain)
    # A pending change request holds an ID number change under the old key.
    held = [
        {"field": "idNumber", "kind": crypto.ENCRYPTED, "old": people["p1"]["idNumberCipher"],
         "new": old.encrypt("110105198001010016")},
        {"field": "mobile", "kind": "value", "old": None, "new": "+8613800000000"},
    ]  # fmt: skip
    cypher.execute_query(
        "CREATE (:ChangeRequest {id: 'cr1', targetId: 'p1', changes: $changes})",
        changes=json.dumps(held),
        database_="neo4j",
    )
    # Field history (graph/history.py) holds an ID number change under the old key too.
    cypher.execute_query(
        "CREATE (:FieldChange {id: 'fc1', targetId: 'p1', field: 'idNumber', old: 'x', "
        "oldCipher: $old, newCipher: null})",
        old=people["p2"]["idNumberCipher"],
        database_="neo4j",
    )
    # Rotation: a new data key in front, and a new hash key.
    new = crypto.Keyring((("new", os.urandom(32)), *old.keys), os.urandom(32))
    crypto.configure(new)
    assert _run(neo4j_server, "rotate") == 7  # five people, the request and the history entry
    assert _run(neo4j_server, "rotate") == 0  # idempotent
    for i in range(1, 6):
        p = _people(cypher)[f"p{i}"]
        assert p["idNumberCipher"].startswith("new:")
        assert new.digest(f"1101051949123100{i}X") == p["idNumberDigest"]
    # The old key can go now: the new one alone decrypts everything.
    alone = crypto.Keyring(new.keys[:1], new.hash_key)
    assert all(
        alone.decrypt(p["idNumberCipher"]) for k, p in _people(cypher).items() if k != "none"
    )
    assert json.dumps(_people(cypher)).count("1101051949123100") == 0
    [stored] = cypher.execute_query(
        "MATCH (r:ChangeRequest {id: 'cr1'}) RETURN r.changes AS c", database_="neo4j"
    ).records
    changes = json.loads(stored["c"])
    assert alone.decrypt(changes[0]["old"]) == "11010519491231001X"
    assert alone.decrypt(changes[0]["new"]) == "110105198001010016"
    assert changes[1] == held[1]  # other values are left as they were
    [entry] = cypher.execute_query(
        "MATCH (fc:FieldChange {id: 'fc1'}) RETURN fc.oldCipher AS old, fc.newCipher AS new",
        database_="neo4j",
    ).records
    assert alone.decrypt(entry["old"]) == "11010519491231002X"
    assert entry["new"] is None


def test_the_bulk_path_stores_no_plain_number(cypher: Driver, neo4j_server: LocalNeo4j) -> None:
    from graph import bulk

    async def main() -> None:
        db = Database(neo4j_server.uri, "neo4j", neo4j_server.password)
        try:
            rows = [{"id": "b1", "props": {"name": "张伟", "idNumber": ID_NUMBER}}]
            await bulk.upsert_nodes(db, Label.PERSON, rows)
            await bulk.upsert_nodes(db, Label.PERSON, rows)  # the update path too
        finally:
            await db.close()

    asyncio.run(main())
    p = _people(cypher)["b1"]
    assert p["idNumber"] == crypto.mask(ID_NUMBER)
    assert crypto.reveal(p) == ID_NUMBER
    assert ID_NUMBER not in json.dumps(p)
