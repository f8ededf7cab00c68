"""``/_/uplink``: anvil-uplink scripts connect here, register functions, and call the app's functions.

The handshake (docs/protocol.md, "Uplink handshake"): the uplink's first message is ``{"key": ..., "v": 8}``. The server
uplink key gets ``{"auth": "OK", "priv": "uplink", "app-info": {...}}``, the client uplink key the
same with ``"priv": "client"``; anything else gets ``{"error": "Incorrect uplink key"}`` and the
socket is closed. (anvil-uplink does not wait for the answer: its REGISTERs follow the key at once.)
After that the connection is an :class:`~.uplink_connection.UplinkConnection`, routed by the
:class:`~.uplink_hub.UplinkHub`.

Example:
    >>> from anvil_pyodide.config import ServerConfig
    >>> config = ServerConfig(uplink_key="s3cret", client_uplink_key="pub")
    >>> privilege_for({"key": "s3cret", "v": 8}, config), privilege_for({"key": "pub", "v": 8}, config)
    ('uplink', 'client')
    >>> privilege_for({"key": "guess", "v": 8}, config) is None
    True
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from starlette.websockets import WebSocket

from ..calls.handler import CallHandler
from ..calls.message_limits import MessageLimits
from ..calls.reply_budget import ReplyBudget
from ..config import ServerConfig
from ..sessions.store import SessionStore
from ..uplink.connection import CLIENT_PRIVILEGE, SERVER_PRIVILEGE, UplinkConnection
from ..uplink.hub import UplinkHub
from .failure_limit import FailureLimit

log = logging.getLogger("anvil_pyodide.uplink")

#: Seconds an uplink has to send its key after connecting.
HANDSHAKE_TIMEOUT = 30.0
CLOSE_POLICY = 1008


def _same_key(given: Any, expected: str | None) -> bool:
    if not isinstance(given, str) or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def privilege_for(hello: Any, config: ServerConfig) -> str | None:
    """``"uplink"`` or ``"client"`` for a first message with a valid key, else None."""
    key = hello.get("key") if isinstance(hello, dict) else None
    if _same_key(key, config.uplink_key):
        return SERVER_PRIVILEGE
    if _same_key(key, config.client_uplink_key):
        return CLIENT_PRIVILEGE
    return None


async def _first_message(websocket: WebSocket) -> Any:
    """The uplink's first message, decoded; None for a disconnect, a timeout or a frame that is not JSON."""
    try:
        frame = await asyncio.wait_for(websocket.receive(), HANDSHAKE_TIMEOUT)
    except asyncio.TimeoutError:
        return None
    if frame["type"] != "websocket.receive" or frame.get("text") is None:
        return None
    try:
        return json.loads(frame["text"])
    except ValueError:
        return None


async def _refuse(websocket: WebSocket, error: str) -> None:
    try:
        await websocket.send_text(json.dumps({"error": error}))
        await websocket.close(code=CLOSE_POLICY)
    except Exception:  # noqa: BLE001 - the uplink has already gone
        pass


class UplinkWebSocketEndpoint:
    """The ASGI endpoint of ``/_/uplink`` (``endpoint`` is the Starlette WebSocket handler)."""

    def __init__(self, config: ServerConfig, hub: UplinkHub, handler: CallHandler, sessions: SessionStore) -> None:
        self.config, self.hub, self.handler, self.sessions = config, hub, handler, sessions
        #: Wrong keys per client address (``--uplink-failures-per-minute``).
        self.failures = FailureLimit(config.uplink_failures_per_minute)

    async def endpoint(self, websocket: WebSocket) -> None:
        config, hub = self.config, self.hub
        await websocket.accept()
        hello = await _first_message(websocket)
        client_ip = websocket.client.host if websocket.client else None
        failures = self.failures
        if failures.blocked(client_ip):  # before the key is compared: a blocked guesser learns nothing
            failures.fail(client_ip)
            await _refuse(websocket, f"Too many failed uplink connections from {client_ip}: "
                                     f"try again in {failures.retry_after(client_ip)} s")
            return
        privilege = privilege_for(hello, config)
        if privilege is None:
            failures.fail(client_ip)  # logged once per interval per address, not once per attempt
            await _refuse(websocket, "Incorrect uplink key")
            return
        if isinstance(hello, dict) and hello.get("v") != 8:
            log.info("uplink from %s speaks protocol version %r; this server speaks 8", client_ip, hello.get("v"))
        try:
            await websocket.send_text(json.dumps({"auth": "OK", "priv": privilege, "app-info": hub.app_info}))
        except Exception:  # noqa: BLE001
            return
        scheme = "https" if websocket.url.scheme == "wss" else "http"
        connection = UplinkConnection(websocket, privilege, hub, self.handler, session=await self.sessions.create(keep=False),
                                      ip=client_ip, origin=f"{scheme}://{websocket.url.netloc}",
                                      max_media_bytes=config.max_media_bytes, limits=MessageLimits.of(config),
                                      media_timeout=config.media_timeout, max_held_bytes=config.max_connection_bytes,
                                      forward_output=config.forward_output, reply_budget=ReplyBudget.of(config))
        hub.add(connection)
        log.info("%s connected from %s with %s privilege", connection.name, client_ip,
                 "server" if privilege == SERVER_PRIVILEGE else "client")
        try:
            await connection.run()
        finally:
            hub.remove(connection)
            log.info("%s disconnected (it served: %s)", connection.name, ", ".join(connection.registered) or "nothing")
