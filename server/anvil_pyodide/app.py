"""The ASGI application (Starlette) for one app folder.

Example:
    >>> from pathlib import Path
    >>> app = create_app(ServerConfig(app_dir=Path("demo")))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/_/") and "runtime" not in r.path)
    ['/_/api/{path:path}', '/_/app/client_code.zip', '/_/app/client_code/{digest}.zip', '/_/check-app-online', '/_/server-call-http', '/_/uplink', '/_/ws']
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute

from .app_loader import AppModuleImporter
from .assets.runtime_location import runtime_dirs as find_runtime_dirs
from .assets.static import IMMUTABLE, REVALIDATE, AppPage, ClientCode, RuntimeDescription, build_id, runtime_files
from .calls.dispatcher import Dispatcher
from .calls.handler import CallHandler
from .calls.output import install_output_routing
from .calls.registry import FunctionRegistry, default_registry
from .config import ServerConfig
from .log_filters import install_log_filters
from .embed_cors import EmbeddingCors
from .sessions.store import InMemorySessionStore, SessionStore
from .tasks.setup import create_task_manager
from .transports.browser_ws import BrowserWebSocketEndpoint
from .transports.http_call import HttpCallEndpoint
from .transports.uplink_ws import UplinkWebSocketEndpoint
from .uplink.hub import UplinkHub
from .web.endpoints import default_endpoints
from .web.paths import PathTable
from .web.routes import AppPathRoute, PageRoutes, default_routes
from .web.request_limits import RequestGuard
from .web.serve import ApiEndpoint, ServerCode

#: Every method HTTP endpoints and routes may take (they answer 405 themselves).
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def check_app_online(request: Request) -> PlainTextResponse:
    return PlainTextResponse("OK", headers={"Cache-Control": "no-store"})


def create_app(config: ServerConfig, registry: FunctionRegistry = default_registry,
               sessions: SessionStore | None = None, endpoints: PathTable | None = None,
               routes: PathTable | None = None) -> Starlette:
    """Build the server for ``config.app_dir`` (whose server code is already imported into ``registry``)."""
    if config.app_dir is None:
        raise ValueError("ServerConfig.app_dir is required")
    sessions = sessions or InMemorySessionStore(config.session_idle_timeout, config.session_first_use_timeout)
    uplinks = UplinkHub(config, local=registry)
    tasks = create_task_manager(config, registry, uplinks)
    dispatcher = Dispatcher(registry, config, remote=uplinks, tasks=tasks)
    calls = CallHandler(dispatcher, config.app_dir, import_module=AppModuleImporter(config.app_dir))
    runtime_dirs = find_runtime_dirs(config.runtime_dir)
    if config.forward_output:
        install_output_routing()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        install_log_filters()  # after uvicorn has configured its loggers
        yield
        tasks.close()
        dispatcher.close()

    code = ServerCode(config, sessions, dispatcher)
    page = AppPage(config.app_dir, sessions)
    client_code = ClientCode(config.app_dir)
    app = Starlette(routes=[
        WebSocketRoute("/_/ws", BrowserWebSocketEndpoint(calls, sessions, config).endpoint),
        WebSocketRoute("/_/uplink", UplinkWebSocketEndpoint(config, uplinks, calls, sessions).endpoint),
        Route("/_/server-call-http", HttpCallEndpoint(calls, sessions, config).endpoint, methods=["POST"]),
        Route("/_/check-app-online", check_app_online),
        Route("/_/app/client_code.zip", client_code.endpoint),
        Route("/_/app/client_code/{digest}.zip", client_code.by_digest),
        Route("/_/runtime/build.json",
              RuntimeDescription(runtime_dirs, config.origins, sessions, config.app_dir).endpoint),
        Mount(f"/_/runtime/{build_id(runtime_dirs)}", runtime_files(runtime_dirs, IMMUTABLE)),
        Mount("/_/runtime", runtime_files(runtime_dirs, REVALIDATE)),
        Route("/_/api/{path:path}", ApiEndpoint(code, default_endpoints if endpoints is None else endpoints).endpoint,
              methods=HTTP_METHODS),
        AppPathRoute("/{path:path}", PageRoutes(code, default_routes if routes is None else routes, page).endpoint,
                     methods=HTTP_METHODS),  # routes, then / (the page), else 404
    ], lifespan=lifespan, middleware=[Middleware(EmbeddingCors, policy=config.origins),
                                      Middleware(RequestGuard, body_timeout=config.body_timeout)])
    return app
