"""Fair use of the worker threads: one session's synchronous calls may hold at most ``per_session`` of
them at once; its other calls wait in its own lane (first come, first served), so another session's
call finds a thread. A slot is held until the function really returns (a call that timed out still
occupies its thread), and a call whose caller has given up (timed out, disconnected) before its function
starts never starts: that is checked in the worker thread, right before the function would run. A call
whose caller is not reading its replies (its ``room`` budget is over) waits for room once its turn has
come, before it starts: one connection has at most ``per_session`` replies in the making past its budget.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     lanes = SessionLanes(WorkerPool(2), per_session=1)
    ...     return await asyncio.gather(lanes.run("s1", lambda: "a"), lanes.run("s1", lambda: "b"))
    >>> asyncio.run(demo())
    ['a', 'b']
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from .reply_budget import ReplyBudget
from .start_gate import CallerGone, refuse_if_given_up, until_room
from .worker_pool import WorkerPool, settle

__all__ = ["CallerGone", "SessionLanes"]


@dataclass
class _Lane:
    """One session's calls: how many hold a thread, and who waits (futures set when their turn comes)."""

    running: int = 0
    waiting: deque["asyncio.Future[None]"] = field(default_factory=deque)


class SessionLanes:
    """Runs functions on ``pool``, at most ``per_session`` at once per session key (call from the loop)."""

    def __init__(self, pool: WorkerPool, per_session: int) -> None:
        self.pool = pool
        self.per_session = max(1, per_session)
        self._lanes: dict[Any, _Lane] = {}

    def busy(self, key: Any) -> tuple[int, int]:
        """``(running, waiting)`` calls of the session ``key`` (for tests and logs)."""
        lane = self._lanes.get(key)
        return (lane.running, len(lane.waiting)) if lane is not None else (0, 0)

    def run(self, key: Any, fn: Callable[[], Any], given_up: Callable[[], bool] = lambda: False,
            room: ReplyBudget | None = None, loop: asyncio.AbstractEventLoop | None = None) -> Awaitable[Any]:
        """``fn()`` in a worker thread once the session ``key`` has a free slot (and ``room`` is not over its
        budget). It never starts when ``given_up()`` is true by its turn (it raises :class:`CallerGone`), nor
        when the wait is cancelled. ``loop``: the running loop, if the caller has it at hand."""
        lane = self._lane(key)
        if lane.running < self.per_session and not lane.waiting and (room is None or not room.over):
            lane.running += 1
            return self._submit(key, lane, fn, given_up, loop)  # a plain future: the common case costs no task
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
        return await self._submit(key, lane, fn, given_up, None)

    def _submit(self, key: Any, lane: _Lane, fn: Callable[[], Any], given_up: Callable[[], bool],
                loop: asyncio.AbstractEventLoop | None) -> Awaitable[Any]:
        """Start ``fn`` on the pool; the future it returns gets its outcome, and the slot is freed, in one loop
        callback once the function has returned (so a call that timed out holds its slot until then)."""
        loop = loop or asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        try:
            self.pool.submit(_Returned(self, answer, key, lane), _unless_given_up, fn, given_up, loop=loop)
        except BaseException:  # the pool is closed: the slot was never used
            self._finished(key, lane)
            raise
        return answer

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


class _Returned:
    """What runs on the loop once a lane's function has returned: frees the slot, then settles the answer."""

    __slots__ = ("lanes", "answer", "key", "lane")

    def __init__(self, lanes: SessionLanes, answer: "asyncio.Future[Any]", key: Any, lane: _Lane) -> None:
        self.lanes, self.answer, self.key, self.lane = lanes, answer, key, lane

    def __call__(self, error: BaseException | None, value: Any) -> None:
        self.lanes._finished(self.key, self.lane)
        settle(self.answer, error, value)  # (nothing if its caller stopped waiting: a timeout)


def _unless_given_up(fn: Callable[[], Any], given_up: Callable[[], bool]) -> Any:
    """In the worker thread, right before the function would start: not if its caller has gone."""
    refuse_if_given_up(given_up)
    return fn()
