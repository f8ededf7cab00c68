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

from typing import Any

from .._capability import Capability, updates_for


def apply_capability_updates(message: dict[str, Any], capabilities: list[Capability]) -> None:
    """Run the update handler of each capability this call sent whose scope has an update."""
    for cap, update in updates_for(message.get("capUpdates"), capabilities):
        cap._deliver(update)


def show_output(message: dict[str, Any]) -> None:
    """Print a server function's forwarded output to the browser console."""
    if isinstance(message.get("output"), str):
        print(message["output"], end="")
