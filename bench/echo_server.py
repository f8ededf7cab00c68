"""The baseline for the server benchmark: a bare Starlette WebSocket echo endpoint on uvicorn.

Usage: python bench/echo_server.py PORT
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


async def online(request: object) -> PlainTextResponse:
    return PlainTextResponse("OK")


app = Starlette(routes=[WebSocketRoute("/echo", echo), Route("/_/check-app-online", online)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
