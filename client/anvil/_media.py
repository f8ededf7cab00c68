"""Media: binary content with a MIME type and an optional name.

Example:
    >>> m = BlobMedia("text/plain", b"hello", name="hello.txt")
    >>> (m.content_type, m.name, m.length, m.get_bytes())
    ('text/plain', 'hello.txt', 5, b'hello')
"""

from __future__ import annotations


class Media:
    """The Media interface: subclasses provide ``get_content_type``, ``get_bytes`` and ``get_name``."""

    def get_content_type(self) -> str:
        raise TypeError(f"{type(self).__name__} does not define get_content_type()")

    def get_bytes(self) -> bytes:
        raise TypeError(f"{type(self).__name__} does not define get_bytes()")

    def get_name(self) -> str | None:
        return None

    def get_url(self, download: bool = True) -> str | None:
        return None

    def get_length(self) -> int:
        return len(self.get_bytes())

    @property
    def content_type(self) -> str:
        return self.get_content_type()

    @property
    def name(self) -> str | None:
        return self.get_name()

    @property
    def length(self) -> int:
        return self.get_length()

    @property
    def url(self) -> str | None:
        return self.get_url()


class BlobMedia(Media):
    """Media held in memory. ``content`` is bytes (a str is encoded as UTF-8).

    Example:
        >>> BlobMedia("application/octet-stream", bytearray(b"\\x00\\xff")).get_bytes()
        b'\\x00\\xff'
    """

    def __init__(self, content_type: str = "application/octet-stream", content: bytes | str = b"",
                 name: str | None = None) -> None:
        if not isinstance(content_type, str):
            raise TypeError(f"BlobMedia content_type must be a str, not {type(content_type).__name__}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"BlobMedia name must be a str or None, not {type(name).__name__}")
        if isinstance(content, str):
            content = content.encode("utf-8")
        elif isinstance(content, (bytearray, memoryview)):
            content = bytes(content)
        elif not isinstance(content, bytes):
            raise TypeError(f"BlobMedia content must be bytes or str, not {type(content).__name__}")
        self._content_type = content_type
        self._content = content
        self._name = name

    def get_content_type(self) -> str:
        return self._content_type

    def get_bytes(self) -> bytes:
        return self._content

    def get_name(self) -> str | None:
        return self._name

    def get_length(self) -> int:
        return len(self._content)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BlobMedia):
            return NotImplemented
        return (self._content_type, self._name, self._content) == (other._content_type, other._name, other._content)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<anvil.BlobMedia: {self._content_type!r}, {len(self._content)} bytes, name={self._name!r}>"
