"""A browser message never makes the server import a package that is not one of the app's own files.

The server process gets a package on its ``sys.path`` (through PYTHONPATH) whose import writes a marker
file: a message naming a portable type inside it is refused with ``SerializationError`` and the marker
never appears. A type in one of the app's client_code modules that nothing imported yet still works.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Iterator

import anvil.server
import pytest

from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    """A server for a tiny app, with ``side_effect_pkg`` (not part of the app) importable by it."""
    root = tmp_path_factory.mktemp("no-imports")
    marker = root / "imported.marker"
    outside = root / "site"
    (outside / "side_effect_pkg").mkdir(parents=True)
    for file in ("__init__.py", "sub.py"):
        (outside / "side_effect_pkg" / file).write_text(
            f"open({str(marker)!r}, 'a').write({file!r} + '\\n')\nclass Cls:\n    pass\n")
    app = root / "app"
    (app / "server_code").mkdir(parents=True)
    (app / "client_code" / "shapes").mkdir(parents=True)
    (app / "server_code" / "fns.py").write_text(textwrap.dedent("""
        import anvil.server

        @anvil.server.callable
        def describe(value):
            return f"{type(value).__module__}.{type(value).__qualname__} {vars(value)}"
    """))
    (app / "client_code" / "shapes" / "__init__.py").write_text("")
    (app / "client_code" / "shapes" / "square.py").write_text(textwrap.dedent("""
        import anvil.server

        @anvil.server.portable_class
        class Square:
            pass
    """))
    with LiveServer(app, env={**os.environ, "PYTHONPATH": str(outside)}) as server:
        yield server, marker


def portable_call(call_id: str, type_name: str) -> str:
    return json.dumps({"type": "CALL", "id": call_id, "command": "describe", "args": [{"side": 2}], "kwargs": {},
                       "objects": [{"path": ["args", 0], "type": ["ValueType"], "typeName": type_name}]})


@pytest.mark.parametrize("type_name", ["side_effect_pkg.sub.Cls", "side_effect_pkg.Cls"])
async def test_a_type_outside_the_app_is_refused_without_importing(probe: tuple[LiveServer, Path],
                                                                    type_name: str) -> None:
    server, marker = probe
    async with BrowserClient(server.ws_url) as client:
        client.expect("c1")
        await client.send_raw(portable_call("c1", type_name))
        with pytest.raises(anvil.server.SerializationError, match=f"No such serializable type: {type_name}"):
            await client.outcome("c1")
    assert not marker.exists(), f"the server imported {marker.read_text()!r}"


async def test_a_type_in_an_app_module_not_yet_imported_is_imported(probe: tuple[LiveServer, Path]) -> None:
    server, _ = probe
    async with BrowserClient(server.ws_url) as client:
        client.expect("c2")
        await client.send_raw(portable_call("c2", "shapes.square.Square"))
        assert await client.outcome("c2") == "shapes.square.Square {'side': 2}"
