"""What an HTTP endpoint's return value becomes: ``anvil.server.HttpResponse`` and the conversion of
str (``text/plain``), Media (a file, with its content type), None (an empty 200) and JSON-able values.

Example:
    >>> to_response({"n": 1}).body, to_response("hi").headers["content-type"]
    (b'{"n": 1}', 'text/plain; charset=utf-8')
    >>> r = to_response(HttpResponse(201, "made", {"X-Id": "7"}))
    >>> r.status_code, r.body, r.headers["x-id"]
    (201, b'made', '7')
"""

from __future__ import annotations

import json
import re
from typing import Any

from anvil._media import Media
from starlette.responses import Response

TEXT = "text/plain; charset=utf-8"


class HttpResponse:
    """``anvil.server.HttpResponse(status=200, body="", headers=None)``: full control of the answer.

    ``body`` is a str (sent as ``text/plain`` unless ``headers`` set a Content-Type), bytes
    (``application/octet-stream``), Media (its content type) or any JSON-able value (``application/json``).
    ``headers`` is a dict you may also change after creating the response.
    """

    def __init__(self, status: int = 200, body: Any = "", headers: dict[str, str] | None = None) -> None:
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"HttpResponse status must be an int from 100 to 599, not {status!r}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status}>"


def body_and_type(value: Any) -> tuple[bytes, str]:
    """The bytes to send for a value and their default Content-Type.

    Example:
        >>> from anvil import BlobMedia
        >>> body_and_type(BlobMedia("image/png", b"\\x89PNG")), body_and_type(None)
        ((b'\\x89PNG', 'image/png'), (b'', 'text/plain; charset=utf-8'))
    """
    if value is None:
        return b"", TEXT
    if isinstance(value, str):
        return value.encode("utf-8"), TEXT
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), "application/octet-stream"
    if isinstance(value, Media):
        return value.get_bytes(), value.get_content_type() or "application/octet-stream"
    try:
        return json.dumps(value, allow_nan=False).encode("utf-8"), "application/json"
    except (TypeError, ValueError) as e:
        raise TypeError(f"An HTTP endpoint cannot return {type(value).__name__} ({e}); return a str, Media, "
                        "HttpResponse or a JSON-able value") from None


def to_response(value: Any) -> Response:
    """The Starlette response for an endpoint's return value."""
    response = value if isinstance(value, HttpResponse) else HttpResponse(200, value)
    body, content_type = body_and_type(response.body)
    headers = checked_headers(response.headers)
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = content_type
    media = response.body if isinstance(response.body, Media) else None
    if media is not None and media.get_name() and not any(k.lower() == "content-disposition" for k in headers):
        headers["Content-Disposition"] = content_disposition(media.get_name())
    return Response(body, status_code=response.status, headers=headers)


class InvalidResponse(ValueError):
    """An endpoint's answer cannot be sent as it is (answered 500; the reason goes to the server log)."""


#: Characters a header name may have (RFC 9110 ``token``).
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
FORBIDDEN_IN_VALUES = re.compile(r"[\r\n\0]")


def checked_headers(headers: dict[Any, Any]) -> dict[str, str]:
    """``headers`` as strings, or InvalidResponse naming the first one that would break the HTTP framing.

    Example:
        >>> checked_headers({"X-N": 7})
        {'X-N': '7'}
        >>> try:
        ...     checked_headers({"X-Next": "a\\r\\nSet-Cookie: evil=1"})
        ... except InvalidResponse as e:
        ...     print(e)
        HttpResponse header 'X-Next' has a CR, LF or NUL in its value
    """
    checked = {}
    for name, value in headers.items():
        name, value = str(name), str(value)
        if not TOKEN.fullmatch(name):
            raise InvalidResponse(f"HttpResponse header name {name!r} is not a valid HTTP header name")
        if FORBIDDEN_IN_VALUES.search(value):
            raise InvalidResponse(f"HttpResponse header {name!r} has a CR, LF or NUL in its value")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise InvalidResponse(f"HttpResponse header {name!r} has a character outside Latin-1 in its value; "
                                  "encode it (e.g. urllib.parse.quote)") from None
        checked[name] = value
    return checked


def content_disposition(name: str) -> str:
    """An ``inline`` Content-Disposition carrying a file name (RFC 6266, UTF-8 safe).

    Example:
        >>> content_disposition("résumé.pdf")
        'inline; filename="r_sum_.pdf"; filename*=UTF-8\\'\\'r%C3%A9sum%C3%A9.pdf'
    """
    from urllib.parse import quote

    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
