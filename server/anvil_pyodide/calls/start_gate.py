"""The last check before a call starts, the same for every kind of call: a synchronous function (on a worker
thread), an ``async def`` function (on the event loop), a function served by an uplink (of this process or
another).

While the caller's connection has more replies waiting to be sent than its budget
(``--max-pending-reply-bytes``), a call that has not started waits (:func:`until_room`); a call whose caller
has given up by then (timed out, disconnected) is not started at all (:func:`refuse_if_given_up` raises
:class:`CallerGone`). :func:`start_counts` says how many calls wait now and how many were never started (for
diagnostics and tests).

Example:
    >>> import asyncio
    >>> from anvil_pyodide.calls.reply_budget import ReplyBudget
    >>> async def demo():
    ...     budget = ReplyBudget(max_bytes=100, stall_timeout=None)
    ...     budget.add(150)                                  # a reply the caller has not read yet
    ...     held = asyncio.create_task(until_room(budget))
    ...     await asyncio.sleep(0)
    ...     waiting = start_counts()[0]
    ...     budget.remove(150)                               # ... and now it has
    ...     await held
    ...     return waiting, start_counts()[0]
    >>> asyncio.run(demo())
    (1, 0)
    >>> refuse_if_given_up(lambda: True)
    Traceback (most recent call last):
    ...
    anvil_pyodide.calls.start_gate.CallerGone: The caller gave up before the call started
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from .reply_budget import ReplyBudget

_lock = threading.Lock()
_held = 0
_never_started = 0


class CallerGone(Exception):
    """The call's caller timed out or disconnected before the call started: it was not started."""


async def until_room(budget: ReplyBudget | None) -> None:
    """Return once ``budget``'s connection is under its budget (or closed); call from the event loop."""
    global _held
    if budget is None or not budget.over:
        return
    with _lock:
        _held += 1
    try:
        while budget.over and not budget.closed:  # woken with others: one of them may have filled it again
            await budget.room()
    finally:
        with _lock:
            _held -= 1


def refuse_if_given_up(given_up: Callable[[], bool]) -> None:
    """Raise :class:`CallerGone` when nobody waits for the call's answer any more (from any thread)."""
    global _never_started
    if given_up():
        with _lock:
            _never_started += 1
        raise CallerGone("The caller gave up before the call started")


async def before_start(state: Any) -> None:
    """Right before the call ``state`` (a :class:`~.context.CallState`) starts: wait while its caller's
    replies are over their budget, then refuse it if its caller has given up."""
    await until_room(state.reply_budget)
    refuse_if_given_up(state.given_up)


def start_counts() -> tuple[int, int]:
    """``(waiting, never_started)``: calls waiting for room now, and calls not started since the server
    started because their caller had given up."""
    return _held, _never_started
