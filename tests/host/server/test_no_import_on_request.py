"""A browser message naming a portable type must not make the server import anything but the app's own files
(README "Differences from Anvil"): checked black-box, by asking the server process what it has imported."""

from __future__ import annotations

import json
import uuid

import anvil.server
import pytest

from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

#: Importable modules of the standard library that the server process never imports by itself.
NOT_APP_MODULES = ["wsgiref.simple_server.WSGIServer", "xmlrpc.server.SimpleXMLRPCServer", "mailbox.mbox.Message"]


def call_with_type(type_name: str, command: str = "echo") -> str:
    """A CALL whose one argument claims to be an instance of the portable type ``type_name``."""
    return json.dumps({"type": "CALL", "id": f"raw-{uuid.uuid4().hex[:8]}", "command": command,
                       "args": [{"side": 3}], "kwargs": {},
                       "objects": [{"type": ["ValueType"], "typeName": type_name, "path": ["args", 0]}]})


@pytest.mark.parametrize("type_name", NOT_APP_MODULES)
async def test_a_type_from_outside_the_app_imports_nothing(server: LiveServer, type_name: str) -> None:
    package = type_name.split(".")[0]
    module = type_name.rsplit(".", 1)[0]
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("is_imported", package) is False, f"{package} was imported before the test"
        message = call_with_type(type_name)
        call_id = json.loads(message)["id"]
        client.expect(call_id)
        await client.send_raw(message)
        with pytest.raises(anvil.server.SerializationError, match=f"No such serializable type: {type_name}"):
            await client.outcome(call_id)
        assert [await client.call("is_imported", package), await client.call("is_imported", module)] == [False, False]


async def test_a_type_from_the_apps_own_files_is_imported_on_demand(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        assert await client.call("is_imported", "lazy.shapes") is False
        message = call_with_type("lazy.shapes.Square", command="side_of")
        call_id = json.loads(message)["id"]
        client.expect(call_id)
        await client.send_raw(message)
        assert await client.outcome(call_id) == ["lazy.shapes", "Square", 3]
        assert await client.call("is_imported", "lazy.shapes") is True
