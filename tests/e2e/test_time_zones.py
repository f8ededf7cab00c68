"""Naive datetimes sent from a page in a zone with daylight saving time get the offset of their own date
(the browser's zone: the context's timezone_id). The same rule on CPython: tests/host/test_naive_datetimes_dst.py."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import AppPage
from tests.support.live_server import LiveServer


def test_naive_datetimes_from_a_london_page_carry_the_offset_of_their_date(chromium: Any,
                                                                          browser_app: LiveServer) -> None:
    context = chromium.new_context(timezone_id="Europe/London")
    try:
        app = AppPage(context.new_page(), browser_app).open()
        offsets = app.run("""
import anvil.server, datetime as dt
sent = [dt.datetime(2024, 1, 15, 12, 0), dt.datetime(2024, 7, 15, 12, 0), dt.datetime(2024, 10, 27, 0, 30),
        dt.datetime(2024, 10, 27, 3, 0)]
(back,), _ = anvil.server.call("echo", sent)
result = [[b.replace(tzinfo=None) == s, b.utcoffset().total_seconds()] for s, b in zip(sent, back)]
""")
        assert offsets == [[True, 0], [True, 3600], [True, 3600], [True, 0]]
    finally:
        context.close()
