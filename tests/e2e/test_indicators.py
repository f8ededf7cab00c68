"""Loading indicators and anvil_labs.non_blocking in a real page (README, "Loading indicators" and "anvil_labs.non_blocking")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import APPS, ARTIFACTS, AppPage
from tests.support.live_server import LiveServer

WATCH_SPINNER = """() => {
  window.spinnerSeen = false;
  window.spinnerObserver && window.spinnerObserver.disconnect();
  window.spinnerObserver = new MutationObserver(() => {
    if (document.querySelector('#anvil-spinner.anvil-spinner-visible')) window.spinnerSeen = true;
  });
  window.spinnerObserver.observe(document.body, {childList: true, subtree: true, attributes: true});
}"""


def start_python(app_page: AppPage, code: str) -> None:
    """Start Python (entered promising) without waiting; its outcome lands in window.pending."""
    app_page.page.evaluate("code => { window.pending = anvilPyodide.app.runPython(code); }", code)


def finish_python(app_page: AppPage) -> object:
    return app_page.page.evaluate("() => window.pending")


def spinner_seen_during(app_page: AppPage, code: str) -> bool:
    app_page.page.evaluate(WATCH_SPINNER)
    app_page.run(code + "\nresult = True")
    app_page.page.wait_for_timeout(50)
    return app_page.page.evaluate("() => window.spinnerSeen")


def test_global_spinner_shows_during_a_slow_call_and_goes_after(app_page: AppPage) -> None:
    start_python(app_page, "import anvil.server\nanvil.server.call('sleep', 1.5)")
    spinner = app_page.page.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=5000)
    assert spinner.get_attribute("role") == "progressbar"
    assert app_page.page.get_attribute("body", "aria-busy") == "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app_page.page.wait_for_timeout(500)  # let the 400 ms fade-in finish, so the screenshot shows it
    app_page.page.screenshot(path=str(ARTIFACTS / "global-spinner.png"))
    finish_python(app_page)
    app_page.page.wait_for_selector("#anvil-spinner", state="detached", timeout=5000)
    assert app_page.page.get_attribute("body", "aria-busy") is None


def test_spinner_is_counted_across_concurrent_calls(app_page: AppPage) -> None:
    start_python(app_page, """
import asyncio, anvil.server
await asyncio.gather(anvil.server.call_async('sleep', 0.6), anvil.server.call_async('sleep', 3.0))
""")
    app_page.page.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=5000)
    app_page.page.wait_for_timeout(1000)  # the short call has ended; the long one still runs
    assert app_page.page.query_selector("#anvil-spinner.anvil-spinner-visible") is not None
    finish_python(app_page)
    app_page.page.wait_for_selector("#anvil-spinner", state="detached", timeout=5000)


def test_spinner_not_shown_for_call_s_no_loading_indicator_or_call_async(app_page: AppPage) -> None:
    """(Calls faster than the show-delay: test_show_delay_from_the_script_tag, with a delay long enough
    that a loaded machine cannot make the test flaky.)"""
    assert spinner_seen_during(app_page, "import anvil.server\nanvil.server.call('sleep', 0.5)")  # control
    assert not spinner_seen_during(app_page, "import anvil.server\nanvil.server.call_s('sleep', 0.5)")
    assert not spinner_seen_during(app_page, """
import anvil.server
with anvil.server.no_loading_indicator:
    anvil.server.call('sleep', 0.5)
""")
    assert not spinner_seen_during(app_page, """
