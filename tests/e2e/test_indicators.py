"""Loading indicators and anvil_labs.non_blocking in a real page (README, "Loading indicators" and "anvil_labs.non_blocking").

Slow calls here are server functions held until the test releases them (``hold`` / ``release``), so nothing
depends on how fast the machine is. "The spinner did not show" is checked after a page timer that is due
later than any spinner timer started before it (timers fire in order of their due time). The show-delay and
reference counting themselves are unit-tested with a fake clock in tests/js/spinner.test.mjs.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import APPS, ARTIFACTS, AppPage
from tests.support.http_protocol import HttpCaller
from tests.support.live_server import LiveServer
from tests.support.waiting import wait_until

WATCH_SPINNER = """() => {
  window.spinnerSeen = false;
  window.spinnerObserver && window.spinnerObserver.disconnect();
  window.spinnerObserver = new MutationObserver(() => {
    if (document.querySelector('#anvil-spinner.anvil-spinner-visible')) window.spinnerSeen = true;
  });
  window.spinnerObserver.observe(document.body, {childList: true, subtree: true, attributes: true});
}"""

#: The default data-spinner-delay (ms).
DEFAULT_DELAY_MS = 100


def key() -> str:
    return uuid.uuid4().hex


def start_python(app_page: AppPage, code: str) -> None:
    """Start Python (entered promising) without waiting; its outcome lands in window.pending."""
    app_page.page.evaluate("code => { window.pending = anvilPyodide.app.runPython(code); }", code)


def finish_python(app_page: AppPage) -> object:
    return app_page.page.evaluate("() => window.pending")


def arrived(app_page: AppPage, gate: str, count: int = 1) -> None:
    """Wait until ``count`` calls holding ``gate`` have reached the server."""
    with HttpCaller(app_page.server.url) as http:
        wait_until(lambda: http.call("arrivals", gate) >= count, f"{count} call(s) holding {gate} on the server")


def release(app_page: AppPage, gate: str) -> None:
    with HttpCaller(app_page.server.url) as http:
        http.call("release", gate)


def past_spinner_delay(app_page: AppPage, delay_ms: int = DEFAULT_DELAY_MS) -> None:
    """Return once a page timer due after ``delay_ms`` has fired: any spinner timer started before it has too."""
    app_page.page.evaluate("ms => new Promise((done) => setTimeout(done, ms))", delay_ms + 50)


def wait_faded_in(app_page: AppPage, selector: str) -> None:
    """Wait for the fade-in transition to finish (for screenshots)."""
    app_page.page.wait_for_function(
        "s => { const e = document.querySelector(s); return e && getComputedStyle(e).opacity === '1'; }",
        arg=selector, timeout=30_000)


def spinner_seen_while_held(app_page: AppPage, code: str) -> bool:
    """Run ``code`` (which calls ``hold`` with the gate ``GATE``), and say whether the global spinner became
    visible while the call was held past the spinner delay."""
    gate = key()
    app_page.page.evaluate(WATCH_SPINNER)
    start_python(app_page, code.replace("GATE", repr(gate)))
    arrived(app_page, gate)
    past_spinner_delay(app_page)
    seen = app_page.page.evaluate("() => window.spinnerSeen")
    release(app_page, gate)
    finish_python(app_page)
    app_page.page.wait_for_selector("#anvil-spinner", state="detached", timeout=30_000)
    return seen


def test_global_spinner_shows_during_a_slow_call_and_goes_after(runtime_page: AppPage) -> None:
    app_page = runtime_page
    gate = key()
    start_python(app_page, f"import anvil.server\nanvil.server.call('hold', {gate!r})")
    spinner = app_page.page.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=30_000)
    assert spinner.get_attribute("role") == "progressbar"
    assert app_page.page.get_attribute("body", "aria-busy") == "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    wait_faded_in(app_page, "#anvil-spinner")
    app_page.page.screenshot(path=str(ARTIFACTS / "global-spinner.png"))
    release(app_page, gate)
    finish_python(app_page)
    app_page.page.wait_for_selector("#anvil-spinner", state="detached", timeout=30_000)
    assert app_page.page.get_attribute("body", "aria-busy") is None


def test_spinner_is_counted_across_concurrent_calls_on_skulpt(request: pytest.FixtureRequest) -> None:
    """Skulpt has no asyncio: two handlers block on a call each (the spinner stays while either runs)."""
    from tests.e2e.test_browser_calls import skulpt_page

    app_page = skulpt_page(request)
    short, long = key(), key()
    app_page.page.evaluate("""([short, long]) => {
      window.shortCall = anvilPyodide.app.runPython(`import anvil.js, anvil.server\nanvil.server.call('hold', ${JSON.stringify(short)})\nanvil.js.window.shortDone = True`);
      window.longCall = anvilPyodide.app.runPython(`import anvil.server\nanvil.server.call('hold', ${JSON.stringify(long)})`);
    }""", [short, long])
    app_page.page.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=30_000)
    release(app_page, short)
    app_page.page.wait_for_function("() => window.shortDone === true", timeout=30_000)
    assert app_page.page.query_selector("#anvil-spinner.anvil-spinner-visible") is not None, "the long call still runs"
    release(app_page, long)
    app_page.page.evaluate("() => Promise.all([window.shortCall, window.longCall])")
    app_page.page.wait_for_selector("#anvil-spinner", state="detached", timeout=30_000)


def test_spinner_is_counted_across_concurrent_calls(app_page: AppPage) -> None:
    short, long = key(), key()
    start_python(app_page, f"""
