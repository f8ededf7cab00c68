"""anvil_labs.non_blocking's rules (README, "anvil_labs.non_blocking") on CPython's asyncio; the browser
tests repeat the timing- and JSPI-dependent ones in Chromium."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import anvil
from anvil_labs import non_blocking as nb


@pytest.fixture
def reported() -> Any:
    seen: list[BaseException] = []
    anvil.set_default_error_handling(seen.append)
    yield seen
    anvil.set_default_error_handling(None)


async def settle(rounds: int = 5) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


def test_status_result_and_error_transitions() -> None:
    async def scenario() -> list[Any]:
        gate = asyncio.Event()

        async def work() -> str:
            await gate.wait()
            return "done"

        call = nb.call_async(work)
        states = [call.status]
        with pytest.raises(RuntimeError, match="still pending"):
            call.result
        with pytest.raises(RuntimeError, match="still pending"):
            call.error
        gate.set()
        await call
        return states + [call.status, call.result, call.error]

    assert asyncio.run(scenario()) == ["PENDING", "FULFILLED", "done", None]


def test_rejected_call_reraises_from_result(reported: list[BaseException]) -> None:
    async def scenario() -> nb.AsyncCall:
        call = nb.call_async(lambda: 1 / 0)
        await settle()
        return call

    call = asyncio.run(scenario())
    assert call.status == "REJECTED" and isinstance(call.error, ZeroDivisionError)
    with pytest.raises(ZeroDivisionError):
        call.result


def test_handlers_run_in_order_never_synchronously_and_also_after_completion() -> None:
    async def scenario() -> list[Any]:
        order: list[Any] = []
        call = nb.call_async(lambda: "value")
        assert call.on_result(lambda r: order.append(("first", r))) is call
        call.on_result(lambda r: order.append(("second", r)))
        await call
        await settle()
        late = call.on_result(lambda r: order.append(("late", r)))
        order.append("attached late")  # the late handler has not run yet: never synchronous
        await settle()
        assert late is call
        return order

    assert asyncio.run(scenario()) == [("first", "value"), ("second", "value"), "attached late", ("late", "value")]


def test_error_handlers_and_on_result_with_error_handler() -> None:
    async def scenario() -> list[Any]:
        seen: list[Any] = []
        call = nb.call_async(lambda: int("x"))
        call.on_result(lambda r: seen.append("result"), lambda e: seen.append(type(e).__name__))
        call.on_error(lambda e: seen.append("on_error"))
        await settle()
        call.on_error(lambda e: seen.append("late"))
        await settle()
        return seen

    assert asyncio.run(scenario()) == ["ValueError", "on_error", "late"]


def test_exception_in_a_handler_reaches_the_error_hook(reported: list[BaseException]) -> None:
    async def scenario() -> None:
        nb.call_async(lambda: 1).on_result(lambda r: [][r])
        await settle()

    asyncio.run(scenario())
    assert [type(e) for e in reported] == [IndexError]


def test_unhandled_rejection_is_reported_once(reported: list[BaseException]) -> None:
    async def scenario() -> None:
        nb.call_async(lambda: {}["missing"])
        await settle(10)

    asyncio.run(scenario())
    assert [type(e) for e in reported] == [KeyError]


def test_handled_rejection_is_not_reported(reported: list[BaseException]) -> None:
    async def scenario() -> None:
        nb.call_async(lambda: {}["missing"]).on_error(lambda e: None)
        await settle(10)

    asyncio.run(scenario())
    assert reported == []


def test_call_async_argument_checks() -> None:
    with pytest.raises(TypeError, match="server function name or a callable"):
        nb.call_async(42)
    with pytest.raises(TypeError, match="expects an AsyncCall"):
        nb.wait_for("nope")


def test_async_callable_and_kwargs() -> None:
    async def add(a: int, b: int = 0) -> int:
        await asyncio.sleep(0)
        return a + b

    async def scenario() -> int:
        return await nb.call_async(add, 1, b=2)

    assert asyncio.run(scenario()) == 3


def test_defer_fires_once_and_cancel_stops_it() -> None:
    async def scenario() -> list[str]:
        fired: list[str] = []
        nb.defer(lambda: fired.append("kept"), 0.01)
        dropped = nb.defer(lambda: fired.append("cancelled"), 0.01)
        dropped.cancel()
        nb.cancel(dropped)  # twice is harmless
        nb.cancel(None)  # a placeholder
        await asyncio.sleep(0.1)
        return fired

    assert asyncio.run(scenario()) == ["kept"]


def test_repeat_keeps_firing_after_an_error_and_stops_on_cancel(reported: list[BaseException]) -> None:
    async def scenario() -> list[int]:
        ticks: list[int] = []

        def tick() -> None:
            ticks.append(len(ticks))
            if len(ticks) == 2:
                raise RuntimeError("second tick fails")

        ref = nb.repeat(tick, 0.01)
        while len(ticks) < 4:
            await asyncio.sleep(0.005)
        nb.cancel(ref)
        count = len(ticks)
        await asyncio.sleep(0.05)
        assert len(ticks) == count
        return ticks[:4]

    assert asyncio.run(scenario()) == [0, 1, 2, 3]
    assert [str(e) for e in reported] == ["second tick fails"]


def test_a_tick_whose_timer_fired_does_not_run_once_cancelled() -> None:
    """The timer fires and queues its task; a cancel before that task runs still stops it (defer and repeat)."""
    async def scenario() -> list[str]:
        ran: list[str] = []
        ref = nb.repeat(lambda: ran.append("repeat"), 60)
        ref._tick()                     # the interval is up: the run is queued as a task
        nb.cancel(ref)
        later = nb.defer(lambda: ran.append("defer"), 60)
        later._handle._run()            # the delay is up: the run is queued as a task
        nb.cancel(later)
        for _ in range(5):
            await asyncio.sleep(0)
        return ran

    assert asyncio.run(scenario()) == []


def test_timer_argument_checks() -> None:
    async def scenario() -> None:
        with pytest.raises(TypeError):
            nb.defer("not callable", 1)
        with pytest.raises(TypeError):
            nb.defer(print, "soon")
        with pytest.raises(ValueError):
            nb.repeat(print, 0)
        with pytest.raises(ValueError):
            nb.defer(print, -1)
        with pytest.raises(TypeError, match="DeferRef, a RepeatRef or None"):
            nb.cancel("ref")

    asyncio.run(scenario())
