"""Versioned Cypher migrations (V0001__name.cypher, ...), applied by `graph.migrate.Runner`.

The runner lives in graph/ because graph/ is the only package that talks to Neo4j.
"""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
