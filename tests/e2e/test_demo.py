"""The demo as a new user meets it: README's demo command, the page in headless Chromium, every feature
driven and checked by what the user sees. Screenshots go to build/test-artifacts/."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import ARTIFACTS, ROOT, boot_app_page
from tests.support.live_server import free_port
from bench.server_calls import wait_online

UPLINK_KEY = "e2e-demo-key"
UPLINK_PYTHON = os.environ.get("ANVIL_UPLINK_PYTHON", str(ROOT / ".venv-uplink" / "bin" / "python"))


@pytest.fixture(scope="module")
def demo_server() -> Iterator[str]:
    """``./build.sh demo`` exactly as README says (with PORT and UPLINK_KEY set), in its own process group."""
    port = free_port()
    log = open(ROOT / "build" / "demo-e2e.log", "w")
    process = subprocess.Popen(["./build.sh", "demo"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PORT": str(port), "UPLINK_KEY": UPLINK_KEY}, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_online(url)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(20)
        log.close()


@pytest.fixture(scope="module")
def uplink(demo_server: str) -> Iterator[subprocess.Popen[str]]:
    """demo/uplink_example.py, run as README says, connected to the demo server."""
    process = subprocess.Popen([UPLINK_PYTHON, "demo/uplink_example.py", "--url", demo_server.replace("http", "ws") + "/_/uplink",
                                "--key", UPLINK_KEY], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if "serving uplink_greeting" in line:
            break
    else:
        raise RuntimeError("the uplink example exited before connecting")
    yield process
    process.terminate()
    process.wait(10)


@pytest.fixture
def demo(browser: Any, demo_server: str) -> Iterator[Any]:
    page = boot_app_page(browser.new_page(), demo_server + "/")
    page.set_viewport_size({"width": 1280, "height": 1000})
    assert page.evaluate("() => !anvilPyodide.error"), page.inner_text("body")
    yield page
    page.close()


def text(page: Any, selector: str) -> str:
    return page.inner_text(selector)


def wait_text(page: Any, selector: str, pattern: str, timeout: int = 15_000) -> str:
    page.wait_for_function("([s, p]) => new RegExp(p).test(document.querySelector(s).textContent)", arg=[selector, pattern],
                           timeout=timeout)
    return text(page, selector)


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"demo-{name}.png"), full_page=True)


def test_tasks_table_and_portable_class_both_ways(demo: Any) -> None:
    rows = demo.query_selector_all("#task-rows tr")
    assert len(rows) >= 3
    assert demo.query_selector("#task-rows td.overdue") is not None
    demo.fill("#task-title", "Book the venue")
    demo.fill("#task-due", "2031-05-04")
    demo.click("#task-add")
    assert wait_text(demo, "#task-message", "^Added") == "Added 'Book the venue'"
    assert "Book the venue\t2031-05-04" in wait_text(demo, "#task-rows", "Book the venue")  # re-rendered after the message
    demo.fill("#task-title", "book the VENUE")
    demo.click("#task-add")
    assert wait_text(demo, "#task-message", "already") == "There is already a task called 'book the VENUE'"
    assert demo.get_attribute("#task-message", "class") == "out error"
    screenshot(demo, "tasks")


def test_slow_report_under_the_global_spinner(demo: Any) -> None:
    demo.click("#report-run")
    demo.wait_for_selector("#anvil-spinner.anvil-spinner-visible", timeout=30_000)
    demo.wait_for_function("() => getComputedStyle(document.getElementById('anvil-spinner')).opacity === '1'",
                           timeout=30_000)  # the fade-in has finished, so the screenshot shows it
    screenshot(demo, "spinner")
    assert re.fullmatch(r"\d+ of \d+ tasks done · generated \d\d:\d\d:\d\d", wait_text(demo, "#report-out", "generated"))
    demo.wait_for_selector("#anvil-spinner", state="detached", timeout=30_000)


def test_card_refresh_covers_only_the_card(demo: Any) -> None:
    demo.evaluate("""() => { window.globalSpinnerSeen = false; new MutationObserver(() => {
        if (document.querySelector('#anvil-spinner.anvil-spinner-visible')) window.globalSpinnerSeen = true;
      }).observe(document.body, {subtree: true, childList: true, attributes: true}); }""")
    demo.click("#visitors-refresh")
    demo.wait_for_selector("#visitors-card > .anvil-spinner-layer", timeout=30_000)
    screenshot(demo, "card-overlay")
    assert re.fullmatch(r"[\d,]+", wait_text(demo, "#visitors", r"^[\d,]+$"))
    demo.wait_for_selector("#visitors-card > .anvil-spinner-layer", state="detached")
    assert demo.evaluate("() => window.globalSpinnerSeen") is False


def test_quick_checks_call_s_call_async_and_errors(demo: Any) -> None:
    demo.click("#ping")
    assert re.fullmatch(r"pong in \d+ ms \(no spinner\)", wait_text(demo, "#checks-out", "^pong"))
    demo.click("#async-ok")
    assert re.fullmatch(r"Server time arrived: \d\d:\d\d:\d\d", wait_text(demo, "#checks-out", "arrived"))
    demo.click("#async-fail")
    assert wait_text(demo, "#checks-out", "^ValueError") == "ValueError: The server could not do that (this error is on purpose)"
    demo.click("#sync-fail")
    assert wait_text(demo, "#checks-out", "^The server said") == \
        "The server said: The server could not do that (this error is on purpose)"


def test_notes_autosave_debounced_and_kept_in_the_session(demo: Any, demo_server: str) -> None:
    demo.type("#notes", "Remember the milk", delay=40)
    assert text(demo, "#notes-status") == "Editing…"
    assert wait_text(demo, "#notes-status", "^Saved") == "Saved (17 characters)"
    demo.reload()
    demo.wait_for_function("() => document.body.dataset.ready", timeout=90_000)
    assert demo.input_value("#notes") == "Remember the milk"


def test_live_clock_ticks_and_stops(demo: Any) -> None:
    first = wait_text(demo, "#clock", r"^\d\d:\d\d:\d\d$")
    demo.wait_for_function("t => document.getElementById('clock').textContent !== t", arg=first, timeout=30_000)
    demo.click("#clock-stop")
    stopped = wait_text(demo, "#clock", r"\(stopped\)$")
    # a page timer due 2.5 s from now fires after any tick the 1 s repeat would still have made
    demo.evaluate("() => new Promise((done) => setTimeout(done, 2500))")
    assert text(demo, "#clock") == stopped
    assert text(demo, "#online-text") == "online"


def test_progress_bar_fed_by_capability_updates(demo: Any) -> None:
    demo.evaluate("""() => { window.progressSeen = []; window.progressWatch = setInterval(() =>
        window.progressSeen.push(document.getElementById('job-progress').value), 20); }""")
    demo.click("#job-run")
    assert wait_text(demo, "#job-out", "^Processed") == "Processed 10 batches"
    seen = demo.evaluate("() => { clearInterval(window.progressWatch); return window.progressSeen; }")
    assert demo.evaluate("() => document.getElementById('job-progress').value") == 10
    assert any(0 < value < 10 for value in seen), f"no progress was shown while the job ran: {sorted(set(seen))}"


def test_upload_and_download(demo: Any, tmp_path: Any) -> None:
    payload = bytes(range(256)) * 4000
    upload = tmp_path / "figures.bin"
    upload.write_bytes(payload)
    demo.set_input_files("#upload", str(upload))
    shown = wait_text(demo, "#upload-out", "^figures.bin")
    assert shown == f"figures.bin: {len(payload):,} bytes, sha256 {hashlib.sha256(payload).hexdigest()[:16]}…"
    demo.fill("#notes", "export me")
    demo.click("#download-make")
    demo.wait_for_selector("#download-link:not([hidden])")
    assert demo.get_attribute("#download-link", "download") == "export.txt"
    body = demo.evaluate("async () => await (await fetch(document.getElementById('download-link').href)).text()")
    assert body.startswith("Exported ") and body.endswith("\n\nexport me\n")
    screenshot(demo, "files")


def test_the_uplink_example_answers(demo: Any, uplink: Any) -> None:
    demo.click("#uplink-ask")
    assert wait_text(demo, "#uplink-out", "^Hello").startswith("Hello demo page, from an uplink script on ")
    screenshot(demo, "uplink")


def test_the_account_card_signs_up_logs_out_and_logs_in(demo: Any) -> None:
    email = f"demo-{os.getpid()}-{hashlib.sha256(os.urandom(8)).hexdigest()[:8]}@example.com"
    wait_text(demo, "#account-out", "^Not logged in$")  # the page's start-up asked the server; its buttons work
    demo.click("#account-board")
    assert wait_text(demo, "#account-out", "^You must be logged in") == \
        "You must be logged in to call this server function (log in first)"
    demo.fill("#account-email", email)
    demo.fill("#account-password", "short")
    demo.click("#account-signup")
    assert "at least 8 characters" in wait_text(demo, "#account-out", "at least")
    demo.fill("#account-password", "correct horse battery")
    demo.click("#account-signup")
    assert wait_text(demo, "#account-out", "^Logged in") == f"Logged in as {email}"
    demo.click("#account-board")
    assert wait_text(demo, "#account-out", "^Welcome") == f"Welcome, {email}: this is visit 1 to your board"
    demo.click("#account-logout")
    assert wait_text(demo, "#account-out", "^Not logged in") == "Not logged in"
    demo.fill("#account-password", "wrong password")
    demo.click("#account-login")
    assert wait_text(demo, "#account-out", "Incorrect") == "Incorrect email address or password"
    demo.fill("#account-password", "correct horse battery")
    demo.click("#account-login")
    assert wait_text(demo, "#account-out", "^Logged in") == f"Logged in as {email}"
    demo.click("#account-board")
    assert wait_text(demo, "#account-out", "visit 2") == f"Welcome, {email}: this is visit 2 to your board"
    screenshot(demo, "account")
    demo.click("#account-logout")
    wait_text(demo, "#account-out", "^Not logged in")
