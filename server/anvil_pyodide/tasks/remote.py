"""Killing a background task that another server process runs (sharing a Redis store): asked of that process.

``task.kill()`` on process B for a task running on process A sends A a request over the store's bus
(:mod:`anvil_pyodide.store.redis_bus`); A kills it as if asked locally and answers with the error its
``kill`` raised, if any. From a worker thread (a ``def`` server function) the caller waits for that
answer (and gets the error, e.g. an uplink task that cannot be killed); on the event loop itself (an
``async def`` server function) it cannot wait, so the request is sent and a failure is logged. Either
way the task's status becomes ``"killed"`` in its record once its process has ended, which every
process reads.

Example:
    >>> kill_request("t1").body
    {'task': 't1'}
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Protocol

import anvil.server
from anvil._errors import error_from_wire, error_to_wire

from ..store import StoreUnavailableError
from ..store.redis_bus import Envelope, HandlerFailedError, ProcessGoneError
from .side_loop import on_loop

log = logging.getLogger("anvil_pyodide.tasks")

KILL = "task-kill"
#: Seconds a worker thread waits for the other process to say the kill was done.
KILL_TIMEOUT = 30.0


class Bus(Protocol):
    def on(self, kind: str, handler: Any) -> None: ...

    async def request(self, process: str, kind: str, envelope: Envelope) -> Envelope: ...


def kill_request(task_id: str) -> Envelope:
    return Envelope({"task": task_id})


class RemoteTaskKiller:
    """Sends kills to the process running a task, and does the kills other processes send here."""

    def __init__(self, bus: Bus, kill_here: Callable[[str], None]) -> None:
        self.bus = bus
        self.kill_here = kill_here
        bus.on(KILL, self.serve)

    def kill(self, process: str, task_id: str, loop: asyncio.AbstractEventLoop) -> None:
        """Ask ``process`` to kill ``task_id`` (call from a worker thread, or from ``loop`` itself)."""
        if on_loop(loop):
            loop.create_task(self._logged(process, task_id))
            return
        asyncio.run_coroutine_threadsafe(self._kill(process, task_id), loop).result(KILL_TIMEOUT)

    async def _kill(self, process: str, task_id: str) -> None:
        try:
            reply = await self.bus.request(process, KILL, kill_request(task_id))
        except ProcessGoneError:
            return  # its process is gone, and the task with it (it is reported "missing")
        except (HandlerFailedError, StoreUnavailableError) as e:
            raise anvil.server.RuntimeUnavailableError(
                f"The background task {task_id!r} could not be killed through its server process {process}: {e}") from None
        if reply.body.get("error") is not None:
            raise error_from_wire(reply.body["error"])

    async def _logged(self, process: str, task_id: str) -> None:
        try:
            await self._kill(process, task_id)
        except Exception as e:  # noqa: BLE001 - nobody waits: say it in the log
            log.warning("background task %s was not killed: %s", task_id, e)

    async def serve(self, request: Envelope) -> Envelope:
        """Kill a task of this process for another one (off the loop: stopping a task's process may block)."""
        try:
            await asyncio.to_thread(self.kill_here, str(request.body["task"]))
        except Exception as e:  # noqa: BLE001 - the asking process raises it for its caller
            return Envelope({"error": error_to_wire(e)})
        return Envelope({"error": None})
