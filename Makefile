# The two commands: `make run` serves the API and viewer on an embedded Neo4j with demo data;
# `make test` runs linters, type checks and the test suite against a real Neo4j.
# Both install what they need first (uv, Python packages, Neo4j jars, viewer packages).

# CRM_PORT (the server's own setting, README "Configuration") is honoured here too.
PORT ?= $(or $(CRM_PORT),8000)
SCALE ?= S
SOAK_MINUTES ?= 10
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: setup run test lint bench soak schema clean

setup:
	@bash scripts/setup.sh

run: setup
	$(UV) run crm-graph serve --demo --port $(PORT)

lint: setup
	$(UV) run ruff check .
	$(UV) run mypy

# Two workers, each with its own Neo4j: much of the suite waits on the database or on the
# processes it starts, so two share two cores well. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: lint
	$(UV) run pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# Mixed reads and writes at concurrency 32 against a served app; reports errors by code,
# p50/p99 and lost acknowledged writes (must be 0). `make soak SOAK_MINUTES=1` for a short one.
soak: setup
	$(UV) run --group bench python -m bench.soak --minutes $(SOAK_MINUTES)

schema: setup
	$(UV) run crm-graph export-schema

bench: setup
	$(UV) run --group bench python -m bench.run --scale $(SCALE)

clean:
	rm -rf .venv .neo4j node_modules viewer/node_modules test-artifacts
