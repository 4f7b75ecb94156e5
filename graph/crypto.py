"""Sensitive identifiers encrypted at rest (issue 12): a person's ID document number.

Storage layout of a :Person (agreed with the field-permission layer):
- `idNumberCipher`: the number, encrypted with AES-256-GCM under the newest data key, as
  `<key id>:<base64(nonce | ciphertext | tag)>`;
- `idNumberDigest`: HMAC-SHA256 of the normalised number under a separate hash key, for exact
  look-up (find a person by ID number) without decrypting anything;
- `idNumber`: only the MASKED form (`1101**********002X`), so every read path that predates
  encryption is safe by default. Only viewers allowed the full value get it, decrypted from
  `idNumberCipher` (resolvers/privacy.py `reveal_id_number`).

Why AES-GCM and not Fernet: each ciphertext names its key id, so a key is found directly
(MultiFernet tries every key in turn) and `rotate-data-key` selects exactly the values still
under an older key with one indexed-free prefix test; the ciphertext is also shorter (an
18-character number becomes 66 characters instead of about 140). Both come from the same
well-kept library (`cryptography`), and GCM authenticates the value as Fernet's HMAC does.

Keys come from configuration: `CRM_DATA_KEYS` (`id:base64key,...`, newest first: the first
encrypts, all decrypt) and `CRM_DATA_HASH_KEY`. In dev, without them, a key pair is generated
once into the instance directory (`.neo4j/data-keys.json`, never committed); production refuses
to start without configured keys.

Every write path calls `protect(label, props)` on the property dict before it is written
(graph/nodes.py, bulk.py, merge.py, demo.py), so no write stores a plain number.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from graph.actor import Actor
from graph.db import Cypher, Database, Row
from graph.errors import CrmError
from graph.vocab import Label

ID_NUMBER = "idNumber"
CIPHER: LiteralString = "idNumberCipher"
DIGEST = "idNumberDigest"
# Stored next to `idNumber` and never shown as such; audit events name them `idNumber`.
INTERNAL = frozenset({CIPHER, DIGEST})

KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
NONCE_BYTES = 12  # the GCM standard nonce, derived from the value (Keyring.encrypt)
DEV_KEYS_FILE = "data-keys.json"


class DataKeyError(CrmError):
    """Data keys are missing, malformed, or cannot decrypt a stored value."""

    code = "DATA_KEY"


class DataKeyMissing(DataKeyError):
    """A stored value is under a data key this server lacks (or that does not open it): the
    operator dropped a key before `rotate-data-key`, or restored a dump from before a
    rotation. The client can do nothing but report it; it was INTERNAL (tester BN)."""

    code = "DATA_KEY_MISSING"
    expected = True
    log_level = logging.ERROR
    names_request = True
    public_message = (
        "A stored value is encrypted under a data key this server is not configured with; "
        "the operator must add it to CRM_DATA_KEYS (README, Personal data)."
    )


def mask(value: str) -> str:
    """The stored, shown-by-default form: region prefix (4) and last 4 characters kept."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def normalise(value: str) -> str:
    """What the digest is taken of: resident ID numbers end in `X` or `x` alike, in
    full-width forms too (NFKC), as validation stores them."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def _b64(raw: str, what: str) -> bytes:
    try:
        return base64.b64decode(raw.strip() + "=" * (-len(raw.strip()) % 4), altchars=b"-_")
    except (binascii.Error, ValueError) as exc:
        raise DataKeyError(f"{what} is not base64") from exc


def _text64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class Keyring:
    """The data keys (newest first) and the hash key. Construct with `parse` or `load`."""

    keys: tuple[tuple[str, bytes], ...]
    hash_key: bytes
    source: str = "configuration"

    def __post_init__(self) -> None:
        if not self.keys:
            raise DataKeyError("no data key configured")
        ids = [k for k, _ in self.keys]
        if len(set(ids)) != len(ids):
            raise DataKeyError("data key ids must be unique")
        for kid, key in self.keys:
            if not KEY_ID.match(kid):
                raise DataKeyError(f"data key id {kid!r}: use letters, digits, '.', '_', '-'")
            if len(key) != 32:
                raise DataKeyError(f"data key {kid}: must be 32 bytes (AES-256), base64")
        if len(self.hash_key) < 32:
            raise DataKeyError("the hash key (CRM_DATA_HASH_KEY) must be at least 32 bytes, base64")

    @property
    def newest(self) -> str:
        return self.keys[0][0]

    @staticmethod
    def parse(data_keys: str, hash_key: str, source: str = "configuration") -> Keyring:
        """`data_keys` is `id:base64,id:base64` (newest first), `hash_key` base64."""
        keys = []
        for part in data_keys.split(","):
            if not part.strip():
                continue
            kid, sep, raw = part.strip().partition(":")
            if not sep:
                raise DataKeyError("CRM_DATA_KEYS entries are `id:base64key`")
            keys.append((kid, _b64(raw, f"data key {kid}")))
        return Keyring(tuple(keys), _b64(hash_key, "CRM_DATA_HASH_KEY"), source)

    @staticmethod
    def load(data_keys: str | None, hash_key: str | None, dev: bool, dev_dir: Path) -> Keyring:
        """From configuration; in dev without it, from (or generated into) `dev_dir`."""
        if data_keys or hash_key:
            if not (data_keys and hash_key):
                raise DataKeyError("set both CRM_DATA_KEYS and CRM_DATA_HASH_KEY")
            return Keyring.parse(data_keys, hash_key)
        if not dev:
            raise DataKeyError(
                "production mode needs CRM_DATA_KEYS and CRM_DATA_HASH_KEY (README, Personal data)"
            )
        return dev_keyring(dev_dir)

    def encrypt(self, plain: str) -> str:
        """Deterministic: the nonce is an HMAC of the value under the data key (the SIV
        idea), so the same value gives the same ciphertext and a re-run load or upsert
        rewrites nothing, while two different values never share a nonce. Equality of two
        numbers is no secret here anyway: the digest reveals it, by design."""
        kid, key = self.keys[0]
        nonce = hmac.new(key, b"nonce:" + plain.encode("utf-8"), hashlib.sha256).digest()
        nonce = nonce[:NONCE_BYTES]
        sealed = AESGCM(key).encrypt(nonce, plain.encode("utf-8"), _aad(kid))
        return f"{kid}:{_text64(nonce + sealed)}"

    def decrypt(self, token: str) -> str:
        kid, _, body = token.partition(":")
        key = dict(self.keys).get(kid)
        if key is None:
            raise DataKeyMissing(f"no data key {kid!r} configured to decrypt a stored value")
        raw = _b64(body, "a stored ciphertext")
        try:
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(kid))
        except InvalidTag as exc:
            raise DataKeyMissing(f"a stored value does not decrypt under key {kid!r}") from exc
        return plain.decode("utf-8")

    def digest(self, plain: str) -> str:
        return hmac.new(self.hash_key, normalise(plain).encode("utf-8"), hashlib.sha256).hexdigest()

    def seal(self, purpose: str, plain: str) -> str:
        """`plain` as an opaque token the API hands out and takes back (a page cursor):
        encrypted, so it shows no name or id, and authenticated, so an altered one is refused.
        Its key is derived from the hash key, which stays when data keys rotate; deterministic
        as `encrypt` is (the same page end, the same cursor)."""
        key, aead = _sealing_key(self.hash_key, purpose)
        data = plain.encode("utf-8")
        nonce = hmac.new(key, b"nonce:" + data, hashlib.sha256).digest()[:NONCE_BYTES]
        sealed = aead.encrypt(nonce, data, purpose.encode("ascii"))
        return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")

    def unseal(self, purpose: str, token: str) -> str | None:
        """What `seal` sealed for `purpose`; None for anything else (altered, made by hand,
        sealed under another key or for another purpose)."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            aead = _sealing_key(self.hash_key, purpose)[1]
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode())
            return plain.decode("utf-8")
        except (ValueError, InvalidTag, UnicodeError):  # binascii.Error is a ValueError
            return None


