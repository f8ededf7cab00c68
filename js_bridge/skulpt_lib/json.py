"""``json`` for Skulpt's Python (Skulpt's own is a stub), on the runtime's JSON, which keeps int and float apart.

Example (in the Skulpt runtime):
    >>> loads('{"a": [1, 1.0, null]}')
    {'a': [1, 1.0, None]}
    >>> dumps({"a": [1, 2.5, True]})
    '{"a":[1,2.5,true]}'
"""

import _anvil_skulpt


def loads(text, **kwargs):
    """The Python value of JSON ``text`` (str); ValueError for text that is not JSON."""
    return _anvil_skulpt.json_loads(text)


def dumps(value, **kwargs):
    """Compact JSON text of None, bool, int, float, str, list, tuple and dicts with str keys."""
    return _anvil_skulpt.json_dumps(value)
