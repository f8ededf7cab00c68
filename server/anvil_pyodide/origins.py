"""Which web pages may use this server: pages of its own origin, and pages of the origins listed with
``--allow-origin`` (or ``ANVIL_PYODIDE_ALLOW_ORIGINS``). One policy serves ``/_/ws``,
``/_/server-call-http`` and the CORS headers of what an embedding page loads.

Origins compare exactly by scheme, host and port (``http://a.example`` is not ``https://a.example``,
nor ``http://a.example:8080``); a request without an ``Origin`` header is not from a web page and is let
through (it carries no visitor's cookies).

Example:
    >>> policy = OriginPolicy.of(["https://www.example.com", "http://localhost:3000/"])
    >>> policy.allows("https://www.example.com", own="https://app.example.com")
    True
    >>> policy.allows("http://www.example.com", own="https://app.example.com")
    False
    >>> policy.allows("https://app.example.com:443", own="https://app.example.com")
    True
    >>> policy.allows(None, own="https://app.example.com"), policy.allows("null", own="http://x")
    (True, False)
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

log = logging.getLogger("anvil_pyodide.origins")

#: The environment variable listing allowed origins (separated by commas and/or spaces).
ALLOW_ORIGINS_ENV = "ANVIL_PYODIDE_ALLOW_ORIGINS"
#: The command-line option that adds one allowed origin.
ALLOW_ORIGIN_OPTION = "--allow-origin"
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(text: str) -> str:
    """An origin as browsers send it in ``Origin`` (lower case, no default port, no trailing slash);
    ``ValueError`` for anything that is not ``scheme://host[:port]``.

    Example:
        >>> normalize_origin("HTTPS://WWW.Example.com:443/")
        'https://www.example.com'
        >>> normalize_origin("http://127.0.0.1:8000")
        'http://127.0.0.1:8000'
        >>> normalize_origin("www.example.com")
        Traceback (most recent call last):
        ...
        ValueError: 'www.example.com' is not an origin: write it as scheme://host[:port], e.g. https://www.example.com
    """
    parts = urlsplit(text.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (scheme not in DEFAULT_PORTS or not parts.hostname or port == -1 or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username or parts.password):
        raise ValueError(f"{text!r} is not an origin: write it as scheme://host[:port], e.g. https://www.example.com")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def request_origin(scheme: str, host_header: str) -> str | None:
    """This server's origin as a request reached it (``ws``/``wss`` count as ``http``/``https``).

    Example:
        >>> request_origin("wss", "App.Example.com:443"), request_origin("http", "")
        ('https://app.example.com', None)
    """
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    try:
        return normalize_origin(f"{scheme}://{host_header}") if host_header else None
    except ValueError:
        return None


def split_origins(text: str) -> list[str]:
    """The origins in an environment value (commas and/or white space between them).

    Example:
        >>> split_origins(" https://a.example, http://b.example:81  https://c.example ")
        ['https://a.example', 'http://b.example:81', 'https://c.example']
    """
    return [item for item in re.split(r"[\s,]+", text) if item]


@dataclass(frozen=True)
class OriginPolicy:
    """The origins (normalized) whose pages may use the server besides its own."""

    allowed: tuple[str, ...] = ()

    @classmethod
    def of(cls, origins: Iterable[str]) -> "OriginPolicy":
        """The policy for ``origins`` (``ValueError`` naming the first one that is not an origin)."""
        return cls(tuple(dict.fromkeys(normalize_origin(origin) for origin in origins)))

    @classmethod
    def from_settings(cls, options: Iterable[str] | None, environ: Mapping[str, str] = os.environ) -> "OriginPolicy":
        """The command line's ``--allow-origin`` values plus those in ``ANVIL_PYODIDE_ALLOW_ORIGINS``."""
        return cls.of([*split_origins(environ.get(ALLOW_ORIGINS_ENV, "")), *(options or [])])

    def allows(self, origin: str | None, own: str | None) -> bool:
        """May a page of ``origin`` (the request's ``Origin`` header) use a server reached as ``own``?"""
        if origin is None:
            return True
        try:
            origin = normalize_origin(origin)
        except ValueError:  # "null" (sandboxed frames, file: pages) and garbage
            return False
        return origin == own or origin in self.allowed

    def refusal(self, origin: str | None) -> str:
        """What a refused page is told.

        Example:
            >>> OriginPolicy().refusal("http://localhost:3000")
            "This app's server does not let pages of http://localhost:3000 use it: start the server with --allow-origin http://localhost:3000 (or list the origin in ANVIL_PYODIDE_ALLOW_ORIGINS)"
        """
        return (f"This app's server does not let pages of {origin} use it: start the server with "
                f"{ALLOW_ORIGIN_OPTION} {origin} (or list the origin in {ALLOW_ORIGINS_ENV})")


#: Refused origins are logged once each, up to this many (a flood of made-up origins cannot fill the log).
MAX_LOGGED_REFUSALS = 100
_logged_refusals: set[str] = set()


def refused_origin(connection: HTTPConnection, policy: OriginPolicy) -> str | None:
    """The ``Origin`` of a request (or WebSocket) that ``policy`` refuses, else None (allowed, or not from a
    page). The first refusal of each origin is logged."""
    origin = connection.headers.get("origin")
    own = request_origin(connection.url.scheme, connection.headers.get("host", ""))
    if policy.allows(origin, own):
        return None
    if origin not in _logged_refusals and len(_logged_refusals) < MAX_LOGGED_REFUSALS:
        _logged_refusals.add(origin)
        log.warning("refused %s %s from a page of %s (logged once per origin). %s", connection.scope["type"],
                    connection.url.path, origin, policy.refusal(origin))
    return origin
