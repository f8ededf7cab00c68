"""Thin adapters between a network endpoint and the call core: ``/_/ws`` (browsers), ``/_/uplink``
(anvil-uplink scripts) and ``/_/server-call-http`` (a CALL over one HTTP POST).

Each adapter accepts the connection, finds its session, feeds frames to one
:class:`~anvil_pyodide.calls.reader.MessageReader` and writes what the peer's outbox holds. A new
transport is one more module here.

May import: ``calls``, ``sessions``, ``uplink``, ``config``, ``origins`` (which pages may connect), Starlette. Nothing imports it but :mod:`anvil_pyodide.app`.

Example:
    >>> from anvil_pyodide.transports.http_framing import closing
    >>> closing("b")
    b'--b--\\r\\n'
"""
