"""The one rule for changing a task record, shared by every store.

Example:
    >>> from .base import StoredTask
    >>> task = apply_task_update(StoredTask("t1", "crunch", 1.0), 5.0, status="failed", error='{"type": "X"}')
    >>> task.status, task.ended, task.error
    ('failed', 5.0, '{"type": "X"}')
"""

from __future__ import annotations

from dataclasses import replace

from .base import StoredTask, final_status


def apply_task_update(task: StoredTask, now: float, *, state: str | None = None, status: str | None = None,
                      value: str | None = None, error: str | None = None) -> StoredTask:
    """The record after this update (``status``, when given, must be a final one: the task ends at ``now``)."""
    if status is not None and not final_status(status):
        raise ValueError(f"a task can only end with completed, failed, killed or missing, not {status!r}")
    changed = replace(task)
    if state is not None:
        changed.state = state
    if status is not None:
        changed.status, changed.value, changed.error, changed.ended = status, value, error, now
    return changed
