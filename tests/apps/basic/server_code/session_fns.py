"""Session and context."""

import os
import time

import anvil
import anvil.server


@anvil.server.callable
def session_set(key, value):
    anvil.server.session[key] = value


@anvil.server.callable
def session_get(key):
    return anvil.server.session.get(key)


@anvil.server.callable
async def session_get_async(key):
    """The same as session_get, from an async function (which runs on the server's event loop)."""
    return anvil.server.session.get(key)


@anvil.server.callable
def session_store_media(nested=False):
    media = anvil.BlobMedia("text/plain", b"x")
    anvil.server.session["media"] = {"list": [media]} if nested else media


@anvil.server.callable
def session_id():
    return anvil.server.get_session_id()


@anvil.server.callable
def context_info():
    ctx = anvil.server.context
    return {
        "type": ctx.type,
        "client_type": ctx.client.type,
        "client_ip": ctx.client.ip,
        "remote_caller_type": ctx.remote_caller.type,
        "remote_caller_trusted": ctx.remote_caller.is_trusted,
        "background_task_id": ctx.background_task_id,
        "app_origin": anvil.server.get_app_origin(),
    }


@anvil.server.callable
def call_other(name, *args):
    """Calls another server function from server code."""
    return anvil.server.call(name, *args)


@anvil.server.callable
def session_set_when(key, value, gate):
    """Writes a session key, leaves the file ``gate.key``, then returns once the file ``gate`` exists.

    Two of these (on two server processes) are in flight together: each has loaded the session and
    written its key before either saves.
    """
    anvil.server.session[key] = value
    with open(f"{gate}.{key}", "w"):
        pass
    deadline = time.monotonic() + 60
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)


@anvil.server.callable
def process_id():
    """The id of the server process running this call."""
    return os.getpid()


@anvil.server.callable
async def block_this_process(marker_path, seconds):
    """Creates the file ``marker_path``, then blocks this server process's event loop for ``seconds`` (so it
    accepts no connection meanwhile)."""
    import time
    with open(marker_path, "w"):
        pass
    time.sleep(seconds)
    return os.getpid()


@anvil.server.callable
def session_set_unsendable(key):
    """Puts a value no store can keep (a set) into the session."""
    anvil.server.session[key] = {1, 2}
