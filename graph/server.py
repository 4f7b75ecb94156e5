"""The embedded default: a real Neo4j Community server run from Maven jars on Java 17.

`LocalNeo4j` fetches the jars once (Maven, cached in `<home>/lib`), writes `neo4j.conf`, sets a
generated password on a fresh data directory, starts `CommunityEntryPoint` as a child process,
waits for Bolt, and stops it again. The child gets PR_SET_PDEATHSIG so that it dies with us even
when we are killed without a chance to clean up: no orphaned `java` is left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from graph import clock
from graph.errors import CrmError

log = logging.getLogger(__name__)

NEO4J_VERSION = "5.26.30"
POM = Path(__file__).resolve().parent.parent / "neo4j" / "pom.xml"

# The flags the official launcher would add from its default neo4j.conf; without the
# --add-opens the page cache and Netty fail on Java 17.
JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]


class LocalServerError(CrmError, RuntimeError):
    """The local server could not be prepared or started; the message says what to do."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _die_with_parent() -> None:
    # Linux only: the kernel sends SIGTERM to the child when its parent thread exits.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise LocalServerError(
            f"`{name}` is not installed, and the embedded Neo4j needs it. "
            f"Install {package} (Debian: `apt-get install {package}`), "
            "or set NEO4J_URI to use an existing Neo4j 5 server."
        )
    return path


def ensure_jars(home: Path) -> Path:
    """Copy Neo4j's jars into `<home>/lib` with Maven once; later calls are a stamp check."""
    lib = home / "lib"
    stamp = lib / f".neo4j-{NEO4J_VERSION}"
    if stamp.exists():
        return lib
    require_tool("java", "openjdk-17-jre-headless")
    mvn = require_tool("mvn", "maven")
    log.info("fetching Neo4j %s jars with Maven (first run only)", NEO4J_VERSION)
    if lib.exists():
        shutil.rmtree(lib)
    lib.mkdir(parents=True)
    cmd = [mvn, "-B", "-q", "-f", str(POM), "dependency:copy-dependencies", f"-Dlib.dir={lib}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise LocalServerError(
            "Maven could not fetch the Neo4j jars:\n" + (proc.stdout + proc.stderr)[-3000:]
        )
    stamp.touch()
    return lib


def _proc_state(pid: int) -> str | None:
    """The process state letter from /proc (R, S, D, Z, ...), or None if there is no such pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1]
    except (OSError, IndexError):
        return None


def _start_time(pid: int) -> int | None:
    """Clock ticks after boot when `pid` started: tells a process from a later one reusing its
    pid."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _is_server(pid: int, instance_dir: Path) -> bool:
    """A live (not zombie) Neo4j process for this instance directory."""
    if _proc_state(pid) in (None, "Z", "X"):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"CommunityEntryPoint" in cmdline and str(instance_dir).encode() in cmdline


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class PidRecord:
    """The pid file: the server's pid and port, and the process that started it (`owner`, with
    its start time against pid reuse). `detached` servers outlive their owner (`neo4j start`);
    attached ones are supervised by it."""

    pid: int
    port: int = 0
    owner: int = 0
    owner_start: int = 0
    detached: bool = False

    def dump(self) -> str:
        return json.dumps(
            {
                "pid": self.pid,
                "port": self.port,
                "owner": self.owner,
                "ownerStart": self.owner_start,
                "detached": self.detached,
            }
        )

    @classmethod
    def parse(cls, text: str) -> PidRecord:
        text = text.strip()
        if text.isdigit():  # written by an older version: the pid alone
            return cls(int(text))
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("not a pid record")
        return cls(
            int(raw["pid"]),
            int(raw.get("port", 0)),
            int(raw.get("owner", 0)),
            int(raw.get("ownerStart", 0)),
            bool(raw.get("detached", False)),
        )


