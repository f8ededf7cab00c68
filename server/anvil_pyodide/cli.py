"""``anvil-pyodide serve APP_DIR``: serve an app folder (also ``python -m anvil_pyodide``);
``anvil-pyodide new APP_DIR``: write a small working app to start from.

Example:
    >>> args = build_parser().parse_args(["serve", "demo", "--port", "9000", "--allow-origin", "https://a.example"])
    >>> args.app_dir, args.host, args.port, args.allow_origin
    ('demo', '127.0.0.1', 9000, ['https://a.example'])
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from .app_loader import AppLoadError, load_app
from .config import ServerConfig
from .log_config import LOG_LEVELS, log_config
from .new_app import NewAppError, write_new_app
from .origins import ALLOW_ORIGIN_OPTION, ALLOW_ORIGINS_ENV, OriginPolicy
from .server_api import install as install_server_api
from .store import StoreUnavailableError, StoreUrlError, default_store_url, describe_store_url, open_store
from .store.url import DEFAULT_DATA_DIR, STORE_ENV
from .users.options import UserOptionError, add_user_options, user_settings

#: How ``serve --workers N`` hands its options to each worker process.
WORKER_ARGS_ENV = "ANVIL_PYODIDE_WORKER_ARGS"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="anvil-pyodide", description="Serve Anvil-style apps to Pyodide in the browser.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve an app folder", description=(
        "Serve APP_DIR: import APP_DIR/server_code/*.py (registering their @anvil.server.callable functions), "
        "ship APP_DIR/client_code/ to the browser, and serve APP_DIR/index.html (or a default page running "
        "the client module 'main')."))
    defaults = ServerConfig()
    serve.add_argument("app_dir", metavar="APP_DIR", help="the app folder (server_code/, client_code/, index.html)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument("--uplink-key", help="key that lets anvil-uplink scripts connect with server privilege")
    serve.add_argument("--client-uplink-key", help="key for client-privileged uplinks (may call, not register)")
    serve.add_argument("--uplink-failures-per-minute", type=int, default=defaults.uplink_failures_per_minute,
                       metavar="N", help=f"failed uplink handshakes (wrong key) allowed per client address per minute; "
                                         f"past it the address is refused for a while "
                                         f"(default: {defaults.uplink_failures_per_minute}; 0 for no limit)")
    serve.add_argument("--call-timeout", type=float, default=defaults.call_timeout, metavar="SECONDS",
                       help=f"seconds before a server call fails with anvil.server.TimeoutError "
                            f"(default: {defaults.call_timeout:g}; 0 for no limit)")
    serve.add_argument("--session-timeout", type=float, default=defaults.session_idle_timeout, metavar="SECONDS",
                       help=f"idle seconds before a session expires (default: {defaults.session_idle_timeout:g})")
    serve.add_argument("--session-first-use-timeout", type=float, default=defaults.session_first_use_timeout,
                       metavar="SECONDS", help=f"seconds a new session waits for its page to start before it is dropped "
                                               f"(default: {defaults.session_first_use_timeout:g})")
    serve.add_argument("--session-check-interval", type=float, default=defaults.session_check_interval,
                       metavar="SECONDS", help=f"seconds after a connection found its session in the store during "
                                               f"which its calls that do not use the session skip the store (at most "
                                               f"a tenth of --session-timeout; 0: every call asks the store; "
                                               f"default: {defaults.session_check_interval:g})")
    serve.add_argument("--forward-output", action="store_true",
                       help="send what server functions print to the browser console (default: off)")
    serve.add_argument("--worker-threads", type=int, default=defaults.worker_threads,
                       help=f"threads for synchronous server functions (default: {defaults.worker_threads})")
    serve.add_argument("--max-media-bytes", type=int, default=defaults.max_media_bytes, metavar="BYTES",
                       help=f"largest total of media in one call (default: {defaults.max_media_bytes})")
    serve.add_argument("--max-message-depth", type=int, default=defaults.max_message_depth, metavar="LEVELS",
                       help=f"nesting levels of a received message, and so the longest path in its 'objects' "
                            f"(default: {defaults.max_message_depth})")
    serve.add_argument("--max-message-objects", type=int, default=defaults.max_message_objects, metavar="COUNT",
                       help=f"entries in a received message's 'objects', and values in its 'vt_global' "
                            f"(default: {defaults.max_message_objects})")
    serve.add_argument("--media-timeout", type=float, default=defaults.media_timeout, metavar="SECONDS",
                       help=f"seconds a call's media may go without a chunk arriving before the call fails "
                            f"(default: {defaults.media_timeout:g}; 0 for no limit)")
    serve.add_argument("--max-connection-bytes", type=int, default=defaults.max_connection_bytes, metavar="BYTES",
                       help=f"the most one connection's calls waiting for their media may hold (parsed messages, "
                            f"estimated, and chunks); a call past it fails (default: {defaults.max_connection_bytes})")
    serve.add_argument("--max-pending-reply-bytes", type=int, default=defaults.max_pending_reply_bytes,
                       metavar="BYTES",
                       help=f"the most one connection's unsent replies may hold (encoded); past it the connection "
                            f"is not read and its calls wait (default: {defaults.max_pending_reply_bytes})")
    serve.add_argument("--reply-stall-timeout", type=float, default=defaults.reply_stall_timeout, metavar="SECONDS",
                       help=f"seconds a connection over --max-pending-reply-bytes may go without a reply sent before "
                            f"it is closed (1008) (default: {defaults.reply_stall_timeout:g}; 0 for no limit)")
    serve.add_argument("--session-threads", type=int, default=defaults.session_threads,
                       help="worker threads one session's synchronous calls may use at once; its other calls "
                            "wait their turn (default: a quarter of --worker-threads, at least 1)")
    serve.add_argument("--max-connection-calls", type=int, default=defaults.max_connection_calls, metavar="COUNT",
                       help=f"calls one connection may have waiting or running; past it, QuotaExceededError "
                            f"(default: {defaults.max_connection_calls})")
    serve.add_argument("--max-queued-calls", type=int, default=defaults.max_queued_calls, metavar="COUNT",
                       help=f"calls the server may have waiting or running; past it, QuotaExceededError "
                            f"(default: {defaults.max_queued_calls})")
    serve.add_argument("--store", metavar="URL", default=os.environ.get(STORE_ENV),
                       help=f"where sessions, background-task records, uplink registrations and users live: "
                            f"sqlite:///PATH, redis://HOST:PORT/DB or memory (default: ${STORE_ENV}, else "
                            f"sqlite:///APP_DIR/{DEFAULT_DATA_DIR}/state.sqlite3)")
    serve.add_argument("--task-retention", type=float, default=defaults.task_retention, metavar="SECONDS",
                       help=f"seconds a finished background task's record is kept "
                            f"(default: {defaults.task_retention:g}, one day)")
    serve.add_argument("--workers", type=int, default=defaults.workers, metavar="N",
                       help=f"server processes serving the port (default: {defaults.workers}); "
                            f"more than 1 needs a shared store (SQLite or Redis)")
    serve.add_argument("--process-timeout", type=float, default=defaults.process_timeout, metavar="SECONDS",
                       help=f"seconds after its last heartbeat a server process counts as dead to the others sharing "
                            f"the store: its uplinks' functions are no longer offered, and calls waiting on them fail "
                            f"with UplinkDisconnectedError within this plus a third "
                            f"(default: {defaults.process_timeout:g})")
    serve.add_argument("--header-timeout", type=float, default=defaults.header_timeout, metavar="SECONDS",
                       help=f"seconds a client has to send a request's line and headers; then 408 and the connection "
                            f"closes (default: {defaults.header_timeout:g}; 0 for no limit)")
    serve.add_argument("--max-connections", type=int, default=defaults.max_connections, metavar="COUNT",
                       help="connections (sockets and HTTP requests) one server process holds at once; past it, new "
                            f"requests get 503 (default: {defaults.max_connections}; 0 for no limit)")
    serve.add_argument("--max-header-bytes", type=int, default=defaults.max_header_bytes, metavar="BYTES",
                       help=f"largest request line plus headers; bigger ones get 431 "
                            f"(default: {defaults.max_header_bytes})")
    serve.add_argument("--body-timeout", type=float, default=defaults.body_timeout, metavar="SECONDS",
                       help=f"seconds a request body may send nothing before the request is answered 408 "
                            f"(default: {defaults.body_timeout:g}; 0 for no limit)")
    serve.add_argument("--allow-origin", action="append", metavar="ORIGIN",
                       help=f"let pages of ORIGIN (scheme://host[:port]) embed the app; repeatable; also "
                            f"{ALLOW_ORIGINS_ENV} (comma- or space-separated) (default: only the server's own origin)")
    serve.add_argument("--log-level", choices=LOG_LEVELS, default="info",
                       help="what the server logs: uplinks connecting, browser logs, failed calls, requests "
                            "refused (default: info)")
    serve.add_argument("--runtime-dir", help="the built Pyodide distribution to serve (default: the one installed "
                                             "with the package; build/dist in a checkout)")
    add_user_options(serve)
    new = commands.add_parser("new", help="write a small working app into a new folder", description=(
        "Write a three-file app (client_code/shapes.py, server_code/geometry.py, client_code/main.py) into "
        "APP_DIR, which must not exist or be empty; then `anvil-pyodide serve APP_DIR`."))
    new.add_argument("app_dir", metavar="APP_DIR", help="the folder to create")
    return parser


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """The server settings of ``serve``'s arguments (ValueError for an origin that is not one)."""
    return ServerConfig(
        app_dir=Path(args.app_dir).resolve(),
        call_timeout=args.call_timeout or None,
        forward_output=args.forward_output,
        session_idle_timeout=args.session_timeout,
        session_first_use_timeout=args.session_first_use_timeout,
        session_check_interval=args.session_check_interval,
        worker_threads=args.worker_threads,
        max_media_bytes=args.max_media_bytes,
        max_message_depth=args.max_message_depth,
        max_message_objects=args.max_message_objects,
        media_timeout=args.media_timeout or None,
        max_connection_bytes=args.max_connection_bytes,
        max_pending_reply_bytes=args.max_pending_reply_bytes,
        reply_stall_timeout=args.reply_stall_timeout or None,
        session_threads=args.session_threads,
        max_connection_calls=args.max_connection_calls,
        max_queued_calls=args.max_queued_calls,
        uplink_key=args.uplink_key,
        client_uplink_key=args.client_uplink_key,
        uplink_failures_per_minute=args.uplink_failures_per_minute,
        header_timeout=args.header_timeout or None,
        max_header_bytes=args.max_header_bytes,
        max_connections=args.max_connections,
        body_timeout=args.body_timeout or None,
        runtime_dir=Path(args.runtime_dir).resolve() if args.runtime_dir else None,
        store=args.store,
        task_retention=args.task_retention,
        workers=args.workers,
        process_timeout=args.process_timeout,
        origins=OriginPolicy.from_settings(args.allow_origin),
        **user_settings(args),
    )