@functools.lru_cache(maxsize=8)
def _sealing_key(hash_key: bytes, purpose: str) -> tuple[bytes, AESGCM]:
    key = hmac.new(hash_key, b"seal:" + purpose.encode("ascii"), hashlib.sha256).digest()
    return key, AESGCM(key)


def _aad(kid: str) -> bytes:
    # Binds the ciphertext to its purpose and its key id header.
    return b"crm-graph:Person.idNumber:" + kid.encode("ascii")


def dev_keyring(directory: Path) -> Keyring:
    """The dev key pair in `directory`, generated on first use (created exclusively, so two
    processes starting together agree on one file)."""
    path = directory / DEV_KEYS_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("dev-%Y%m%d")
        doc = {
            "keys": [[stamp, _text64(secrets.token_bytes(32))]],
            "hashKey": _text64(secrets.token_bytes(32)),
        }
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                json.dump(doc, f)
    doc = json.loads(path.read_text())
    keys = tuple((kid, _b64(raw, f"data key {kid}")) for kid, raw in doc["keys"])
    return Keyring(keys, _b64(doc["hashKey"], "hashKey"), f"dev file {path}")


def add_dev_key(directory: Path) -> str:
    """Dev only: put a freshly generated key in front of the dev file's keys; its id."""
    ring = dev_keyring(directory)
    path = directory / DEV_KEYS_FILE
    doc = json.loads(path.read_text())
    kid = datetime.now(UTC).strftime("dev-%Y%m%dT%H%M%S%f")
    doc["keys"].insert(0, [kid, _text64(secrets.token_bytes(32))])
    path.write_text(json.dumps(doc))
    assert kid != ring.newest
    return kid


