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


@anvil.server.callable
def note_then_sleep(path, seconds):
    """Appends a line to the file ``path`` (one per run), then sleeps."""
    with open(path, "a") as f:
        f.write("ran\n")
    time.sleep(seconds)
    return seconds


_quota_gate = threading.Event()


@anvil.server.callable
def wait_for_gate(seconds):
    return _quota_gate.wait(seconds)


@anvil.server.callable
def open_gate():
    _quota_gate.set()
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


# --- keyed arrivals and gates: the tests wait on these events instead of sleeping ---------------------------

_arrivals_lock = threading.Lock()
_arrivals: dict = {}
_gates: dict = {}


def _gate(key):
    with _arrivals_lock:
        return _gates.setdefault(key, threading.Event())


def _arrive(key):
    with _arrivals_lock:
        _arrivals[key] = _arrivals.get(key, 0) + 1
        return _arrivals[key]


@anvil.server.callable
def arrive(key):
    """Counts a call that reached the server; returns how many with this key so far."""
    return _arrive(key)


@anvil.server.callable
def arrivals(key):
    """How many ``arrive``/``hold`` calls with this key reached the server."""
    with _arrivals_lock:
        return _arrivals.get(key, 0)


@anvil.server.callable
def hold(key, limit=60):
    """Counts its arrival (and prints a marker to the server log), then waits for ``release(key)``."""
    count = _arrive(key)
    print(f"HOLDING {key} {count}", flush=True)
    return "released" if _gate(key).wait(limit) else "gave up"


@anvil.server.callable
def release(key):
    _gate(key).set()
    return True


@anvil.server.callable
def progress_held(cap, key, steps):
    """Sends ``{"step": i}`` updates, waiting for ``release(key)`` after the first; returns how many it sent."""
    for step in range(steps):
        cap.send_update({"step": step})
        if step == 0:
            _gate(key).wait(60)
    return steps


@anvil.server.callable
def shout(text):
    print(text)
    return "printed"


_barriers: dict = {}


@anvil.server.callable
def meet(key, parties):
    """Returns "met" once ``parties`` calls with this key wait at the same moment ("alone" after 60 s)."""
    with _arrivals_lock:
        barrier = _barriers.setdefault(key, threading.Barrier(parties))
    try:
        barrier.wait(60)
    except threading.BrokenBarrierError:
        return "alone"
    return "met"


_counted = []


@anvil.server.callable
def count_call(tag):
    """Records that a call got through (the embedding tests check that refused pages' calls never do)."""
    _counted.append(tag)


@anvil.server.callable
def counted_calls():
    return list(_counted)