def check_options(config: ServerConfig) -> str | None:
    """What is wrong with these settings (a message for the command line), or None.

    Example:
        >>> check_options(ServerConfig(app_dir=Path("demo"), store="memory", workers=2)).split(":")[0]
        '--workers 2 cannot use --store memory'
        >>> check_options(ServerConfig(app_dir=Path("demo"), store="mysql://db")) is not None
        True
    """
    if config.workers < 1:
        return f"--workers must be at least 1, not {config.workers}"
    if config.session_check_interval < 0:
        return f"--session-check-interval must be 0 or more seconds, not {config.session_check_interval:g}"
    if config.process_timeout <= 0:
        return f"--process-timeout must be more than 0 seconds, not {config.process_timeout:g}"
    if config.max_connections < 0:
        return f"--max-connections must be 0 (no limit) or more, not {config.max_connections}"
    if config.task_retention <= 0:
        return f"--task-retention must be more than 0 seconds, not {config.task_retention:g}"
    try:
        kind, _ = describe_store_url(config.store) if config.store is not None else ("sqlite", "")
    except StoreUrlError as e:
        return f"--store: {e}"
    if kind == "memory" and config.workers > 1:
        return (f"--workers {config.workers} cannot use --store memory: each process would have its own sessions "
                f"and task records, and a page's calls, spread over the processes, would find its session missing. "
                f"Leave out --store (the default SQLite file is shared by the processes of one machine), or use "
                f"--store sqlite:///PATH, or --store redis://HOST:PORT/DB (also for several machines).")
    return None


