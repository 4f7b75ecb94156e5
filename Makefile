# The two commands: `make run` serves the API and viewer on an embedded Neo4j with demo data;
# `make test` runs linters, type checks and the test suite against a real Neo4j.
# Both install what they need first (uv, Python packages, Neo4j jars, viewer packages).

PORT ?= 8000
SCALE ?= S
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: setup run test lint bench schema clean

setup:
	@bash scripts/setup.sh

run: setup
	$(UV) run crm-graph serve --demo --port $(PORT)

lint: setup
	$(UV) run ruff check .
	$(UV) run mypy

test: lint
	$(UV) run pytest $(PYTEST_ARGS)

schema: setup
	$(UV) run crm-graph export-schema

bench: setup
	$(UV) run --group bench python -m bench.run --scale $(SCALE)

clean:
	rm -rf .venv .neo4j node_modules viewer/node_modules test-artifacts
