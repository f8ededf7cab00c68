"""A real anvil-uplink 0.7.0 script for test_uplink_server.py, run with the anvil-uplink interpreter.

    python uplink_server_worker.py URL KEY ROLE

It connects with ``anvil.server.connect(KEY, url=URL)``, registers the functions of ROLE, makes one
call (every REGISTER it sent before it is then known to have been handled: the server reads an
uplink's messages in order) and prints ``{"event": "ready"}``. Then it obeys JSON lines on stdin,
answering each with one JSON line on stdout:

    {"cmd": "call", "name": ..., "args": [...]}   anvil.server.call -> {"ok": true, "value": ...}
                                                  or {"ok": false, "type": ..., "message": ...}
    {"cmd": "register", "name": ...}              registers a function after connecting
    {"cmd": "exit"}                               exits at once (so does stdin closing)

Roles: ``main`` (most functions), ``other`` (a second uplink), ``temp`` (one that the tests stop),
``client`` (registers nothing), ``badkey`` (connects with a wrong key and reports what happened).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

PROTOCOL_OUT = sys.stdout
sys.stdout = sys.stderr  # anything anvil-uplink prints must not corrupt the protocol stream

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "uplink_app" / "client_code"))

import anvil  # noqa: E402  (anvil-uplink's package)
import anvil.server  # noqa: E402
from anvil import _threaded_server  # noqa: E402

#: anvil-uplink 0.7.0 has no ``anvil.server.session``: the session of the call being served (the
#: ``sessionData`` the server sent, and sends back with the answer) is this thread-local mapping.
SESSION = _threaded_server.call_info

from uplink_shared import Box, OutOfStock  # noqa: E402


def emit(value: dict) -> None:
    PROTOCOL_OUT.write(json.dumps(value) + "\n")
    PROTOCOL_OUT.flush()


def describe(value):
    """What arrived, as the uplink sees it (so the test checks decoding here, not only round trips)."""
    import datetime as dt
    if isinstance(value, anvil.Media):
        data = value.get_bytes()
        return {"media": True, "sha256": hashlib.sha256(data).hexdigest(), "length": len(data),
                "content_type": value.content_type, "name": value.name}
    if isinstance(value, Box):
        return {"box": [value.label, describe(value.items)]}
    if isinstance(value, dt.datetime):
        offset = value.utcoffset()
        return {"datetime": value.replace(tzinfo=None).isoformat(),
                "offset_s": None if offset is None else offset.total_seconds()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, float) and value != value:
        return {"float": "nan"}
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return {"float": str(value)}
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [describe(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": {k: describe(v) for k, v in value.items()}}
    return {type(value).__name__: value}


def register_main() -> None:
    @anvil.server.callable
    def up_echo(*args, **kwargs):
        return args, kwargs  # a tuple: arrives as a list

    @anvil.server.callable
    def up_describe(*args, **kwargs):
        return describe(list(args)), describe(kwargs)

    @anvil.server.callable
    def up_make_media(length, seed, name=None):
        data = random.Random(seed).randbytes(length)
        return anvil.BlobMedia("application/x-test", data, name=name)

    @anvil.server.callable
    def up_make_box(label, *items):
        return Box(label, list(items))

    @anvil.server.callable
    def up_raise(kind):
        if kind == "value":
            raise ValueError("bad value from the uplink")
        if kind == "custom":
            raise OutOfStock("no widgets left")
        if kind == "permission":
            raise anvil.server.PermissionDenied("the uplink says no")
        if kind == "nested":
            return anvil.server.call("raise_out_of_stock", "gadgets")
        raise RuntimeError(f"unknown kind {kind}")

    @anvil.server.callable
    def up_call(name, *args, **kwargs):
        return anvil.server.call(name, *args, **kwargs)

    @anvil.server.callable
    def up_context():
        ctx = anvil.server.context
        return {"type": ctx.type, "client_type": ctx.client.type, "client_ip": ctx.client.ip,
                "remote_caller_type": ctx.remote_caller.type, "remote_caller_trusted": ctx.remote_caller.is_trusted,
                "app_id": anvil.app.id, "environment": anvil.app.environment.name,
                "session_id": anvil.server.get_session_id()}

    @anvil.server.callable
    def up_session_set(key, value):
        SESSION[key] = value
        return sorted(SESSION)

    @anvil.server.callable
    def up_session_get(key):
        return SESSION.get(key)

    @anvil.server.callable
    def up_session_delete(key):
        del SESSION[key]

    @anvil.server.callable
    def up_session_set_after(key, value, wait_key):
        """Waits (in an in-process function) for release(wait_key), then writes the session."""
        released = anvil.server.call("wait_for", wait_key)
        SESSION[key] = value
        return released

    @anvil.server.callable
    def up_session_via_server(server_key, server_value, own_key, own_value):
        """Writes one key through an in-process function (same session), one itself; reads the first back."""
        anvil.server.call("session_set", server_key, server_value)
        SESSION[own_key] = own_value
        return anvil.server.call("session_get", server_key)

    @anvil.server.callable
    def up_progress(cap, count):
        for i in range(count):
            cap.send_update({"uplink_step": i})
        return "uplink done"

    @anvil.server.callable
    def up_progress_via_server(cap, count):
        return anvil.server.call("progress", cap, count)

    @anvil.server.callable("re_[a-z]+_op")
    def regex_op(*args):
        return ["regex", list(args)]


def register_other() -> None:
    @anvil.server.callable
    def other_echo(value):
        return ["other", value]


def register_temp() -> None:
    @anvil.server.callable
    def temp_fn():
        return f"temp {os.getpid()}"

    @anvil.server.callable
    def temp_block():
        print("temp_block started", file=sys.stderr, flush=True)
        time.sleep(60)


ROLES = {"main": register_main, "other": register_other, "temp": register_temp}


def obey() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        if request["cmd"] == "exit":
            break
        if request["cmd"] == "register":
            anvil.server.callable(request["name"])(lambda *args: list(args))
            emit({"ok": True})
        elif request["cmd"] == "call":
            try:
                value = anvil.server.call(request["name"], *request.get("args", []))
                emit({"ok": True, "value": value})
            except Exception as e:  # noqa: BLE001 - reported to the test
                emit({"ok": False, "type": type(e).__name__, "message": str(e),
                      "error_type": getattr(e, "error_obj", {}).get("type") if hasattr(e, "error_obj") else None})
    os._exit(0)  # ws4py's threads would keep the process alive


def main() -> None:
    url, key, role = sys.argv[1:4]
    ROLES.get(role, lambda: None)()
    anvil.server.connect(key, url=url)
    if role == "badkey":
        try:
            anvil.server.call("echo", 1)
            emit({"event": "called"})
        except Exception as e:  # noqa: BLE001
            emit({"event": "refused", "type": type(e).__name__, "message": str(e)})
        os._exit(0)
    anvil.server.call("anvil.private.echo", "ready")
    emit({"event": "ready", "pid": os.getpid()})
    obey()


if __name__ == "__main__":
    main()