def check_store(config: ServerConfig) -> str | None:
    """Open the configured store once (creating the SQLite file): a message if it cannot be used, else None."""
    assert config.app_dir is not None
    store = open_store(config.store or default_store_url(config.app_dir))

    async def probe() -> None:
        try:
            await store.open()
        finally:
            await store.close()
    try:
        asyncio.run(probe())
    except StoreUnavailableError as e:
        return str(e)
    return None


def serve(args: argparse.Namespace, argv: list[str]) -> int:
    import uvicorn

    from .app import create_app
    from .http_protocol import limited_http_protocol
    from .ws_protocol import QuietWebSocketsProtocol

    try:
        config = config_from_args(args)
    except UserOptionError as e:
        print(f"anvil-pyodide: {e}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"anvil-pyodide: {ALLOW_ORIGIN_OPTION} / {ALLOW_ORIGINS_ENV}: {e}", file=sys.stderr)
        return 2
    problem = check_options(config)
    if problem is not None:
        print(f"anvil-pyodide: {problem}", file=sys.stderr)
        return 2
    install_server_api()
    try:
        modules = load_app(config.app_dir)
    except AppLoadError as e:
        print(f"anvil-pyodide: {e}", file=sys.stderr)
        return 1
    problem = check_store(config)
    if problem is not None:
        print(f"anvil-pyodide: {problem}", file=sys.stderr)
        return 1
    print(f"anvil-pyodide: serving {config.app_dir} (server modules: {', '.join(modules) or 'none'})", flush=True)
    print(f"anvil-pyodide: state store {config.store or default_store_url(config.app_dir)}"
          f"{f', {config.workers} worker processes' if config.workers > 1 else ''}", flush=True)
    print(f"anvil-pyodide: open http://{args.host}:{args.port}/", flush=True)
    if config.origins.allowed:
        print(f"anvil-pyodide: pages of {', '.join(config.origins.allowed)} may embed the app", flush=True)
    options: dict[str, Any] = dict(host=args.host, port=args.port, ws_max_size=config.max_message_bytes,
                                   http=limited_http_protocol(config.header_timeout, config.max_header_bytes),
                                   ws=QuietWebSocketsProtocol, log_config=log_config(args.log_level), lifespan="on",
                                   limit_concurrency=connection_limit(config.max_connections))
    if config.workers > 1:  # uvicorn's own multi-process mode: each worker builds the app from the same options
        os.environ[WORKER_ARGS_ENV] = json.dumps(argv)
        options["http"] = "anvil_pyodide.cli:worker_http_protocol"  # by name: a worker cannot unpickle the class
        uvicorn.run("anvil_pyodide.cli:worker_app", factory=True, workers=config.workers, **options)
    else:
        uvicorn.run(create_app(config), **options)
    return 0


def connection_limit(max_connections: int) -> int | None:
    """uvicorn's ``limit_concurrency`` for ``--max-connections``: uvicorn counts the connection asking too, so
    ``max_connections`` connections are served and the next one is answered 503.

    Example:
        >>> connection_limit(3), connection_limit(0)
        (4, None)
    """
    return max_connections + 1 if max_connections else None


def worker_app() -> Any:
    """The app of one ``--workers`` process (uvicorn calls this in each), from the options in the environment."""
    args = build_parser().parse_args(json.loads(os.environ[WORKER_ARGS_ENV]))
    from .app import create_app

    config = config_from_args(args)
    install_server_api()
    load_app(config.app_dir)
    return create_app(config)


def __getattr__(name: str) -> Any:
    """``worker_http_protocol``: the HTTP protocol class with this run's header limits, made in each worker."""
    if name != "worker_http_protocol":
        raise AttributeError(name)
    from .http_protocol import limited_http_protocol

    config = config_from_args(build_parser().parse_args(json.loads(os.environ[WORKER_ARGS_ENV])))
    return limited_http_protocol(config.header_timeout, config.max_header_bytes)


def new(args: argparse.Namespace) -> int:
    try:
        written = write_new_app(Path(args.app_dir))
    except NewAppError as e:
        print(f"anvil-pyodide: {e}", file=sys.stderr)
        return 1
    print(f"anvil-pyodide: wrote {', '.join(written)} into {args.app_dir}", flush=True)
    print(f"anvil-pyodide: serve it with: anvil-pyodide serve {args.app_dir}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args, argv)
    if args.command == "new":
        return new(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
