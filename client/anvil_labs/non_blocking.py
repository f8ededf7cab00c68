"""anvil_labs.non_blocking: server calls and functions that do not block the caller, and timers.

- ``call_async(fn_or_name, *args, **kws)`` starts at once and returns an :class:`AsyncCall`: a name
  calls that server function silently (no spinner); a callable runs on its own.
- ``AsyncCall``: ``status``, ``result``, ``error``, ``on_result``, ``on_error``, ``await_result()``,
  and ``await async_call`` from async code; ``wait_for(async_call)``.
- ``defer(fn, delay)`` → :class:`DeferRef`; ``repeat(fn, interval)`` → :class:`RepeatRef`;
  ``ref.cancel()`` or ``cancel(ref)``.

Handlers and timer callbacks run as their own tasks, entered so that a blocking
``anvil.server.call`` works inside them; an exception they raise goes to
``anvil.set_default_error_handling`` (or the console), and a failed call nobody handles is reported.

Example:
    >>> async def demo():
    ...     seen = []
    ...     call = call_async(lambda x: x * 2, 21).on_result(seen.append)
    ...     await call
    ...     await asyncio.sleep(0)
    ...     return call.status, seen
    >>> asyncio.run(demo())
    ('FULFILLED', [42])
"""

from __future__ import annotations

import asyncio
import inspect
import numbers
from typing import Any, Callable

from anvil._error_hook import report_error

__all__ = ["AsyncCall", "DeferRef", "RepeatRef", "call_async", "cancel", "defer", "repeat", "wait_for"]

PENDING, FULFILLED, REJECTED = "PENDING", "FULFILLED", "REJECTED"


def _loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop()


async def _run_reporting(fn: Callable[..., Any], args: tuple[Any, ...], what: str,
                         wanted: Callable[[], bool] | None = None) -> None:
    if wanted is not None and not wanted():
        return  # cancelled after its timer fired but before this task ran
    try:
        outcome = fn(*args)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception as e:  # noqa: BLE001 - reported, never swallowed
        report_error(e, f"Exception in {what}:")


def _spawn(fn: Callable[..., Any], args: tuple[Any, ...], what: str,
           wanted: Callable[[], bool] | None = None) -> None:
    """Run ``fn(*args)`` as its own task (so blocking calls work inside), reporting what it raises; the task
    skips ``fn`` when ``wanted()`` has turned false by the time it runs."""
    _loop().create_task(_run_reporting(fn, args, what, wanted))


def _check_callable(value: Any, what: str) -> None:
    if not callable(value):
        raise TypeError(f"{what} must be callable, not {type(value).__name__}")


class AsyncCall:
    """The outcome of ``call_async``. Don't create one directly."""

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self._future = future
        self._result_handlers: list[Callable[[Any], Any]] = []
        self._error_handlers: list[Callable[[BaseException], Any]] = []
        self._error_seen = False
        future.add_done_callback(self._settled)

    @property
    def status(self) -> str:
        """``"PENDING"``, ``"FULFILLED"`` or ``"REJECTED"``."""
        if not self._future.done():
            return PENDING
        return REJECTED if self._future.exception() is not None else FULFILLED

    @property
    def result(self) -> Any:
        """The result; RuntimeError while pending; raises the error if the call failed."""
        if not self._future.done():
            raise RuntimeError("The AsyncCall is still pending: its result is not available yet")
        self._error_seen = True
        return self._future.result()

    @property
    def error(self) -> BaseException | None:
        """The exception the call raised, or None; RuntimeError while pending."""
        if not self._future.done():
            raise RuntimeError("The AsyncCall is still pending: its error is not available yet")
        self._error_seen = True
        return self._future.exception()

    def on_result(self, result_handler: Callable[[Any], Any],
                  error_handler: Callable[[BaseException], Any] | None = None) -> "AsyncCall":
        """Run ``result_handler(result)`` once it succeeds (and ``error_handler(error)`` if it fails)."""
        _check_callable(result_handler, "result_handler")
        if error_handler is not None:
            self.on_error(error_handler)
        self._result_handlers.append(result_handler)
        if self._future.done() and self._future.exception() is None:
            _spawn(result_handler, (self._future.result(),), "an AsyncCall result handler")
        return self

    def on_error(self, error_handler: Callable[[BaseException], Any]) -> "AsyncCall":
        """Run ``error_handler(error)`` if it fails (also when it already has)."""
        _check_callable(error_handler, "error_handler")
        self._error_seen = True
        self._error_handlers.append(error_handler)
        if self._future.done() and self._future.exception() is not None:
            _spawn(error_handler, (self._future.exception(),), "an AsyncCall error handler")
        return self

    def await_result(self) -> Any:
        """Block until done; return the result or raise the error."""
        if not self._future.done():
            from pyodide.ffi import can_run_sync, run_sync

            if not can_run_sync():
                raise RuntimeError("await_result() needs a stack that can suspend: call it from the main module, "
                                   "an anvil.js.event_handler, or a handler/timer callback (or 'await' the AsyncCall)")
            run_sync(asyncio.wait([self._future]))
        return self.result

    def __await__(self) -> Any:
        self._error_seen = True
        return self._future.__await__()

    def _settled(self, future: asyncio.Future[Any]) -> None:
        error = future.exception() if not future.cancelled() else asyncio.CancelledError()
        if error is None:
            for handler in self._result_handlers:
                _spawn(handler, (future.result(),), "an AsyncCall result handler")
            return
        for handler in self._error_handlers:
            _spawn(handler, (error,), "an AsyncCall error handler")
        if not self._error_handlers:
            _loop().call_soon(self._report_if_unhandled, error)

    def _report_if_unhandled(self, error: BaseException) -> None:
        if not self._error_seen:
            self._error_seen = True
            report_error(error, "Unhandled error in an AsyncCall (add .on_error(handler) to handle it):")

    def __repr__(self) -> str:
        return f"<AsyncCall {self.status}>"