@dataclass
class LocalNeo4j:
    """One local server instance. `home` holds jars and the password; `data_dir` the store."""

    home: Path
    data_dir: Path | None = None
    bolt_port: int = 0
    heap: str = "1g"
    pagecache: str = "1g"
    user: str = "neo4j"
    # Extra neo4j.conf lines (`key=value`), e.g. the test servers' planner settings.
    conf: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.home = self.home.resolve()
        self.data_dir = (self.data_dir or self.home / "data").resolve()
        self.instance_dir = self.data_dir.parent / (self.data_dir.name + "-instance")
        self._proc: subprocess.Popen[bytes] | None = None

    # --- paths ---------------------------------------------------------------------------------
    @property
    def conf_dir(self) -> Path:
        return self.instance_dir / "conf"

    @property
    def pid_file(self) -> Path:
        # Not neo4j.pid: Neo4j writes that one itself in its run directory, with the pid alone.
        return self.instance_dir / "crm-server.pid"

    @property
    def password(self) -> str:
        pw_file = self.home / "password"
        if not pw_file.exists():
            pw_file.parent.mkdir(parents=True, exist_ok=True)
            # Written whole under a temporary name, then linked into place: several test
            # workers may start at once, and none may read a half-written (or second) one.
            tmp = pw_file.with_name(f".password.{os.getpid()}")
            # Hex: never begins with "-", which a command line would take for an option.
            tmp.write_text(secrets.token_hex(18))
            tmp.chmod(0o600)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, pw_file)
            tmp.unlink()
        return pw_file.read_text().strip()

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    # --- lifecycle -----------------------------------------------------------------------------
    def record(self) -> PidRecord | None:
        """What the pid file says: which server, on which port, started by whom."""
        try:
            return PidRecord.parse(self.pid_file.read_text())
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def running_pid(self) -> int | None:
        """The pid of a live server for this data directory, started by anyone, or None.

        A zombie (a killed child nobody reaped yet) or a pid since reused by another program
        is not a server."""
        if self._proc is not None:
            self._proc.poll()  # reaps our own child if it died
        rec = self.record()
        if rec is None or not _is_server(rec.pid, self.instance_dir):
            return None
        if rec.port:
            self.bolt_port = rec.port
        return rec.pid

    def alive(self) -> bool:
        """True while the server this object started runs (reaping it if it died)."""
        return self._proc is not None and self._proc.poll() is None

    def exit_code(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def supervisor_pid(self) -> int | None:
        """Another live process that runs this server attached and restarts it, or None."""
        rec = self.record()
        if rec is None or rec.detached or rec.owner in (0, os.getpid()):
            return None
        return rec.owner if _start_time(rec.owner) == rec.owner_start else None

    def _write_conf(self) -> None:
        assert self.data_dir is not None
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        (self.instance_dir / "logs").mkdir(parents=True, exist_ok=True)
        lines = [
            "server.default_listen_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{self.bolt_port}",
            "server.http.enabled=false",
            "server.https.enabled=false",
            f"server.directories.data={self.data_dir}",
            f"server.directories.logs={self.instance_dir / 'logs'}",
            f"server.directories.run={self.instance_dir}",
            f"server.memory.heap.initial_size={self.heap}",
            f"server.memory.heap.max_size={self.heap}",
            f"server.memory.pagecache.size={self.pagecache}",
            "dbms.security.auth_enabled=true",
            "dbms.usage_report.enabled=false",
            "db.tx_log.rotation.retention_policy=2 files",
            # No `connection.recv_timeout_seconds` hint: with it, the Python driver wraps every
            # socket read in a timed task, about 0.5 ms of CPU per statement (bench/README.md).
            # Database keeps a deadline of its own on each statement instead (graph/db.py).
            "server.bolt.connection_keep_alive_for_requests=STREAMING",
            "server.jvm.additional=-XX:+ExitOnOutOfMemoryError",
            # Cypher's date() is then the business day that clock.today() gives.
            f"db.temporal.timezone={clock.neo4j_zone()}",
            *self.conf,
        ]
        (self.conf_dir / "neo4j.conf").write_text("\n".join(lines) + "\n")

    def _java_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["NEO4J_HOME"] = str(self.instance_dir)
        env["NEO4J_CONF"] = str(self.conf_dir)
        return env

    def _set_initial_password(self, lib: Path) -> None:
        assert self.data_dir is not None
        marker = self.data_dir / ".password-set"
        if marker.exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # `--` ends the options: a password beginning with "-" (made before passwords were
        # hex) would be read as one, and the command refused.
        proc = self._neo4j_admin(lib, ["dbms", "set-initial-password", "--", self.password])
        if proc.returncode != 0:
            raise LocalServerError("could not set the Neo4j password:\n" + proc.stderr[-2000:])
        marker.touch()

    def start(self, timeout: float = 180.0, detach: bool = False) -> None:
        """Start the server and wait for Bolt. `detach` lets it outlive this process (CLI).

        Without a configured port it reuses the one recorded by the last start, so clients
        configured with it find the server again after a crash."""
        if self.running_pid() is not None:
            raise LocalServerError(
                f"a Neo4j server is already running for {self.data_dir} "
                f"(pid {self.running_pid()}); stop it with `crm-graph neo4j stop`"
            )
        owner = self.supervisor_pid()
        if owner is not None:
            raise LocalServerError(
                f"crm-graph (pid {owner}) runs the Neo4j server for {self.data_dir} and "
                "restarts it itself; stop that process instead"
            )
        lib = ensure_jars(self.home)
        java = require_tool("java", "openjdk-17-jre-headless")
        if not self.bolt_port:
            rec = self.record()
            self.bolt_port = rec.port if rec and rec.port and _port_free(rec.port) else free_port()
        self._write_conf()
        self._set_initial_password(lib)
        cmd = [
            java,
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *JVM_FLAGS,
            "-cp",
            f"{lib}/*",
            "org.neo4j.server.CommunityEntryPoint",
            f"--home-dir={self.instance_dir}",
            f"--config-dir={self.conf_dir}",
        ]
        out = (self.instance_dir / "logs" / "console.log").open("ab")
        preexec: Callable[[], None] | None = None if detach else _die_with_parent
        self._proc = subprocess.Popen(  # noqa: S603
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self._java_env(),
            preexec_fn=preexec,
            start_new_session=detach,
            # Attached, in a process group of its own: Ctrl-C in a terminal signals the
            # foreground group, and Neo4j stopping on it while the app still shuts down was
            # taken for a crash and restarted. The app stops it last; if the app dies, the
            # kernel stops it (_die_with_parent).
            process_group=None if detach else 0,
        )
        out.close()
        me = os.getpid()
        rec = PidRecord(self._proc.pid, self.bolt_port, me, _start_time(me) or 0, detach)
        self.pid_file.write_text(rec.dump())
        self._wait_for_bolt(timeout)

    # --- dump and load ---------------------------------------------------------------------
    def admin(self, *args: str, timeout: float = 3600.0) -> str:
        """Run neo4j-admin with this instance's home and config (the server must be stopped for
        dump and load in Community). Its output on success; LocalServerError otherwise."""
        lib = ensure_jars(self.home)
        self._write_conf()
        proc = self._neo4j_admin(lib, args, timeout)
        if proc.returncode != 0:
            raise LocalServerError(
                f"neo4j-admin {' '.join(args[:2])} failed:\n" + (proc.stdout + proc.stderr)[-3000:]
            )
        return proc.stdout

    def _neo4j_admin(
        self, lib: Path, args: Sequence[str], timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        """neo4j-admin from the jars in `lib` on this instance, its output captured."""
        cmd = [
            require_tool("java", "openjdk-17-jre-headless"),
            "-cp",
            f"{lib}/*",
            f"-Dbasedir={self.instance_dir}",
            "org.neo4j.server.startup.Neo4jAdminCommand",
            *args,
        ]
        return subprocess.run(  # noqa: S603
            cmd, capture_output=True, text=True, env=self._java_env(), timeout=timeout, check=False
        )

    def dump(self, to_dir: Path, database: str = "neo4j") -> Path:
        """Write `<to_dir>/<database>.dump` from the stopped server's store."""
        to_dir.mkdir(parents=True, exist_ok=True)
        self.admin(
            "database", "dump", database, f"--to-path={to_dir}", "--overwrite-destination=true"
        )
        return to_dir / f"{database}.dump"

    def load(self, dump: Path, database: str = "neo4j") -> None:
        """Replace the stopped server's `database` with a dump (a file, or a directory holding
        `<database>.dump`)."""
        if dump.is_dir():
            dump = dump / f"{database}.dump"
        if not dump.is_file():
            raise LocalServerError(f"no dump at {dump}")
        assert self.data_dir is not None
        # A load that fails midway (a truncated or corrupt dump) leaves a store that cannot
        # start: the database's store and transaction logs are set aside first, and put
        # back unless the load succeeds.
        stores = [self.data_dir / kind / database for kind in ("databases", "transactions")]
        aside = Path(tempfile.mkdtemp(prefix=f".before-load-{database}-", dir=self.data_dir))
        kept = [aside / f"{i}" for i in range(len(stores))]
        for store, keep in zip(stores, kept, strict=True):
            if store.exists():
                store.rename(keep)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                # load reads `<database>.dump` from a directory: whatever the file is called.
                (Path(tmp) / f"{database}.dump").symlink_to(dump.resolve())
                self.admin(
                    "database", "load", database, f"--from-path={tmp}",
                    "--overwrite-destination=true",
                )  # fmt: skip
        except BaseException as error:
            for store, keep in zip(stores, kept, strict=True):
                if keep.exists():
                    shutil.rmtree(store, ignore_errors=True)
                    keep.rename(store)
            aside.rmdir()
            if isinstance(error, LocalServerError):
                raise LocalServerError(
                    f"{error}\nThe database was left as it was before the restore."
                ) from error
            raise
        shutil.rmtree(aside, ignore_errors=True)

    def _wait_for_bolt(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise LocalServerError(
                    "Neo4j exited during start-up; its log says:\n" + self.log_tail()
                )
            if _port_open(self.bolt_port):
                return
            time.sleep(0.25)
        self.stop()
        raise LocalServerError(f"Neo4j did not open Bolt within {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for name in ("console.log", "neo4j.log"):
            path = self.instance_dir / "logs" / name
            if path.exists():
                parts.extend(path.read_text(errors="replace").splitlines()[-lines:])
        return "\n".join(parts)

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server we started, or else the live one the pid file names (a detached
        one). True if one ran. The pid file goes only if it names the server stopped here:
        after a crash someone else may have started and recorded a new one."""
        pid: int | None = None
        if self._proc is not None:
            if self._proc.poll() is None:
                pid = self._proc.pid
            else:
                self._proc = None  # died earlier and is reaped: nothing to stop
        else:
            pid = self.running_pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None:
                if self._proc.poll() is not None:
                    break
            elif not _is_server(pid, self.instance_dir):
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if self._proc is not None:
                self._proc.wait()
        self._proc = None
        rec = self.record()
        if rec is not None and rec.pid == pid:
            self.pid_file.unlink(missing_ok=True)
        return True


class Supervisor:
    """Restarts a LocalNeo4j that dies, on the same port and data directory, until stopped.

    A thread polls the child (`Popen.poll` reaps it, so no zombie is left). After a death it
    waits `backoff` seconds (doubling up to `max_backoff`, back to the start once a server has
    stayed up for `stable_after` seconds) and starts it again. `on_down(restarts)` and
    `on_up(restarts)` run in the thread. The thread also stops the last server it started: a
    child started from a thread gets PR_SET_PDEATHSIG when that thread ends.
    """

    def __init__(
        self,
        server: LocalNeo4j,
        *,
        on_down: Callable[[int], None] | None = None,
        on_up: Callable[[int], None] | None = None,
        poll: float = 0.5,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        stable_after: float = 60.0,
    ) -> None:
        self.server = server
        self.on_down = on_down
        self.on_up = on_up
        self.poll = poll
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="neo4j-supervisor", daemon=True)

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def stop(self, timeout: float = 90.0) -> None:
        """Stop supervising, then stop the server (from the thread that started it last)."""
        self._stopping.set()
        self._thread.join(timeout)
        self.server.stop()

    def _run(self) -> None:
        delay = self.backoff
        up_since = time.monotonic()
        while not self._stopping.wait(self.poll):
            if self.server.alive():
                if time.monotonic() - up_since >= self.stable_after:
                    delay = self.backoff
                continue
            code = self.server.exit_code()
            self.restarts += 1
            log.warning(
                "embedded Neo4j exited (code %s); restart %d on port %d in %.1fs",
                code,
                self.restarts,
                self.server.bolt_port,
                delay,
            )
            if self.on_down is not None:
                self.on_down(self.restarts)
            if self._stopping.wait(delay):
                break
            delay = min(delay * 2, self.max_backoff)
            began = time.monotonic()
            try:
                self.server.start()
            except LocalServerError as exc:
                log.error("embedded Neo4j restart %d failed: %s", self.restarts, exc)
                continue
            except Exception:  # a dead supervisor thread would never restart again
                log.exception("embedded Neo4j restart %d failed", self.restarts)
                continue
            up_since = time.monotonic()
            log.warning(
                "embedded Neo4j restarted (restart %d, pid %s, port %d) in %.1fs",
                self.restarts,
                self.server.running_pid(),
                self.server.bolt_port,
                up_since - began,
            )
            if self.on_up is not None:
                self.on_up(self.restarts)
        if self._stopping.is_set():
            self.server.stop()
