"""Awaiting something for at most so many seconds, as ``asyncio.timeout`` does (the same cancellation rules:
the awaited work is cancelled, and the caller gets ``TimeoutError`` unless the task was also cancelled from
elsewhere), but with the loop passed in: ``asyncio.timeout`` asks for the running loop three times, and on
Python 3.11 each time is a ``getpid`` system call. The call timeout of every in-process call uses it.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     loop = asyncio.get_running_loop()
    ...     fast = await within(1, asyncio.sleep(0, "done"), loop)
    ...     try:
    ...         await within(0.01, asyncio.sleep(10), loop)
    ...     except TimeoutError:
    ...         return fast, "timed out"
    >>> asyncio.run(demo())
    ('done', 'timed out')
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, TypeVar

__all__ = ["within"]

T = TypeVar("T")


class _Expiry:
    """The timer's callback: cancels the task and remembers that it did."""

    __slots__ = ("task", "fired")

    def __init__(self, task: "asyncio.Task[Any]") -> None:
        self.task, self.fired = task, False

    def __call__(self) -> None:
        self.fired = True
        self.task.cancel()


async def within(seconds: float, work: Awaitable[T], loop: asyncio.AbstractEventLoop) -> T:
    """``await work`` in the current task of ``loop`` (the running one); after ``seconds`` it is cancelled and
    TimeoutError raised instead — or CancelledError, if the task was cancelled from elsewhere as well."""
    task = asyncio.current_task(loop)
    if task is None:
        raise RuntimeError("within() must be awaited in a task")
    cancelling = task.cancelling()
    expiry = _Expiry(task)
    timer = loop.call_at(loop.time() + seconds, expiry)
    try:
        result = await work
    except asyncio.CancelledError as e:
        if expiry.fired and task.uncancel() <= cancelling:  # only our own cancellation: it is a timeout
            raise TimeoutError from e
        raise
    except BaseException:
        if expiry.fired:  # it ended otherwise just as the time ran out: our cancellation is withdrawn
            task.uncancel()
        raise
    finally:
        timer.cancel()
    if expiry.fired:
        task.uncancel()
    return result
