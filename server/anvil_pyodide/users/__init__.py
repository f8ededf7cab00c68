"""``anvil.users`` on the server: accounts in the state store, log-in on the session, ``require_user``.

Lives here: password hashing (:mod:`.passwords`), column values as store text (:mod:`.columns`), the
session's link to its user (:mod:`.session_link`), the service (:mod:`.service`), the server-side
``anvil.users`` names (:mod:`.api`) and the browser's private functions (:mod:`.private`).

May import: ``anvil``, :mod:`anvil_pyodide.config`, :mod:`anvil_pyodide.store`,
:mod:`anvil_pyodide.sessions` and :mod:`anvil_pyodide.calls` (``calls`` reaches the service only through the
dispatcher's ``users``, never by import), Starlette.

Example:
    >>> from anvil_pyodide.users.passwords import hash_password, verify_password
    >>> verify_password("correct horse", hash_password("correct horse"))
    True
"""
