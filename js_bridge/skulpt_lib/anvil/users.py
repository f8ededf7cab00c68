"""``anvil.users`` on the Skulpt runtime: sign-up, log-in and the logged-in user, with the same names, rows,
exceptions and behaviour as on Pyodide (client/anvil/users.py, client/anvil/_browser/users.py); the exceptions are
client/anvil/_user_errors.py itself (shared by both runtimes).

Each call runs one of the server's ``anvil.private.users.*`` functions. A log-in moves the page to the new server
session the server answers with; ``remember=True`` keeps the server's remembered-login token in ``localStorage``
(per server origin) and ``get_user()`` presents it, so the log-in outlives the browser's session. A same-origin
page also points its session cookie at the new session (HTTP endpoints see the user). ``logout()`` revokes every
remembered login of the user, here and elsewhere.

Example (in the Skulpt runtime, against a server with users):
    >>> user = signup_with_email("ada@example.com", "correct horse battery")
    >>> user["email"], get_user() == user
    ('ada@example.com', True)
"""

import _anvil_skulpt
from anvil._errors import PermissionDenied
from anvil._user_errors import (AccountIsNotEnabled, AuthenticationFailed, EmailNotConfirmed, PasswordNotAcceptable,
                                TooManyPasswordFailures, UserExists)
from anvil._portable import portable_class
from anvil.server import call

REMEMBER_PREFIX = "anvil-pyodide-remember "
PRIVATE = "anvil.private.users."


@portable_class("anvil.users.User")
class UserRow:
    """One user's columns, by name: a read-only snapshot in the browser (change users in server code).
    Iterating gives ``(column, value)`` pairs, as Anvil's rows do."""

    def __init__(self, user_id, columns):
        self._id = user_id
        self._columns = dict(columns)

    def get_id(self):
        """The user's id (stable, unique)."""
        return self._id

    def __getitem__(self, column):
        if column not in self._columns:
            raise KeyError("The users have no column " + repr(column) + " (columns: "
                           + ", ".join(sorted(self._columns)) + ")")
        return self._columns[column]

    def get(self, column, default=None):
        return self._columns.get(column, default)

    def keys(self):
        return list(self._columns)

    def items(self):
        return list(self._columns.items())

    def __iter__(self):
        return iter(self.items())

    def __contains__(self, column):
        return column in self._columns

    def __setitem__(self, column, value):
        self.update(**{column: value})

    def update(self, **columns):
        """Rows are read-only in the browser: PermissionDenied (as on Pyodide)."""
        raise PermissionDenied("This user row is read-only here: change users in server code, on the row "
                               "anvil.users.get_user() returns")

    def __eq__(self, other):
        return isinstance(other, UserRow) and other._id == self._id

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash("anvil.users.User " + self._id)

    def __repr__(self):
        return "<anvil.users.User " + self._id + " " + repr(self._columns.get("email")) + ">"

    def __serialize__(self, info):
        return {"id": self._id, "columns": self._columns}

    def __deserialize__(self, data, info):
        self._id, self._columns = str(data["id"]), dict(data["columns"])


User = UserRow


def remember_key(origin):
    """The ``localStorage`` key of a server's remembered login: ``remember_key(origin)``."""
    return REMEMBER_PREFIX + origin


def _storage():
    try:
        return _anvil_skulpt.global_this.localStorage  # blocked in some sandboxed frames
    except Exception:
        return None


def _remembered_token():
    storage = _storage()
    token = storage.getItem(remember_key(_anvil_skulpt.origin)) if storage is not None else None
    return str(token) if token else None


def _keep_token(token):
    storage = _storage()
    if storage is None:
        return
    try:
        if token:
            storage.setItem(remember_key(_anvil_skulpt.origin), token)
        else:
            storage.removeItem(remember_key(_anvil_skulpt.origin))
    except Exception:  # full or blocked storage: the login is kept for this page only
        pass


def _point_cookie_at(token):
    """Same-origin pages: requests carrying the session cookie (HTTP endpoints) follow the new session too."""
    window = _anvil_skulpt.global_this
    if str(window.location.origin) != _anvil_skulpt.origin:
        return  # another site's page: it gets no cookie of ours anyway
    try:
        _anvil_skulpt.await_promise(window.fetch(_anvil_skulpt.origin + "/_/session-cookie",
                                                 {"method": "POST", "body": token}))
    except Exception:  # calls keep working without the cookie
        pass


def _adopt(reply):
    """Follow the session the server moved this page to; keep or drop the remembered-login token."""
    if reply.get("session"):
        _anvil_skulpt.set_session_token(reply["session"])
        _point_cookie_at(reply["session"])
    if "remember" in reply:
        _keep_token(reply["remember"])
    return reply.get("user")


def signup_with_email(email, password, remember=False):
    """Create an account and log it in; raises UserExists or PasswordNotAcceptable."""
    return _adopt(call(PRIVATE + "signup_with_email", email, password, remember=bool(remember)))


def login_with_email(email, password, remember=False):
    """Log in; raises AuthenticationFailed (wrong address or password) or TooManyPasswordFailures."""
    return _adopt(call(PRIVATE + "login_with_email", email, password, remember=bool(remember)))


def get_user(allow_remembered=True):
    """The logged-in user (a row), or None; a remembered login of this browser logs in again."""
    token = _remembered_token() if allow_remembered else None
    return _adopt(call(PRIVATE + "get_user", token))


def logout():
    """Log out, and revoke this user's remembered logins everywhere."""
    _adopt(call(PRIVATE + "logout"))
    _keep_token(None)


def force_login(user, remember=False):
    raise RuntimeError("anvil.users.force_login is only available in server code")
