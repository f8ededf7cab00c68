"""Background tasks and the server functions that launch them, for tests/host/server/test_background_tasks.py."""

import os
import time

import anvil.server
from tasks_shared import TaskFailed


@anvil.server.callable
def double(x):
    return 2 * x


@anvil.server.background_task
def count_to(n, gate=None):
    """Publishes progress; waits for the file ``gate`` (when given) before finishing."""
    for i in range(n + 1):
        anvil.server.task_state["progress"] = i
    anvil.server.task_state["context"] = {
        "task_id": anvil.server.context.background_task_id,
        "client": anvil.server.context.client.type,
        "caller": anvil.server.context.remote_caller.type,
        "trusted": anvil.server.context.remote_caller.is_trusted,
        "session": dict(anvil.server.session),
        "double": anvil.server.call("double", 21),
    }
    while gate and not os.path.exists(gate):
        time.sleep(0.02)
    return {"counted": n, "pid": os.getpid()}


@anvil.server.background_task("tasks.fail")
def fail(kind):
    anvil.server.task_state["about_to"] = kind
    if kind == "custom":
        raise TaskFailed("custom failure")
    if kind == "exit":
        os._exit(3)
    raise ValueError("bad value in task")


@anvil.server.background_task
def spin():
    anvil.server.task_state["pid"] = os.getpid()
    anvil.server.task_state["spinning"] = True
    while True:
        pass


@anvil.server.background_task
async def async_task(x):
    return x + 1


@anvil.server.callable
def start(name, *args, **kwargs):
    anvil.server.session["who"] = "launcher"
    return anvil.server.launch_background_task(name, *args, **kwargs)


@anvil.server.callable
def task_info(task_id):
    task = anvil.server.get_background_task(task_id)
    return {"status": task.get_termination_status(), "state": task.get_state(), "name": task.get_task_name(),
            "value": task.get_return_value(), "running": task.is_running(),
            "error": type(task.get_error()).__name__ if task.get_error() else None}


@anvil.server.callable
def kill_task(task_id):
    anvil.server.get_background_task(task_id).kill()


@anvil.server.callable
def listed():
    return [t.get_id() for t in anvil.server.list_background_tasks()]


@anvil.server.callable
def completed(task_id):
    return anvil.server.get_background_task(task_id).is_completed()
