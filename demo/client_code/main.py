"""The demo page: every browser feature of anvil-pyodide doing a small real job.

Runs in the browser (Pyodide). Event handlers are wrapped with ``anvil.js.event_handler`` so that
``anvil.server.call`` can block inside them.
"""

import datetime

import anvil
import anvil.js
import anvil.server
import anvil.users
from anvil_labs import non_blocking
from models import Task, TaskRejected

document = anvil.js.document
window = anvil.js.window


def element(element_id):
    return document.getElementById(element_id)


def show(element_id, text, kind=""):
    target = element(element_id)
    target.textContent = text
    target.className = f"out {kind}".strip()


def on(element_id, event, handler):
    element(element_id).addEventListener(event, anvil.js.event_handler(handler))


# ---------------------------------------------------------------- tasks (a call filling a table; portable class)

def render_tasks(tasks):
    rows = element("task-rows")
    rows.innerHTML = ""
    for task in tasks:
        row = document.createElement("tr")
        for text, css in [(task.title, ""), (task.due.isoformat() if task.due else "—", "overdue" if task.overdue else ""),
                          ("✓" if task.done else "", "")]:
            cell = document.createElement("td")
            cell.textContent = text
            if css:
                cell.className = css
            row.appendChild(cell)
        rows.appendChild(row)


def add_task(event):
    due_text = element("task-due").value
    task = Task(element("task-title").value, datetime.date.fromisoformat(due_text) if due_text else None)
    try:
        stored = anvil.server.call("add_task", task)
    except TaskRejected as e:
        show("task-message", str(e), "error")
        return
    element("task-title").value = ""
    show("task-message", f"Added {stored.title!r}", "ok")
    render_tasks(anvil.server.call("list_tasks"))


# ---------------------------------------------------------------- spinner, element indicator

def run_report(event):
    report = anvil.server.call("slow_report", 2.0)
    show("report-out", f"{report['done']} of {report['tasks']} tasks done · generated "
                       f"{report['generated'].astimezone():%H:%M:%S}", "ok")


def refresh_visitors(event):
    with anvil.server.loading_indicator(element("visitors-card")):
        data = anvil.server.call("refresh_card", 1.2)
    element("visitors").textContent = f"{data['visitors']:,}"


# ---------------------------------------------------------------- call_s, call_async, errors

def ping(event):
    started = window.performance.now()
    reply = anvil.server.call_s("ping")
    show("checks-out", f"{reply} in {window.performance.now() - started:.0f} ms (no spinner)", "ok")


def async_ok(event):
    non_blocking.call_async("server_time").on_result(
        lambda when: show("checks-out", f"Server time arrived: {when.astimezone():%H:%M:%S}", "ok"),
        lambda error: show("checks-out", f"Failed: {error}", "error"))
    show("checks-out", "Asked the server… (the page stays usable)")


def async_fail(event):
    non_blocking.call_async("fail_on_purpose").on_error(
        lambda error: show("checks-out", f"{type(error).__name__}: {error}", "error"))


def sync_fail(event):
    try:
        anvil.server.call("fail_on_purpose")
    except ValueError as e:
        show("checks-out", f"The server said: {e}", "error")


# ---------------------------------------------------------------- defer as a debounced autosave

pending_save = None


def save_notes():
    saved = anvil.server.call_s("save_notes", element("notes").value)
    show("notes-status", f"Saved ({saved} characters)", "ok")


def notes_changed(event):
    global pending_save
    non_blocking.cancel(pending_save)
    show("notes-status", "Editing…")
    pending_save = non_blocking.defer(save_notes, 1.0)


# ---------------------------------------------------------------- repeat as a live clock

def tick():
    now = anvil.server.call_s("server_time")
    element("clock").textContent = now.astimezone().strftime("%H:%M:%S")
    update_online()


clock = non_blocking.repeat(tick, 1.0)


def stop_clock(event):
    non_blocking.cancel(clock)
    element("clock-stop").disabled = True
    element("clock").textContent += " (stopped)"


