"""Running the `crm-graph` CLI as a subprocess, the way an operator does."""

from __future__ import annotations

import subprocess
import sys

from settings import ROOT


def crm(
    args: list[str], env: dict[str, str], timeout: float = 240
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