import asyncio, anvil.js, anvil.server
async def short_call():
    await anvil.server.call_async('hold', {short!r})
    anvil.js.window.shortDone = True
await asyncio.gather(short_call(), anvil.server.call_async('hold', {long!r}))
""")
    app_page.page.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=30_000)
    release(app_page, short)
    app_page.page.wait_for_function("() => window.shortDone === true", timeout=30_000)
    assert app_page.page.query_selector("#anvil-spinner.anvil-spinner-visible") is not None, "the long call still runs"
    release(app_page, long)
    finish_python(app_page)
    app_page.page.wait_for_selector("#anvil-spinner", state="detached", timeout=30_000)


def test_spinner_not_shown_for_call_s_no_loading_indicator_or_call_async(runtime_page: AppPage) -> None:
    app_page = runtime_page
    assert spinner_seen_while_held(app_page, "import anvil.server\nanvil.server.call('hold', GATE)")  # control
    assert not spinner_seen_while_held(app_page, "import anvil.server\nanvil.server.call_s('hold', GATE)")
    assert not spinner_seen_while_held(app_page, """
import anvil.server
with anvil.server.no_loading_indicator:
    anvil.server.call('hold', GATE)
""")
    assert not spinner_seen_while_held(app_page, """
from anvil_labs.non_blocking import call_async, wait_for
wait_for(call_async('hold', GATE))
""")


def test_no_loading_indicator_suppresses_the_global_spinner_page_wide(runtime_page: AppPage) -> None:
    app_page = runtime_page
    """README Limits: while a no_loading_indicator block runs, a concurrent handler's calls show no spinner."""
    quiet, other = key(), key()
    app_page.page.evaluate(WATCH_SPINNER)
    app_page.page.evaluate("""code => { window.quiet = anvilPyodide.app.runPython(code); }""",
                           f"import anvil.server\nwith anvil.server.no_loading_indicator:\n"
                           f"    anvil.server.call('hold', {quiet!r})")
    arrived(app_page, quiet)
    app_page.page.evaluate("""code => { window.other = anvilPyodide.app.runPython(code); }""",
                           f"import anvil.server\nanvil.server.call('hold', {other!r})")
    arrived(app_page, other)
    past_spinner_delay(app_page)
    assert app_page.page.evaluate("() => window.spinnerSeen") is False
    release(app_page, other)
    release(app_page, quiet)
    app_page.page.evaluate("() => Promise.all([window.quiet, window.other])")


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
window.outside = 0
outside = document.createElement("button")
outside.id = "outside"
outside.textContent = "outside"
document.body.appendChild(outside)
outside.addEventListener("click", anvil.js.event_handler(lambda e: setattr(window, "outside", window.outside + 1)))
document.getElementById("inside").addEventListener("click", anvil.js.event_handler(lambda e: setattr(window, "clicks", window.clicks + 1)))
document.getElementById("field").addEventListener("keydown", anvil.js.event_handler(lambda e: setattr(window, "keys", window.keys + 1)))
result = [panel.style.position, panel.style.minHeight]
"""


def test_element_indicator_blocks_input_applies_min_height_and_restores(runtime_page: AppPage) -> None:
    app_page = runtime_page
    page = app_page.page
    assert app_page.run(PANEL) == ["", ""]
    box = page.query_selector("#inside").bounding_box()
    page.evaluate(WATCH_SPINNER)
    gate = key()
    start_python(app_page, f"""
