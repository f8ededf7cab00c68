"""anvil_labs.non_blocking on the Skulpt runtime: the same API as on Pyodide (client/anvil_labs/non_blocking.py).

- ``call_async(fn_or_name, *args, **kws)`` starts at once and returns an ``AsyncCall``: a name calls that server
  function silently (no spinner; the CALL is sent at once, so calls reach the server in program order); a
  callable runs as a task of its own.
- ``AsyncCall``: ``status``, ``result``, ``error``, ``on_result``, ``on_error``, ``await_result()``;
  ``wait_for(async_call)``.
- ``defer(fn, delay)`` -> ``DeferRef``; ``repeat(fn, interval)`` -> ``RepeatRef``; ``ref.cancel()`` or ``cancel(ref)``.

Handlers and timer callbacks run as tasks of their own and may block on server calls; an exception they raise,
and a failed call nobody handles, goes to ``anvil.set_default_error_handling`` (or the console).

Example (in the Skulpt runtime):
    >>> call = call_async("add", 1, 2).on_result(print)
    >>> wait_for(call)
    3
"""

import time

import _anvil_skulpt
import anvil.server
from anvil._error_hook import report_error

PENDING, FULFILLED, REJECTED = "PENDING", "FULFILLED", "REJECTED"
_window = _anvil_skulpt.global_this


def _check_callable(value, what):
    if not callable(value):
        raise TypeError(what + " must be callable, not " + type(value).__name__)


def _run_reporting(fn, args, what):
    """Run ``fn(*args)`` as a task of its own; an exception it raises is reported."""
    def run():
        try:
            fn(*args)
        except Exception as e:
            report_error(e, "Error in " + what + ":")
    _anvil_skulpt.spawn(run, [])


def _function_outcome(outcome):
    if outcome[0] == "error":
        raise outcome[1]
    return outcome[1]


class AsyncCall:
    """The outcome of ``call_async``. Don't create one directly."""

    def __init__(self, pending, read_outcome):
        self._pending = pending
        self._read_outcome = read_outcome
        self._status = PENDING
        self._result = None
        self._error = None
        self._result_handlers = []
        self._error_handlers = []
        self._error_seen = False
        _anvil_skulpt.spawn(self._settle, [])

    def _settle(self):
        outcome = _anvil_skulpt.await_promise(self._pending)
        self._finish(outcome)
        time.sleep(0)  # a turn of the page's event loop: code waiting on this call sees its error first
        if self._status == REJECTED and not self._error_handlers and not self._error_seen:
            self._error_seen = True
            report_error(self._error, "Unhandled error in an AsyncCall (add .on_error(handler) to handle it):")

    def _finish(self, outcome):
        if self._status != PENDING:
            return
        try:
            self._result = self._read_outcome(outcome)
            self._status = FULFILLED
        except Exception as e:
            self._error = e
            self._status = REJECTED
        if self._status == FULFILLED:
            for handler in self._result_handlers:
                _run_reporting(handler, (self._result,), "an AsyncCall result handler")
        else:
            for handler in self._error_handlers:
                _run_reporting(handler, (self._error,), "an AsyncCall error handler")

    @property
    def status(self):
        """``"PENDING"``, ``"FULFILLED"`` or ``"REJECTED"``."""
        return self._status

    @property
    def result(self):
        """The result; RuntimeError while pending; raises the error if the call failed."""
        if self._status == PENDING:
            raise RuntimeError("The AsyncCall is still pending: its result is not available yet")
        self._error_seen = True
        if self._status == REJECTED:
            raise self._error
        return self._result

    @property
    def error(self):
        """The exception the call raised, or None; RuntimeError while pending."""
        if self._status == PENDING:
            raise RuntimeError("The AsyncCall is still pending: its error is not available yet")
        self._error_seen = True
        return self._error

    def on_result(self, result_handler, error_handler=None):
        """Run ``result_handler(result)`` once it succeeds (and ``error_handler(error)`` if it fails)."""
        _check_callable(result_handler, "result_handler")
        if error_handler is not None:
            self.on_error(error_handler)
        self._result_handlers.append(result_handler)
        if self._status == FULFILLED:
            _run_reporting(result_handler, (self._result,), "an AsyncCall result handler")
        return self

    def on_error(self, error_handler):
        """Run ``error_handler(error)`` if it fails (also when it already has)."""
        _check_callable(error_handler, "error_handler")
        self._error_seen = True
        self._error_handlers.append(error_handler)
        if self._status == REJECTED:
            _run_reporting(error_handler, (self._error,), "an AsyncCall error handler")
        return self

    def await_result(self):
        """Wait until done (the page keeps running); return the result or raise the error."""
        if self._status == PENDING:
            self._finish(_anvil_skulpt.await_promise(self._pending))
        return self.result

    def __repr__(self):
        return "<AsyncCall " + self._status + ">"


