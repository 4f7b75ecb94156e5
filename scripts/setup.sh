#!/usr/bin/env bash
# Idempotent set-up shared by `make run` and `make test`. Fast when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }

if ! need java || ! need mvn; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "setup: installing Java 17 and Maven with apt-get"
    apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
  else
    echo "setup: the embedded Neo4j needs Java 17 and Maven; install openjdk-17-jre-headless and maven" >&2
    exit 1
  fi
fi

# The viewer's browser tests (tests/viewer) drive Debian's Chromium, never a downloaded browser
# build; the CJK fonts make Chinese names render in its screenshots.
if ! need chromium && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "setup: installing Chromium and CJK fonts for the viewer tests with apt-get"
    { apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } ||
      echo "setup: could not install Chromium; the viewer's browser tests will be skipped" >&2
  else
    echo "setup: Chromium not found; the viewer's browser tests will be skipped (apt-get install chromium)" >&2
  fi
fi

if ! need uv && [ ! -x "$HOME/.local/bin/uv" ]; then
  echo "setup: installing uv"
  python3 -m pip install -q --user uv 2>/dev/null || python3 -m pip install -q uv
fi
UV=$(command -v uv || echo "$HOME/.local/bin/uv")

# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (as on our dev machines),
# every process (each CLI call, each test worker, serve) otherwise compiled some 1,500 modules
# from source, about 2.5 s of CPU each time. Stale files are recompiled in memory, never used.
"$UV" sync --frozen --quiet --compile-bytecode
"$UV" run --frozen python -m compileall -q app.py cli.py settings.py schema resolvers graph migrations >/dev/null
"$UV" run --frozen crm-graph neo4j fetch >/dev/null

if [ -f viewer/package.json ]; then
  if [ ! -d viewer/node_modules ] || [ viewer/package-lock.json -nt viewer/node_modules/.package-lock.json ]; then
    echo "setup: installing viewer packages with npm"
    (cd viewer && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