import anvil.server
with anvil.server.loading_indicator("#panel", min_height=240):
    anvil.server.call('hold', {gate!r})
""")
    page.wait_for_selector("#panel > .anvil-spinner-layer", timeout=30_000)
    assert page.evaluate("() => [getComputedStyle(panel).position, panel.style.minHeight, panel.inert, panel.getAttribute('aria-busy')]") \
        == ["relative", "240px", True, "true"]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.press("Tab")
    page.keyboard.type("abc")
    page.click("#outside")  # input is handled in order: once this click is seen, the earlier input was too
    page.wait_for_function("() => window.outside === 1", timeout=30_000)
    wait_faded_in(app_page, "#panel > .anvil-spinner-layer")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "element-overlay.png"))
    assert page.evaluate("() => [window.clicks, window.keys]") == [0, 0]
    release(app_page, gate)
    finish_python(app_page)
    page.wait_for_selector("#panel > .anvil-spinner-layer", state="detached", timeout=30_000)
    assert page.evaluate("() => [panel.style.position, panel.style.minHeight, panel.inert, panel.hasAttribute('aria-busy')]") \
        == ["", "", False, False]
    assert not page.evaluate("() => window.spinnerSeen"), "calls inside an element indicator must not drive the global spinner"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => window.clicks === 1")


def test_element_indicator_nesting_idempotence_and_bad_selectors(runtime_page: AppPage) -> None:
    app_page = runtime_page
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


def test_bare_loading_indicator_drives_the_global_spinner(runtime_page: AppPage) -> None:
    app_page = runtime_page
    app_page.page.evaluate("() => { window.work = new Promise((done) => { window.finishWork = done; }); }")
    start_python(app_page, """
import anvil.js, anvil.server
with anvil.server.loading_indicator:
    anvil.js.await_promise(anvil.js.window.work)      # slow work that is not a server call, until the test ends it
""")
    app_page.page.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=30_000)
    app_page.page.evaluate("() => window.finishWork()")
    finish_python(app_page)
    app_page.page.wait_for_selector("#anvil-spinner", state="detached", timeout=30_000)


@pytest.mark.parametrize("runtime", ["pyodide", "skulpt"])
def test_show_delay_from_the_script_tag(own_context, tmp_path: Path, runtime: str) -> None:
    """data-spinner-delay="60000": a held call shows no spinner past the default delay, and shows it once the
    page's clock has moved on by 60 s."""
    app = tmp_path / "delayed"
    shutil.copytree(APPS / "browser", app)
    (app / "index.html").write_text('<!doctype html><html><body>'
                                    '<script src="/_/runtime/anvil-pyodide.js" data-main="main" data-spinner-delay="60000" '
                                    f'data-runtime="{runtime}"></script></body></html>')
    with LiveServer(app) as server:
        page = own_context.new_page()
        try:
            page.clock.install()
            app_page = AppPage(page, server).open()
            gate = key()
            page.evaluate(WATCH_SPINNER)
            start_python(app_page, f"import anvil.server\nanvil.server.call('hold', {gate!r})")
            arrived(app_page, gate)
            past_spinner_delay(app_page, 1_000)
            assert page.evaluate("() => window.spinnerSeen") is False, "shown before data-spinner-delay"
            page.clock.run_for(60_000)
            page.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=30_000)
            release(app_page, gate)
            finish_python(app_page)
        finally:
            page.close()


#: Page-side waiting for an event the Python code itself produces (a handler ran, a report arrived).
UNTIL = """
import asyncio
async def until(condition):
    while not condition():
        await asyncio.sleep(0.01)
"""
#: The same on Skulpt, where a blocking time.sleep lets the page run (Skulpt has no asyncio).
UNTIL_SKULPT = """
import time
def until(condition):
    while not condition():
        time.sleep(0.01)
"""


def for_runtime(app_page: AppPage, code: str) -> str:
    """``code`` (written with ``UNTIL`` and ``await until(...)``) for the page's runtime."""
    if getattr(app_page, "runtime", "pyodide") == "pyodide":
        return UNTIL + code
    return UNTIL_SKULPT + code.replace("await until(", "until(")


