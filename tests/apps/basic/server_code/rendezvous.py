"""Functions that wait for each other, to prove calls overlap without measuring time."""

import threading

import anvil.server

_lock = threading.Lock()
_events: dict[str, threading.Event] = {}
_barriers: dict[str, threading.Barrier] = {}

#: Backstop so a broken test never leaves a thread waiting forever.
WAIT_LIMIT = 20


def event(key):
    with _lock:
        return _events.setdefault(key, threading.Event())


@anvil.server.callable
def meet(key, parties=2):
    """Returns "met" once ``parties`` calls with this key are all waiting at the same time."""
    with _lock:
        barrier = _barriers.setdefault(key, threading.Barrier(parties))
    try:
        barrier.wait(WAIT_LIMIT)
    except threading.BrokenBarrierError:
        return "alone"
    return "met"


@anvil.server.callable
def wait_for(key):
    """Blocks until ``release(key)``; returns "released" (or "gave up" at the backstop)."""
    event("started:" + key).set()
    return "released" if event(key).wait(WAIT_LIMIT) else "gave up"


@anvil.server.callable
def has_started(key):
    """Whether a ``wait_for(key)`` is running (or ran)."""
    return event("started:" + key).is_set()


@anvil.server.callable
def release(key):
    event(key).set()
    return True


@anvil.server.callable
def is_released(key):
    return event(key).is_set()


@anvil.server.http_endpoint("/release/:key")
def release_over_http(key):
    """``release(key)`` from outside the call quotas (an HTTP endpoint is not a CALL)."""
    event(key).set()
    return "released"
