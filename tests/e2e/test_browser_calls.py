"""anvil.server in a real page: one script tag, real server, headless Chromium, both blocking paths."""

from __future__ import annotations

import hashlib
import random
import time
import uuid

import pytest

from tests.support.http_protocol import HttpCaller
from tests.support.live_server import LiveServer
from tests.support.waiting import wait_until

ROUND_TRIP = """
import anvil, anvil.server, datetime as dt, math
from shared import Point, Tag
tz = dt.timezone(dt.timedelta(hours=-3, minutes=-30))
value = {
    "text": "héllo ✓", "n": 42, "f": 1.5, "t": True, "none": None, "long": 2**70, "neg_long": -(2**40),
    "nan": math.nan, "inf": math.inf, "ninf": -math.inf, "day": dt.date(2024, 2, 29),
    "when": dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=tz), "tuple": (1, (2, 3)),
    "point": Point(1, Point(2, 3)), "nested": [{"a": [dt.date(2020, 1, 1)]}],
    "media": anvil.BlobMedia("text/plain", b"\\x00\\xffbinary\\r\\n", name="b.bin"),
    "tags": [Tag("red"), Tag("blue"), Tag("red")],
}
args, kwargs = anvil.server.call("echo", value, key=(5, 6))
back = args[0]
checks = {
    "natives": [back["text"], back["n"], back["f"], back["t"], back["none"]] == ["héllo ✓", 42, 1.5, True, None],
    "longs": back["long"] == 2**70 and back["neg_long"] == -(2**40),
    "floats": math.isnan(back["nan"]) and back["inf"] == math.inf and back["ninf"] == -math.inf,
    "date": back["day"] == dt.date(2024, 2, 29),
    "datetime": back["when"] == value["when"] and back["when"].utcoffset() == value["when"].utcoffset(),
    "tuple": back["tuple"] == [1, [2, 3]] and kwargs["key"] == [5, 6],
    "portable": back["point"] == Point(1, Point(2, 3)) and type(back["point"]) is Point,
    "nested": back["nested"] == [{"a": [dt.date(2020, 1, 1)]}],
    "media": back["media"].get_bytes() == b"\\x00\\xffbinary\\r\\n" and back["media"].name == "b.bin"
             and back["media"].content_type == "text/plain",
    "moved": anvil.server.call("move", Point(1, 2), 10) == Point(11, 2),
    "shared_data": back["tags"] == [Tag("red"), Tag("blue"), Tag("red")],
}
result = [checks, anvil.server.last_call_path()]
"""


def test_every_value_type_round_trips_jspi(runtime_page) -> None:
    """On Pyodide the call suspends with JSPI; on Skulpt with a Skulpt suspension (the same code runs on both)."""
    checks, path = runtime_page.run(ROUND_TRIP)
    assert path == {"pyodide": "jspi", "skulpt": "skulpt"}[runtime_page.runtime]
    assert checks == {name: True for name in checks}


def test_every_value_type_round_trips_sync_http(app_page) -> None:
    checks, path = app_page.run_sync(ROUND_TRIP)
    assert path == "sync-http"
    assert checks == {name: True for name in checks}


# Page code: a value that came back equals the one sent, with the same types (a tuple comes back as a list), -0.0
# not 0.0, NaN equal to NaN, datetimes with the same UTC offset; dict keys in the same order when `ordered`.
SAME = """
def same(a, b, ordered=True):
    if isinstance(b, tuple):
        b = list(b)
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return math.isnan(a) and math.isnan(b) or a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is dt.datetime:
        return a == b and a.utcoffset() == b.utcoffset()
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y, ordered) for x, y in zip(a, b))
    if type(a) is dict:
        return (list(a) == list(b) if ordered else sorted(a) == sorted(b)) and all(same(a[k], b[k], ordered) for k in a)
    return a == b
"""

