"""The ASGI application (Starlette) for one app folder.

Example:
    >>> from pathlib import Path
    >>> app = create_app(ServerConfig(app_dir=Path("demo")))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/_/") and "runtime" not in r.path)
    ['/_/api/{path:path}', '/_/app/client_code.zip', '/_/check-app-online', '/_/server-call-http', '/_/session-cookie', '/_/uplink', '/_/ws']
"""

from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute

from .app_loader import AppModuleImporter
from .calls.handler import BrowserCallHandler
from .config import ServerConfig
from .calls.dispatcher import Dispatcher
from .transports.http_call import http_call_endpoint
from .web.endpoints import default_endpoints
from .web.paths import PathTable
from .web.serve import api_endpoint
from .calls.output import install_output_routing
from .calls.registry import FunctionRegistry, default_registry
from .web.routes import AppPathRoute, default_routes, page_route_endpoint
from .sessions.store import SessionStore
from .store import StoreSettings, StoreUnavailableError, default_store_url, new_process_id, open_store
from .store.upkeep import keep_up
from .tasks.records import StoredTaskRecords
from .tasks.setup import create_task_manager
from .users.cookie import session_cookie_endpoint
from .users.setup import create_users_service
from .assets.static import (IMMUTABLE, REVALIDATE, build_id, client_code_endpoint, runtime_description,
                     runtime_description_endpoint, runtime_files)
from .transports.uplink_ws import UplinkHub, uplink_websocket_endpoint
from .transports.browser_ws import browser_websocket_endpoint

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
    state_store = open_store(config.store or default_store_url(config.app_dir),
                             StoreSettings(config.session_idle_timeout, config.task_retention))
    process_id = new_process_id()
    import_module = AppModuleImporter(config.app_dir)
    sessions = sessions or SessionStore(state_store, import_module)
    users = create_users_service(state_store, sessions, config, registry)
    uplinks = UplinkHub(config)
    dispatcher = Dispatcher(registry, config, remote=uplinks, users=users)
    uplinks.dispatcher = dispatcher
    task_records = StoredTaskRecords(state_store, process_id)
    dispatcher.tasks = create_task_manager(config, registry, uplinks, task_records)
    runtime_dirs = [config.runtime_dir] if config.runtime_dir else default_runtime_dirs()
    if config.forward_output:
        install_output_routing()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state_store.open()
        background = [asyncio.create_task(keep_up(state_store, process_id)), asyncio.create_task(task_records.run())]
        try:
            yield
        finally:
            for job in background:
                job.cancel()
            dispatcher.tasks.close()
            await task_records.flush()
            dispatcher.close()
            try:
                await state_store.drop_process(process_id)
            except StoreUnavailableError:
                pass
            await state_store.close()

    app = Starlette(routes=[
        WebSocketRoute("/_/ws", browser_websocket_endpoint),
        WebSocketRoute("/_/uplink", uplink_websocket_endpoint),
        Route("/_/server-call-http", http_call_endpoint, methods=["POST"]),
        Route("/_/check-app-online", check_app_online),
        Route("/_/session-cookie", session_cookie_endpoint, methods=["POST"]),
        Route("/_/app/client_code.zip", client_code_endpoint),
        Route("/_/runtime/build.json", runtime_description_endpoint),
        Mount(f"/_/runtime/{build_id(runtime_dirs)}", runtime_files(runtime_dirs, IMMUTABLE)),
        Mount("/_/runtime", runtime_files(runtime_dirs, REVALIDATE)),
        Route("/_/api/{path:path}", api_endpoint, methods=HTTP_METHODS),
        AppPathRoute("/{path:path}", page_route_endpoint, methods=HTTP_METHODS),  # routes, then / (the page), else 404
    ], lifespan=lifespan)
    app.state.config = config
    app.state.sessions = sessions
    app.state.store = state_store
    app.state.process_id = process_id
    app.state.dispatcher = dispatcher
    app.state.uplinks = uplinks
    app.state.running_http_calls = set()
    app.state.http_endpoints = default_endpoints if endpoints is None else endpoints
    app.state.routes = default_routes if routes is None else routes
    app.state.runtime_description = runtime_description(runtime_dirs)
    app.state.call_handler = BrowserCallHandler(dispatcher, sessions, config,
                                                import_module=import_module)
    return app
