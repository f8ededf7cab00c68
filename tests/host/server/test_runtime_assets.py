"""The runtime description names immutable URLs: the client code by its hash (cached for a year while current),
and a build id that changes with the content of any wheel, not only its name."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from anvil_pyodide.assets.static import build_id

from tests.support.live_server import ROOT, LiveServer

pytestmark = pytest.mark.timeout(120)


def test_build_json_names_the_client_code_by_hash_and_that_url_is_immutable(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "client_code").mkdir(parents=True)
    main = app / "client_code" / "main.py"
    main.write_text("print('one')\n")
    with LiveServer(app) as server, httpx.Client(base_url=server.url, trust_env=False, timeout=30) as http:
        first = http.get("/_/runtime/build.json").json()["clientCode"]
        reply = http.get(first)
        assert reply.status_code == 200
        assert reply.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert reply.content == http.get("/_/app/client_code.zip").content

        main.write_text("print('two')\n")
        second = http.get("/_/runtime/build.json").json()["clientCode"]
        assert second != first and second.startswith("/_/app/client_code/") and second.endswith(".zip")
        outdated = http.get(first)  # an old URL gets today's code, and may not be cached
        assert outdated.headers["cache-control"] == "no-cache"
        assert outdated.content == http.get(second).content


def test_build_id_changes_with_a_wheels_content(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "pyodide-lock.json").write_text("{}")
    wheel = dist / "anvil_pyodide_runtime-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"one")
    before = build_id([dist, ROOT / "js_bridge"])
    assert build_id([dist, ROOT / "js_bridge"]) == before
    wheel.write_bytes(b"two")
    assert build_id([dist, ROOT / "js_bridge"]) != before