_current: Keyring | None = None


def keyring_for(settings: Any) -> Keyring:
    """The keyring `settings` (settings.Settings) configure: keys, or the dev file."""
    return Keyring.load(
        settings.data_keys, settings.data_hash_key, settings.dev, settings.local_home
    )


def configure(ring: Keyring | None) -> None:
    """Set the process's keyring (app start-up and the CLI do, from Settings)."""
    global _current
    _current = ring


def keyring() -> Keyring:
    """The process's keyring; configured from the environment on first use when nobody
    configured it (bulk loads and scripts that never build the app)."""
    if _current is None:
        from settings import Settings  # the environment, read the way the app reads it

        configure(keyring_for(Settings.from_env()))
    assert _current is not None
    return _current


def protect(label: Label, props: dict[str, Any], stored: Any = None) -> dict[str, Any]:
    """`props` as they may be stored: a plain `idNumber` becomes its mask, ciphertext and
    digest; None clears all three. A masked value that travels with its ciphertext (a merge
    copying the three together) is already protected. With `stored` (the current row), an
    unchanged number is dropped, so an idempotent upsert stays a no-op."""
    if label is not Label.PERSON or ID_NUMBER not in props:
        return props
    value = props[ID_NUMBER]
    out = dict(props)
    if value is None:
        out[CIPHER] = out[DIGEST] = None
        return out
    if CIPHER in props:
        return out
    ring = keyring()
    digest = ring.digest(value)
    if stored is not None and stored.get(DIGEST) == digest:
        for key in (ID_NUMBER, CIPHER, DIGEST):
            out.pop(key, None)
        return out
    out[ID_NUMBER] = mask(value)
    out[CIPHER] = ring.encrypt(value)
    out[DIGEST] = digest
    return out


def field_names(keys: list[str]) -> list[str]:
    """Property names as audit events show them: the cipher and digest are `idNumber`."""
    return sorted({ID_NUMBER if k in INTERNAL else k for k in keys})


def reveal(row: Any) -> str | None:
    """The full ID number of a stored row (decrypted), or what is stored when there is no
    ciphertext (a value written before encryption and not yet migrated)."""
    token = row.get(CIPHER)
    if token:
        return keyring().decrypt(token)
    value: str | None = row.get(ID_NUMBER)
    return value


# --- Migrating stored values (Cypher cannot encrypt): `crm-graph encrypt-ids` and start-up,
# and `crm-graph rotate-data-key`. Both work in batches and may be interrupted and re-run.
BATCH = 500

