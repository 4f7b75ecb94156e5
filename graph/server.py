"""The embedded default: a real Neo4j Community server run from Maven jars on Java 17.

`LocalNeo4j` fetches the jars once (Maven, cached in `<home>/lib`), writes `neo4j.conf`, sets a
generated password on a fresh data directory, starts `CommunityEntryPoint` as a child process,
waits for Bolt, and stops it again. The child gets PR_SET_PDEATHSIG so that it dies with us even
when we are killed without a chance to clean up: no orphaned `java` is left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


@dataclass
class LocalNeo4j:
    """One local server instance. `home` holds jars and the password; `data_dir` the store."""

    home: Path
    data_dir: Path | None = None
    bolt_port: int = 0
    heap: str = "1g"
    pagecache: str = "1g"
    user: str = "neo4j"

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
        return self.instance_dir / "neo4j.pid"

    @property
    def port_file(self) -> Path:
        return self.instance_dir / "bolt.port"

    @property
    def password(self) -> str:
        pw_file = self.home / "password"
        if not pw_file.exists():
            pw_file.parent.mkdir(parents=True, exist_ok=True)
            pw_file.write_text(secrets.token_urlsafe(18))
            pw_file.chmod(0o600)
        return pw_file.read_text().strip()

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    # --- lifecycle -----------------------------------------------------------------------------
    def running_pid(self) -> int | None:
        """The pid of a live server for this data directory, started by anyone, or None."""
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        with contextlib.suppress(FileNotFoundError, ValueError):
            self.bolt_port = int(self.port_file.read_text())
        return pid

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
            "server.jvm.additional=-XX:+ExitOnOutOfMemoryError",
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
        cmd = [
            require_tool("java", "openjdk-17-jre-headless"),
            "-cp",
            f"{lib}/*",
            f"-Dbasedir={self.instance_dir}",
            "org.neo4j.server.startup.Neo4jAdminCommand",
            "dbms",
            "set-initial-password",
            self.password,
        ]
        proc = subprocess.run(  # noqa: S603
            cmd, capture_output=True, text=True, env=self._java_env(), check=False
        )
        if proc.returncode != 0:
            raise LocalServerError("could not set the Neo4j password:\n" + proc.stderr[-2000:])
        marker.touch()

    def start(self, timeout: float = 180.0, detach: bool = False) -> None:
        """Start the server and wait for Bolt. `detach` lets it outlive this process (CLI)."""
        if self.running_pid() is not None:
            raise LocalServerError(
                f"a Neo4j server is already running for {self.data_dir} "
                f"(pid {self.pid_file.read_text().strip()}); stop it with `crm-graph neo4j stop`"
            )
        lib = ensure_jars(self.home)
        java = require_tool("java", "openjdk-17-jre-headless")
        if not self.bolt_port:
            self.bolt_port = free_port()
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
        )
        out.close()
        self.pid_file.write_text(str(self._proc.pid))
        self.port_file.write_text(str(self.bolt_port))
        self._wait_for_bolt(timeout)

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
        """Stop the server for this data directory, ours or a detached one. True if one ran."""
        pid = self._proc.pid if self._proc is not None else self.running_pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None:
                if self._proc.poll() is not None:
                    break
            else:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if self._proc is not None:
                self._proc.wait()
        self._proc = None
        self.pid_file.unlink(missing_ok=True)
        return True
