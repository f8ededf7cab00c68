"""A plain static file server (no anvil-pyodide at all) on 127.0.0.1, for pages of "another site" that
embed an app.

Example (in a test):
    with StaticSite(folder) as site:
        page.goto(f"http://localhost:{site.port}/embed.html")
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.live_server import free_port


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class StaticSite:
    """A plain static file server (no anvil-pyodide at all) on 127.0.0.1, for the embedding pages."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "StaticSite":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
