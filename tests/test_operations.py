"""Operations under faults, on real servers: the embedded Neo4j killed under load, SIGTERM under
load, and the pid file after a crash."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
import uvicorn

from graph.server import LocalNeo4j, PidRecord, _is_server, free_port
from neo4j import Driver, GraphDatabase
from settings import ROOT, Settings
from tests.process import crm, serving, wait_ready

CREATE = """mutation($name: String!) {
  createCompany(input: {name: $name}) { company { id } errors { code } } }"""


@dataclass
class Load:
    """Writers creating companies until stopped; what they were told, answer by answer."""

    base: str
    acked: list[str] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)  # (status, code or "ok")
    refused: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def writer(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            while not self.stop.is_set():
                name = f"op-{uuid.uuid4().hex[:12]}"
                try:
                    r = client.post("/graphql", json={"query": CREATE, "variables": {"name": name}})
                except httpx.TransportError:
                    self.refused += 1
                    time.sleep(0.05)
                    continue
                body = r.json()
                payload = (body.get("data") or {}).get("createCompany") or {}
                if payload.get("company"):
                    self.acked.append(name)
                    self.answers.append((r.status_code, "ok"))
                else:
                    errors = body.get("errors") or payload.get("errors") or [{}]
                    code = errors[0].get("extensions", {}).get("code") or errors[0].get("code")
                    self.answers.append((r.status_code, str(code)))
                    time.sleep(0.05)

    def run(self, writers: int) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.writer, daemon=True) for _ in range(writers)]
        for t in threads:
            t.start()
        return threads


def missing(driver: Driver, names: list[str]) -> set[str]:
    with driver.session(database="neo4j") as s:
        found = s.run(
            "MATCH (c:Company) WHERE c.name IN $names RETURN collect(c.name) AS n", names=names
        ).single()
    assert found is not None
    return set(names) - set(found["n"])


@pytest.fixture
def embedded_app(tmp_path: Path) -> Iterator[tuple[str, LocalNeo4j]]:
    """The real app in uvicorn, its lifespan starting (and supervising) its own Neo4j."""
    from app import create_app

    data = tmp_path / "data"
    settings = Settings(
        local_data_dir=data,
        local_heap="512m",
        local_pagecache="128m",
        allow_anonymous=True,
        local_restart_max_backoff=2.0,
        # Planning every statement takes the whole 60 s budget on a fresh server, at the
        # start and again after a restart; these tests are about the process: 1 s of it.
        warm_up_seconds=1,
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", LocalNeo4j(settings.local_home, data)
    finally:
        server.should_exit = True
        thread.join(120)
    assert not thread.is_alive()


@pytest.mark.timeout(600)
def test_kill_9_under_load_the_app_restarts_neo4j_and_keeps_every_write(
    embedded_app: tuple[str, LocalNeo4j], caplog: pytest.LogCaptureFixture
) -> None:
    base, local = embedded_app
    caplog.set_level(logging.INFO, logger="graph.server")
    caplog.set_level(logging.INFO, logger="graph.warmup")
    assert wait_ready(base, 300), "the app never became ready"
    first = local.record()
    assert first is not None
    assert _is_server(first.pid, local.instance_dir)
    assert first.owner == os.getpid()
    assert not first.detached

    load = Load(base)
    threads = load.run(4)
    time.sleep(3)
    os.kill(first.pid, signal.SIGKILL)
    killed, killed_at = time.monotonic(), time.time()
    # The answers turn into DATABASE_UNAVAILABLE, then writes succeed again on their own.
    acked_before = len(load.acked)
    recovered = None
    while time.monotonic() - killed < 240:
        if len(load.acked) > acked_before + 5 and wait_ready(base, 0.1):
            recovered = time.monotonic() - killed
            break
        time.sleep(0.2)
    time.sleep(2)
    load.stop.set()
    for t in threads:
        t.join(90)
    assert recovered is not None, "the app did not recover within 240 s"
    print(f"recovered {recovered:.1f}s after kill -9; {len(load.acked)} writes acknowledged")

    second = local.record()
    assert second is not None
    assert second.pid != first.pid
    assert second.port == first.port, "the restart must reuse the port"
    assert _is_server(second.pid, local.instance_dir)
    assert any("restart 1" in r.getMessage() for r in caplog.records)

    # The restarted server's plans are warmed again, in the background.
    def warmed() -> bool:
        return any(
            r.name == "graph.warmup" and r.created > killed_at and "planned" in r.getMessage()
            for r in caplog.records
        )

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not warmed():
        time.sleep(0.2)
    assert warmed(), "no warm-up after the restart"
    codes = {code for _, code in load.answers}
    assert "DATABASE_UNAVAILABLE" in codes, "the outage was never seen"
    assert not [a for a in load.answers if a[0] >= 500 and a[1] != "DATABASE_UNAVAILABLE"]
    assert "INTERNAL" not in codes, codes
    assert "None" not in codes, codes
    with GraphDatabase.driver(
        f"bolt://127.0.0.1:{second.port}", auth=("neo4j", local.password)
    ) as driver:
        assert missing(driver, load.acked) == set()


def external_env(server: LocalNeo4j, **settings: str) -> dict[str, str]:
    """`crm-graph serve` on the session's Neo4j, without the warm-up (as in embedded_app)."""
    return {
        **os.environ,
        "NEO4J_URI": server.uri,
        "NEO4J_PASSWORD": server.password,
        "CRM_WARM_UP_SECONDS": "0",
        **settings,
    }