from anvil_labs.non_blocking import call_async
await call_async('sleep', 0.5)
""")


PANEL = """
import anvil.js
document = anvil.js.document
panel = document.createElement("div")
panel.id = "panel"
panel.style.width = "300px"
panel.innerHTML = '<button id="inside">inside</button><input id="field">'
document.body.appendChild(panel)
window = anvil.js.window
window.clicks = 0
window.keys = 0
document.getElementById("inside").addEventListener("click", anvil.js.event_handler(lambda e: setattr(window, "clicks", window.clicks + 1)))
document.getElementById("field").addEventListener("keydown", anvil.js.event_handler(lambda e: setattr(window, "keys", window.keys + 1)))
result = [panel.style.position, panel.style.minHeight]
"""


def test_element_indicator_blocks_input_applies_min_height_and_restores(app_page: AppPage) -> None:
    page = app_page.page
    assert app_page.run(PANEL) == ["", ""]
    box = page.query_selector("#inside").bounding_box()
    page.evaluate(WATCH_SPINNER)
    start_python(app_page, """
import anvil.server
with anvil.server.loading_indicator("#panel", min_height=240):
    anvil.server.call('sleep', 1.5)
""")
    page.wait_for_selector("#panel > .anvil-spinner-layer", timeout=5000)
    assert page.evaluate("() => [getComputedStyle(panel).position, panel.style.minHeight, panel.inert, panel.getAttribute('aria-busy')]") \
        == ["relative", "240px", True, "true"]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.press("Tab")
    page.keyboard.type("abc")
    page.wait_for_timeout(700)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "element-overlay.png"))
    assert page.evaluate("() => [window.clicks, window.keys]") == [0, 0]
    finish_python(app_page)
    page.wait_for_selector("#panel > .anvil-spinner-layer", state="detached", timeout=5000)
    assert page.evaluate("() => [panel.style.position, panel.style.minHeight, panel.inert, panel.hasAttribute('aria-busy')]") \
        == ["", "", False, False]
    assert not page.evaluate("() => window.spinnerSeen"), "calls inside an element indicator must not drive the global spinner"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => window.clicks === 1")


def test_element_indicator_nesting_idempotence_and_bad_selectors(app_page: AppPage) -> None:
    app_page.run(PANEL)
    outcome = app_page.run("""
import anvil.js, anvil.server
overlay = lambda: anvil.js.document.querySelectorAll("#panel > .anvil-spinner-layer").length == 1
seen = []
outer = anvil.server.loading_indicator(anvil.js.document.getElementById("panel"))
with outer:
    with anvil.server.loading_indicator("#panel"):
        seen.append(overlay())
    seen.append(overlay())          # the outer one still holds it
seen.append(overlay())
outer.start(); outer.start(); seen.append(overlay()); outer.stop(); seen.append(overlay()); outer.stop()
errors = []
for selector in ["#no-such-thing", "[[bad"]:
    try:
        anvil.server.loading_indicator(selector)
    except ValueError as e:
        errors.append(str(e))
try:
    anvil.server.loading_indicator(42)
except TypeError as e:
    errors.append(str(e))
result = [seen, errors]
""")
    assert outcome[0] == [True, True, False, True, False]
    assert outcome[1] == ["loading_indicator: no element matches the selector '#no-such-thing'",
                          "loading_indicator: '[[bad' is not a valid CSS selector",
                          "loading_indicator expects a DOM element or a CSS selector string, not int"]


def test_bare_loading_indicator_drives_the_global_spinner(app_page: AppPage) -> None:
    start_python(app_page, """
import anvil.server, asyncio
with anvil.server.loading_indicator:
    await asyncio.sleep(1.0)
""")
    app_page.page.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=5000)
    finish_python(app_page)
    app_page.page.wait_for_selector("#anvil-spinner", state="detached", timeout=5000)


def test_show_delay_from_the_script_tag(browser, tmp_path: Path) -> None:
    app = tmp_path / "delayed"
    shutil.copytree(APPS / "browser", app)
    (app / "index.html").write_text('<!doctype html><html><body>'
                                    '<script src="/_/runtime/anvil-pyodide.js" data-main="main" data-spinner-delay="1200">'
                                    '</script></body></html>')
    with LiveServer(app) as server:
        page = browser.new_page()
        try:
            app_page = AppPage(page, server).open()
            assert not spinner_seen_during(app_page, "import anvil.server\nanvil.server.call('sleep', 0.6)")
            assert spinner_seen_during(app_page, "import anvil.server\nanvil.server.call('sleep', 1.8)")
        finally:
            page.close()


def test_async_call_handlers_can_block_and_run_in_order(app_page: AppPage) -> None:
    outcome = app_page.run("""