def call_async(fn_or_name, *args, **kws):
    """Start a silent server call (a name) or run a callable without blocking; returns an AsyncCall."""
    if isinstance(fn_or_name, str):
        call_id, pending = anvil.server.start_call(fn_or_name, args, kws, True)
        return AsyncCall(pending, lambda outcome: anvil.server.result_of(call_id, outcome))
    _check_callable(fn_or_name, "call_async's first argument (a server function name or a callable)")
    return AsyncCall(_anvil_skulpt.spawn(lambda: fn_or_name(*args, **kws), []), _function_outcome)


def wait_for(async_call):
    """Wait until ``async_call`` is done; return its result or raise its error."""
    if not isinstance(async_call, AsyncCall):
        raise TypeError("wait_for expects an AsyncCall, not " + type(async_call).__name__)
    return async_call.await_result()


def _check_seconds(value, what, allow_zero):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(what + " must be a number of seconds, not " + type(value).__name__)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(what + " must be " + (">= 0" if allow_zero else "> 0") + " seconds, not " + repr(value))
    return float(value)


class DeferRef:
    """A pending ``defer``; ``cancel()`` stops it from running (harmless after it ran or twice)."""

    def __init__(self, fn, delay):
        self._cancelled = False
        self._fn = fn
        self._handle = _window.setTimeout(self._fire, int(delay * 1000))

    def _fire(self):
        if not self._cancelled:
            _run_reporting(self._fn, (), "a deferred function")

    def cancel(self):
        self._cancelled = True
        _window.clearTimeout(self._handle)

    def __repr__(self):
        return "<DeferRef " + ("cancelled" if self._cancelled else "active") + ">"


class RepeatRef:
    """A running ``repeat``; ``cancel()`` stops future runs (harmless twice)."""

    def __init__(self, fn, interval):
        self._fn = fn
        self._cancelled = False
        self._handle = _window.setInterval(self._tick, int(interval * 1000))

    def _tick(self):
        if not self._cancelled:
            _run_reporting(self._fn, (), "a repeated function")

    def cancel(self):
        self._cancelled = True
        _window.clearInterval(self._handle)

    def __repr__(self):
        return "<RepeatRef " + ("cancelled" if self._cancelled else "active") + ">"


def defer(fn, delay):
    """Run ``fn()`` once, ``delay`` seconds from now, without blocking."""
    _check_callable(fn, "fn")
    return DeferRef(fn, _check_seconds(delay, "delay", True))


def repeat(fn, interval):
    """Run ``fn()`` every ``interval`` seconds (first after one interval) until cancelled; errors are reported."""
    _check_callable(fn, "fn")
    return RepeatRef(fn, _check_seconds(interval, "interval", False))


def cancel(ref):
    """``ref.cancel()``; None is a no-op (a placeholder ref)."""
    if ref is None:
        return
    if not isinstance(ref, (DeferRef, RepeatRef)):
        raise TypeError("cancel expects a DeferRef, a RepeatRef or None, not " + type(ref).__name__)
    ref.cancel()
