"""A call past a quota arrives in the browser as ``anvil.server.QuotaExceededError`` (issue 15, item 4),
on the WebSocket (JSPI) path, in real Chromium against a server allowing one call per connection."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.e2e.conftest import APPS, AppPage
from tests.support.live_server import LiveServer


@pytest.fixture(scope="module")
def one_call_app() -> Iterator[LiveServer]:
    with LiveServer(APPS / "browser", "--max-connection-calls", "1") as server:
        yield server


def test_a_call_past_the_connection_quota_raises_quota_exceeded_error(browser: Any, one_call_app: LiveServer) -> None:
    page = browser.new_page()
    try:
        outcome = AppPage(page, one_call_app).open().run("""
import anvil.server, asyncio
async def over_quota():
    first = asyncio.ensure_future(anvil.server.call_async("wait_for_gate", 5))
    await asyncio.sleep(0.2)  # (sent first: the socket keeps order)
    try:
        await anvil.server.call_async("open_gate")
        seen = ["no error"]
    except anvil.server.QuotaExceededError as e:
        seen = [type(e).__name__, isinstance(e, anvil.server.AnvilWrappedError), str(e)]
    await first
    return seen + [await anvil.server.call_async("open_gate")]
result = await over_quota()
""")
    finally:
        page.close()
    assert outcome[:2] == ["QuotaExceededError", True]
    assert "the limit is 1, --max-connection-calls" in outcome[2]
    assert outcome[3] is True  # room again once the first call has returned
