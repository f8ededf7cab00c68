"""Shared by the tasks test app's server, its task processes and the tests: a custom error type."""

import anvil.server


class TaskFailed(anvil.server.AnvilWrappedError):
    pass


anvil.server._register_exception_type("tasks_shared.TaskFailed", TaskFailed)
