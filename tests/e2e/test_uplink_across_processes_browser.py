"""A real page on server A calls a function of a real anvil-uplink connected to server B (both on one Redis):
media goes out and comes back, and the capability update the uplink sends reaches the page's handler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import APPS, AppPage
from tests.support.far_uplink import KEY, start_uplink, stop
from tests.support.live_server import LiveServer


def test_a_page_on_one_server_calls_an_uplink_connected_to_another(browser: Any, redis_server: Any,
                                                                   tmp_path: Path) -> None:
    url = redis_server.url.rsplit("/", 1)[0] + "/2"  # a database of its own
    args = ["--store", url, "--uplink-key", KEY]
    with LiveServer(APPS / "across_app", *args) as a, LiveServer(APPS / "across_app", *args) as b:
        uplink = start_uplink(b, tmp_path)
        page = browser.new_page()
        try:
            app = AppPage(page, a).open()
            result = app.run("""
import hashlib
import anvil
import anvil.server

data = bytes(range(256)) * 1000
updates = []
cap = anvil.server.call("issue_capability", "doc", 7)
cap.set_update_handler(updates.append)
answer = anvil.server.call("far_media", anvil.BlobMedia("application/octet-stream", data, name="in.bin"), cap, "page")
result = {"sha_ok": answer["sha256"] == hashlib.sha256(data).hexdigest(), "tag": answer["tag"],
          "back_ok": answer["back"].get_bytes() == data[::-1], "type": answer["back"].content_type,
          "updates": updates, "pids": [anvil.server.call("process_id"), answer["uplink_pid"]]}
""")
            assert result["sha_ok"] and result["back_ok"] and result["tag"] == "page"
            assert result["type"] == "application/x-reversed" and result["updates"] == [{"seen_bytes": 256_000}]
            assert result["pids"][0] == a.process.pid != result["pids"][1] == uplink.pid
        finally:
            page.close()
            stop(uplink)
