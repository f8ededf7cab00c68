"""The worker threads synchronous server functions run on, with less cost per call than ``ThreadPoolExecutor``.

A job goes to the threads through one ``queue.SimpleQueue`` (C code: no ``Future``, ``Condition`` or
Python-level semaphore per job); its outcome comes back to the event loop that submitted it through that
loop's :class:`_Inbox`: finished jobs are appended to a deque, and only the first one after the loop has
emptied it wakes the loop (one ``call_soon_threadsafe``), whose callback then hands every finished outcome
on at once. Threads are started as they are needed, up to ``threads``; :meth:`WorkerPool.close` tells jobs
that have not started that they never will (their ``on_done`` gets :class:`PoolClosed`) and lets idle
threads end. Threads are daemons: a function still running when the process exits does not hold it up.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     pool = WorkerPool(2, "demo")
    ...     answers = await asyncio.gather(pool.run(sum, [1, 2]), pool.run(max, [3, 4]))
    ...     pool.close()
    ...     return answers
    >>> asyncio.run(demo())
    [3, 4]
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from queue import Empty, SimpleQueue
from typing import Any, Callable

__all__ = ["OnDone", "PoolClosed", "WorkerPool", "settle"]

#: Told, on the submitting loop, how a job ended: ``(error, value)``; ``error`` is None when it returned.
OnDone = Callable[[BaseException | None, Any], None]


class PoolClosed(RuntimeError):
    """The pool was closed before the job started: it never ran."""


class _Inbox:
    """Outcomes of one event loop's jobs, handed on in one loop callback however many finished meanwhile."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.finished: deque[tuple[OnDone, BaseException | None, Any]] = deque()
        self.woken = False

    def deliver(self, on_done: OnDone, error: BaseException | None, value: Any) -> None:
        """From any thread: ``on_done(error, value)`` will run on the loop."""
        self.finished.append((on_done, error, value))
        if not self.woken:  # the loop is not yet about to drain: wake it (a second wake-up only finds less to do)
            self.woken = True
            try:
                self.loop.call_soon_threadsafe(self.drain)
            except RuntimeError:  # the loop has closed (the server is stopping): nothing is waiting any more
                pass

    def drain(self) -> None:
        """On the loop: every outcome delivered so far, in the order the jobs finished."""
        self.woken = False  # before taking any: an outcome delivered from now on wakes the loop again
        finished = self.finished
        while finished:
            on_done, error, value = finished.popleft()
            on_done(error, value)


class WorkerPool:
    """At most ``threads`` threads (named ``<name>_<n>``) running jobs submitted from event loops."""

    def __init__(self, threads: int, name: str = "worker") -> None:
        self.threads = max(1, threads)
        self.name = name
        self._jobs: SimpleQueue[tuple[_Inbox, OnDone, Callable[..., Any], tuple[Any, ...]] | None] = SimpleQueue()
        self._lock = threading.Lock()
        self._started: list[threading.Thread] = []
        self._unfinished = 0  # jobs submitted and not yet returned (under _lock)
        self._closed = False
        self._inbox: _Inbox | None = None

    @property
    def started(self) -> int:
        """How many threads have been started (for tests and logs)."""
        return len(self._started)

    def submit(self, on_done: OnDone, fn: Callable[..., Any], *args: Any,
               loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Run ``fn(*args)`` on a worker thread; ``on_done(error, value)`` then runs on the calling event loop
        (``loop``, if the caller has it at hand: asking for it costs a system call on Python 3.11). Raises
        RuntimeError once the pool is closed."""
        loop = loop or asyncio.get_running_loop()
        inbox = self._inbox
        if inbox is None or inbox.loop is not loop:
            inbox = self._inbox = _Inbox(loop)
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot run a job after the worker pool was closed")
            self._unfinished += 1
            if self._unfinished > len(self._started) < self.threads:  # no thread is idle: start one
                thread = threading.Thread(target=self._work, name=f"{self.name}_{len(self._started)}", daemon=True)
                self._started.append(thread)
                thread.start()
        self._jobs.put((inbox, on_done, fn, args))

    def run(self, fn: Callable[..., Any], *args: Any, loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Future[Any]:
        """``fn(*args)`` on a worker thread, as a future of the calling loop (cancelled if the pool closes first)."""
        loop = loop or asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        self.submit(lambda error, value: settle(answer, error, value), fn, *args, loop=loop)
        return answer

    def close(self) -> None:
        """No new jobs; those not started never start (``PoolClosed``); threads end once idle. Does not wait."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = len(self._started)
        while True:
            try:
                job = self._jobs.get_nowait()
            except Empty:
                break
            if job is not None:
                inbox, on_done, _, _ = job
                inbox.deliver(on_done, PoolClosed("the worker pool was closed before the job started"), None)
        for _ in range(threads):
            self._jobs.put(None)

    def _work(self) -> None:
        jobs, lock = self._jobs, self._lock
        while True:
            job = jobs.get()
            if job is None:
                return
            inbox, on_done, fn, args = job
            del job
            try:
                value, error = fn(*args), None
            except BaseException as e:  # noqa: BLE001 - handed to the caller, as a Future would
                value, error = None, e
            del fn, args
            with lock:
                self._unfinished -= 1
            inbox.deliver(on_done, error, value)
            del inbox, on_done, value, error


def settle(answer: asyncio.Future[Any], error: BaseException | None, value: Any) -> None:
    """Give ``answer`` a job's outcome: its value, its error, or cancelled (the pool closed before it started);
    nothing if ``answer`` was cancelled meanwhile (its caller stopped waiting)."""
    if answer.cancelled():
        return
    if isinstance(error, PoolClosed):
        answer.cancel()
    elif error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(value)
