"""anvil: the Anvil client API for Python in the browser (Pyodide), shared with server code.

Example:
    >>> import anvil
    >>> anvil.BlobMedia("text/plain", b"hi").length
    2
"""

from ._backend import IN_BROWSER, IS_SERVER_SIDE
from ._error_hook import set_default_error_handling
from ._live_object import LiveObjectProxy
from ._media import BlobMedia, Media

__all__ = ["BlobMedia", "Media", "LiveObjectProxy", "is_server_side", "set_default_error_handling"]


def is_server_side() -> bool:
    """True when this code runs on the server, False in the browser."""
    return IS_SERVER_SIDE
