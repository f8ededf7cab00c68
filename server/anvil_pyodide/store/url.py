"""``--store URL`` (or ``ANVIL_PYODIDE_STORE``): which store to open.

* ``sqlite:///PATH`` — a SQLite file; ``PATH`` is relative to the current folder, absolute with a
  fourth slash (``sqlite:////var/lib/app/state.sqlite3``). The default is
  ``APP_DIR/.anvil-data/state.sqlite3``.
* ``redis://[:PASSWORD@]HOST:PORT/DB`` (also ``rediss://`` for TLS, ``unix:///PATH?db=N``) — Redis;
  redis-py's URL options (``?socket_timeout=2``) apply.
* ``memory`` — this process's memory.

Example:
    >>> describe_store_url("sqlite:///data/state.sqlite3")
    ('sqlite', 'data/state.sqlite3')
    >>> describe_store_url("redis://127.0.0.1:6379/2")
    ('redis', 'redis://127.0.0.1:6379/2')
    >>> describe_store_url("postgres://db/app")
    Traceback (most recent call last):
    ...
    anvil_pyodide.store.url.StoreUrlError: unknown store 'postgres://db/app': use sqlite:///PATH, redis://HOST:PORT/DB or memory
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from .base import Store, StoreSettings

#: The environment variable that sets the store when ``--store`` is not given.
STORE_ENV = "ANVIL_PYODIDE_STORE"
#: Where the default SQLite file lives, relative to the app folder.
DEFAULT_DATA_DIR = ".anvil-data"

EXPECTED = "use sqlite:///PATH, redis://HOST:PORT/DB or memory"


class StoreUrlError(ValueError):
    """A store URL this server cannot use; the message says what is wrong and what would work."""


def default_store_url(app_dir: Path) -> str:
    """The default: a SQLite file in the app folder's ``.anvil-data``.

    Example:
        >>> default_store_url(Path("/srv/app"))
        'sqlite:////srv/app/.anvil-data/state.sqlite3'
    """
    return f"sqlite:///{Path(app_dir) / DEFAULT_DATA_DIR / 'state.sqlite3'}"


def describe_store_url(url: str) -> tuple[str, str]:
    """``(kind, target)`` for a store URL: kind is "memory", "sqlite" or "redis"; raises StoreUrlError."""
    text = url.strip()
    if text == "memory":
        return "memory", ""
    if text.startswith("sqlite:"):
        if not text.startswith("sqlite:///") or len(text) == len("sqlite:///"):
            raise StoreUrlError(f"bad SQLite store {url!r}: write sqlite:///relative/path.sqlite3 or "
                                f"sqlite:////absolute/path.sqlite3")
        return "sqlite", text[len("sqlite:///"):]
    scheme = urlsplit(text).scheme
    if scheme in ("redis", "rediss", "unix"):
        _check_redis(text)
        return "redis", text
    raise StoreUrlError(f"unknown store {url!r}: {EXPECTED}")


def _check_redis(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        if not parts.path:
            raise StoreUrlError(f"bad Redis store {url!r}: write unix:///path/to/redis.sock?db=N")
        return
    try:
        parts.port
    except ValueError as e:
        raise StoreUrlError(f"bad Redis store {url!r}: the port is not a number ({e})") from None
    if not parts.hostname:
        raise StoreUrlError(f"bad Redis store {url!r}: no host (write redis://HOST:PORT/DB)")
    db = parts.path.lstrip("/")
    if db and not db.isdigit():
        raise StoreUrlError(f"bad Redis store {url!r}: the database {db!r} is not a number (write redis://HOST:PORT/DB)")


def open_store(url: str, settings: StoreSettings | None = None) -> Store:
    """The store for this URL, not yet opened (call ``await store.open()``); raises StoreUrlError.

    The Redis store needs the ``redis`` package (``pip install 'anvil-pyodide[redis]'``).

    Example:
        >>> open_store("memory").description
        'memory'
    """
    kind, target = describe_store_url(url)
    if kind == "memory":
        from .memory import MemoryStore
        return MemoryStore(settings)
    if kind == "sqlite":
        from .sqlite import SqliteStore
        return SqliteStore(Path(target), settings)
    try:
        import redis  # noqa: F401
    except ImportError:
        raise StoreUrlError(f"the Redis store {url!r} needs the redis package: "
                            f"pip install 'anvil-pyodide[redis]'") from None
    from .redis_store import RedisStore
    return RedisStore(target, settings)
