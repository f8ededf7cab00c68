"""``anvil.private.background_tasks.*``: what anvil-uplink's ``launch_background_task``,
``get_background_task`` and ``list_background_tasks`` call on the server.

Only trusted callers (server code, server uplinks) may use them: a browser or a client uplink
gets ``PermissionDenied``.

Example:
    >>> sorted(PRIVATE_FUNCTIONS)
    ['anvil.private.background_tasks.get_by_id', 'anvil.private.background_tasks.launch', 'anvil.private.background_tasks.list']
"""

from __future__ import annotations

from typing import Any, Callable

from anvil._errors import PermissionDenied

from ..calls.context import require_call
from . import api as task_api


def _trusted_only(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        caller = require_call("A background task request").context.remote_caller
        if caller is None or not caller.is_trusted:
            raise PermissionDenied("Only server code can launch or look up background tasks")
        return fn(*args, **kwargs)
    run.__name__ = fn.__name__
    return run


PRIVATE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "anvil.private.background_tasks.launch": _trusted_only(task_api.launch_background_task),
    "anvil.private.background_tasks.get_by_id": _trusted_only(task_api.get_background_task),
    "anvil.private.background_tasks.list": _trusted_only(task_api.list_background_tasks),
}
