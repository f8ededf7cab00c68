"""The ASGI application (Starlette) for one app folder.

Example:
    >>> from pathlib import Path
    >>> app = create_app(ServerConfig(app_dir=Path("demo")))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/_/") and "runtime" not in r.path)
    ['/_/api/{path:path}', '/_/app/client_code.zip', '/_/app/client_code/{digest}.zip', '/_/check-app-online', '/_/server-call-http', '/_/session-cookie', '/_/uplink', '/_/ws']
"""

from __future__ import annotations

import asyncio
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
from .sessions.store import SessionStore
from .store import StoreSettings, StoreUnavailableError, default_store_url, new_process_id, open_store
from .store.registrations import StoredRegistrations
from .store.upkeep import keep_up
from .tasks.records import StoredTaskRecords
from .tasks.remote import RemoteTaskKiller
from .tasks.setup import create_task_manager
from .transports.browser_ws import BrowserWebSocketEndpoint
from .transports.http_call import HttpCallEndpoint
from .transports.uplink_ws import UplinkWebSocketEndpoint
from .uplink.hub import UplinkHub
from .uplink.routing import RemoteUplinks
from .users.cookie import SessionCookieEndpoint
from .users.setup import create_users_service
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
    store = open_store(config.store or default_store_url(config.app_dir),
                       StoreSettings(config.session_idle_timeout, config.session_first_use_timeout,
                                     config.task_retention, config.process_timeout))
    process_id = new_process_id()
    import_module = AppModuleImporter(config.app_dir)
    sessions = sessions or SessionStore(store, import_module, config.session_check_interval)
    users = create_users_service(store, sessions, config, registry)
    registrations = StoredRegistrations(store, process_id)
    uplinks = UplinkHub(config, local=registry, shared=registrations)
    bus = store.bus(process_id)  # None unless the store can carry requests between processes (Redis)
    if bus is not None:
        uplinks.remote = RemoteUplinks(bus, store, uplinks, sessions)
    task_records = StoredTaskRecords(store, process_id)
    tasks = create_task_manager(config, registry, uplinks, task_records)
    if bus is not None:
        tasks.elsewhere = RemoteTaskKiller(bus, tasks.kill_here)
    dispatcher = Dispatcher(registry, config, remote=uplinks, tasks=tasks, users=users)
    calls = CallHandler(dispatcher, config.app_dir, import_module=import_module)
    runtime_dirs = find_runtime_dirs(config.runtime_dir)
    if config.forward_output:
        install_output_routing()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        install_log_filters()  # after uvicorn has configured its loggers
        await store.open()
        jobs = [keep_up(store, process_id), task_records.run(), registrations.run()]
        background = [asyncio.create_task(job) for job in jobs + ([bus.run()] if bus is not None else [])]
        try:
            yield
        finally:
            for job in background:
                job.cancel()
            tasks.close()
            await task_records.flush()
            task_records.close()
            dispatcher.close()
            try:
                if bus is not None:
                    await bus.close()
                await store.drop_process(process_id)
            except StoreUnavailableError:
                pass
            await store.close()

    code = ServerCode(config, sessions, dispatcher)
    page = AppPage(config.app_dir, sessions)
    client_code = ClientCode(config.app_dir)
    app = Starlette(routes=[
        WebSocketRoute("/_/ws", BrowserWebSocketEndpoint(calls, sessions, config).endpoint),
        WebSocketRoute("/_/uplink", UplinkWebSocketEndpoint(config, uplinks, calls, sessions).endpoint),
        Route("/_/server-call-http", HttpCallEndpoint(calls, sessions, config).endpoint, methods=["POST"]),
        Route("/_/check-app-online", check_app_online),
        Route("/_/session-cookie", SessionCookieEndpoint(sessions).endpoint, methods=["POST"]),
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
