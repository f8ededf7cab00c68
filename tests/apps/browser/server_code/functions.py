"""Server functions the browser tests call."""

import hashlib
import threading
import time

import anvil
import anvil.server
from shared import NotFound, Point


@anvil.server.callable
def hello(name):
    return f"hello {name}"


@anvil.server.callable
def echo(*args, **kwargs):
    return [list(args), kwargs]


@anvil.server.callable
def move(point, dx):
    return Point(point.x + dx, point.y)


@anvil.server.callable
def fail(kind):
    if kind == "value":
        raise ValueError("bad value")
    if kind == "custom":
        raise NotFound("no such thing")
    if kind == "timeout":
        raise anvil.server.TimeoutError("took too long")
    raise RuntimeError(kind)


@anvil.server.callable
def media_digest(media):
    data = media.get_bytes()
    return [hashlib.sha256(data).hexdigest(), len(data), media.content_type, media.name]


@anvil.server.callable
def make_media(size, seed):
    import random
    data = random.Random(seed).randbytes(size)
    return anvil.BlobMedia("application/octet-stream", data, name=f"random-{seed}.bin")


@anvil.server.callable
def sleep(seconds):
    time.sleep(seconds)
    return seconds


_gate = threading.Event()


@anvil.server.callable
def wait_for_gate(seconds):
    return _gate.wait(seconds)


@anvil.server.callable
def open_gate():
    _gate.set()
    return True


@anvil.server.callable
def progress(cap, steps):
    for step in range(steps):
        cap.send_update({"step": step})
        time.sleep(0.05)
    return "done"


@anvil.server.callable
def issue_capability(name):
    return anvil.server.Capability(["doc", name])


@anvil.server.callable
def read_capability(cap):
    return anvil.server.unwrap_capability(cap, ["doc", anvil.server.Capability.ANY, anvil.server.Capability.ANY])


@anvil.server.callable
def remember(key, value):
    anvil.server.session[key] = value


@anvil.server.callable
def recall(key):
    return anvil.server.session.get(key)


@anvil.server.callable
def session_id():
    return anvil.server.get_session_id()


@anvil.server.callable
def recall_after(key, seconds):
    """The session's value for ``key``, read after ``seconds`` (a call still running when the session is reset)."""
    time.sleep(seconds)
    return anvil.server.session.get(key)


_overlap_lock = threading.Lock()
_running = 0
_most_at_once = 0


@anvil.server.callable
def overlapping(seconds):
    """Sleeps, counting how many of these run at the same moment."""
    global _running, _most_at_once
    with _overlap_lock:
        _running += 1
        _most_at_once = max(_most_at_once, _running)
    time.sleep(seconds)
    with _overlap_lock:
        _running -= 1
    return seconds


@anvil.server.callable
def most_at_once():
    """The largest number of ``overlapping`` calls seen at once since the last reset."""
    global _most_at_once
    with _overlap_lock:
        seen, _most_at_once = _most_at_once, 0
    return seen


@anvil.server.callable
def session_id():
    return anvil.server.get_session_id()


_counted = []


@anvil.server.callable
def count_call(tag):
    """Records that a call got through (the embedding tests check that refused pages' calls never do)."""
    _counted.append(tag)


@anvil.server.callable
def counted_calls():
    return list(_counted)
