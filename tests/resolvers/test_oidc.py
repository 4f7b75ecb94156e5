"""OpenID Connect bearer tokens, signed with a key made here and served as a JWKS by a local
fetcher (and once by a local HTTP server): no network, no provider."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.testclient import TestClient

from neo4j import Driver
from resolvers.errors import ApiError
from resolvers.oidc import OidcConfigError, OidcVerifier, fetch_jwks
from settings import Settings
from tests.conftest import PERSONAS

ISSUER = "https://idp.example.test/"
AUDIENCE = "crm-graph"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(private: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return {**data, "kid": kid, "use": "sig", "alg": "RS256"}


class Jwks:
    """The provider's key set, counting how often it is fetched."""

    def __init__(self) -> None:
        self.keys = [jwk(KEY, "k1")]
        self.fetches = 0

    async def __call__(self, url: str) -> dict[str, Any]:
        self.fetches += 1
        return {"keys": self.keys}


def token(claims: dict[str, Any] | None = None, key: Any = KEY, **header: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "idp|wang", "iat": now, "exp": now + 300}
    body.update(claims or {})
    body = {k: v for k, v in body.items() if v is not None}
    alg = header.pop("alg", "RS256")
    return jwt.encode(body, key, algorithm=alg, headers={"kid": "k1", **header})


def verifier(jwks: Jwks, claim: str = "sub") -> OidcVerifier:
    return OidcVerifier(ISSUER, AUDIENCE, "https://idp.example.test/jwks", claim, fetcher=jwks)


@pytest.fixture(scope="module")
def jwks() -> Jwks:
    return Jwks()


@pytest.fixture(scope="module")
def oidc_client(settings: Settings, jwks: Jwks) -> Iterator[TestClient]:
    from app import create_app

    app = create_app(replace(settings, warm_up_seconds=0), oidc=verifier(jwks))
    with TestClient(app, raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 120
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        yield client


def ask(client: TestClient, credential: str) -> tuple[int, Any]:
    r = client.post(
        "/graphql",
        json={"query": "{ apiKeys { id } }"},
        headers={"Authorization": f"Bearer {credential}"},
    )
    body = r.json()
    if r.status_code != 200:
        return r.status_code, body["errors"][0]["extensions"]["code"]
    return r.status_code, body


@pytest.fixture
def mapped(cypher: Driver) -> str:
    """The owner persona, known to the provider as `idp|wang`."""
    cypher.execute_query(
        "MATCH (u:User {id: $id}) SET u.oidcSubject = 'idp|wang'",
        id=PERSONAS["owner"]["id"],
        database_="neo4j",
    )
    return str(PERSONAS["owner"]["id"])


def test_a_valid_token_signs_in_as_the_mapped_user(oidc_client: TestClient, mapped: str) -> None:
    status, body = ask(oidc_client, token())
    assert status == 200
    # The owner's own key list: the token signed in as the owner, not as anyone else.
    assert len(body["data"]["apiKeys"]) == 1


def test_api_keys_still_work_beside_tokens(oidc_client: TestClient, cypher: Driver) -> None:
    assert ask(oidc_client, PERSONAS["admin"]["key"])[0] == 200


@pytest.mark.parametrize(
    ("claims", "header"),
    [
        ({"sub": "idp|stranger"}, {}),  # unknown subject
        ({"aud": "someone-else"}, {}),
        ({"iss": "https://evil.example/"}, {}),
        ({"exp": int(time.time()) - 3600}, {}),
        ({"nbf": int(time.time()) + 3600}, {}),
        ({"exp": None}, {}),  # exp is required
        ({}, {"kid": "unknown"}),
    ],
    ids=["unknown-subject", "audience", "issuer", "expired", "not-yet", "no-exp", "kid"],
)
def test_bad_tokens_are_unauthenticated(
    oidc_client: TestClient, mapped: str, claims: dict[str, Any], header: dict[str, Any]
) -> None:
    assert ask(oidc_client, token(claims, **header)) == (401, "UNAUTHENTICATED")


def test_a_token_signed_by_another_key_is_refused(oidc_client: TestClient, mapped: str) -> None:
    assert ask(oidc_client, token(key=OTHER_KEY)) == (401, "UNAUTHENTICATED")


def test_alg_none_and_hmac_with_the_public_key_are_refused(
    oidc_client: TestClient, mapped: str
) -> None:
    unsigned = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "idp|wang", "exp": int(time.time()) + 300},
        None,
        algorithm="none",
        headers={"kid": "k1"},
    )
    assert ask(oidc_client, unsigned) == (401, "UNAUTHENTICATED")
    # The classic confusion attack: HS256 with the provider's public key as the secret.
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = _hs256(public_pem)
    assert ask(oidc_client, forged) == (401, "UNAUTHENTICATED")


