"""Running the `crm-graph` CLI as a subprocess, the way an operator does."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx

from settings import ROOT


def crm(
    args: list[str], env: dict[str, str], timeout: float = 480
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextlib.contextmanager
def serving(
    port: int,
    env: dict[str, str],
    log: Path,
    own_group: bool = False,
    more: tuple[str, ...] = (),
) -> Iterator[subprocess.Popen[bytes]]:
    """`crm-graph serve --port <port> <more>` in a subprocess writing to `log`; killed on the
    way out unless the test already stopped it. `own_group`: in a process group of its own, as
    a terminal runs it, so a test can signal the group as Ctrl-C does."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "serve", "--port", str(port), *more],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=0 if own_group else None,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def wait_ready(base: str, seconds: float) -> bool:
    """Whether the app at `base` answers /readyz within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return True
        time.sleep(0.2)
    return False
