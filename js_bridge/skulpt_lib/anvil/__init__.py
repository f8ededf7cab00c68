"""``anvil`` on the Skulpt runtime: media types (``anvil.server``, ``anvil.js`` and ``anvil.tz`` are submodules).

Example (in the Skulpt runtime):
    >>> import anvil
    >>> anvil.BlobMedia("text/plain", b"x").length
    1
"""

from anvil._media import BlobMedia, Media
