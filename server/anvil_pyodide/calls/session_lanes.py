"""Fair use of the worker threads: one session's synchronous calls may hold at most ``per_session`` of
them at once; its other calls wait in its own lane (first come, first served), so another session's
call finds a thread. A slot is held until the function really returns (a call that timed out still
occupies its thread), and a call whose caller has given up (timed out, disconnected) before its function
starts never starts: that is checked in the worker thread, right before the function would run. A call
whose caller is not reading its replies (its ``room`` budget is over) waits for room once its turn has
come, before it starts: one connection has at most ``per_session`` replies in the making past its budget.

Example:
    >>> import asyncio
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> async def demo():
    ...     lanes = SessionLanes(ThreadPoolExecutor(2), per_session=1)
    ...     return await asyncio.gather(lanes.run("s1", lambda: "a"), lanes.run("s1", lambda: "b"))
    >>> asyncio.run(demo())
    ['a', 'b']
"""

from __future__ import annotations

import asyncio
from collections import deque
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from .reply_budget import ReplyBudget
from .start_gate import CallerGone, refuse_if_given_up, until_room

__all__ = ["CallerGone", "SessionLanes"]


@dataclass
class _Lane:
    """One session's calls: how many hold a thread, and who waits (futures set when their turn comes)."""

    running: int = 0
    waiting: deque["asyncio.Future[None]"] = field(default_factory=deque)


class SessionLanes:
    """Runs functions on ``executor``, at most ``per_session`` at once per session key (call from the loop)."""

    def __init__(self, executor: Executor, per_session: int) -> None:
        self.executor = executor
        self.per_session = max(1, per_session)
        self._lanes: dict[Any, _Lane] = {}

    def busy(self, key: Any) -> tuple[int, int]:
        """``(running, waiting)`` calls of the session ``key`` (for tests and logs)."""
        lane = self._lanes.get(key)
        return (lane.running, len(lane.waiting)) if lane is not None else (0, 0)

    def run(self, key: Any, fn: Callable[[], Any], given_up: Callable[[], bool] = lambda: False,
            room: ReplyBudget | None = None) -> Awaitable[Any]:
        """``fn()`` in a worker thread once the session ``key`` has a free slot (and ``room`` is not over its
        budget). It never starts when ``given_up()`` is true by its turn (it raises :class:`CallerGone`), nor
        when the wait is cancelled."""
        lane = self._lane(key)
        if lane.running < self.per_session and not lane.waiting and (room is None or not room.over):
            lane.running += 1
            return self._submit(key, lane, fn, given_up)  # a plain future: the common case costs no task
        return self._wait_then_run(key, fn, given_up, room)

    def _lane(self, key: Any) -> _Lane:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        return lane

    async def _wait_then_run(self, key: Any, fn: Callable[[], Any], given_up: Callable[[], bool],
                             room: ReplyBudget | None) -> Any:
        lane = self._lane(key)  # looked up again: the lane may have emptied before this coroutine started
        if lane.running < self.per_session and not lane.waiting:
            lane.running += 1
        else:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            lane.waiting.append(turn)
            try:
                await turn
            except BaseException:
                if turn.done() and not turn.cancelled():  # given the slot just as the wait was cancelled: pass it on
                    self._finished(key, lane)
                else:
                    lane.waiting.remove(turn)
                    self._forget_if_idle(key, lane)
                raise
        if room is not None and room.over:  # its caller is not reading: wait, holding the slot, before starting
            try:
                await until_room(room)
            except BaseException:
                self._finished(key, lane)
                raise
        return await self._submit(key, lane, fn, given_up)

    def _submit(self, key: Any, lane: _Lane, fn: Callable[[], Any], given_up: Callable[[], bool]) -> Awaitable[Any]:
        """Start ``fn`` on the executor; the future it returns gets its outcome, and the slot is freed, in one
        loop callback once the function has returned (so a call that timed out holds its slot until then)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        work = self.executor.submit(_unless_given_up, fn, given_up)
        work.add_done_callback(lambda _: _call_soon(loop, self._returned, answer, work, key, lane))
        return answer

    def _returned(self, answer: "asyncio.Future[Any]", work: Future[Any], key: Any, lane: _Lane) -> None:
        self._finished(key, lane)
        if answer.cancelled():  # its caller stopped waiting (a timeout)
            return
        if work.cancelled():  # the executor was shut down before it started
            answer.cancel()
        elif work.exception() is not None:
            answer.set_exception(work.exception())  # type: ignore[arg-type]
        else:
            answer.set_result(work.result())

    def _finished(self, key: Any, lane: _Lane) -> None:
        """A slot is free: hand it to the next waiting call of the lane (it keeps ``running`` as it is)."""
        while lane.waiting:
            turn = lane.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        lane.running -= 1
        self._forget_if_idle(key, lane)

    def _forget_if_idle(self, key: Any, lane: _Lane) -> None:
        if lane.running == 0 and not lane.waiting and self._lanes.get(key) is lane:
            del self._lanes[key]


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # the loop has closed (the server is stopping): nothing is waiting any more
        pass


def _unless_given_up(fn: Callable[[], Any], given_up: Callable[[], bool]) -> Any:
    """In the worker thread, right before the function would start: not if its caller has gone."""
    refuse_if_given_up(given_up)
    return fn()