PLAIN_IDS = Cypher(
    "crypto.plain_ids",
    "MATCH (p:Person) WHERE p.idNumber IS NOT NULL AND p.idNumberCipher IS NULL "
    "RETURN p.id AS id, p.idNumber AS value LIMIT $limit",
)
STORE_PLAIN = Cypher(
    "crypto.store_plain",
    "UNWIND $rows AS row MATCH (p:Person {id: row.id}) "
    "WHERE p.idNumberCipher IS NULL AND p.idNumber = row.value "
    "SET p.idNumber = row.masked, p.idNumberCipher = row.cipher, p.idNumberDigest = row.digest "
    "RETURN count(p) AS n",
)
CIPHERS = Cypher(
    "crypto.ciphers",
    "MATCH (p:Person) WHERE p.idNumberCipher IS NOT NULL AND p.id > $after "
    "RETURN p.id AS id, p.idNumberCipher AS cipher, p.idNumberDigest AS digest "
    "ORDER BY p.id LIMIT $limit",
)
STORE_ROTATED = Cypher(
    "crypto.store_rotated",
    "UNWIND $rows AS row MATCH (p:Person {id: row.id}) WHERE p.idNumberCipher = row.old "
    "SET p.idNumberCipher = row.cipher, p.idNumberDigest = row.digest RETURN count(p) AS n",
)


# The key ids stored values name that are not configured: checked at start-up, so that an
# operator who dropped a key too early, or restored a dump from before a rotation, hears of
# it then, not from a client's DATA_KEY_MISSING (tester BN).
UNKNOWN_KEYS = Cypher(
    "crypto.unknown_keys",
    "MATCH (p:Person) WHERE p.idNumberCipher IS NOT NULL "
    "WITH split(p.idNumberCipher, ':')[0] AS kid WHERE NOT kid IN $keyIds "
    "RETURN kid, count(*) AS n ORDER BY kid LIMIT 20",
)


async def unknown_keys(db: Database, actor: Actor) -> list[tuple[str, int]]:
    """(key id, how many people's ID numbers are under it) for each key id stored values
    name that the keyring lacks. (`actor` is the system actor running it.)"""
    configured = [kid for kid, _ in keyring().keys]
    rows = await db.read(UNKNOWN_KEYS, {"keyIds": configured})
    return [(r["kid"], r["n"]) for r in rows]


async def encrypt_plain_ids(db: Database, actor: Actor, batch: int = BATCH) -> int:
    """Encrypt every ID number still stored in plain text; idempotent. How many it did.
    (`actor` is the system actor running it: the values do not change, so no audit.)"""
    ring = keyring()
    done = 0
    while True:
        found = await db.read(PLAIN_IDS, {"limit": batch})
        if not found:
            return done
        rows = [
            {
                "id": r["id"],
                "value": r["value"],
                "masked": mask(r["value"]),
                "cipher": ring.encrypt(r["value"]),
                "digest": ring.digest(r["value"]),
            }
            for r in found
        ]
        written = (await db.write(STORE_PLAIN, {"rows": rows}))[0]["n"]
        if written == 0:  # every one changed under us: stop rather than spin; re-run later
            return done
        done += written


# Change requests (graph/review.py) hold a held ID number as ciphertext inside their JSON
# `changes`, as entries of this kind; rotation re-encrypts them too, so an old key can go.
ENCRYPTED = "encrypted"

REQUEST_CIPHERS = Cypher(
    "crypto.request_ciphers",
    "MATCH (r:ChangeRequest) WHERE r.id > $after AND r.changes CONTAINS $kind "
    "RETURN r.id AS id, r.changes AS changes ORDER BY r.id LIMIT $limit",
)
STORE_REQUEST_CIPHERS = Cypher(
    "crypto.store_request_ciphers",
    "UNWIND $rows AS row MATCH (r:ChangeRequest {id: row.id}) WHERE r.changes = row.old "
    "SET r.changes = row.changes RETURN count(r) AS n",
)


def _rotated_changes(ring: Keyring, text: str) -> str | None:
    """The request's changes with every stale ciphertext re-encrypted; None if none was."""
    changes = json.loads(text)
    stale = False
    for c in changes:
        if c.get("kind") != ENCRYPTED:
            continue
        for side in ("old", "new"):
            token = c.get(side)
            if token and not token.startswith(ring.newest + ":"):
                c[side] = ring.encrypt(ring.decrypt(token))
                stale = True
    return json.dumps(changes, ensure_ascii=False, sort_keys=True) if stale else None


