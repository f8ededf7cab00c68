"""Baselines on a bare Starlette app: a WebSocket echo (server benchmark) and raw byte download/upload
(browser media benchmark; CORS-enabled so an app page on another port can fetch them).

Usage: python bench/echo_server.py PORT
"""

from __future__ import annotations

import random
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
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


async def blob(request: Request) -> Response:
    size = int(request.query_params["size"])
    return Response(random.Random(size).randbytes(size), media_type="application/octet-stream")


async def sink(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(len(await request.body())))


app = Starlette(routes=[WebSocketRoute("/echo", echo), Route("/_/check-app-online", online), Route("/blob", blob),
                        Route("/sink", sink, methods=["POST"])],
                middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
