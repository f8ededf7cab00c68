"""Server functions for tests/conformance/test_uplink_across_processes.py (two servers sharing one Redis)."""

import os
import time

import anvil.server
from anvil.server import Capability


@anvil.server.callable
def process_id():
    return os.getpid()


@anvil.server.callable
def issue_capability(*scope):
    return Capability(list(scope))


@anvil.server.callable
def session_set(key, value):
    anvil.server.session[key] = value


@anvil.server.callable
def session_get(key):
    return anvil.server.session.get(key)


@anvil.server.callable
def call_then_read(name, key, *args):
    """Calls ``name`` (an uplink function on another process), then reads ``key`` of the session."""
    value = anvil.server.call(name, *args)
    return value, anvil.server.session.get(key)


@anvil.server.background_task
def wait_for_file(path):
    """Runs until ``path`` exists (or it is killed)."""
    anvil.server.task_state["waiting_for"] = os.path.basename(path)
    while not os.path.exists(path):
        time.sleep(0.05)
    return "saw " + os.path.basename(path)


@anvil.server.callable
def start(name, *args):
    return anvil.server.launch_background_task(name, *args).get_id()


@anvil.server.callable
async def start_async(name, *args):
    return anvil.server.launch_background_task(name, *args).get_id()


def describe(task):
    return {"status": task.get_termination_status(), "state": task.get_state(), "name": task.get_task_name(),
            "value": task.get_return_value()}


@anvil.server.callable
def task_info(task_id):
    return describe(anvil.server.get_background_task(task_id))


@anvil.server.callable
async def task_info_async(task_id):
    return describe(anvil.server.get_background_task(task_id))


@anvil.server.callable
def kill_task(task_id):
    anvil.server.get_background_task(task_id).kill()


@anvil.server.callable
async def kill_task_async(task_id):
    anvil.server.get_background_task(task_id).kill()