def local_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(CRM_NEO4J_DATA_DIR=str(data), CRM_NEO4J_HEAP="512m", CRM_NEO4J_PAGECACHE="128m")
    return env


@pytest.mark.timeout(300)
def test_sigterm_under_load_finishes_requests_in_flight_and_loses_no_write(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = external_env(neo4j_server, CRM_ALLOW_ANONYMOUS="1", CRM_SHUTDOWN_GRACE_SECONDS="20")
    with serving(port, env, tmp_path / "serve.log") as proc:
        assert wait_ready(base, 180), "the app never became ready"
        load = Load(base)
        threads = load.run(4)

        # A request still sending its body when SIGTERM arrives: it is in flight.
        slow: dict[str, Any] = {}

        def slow_body() -> Iterator[bytes]:
            body = orjson.dumps({"query": CREATE, "variables": {"name": "op-slow"}})
            yield body[:10]
            time.sleep(3)
            yield body[10:]

        def send_slow() -> None:
            r = httpx.post(
                f"{base}/graphql",
                content=slow_body(),
                headers={"content-type": "application/json"},
                timeout=60,
            )
            slow["status"] = r.status_code
            slow["body"] = r.json()

        slow_thread = threading.Thread(target=send_slow)
        slow_thread.start()
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        # New connections are refused soon after. One that reached the listening socket's
        # backlog just before it closed is reset unanswered: not served either.
        refused = False
        while time.monotonic() - signalled < 10 and not refused:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
            except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
                refused = True
            time.sleep(0.1)
        slow_thread.join(60)
        assert proc.wait(timeout=60) == 0
        took = time.monotonic() - signalled
        load.stop.set()
        for t in threads:
            t.join(60)
    print(f"SIGTERM to exit {took:.1f}s; {len(load.acked)} writes acknowledged")
    assert refused, "the server kept accepting connections after SIGTERM"
    assert slow.get("status") == 200, slow
    assert slow["body"]["data"]["createCompany"]["company"]["id"]
    assert took < 20, f"shutdown took {took:.1f}s"
    assert load.acked, "no write was acknowledged"
    assert not [a for a in load.answers if a[0] >= 500], load.answers
    assert missing(cypher, [*load.acked, "op-slow"]) == set()


@pytest.mark.timeout(300)
def test_json_logs_are_json_from_every_process(neo4j_server: LocalNeo4j, tmp_path: Path) -> None:
    """With CRM_LOG_FORMAT=json and two workers, every line is a JSON object: the parent
    process's, uvicorn's start-up and access lines, and the workers' own."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = external_env(neo4j_server, CRM_LOG_FORMAT="json")
    log = tmp_path / "serve.log"
    with serving(port, env, log, more=("--workers", "2")) as proc:
        assert wait_ready(base, 180), "the app never became ready"
        assert httpx.get(f"{base}/healthz?key=never-logged", timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    lines = [orjson.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    messages = [(x["logger"], x["message"]) for x in lines]
    assert any(m.startswith("serving the viewer at") for _, m in messages)
    assert any(m.startswith("Started parent process") for _, m in messages)
    assert sum(m.startswith("Started server process") for _, m in messages) == 2
    access = [m for name, m in messages if name == "uvicorn.access"]
    assert any('"GET /healthz HTTP/1.1" 200' in m for m in access), access
    assert "never-logged" not in log.read_text()
    assert not [x for x in lines if "color_message" in x]


def _get_healthz(sock: socket.socket) -> bytes:
    """One keep-alive GET /healthz on `sock`; the response's status line."""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: crm\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            return b"closed"
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"content-length: *(\d+)", head, re.I)
    assert length is not None, head
    while len(body) < int(length.group(1)):
        body += sock.recv(4096)
    return head.split(b"\r\n")[0]