# ---------------------------------------------------------------- capability progress

def run_job(event):
    progress = element("job-progress")
    progress.value = 0
    token = anvil.server.call_s("issue_progress_token")
    token.set_update_handler(lambda update: setattr(progress, "value", update["done"]))
    show("job-out", anvil.server.call_s("long_job", token, 10), "ok")


# ---------------------------------------------------------------- media up and down

def upload(event):
    files = element("upload").files
    if files.length == 0:
        return
    info = anvil.server.call("describe_upload", anvil.js.to_media(files.item(0)))
    show("upload-out", f"{info['name']}: {info['bytes']:,} bytes, sha256 {info['sha256'][:16]}…", "ok")


def make_download(event):
    media = anvil.server.call("make_download", element("notes").value or "(no notes)")
    blob = window.Blob.new([anvil.js.window.Uint8Array.new(media.get_bytes())], {"type": media.content_type})
    link = element("download-link")
    link.href = window.URL.createObjectURL(blob)
    link.download = media.name
    link.hidden = False
    link.textContent = f"Download {media.name} ({media.length} bytes)"


# ---------------------------------------------------------------- the uplink

def ask_uplink(event):
    try:
        show("uplink-out", anvil.server.call("uplink_greeting", "demo page"), "ok")
    except (anvil.server.UplinkDisconnectedError, anvil.server.NoServerFunctionError):
        show("uplink-out", "No uplink is connected: run  python demo/uplink_example.py", "error")


# ---------------------------------------------------------------- account (anvil.users)

def show_account(user, kind="ok"):
    show("account-out", f"Logged in as {user['email']}" if user else "Not logged in", kind if user else "")


def account_credentials():
    return element("account-email").value, element("account-password").value


def log_in(event):
    try:
        user = anvil.users.login_with_email(*account_credentials(), remember=element("account-remember").checked)
    except anvil.users.AuthenticationFailed as e:  # TooManyPasswordFailures is one too
        show("account-out", str(e), "error")
        return
    element("account-password").value = ""
    show_account(user)


def sign_up(event):
    try:
        user = anvil.users.signup_with_email(*account_credentials(), remember=element("account-remember").checked)
    except (anvil.users.AuthenticationFailed, ValueError) as e:
        show("account-out", str(e), "error")
        return
    element("account-password").value = ""
    show_account(user)


def log_out(event):
    anvil.users.logout()
    show_account(None)


def open_board(event):
    try:
        show("account-out", anvil.server.call("my_board"), "ok")
    except anvil.users.AuthenticationFailed as e:
        show("account-out", f"{e} (log in first)", "error")


# ---------------------------------------------------------------- online state

def update_online():
    online = anvil.server.is_app_online()
    element("online-dot").className = "dot " + ("online" if online else "offline")
    element("online-text").textContent = "online" if online else "offline"


def report_error(error):
    show("checks-out", f"Unexpected error: {type(error).__name__}: {error}", "error")


anvil.set_default_error_handling(report_error)
render_tasks(anvil.server.call("list_tasks"))
element("notes").value = anvil.server.call_s("load_notes")
update_online()
show_account(anvil.users.get_user())
for element_id, event, handler in [
    ("task-add", "click", add_task), ("report-run", "click", run_report), ("visitors-refresh", "click", refresh_visitors),
    ("ping", "click", ping), ("async-ok", "click", async_ok), ("async-fail", "click", async_fail),
    ("sync-fail", "click", sync_fail), ("notes", "input", notes_changed), ("clock-stop", "click", stop_clock),
    ("job-run", "click", run_job), ("upload", "change", upload), ("download-make", "click", make_download),
    ("uplink-ask", "click", ask_uplink), ("account-login", "click", log_in), ("account-signup", "click", sign_up),
    ("account-logout", "click", log_out), ("account-board", "click", open_board),
]:
    on(element_id, event, handler)
document.body.dataset.ready = "true"
