"""A real anvil-uplink 0.7.0 script with background tasks, for tests/conformance/test_uplink_tasks.py.

    python uplink_tasks.py URL KEY

It registers its tasks, makes one call (so every REGISTER before it has been handled), prints
``ready`` and serves until killed.
"""

import os
import sys
import time

import anvil.server


@anvil.server.background_task
def up_count(n, gate):
    for i in range(n + 1):
        anvil.server.task_state["progress"] = i
    anvil.server.task_state["context"] = {
        "task_id": anvil.server.context.background_task_id,
        "client": anvil.server.context.client.type,
        "double": anvil.server.call("double", 4),
    }
    while not os.path.exists(gate):
        time.sleep(0.02)
    anvil.server.task_state["finished"] = True
    return {"counted": n}


@anvil.server.background_task("up.fail")
def up_fail():
    anvil.server.task_state["failing"] = True
    raise ValueError("uplink task failed")


@anvil.server.callable
def up_launch_local(n):
    """anvil-uplink's own launch_background_task (a private server call), then the Task's LiveObject methods."""
    task = anvil.server.launch_background_task("count_to", n)
    name = task.get_task_name()
    while task.get_termination_status() is None:
        time.sleep(0.05)
    same = anvil.server.get_background_task(task.get_id())
    listed = [t.get_id() for t in anvil.server.list_background_tasks()]
    return {"name": name, "status": same.get_termination_status(), "value": task.get_return_value()["counted"],
            "listed": task.get_id() in listed, "id": task.get_id()}


if __name__ == "__main__":
    url, key = sys.argv[1:3]
    anvil.server.connect(key, url=url, quiet=True)
    anvil.server.call("double", 1)
    print("ready", flush=True)
    anvil.server.wait_forever()
