"""Where background tasks run: the :class:`TaskRunner` interface and its default, one process per task.

:class:`ProcessTaskRunner` starts each task in its own ``multiprocessing`` process (``spawn`` by
default: a fresh interpreter that imports the app, never a fork of the threaded server). So a task
never runs on the server's event loop, ``kill`` really stops it (the process is terminated), and a
task that crashes its interpreter (``os._exit``, a segfault) ends only itself: it is reported
``"missing"``. A watcher thread per task forwards what the task's process reports (see
:mod:`.task_worker`) to the ``report`` callback; the last report is always ``"completed"``,
``"failed"``, ``"killed"`` or ``"missing"``. A job queue can replace this runner by implementing
the same three methods.

Example:
    >>> runner = ProcessTaskRunner(Path("."), entry=print)
    >>> runner.kill("no-such-task")
    False
    >>> sorted(FINAL_REPORTS)
    ['completed', 'failed', 'killed', 'missing']
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from .packing import Packed

FINAL_REPORTS = frozenset({"completed", "failed", "killed", "missing"})

#: ``report(kind, body)``: ``("state", packed)``, ``("completed", packed)``, ``("failed", error object)``,
#: ``("killed", None)`` or ``("missing", why)``. Called from a runner thread.
Report = Callable[[str, Any], None]
#: What a task's process runs: ``entry(app_dir, task_id, name, packed call, packed session, connection)``
#: (:func:`.worker.run_task`; a module-level function, so that ``spawn`` can find it in the child).
TaskEntry = Callable[[str, str, str, Packed, Packed, Any], None]


@dataclass(frozen=True)
class TaskLaunch:
    """What a runner needs to start a task: its id, the task function's name, arguments and session."""

    task_id: str
    name: str
    call: Packed
    session: Packed


class TaskRunner(Protocol):
    """Runs background tasks somewhere other than the server's event loop."""

    def launch(self, launch: TaskLaunch, report: Report) -> None: ...

    def kill(self, task_id: str) -> bool:
        """Stop the task; True if it was running (its final report will be ``"killed"``)."""
        ...

    def close(self) -> None: ...


class ProcessTaskRunner:
    """One ``multiprocessing`` process per task (daemonic: they end with the server)."""

    def __init__(self, app_dir: Path, entry: TaskEntry, start_method: str = "spawn") -> None:
        self.app_dir = Path(app_dir).resolve()
        self.entry = entry
        self.context = multiprocessing.get_context(start_method)
        self.processes: dict[str, Any] = {}
        self.killed: set[str] = set()
        self.lock = threading.Lock()

    def launch(self, launch: TaskLaunch, report: Report) -> None:
        receive, send = self.context.Pipe(duplex=False)
        process = self.context.Process(
            target=self.entry, name=f"anvil-task-{launch.task_id}", daemon=True,
            args=(str(self.app_dir), launch.task_id, launch.name, launch.call, launch.session, send))
        with self.lock:
            self.processes[launch.task_id] = process
            process.start()
        send.close()  # ours; the child has its own: EOF once the child is gone
        threading.Thread(target=self._watch, args=(launch.task_id, process, receive, report),
                         name=f"anvil-task-watch-{launch.task_id}", daemon=True).start()

    def _watch(self, task_id: str, process: Any, receive: Any, report: Report) -> None:
        finished = False
        try:
            while True:
                try:
                    kind, body = receive.recv()
                except (EOFError, OSError):
                    break
                except Exception as e:  # noqa: BLE001 - a report that cannot be read: the task is lost
                    report("missing", f"unreadable report from the task's process: {e!r}")
                    finished = True
                    break
                report(kind, body)
                finished = finished or kind in FINAL_REPORTS
        finally:
            receive.close()
            process.join()
            with self.lock:
                self.processes.pop(task_id, None)
                was_killed = task_id in self.killed
                self.killed.discard(task_id)
            if not finished:
                if was_killed:
                    report("killed", None)
                else:
                    report("missing", f"the task's process exited unexpectedly (exit code {process.exitcode})")

    def kill(self, task_id: str) -> bool:
        with self.lock:
            process = self.processes.get(task_id)
            if process is None or not process.is_alive():
                return False
            self.killed.add(task_id)
        process.kill()  # SIGKILL: a task cannot catch or ignore it
        return True

    def close(self) -> None:
        with self.lock:
            running = list(self.processes)
        for task_id in running:
            self.kill(task_id)