def test_async_call_handlers_can_block_and_run_in_order(runtime_page: AppPage) -> None:
    app_page = runtime_page
    outcome = app_page.run(for_runtime(app_page, """
import anvil.server
from anvil_labs.non_blocking import call_async, wait_for
log = []
def on_result(value):
    log.append(("result", value, anvil.server.call("hello", "from handler")))
call = call_async("echo", 7).on_result(on_result)
log.append(("status", call.status))
value = wait_for(call)
await until(lambda: len(log) == 2)
late = []
call.on_result(lambda v: late.append(v))
log.append(("late attached", list(late)))      # never run synchronously, even after completion
await until(lambda: late)
failing = call_async("fail", "value")
errors = []
failing.on_error(lambda e: errors.append([type(e).__name__, str(e)]))
try:
    failing.await_result()
except ValueError as e:
    errors.append("await_result raised " + str(e))
await until(lambda: len(errors) == 2)
result = [log, value, late, call.status, failing.status, errors]
"""))
    log, value, late, status, failing_status, errors = outcome
    assert log == [["status", "PENDING"], ["result", [[7], {}], "hello from handler"], ["late attached", []]]
    assert value == [[7], {}] and late == [[[7], {}]] and status == "FULFILLED"
    assert failing_status == "REJECTED"
    assert sorted(map(str, errors)) == sorted(["await_result raised bad value", "['ValueError', 'bad value']"])


def test_errors_in_handlers_and_unhandled_rejections_reach_the_hook(runtime_page: AppPage) -> None:
    app_page = runtime_page
    outcome = app_page.run(for_runtime(app_page, """
import anvil
import shared  # registers the custom exception type, as an app that handles it would
from anvil_labs.non_blocking import call_async, defer
reported = []
anvil.set_default_error_handling(lambda e: reported.append([type(e).__name__, str(e)]))
call_async("echo", 1).on_result(lambda v: 1 / 0)
call_async("fail", "custom")                      # nobody handles it
defer(lambda: [][1], 0)
await until(lambda: len(reported) >= 3)
anvil.set_default_error_handling(None)
result = sorted(reported)
"""))
    # Skulpt words its own division error as Python 2 did
    zero = "division by zero" if app_page.runtime == "pyodide" else "integer division or modulo by zero"
    assert outcome == [["IndexError", "list index out of range"], ["NotFound", "no such thing"],
                       ["ZeroDivisionError", zero]]


def test_defer_and_repeat_in_the_browser(runtime_page: AppPage) -> None:
    app_page = runtime_page
    outcome = app_page.run(for_runtime(app_page, """
import anvil, anvil.server
from anvil_labs import non_blocking
reported = []
anvil.set_default_error_handling(reported.append)
fired = []
non_blocking.defer(lambda: fired.append(anvil.server.call("hello", "deferred")), 0.1)
dropped = non_blocking.defer(lambda: fired.append("cancelled"), 0.1)
non_blocking.cancel(dropped)
started, ticks = [], []
def tick():   # a run still waiting for its call when the next interval comes overlaps it (setInterval's way)
    number = len(started)
    started.append(number)
    ticks.append(anvil.server.call("echo", number)[0][0])
    if len(ticks) == 2:
        raise RuntimeError("tick two fails")
heartbeat = non_blocking.repeat(tick, 0.15)
await until(lambda: len(ticks) >= 4 and fired)
heartbeat.cancel()
stopped_at = len(started)
await until(lambda: len(ticks) == len(started))   # the runs already started finish their calls
later = []
non_blocking.defer(lambda: later.append(True), 1.0)   # due after several more ticks, had it kept running
await until(lambda: later)
anvil.set_default_error_handling(None)
result = [fired, sorted(ticks) == list(range(stopped_at)), stopped_at == len(started), [str(e) for e in reported]]
"""))
    assert outcome == [["hello deferred"], True, True, ["tick two fails"]]


def test_many_call_async_calls_overlap_on_the_server(runtime_page: AppPage) -> None:
    """Twelve call_async calls meet at a twelve-party barrier: they return "met" only if all run at once."""
    outcomes = runtime_page.run(f"""
from anvil_labs.non_blocking import call_async, wait_for
calls = [call_async("meet", {key()!r}, 12) for _ in range(12)]
result = [wait_for(c) for c in calls]
""", timeout_ms=120_000)
    assert outcomes == ["met"] * 12
