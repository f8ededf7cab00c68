"""The code that runs inside a background task's own process.

The process imports the app's ``server_code`` (as the server did), finds the task function,
unpacks its arguments and runs it with ``anvil.server.context`` saying where it runs
(``background_task_id``, client and caller type ``"background_task"``), a copy of the launching
call's session (writes stay in the task), ``anvil.server.task_state``, and ``anvil.server.call``
reaching the app's in-process functions. It reports to the server through one pipe, as
``(kind, body)`` pairs: ``("state", packed dict)`` after each task_state change, then exactly one of
``("completed", packed value)`` or ``("failed", error object)``.

Example:
    >>> describe_failure(ValueError("bad"), None)["type"]
    'ValueError'
    >>> describe_failure(SystemExit(2), None)["message"]
    'The server function stopped with SystemExit: 2'
"""

from __future__ import annotations

import asyncio
import inspect
import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any

from anvil._errors import NoServerFunctionError, SerializationError, error_to_wire

from .. import server_api
from ..app_loader import load_app
from ..calls.context import CallContext, CallState, ClientInfo, StackFrame, current_call
from ..calls.dispatcher import Dispatcher, terminated
from ..calls.registry import default_registry
from ..calls.tracebacks import app_trace
from ..config import ServerConfig
from ..sessions.store import Session
from .packing import Packed, pack, unpack
from .registry import default_task_registry
from .state import TaskStateDict, task_state


class Reporter:
    """Sends ``(kind, body)`` to the server; safe from several threads of the task."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.lock = threading.Lock()

    def send(self, kind: str, body: Any) -> None:
        with self.lock:
            self.connection.send((kind, body))


def describe_failure(exc: BaseException, app_dir: Path | None) -> dict[str, Any]:
    """The error object the server re-raises: the task's own exception type, with its trace."""
    if not isinstance(exc, Exception):
        exc = terminated(exc)
    return error_to_wire(exc, app_trace(exc, app_dir))


def run_task(app_dir: str, task_id: str, name: str, call: Packed, session: Packed, connection: Any) -> None:
    """The process's entry point: run task ``name`` and report to ``connection``."""
    root = Path(app_dir)
    reporter = Reporter(connection)
    end_with_the_server()
    try:
        server_api.install()
        load_app(root)
        function = default_task_registry.lookup(name)
        if function is None:
            raise NoServerFunctionError(f'No background task matching "{name}" has been registered')
        args, kwargs = unpack(call)
        task_state.current = TaskStateDict(lambda state: reporter.send("state", pack(state)))
        current_call.set(_call_state(root, task_id, unpack(session) or {}))
        value = function.fn(*args, **kwargs)
        if inspect.isawaitable(value):
            value = asyncio.run(_awaited(value))
        try:
            result = pack(value)
        except Exception as e:  # noqa: BLE001 - reported as the task's error
            raise SerializationError(f"The background task's return value could not be sent: {e}") from e
    except BaseException as e:  # noqa: BLE001 - every ending is reported
        reporter.send("failed", describe_failure(e, root))
        return
    reporter.send("completed", result)


def end_with_the_server() -> None:
    """Exit as soon as the server process is gone. A server stopped normally ends its (daemonic) task processes
    itself; one killed with ``kill -9`` cannot, and its tasks would run on with nobody to report to."""
    server = multiprocessing.parent_process()
    if server is None:  # not started by a server (a test calling run_task directly)
        return

    def exit_when_the_server_exits() -> None:
        server.join()  # returns once the server's end of the pipe closes: the server has exited
        os._exit(1)

    threading.Thread(target=exit_when_the_server_exits, name="anvil-task-server-watch", daemon=True).start()


async def _awaited(value: Any) -> Any:
    return await value


def _call_state(app_dir: Path, task_id: str, session_data: dict[str, Any]) -> CallState:
    """The call state the task runs in, with a private event loop for ``anvil.server.call``."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="anvil-task-loop", daemon=True).start()
    dispatcher = Dispatcher(default_registry, ServerConfig(app_dir=app_dir, call_timeout=None, worker_threads=8))
    context = CallContext(client=ClientInfo("background_task"), remote_caller=StackFrame("background_task", True),
                          background_task_id=task_id)
    session = Session.detached(session_data, token=f"task-{task_id}")
    return CallState(session=session, context=context, dispatcher=dispatcher, loop=loop)
