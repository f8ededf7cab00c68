"""The demo's server functions: a small task list with reports, uploads and a long job."""

import datetime
import hashlib
import threading
import time

import anvil
import anvil.server
from models import Task, TaskRejected

_lock = threading.Lock()
_tasks = [
    Task("Write the quarterly report", datetime.date.today() + datetime.timedelta(days=3)),
    Task("Renew the domain name", datetime.date.today() - datetime.timedelta(days=1)),
    Task("Order team lunch", None, done=True),
]


@anvil.server.callable
def list_tasks():
    """Every task, newest last."""
    with _lock:
        return list(_tasks)


@anvil.server.callable
def add_task(task):
    """Add a Task sent from the browser; returns the stored Task."""
    if not isinstance(task, Task):
        raise TypeError("add_task expects a Task")
    title = task.title.strip()
    if not title:
        raise TaskRejected("A task needs a title")
    if any(t.title.lower() == title.lower() for t in _tasks):
        raise TaskRejected(f"There is already a task called {title!r}")
    stored = Task(title, task.due, bool(task.done))
    with _lock:
        _tasks.append(stored)
    return stored


@anvil.server.callable
def slow_report(seconds=2.0):
    """A report that takes a while (the page shows the global spinner)."""
    time.sleep(seconds)
    with _lock:
        done = sum(t.done for t in _tasks)
        return {"generated": datetime.datetime.now(datetime.timezone.utc), "tasks": len(_tasks), "done": done}


@anvil.server.callable
def refresh_card(seconds=1.2):
    """Slow data for one card (the page covers just that card)."""
    time.sleep(seconds)
    return {"visitors": 1200 + int(time.time()) % 97, "at": datetime.datetime.now(datetime.timezone.utc)}


@anvil.server.callable
def ping():
    return "pong"


@anvil.server.callable
def save_notes(text):
    """Autosaved notes, kept in this browser's session."""
    anvil.server.session["notes"] = text
    return len(text)


@anvil.server.callable
def load_notes():
    return anvil.server.session.get("notes", "")


@anvil.server.callable
def long_job(progress, steps=10):
    """Reports progress through the capability the browser passed in."""
    for step in range(1, steps + 1):
        time.sleep(0.15)
        progress.send_update({"done": step, "of": steps})
    return f"Processed {steps} batches"


@anvil.server.callable
def describe_upload(media):
    data = media.get_bytes()
    return {"name": media.name, "type": media.content_type, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


@anvil.server.callable
def make_download(text):
    """A text file made on the server, sent to the browser as Media."""
    body = f"Exported {datetime.datetime.now():%Y-%m-%d %H:%M}\n\n{text}\n".encode()
    return anvil.BlobMedia("text/plain", body, name="export.txt")


@anvil.server.callable
def fail_on_purpose():
    raise ValueError("The server could not do that (this error is on purpose)")


@anvil.server.callable
def server_time():
    return datetime.datetime.now(datetime.timezone.utc)


@anvil.server.callable
def issue_progress_token():
    """A capability the browser passes to long_job to receive its progress."""
    import uuid
    return anvil.server.Capability(["progress", uuid.uuid4().hex])
