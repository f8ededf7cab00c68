"""Types the demo's browser and server code share (imported on both sides)."""

import datetime

import anvil.server


@anvil.server.portable_class("demo.Task")
class Task:
    """A to-do item that crosses between browser and server as itself."""

    def __init__(self, title, due=None, done=False):
        self.title, self.due, self.done = title, due, done

    @property
    def overdue(self):
        return not self.done and self.due is not None and self.due < datetime.date.today()

    def __repr__(self):
        return f"Task({self.title!r}, due={self.due!r}, done={self.done!r})"


class TaskRejected(anvil.server.AnvilWrappedError):
    """Raised by the server when a task cannot be added; caught in the browser by class."""


anvil.server._register_exception_type("demo.TaskRejected", TaskRejected)
