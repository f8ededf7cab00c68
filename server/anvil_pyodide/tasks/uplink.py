"""Background tasks that run on an uplink (anvil-uplink registers ``@background_task`` functions as ``task:<name>``).

The exchange, as anvil-uplink 0.7.0 handles it:

- launch: the CALL shape with ``"type": "LAUNCH_BACKGROUND"``, ``"id"`` the task id, ``"command":
  "task:<name>"``, client ``{"type": "background_task", "background-task-id": <id>}`` and a
  ``background_task`` call-stack frame (trusted). Its answer arrives only when the task ends: the usual
  ``response`` or ``error``, plus ``taskState``.
- state: ``{"type": "GET_TASK_STATE", "id": <request id>, "task": <task id>}``, answered
  ``{"id": ..., "response": <state>}`` (or an ``anvil.server.NotRunningTask`` error once it has ended).
  ``get_state()`` asks from a worker thread; on the event loop it returns the last known state.
- kill: we send ``{"type": "KILL_TASK", "task": <task id>}``, but anvil-uplink cannot kill its tasks
  (it only logs), so ``kill()`` raises ``BackgroundTaskError`` and the task keeps running.
- an uplink that disconnects before the answer leaves its tasks ``"missing"``.

The task gets a copy of the launching session; what the uplink writes to it is not merged back.

Example:
    >>> state_request("r1", "t1")
    {'type': 'GET_TASK_STATE', 'id': 'r1', 'task': 't1'}
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from anvil._errors import BackgroundTaskError, UplinkDisconnectedError, error_to_wire
from anvil._wire import decode_message

from ..calls.context import CallContext, CallState, ClientInfo, StackFrame
from ..uplink.connection import UplinkConnection
from ..uplink.outgoing import call_uplink, random_id
from .packing import pack

if TYPE_CHECKING:
    from .manager import TaskManager, TaskRecord

#: Seconds to wait for an uplink's answer to GET_TASK_STATE.
STATE_TIMEOUT = 10.0


def state_request(request_id: str, task_id: str) -> dict[str, Any]:
    return {"type": "GET_TASK_STATE", "id": request_id, "task": task_id}


class UplinkTask:
    """One task running on an uplink: launches it, fetches its state, records its end."""

    def __init__(self, manager: "TaskManager", record: "TaskRecord", connection: UplinkConnection, state: CallState) -> None:
        self.manager, self.record, self.connection = manager, record, connection
        self.loop = state.loop
        hub = manager.uplinks
        self.app_info, self.import_module = hub.app_info, hub.import_module
        session = state.session.copy()
        self.state = CallState(session=session, origin=state.origin, context=CallContext(
            client=ClientInfo("background_task"), remote_caller=StackFrame("background_task", True),
            background_task_id=record.id))

    async def run(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        task_id = self.record.id
        try:
            value = await call_uplink(self.connection, f"task:{self.record.name}", args, kwargs, self.state,
                                      self.app_info, self.import_module, call_id=task_id,
                                      message_type="LAUNCH_BACKGROUND", on_answer=self._on_answer)
            self.manager.report(task_id, "completed", pack(value))
        except UplinkDisconnectedError as e:
            self.manager.report(task_id, "missing", str(e))
        except Exception as e:  # noqa: BLE001 - the task's own error (or one reading its answer)
            self.manager.report(task_id, "failed", error_to_wire(e))

    def _on_answer(self, answer: dict[str, Any]) -> None:
        if isinstance(answer.get("taskState"), dict):
            self.manager.report(self.record.id, "state", dict(answer["taskState"]))

    def refresh(self) -> None:
        """Ask the uplink for the task's state (from a worker thread; on the event loop, keep the last one)."""
        try:
            asyncio.get_running_loop()
            return
        except RuntimeError:
            pass
        try:
            asyncio.run_coroutine_threadsafe(self._fetch_state(), self.loop).result(STATE_TIMEOUT + 1)
        except Exception:  # noqa: BLE001 - ended meanwhile, or the uplink is gone: keep the last known state
            pass

    async def _fetch_state(self) -> None:
        request_id = f"server-{random_id()}"
        message, media = await asyncio.wait_for(self.connection.request(
            request_id, f"task:{self.record.name}", self.state, state_request(request_id, self.record.id), []),
            STATE_TIMEOUT)
        answer = decode_message(message, media, remote_is_trusted=True, import_module=self.import_module).message
        if isinstance(answer.get("response"), dict):
            self.manager.report(self.record.id, "state", dict(answer["response"]))

    def kill(self) -> bool:
        self.connection.send_threadsafe({"type": "KILL_TASK", "task": self.record.id})
        raise BackgroundTaskError(
            f'The background task "{self.record.name}" runs on an uplink, which cannot kill it (it keeps running)')


def launch_on_uplink(manager: "TaskManager", record: "TaskRecord", connection: UplinkConnection, args: list[Any],
                     kwargs: dict[str, Any], state: CallState) -> None:
    """Start ``record``'s task on ``connection`` (from the event loop or a worker thread); returns at once."""
    task = UplinkTask(manager, record, connection, state)
    record.refresh, record.kill = task.refresh, task.kill
    asyncio.run_coroutine_threadsafe(task.run(args, kwargs), state.loop)
