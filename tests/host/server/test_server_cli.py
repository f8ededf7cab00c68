"""The command line, the app page, the client code download, and app folders that fail to load."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from anvil_pyodide.assets.runtime_location import runtime_dirs
from anvil_pyodide.cli import build_parser
from anvil_pyodide.config import ServerConfig

from tests.support.live_server import ROOT, LiveServer, free_port

pytestmark = pytest.mark.timeout(120)

BASIC_APP = ROOT / "tests" / "apps" / "basic"

#: Each ServerConfig field and the ``serve`` option that sets it.
OPTION_FOR_FIELD = {
    "call_timeout": "--call-timeout",
    "forward_output": "--forward-output",
    "max_media_bytes": "--max-media-bytes",
    "max_message_depth": "--max-message-depth",
    "max_message_objects": "--max-message-objects",
    "media_timeout": "--media-timeout",
    "max_connection_bytes": "--max-connection-bytes",
    "max_pending_reply_bytes": "--max-pending-reply-bytes",
    "reply_stall_timeout": "--reply-stall-timeout",
    "session_threads": "--session-threads",
    "max_connection_calls": "--max-connection-calls",
    "max_queued_calls": "--max-queued-calls",
    "max_connections": "--max-connections",
    "session_idle_timeout": "--session-timeout",
    "session_first_use_timeout": "--session-first-use-timeout",
    "session_check_interval": "--session-check-interval",
    "worker_threads": "--worker-threads",
    "uplink_key": "--uplink-key",
    "client_uplink_key": "--client-uplink-key",
    "uplink_failures_per_minute": "--uplink-failures-per-minute",
    "header_timeout": "--header-timeout",
    "max_header_bytes": "--max-header-bytes",
    "body_timeout": "--body-timeout",
    "runtime_dir": "--runtime-dir",
    "store": "--store",
    "task_retention": "--task-retention",
    "workers": "--workers",
    "process_timeout": "--process-timeout",
    "origins": "--allow-origin",
    "max_password_failures": "--max-password-failures",
    "password_lockout": "--password-lockout",
    "min_password_length": "--min-password-length",
    "remember_login_seconds": "--remember-login-days",
}
#: Fields that are not options: the positional APP_DIR, and the protocol's fixed frame limit.
NOT_OPTIONS = {"app_dir", "max_message_bytes"}


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "anvil_pyodide", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def make_app(folder: Path, server_files: dict[str, str] | None = None, index_html: str | None = None) -> Path:
    (folder / "server_code").mkdir(parents=True)
    (folder / "client_code").mkdir()
    (folder / "client_code" / "main.py").write_text("print('hi')\n")
    for name, text in (server_files or {}).items():
        (folder / "server_code" / name).write_text(text)
    if index_html is not None:
        (folder / "index.html").write_text(index_html)
    return folder


def test_python_dash_m_runs_the_cli() -> None:
    usage = run_cli()
    assert usage.returncode == 2
    assert "serve" in usage.stderr
    helped = run_cli("--help")
    assert helped.returncode == 0
    assert "serve" in helped.stdout and "Serve Anvil-style apps" in helped.stdout


def test_serve_help_documents_every_option() -> None:
    fields = {f.name for f in dataclasses.fields(ServerConfig)}
    assert set(OPTION_FOR_FIELD) == fields - NOT_OPTIONS, "a ServerConfig field has no CLI option (or vice versa)"
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps lines
    assert "APP_DIR" in text
    serve = next(a for a in build_parser()._actions if a.dest == "command").choices["serve"]
    documented = {option: action.help for action in serve._actions for option in action.option_strings}
    for option in [*OPTION_FOR_FIELD.values(), "--host", "--port", "--log-level"]:
        assert option in text, f"{option} missing from serve --help"
        assert documented.get(option) and len(documented[option]) > 15, f"{option} has no real help text"


def test_cli_options_reach_the_config() -> None:
    from anvil_pyodide.cli import config_from_args

    args = build_parser().parse_args(["serve", "app", "--call-timeout", "0", "--session-timeout", "5",
                                      "--forward-output", "--worker-threads", "3", "--max-media-bytes", "1000",
                                      "--uplink-key", "k", "--client-uplink-key", "c"])
    config = config_from_args(args)
    assert (config.call_timeout, config.session_idle_timeout, config.forward_output, config.worker_threads,
            config.max_media_bytes, config.uplink_key, config.client_uplink_key) == (None, 5, True, 3, 1000, "k", "c")
    assert config.app_dir == Path("app").resolve()
    limits = config_from_args(build_parser().parse_args([
        "serve", "app", "--max-message-depth", "7", "--max-message-objects", "8", "--media-timeout", "0",
        "--session-threads", "2", "--max-connection-calls", "9", "--max-queued-calls", "10",
        "--max-pending-reply-bytes", "11", "--reply-stall-timeout", "0"]))
    assert (limits.max_message_depth, limits.max_message_objects, limits.media_timeout, limits.session_threads,
            limits.max_connection_calls, limits.max_queued_calls, limits.max_pending_reply_bytes,
            limits.reply_stall_timeout) == (7, 8, None, 2, 9, 10, 11, None)


def test_app_online(http: httpx.Client) -> None:
    reply = http.get("/_/check-app-online")
    assert reply.status_code == 200


def test_default_page_loads_the_runtime_and_sets_the_session_cookie(http: httpx.Client) -> None:
    reply = http.get("/")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    cookie = reply.headers["set-cookie"]
    assert re.match(r"anvil-session=[\w-]{20,};", cookie), cookie
    flags = {part.strip() for part in cookie.split(";")[1:]}
    assert {"HttpOnly", "SameSite=Lax", "Path=/"} <= flags
    assert "Secure" not in flags  # plain http
    scripts = re.findall(r"<script\b[^>]*>", reply.text)
    assert len(scripts) == 1
    assert 'src="/_/runtime/anvil-pyodide.js"' in scripts[0] and 'data-main="main"' in scripts[0]


def test_the_runtime_script_the_page_loads_is_served(http: httpx.Client) -> None:
    reply = http.get("/_/runtime/anvil-pyodide.js")
    assert reply.status_code == 200
    assert "javascript" in reply.headers["content-type"]
    candidates = [d / "anvil-pyodide.js" for d in runtime_dirs(None)]
    assert reply.content == next(p for p in candidates if p.is_file()).read_bytes()


def test_page_keeps_a_live_session_and_replaces_a_stale_one(http: httpx.Client) -> None:
    token = http.get("/").cookies["anvil-session"]
    again = http.get("/", headers={"Cookie": f"anvil-session={token}"})
    assert again.cookies["anvil-session"] == token
    fresh = http.get("/", headers={"Cookie": "anvil-session=no-such-session"})
    assert fresh.cookies["anvil-session"] not in ("no-such-session", token)


def test_an_apps_own_index_html_is_served(tmp_path: Path) -> None:
    page = "<!doctype html><title>mine</title><script src='/_/runtime/anvil-pyodide.js' data-main='start'></script>"
    app = make_app(tmp_path / "app", index_html=page)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, trust_env=False, timeout=30) as http:
        reply = http.get("/")
        assert reply.status_code == 200
        assert reply.text == page
        assert "anvil-session=" in reply.headers["set-cookie"]


def test_client_code_zip_has_the_client_files_and_revalidates(http: httpx.Client) -> None:
    reply = http.get("/_/app/client_code.zip")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        assert sorted(archive.namelist()) == ["basic_shared.py", "lazy/__init__.py", "lazy/shapes.py",
                                             "main.py"]  # no __pycache__
        assert archive.read("basic_shared.py") == (BASIC_APP / "client_code" / "basic_shared.py").read_bytes()
    etag = reply.headers["etag"]
    cached = http.get("/_/app/client_code.zip", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    changed = http.get("/_/app/client_code.zip", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.content == reply.content


@pytest.mark.parametrize("files, where", [
    ({"good.py": "import anvil.server\n", "broken.py": "import anvil.server\n\nx = (1,\n"},
     "server_code/broken.py, line 3"),
    ({"boom.py": "import anvil.server\nVALUE = 1\nraise RuntimeError('no database')\n"},
     "server_code/boom.py, line 3: RuntimeError: no database"),
    ({"a_outer.py": "import helper_mod\n", "helper_mod.py": "\n\nundefined_name\n"},
     "server_code/a_outer.py (error in server_code/helper_mod.py), line 3: NameError"),
], ids=["syntax-error", "raises-on-import", "error-in-imported-module"])
def test_broken_server_code_stops_the_server_with_file_and_line(tmp_path: Path, files: dict[str, str],
                                                                where: str) -> None:
    app = make_app(tmp_path / "app", files)
    result = run_cli("serve", str(app), "--host", "127.0.0.1", "--port", str(free_port()))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Could not import server_code/" in output
    assert where in output, output
    assert "Traceback" not in output  # a clear one-line report, not a crash


def test_missing_app_folder_is_reported(tmp_path: Path) -> None:
    result = run_cli("serve", str(tmp_path / "nowhere"), "--port", str(free_port()))
    assert result.returncode != 0
    assert "does not exist" in result.stderr


def test_new_writes_an_app_and_refuses_a_folder_in_use(tmp_path: Path) -> None:
    made = subprocess.run([sys.executable, "-m", "anvil_pyodide", "new", str(tmp_path / "fresh")],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0 and "anvil-pyodide serve" in made.stdout
    assert (tmp_path / "fresh" / "server_code" / "geometry.py").is_file()
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    refused = subprocess.run([sys.executable, "-m", "anvil_pyodide", "new", str(tmp_path / "used")],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "already exists and is not an empty folder" in refused.stderr
    assert sorted(p.name for p in (tmp_path / "used").iterdir()) == ["notes.txt"]  # nothing written