def call_async(fn_or_name: Any, *args: Any, **kws: Any) -> AsyncCall:
    """Start a silent server call (a name) or run a callable without blocking; returns an AsyncCall."""
    if isinstance(fn_or_name, str):
        from anvil._browser.calls import start_call

        try:
            work = start_call(fn_or_name, args, kws, silent=True)  # sent now: calls go out in program order
        except Exception as e:  # not sendable (an argument that cannot be serialized): the AsyncCall fails
            work = _failed(e)
    elif callable(fn_or_name):
        work = _call_function(fn_or_name, args, kws)
    else:
        raise TypeError(f"call_async expects a server function name or a callable, not {type(fn_or_name).__name__}")
    return AsyncCall(_loop().create_task(work))


async def _failed(error: Exception) -> Any:
    raise error


async def _call_function(fn: Callable[..., Any], args: tuple[Any, ...], kws: dict[str, Any]) -> Any:
    outcome = fn(*args, **kws)
    return await outcome if inspect.isawaitable(outcome) else outcome


def wait_for(async_call: AsyncCall) -> Any:
    """Block until ``async_call`` is done; return its result or raise its error."""
    if not isinstance(async_call, AsyncCall):
        raise TypeError(f"wait_for expects an AsyncCall, not {type(async_call).__name__}")
    return async_call.await_result()


def _check_seconds(value: Any, what: str, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number of seconds, not {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{what} must be {'>= 0' if allow_zero else '> 0'} seconds, not {value!r}")
    return float(value)


class DeferRef:
    """A pending ``defer``; ``cancel()`` stops it from running (harmless after it ran or twice)."""

    def __init__(self, fn: Callable[[], Any], delay: float) -> None:
        self._cancelled = False
        self._handle = _loop().call_later(delay, _spawn, fn, (), "a deferred function", self._wanted)

    def _wanted(self) -> bool:
        return not self._cancelled

    def cancel(self) -> None:
        self._cancelled = True
        self._handle.cancel()

    def __repr__(self) -> str:
        return f"<DeferRef {'cancelled' if self._cancelled else 'active'}>"


class RepeatRef:
    """A running ``repeat``; ``cancel()`` stops future runs (harmless twice)."""

    def __init__(self, fn: Callable[[], Any], interval: float) -> None:
        self._fn = fn
        self._interval = interval
        self._cancelled = False
        self._next_at = _loop().time() + interval
        self._handle = _loop().call_at(self._next_at, self._tick)

    def _tick(self) -> None:
        if self._cancelled:
            return
        self._next_at = max(self._next_at + self._interval, _loop().time())
        self._handle = _loop().call_at(self._next_at, self._tick)
        _spawn(self._fn, (), "a repeated function", lambda: not self._cancelled)

    def cancel(self) -> None:
        self._cancelled = True
        self._handle.cancel()

    def __repr__(self) -> str:
        return f"<RepeatRef {'cancelled' if self._cancelled else 'active'}>"


def defer(fn: Callable[[], Any], delay: float) -> DeferRef:
    """Run ``fn()`` once, ``delay`` seconds from now, without blocking."""
    _check_callable(fn, "fn")
    return DeferRef(fn, _check_seconds(delay, "delay", allow_zero=True))


def repeat(fn: Callable[[], Any], interval: float) -> RepeatRef:
    """Run ``fn()`` every ``interval`` seconds (first after one interval) until cancelled; errors are reported."""
    _check_callable(fn, "fn")
    return RepeatRef(fn, _check_seconds(interval, "interval", allow_zero=False))


def cancel(ref: DeferRef | RepeatRef | None) -> None:
    """``ref.cancel()``; None is a no-op (a placeholder ref)."""
    if ref is None:
        return
    if not isinstance(ref, (DeferRef, RepeatRef)):
        raise TypeError(f"cancel expects a DeferRef, a RepeatRef or None, not {type(ref).__name__}")
    ref.cancel()
