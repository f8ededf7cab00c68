"""The worker pool synchronous server functions run on (calls/worker_pool.py), and the session lanes on it:
outcomes reach the submitting loop, threads are started only when none is idle and never past the limit,
finished jobs wake the loop once however many finish meanwhile, closing cancels what has not started, and a
lane's slot is held until its function really returns. In-process: no server, no timing assumptions.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from anvil_pyodide.calls.session_lanes import CallerGone, SessionLanes
from anvil_pyodide.calls.worker_pool import PoolClosed, WorkerPool

pytestmark = pytest.mark.timeout(60)

WAIT = 30  # seconds: generous, only a deadline for a test that would otherwise hang


class Stop(BaseException):
    """A BaseException a function may raise (not an Exception): still the caller's to see."""


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_values_and_errors_come_back_to_the_caller_from_a_worker_thread() -> None:
    async def main() -> None:
        pool = WorkerPool(2, "t-pool")
        name = await pool.run(lambda: threading.current_thread().name)
        assert name.startswith("t-pool_") and name != threading.current_thread().name
        assert await pool.run(divmod, 7, 2) == (3, 1)
        with pytest.raises(ZeroDivisionError):
            await pool.run(divmod, 1, 0)
        with pytest.raises(Stop):
            await pool.run(_raise_stop)
        pool.close()
    run(main())


def _raise_stop() -> None:
    raise Stop()


def test_a_thread_is_started_only_when_none_is_idle_and_never_past_the_limit() -> None:
    async def main() -> None:
        pool = WorkerPool(3, "t-lazy")
        for n in range(20):  # one after another: the first thread is idle again each time
            assert await pool.run(abs, -n) == n
        assert pool.started == 1
        release = threading.Event()
        arrived = threading.Semaphore(0)

        def hold() -> str:
            arrived.release()
            release.wait(WAIT)
            return threading.current_thread().name
        held = [pool.run(hold) for _ in range(5)]
        for _ in range(3):  # three run at once (the limit); two wait in the queue
            assert await asyncio.to_thread(arrived.acquire, True, WAIT)
        assert pool.started == 3
        release.set()
        names = await asyncio.gather(*held)
        assert len(set(names)) == 3 and pool.started == 3
        pool.close()
    run(main())


def test_jobs_finished_while_the_loop_is_busy_wake_it_once() -> None:
    async def main() -> None:
        pool = WorkerPool(4, "t-wake")
        loop = asyncio.get_running_loop()
        wakes = 0
        original = loop.call_soon_threadsafe

        def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal wakes
            wakes += 1
            return original(*args, **kwargs)
        loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
        done = threading.Semaphore(0)

        def job(n: int) -> int:
            done.release()
            return n
        answers = [pool.run(job, n) for n in range(8)]
        for _ in range(8):  # the loop is blocked here (no await) while all eight finish
            assert done.acquire(timeout=WAIT)
        deadline = time.monotonic() + WAIT  # ... and deliver their outcomes (`done` comes just before that)
        while len(pool._inbox.finished) < 8 and time.monotonic() < deadline:  # type: ignore[union-attr]
            threading.Event().wait(0.01)
        assert await asyncio.gather(*answers) == list(range(8))
        assert wakes == 1
        pool.close()
    run(main())


def test_closing_cancels_what_has_not_started_and_lets_the_running_one_finish() -> None:
    async def main() -> None:
        pool = WorkerPool(1, "t-close")
        started, release = threading.Event(), threading.Event()

        def hold() -> str:
            started.set()
            release.wait(WAIT)
            return "finished"
        running = pool.run(hold)
        queued = [pool.run(abs, -1) for _ in range(3)]
        assert await asyncio.to_thread(started.wait, WAIT)
        pool.close()
        with pytest.raises(RuntimeError):
            pool.run(abs, -2)
        release.set()
        assert await running == "finished"
        for answer in queued:
            with pytest.raises(asyncio.CancelledError):
                await answer
        thread = pool._started[0]
        await asyncio.to_thread(thread.join, WAIT)
        assert not thread.is_alive()
    run(main())


def test_on_done_hears_of_a_job_that_never_started() -> None:
    async def main() -> list[Any]:
        pool = WorkerPool(1, "t-never")
        started, gate = threading.Event(), threading.Event()
        told: list[Any] = []
        arrived = asyncio.Event()

        def note(error: BaseException | None, value: Any) -> None:
            told.append(type(error) if error else value)
            if len(told) == 2:
                arrived.set()

        def hold() -> bool:
            started.set()
            return gate.wait(WAIT)
        pool.submit(note, hold)
        pool.submit(note, abs, -3)
        assert await asyncio.to_thread(started.wait, WAIT)
        pool.close()
        gate.set()
        await asyncio.wait_for(arrived.wait(), WAIT)
        return told
    assert run(main()) == [PoolClosed, True]  # told in the order they ended: the queued one at close


def test_one_pool_serves_one_loop_after_another() -> None:
    pool = WorkerPool(2, "t-loops")

    async def one(n: int) -> int:
        return await pool.run(abs, -n)
    assert run(one(1)) == 1
    assert run(one(2)) == 2  # a new loop: its outcome goes to it, not to the closed one
    pool.close()


def test_a_lane_holds_its_slot_until_the_function_returns_even_after_its_caller_gave_up() -> None:
    async def main() -> None:
        lanes = SessionLanes(WorkerPool(4, "t-lanes"), per_session=1)
        started, release = threading.Event(), threading.Event()

        def slow() -> str:
            started.set()
            release.wait(WAIT)
            return "slow"
        first = asyncio.ensure_future(lanes.run("s", slow))
        assert await asyncio.to_thread(started.wait, WAIT)
        first.cancel()  # its caller timed out; the function still runs
        with pytest.raises(asyncio.CancelledError):
            await first
        second = asyncio.ensure_future(lanes.run("s", lambda: "second"))
        other = await lanes.run("t", lambda: "other session")  # another session is not held up
        assert other == "other session" and lanes.busy("s") == (1, 1) and not second.done()
        release.set()
        assert await second == "second"
        assert lanes.busy("s") == (0, 0)
        lanes.pool.close()
    run(main())


def test_a_lane_call_whose_caller_gave_up_before_its_turn_never_starts() -> None:
    async def main() -> None:
        lanes = SessionLanes(WorkerPool(2, "t-gone"), per_session=1)
        ran: list[str] = []
        with pytest.raises(CallerGone):
            await lanes.run("s", lambda: ran.append("x"), given_up=lambda: True)
        assert ran == [] and lanes.busy("s") == (0, 0)
        lanes.pool.close()
    run(main())


def test_a_lane_call_on_a_closed_pool_fails_and_frees_its_slot() -> None:
    async def main() -> None:
        lanes = SessionLanes(WorkerPool(2, "t-closed"), per_session=1)
        lanes.pool.close()
        with pytest.raises(RuntimeError):
            await lanes.run("s", lambda: None)
        assert lanes.busy("s") == (0, 0)
    run(main())
