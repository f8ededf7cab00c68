"""``anvil.server.request``: the HTTP request an endpoint or a route is answering.

Example:
    >>> req = HttpRequest(method="POST", path="/items/7", headers={"content-type": "application/json",
    ...                   "authorization": "Basic YWRhOnMzY3JldA=="}, body=b'{"n": 1}')
    >>> req.body_json, req.body.content_type, req.username, req.password
    ({'n': 1}, 'application/json', 'ada', 's3cret')
    >>> HttpRequest(method="GET", path="/").body is None
    True
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import json
from typing import Any

from anvil._media import BlobMedia


def parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    """``(username, password)`` from an ``Authorization: Basic …`` header, or None if absent or malformed.

    Example:
        >>> parse_basic_auth("Basic YWRhOnB3OmQ="), parse_basic_auth("Bearer x"), parse_basic_auth("Basic %%")
        (('ada', 'pw:d'), None, None)
    """
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


def is_json_type(content_type: str | None) -> bool:
    """True for ``application/json`` (with or without parameters such as ``charset``)."""
    return (content_type or "").split(";")[0].strip().lower() == "application/json"


class HttpRequest:
    """One HTTP request. ``headers`` have lower-case names; ``body`` is Media (None when empty);
    ``body_json`` is the decoded body only for ``application/json`` requests, else None; ``username`` and
    ``password`` come from HTTP Basic auth; ``user`` is always None (there is no user service)."""

    def __init__(self, method: str, path: str, headers: dict[str, str] | None = None,
                 query_params: dict[str, str] | None = None, form_params: dict[str, str] | None = None,
                 body: bytes = b"", remote_address: str | None = None, origin: str | None = None) -> None:
        self.method, self.path = method, path
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.query_params = dict(query_params or {})
        self.form_params = dict(form_params or {})
        self.body_bytes = body
        self.remote_address, self.origin, self.user = remote_address, origin, None
        self.body_json = json.loads(body) if body and is_json_type(self.content_type) else None
        self.username, self.password = parse_basic_auth(self.headers.get("authorization")) or (None, None)

    def __repr__(self) -> str:
        return f"<HttpRequest {self.method} {self.path}>"

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def body(self) -> BlobMedia | None:
        if not self.body_bytes:
            return None
        return BlobMedia(self.content_type or "application/octet-stream", self.body_bytes)


current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("anvil_http_request", default=None)


class RequestProxy:
    """``anvil.server.request``: the request being answered by whichever endpoint or route is running.

    Example:
        >>> try:
        ...     request.method
        ... except RuntimeError as e:
        ...     print(e)
        anvil.server.request is only available while an HTTP endpoint or route is running
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        found = current_request.get()
        if found is None:
            raise RuntimeError("anvil.server.request is only available while an HTTP endpoint or route is running")
        return getattr(found, name)

    def __repr__(self) -> str:
        found = current_request.get()
        return f"<anvil.server.request {found.method} {found.path}>" if found else "<anvil.server.request (none)>"


request = RequestProxy()
