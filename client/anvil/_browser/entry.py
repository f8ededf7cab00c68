"""Starting a page at a route's entry (``anvil.server.FormResponse`` on the server) instead of its main module.

The server puts ``{"entry": ..., "args": [...], "kwargs": {...}}`` in wire-codec JSON into the page as
``<script type="application/json" id="anvil-pyodide-entry">``; the runtime calls :func:`run_page_entry`.
``"module:function"`` calls that function with the arguments; ``"module"`` runs the module as ``__main__``
with the globals ``entry_args`` (a tuple) and ``entry_kwargs`` (a dict).

Example:
    >>> import datetime as dt, json
    >>> from anvil._wire import encode_message
    >>> text = json.dumps(encode_message({"entry": "m:f", "args": [dt.date(2024, 5, 1)], "kwargs": {"n": 2**70}}).message)
    >>> decode_entry(text)
    ('m:f', (datetime.date(2024, 5, 1),), {'n': 1180591620717411303424})
"""

from __future__ import annotations

import importlib
import inspect
import json
import runpy
from typing import Any

from .._wire import decode_message


def decode_entry(text: str) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """``(entry, args, kwargs)`` from the page element's text; portable classes' modules are imported."""
    message = decode_message(json.loads(text), import_module=importlib.import_module).message
    entry = message.get("entry")
    if not isinstance(entry, str) or not isinstance(message.get("args"), list) or not isinstance(message.get("kwargs"), dict):
        raise ValueError("The page's entry is malformed")
    return entry, tuple(message["args"]), message["kwargs"]


def run_entry(entry: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call ``module:function(*args, **kwargs)``, or run ``module`` as ``__main__`` with ``entry_args`` and
    ``entry_kwargs`` as globals. A coroutine function's coroutine is scheduled on the page's event loop."""
    module_name, _, function_name = entry.partition(":")
    if not function_name:
        return runpy.run_module(module_name, init_globals={"entry_args": args, "entry_kwargs": kwargs},
                                run_name="__main__")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(*args, **kwargs)
    if inspect.isawaitable(result):
        import asyncio

        return asyncio.ensure_future(result)
    return result


def run_page_entry(element_id: str) -> Any:
    """Read the entry from the page element ``element_id`` and run it."""
    import js

    element = js.document.getElementById(element_id)
    return run_entry(*decode_entry(str(element.textContent)))
