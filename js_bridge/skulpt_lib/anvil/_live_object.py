"""LiveObject on Skulpt: a reference to an object that lives on the server (a background Task), as on Pyodide
(client/anvil/_live_object.py). Its methods are server calls (``liveObjectCall``).

Example (in the Skulpt runtime):
    >>> task = LiveObjectProxy({"backend": "anvil.server.Task", "id": "t1", "methods": ["get_state"]})
    >>> task.backend, task.id, callable(task.get_state)
    ('anvil.server.Task', 't1', True)
"""


class LiveObjectProxy:
    """A live object received from the server; send it back and it refers to the same object."""

    def __init__(self, spec):
        self._spec = dict((key, value) for key, value in spec.items() if key not in ("type", "path"))

    @property
    def backend(self):
        return self._spec["backend"]

    @property
    def id(self):
        return self._spec["id"]

    def __getattr__(self, name):
        """A method the object offers (its spec's ``methods``), called on the server."""
        if name.startswith("_") or name not in (self._spec.get("methods") or ()):
            raise AttributeError(repr(self) + " has no attribute " + repr(name))
        obj = self

        def method(*args, **kwargs):
            import anvil.server
            return anvil.server.blocking_call(name, args, kwargs, False, obj._wire_spec())
        return method

    def _wire_spec(self):
        import json
        return json.loads(json.dumps(self._spec))

    def __eq__(self, other):
        return isinstance(other, LiveObjectProxy) and (self.backend, self.id) == (other.backend, other.id)

    def __hash__(self):
        return hash((self.backend, self.id))

    def __repr__(self):
        return "<LiveObject: " + str(self.backend) + " " + str(self.id) + ">"
