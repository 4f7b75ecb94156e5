"""Process configuration, read once from the environment.

Every variable is listed in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent


class SettingsError(ValueError):
    """A variable's value cannot be used: the message names the variable and what it takes."""


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_JVM_SIZE = re.compile(r"\d+[kKmMgG]?")


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word not in _TRUE | _FALSE:
        raise SettingsError(f"{name}={raw!r}: give 1 or 0 (true/false, yes/no, on/off)")
    return word in _TRUE


def _int(name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: give a whole number") from None
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{name}={raw!r}: give {span}")
    return value


def _float(name: str, default: float, low: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: give a number") from None
    if not math.isfinite(value) or value < low:
        raise SettingsError(f"{name}={raw!r}: give a number of at least {low:g}")
    return value


def _jvm_size(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip() or default
    if not _JVM_SIZE.fullmatch(raw):
        raise SettingsError(f"{name}={raw!r}: give a size such as 512m or 2g")
    return raw


def _log_level() -> str:
    raw = os.environ.get("CRM_LOG_LEVEL", "").strip() or "INFO"
    if raw.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingsError(f"CRM_LOG_LEVEL={raw!r}: give DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return raw.upper()


def _log_format() -> str:
    raw = os.environ.get("CRM_LOG_FORMAT", "").strip().lower() or "text"
    if raw not in {"text", "json"}:
        raise SettingsError(f"CRM_LOG_FORMAT={raw!r}: give text or json")
    return raw


def _timezone() -> str:
    raw = os.environ.get("CRM_TIMEZONE", "").strip() or "Asia/Shanghai"
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"CRM_TIMEZONE={raw!r}: give an IANA time zone such as Asia/Shanghai"
        ) from None
    return raw


def port(name: str, default: int) -> int:
    """A TCP port from `name` (CRM_PORT, ...): 1..65535."""
    return _int(name, default, 1, 65535)


def workers() -> int:
    """uvicorn workers from CRM_WORKERS: at least 1."""
    return _int("CRM_WORKERS", 1, 1)


@dataclass(frozen=True)
class Settings:
    """What the app needs to start. Built by `Settings.from_env()` or by tests directly."""

    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    # Where the embedded server keeps jars, config, password and (by default) data.
    local_home: Path = ROOT / ".neo4j"
    local_data_dir: Path | None = None
    local_bolt_port: int = 0
    local_heap: str = "1g"
    local_pagecache: str = "1g"
    dev: bool = True
    allow_anonymous: bool = True
    demo_data: bool = False
    # Access (issue 12): companies that are not customers are visible to every viewer.
    public_companies: bool = True
    # Keys the stable pseudonyms of anonymised (ANALYST) views; empty: a development key.
    pseudonym_key: str = ""
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    log_level: str = "INFO"
    timezone: str = "Asia/Shanghai"  # read by graph/clock.py at import; validated here
    # --- requests: backpressure, limits, logs (issue 11) ---
    log_format: str = "text"  # "text" or "json"
    max_in_flight: int = 64  # GraphQL requests per worker; past it: 503 SERVER_BUSY
    max_body_bytes: int = 1 << 20  # request body; past it: 413
    body_timeout_seconds: float = 10.0  # the whole body must arrive in it; past it: 408
    max_query_bytes: int = 100_000  # the GraphQL document itself
    max_nesting: int = 64
    max_fragments: int = 100
    query_cache_bytes: int = 64 << 20  # parsed documents; validation results get a quarter
    transaction_timeout: float = 15.0  # seconds a transaction may run; 0 for the server's
    neo4j_pool_size: int = 100
    neo4j_acquisition_timeout: float = 5.0  # seconds to wait for a pooled connection
    warm_up_seconds: float = 60.0  # plan named statements before /readyz; 0 turns it off
    # --- end requests ---
    # Customer scoring (issue 14) inside the server: hours between runs; 0 turns it off
    # (then `crm-graph score` or the runScoring mutation, e.g. from cron).
    scoring_interval_hours: float = 0.0
    # Personal data (issue 12): `id:base64,...` AES-256 keys, newest first, and the HMAC key
    # for ID-number look-ups. Unset in dev: generated into local_home/data-keys.json.
    data_keys: str | None = None
    data_hash_key: str | None = None
    # Operations: shutdown drain time, and the longest wait between embedded-server restarts.
    shutdown_grace_seconds: float = 30.0
    local_restart_max_backoff: float = 30.0
    # How long `crm-graph serve` keeps an idle HTTP connection open. Longer than the idle
    # timeout of common clients and proxies (httpx 5 s, load balancers 60 s): the client
    # then closes first, and never sends on a connection the server is closing.
    keep_alive_seconds: float = 75.0
    # --- keys, sign-in and query cost (issue 12) ---
    auth_cache_seconds: float = 5.0  # how long a revoked key may keep working on a worker
    oidc_issuer: str | None = None  # set all three of issuer, audience, JWKS URL to accept JWTs
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_user_claim: str = "sub"  # "sub": User.oidcSubject; "email": User.email
    oidc_algorithms: tuple[str, ...] = ("RS256",)
    max_query_cost: int = 100_000  # budget of one operation (schema/cost.py)
    # --- end issue 12 ---
    # --- outreach (issue 17, resolvers/outreach.py): SMTP for e-mail; unset host: outbox ---
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "crm@localhost"
    smtp_starttls: bool = True
    smtp_timeout: float = 30.0
    outreach_rate_per_minute: int = 60  # a job's default sending rate
    # --- end outreach ---
    # Import and export jobs over HTTP (issue 15): where their files live (None: `transfer-jobs`
    # under local_home) and the largest upload.
    transfer_dir: Path | None = None
    transfer_max_bytes: int = 50 << 20
    # Finished jobs' folders are removed after this many days (0: kept for ever).
    transfer_keep_days: float = 7.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def transfer_jobs_dir(self) -> Path:
        return self.transfer_dir or self.local_home / "transfer-jobs"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer or self.oidc_audience or self.oidc_jwks_url)

    @classmethod
    def from_env(cls) -> Settings:
        dev = _bool("CRM_DEV", True)
        home = Path(os.environ.get("CRM_NEO4J_HOME", str(ROOT / ".neo4j")))
        data = os.environ.get("CRM_NEO4J_DATA_DIR")
        return cls(
            neo4j_uri=os.environ.get("NEO4J_URI") or None,
            neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
            neo4j_password=os.environ.get("NEO4J_PASSWORD") or None,
            neo4j_database=os.environ.get("NEO4J_DATABASE", "neo4j"),
            local_home=home,
            local_data_dir=Path(data) if data else None,
            local_bolt_port=_int("CRM_NEO4J_BOLT_PORT", 0, 0, 65535),
            local_heap=_jvm_size("CRM_NEO4J_HEAP", "1g"),
            local_pagecache=_jvm_size("CRM_NEO4J_PAGECACHE", "1g"),
            dev=dev,
            allow_anonymous=_bool("CRM_ALLOW_ANONYMOUS", dev),
            demo_data=_bool("CRM_DEMO_DATA", False),
            public_companies=_bool("CRM_PUBLIC_COMPANIES", True),
            pseudonym_key=os.environ.get("CRM_PSEUDONYM_KEY", ""),
            max_query_depth=_int("CRM_MAX_QUERY_DEPTH", 12, 1),
            max_aliases=_int("CRM_MAX_ALIASES", 30, 1),
            max_tokens=_int("CRM_MAX_TOKENS", 5000, 1),
            log_level=_log_level(),
            timezone=_timezone(),
            # --- requests (issue 11) ---
            log_format=_log_format(),
            max_in_flight=_int("CRM_MAX_IN_FLIGHT", 64, 1),
            max_body_bytes=_int("CRM_MAX_BODY_BYTES", 1 << 20, 1),
            body_timeout_seconds=_float("CRM_BODY_TIMEOUT_SECONDS", 10.0, 0.1),
            max_query_bytes=_int("CRM_MAX_QUERY_BYTES", 100_000, 1),
            max_nesting=_int("CRM_MAX_NESTING", 64, 1),
            max_fragments=_int("CRM_MAX_FRAGMENTS", 100, 0),
            query_cache_bytes=_int("CRM_QUERY_CACHE_BYTES", 64 << 20, 0),
            transaction_timeout=_float("CRM_TRANSACTION_TIMEOUT", 15.0),
            neo4j_pool_size=_int("CRM_NEO4J_POOL_SIZE", 100, 1),
            neo4j_acquisition_timeout=_float("CRM_NEO4J_ACQUISITION_TIMEOUT", 5.0),
            warm_up_seconds=_float("CRM_WARM_UP_SECONDS", 60.0),
            scoring_interval_hours=_float("CRM_SCORING_INTERVAL_HOURS", 24.0),
            data_keys=os.environ.get("CRM_DATA_KEYS") or None,
            data_hash_key=os.environ.get("CRM_DATA_HASH_KEY") or None,
            shutdown_grace_seconds=_float("CRM_SHUTDOWN_GRACE_SECONDS", 30.0),
            local_restart_max_backoff=_float("CRM_NEO4J_RESTART_MAX_BACKOFF", 30.0),
            keep_alive_seconds=_float("CRM_KEEP_ALIVE_SECONDS", 75.0),
            auth_cache_seconds=_float("CRM_AUTH_CACHE_SECONDS", 5.0),
            oidc_issuer=os.environ.get("CRM_OIDC_ISSUER") or None,
            oidc_audience=os.environ.get("CRM_OIDC_AUDIENCE") or None,
            oidc_jwks_url=os.environ.get("CRM_OIDC_JWKS_URL") or None,
            oidc_user_claim=os.environ.get("CRM_OIDC_USER_CLAIM", "sub").strip().lower(),
            oidc_algorithms=tuple(
                a.strip() for a in os.environ.get("CRM_OIDC_ALGORITHMS", "RS256").split(",")
            ),
            max_query_cost=_int("CRM_MAX_QUERY_COST", 100_000, 1),
            smtp_host=os.environ.get("CRM_SMTP_HOST") or None,
            smtp_port=port("CRM_SMTP_PORT", 587),
            smtp_user=os.environ.get("CRM_SMTP_USER") or None,
            smtp_password=os.environ.get("CRM_SMTP_PASSWORD") or None,
            smtp_from=os.environ.get("CRM_SMTP_FROM", "crm@localhost"),
            smtp_starttls=_bool("CRM_SMTP_STARTTLS", True),
            smtp_timeout=_float("CRM_SMTP_TIMEOUT", 30.0),
            outreach_rate_per_minute=_int("CRM_OUTREACH_RATE_PER_MINUTE", 60, 1, 6000),
            transfer_dir=Path(t) if (t := os.environ.get("CRM_TRANSFER_DIR")) else None,
            transfer_max_bytes=_int("CRM_TRANSFER_MAX_BYTES", 50 << 20, 1),
            transfer_keep_days=_float("CRM_TRANSFER_KEEP_DAYS", 7.0),
        )
