"""``/_/uplink``: anvil-uplink scripts connect here, register functions, and call the app's functions.

(Placeholder while the uplink protocol is being built: no uplink is accepted yet.)
"""

from __future__ import annotations

from typing import Any

from starlette.websockets import WebSocket

from .call_context import CallState
from .config import ServerConfig


class UplinkHub:
    """The connected uplinks and the function names they registered."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.dispatcher: Any = None

    def serves(self, command: str) -> bool:
        return False

    async def call(self, command: str, args: list[Any], kwargs: dict[str, Any], state: CallState) -> Any:
        raise LookupError(command)


async def uplink_websocket_endpoint(websocket: WebSocket) -> None:
    await websocket.close(code=1008)
