"""In-process server functions that the uplink tests call from the browser and from uplinks."""

import threading

import anvil.server
from anvil.server import Capability

from uplink_shared import Box, OutOfStock

_lock = threading.Lock()
_events = {}

#: Backstop so a broken test never leaves a thread waiting forever.
WAIT_LIMIT = 20


def _event(key):
    with _lock:
        return _events.setdefault(key, threading.Event())


@anvil.server.callable
def echo(*args, **kwargs):
    return [list(args), kwargs]


@anvil.server.callable
def make_box(label, *items):
    return Box(label, list(items))


@anvil.server.callable
def raise_out_of_stock(what):
    raise OutOfStock(f"no {what} left")


@anvil.server.callable
def session_set(key, value):
    anvil.server.session[key] = value


@anvil.server.callable
def session_get(key):
    return anvil.server.session.get(key)


@anvil.server.callable
def session_snapshot():
    return dict(anvil.server.session)


@anvil.server.callable
def context_info():
    ctx = anvil.server.context
    return {"client_type": ctx.client.type, "client_ip": ctx.client.ip,
            "remote_caller_type": ctx.remote_caller.type, "remote_caller_trusted": ctx.remote_caller.is_trusted,
            "session_id": anvil.server.get_session_id()}


@anvil.server.callable
def call_other(name, *args, **kwargs):
    """Calls another server function (in-process or on an uplink) from server code."""
    return anvil.server.call(name, *args, **kwargs)


@anvil.server.callable
def wait_for(key):
    """Blocks until ``release(key)``; returns "released" (or "gave up" at the backstop)."""
    return "released" if _event(key).wait(WAIT_LIMIT) else "gave up"


@anvil.server.callable
def release(key):
    _event(key).set()
    return True


@anvil.server.callable
def issue_capability(*scope):
    return Capability(list(scope))


@anvil.server.callable
def progress(cap, count):
    for i in range(count):
        cap.send_update({"server_step": i})
    return "server done"


@anvil.server.callable
def unsendable():
    return {1, 2}
