"""The viewer's static files, without a browser: served, and every module import resolves."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from app import create_app
from settings import ROOT, Settings

VIEWER = ROOT / "viewer"
IMPORT = re.compile(r"""^import\s[^'"]*['"](\.{1,2}/[^'"]+)['"]""", re.MULTILINE)


def client() -> TestClient:
    # No `with`: the lifespan (and so Neo4j) never starts; static files do not need it.
    return TestClient(create_app(Settings(neo4j_uri="bolt://127.0.0.1:9", dev=True)))


def test_root_redirects_to_the_viewer_and_serves_its_page() -> None:
    c = client()
    r = c.get("/", follow_redirects=False)
    assert r.status_code in (302, 307)
    assert r.headers["location"] == "/viewer/"
    page = c.get("/viewer/")
    assert page.status_code == 200
    assert 'type="module" src="js/app.js"' in page.text


def test_every_module_import_resolves_and_is_served_as_javascript() -> None:
    c = client()
    modules = sorted((VIEWER / "js").rglob("*.js"))
    assert modules
    seen = 0
    for module in modules:
        for target in IMPORT.findall(module.read_text(encoding="utf-8")):
            path = (module.parent / target).resolve()
            assert path.is_file(), f"{module.relative_to(ROOT)} imports missing {target}"
            url = "/viewer/" + path.relative_to(VIEWER).as_posix()
            r = c.get(url)
            assert r.status_code == 200, url
            assert r.headers["content-type"].startswith("text/javascript"), (url, r.headers)
            seen += 1
    assert seen >= 10


def test_third_party_code_comes_from_npm_not_from_the_repo() -> None:
    lock = (VIEWER / "package-lock.json").read_text(encoding="utf-8")
    assert '"node_modules/cytoscape"' in lock
    assert '"resolved"' not in lock  # no registry address in the repo
    vendored = [p for p in VIEWER.rglob("*.js") if "node_modules" not in p.parts]
    assert all(p.stat().st_size < 40_000 for p in vendored), "a large bundled file in viewer/?"
