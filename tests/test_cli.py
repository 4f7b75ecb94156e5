"""The crm-graph command, run as a user would, in a subprocess."""

from __future__ import annotations

import argparse
import os
import signal
import time
from pathlib import Path

import httpx2 as httpx
import pytest

import cli
from graph.server import LocalNeo4j, PidRecord, _start_time, free_port
from neo4j import Driver
from settings import Settings
from tests.process import crm, serving, wait_ready


def test_migrate_list_against_an_external_server(neo4j_server: LocalNeo4j) -> None:
    env = {**os.environ, "NEO4J_URI": neo4j_server.uri, "NEO4J_PASSWORD": neo4j_server.password}
    assert crm(["migrate", "apply"], env).returncode == 0
    out = crm(["migrate", "list"], env)
    assert out.returncode == 0, out.stderr
    assert "applied" in out.stdout
    assert "V0001__unique_ids.cypher" in out.stdout


def test_export_schema_check_detects_staleness(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    target.write_text("type Query { stale: String }\n")
    env = dict(os.environ)
    assert crm(["export-schema", "--check", "--output", str(target)], env).returncode == 1
    assert crm(["export-schema", "--output", str(target)], env).returncode == 0
    assert crm(["export-schema", "--check", "--output", str(target)], env).returncode == 0


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("CRM_PORT", "abc", "CRM_PORT='abc': give a whole number"),
        ("CRM_WORKERS", "0", "CRM_WORKERS='0': give at least 1"),
        ("CRM_MAX_IN_FLIGHT", "-1", "CRM_MAX_IN_FLIGHT='-1': give at least 1"),
        ("CRM_MAX_BODY_BYTES", "1MB", "CRM_MAX_BODY_BYTES='1MB': give a whole number"),
        ("CRM_DEV", "maybe", "CRM_DEV='maybe': give 1 or 0"),
        ("CRM_NEO4J_HEAP", "lots", "CRM_NEO4J_HEAP='lots': give a size such as 512m or 2g"),
        ("CRM_BODY_TIMEOUT_SECONDS", "nan", "CRM_BODY_TIMEOUT_SECONDS='nan': give a number"),
        ("CRM_LOG_LEVEL", "LOUD", "CRM_LOG_LEVEL='LOUD': give DEBUG, INFO"),
        ("CRM_LOG_FORMAT", "xml", "CRM_LOG_FORMAT='xml': give text or json"),
        ("CRM_TIMEZONE", "Mars/Olympus", "CRM_TIMEZONE='Mars/Olympus': give an IANA time zone"),
    ],
)
def test_a_bad_setting_is_named_in_one_line(variable: str, value: str, says: str) -> None:
    out = crm(["export-schema", "--check"], {**os.environ, variable: value})
    assert out.returncode == 2
    assert out.stderr.strip().startswith(f"crm-graph: {says}"), out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("settings_", "says"),
    [
        ({"CRM_OIDC_ISSUER": "https://idp.example"}, "CRM_OIDC_*: OpenID Connect needs an"),
        (
            {**dict.fromkeys(("CRM_OIDC_ISSUER", "CRM_OIDC_AUDIENCE", "CRM_OIDC_JWKS_URL"), "x"),
             "CRM_OIDC_ALGORITHMS": "HS256"},
            "CRM_OIDC_*: Refusing JWT algorithms ['HS256']",
        ),
        ({"CRM_NEO4J_DATA_DIR": "{file}/data"}, "CRM_NEO4J_DATA_DIR={file}/data: cannot make"),
        # Tester BN: "serving the viewer at ..." came first, then the refusal.
        ({"CRM_DEV": "0"}, "production mode needs CRM_DATA_KEYS and CRM_DATA_HASH_KEY"),
    ],
)  # fmt: skip
def test_serve_refuses_an_unusable_setting_in_one_line(
    tmp_path: Path, settings_: dict[str, str], says: str
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NEO4J_", "CRM_OIDC_", "CRM_DATA_KEYS", "CRM_DATA_HASH_KEY"))
    }
    env |= {k: v.format(file=a_file) for k, v in settings_.items()}
    out = crm(["serve", "--port", str(free_port())], env, timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert says.format(file=a_file) in out.stderr
    assert "Traceback" not in out.stderr
    assert "serving" not in out.stdout + out.stderr


def test_every_command_refuses_a_data_dir_under_a_file_in_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env["CRM_NEO4J_DATA_DIR"] = str(a_file / "data")
    # backup, restore, `neo4j start` and an import into an empty database (neo4j-admin)
    # prepare the server's directories themselves, without the embedded server of the rest.
    for command in (
        ["seed", "--demo"],
        ["migrate", "list"],
        ["backup", "--to", str(tmp_path / "dump")],
        ["restore", str(tmp_path / "dump")],
        ["neo4j", "start"],
        ["import", str(tmp_path / "rows.csv"), "--mapping", str(tmp_path / "map.toml")],
    ):
        out = crm(command, env, timeout=60)
        assert out.returncode == 2, (command, out.stderr)
        assert f"CRM_NEO4J_DATA_DIR={a_file}/data: cannot make or write" in out.stderr
        assert "Traceback" not in out.stderr
    assert not (tmp_path / "dump").exists()
    # The instance directory beside the data (configuration, logs), and the home of the jars.
    data = tmp_path / "data"
    (tmp_path / "data-instance").write_text("")
    for variable, value, shown in (
        ("CRM_NEO4J_DATA_DIR", str(data), f"CRM_NEO4J_DATA_DIR={data}: cannot make or write"),
        ("CRM_NEO4J_HOME", str(a_file / "home"), f"CRM_NEO4J_HOME={a_file}/home: cannot"),
    ):
        out = crm(["neo4j", "start"], {**env, variable: value}, timeout=60)
        assert out.returncode == 2, (variable, out.stderr)
        assert shown in out.stderr
        assert "Traceback" not in out.stderr


def test_a_missing_input_file_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env["NEO4J_URI"] = "bolt://127.0.0.1:1"  # never reached: the file is read first
    out = crm(["import-plans", str(tmp_path / "missing.csv")], env, timeout=60)
    assert out.returncode == 2, out.stderr
    assert f"crm-graph: {tmp_path}/missing.csv: No such file or directory" in out.stderr
    assert "Traceback" not in out.stderr


def _java_pids(instance_dir: Path) -> list[int]:
    """Live processes whose command line names this instance directory."""
    needle = str(instance_dir).encode()
    pids = []
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            cmdline = (proc_dir / "cmdline").read_bytes()
            state = (proc_dir / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if needle in cmdline and b"CommunityEntryPoint" in cmdline and state != "Z":
            pids.append(int(proc_dir.name))
    return pids


def test_serve_starts_embedded_neo4j_and_ctrl_c_leaves_no_java(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(
        CRM_NEO4J_DATA_DIR=str(data),
        CRM_NEO4J_HEAP="512m",
        CRM_NEO4J_PAGECACHE="128m",
        CRM_ALLOW_ANONYMOUS="1",
        # Warm-up runs, briefly: planning every statement (test_db_limits) would add a minute.
        CRM_WARM_UP_SECONDS="1",
    )
    log = tmp_path / "serve.log"
    with serving(port, env, log, own_group=True) as proc:
        base = f"http://127.0.0.1:{port}"
        assert wait_ready(base, 180), "the app never became ready"
        r = httpx.post(f"{base}/graphql", json={"query": "{ version }"})
        assert r.json()["data"]["version"]
        instance = data.resolve().parent / (data.name + "-instance")
        assert _java_pids(instance), "no embedded Neo4j process found"
        # Ctrl-C in a terminal signals the whole foreground process group; under `uv run`
        # (make run) uv forwards it again, so the app sees it twice at once.
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=90) == 0
        deadline = time.monotonic() + 30
        while _java_pids(instance) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _java_pids(instance) == []
    text = log.read_text()
    # Neo4j is stopped by the app, last, not by the signal: nothing took that for a crash.
    assert "embedded Neo4j exited" not in text
    assert "restart" not in text
    # Each line once: the CLI's handler gives way to the app's.
    assert text.count("applied migrations") == 1, text
    # Not taken for "quit now": the app shut down in order (uvicorn skips this on a force).
    assert "Application shutdown complete" in text, text


def test_missing_java_gives_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.server import LocalServerError, require_tool

    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(LocalServerError, match=r"`java` is not installed.*openjdk-17"):
        require_tool("java", "openjdk-17-jre-headless")


def test_api_key_bootstrap_and_demo_key_revocation(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    """Production has no anonymous access and no demo keys: the first admin key comes from
    the CLI, and the CLI revokes the demo keys."""
    from graph import demo_data
    from resolvers.auth import hash_key
    from tests.conftest import PERSONAS, create_user_with_key

    env = {**os.environ, "NEO4J_URI": neo4j_server.uri, "NEO4J_PASSWORD": neo4j_server.password}
    admin = PERSONAS["admin"]["id"]
    out = crm(["api-key", "create", "--user", admin, "--name", "bootstrap"], env)
    assert out.returncode == 0, out.stderr
    secret = out.stdout.strip().splitlines()[-1]
    assert secret.startswith("crm_")
    found = cypher.execute_query(
        "MATCH (u:User)-[:HAS_KEY]->(k:ApiKey {hash: $h}) RETURN u.id AS id, k.name AS name",
        h=hash_key(secret),
        database_="neo4j",
    ).records
    assert [(r["id"], r["name"]) for r in found] == [(admin, "bootstrap")]
    assert crm(["api-key", "create", "--user", "nobody", "--name", "x"], env).returncode == 1

    # An empty production database has no user to give a key to: the first admin comes first.
    out = crm(["create-admin", "--name", "运维 管理员", "--email", "ops@example.com"], env)
    assert out.returncode == 0, out.stderr
    uid = out.stdout.split()[2].rstrip(";")
    made = cypher.execute_query(
        "MATCH (u:User {id: $id}) RETURN u.name AS name, u.roles AS roles, u.email AS email",
        id=uid,
        database_="neo4j",
    ).records
    assert [tuple(r.values()) for r in made] == [("运维 管理员", ["ADMIN"], "ops@example.com")]
    assert crm(["api-key", "create", "--user", uid, "--name", "ops"], env).returncode == 0
    bad = crm(["create-admin", "--name", "x", "--email", "not-an-address"], env)
    assert bad.returncode == 2
    assert bad.stderr.startswith("crm-graph: --email: ")
    assert "Traceback" not in bad.stderr

    name, _, team, roles, key = demo_data.USERS["zhang_wei"]
    create_user_with_key(cypher, demo_data.demo_id("user", "zhang_wei"), name, roles, team, key)
    out = crm(["api-key", "revoke-demo"], env)
    assert out.returncode == 0, out.stderr
    assert name in out.stdout
    revoked = cypher.execute_query(
        "MATCH (k:ApiKey {hash: $h}) RETURN k.revokedAt IS NOT NULL AS revoked",
        h=hash_key(key),
        database_="neo4j",
    ).records
    assert [r["revoked"] for r in revoked] == [True]


def test_encrypt_ids_then_rotate_data_key(neo4j_server: LocalNeo4j, cypher: Driver) -> None:
    import base64

    from graph import crypto

    k1, k2, h = (base64.b64encode(os.urandom(32)).decode() for _ in range(3))
    env = {
        **os.environ,
        "NEO4J_URI": neo4j_server.uri,
        "NEO4J_PASSWORD": neo4j_server.password,
        "CRM_DATA_KEYS": f"k1:{k1}",
        "CRM_DATA_HASH_KEY": h,
    }
    cypher.execute_query(
        "CREATE (:Person {id: 'p', name: 'x', idNumber: '11010519491231002X'})",
        database_="neo4j",
    )
    out = crm(["encrypt-ids"], env)
    assert out.returncode == 0, out.stderr
    assert "encrypted 1 plain ID numbers" in out.stdout
    assert "encrypted 0 " in crm(["encrypt-ids"], env).stdout  # idempotent

    def cipher() -> str:
        rows = cypher.execute_query(
            "MATCH (p:Person {id: 'p'}) RETURN p.idNumberCipher AS c, p.idNumber AS n",
            database_="neo4j",
        ).records
        assert rows[0]["n"] == "1101**********002X"
        return str(rows[0]["c"])

    assert cipher().startswith("k1:")
    out = crm(["rotate-data-key"], {**env, "CRM_DATA_KEYS": f"k2:{k2},k1:{k1}"})
    assert out.returncode == 0, out.stderr
    assert cipher().startswith("k2:")
    ring = crypto.Keyring.parse(f"k2:{k2}", h)
    assert ring.decrypt(cipher()) == "11010519491231002X"
    # Production without keys refuses, with one clear line.
    bare = {k: v for k, v in env.items() if not k.startswith("CRM_DATA_")}
    out = crm(["encrypt-ids"], {**bare, "CRM_DEV": "0"})
    assert out.returncode == 2
    assert "CRM_DATA_KEYS" in out.stderr


def test_a_new_dev_key_is_refused_while_a_server_runs_on_the_keys_it_read(
    tmp_path: Path,
) -> None:
    """A serving process read the dev keys at start: ID numbers re-encrypted under a key made
    now would be unreadable to it (INTERNAL on every read) until a restart."""
    local = LocalNeo4j(tmp_path, tmp_path / "data")
    local.pid_file.parent.mkdir(parents=True)
    # The pid file of an attached server supervised by a live crm-graph: this test process.
    me = os.getpid()
    owner_start = _start_time(me)
    assert owner_start is not None
    local.pid_file.write_text(PidRecord(me, 7687, me, owner_start).dump())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CRM_DATA_"))}
    env |= {"CRM_NEO4J_HOME": str(tmp_path), "CRM_NEO4J_DATA_DIR": str(tmp_path / "data")}
    out = crm(["rotate-data-key", "--new-dev-key"], {**env, "CRM_DEV": "1"})
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"crm-graph (pid {me}) serves from this database" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "data-keys.json").exists()  # no key made


def test_score_scores_every_customer_and_refuses_while_another_run_holds_the_lock(
    cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    env = {**os.environ, "NEO4J_URI": neo4j_server.uri, "NEO4J_PASSWORD": neo4j_server.password}
    cypher.execute_query(
        "UNWIND range(1, 3) AS i CREATE (c:Company:Customer {id: 'cli-' + i, name: '客户' + i, "
        "version: 1}) CREATE (:Record:Order {id: 'cli-o' + i, occurredAt: datetime() - "
        "duration({days: i * 10}), amountCents: i * 1000, currency: 'CNY', version: 1})"
        "-[:ABOUT]->(c)"
    )
    out = crm(["score", "--quiet"], env)
    assert out.returncode == 0, out.stderr
    assert "scored 3 customers" in out.stdout
    assert "BG/NBD not fitted" in out.stdout  # 3 buyers: the run says why
    stored = cypher.execute_query(
        "MATCH (c:Customer) WHERE c.id STARTS WITH 'cli-' AND c.valueScore IS NOT NULL "
        "RETURN count(c) AS n"
    ).records[0]["n"]
    assert stored == 3
    # another process's live lease: this one does nothing and says so
    cypher.execute_query(
        "MERGE (l:JobLock {name: 'scoring'}) SET l.holder = 'elsewhere', "
        "l.expiresAt = datetime() + duration('PT10M')"
    )
    held = crm(["score", "--quiet"], env)
    assert held.returncode == 3
    assert "holds the lock" in held.stderr


def test_classify_dry_run_then_for_real(neo4j_server: LocalNeo4j, cypher: Driver) -> None:
    env = {**os.environ, "NEO4J_URI": neo4j_server.uri, "NEO4J_PASSWORD": neo4j_server.password}
    # Only this test's rule: the default rules (a migration) are left out.
    assert crm(["migrate", "apply"], env).returncode == 0
    cypher.execute_query("MATCH (r:ClassificationRule) DETACH DELETE r", database_="neo4j")
    cypher.execute_query(
        "CREATE (:Company:Customer {id: 'cli-c', name: '命令行客户', industry: '机械制造'}) "
        "CREATE (:ClassificationRule {id: 'cli-r', dimension: 'NATURE', classKey: 'MAKER', "
        "nameZh: '制造商', priority: 1, enabled: true, version: 1, "
        'conditions: \'[{"field": "industry", "op": "CONTAINS", "value": "制造"}]\'})'
        "-[:ASSIGNS]->(:CustomerClass {id: 'NATURE:MAKER', dimension: 'NATURE', key: 'MAKER'})",
        database_="neo4j",
    )
    out = crm(["classify", "--dry-run"], env)
    assert out.returncode == 0, out.stderr
    assert "classified 1 customers: would change 1 classes" in out.stdout

    def held() -> list[str]:
        rows = cypher.execute_query(
            "MATCH (:Customer {id: 'cli-c'})-[:CLASSIFIED_AS]->(k) RETURN k.id AS k",
            database_="neo4j",
        ).records
        return [r["k"] for r in rows]

    assert held() == []
    out = crm(["classify"], env)
    assert out.returncode == 0, out.stderr
    assert "changed 1 classes" in out.stdout
    assert held() == ["NATURE:MAKER"]


def test_find_duplicates_fills_the_queue(neo4j_server: LocalNeo4j, cypher: Driver) -> None:
    env = {**os.environ, "NEO4J_URI": neo4j_server.uri, "NEO4J_PASSWORD": neo4j_server.password}
    cypher.execute_query(
        "CREATE (:Company {id: 'cli-d1', name: '北京华为技术有限公司'}) "
        "CREATE (:Company {id: 'cli-d2', name: '华为技术有限公司深圳分公司'})",
        database_="neo4j",
    )
    out = crm(["find-duplicates", "--kind", "Company"], env)
    assert out.returncode == 0, out.stderr
    assert "Company: 2 records, 1 pairs compared" in out.stdout
    rows = cypher.execute_query(
        "MATCH (d:DuplicateCandidate) RETURN d.a AS a, d.b AS b, d.reasons AS r",
        database_="neo4j",
    ).records
    assert [(r["a"], r["b"], r["r"]) for r in rows] == [("cli-d1", "cli-d2", ["NAME_EQUAL"])]


def test_import_plans_from_csv(neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path) -> None:
    """Checked whole before writing, idempotent, errors named by line."""
    env = {**os.environ, "NEO4J_URI": neo4j_server.uri, "NEO4J_PASSWORD": neo4j_server.password}
    assert crm(["migrate", "apply"], env).returncode == 0
    cypher.execute_query(
        "CREATE (:User {id: 'cli-plan-u', name: '计划人', team: 'EAST', roles: ['SALES'], "
        "version: 1}) "
        "CREATE (:Product {id: 'cli-plan-p', sku: 'CLI-P', name: '命令行产品', version: 1})",
        database_="neo4j",
    )
    good = tmp_path / "plans.csv"
    good.write_text(
        "period,dimension,target,currency,amount,note\n"
        "2030-03,USER,cli-plan-u,CNY,120000.50,三月\n"
        "2030-Q1,product,cli-plan-p,cny,900000,\n",
        encoding="utf-8",
    )
    out = crm(["import-plans", str(good)], env)
    assert out.returncode == 0, out.stderr
    assert "2 plans read, 2 written" in out.stdout
    again = crm(["import-plans", str(good)], env)
    assert "2 plans read, 0 written" in again.stdout
    stored = cypher.execute_query(
        "MATCH (s:SalesPlan) RETURN s.period AS period, s.dimension AS dimension, "
        "s.currency AS currency, s.amountCents AS cents ORDER BY period",
        database_="neo4j",
    ).records
    assert [tuple(r.values()) for r in stored] == [
        ("2030-03", "USER", "CNY", 12_000_050),
        ("2030-Q1", "PRODUCT", "CNY", 90_000_000),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "period,dimension,target,currency,amount\n"
        "2030-03,USER,cli-plan-u,CNY,5\n"
        "2030-13,USER,cli-plan-u,CNY,5\n"
        "2030-04,USER,nobody,CNY,5\n"
        "2030-03,USER,cli-plan-u,CNY,6\n",
        encoding="utf-8",
    )
    out = crm(["import-plans", str(bad)], env)
    assert out.returncode == 1
    assert "line 3: period:" in out.stderr
    assert "line 5: the same plan as line 2\n" in out.stderr  # lines, not API row indexes
    assert "nothing written" in out.stderr
    assert (
        cypher.execute_query(
            "MATCH (s:SalesPlan {period: '2030-03'}) RETURN s.amountCents AS c", database_="neo4j"
        ).records[0]["c"]
        == 12_000_050
    )


def test_import_verifications_from_csv(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """Call results recorded as checks; unknown records reported by line; idempotent."""
    env = {**os.environ, "NEO4J_URI": neo4j_server.uri, "NEO4J_PASSWORD": neo4j_server.password}
    assert crm(["migrate", "apply"], env).returncode == 0
    cypher.execute_query(
        "CREATE (:Company:Customer {id: 'cli-ver-c', name: '呼叫客户', phone: '+861088880000', "
        "version: 1}) "
        "CREATE (:Person {id: 'cli-ver-p', name: '呼叫联系人', mobile: '+8613900000000', "
        "version: 1})",
        database_="neo4j",
    )
    results = tmp_path / "calls.csv"
    results.write_text(
        "id,field,status,method,at,note\n"
        "cli-ver-c,phone,VERIFIED,CALL,2026-11-30T10:00:00+08:00,总机确认\n"
        "cli-ver-p,mobile,no_answer,call,2026-11-30T10:05:00+08:00,\n"
        "nobody,phone,VERIFIED,CALL,,\n",
        encoding="utf-8",
    )
    out = crm(["import-verifications", str(results)], env)
    assert out.returncode == 1
    assert "line 4: id: NOT_FOUND: no such company or person" in out.stderr
    assert "3 rows read, 2 checks on file" in out.stdout
    again = crm(["import-verifications", str(results)], env)
    assert "3 rows read, 2 checks on file" in again.stdout
    stored = cypher.execute_query(
        "MATCH (v:Verification) RETURN v.targetId AS id, v.status AS status ORDER BY id",
        database_="neo4j",
    ).records
    assert [tuple(r.values()) for r in stored] == [
        ("cli-ver-c", "VERIFIED"),
        ("cli-ver-p", "NO_ANSWER"),
    ]
    status = cypher.execute_query(
        "MATCH (c:Company {id: 'cli-ver-c'}) RETURN c.phoneStatus AS s, c.phoneStatusMethod AS m",
        database_="neo4j",
    ).records[0]
    assert (status["s"], status["m"]) == ("VERIFIED", "CALL")
    malformed = tmp_path / "bad.csv"
    malformed.write_text("id,field,status,method\ncli-ver-c,phone,SURE,CALL\n", encoding="utf-8")
    out = crm(["import-verifications", str(malformed)], env)
    assert out.returncode == 1
    assert "line 2: status: VALIDATION: unknown value 'SURE'; one of UNVERIFIED" in out.stderr
    assert "0 checks on file" in out.stdout


@pytest.mark.parametrize("dry", [False, True])
def test_an_interrupted_import_says_how_to_resume(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], dry: bool
) -> None:
    def interrupted(args: argparse.Namespace, settings: Settings) -> int:
        raise KeyboardInterrupt  # Ctrl-C while the rows are written

    monkeypatch.setattr(cli, "cmd_import", interrupted)
    argv = ["import", "companies.csv", "--mapping", "m.toml"] + (["--dry-run"] if dry else [])
    assert cli.main(argv) == 130
    said = capsys.readouterr().err
    # A dry run writes nothing, so there is nothing to resume.
    assert ("Run the same command again" in said) is not dry
