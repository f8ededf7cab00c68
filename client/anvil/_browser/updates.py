"""Applying what arrives for a call besides its result: capability updates and forwarded output.

Example:
    >>> from anvil._capability import Capability
    >>> cap = Capability(["doc", 1], mac="m")
    >>> seen = []
    >>> cap.set_update_handler(seen.append)
    >>> apply_capability_updates({"capUpdates": {'["doc",1]': {"p": 50}}}, [cap])
    >>> seen
    [{'p': 50}]
"""

from __future__ import annotations

import json
from typing import Any

from .._capability import Capability


def normalise_scope_key(key: str) -> str:
    """The JSON of a scope, re-dumped so different JSON spacing matches."""
    return json.dumps(json.loads(key))


def apply_capability_updates(message: dict[str, Any], capabilities: list[Capability]) -> None:
    """Run the update handler of each capability this call sent whose scope has an update."""
    updates = message.get("capUpdates")
    if not isinstance(updates, dict):
        return
    by_scope = {}
    for key, update in updates.items():
        try:
            by_scope[normalise_scope_key(key)] = update
        except ValueError:
            continue
    for cap in capabilities:
        update = by_scope.get(json.dumps(cap.scope))
        if update is not None:
            cap._deliver(update)


def show_output(message: dict[str, Any]) -> None:
    """Print a server function's forwarded output to the browser console."""
    if isinstance(message.get("output"), str):
        print(message["output"], end="")