@pytest.mark.timeout(300)
def test_an_idle_connection_outlives_the_clients_own_idle_timeout(
    neo4j_server: LocalNeo4j, tmp_path: Path
) -> None:
    """httpx drops a pooled connection idle for 5 s, uvicorn's own default: at the same moment,
    the server could close one the client was just sending on. `crm-graph serve` keeps an idle
    connection longer, so the client closes first."""
    port = free_port()
    env = external_env(neo4j_server, CRM_ALLOW_ANONYMOUS="1")
    with serving(port, env, tmp_path / "serve.log"):
        assert wait_ready(f"http://127.0.0.1:{port}", 180), "the app never became ready"
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            assert _get_healthz(sock) == b"HTTP/1.1 200 OK"
            time.sleep(7)
            assert _get_healthz(sock) == b"HTTP/1.1 200 OK"


def _zombie_or_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1]
    except OSError:
        return True
    return state in ("Z", "X")


@pytest.mark.timeout(400)
def test_neo4j_status_stop_start_after_a_crash(tmp_path: Path) -> None:
    env = local_env(tmp_path / "data")
    local = LocalNeo4j(ROOT / ".neo4j", tmp_path / "data")
    out = crm(["neo4j", "start"], env)
    assert out.returncode == 0, out.stderr
    try:
        first = local.record()
        assert first is not None
        assert first.detached
        os.kill(first.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not _zombie_or_gone(first.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        # Whether or not anyone reaps it, the killed server is not reported as running.
        began = time.monotonic()
        status = crm(["neo4j", "status"], env)
        assert status.returncode == 3, status.stdout
        assert "not running" in status.stdout
        stop = crm(["neo4j", "stop"], env)
        assert "not running" in stop.stdout
        assert time.monotonic() - began < 30, "status and stop must not wait on a dead server"
        # start reuses the recorded port, so clients configured with it find the server again.
        again = crm(["neo4j", "start"], env)
        assert again.returncode == 0, again.stderr
        second = local.record()
        assert second is not None
        assert second.pid != first.pid
        assert second.port == first.port
        status = crm(["neo4j", "status"], env)
        assert status.returncode == 0
        assert f"pid {second.pid}" in status.stdout
    finally:
        crm(["neo4j", "stop"], env)
    assert local.record() is None, "stop removes the pid file of the server it stopped"


@pytest.mark.timeout(600)
def test_a_password_beginning_with_a_dash_is_set_and_works(tmp_path: Path) -> None:
    # An older password file (token_urlsafe) could begin with "-": neo4j-admin read it as an
    # option and refused to set it, so no server ever started from that home.
    home = tmp_path / "home"
    home.mkdir()
    (home / "lib").symlink_to(ROOT / ".neo4j" / "lib")
    (home / "password").write_text("-lqLXkskX09t2wmzEqxJAYon")
    local = LocalNeo4j(home, tmp_path / "data", free_port(), heap="256m", pagecache="64m")
    local.start()
    try:
        with GraphDatabase.driver(local.uri, auth=("neo4j", local.password)) as driver:
            assert driver.execute_query("RETURN 1 AS one").records[0]["one"] == 1
    finally:
        local.stop()
    fresh = LocalNeo4j(tmp_path / "fresh-home", tmp_path / "d2", free_port())
    assert not fresh.password.startswith("-")


def test_backup_wipe_restore_reads_the_data_back(tmp_path: Path) -> None:
    env = local_env(tmp_path / "data")
    local = LocalNeo4j(ROOT / ".neo4j", tmp_path / "data")
    assert crm(["neo4j", "start"], env).returncode == 0
    try:
        rec = local.record()
        assert rec is not None
        uri = f"bolt://127.0.0.1:{rec.port}"
        auth = ("neo4j", local.password)
        with GraphDatabase.driver(uri, auth=auth) as driver:
            driver.execute_query(
                "UNWIND range(1, 500) AS i CREATE (:Company {id: 'bk-' + i, name: '公司' + i})"
            )
        backup = crm(["backup", "--to", str(tmp_path / "bk")], env)
        assert backup.returncode == 0, backup.stdout + backup.stderr
        assert (tmp_path / "bk" / "neo4j.dump").stat().st_size > 0
        # Owner-only, and never replaced by another backup (tester BN).
        assert (tmp_path / "bk" / "neo4j.dump").stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "bk").stat().st_mode & 0o777 == 0o700
        again = crm(["backup", "--to", str(tmp_path / "bk")], env)
        assert again.returncode == 2
        assert "exists" in again.stderr
        rec = local.record()
        assert rec is not None
        assert rec.port == int(uri.rsplit(":", 1)[1]), "the server came back on its port"

        with GraphDatabase.driver(uri, auth=auth) as driver:
            driver.execute_query("MATCH (n) DETACH DELETE n")
            count = driver.execute_query("MATCH (c:Company) RETURN count(c) AS n").records
            assert count[0]["n"] == 0

        restore = crm(["restore", str(tmp_path / "bk")], env)
        assert restore.returncode == 0, restore.stdout + restore.stderr
        with GraphDatabase.driver(uri, auth=auth) as driver:
            rows = driver.execute_query(
                "MATCH (c:Company) WHERE c.id STARTS WITH 'bk-' "
                "RETURN count(c) AS n, collect(c.name)[0..1] AS some"
            ).records
        assert rows[0]["n"] == 500
        assert rows[0]["some"][0].startswith("公司")

        # A truncated dump fails to load, and the database it would have replaced stays.
        whole = (tmp_path / "bk" / "neo4j.dump").read_bytes()
        (tmp_path / "cut").mkdir()
        (tmp_path / "cut" / "neo4j.dump").write_bytes(whole[: len(whole) // 2])
        cut = crm(["restore", str(tmp_path / "cut")], env)
        assert cut.returncode != 0
        assert "left as it was" in cut.stdout + cut.stderr
        with GraphDatabase.driver(uri, auth=auth) as driver:
            count = driver.execute_query("MATCH (c:Company) RETURN count(c) AS n").records
        assert count[0]["n"] == 500
        assert not list((tmp_path / "data").glob(".before-load-*"))
    finally:
        crm(["neo4j", "stop"], env)


def test_backup_refuses_an_external_server(tmp_path: Path) -> None:
    env = {**os.environ, "NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x"}
    out = crm(["backup", "--to", str(tmp_path)], env)
    assert out.returncode == 2
    assert "neo4j-admin" in out.stderr


def test_a_zombie_or_foreign_pid_in_the_pid_file_is_not_a_server(tmp_path: Path) -> None:
    local = LocalNeo4j(ROOT / ".neo4j", tmp_path / "data")
    local.instance_dir.mkdir(parents=True)
    child = subprocess.Popen(["sleep", "0"])  # exits at once and stays a zombie until waited
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child.pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z":
            assert time.monotonic() < deadline, "the child never became a zombie"
            time.sleep(0.05)
        rec = PidRecord(child.pid, free_port(), os.getpid(), 0, detached=True)
        local.pid_file.write_text(rec.dump())
        began = time.monotonic()
        assert local.running_pid() is None
        assert local.stop() is False
        assert time.monotonic() - began < 2
        # A live process that is not our Neo4j (pid reuse) is not a server either.
        local.pid_file.write_text(PidRecord(os.getpid(), 1234).dump())
        assert local.running_pid() is None
        # A legacy pid file (the pid alone) still parses.
        assert PidRecord.parse(f"{child.pid}\n").pid == child.pid
    finally:
        child.wait()
