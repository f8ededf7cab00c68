"""Waiting for an event a test can only observe by asking (a server-side counter, a log line, a task's state).

The one place tests poll: each helper asks again until the answer is what the test waits for, with a generous
timeout (the machine may be loaded) that fails the test instead of hanging it. Nothing here measures time.

Example:
    >>> wait_until(lambda: 42, "the answer")
    42
    >>> asyncio.run(until(lambda: True, "something true"))
    True
"""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable, TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.05
DEFAULT_TIMEOUT = 60.0


def wait_until(predicate: Callable[[], T], what: str, timeout: float = DEFAULT_TIMEOUT) -> T:
    """Call ``predicate`` until it returns something true, and return that; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what} (last answer: {value!r})")
        time.sleep(POLL_SECONDS)
    return value


async def until(predicate: Callable[[], T | Awaitable[T]], what: str, timeout: float = DEFAULT_TIMEOUT) -> T:
    """The same for asyncio code; ``predicate`` may be a coroutine function."""
    async def poll() -> T:
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value  # type: ignore[return-value]
            await asyncio.sleep(POLL_SECONDS)
    try:
        return await asyncio.wait_for(poll(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"gave up after {timeout} s waiting for {what}") from None