import asyncio, anvil.server
from anvil_labs.non_blocking import call_async, wait_for
log = []
def on_result(value):
    log.append(("result", value, anvil.server.call("hello", "from handler")))
call = call_async("echo", 7).on_result(on_result)
log.append(("status", call.status))
value = wait_for(call)
await asyncio.sleep(0.3)
late = []
call.on_result(lambda v: late.append(v))
log.append(("late attached", list(late)))
await asyncio.sleep(0.1)
failing = call_async("fail", "value")
errors = []
failing.on_error(lambda e: errors.append([type(e).__name__, str(e)]))
try:
    failing.await_result()
except ValueError as e:
    errors.append("await_result raised " + str(e))
await asyncio.sleep(0.1)
result = [log, value, late, call.status, failing.status, errors]
""")
    log, value, late, status, failing_status, errors = outcome
    assert log == [["status", "PENDING"], ["result", [[7], {}], "hello from handler"], ["late attached", []]]
    assert value == [[7], {}] and late == [[[7], {}]] and status == "FULFILLED"
    assert failing_status == "REJECTED"
    assert sorted(map(str, errors)) == sorted(["await_result raised bad value", "['ValueError', 'bad value']"])


def test_errors_in_handlers_and_unhandled_rejections_reach_the_hook(app_page: AppPage) -> None:
    outcome = app_page.run("""
import asyncio, anvil
import shared  # registers the custom exception type, as an app that handles it would
from anvil_labs.non_blocking import call_async, defer
reported = []
anvil.set_default_error_handling(lambda e: reported.append([type(e).__name__, str(e)]))
call_async("echo", 1).on_result(lambda v: 1 / 0)
call_async("fail", "custom")                      # nobody handles it
defer(lambda: [][1], 0)
await asyncio.sleep(0.8)
anvil.set_default_error_handling(None)
result = sorted(reported)
""")
    assert outcome == [["IndexError", "list index out of range"], ["NotFound", "no such thing"],
                       ["ZeroDivisionError", "division by zero"]]


def test_defer_and_repeat_in_the_browser(app_page: AppPage) -> None:
    outcome = app_page.run("""
import asyncio, anvil, anvil.server
from anvil_labs import non_blocking
reported = []
anvil.set_default_error_handling(reported.append)
fired = []
non_blocking.defer(lambda: fired.append(anvil.server.call("hello", "deferred")), 0.1)
dropped = non_blocking.defer(lambda: fired.append("cancelled"), 0.1)
non_blocking.cancel(dropped)
ticks = []
def tick():
    ticks.append(anvil.server.call("echo", len(ticks))[0][0])
    if len(ticks) == 2:
        raise RuntimeError("tick two fails")
heartbeat = non_blocking.repeat(tick, 0.15)
for _ in range(100):
    await asyncio.sleep(0.05)
    if len(ticks) >= 4:
        break
heartbeat.cancel()
stopped_at = len(ticks)
await asyncio.sleep(0.5)
anvil.set_default_error_handling(None)
result = [fired, ticks[:4], stopped_at == len(ticks), [str(e) for e in reported]]
""")
    assert outcome == [["hello deferred"], [0, 1, 2, 3], True, ["tick two fails"]]


def test_many_call_async_calls_overlap_on_the_server(app_page: AppPage) -> None:
    most = app_page.run("""
import asyncio, anvil.server
from anvil_labs.non_blocking import call_async
anvil.server.call("most_at_once")    # reset
calls = [call_async("overlapping", 0.8) for _ in range(12)]
for c in calls:
    await c
result = anvil.server.call("most_at_once")
""")
    assert most >= 8, f"only {most} of 12 concurrent calls overlapped on the server"