BIG_PLAIN = """
import anvil.server, math, marshal, datetime as dt
from anvil._browser.wire_text import js_message_text
# Long enough for the bridge's JS helpers both ways (marshal_json.mjs out, json_marshal.mjs back), with the
# values where JSON text and Python differ: floats that are whole numbers, -0.0, exponents, big-but-inline
# ints, escapes, non-ASCII, lone surrogates, repeated keys and tuples.
record = {"whole": 100.0, "neg_zero": -0.0, "tiny": 1.5e-7, "huge": 1e22, "int": 2147483647, "neg": -2147483647,
          "text": 'q"uote \\\\ \\n tab\\t \\x00 héllo ✓ \\U0001f600 \\ud800', "t": (1, "a"), "none": None, "yes": True}
value = [dict(record, i=i, score=i / 7) for i in range(300)]
sent_plain = js_message_text({"type": "CALL", "args": [value]}) is not None
args, kwargs = anvil.server.call("echo", value)
back = args[0]
""" + SAME + """
result = [sent_plain, same(back, value), anvil.server.last_call_path()]
"""


@pytest.mark.parametrize("path", ["jspi", "sync-http"])
def test_big_plain_values_round_trip_exactly_through_the_js_helpers(app_page, path) -> None:
    sent_plain, same, used = (app_page.run if path == "jspi" else app_page.run_sync)(BIG_PLAIN)
    assert used == path
    assert sent_plain, "a long plain-JSON CALL is written by the bridge from marshal bytes"
    assert same


BIG_TYPED = """
import anvil.server, math, datetime as dt
import anvil._browser.calls as calls
from anvil._browser.wire_text import js_message_text
# Long enough for the bridge's JS helpers both ways with dates, aware datetimes, Longs and non-finite floats:
# pickle_json.mjs writes the CALL's objects entries, json_marshal.mjs pre-parses the reply's (scalar_entries.py).
zones = [dt.timezone.utc, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(-dt.timedelta(hours=3, minutes=45))]
value = [{"i": i, "day": dt.date(2000 + i % 30, 1 + i % 12, 1 + i % 28), "big": 2**40 + i, "neg": -2**31,
          "at": dt.datetime(2024, 1 + i % 12, 1 + i % 28, i % 24, i % 60, i % 60, i, zones[i % 3]),
          "odd": [math.nan, math.inf, -math.inf, (i, "t")], "text": "h\u00e9 \U0001f600"} for i in range(300)]
sent_typed = js_message_text({"type": "CALL", "args": [value]}) is not None
applied = []
real_apply = calls.apply_scalar_entries
calls.apply_scalar_entries = lambda message: applied.append(real_apply(message)) or applied[-1]
try:
    args, kwargs = anvil.server.call("echo", value)
finally:
    calls.apply_scalar_entries = real_apply
back = args[0]
""" + SAME + """
result = [sent_typed, applied, same(back, value, ordered=False), anvil.server.last_call_path()]
"""


@pytest.mark.parametrize("path", ["jspi", "sync-http"])
def test_big_typed_values_round_trip_through_the_js_helpers(app_page, path) -> None:
    sent_typed, applied, same, used = (app_page.run if path == "jspi" else app_page.run_sync)(BIG_TYPED)
    assert used == path
    assert sent_typed, "a long CALL with dates, datetimes and Longs is written by the bridge from pickle bytes"
    assert applied == [True], "the reply's Date/DateTime/Long/Float entries are put in place from the bridge's"
    assert same


EXCEPTIONS = """
import anvil.server, traceback
from shared import NotFound
seen = {}
for kind, cls in [("value", ValueError), ("custom", NotFound), ("timeout", anvil.server.TimeoutError)]:
    try:
        anvil.server.call("fail", kind)
    except cls as e:
        seen[kind] = [type(e).__name__, str(e), "".join(traceback.format_exception(e))]
try:
    anvil.server.call("no_such_function")
except anvil.server.NoServerFunctionError as e:
    seen["missing"] = str(e)
try:
    anvil.server.call("echo", {1, 2})
except anvil.server.SerializationError as e:
    seen["serialization"] = str(e)
try:
    anvil.server.call("fail", "other")
except RuntimeError as e:
    seen["builtin"] = str(e)
result = seen
"""


@pytest.mark.parametrize("path", ["jspi", "sync-http", "skulpt"])
def test_server_exceptions_arrive_as_their_classes_with_the_server_trace(request, path) -> None:
    if path == "skulpt":
        seen = skulpt_page(request).run(EXCEPTIONS)
    else:
        app_page = request.getfixturevalue("app_page")
        seen = app_page.run(EXCEPTIONS) if path == "jspi" else app_page.run_sync(EXCEPTIONS)
    assert seen["value"][:2] == ["ValueError", "bad value"]
    assert seen["custom"][:2] == ["NotFound", "no such thing"]
    assert seen["timeout"][:2] == ["TimeoutError", "took too long"]
    for kind in ("value", "custom", "timeout"):
        assert "Server traceback" in seen[kind][2] and 'server_code/functions.py' in seen[kind][2], seen[kind][2]
    assert seen["missing"] == 'No server function matching "no_such_function" has been registered'
    assert seen["serialization"] == "Cannot serialize <class 'set'> object at msg['args'][0]"
    assert seen["builtin"] == "other"


