"""Runs server functions by name: in-process ones on a thread pool or the event loop, others on uplinks.

Example:
    >>> import asyncio
    >>> from anvil_pyodide.calls.registry import FunctionRegistry
    >>> from anvil_pyodide.config import ServerConfig
    >>> from anvil_pyodide.calls.context import CallState, CallContext, ClientInfo, StackFrame
    >>> from anvil_pyodide.sessions.store import Session
    >>> registry = FunctionRegistry()
    >>> _ = registry.register("double", lambda x: 2 * x)
    >>> dispatcher = Dispatcher(registry, ServerConfig())
    >>> state = CallState(Session.detached(), CallContext(ClientInfo("browser"), StackFrame("browser", False)))
    >>> asyncio.run(dispatcher.invoke("double", [21], {}, state))
    42
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from typing import Any, Protocol

import anvil.server
from anvil._user_errors import not_logged_in

from ..config import ServerConfig
from .context import CallState, current_call
from .deadline import within
from .registry import FunctionRegistry, ServerFunction
from .session_lanes import SessionLanes
from .worker_pool import WorkerPool
from .start_gate import before_start


class RemoteFunctions(Protocol):
    """Functions served elsewhere (the uplinks): ``find`` a handler for a name, then ``call`` it."""

    def serves(self, command: str) -> bool: ...

    async def call(self, command: str, args: list[Any], kwargs: dict[str, Any], state: CallState) -> Any: ...


def no_function_error(command: str) -> anvil.server.NoServerFunctionError:
    return anvil.server.NoServerFunctionError(f'No server function matching "{command}" has been registered')


class Dispatcher:
    """Looks up and runs server functions; one slow function never stalls the others."""

    def __init__(self, registry: FunctionRegistry, config: ServerConfig, remote: RemoteFunctions | None = None,
                 tasks: Any = None, users: Any = None) -> None:
        self.registry = registry
        self.config = config
        self.remote = remote
        #: The background-task service (``anvil.server.launch_background_task`` and friends), if any.
        self.tasks = tasks
        #: The users service (``anvil.users``; checks ``require_user``); None: nobody is ever logged in.
        self.users = users
        self.pool = WorkerPool(config.worker_threads, "anvil-call")
        #: One session's calls use at most ``session_threads`` of the workers; the rest wait their turn.
        self.lanes = SessionLanes(self.pool, config.session_threads_or_default)
        #: Synchronous functions that have used their call's session data: it is read before they start.
        self.session_readers: set[str] = set()

    def serves(self, command: str) -> bool:
        return self.registry.lookup(command) is not None or (self.remote is not None and self.remote.serves(command))

    async def invoke(self, command: str, args: list[Any], kwargs: dict[str, Any], state: CallState) -> Any:
        """Run ``command`` for the call ``state``; returns its value or raises its exception."""
        state.dispatcher, state.loop = self, state.loop or asyncio.get_running_loop()
        local = self.registry.lookup(command)
        if local is not None:
            work = self._run_local(local, args, kwargs, state)
        elif self.remote is not None:  # it says NoServerFunctionError itself (it may look in other processes)
            await state.session.load()  # the session goes along to the uplink
            work = self.remote.call(command, args, kwargs, state)  # (held, like others, until it is sent)
        else:
            raise no_function_error(command)
        return await self._timed(work, command, state)

    async def run_function(self, function: ServerFunction, args: list[Any], kwargs: dict[str, Any],
                           state: CallState) -> Any:
        """Run an in-process function that is not looked up by name (an HTTP endpoint, a route), with the
        same threads, context and timeout as a named call."""
        state.dispatcher, state.loop = self, state.loop or asyncio.get_running_loop()
        return await self._timed(self._run_local(function, args, kwargs, state), function.name, state)

    async def _timed(self, work: Any, command: str, state: CallState) -> Any:
        """Await ``work`` in the caller's own task (no task of its own: :func:`~.deadline.within` cancels what
        it awaits when the call timeout passes)."""
        if self.config.call_timeout is None:
            return await work
        try:
            return await within(self.config.call_timeout, work, state.loop)
        except TimeoutError:
            state.timed_out = True  # if it has not started yet, it never will
            raise anvil.server.TimeoutError(
                f"Server code took too long (more than {self.config.call_timeout:g} s) in {command!r}") from None

    async def _run_local(self, function: ServerFunction, args: list[Any], kwargs: dict[str, Any],
                         state: CallState) -> Any:
        if function.require_user:
            if self.users is None:
                raise not_logged_in()
            await self.users.check_require_user(function.require_user, function.name, state.session,
                                                functools.partial(self._run_predicate, state))
        if function.is_async:
            await state.session.load()  # it runs on the loop, where anvil.server.session cannot wait for the store
            await before_start(state)  # (a synchronous function has this check in its session's lane)
            return await _run_async_in_call(function.fn, args, kwargs, state)
        context = contextvars.copy_context()
        context.run(current_call.set, state)
        session = state.session
        if function.name in self.session_readers:
            await session.load()  # read on the loop now rather than from the worker thread on first use
        pending = not session.loaded
        try:
            return await self.lanes.run(session.token, functools.partial(context.run, _contained, function.fn,
                                                                         *args, **kwargs), state.given_up,
                                        state.reply_budget, state.loop)
        finally:
            if pending and session.loaded:
                self.session_readers.add(function.name)

    def _run_predicate(self, state: CallState, predicate: Any, user: Any) -> Any:
        """Run a ``require_user`` predicate (app code) on a worker thread, in the call's context."""
        context = contextvars.copy_context()
        context.run(current_call.set, state)
        return self.pool.run(context.run, predicate, user, loop=state.loop)

    def close(self) -> None:
        self.pool.close()


async def _run_async_in_call(fn: Any, args: list[Any], kwargs: dict[str, Any], state: CallState) -> Any:
    """Run an ``async def`` server function in the current task (every transport runs a call in a task of its
    own; no second task, no thread) with ``current_call`` set to ``state`` while it runs."""
    token = current_call.set(state)
    try:
        return await _contained_async(fn(*args, **kwargs))
    finally:
        current_call.reset(token)


def terminated(exc: BaseException) -> anvil.server.ExecutionTerminatedError:
    """What the caller gets when server code stops with a BaseException (``sys.exit()``, KeyboardInterrupt).

    Such an exception must not escape into the server: on the event loop it would stop the whole server.

    Example:
        >>> str(terminated(SystemExit(3)))
        'The server function stopped with SystemExit: 3'
    """
    detail = f": {exc}" if str(exc) else ""
    return anvil.server.ExecutionTerminatedError(f"The server function stopped with {type(exc).__name__}{detail}")


def _contained(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a synchronous server function (in a worker thread); any BaseException becomes ExecutionTerminatedError."""
    try:
        return fn(*args, **kwargs)
    except Exception:
        raise
    except BaseException as e:
        raise terminated(e).with_traceback(e.__traceback__) from None


async def _contained_async(work: Any) -> Any:
    """Await an async server function; sys.exit() and KeyboardInterrupt become ExecutionTerminatedError.

    (CancelledError still propagates: the call timeout cancels the task.)
    """
    try:
        return await work
    except (SystemExit, KeyboardInterrupt) as e:
        raise terminated(e).with_traceback(e.__traceback__) from None
