"""The ASGI application (Starlette) for one app folder.

Example:
    >>> from pathlib import Path
    >>> app = create_app(ServerConfig(app_dir=Path("demo")))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/_/") and "runtime" not in r.path)
    ['/_/api/{path:path}', '/_/app/client_code.zip', '/_/app/client_code/{digest}.zip', '/_/check-app-online', '/_/server-call-http', '/_/uplink', '/_/ws']
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute

from .app_loader import AppModuleImporter
from .browser_calls import BrowserCallHandler
from .config import ServerConfig
from .dispatcher import Dispatcher
from .http_call import http_call_endpoint
from .http_endpoint import default_endpoints
from .http_endpoint_paths import PathTable
from .http_endpoint_serve import api_endpoint
from .output import install_output_routing
from .registry import FunctionRegistry, default_registry
from .routes import AppPathRoute, default_routes, page_route_endpoint
from .sessions import InMemorySessionStore, SessionStore
from .task_setup import create_task_manager
from .static import (IMMUTABLE, REVALIDATE, build_id, client_code_by_digest_endpoint, client_code_endpoint,
                     runtime_description,
                     runtime_description_endpoint, runtime_files)
from .uplink import UplinkHub, uplink_websocket_endpoint
from .ws_browser import browser_websocket_endpoint

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Every method HTTP endpoints and routes may take (they answer 405 themselves).
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def default_runtime_dirs() -> list[Path]:
    """The built Pyodide distribution (``ANVIL_PYODIDE_RUNTIME_DIR`` or build/dist) and js_bridge/."""
    dist = Path(os.environ.get("ANVIL_PYODIDE_RUNTIME_DIR", PROJECT_ROOT / "build" / "dist"))
    return [dist, PROJECT_ROOT / "js_bridge"]


async def check_app_online(request: Request) -> PlainTextResponse:
    return PlainTextResponse("OK", headers={"Cache-Control": "no-store"})


def create_app(config: ServerConfig, registry: FunctionRegistry = default_registry,
               sessions: SessionStore | None = None, endpoints: PathTable | None = None,
               routes: PathTable | None = None) -> Starlette:
    """Build the server for ``config.app_dir`` (whose server code is already imported into ``registry``)."""
    if config.app_dir is None:
        raise ValueError("ServerConfig.app_dir is required")
    sessions = sessions or InMemorySessionStore(config.session_idle_timeout)
    uplinks = UplinkHub(config)
    dispatcher = Dispatcher(registry, config, remote=uplinks)
    uplinks.dispatcher = dispatcher
    dispatcher.tasks = create_task_manager(config, registry, uplinks)
    runtime_dirs = [config.runtime_dir] if config.runtime_dir else default_runtime_dirs()
    if config.forward_output:
        install_output_routing()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        dispatcher.tasks.close()
        dispatcher.close()

    app = Starlette(routes=[
        WebSocketRoute("/_/ws", browser_websocket_endpoint),
        WebSocketRoute("/_/uplink", uplink_websocket_endpoint),
        Route("/_/server-call-http", http_call_endpoint, methods=["POST"]),
        Route("/_/check-app-online", check_app_online),
        Route("/_/app/client_code.zip", client_code_endpoint),
        Route("/_/app/client_code/{digest}.zip", client_code_by_digest_endpoint),
        Route("/_/runtime/build.json", runtime_description_endpoint),
        Mount(f"/_/runtime/{build_id(runtime_dirs)}", runtime_files(runtime_dirs, IMMUTABLE)),
        Mount("/_/runtime", runtime_files(runtime_dirs, REVALIDATE)),
        Route("/_/api/{path:path}", api_endpoint, methods=HTTP_METHODS),
        AppPathRoute("/{path:path}", page_route_endpoint, methods=HTTP_METHODS),  # routes, then / (the page), else 404
    ], lifespan=lifespan)
    app.state.config = config
    app.state.sessions = sessions
    app.state.dispatcher = dispatcher
    app.state.uplinks = uplinks
    app.state.running_http_calls = set()
    app.state.http_endpoints = default_endpoints if endpoints is None else endpoints
    app.state.routes = default_routes if routes is None else routes
    app.state.runtime_description = runtime_description(runtime_dirs)
    app.state.call_handler = BrowserCallHandler(dispatcher, sessions, config,
                                                import_module=AppModuleImporter(config.app_dir))
    return app
