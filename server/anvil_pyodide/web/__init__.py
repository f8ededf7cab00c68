"""HTTP for server code: ``@anvil.server.http_endpoint`` (``/_/api/...``), ``@anvil.server.route``
(app paths), ``anvil.server.request`` and the responses server code returns.

May import: ``calls``, ``sessions``, ``config``, ``assets`` (a route may answer with the app page), Starlette.

Example:
    >>> from anvil_pyodide.web.paths import check_template
    >>> check_template("/users/:id")
    '/users/:id'
"""
