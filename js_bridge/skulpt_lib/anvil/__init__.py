"""``anvil`` on the Skulpt runtime: media types (``anvil.server``, ``anvil.js`` and ``anvil.tz`` are submodules).
Importing it also gives Skulpt's ``datetime`` the ``timezone`` class it lacks (``anvil.tz.timezone``).

Example (in the Skulpt runtime):
    >>> import anvil, datetime
    >>> anvil.BlobMedia("text/plain", b"x").length, datetime.timezone.utc.utcoffset(None)
    (1, datetime.timedelta(0))
"""

from anvil._error_hook import set_default_error_handling
from anvil._media import BlobMedia, Media
from anvil.tz import install_timezone

install_timezone()