def _hs256(secret: bytes) -> str:
    """An HS256 token made by hand: PyJWT itself refuses a PEM public key as an HMAC secret."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "idp|wang", "exp": int(time.time()) + 300}
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


def test_jwks_is_cached_and_unknown_kids_refetch_rarely() -> None:
    jwks = Jwks()
    v = verifier(jwks)
    v.refetch_seconds = 0.5

    async def run() -> None:
        for _ in range(3):
            assert (await v.verify(token())).value == "idp|wang"
        assert jwks.fetches == 1
        for _ in range(5):  # junk kids right after a fetch: refused from the cache
            with pytest.raises(ApiError):
                await v.verify(token(kid="junk"))
        assert jwks.fetches == 1
        await asyncio.sleep(0.6)
        for _ in range(5):  # later: one refetch, however many junk tokens arrive
            with pytest.raises(ApiError):
                await v.verify(token(kid="junk"))
        assert jwks.fetches == 2

    asyncio.run(run())


def test_a_new_signing_key_is_picked_up_by_its_kid() -> None:
    jwks = Jwks()
    v = verifier(jwks)
    v.refetch_seconds = 0  # the provider rotated its key a while ago

    async def run() -> None:
        await v.verify(token())
        jwks.keys.append(jwk(OTHER_KEY, "k2"))
        assert (await v.verify(token(key=OTHER_KEY, kid="k2"))).value == "idp|wang"

    asyncio.run(run())


def test_email_claim_maps_normalised_and_verified() -> None:
    v = verifier(Jwks(), claim="email")

    async def run() -> None:
        ok = await v.verify(token({"email": "Wang@Example.COM"}))
        assert ok.value == "Wang@example.com"  # as resolvers/validation.py stores e-mails
        with pytest.raises(ApiError):
            await v.verify(token({"email": "wang@example.com", "email_verified": False}))

    asyncio.run(run())


def test_email_mapping_through_the_app(settings: Settings, cypher: Driver) -> None:
    from app import create_app

    cypher.execute_query(
        "MATCH (u:User {id: $id}) SET u.email = 'li@example.com'",
        id=PERSONAS["other_team"]["id"],
        database_="neo4j",
    )
    app = create_app(replace(settings, warm_up_seconds=0), oidc=verifier(Jwks(), claim="email"))
    with TestClient(app, raise_server_exceptions=False) as client:
        while client.get("/readyz").status_code != 200:
            time.sleep(0.1)
        status, body = ask(client, token({"email": "li@example.com"}))
        assert status == 200
        assert len(body["data"]["apiKeys"]) == 1
        assert ask(client, token({"email": "nobody@example.com"})) == (401, "UNAUTHENTICATED")


def test_unsafe_configuration_is_refused() -> None:
    for algorithms in (("HS256",), ("none",), ()):
        with pytest.raises(OidcConfigError):
            OidcVerifier(ISSUER, AUDIENCE, "https://x/jwks", algorithms=algorithms)
    with pytest.raises(OidcConfigError):
        OidcVerifier(ISSUER, "", "https://x/jwks")
    with pytest.raises(OidcConfigError):
        OidcVerifier(ISSUER, AUDIENCE, "https://x/jwks", claim="name")


def test_settings_with_a_partial_oidc_configuration_refuse_to_start(settings: Settings) -> None:
    from app import StartupRefused, create_app

    # Refused before anything starts, as the other unusable settings are: one clear line.
    with pytest.raises(StartupRefused, match=r"CRM_OIDC_\*: OpenID Connect needs an issuer"):
        create_app(replace(settings, oidc_issuer=ISSUER))


def test_the_default_fetcher_reads_a_jwks_over_http() -> None:
    body = json.dumps({"keys": [jwk(KEY, "k1")]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/jwks"
        v = OidcVerifier(ISSUER, AUDIENCE, url)
        assert asyncio.run(fetch_jwks(url))["keys"][0]["kid"] == "k1"
        assert asyncio.run(v.verify(token())).value == "idp|wang"
    finally:
        server.shutdown()
        server.server_close()
