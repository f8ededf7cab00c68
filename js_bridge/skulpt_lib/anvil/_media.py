"""Media on Skulpt: ``anvil.Media`` and ``anvil.BlobMedia`` (bytes held in the page).

Example (in the Skulpt runtime):
    >>> m = BlobMedia("text/plain", b"hi", name="a.txt")
    >>> m.content_type, m.get_bytes(), m.name, m.length
    ('text/plain', b'hi', 'a.txt', 2)
"""


class Media:
    """Base class of media values: content type, bytes, name."""

    def get_content_type(self):
        raise NotImplementedError

    def get_bytes(self):
        raise NotImplementedError

    def get_name(self):
        return None

    def get_length(self):
        return len(self.get_bytes())

    def get_url(self, download=True):
        return None

    @property
    def content_type(self):
        return self.get_content_type()

    @property
    def name(self):
        return self.get_name()

    @property
    def length(self):
        return self.get_length()

    @property
    def url(self):
        return self.get_url()


class BlobMedia(Media):
    """Media from bytes (a str is encoded as UTF-8)."""

    def __init__(self, content_type="application/octet-stream", content=b"", name=None):
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, bytes):
            raise TypeError("BlobMedia content must be bytes or str, not " + type(content).__name__)
        self._content_type = content_type
        self._content = content
        self._name = name

    def get_content_type(self):
        return self._content_type

    def get_bytes(self):
        return self._content

    def get_name(self):
        return self._name

    def __eq__(self, other):
        return (isinstance(other, BlobMedia) and other._content == self._content
                and other._content_type == self._content_type and other._name == self._name)

    def __repr__(self):
        return "BlobMedia(" + repr(self._content_type) + ", <" + str(len(self._content)) + " bytes>, name=" + repr(self._name) + ")"