def skulpt_page(request):
    """The browser app's page on Skulpt (closed at the end of the test)."""
    from tests.e2e.conftest import AppPage

    app = AppPage(request.getfixturevalue("browser").new_page(), request.getfixturevalue("skulpt_browser_app"))
    request.addfinalizer(app.page.close)
    return app.open()


def test_media_both_ways_on_skulpt(request) -> None:
    """BlobMedia over several 64 KiB chunks, both ways, byte-exact (Skulpt has no hashlib: the bytes are compared)."""
    size = 200_000
    payload = bytes((i * 7 + 3) % 256 for i in range(size))
    up, down = skulpt_page(request).run(f"""
import anvil, anvil.server
data = bytes((i * 7 + 3) % 256 for i in range({size}))
up = anvil.server.call("media_digest", anvil.BlobMedia("application/octet-stream", data, name="up.bin"))
down = anvil.server.call("echo", anvil.BlobMedia("text/plain", data, name="down.bin"))[0][0]
result = [up, [down.get_bytes() == data, down.length, down.content_type, down.name]]
""")
    assert up == [hashlib.sha256(payload).hexdigest(), size, "application/octet-stream", "up.bin"]
    assert down == [True, size, "text/plain", "down.bin"]


def test_media_of_5_mb_both_ways_is_byte_exact(runtime_page) -> None:
    """5 MB up (a pattern whose period, 251 bytes, does not divide the 64 KiB chunks: a lost, repeated or
    misplaced chunk changes the digest) and 5 MB of random bytes down, sent back up so the server hashes what the
    page received (Skulpt has no hashlib)."""
    size, seed = 5 * 1024 * 1024, 7
    pattern = (bytes(range(251)) * (size // 251 + 1))[:size]
    expected_down = hashlib.sha256(random.Random(seed).randbytes(size)).hexdigest()
    up, down, back = runtime_page.run(f"""
import anvil, anvil.server
data = (bytes(range(251)) * ({size} // 251 + 1))[:{size}]
up = anvil.server.call("media_digest", anvil.BlobMedia("application/octet-stream", data, name="up.bin"))
down = anvil.server.call("make_media", {size}, {seed})
back = anvil.server.call("media_digest", anvil.BlobMedia(down.content_type, down.get_bytes(), name=down.name))
result = [up, [down.length, down.content_type, down.name], back]
""", timeout_ms=240_000)
    assert up == [hashlib.sha256(pattern).hexdigest(), size, "application/octet-stream", "up.bin"]
    assert down == [size, "application/octet-stream", f"random-{seed}.bin"]
    assert back == [expected_down, size, "application/octet-stream", f"random-{seed}.bin"]


def test_capability_updates_arrive_while_the_call_runs(runtime_page) -> None:
    updates, outcome, narrowed = runtime_page.run("""
import anvil.server
cap = anvil.server.call("issue_capability", "report")
updates = []
cap.set_update_handler(updates.append)
outcome = anvil.server.call("progress", cap, 4)
narrowed = anvil.server.call("read_capability", cap.narrow(["page-2"]))
result = [updates, outcome, narrowed]
""")
    assert updates == [{"step": 0}, {"step": 1}, {"step": 2}, {"step": 3}]
    assert outcome == "done"
    assert narrowed == ["doc", "report", "page-2"]


def test_concurrent_calls_overlap(runtime_page) -> None:
    app_page = runtime_page
    """A second call on the page's connection runs while the first still waits on the server (for the second)."""
    key = f"overlap-{uuid.uuid4().hex}"
    app_page.page.evaluate("""key => { window.first = anvilPyodide.app.runPython(
        `import anvil.server\\nanvil.server.call("hold", ${JSON.stringify(key)}, 30)`); }""", key)
    with HttpCaller(app_page.server.url) as http:
        wait_until(lambda: http.call("arrivals", key) == 1, "the first call to reach the server")
    assert app_page.run(f"import anvil.server\nresult = anvil.server.call('release', {key!r})") is True
    assert app_page.page.evaluate("() => window.first") == "released"


def test_browser_side_api(runtime_page) -> None:
    app_page = runtime_page
    info = app_page.run("""
import anvil.server
errors = []
for name in ["get_session_id", "callable", "launch_background_task", "http_endpoint", "route", "HttpResponse"]:
    try:
        getattr(anvil.server, name)()
    except RuntimeError as e:
        errors.append(str(e))
try:
    anvil.server.request.method
except RuntimeError as e:
    errors.append(str(e))
try:
    anvil.server.session["x"] = 1
except RuntimeError as e:
    errors.append(str(e))
result = [anvil.server.context.type, anvil.server.context.remote_caller, anvil.server.is_app_online(),
          anvil.server.get_app_origin(), anvil.server.get_api_origin(), errors]
""")
    origin = app_page.server.url
    assert info[:5] == ["browser", None, True, origin, origin + "/_/api"]
    names = ["get_session_id", "callable", "launch_background_task", "http_endpoint", "route", "HttpResponse",
             "request", "session"]
    assert info[5] == [f"anvil.server.{name} is only available in server code" for name in names]


def test_session_persists_and_reset_session_starts_a_new_one(runtime_page) -> None:
    first, second, after_reset = runtime_page.run("""
import anvil.server
anvil.server.call("remember", "colour", "teal")
first = anvil.server.call("recall", "colour")
second = anvil.server.call("recall", "colour")
anvil.server.reset_session()
result = [first, second, anvil.server.call("recall", "colour")]
""")
    assert [first, second, after_reset] == ["teal", "teal", None]


def test_reset_session_lets_calls_already_sent_finish(runtime_page) -> None:
    """Calls in flight when reset_session() runs get their replies (in their old session); later calls use the new
    session on a new socket."""
    outcome = runtime_page.run("""
import anvil.server
from anvil_labs import non_blocking
anvil.server.call("remember", "colour", "teal")
old_id = anvil.server.call("session_id")
in_flight = [non_blocking.call_async("sleep", 1.5), non_blocking.call_async("recall_after", "colour", 1.5)]
anvil.server.call("session_id")   # while this blocks, the two calls above are sent
anvil.server.reset_session()
results = []
for call in in_flight:
    try:
        results.append(non_blocking.wait_for(call))
    except Exception as e:
        results.append(f"{type(e).__name__}: {e}")
result = [results, anvil.server.call("recall", "colour"), anvil.server.call("session_id") != old_id]
""")
    assert outcome == [[1.5, "teal"], None, True]


def test_event_handler_can_block_on_a_call(runtime_page) -> None:
    app_page = runtime_page
    app_page.run("""
import anvil.js, anvil.server
button = anvil.js.document.createElement("button")
button.id = "go"
button.textContent = "Go"
anvil.js.document.body.appendChild(button)
def on_click(event):
    button.textContent = anvil.server.call("hello", "click")
button.addEventListener("click", anvil.js.event_handler(on_click))
result = True
""")
    app_page.page.click("#go")
    app_page.page.wait_for_function("() => document.getElementById('go').textContent === 'hello click'")


@pytest.mark.parametrize("store, runtime", [("sqlite", "pyodide"), ("redis", "pyodide"), ("memory", "pyodide"),
                                            ("memory", "skulpt"), ("sqlite", "skulpt")])
def test_server_restart_mid_call(browser, tmp_path, store, runtime, request) -> None:
    """In-flight calls fail with AppOfflineError and are not run again; after the server is back, calls work
    without a reload — and with a lasting store the page keeps its session and its capabilities."""
    from tests.e2e.conftest import APPS, AppPage, on_skulpt

    if store == "redis":
        url = request.getfixturevalue("redis_server").url
    else:
        url = f"sqlite:///{tmp_path / 'state.sqlite3'}" if store == "sqlite" else "memory"
    runs = tmp_path / "runs.txt"
    app_dir = APPS / "browser" if runtime == "pyodide" else on_skulpt(APPS / "browser", tmp_path / "app")
    server = LiveServer(app_dir, "--store", url).start()
    page = browser.new_page()
    key = f"restart-{uuid.uuid4().hex}"
    try:
        app = AppPage(page, server).open()
        app.run("""
import anvil.server
anvil.server.call("remember", "cart", ["tea", {"n": 2}])
cap = anvil.server.call("issue_capability", "kept")
result = True
""")
        page.evaluate("""path => { window.inFlight = anvilPyodide.app.runPython(`
import anvil.server
try:
    anvil.server.call("note_then_sleep", ${JSON.stringify(path)}, 30)
    outcome = "finished"
except anvil.server.AppOfflineError as e:
    outcome = "AppOfflineError: " + str(e)
outcome
`); }""", str(runs))
        deadline = time.monotonic() + 60
        while not runs.exists() and time.monotonic() < deadline:  # the call is running on the server
            time.sleep(0.05)
        server.stop()
        outcome = page.evaluate("() => window.inFlight")
        assert outcome.startswith("AppOfflineError: Connection to server failed ("), outcome
        server.start()
        after = app.run("""
import anvil.server
try:
    cart = anvil.server.call("recall", "cart")
    first = "worked"
except anvil.server.SessionExpiredError:
    first = "session expired"
    anvil.server.reset_session()
    cart = None
try:
    still = anvil.server.call("read_capability", cap)
except anvil.server.InvalidObjectError:
    still = "refused"
result = [first, cart, still, anvil.server.call("hello", "again")]
""")
        assert after[3] == "hello again"
        if store == "memory":  # sessions lived in the server's memory: the restart ended them
            assert after[:3] == ["session expired", None, "refused"]
        else:
            assert after[:3] == ["worked", ["tea", {"n": 2}], ["doc", "kept", None]]
        assert runs.read_text() == "ran\n"  # the interrupted call was not run again
    finally:
        page.close()
        server.stop()


def test_file_input_as_media(runtime_page, tmp_path) -> None:
    app_page = runtime_page
    payload = bytes(range(256)) * 1000
    upload = tmp_path / "upload.bin"
    upload.write_bytes(payload)
    app_page.run("""
import anvil.js
field = anvil.js.document.createElement("input")
field.type = "file"
field.id = "file"
anvil.js.document.body.appendChild(field)
result = True
""")
    app_page.page.set_input_files("#file", str(upload))
    digest = app_page.run("""
import anvil.js, anvil.server
media = anvil.js.to_media(anvil.js.document.getElementById("file").files.item(0))
result = [media.name, anvil.server.call("media_digest", media)]
""")
    assert digest == ["upload.bin", [hashlib.sha256(payload).hexdigest(), len(payload), "application/octet-stream",
                                     "upload.bin"]]


def test_capabilities_stop_being_valid_after_reset_session(runtime_page) -> None:
    before, after, refused = runtime_page.run("""
import anvil.server
cap = anvil.server.call("issue_capability", "old")
before = cap.is_valid
anvil.server.reset_session()
try:
    anvil.server.call("read_capability", cap)
    refused = None
except anvil.server.InvalidObjectError as e:
    refused = str(e)
result = [before, cap.is_valid, refused]
""")
    assert before is True and after is False
    assert refused and "not issued to this session" in refused


def test_http_transport_when_websockets_are_unavailable(browser, browser_app) -> None:
    """With data-transport="http" (or no WebSocket), promising calls go over /_/server-call-http."""
    from tests.e2e.conftest import AppPage

    page = browser.new_page()
    try:
        page.add_init_script("delete window.WebSocket;")
        app = AppPage(page, browser_app).open()
        kind, reply = app.run("""
import _anvil_bridge, anvil.server
result = [_anvil_bridge.transportKind, anvil.server.call("echo", 2**40)]
""")
        assert kind == "http" and reply == [[2 ** 40], {}]
    finally:
        page.close()


def test_startup_error_is_shown_on_the_page(browser, tmp_path) -> None:
    app_dir = tmp_path / "broken"
    (app_dir / "client_code").mkdir(parents=True)
    (app_dir / "client_code" / "main.py").write_text("raise ValueError('main exploded')\n")
    with LiveServer(app_dir) as server:
        page = browser.new_page()
        try:
            page.goto(server.url + "/")
            page.wait_for_function("() => window.anvilPyodide && anvilPyodide.error", timeout=90_000)
            shown = page.inner_text("#anvil-pyodide-status")
            assert "The app could not start" in shown and "main exploded" in shown
            assert page.get_attribute("#anvil-pyodide-status", "role") == "alert"
        finally:
            page.close()
