"""``calls/deadline.within``: the call timeout of in-process calls, with ``asyncio.timeout``'s rules — a value or
an error passes through, the time running out cancels the work and raises TimeoutError and leaves the task
as it was, a cancellation from elsewhere stays a cancellation, and an outer timeout is not taken for ours.
No durations are asserted: the work either never finishes by itself or finishes at once."""

from __future__ import annotations

import asyncio

import pytest

from anvil_pyodide.calls.deadline import within

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

NEVER = 3600  # seconds: a timeout that does not run out during a test


async def test_a_value_and_an_error_pass_through() -> None:
    loop = asyncio.get_running_loop()
    assert await within(NEVER, asyncio.sleep(0, "value"), loop) == "value"

    async def fails() -> None:
        raise KeyError("its own")
    with pytest.raises(KeyError):
        await within(NEVER, fails(), loop)
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_the_time_running_out_cancels_the_work_and_raises_timeout_error() -> None:
    loop = asyncio.get_running_loop()
    cancelled = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
    with pytest.raises(TimeoutError):
        await within(0.01, forever(), loop)
    assert cancelled.is_set()
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
    assert await asyncio.sleep(0, "still usable") == "still usable"  # no cancellation left pending


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    loop = asyncio.get_running_loop()
    started = asyncio.Event()

    async def waits() -> None:
        started.set()
        await asyncio.Event().wait()
    task = asyncio.create_task(within(NEVER, waits(), loop))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_outer_timeout_is_not_taken_for_ours() -> None:
    loop = asyncio.get_running_loop()
    with pytest.raises(TimeoutError) as raised:
        async with asyncio.timeout(0.01) as outer:
            await within(NEVER, asyncio.Event().wait(), loop)
    assert outer.expired()
    assert isinstance(raised.value.__cause__, asyncio.CancelledError)
