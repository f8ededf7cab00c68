"""The transport-neutral call core: every CALL, from a browser or an uplink, over any transport.

Lives here: the message reader (text/binary framing and media assembly, :mod:`.reader`), the one
incoming-call handler with its per-peer policies (:mod:`.handler`), the outbox (:mod:`.outbox`),
the dispatcher (:mod:`.dispatcher`), the call context server code sees (:mod:`.context`), the
function registry, capability MACs, forwarded output and app tracebacks.

May import: ``anvil`` (the shared package), :mod:`anvil_pyodide.config` and :mod:`anvil_pyodide.sessions`.
Never imports transports, uplink, tasks, web or assets (they import it).

Example:
    >>> from anvil_pyodide.calls.registry import FunctionRegistry
    >>> FunctionRegistry().register("ping", lambda: "pong").name
    'ping'
"""