async def _rewrite(
    db: Database,
    read: Cypher,
    store: Cypher,
    batch: int,
    rewrite: Callable[[Row], dict[str, Any] | None],
    params: Mapping[str, Any] | None = None,
) -> int:
    """Walk what `read` finds in id order, `batch` rows at a time, and store with `store` the
    rows `rewrite` changes (it answers the row to store, or None); how many `store` rewrote."""
    after = ""
    done = 0
    while True:
        found = await db.read(read, {**(params or {}), "after": after, "limit": batch})
        if not found:
            return done
        after = found[-1]["id"]
        rows = [row for r in found if (row := rewrite(r)) is not None]
        if rows:
            done += (await db.write(store, {"rows": rows}))[0]["n"]


async def _rotate_requests(db: Database, ring: Keyring, batch: int) -> int:
    def rewrite(r: Row) -> dict[str, Any] | None:
        changes = _rotated_changes(ring, r["changes"])
        if changes is None:
            return None
        return {"id": r["id"], "old": r["changes"], "changes": changes}

    kind = {"kind": f'"{ENCRYPTED}"'}
    return await _rewrite(db, REQUEST_CIPHERS, STORE_REQUEST_CIPHERS, batch, rewrite, kind)


# Field history (graph/history.py) keeps a changed ID number's ciphertexts: rotated as well.
HISTORY_CIPHERS = Cypher(
    "crypto.history_ciphers",
    "MATCH (fc:FieldChange) WHERE fc.id > $after "
    "AND (fc.oldCipher IS NOT NULL OR fc.newCipher IS NOT NULL) "
    "RETURN fc.id AS id, fc.oldCipher AS old, fc.newCipher AS new ORDER BY fc.id LIMIT $limit",
)
STORE_HISTORY_CIPHERS = Cypher(
    "crypto.store_history_ciphers",
    "UNWIND $rows AS row MATCH (fc:FieldChange {id: row.id}) "
    "WHERE coalesce(fc.oldCipher, '') = coalesce(row.was.old, '') "
    "AND coalesce(fc.newCipher, '') = coalesce(row.was.new, '') "
    "SET fc.oldCipher = row.old, fc.newCipher = row.new RETURN count(fc) AS n",
)


def _fresh(ring: Keyring, token: str | None) -> str | None:
    if not token or token.startswith(ring.newest + ":"):
        return token
    return ring.encrypt(ring.decrypt(token))


async def _rotate_history(db: Database, ring: Keyring, batch: int) -> int:
    def rewrite(r: Row) -> dict[str, Any] | None:
        old, new = _fresh(ring, r["old"]), _fresh(ring, r["new"])
        if (old, new) == (r["old"], r["new"]):
            return None
        return {"id": r["id"], "old": old, "new": new, "was": {"old": r["old"], "new": r["new"]}}

    return await _rewrite(db, HISTORY_CIPHERS, STORE_HISTORY_CIPHERS, batch, rewrite)


async def rotate(db: Database, actor: Actor, batch: int = BATCH) -> int:
    """Re-encrypt every ID number not under the newest key (on people, in change requests and
    in field history), and recompute every digest (so a new hash key takes effect too);
    idempotent. How many values (people, requests and history entries) it rewrote."""
    ring = keyring()

    def rewrite(r: Row) -> dict[str, Any] | None:
        plain = ring.decrypt(r["cipher"])
        stale = not r["cipher"].startswith(ring.newest + ":")
        digest = ring.digest(plain)
        if not stale and digest == r["digest"]:
            return None
        cipher = ring.encrypt(plain) if stale else r["cipher"]
        return {"id": r["id"], "old": r["cipher"], "cipher": cipher, "digest": digest}

    done = await _rotate_requests(db, ring, batch)
    done += await _rotate_history(db, ring, batch)
    return done + await _rewrite(db, CIPHERS, STORE_ROTATED, batch, rewrite)
