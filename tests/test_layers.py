"""The layers' boundaries, checked on the source: graph/ speaks no GraphQL input paths, and
schema/ modules do not import each other in a circle."""

from __future__ import annotations

import ast

from settings import ROOT


def _strings(path: str) -> list[str]:
    tree = ast.parse((ROOT / path).read_text())
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is str]


def test_graph_knows_no_input_paths() -> None:
    found = [
        f"{p.relative_to(ROOT)}: {s!r}"
        for p in sorted((ROOT / "graph").glob("*.py"))
        for s in _strings(str(p.relative_to(ROOT)))
        if s.startswith("input.") or s == "input"
    ]
    assert found == []


def _runtime_imports(module: str) -> set[str]:
    """schema.* modules `module` imports when it is loaded (TYPE_CHECKING blocks, which only
    name types for strawberry.lazy, are left out)."""
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text())
    out: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "schema":
                    out.update(f"schema.{a.name}" for a in node.names)
                elif node.module.startswith("schema."):
                    out.add(node.module)
            for field in ("body", "orelse", "handlers", "finalbody"):
                visit(getattr(node, field, []))

    visit(tree.body)
    return out - {module}


def test_schema_modules_import_in_one_direction() -> None:
    modules = [f"schema.{p.stem}" for p in (ROOT / "schema").glob("*.py") if p.stem != "__init__"]
    graph = {m: _runtime_imports(m) & set(modules) for m in modules}
    cycles = []

    def walk(m: str, path: list[str]) -> None:
        for n in sorted(graph[m]):
            if n in path:
                cycles.append(" -> ".join([*path[path.index(n) :], n]))
            else:
                walk(n, [*path, n])

    for m in sorted(modules):
        walk(m, [m])
    assert cycles == []


def test_every_repository_call_knows_its_actor() -> None:
    """docs/DECISIONS.md: the viewer reaches every repository call, as an Actor (reads) or
    in the Audit of a write, so visibility predicates can be added in graph/ alone."""
    import importlib
    import inspect

    # The repositories resolvers call; the API-key look-up runs before there is a viewer.
    exempt = {
        ("graph.access", "load_scope"),
        ("graph.user", "user_by_claim"),
        # Whether another active user signs in with an e-mail or subject: every user counts.
        ("graph.user", "identity_taken"),
        ("graph.apikey", "sign_in"),
        ("graph.apikey", "touch"),
        ("graph.apikey", "holders_of_active"),
        ("graph.system", "server_info"),
        ("graph.system", "zone_offset_seconds"),  # the app's start-up check, before any viewer
        # Duplicate detection sees every record by design (R22); the importer calls it.
        ("graph.duplicates", "likely_duplicates"),
        # Which of an import's rows name a stored record (they update it, so they are not
        # held as duplicates): yes or no per row, by key. The rights on each record are judged
        # after it, as for every row of a rep's import.
        ("graph.transfer", "existing"),
        # Which of the people a send addresses (ids it holds) any sender's job of the template
        # reached lately: a campaign reaches nobody twice, whoever sent it first.
        ("graph.outreach", "recent"),
        # A helper repositories call with statements already under their predicate;
        # resolvers import graph.pages for its `every` walk only.
        ("graph.pages", "read"),
    }
    used = set()
    for path in (ROOT / "resolvers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "graph":
                used.update(f"graph.{a.name}" for a in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("graph."):
                used.add(node.module or "")
    missing = []
    for module_name in sorted(used):
        module = importlib.import_module(module_name)
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.iscoroutinefunction(fn):
                continue
            if fn.__module__ != module.__name__ or (module.__name__, name) in exempt:
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:1] == ["db"] and "actor" not in params and "audit" not in params:
                missing.append(f"{module.__name__}.{name}")
    assert missing == []
