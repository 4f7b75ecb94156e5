"""OpenID Connect bearer tokens: verify a provider's JWT and name the identity in it.

PyJWT checks the signature with a key from the provider's JWKS, and `iss`, `aud`, `exp` and
`nbf` (all four required but `nbf`). Only asymmetric algorithms on the allow-list are
accepted: `none` and the HMAC family never are, so a token signed with the provider's public
key as an HMAC secret is refused. The JWKS is fetched once and kept for `jwks_seconds`; a
token naming an unknown `kid` refetches it, at most once every `refetch_seconds`, so junk
tokens cannot make us hammer the provider.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
from email_validator import EmailNotValidError, validate_email

from resolvers.errors import ApiError, ErrorCode

# Asymmetric algorithms only; HS* would let anyone holding the public key sign tokens.
SAFE_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
CLAIMS = ("sub", "email")
JWKS_TIMEOUT_SECONDS = 5.0
LEEWAY_SECONDS = 30

Fetcher = Callable[[str], Awaitable[dict[str, Any]]]


class OidcConfigError(ValueError):
    """The OpenID Connect settings cannot work (raised at start-up)."""


def looks_like_jwt(credential: str) -> bool:
    """Three base64url segments joined by dots; our API keys contain no dots."""
    return credential.count(".") == 2


async def fetch_jwks(url: str) -> dict[str, Any]:
    """The provider's key set, over HTTPS, off the event loop."""

    def get() -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_SECONDS) as response:  # noqa: S310
            data: dict[str, Any] = json.loads(response.read(1 << 20))
            return data

    return await asyncio.to_thread(get)


@dataclass(frozen=True)
class Identity:
    """What a verified token says: the mapped claim's value and when the token expires."""

    value: str
    expires: float  # POSIX seconds

    def seconds_left(self) -> float:
        return max(0.0, self.expires - time.time())


class OidcVerifier:
    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str,
        claim: str = "sub",
        algorithms: tuple[str, ...] = ("RS256",),
        fetcher: Fetcher | None = None,
        jwks_seconds: float = 3600.0,
        refetch_seconds: float = 30.0,
    ) -> None:
        if not (issuer and audience and jwks_url):
            raise OidcConfigError("OpenID Connect needs an issuer, an audience and a JWKS URL.")
        if claim not in CLAIMS:
            raise OidcConfigError(f"The user claim must be one of {', '.join(CLAIMS)}.")
        unsafe = sorted(set(algorithms) - SAFE_ALGORITHMS)
        if unsafe or not algorithms:
            raise OidcConfigError(
                f"Refusing JWT algorithms {unsafe or '(none given)'}: only "
                f"{', '.join(sorted(SAFE_ALGORITHMS))} are accepted."
            )
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.claim = claim
        self.algorithms = tuple(algorithms)
        self.fetcher = fetcher or fetch_jwks
        self.jwks_seconds = jwks_seconds
        self.refetch_seconds = refetch_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -1e18
        self._lock = asyncio.Lock()

    async def _refresh(self, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if age < (self.refetch_seconds if force else self.jwks_seconds):
                return  # fresh enough, or another request just refreshed it
            try:
                data = await self.fetcher(self.jwks_url)
            except Exception as exc:
                if self._keys:
                    return
                raise ApiError(
                    ErrorCode.UNAUTHENTICATED, "The identity provider's keys are unavailable."
                ) from exc
            found: dict[str, jwt.PyJWK] = {}
            for jwk in data.get("keys", []):
                if jwk.get("use", "sig") != "sig" or jwk.get("kty") == "oct":
                    continue  # encryption keys and shared secrets never verify our tokens
                try:
                    found[str(jwk.get("kid", ""))] = jwt.PyJWK(jwk)
                except jwt.PyJWTError:
                    continue  # a key type or curve we do not support
            self._keys = found
            self._fetched_at = time.monotonic()

    async def _key(self, kid: str) -> jwt.PyJWK:
        await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        key = self._keys.get(kid)
        if key is None:
            raise ApiError(ErrorCode.UNAUTHENTICATED, "The token's signing key is unknown.")
        return key

    async def verify(self, token: str) -> Identity:
        """The identity in a valid token; UNAUTHENTICATED for anything else."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise ApiError(ErrorCode.UNAUTHENTICATED, "The bearer token is malformed.") from exc
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise ApiError(ErrorCode.UNAUTHENTICATED, f"Token algorithm {alg!r} is not accepted.")
        key = await self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise ApiError(
                ErrorCode.UNAUTHENTICATED, f"The bearer token is invalid: {exc}"
            ) from exc
        value = claims.get(self.claim)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(ErrorCode.UNAUTHENTICATED, f"The token has no `{self.claim}` claim.")
        if self.claim == "email":
            if claims.get("email_verified") is False:
                raise ApiError(ErrorCode.UNAUTHENTICATED, "The token's e-mail is not verified.")
            try:  # stored e-mails are normalised so (resolvers/validation.py)
                value = str(validate_email(value.strip(), check_deliverability=False).normalized)
            except EmailNotValidError as exc:
                raise ApiError(ErrorCode.UNAUTHENTICATED, "The token's e-mail is invalid.") from exc
        return Identity(value, float(claims["exp"]))
