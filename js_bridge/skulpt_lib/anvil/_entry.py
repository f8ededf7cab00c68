"""Starting a page at a route's entry (``anvil.server.FormResponse`` on the server) on the Skulpt runtime, as
client/anvil/_browser/entry.py does on Pyodide.

The server puts ``{"entry": ..., "args": [...], "kwargs": {...}}`` in wire-codec JSON into the page as
``<script type="application/json" id="anvil-pyodide-entry">``. ``"module:function"`` calls that function with the
arguments; ``"module"`` runs the module as ``__main__`` with the globals ``entry_args`` (a tuple) and
``entry_kwargs`` (a dict): js_bridge/skulpt_runtime.mjs does that part (Skulpt has no ``runpy`` or ``exec``).

Example (in the Skulpt runtime):
    >>> decode_entry('{"entry": "m:f", "args": [null], "kwargs": {},'
    ...              ' "objects": [{"path": ["args", 0], "type": ["Date"], "value": "2024-05-01"}]}')
    ('m', 'f', (datetime.date(2024, 5, 1),), {})
"""

import _anvil_skulpt
from anvil._codec import decode_message


def import_module(name):
    """The module ``name`` (dotted names too), imported."""
    module = _anvil_skulpt.import_top(name)
    for part in name.split(".")[1:]:
        module = getattr(module, part)
    return module


def decode_entry(text):
    """``(module, function or None, args, kwargs)`` from the entry's JSON text; portable classes' modules are
    imported as their objects are decoded. ValueError for a malformed entry."""
    message = decode_message(_anvil_skulpt.json_loads(text), None, import_module)
    entry = message.get("entry")
    if not isinstance(entry, str) or not isinstance(message.get("args"), list) or not isinstance(message.get("kwargs"), dict):
        raise ValueError("The page's entry is malformed")
    module_name, _, function_name = entry.partition(":")
    return module_name, function_name or None, tuple(message["args"]), message["kwargs"]


def page_entry(element_id):
    """The entry of this page, from the element ``element_id`` (see ``decode_entry``)."""
    return decode_entry(str(_anvil_skulpt.global_this.document.getElementById(element_id).textContent))


def run_function_entry(module_name, function_name, args, kwargs):
    """Call ``module_name.function_name(*args, **kwargs)``."""
    return getattr(import_module(module_name), function_name)(*args, **kwargs)
