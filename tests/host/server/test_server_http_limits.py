"""Requests that are too big, too slow, or broken off, and answers that cannot be sent: each gets its limit's
status (413, 408, 431, 400, 500) with a clear log line and no traceback, and the server keeps serving others.

Raw sockets make the slow and broken requests; the server runs with short limits
(``--header-timeout 1 --body-timeout 1 --max-header-bytes 8192 --max-media-bytes 1000000``).
"""

from __future__ import annotations

import json
import select
import socket
import time
from typing import Callable, Iterator

import httpx
import pytest

from tests.host.server.conftest import ROOT
from tests.support.live_server import LiveServer
from tests.support.waiting import wait_until

HTTP_APP = ROOT / "tests" / "apps" / "http_app"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def limited() -> Iterator[LiveServer]:
    with LiveServer(HTTP_APP, "--header-timeout", "1", "--body-timeout", "1", "--max-header-bytes", "8192",
                    "--max-media-bytes", "1000000") as server:
        yield server


@pytest.fixture
def new_log(limited: LiveServer) -> Iterator[Callable[[], str]]:
    """What the server logs during the test; afterwards: no traceback, and the server still answers."""
    start = len(limited.output())
    yield lambda: limited.output()[start:]
    assert "Traceback" not in limited.output()[start:], limited.output()[start:]
    with httpx.Client(base_url=limited.url, trust_env=False, timeout=20) as client:
        assert client.get("/_/api/text").text == "héllo <b>world</b>"


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=30)


def read_answer(sock: socket.socket, timeout: float = 30) -> bytes:
    """Everything the server sends until it closes the connection (b"" if it closes without a word)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            part = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not part:
            return data
        data += part


def read_until(sock: socket.socket, end: bytes, timeout: float = 30) -> bytes:
    """What the server sends up to and including ``end`` (or until it closes the connection)."""
    sock.settimeout(timeout)
    data = b""
    while not data.endswith(end):
        part = sock.recv(65536)
        if not part:
            break
        data += part
    return data


def wait_for_line(log: Callable[[], str], text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in log().splitlines() if text in line]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no log line with {text!r}:\n{log()}")


def test_a_chunked_body_over_the_limit_is_refused_before_it_is_all_sent(limited: LiveServer, new_log) -> None:
    sock = connect(limited)
    sock.sendall(b"POST /_/api/echo/x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"
    sent, answered = 0, False
    while sent < 300 * 1024 * 1024 and not answered:
        try:
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += 65536
        answered = bool(select.select([sock], [], [], 0)[0])
    answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"Request body too large" in answer
    assert sent < 50 * 1024 * 1024, f"the client could send {sent} bytes before the 413"


def test_headers_that_never_end_are_answered_408(limited: LiveServer, new_log) -> None:
    with connect(limited) as sock:
        sock.sendall(b"GET /_/api/text HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        assert read_answer(sock).startswith(b"HTTP/1.1 408 ")
    with connect(limited) as idle:  # a connection that never sends a byte is closed, without a word
        assert read_answer(idle) == b""


def test_an_idle_keep_alive_connection_is_not_answered_408(limited: LiveServer, new_log) -> None:
    """Between requests uvicorn's keep-alive timeout (5 s, silent) applies, not the 1 s head timeout: a client
    reusing its connection after 2 s gets its answer, never an unsolicited 408."""
    with connect(limited) as sock:
        request = b"GET /_/api/text HTTP/1.1\r\nHost: t\r\n\r\n"
        sock.sendall(request)
        assert read_until(sock, "héllo <b>world</b>".encode()).startswith(b"HTTP/1.1 200 ")
        time.sleep(2)  # idle, past --header-timeout but within the keep-alive timeout
        sock.sendall(request)
        assert read_until(sock, "héllo <b>world</b>".encode()).startswith(b"HTTP/1.1 200 ")


def test_headers_over_the_limit_are_answered_431(limited: LiveServer, new_log) -> None:
    with connect(limited) as sock:
        sock.sendall(b"GET /_/api/text HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n")
        assert read_answer(sock).startswith(b"HTTP/1.1 431 ")
    wait_for_line(new_log, "is over 8192 bytes; answered 431")


def test_a_stalled_body_is_answered_408(limited: LiveServer, new_log) -> None:
    with connect(limited) as sock:
        sock.sendall(b"POST /_/api/echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789")
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 408 ") and answer.endswith(b"Request body timed out"), answer
    wait_for_line(new_log, "no part of the request body arrived for 1 s; answered 408")


@pytest.mark.parametrize("path", ["/_/api/echo/x", "/_/server-call-http"])
def test_an_aborted_upload_is_one_log_line(limited: LiveServer, new_log, path: str) -> None:
    with connect(limited) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 900000\r\n".encode()
                     + b"Content-Type: multipart/form-data; boundary=b\r\n\r\n--b\r\n" + b"x" * 1000)
    wait_for_line(new_log, f"POST {path} from 127.0.0.1: the client left before its request was read")


def test_deep_json_to_an_endpoint_is_a_400(limited: LiveServer, new_log) -> None:
    with httpx.Client(base_url=limited.url, trust_env=False, timeout=20) as client:
        reply = client.post("/_/api/echo/x", content=b"[" * 100_000 + b"]" * 100_000,
                            headers={"Content-Type": "application/json"})
    assert (reply.status_code, reply.text) == (400, "The request body is not valid JSON (nested too deeply)")


BAD_HEADERS = {
    "CR LF in a value": ("X-Next", "a\r\nSet-Cookie: evil=1", "HttpResponse header 'X-Next' has a CR, LF or NUL"),
    "NUL in a value": ("X-Nul", "a\0b", "HttpResponse header 'X-Nul' has a CR, LF or NUL"),
    "empty name": ("", "v", "HttpResponse header name '' is not a valid HTTP header name"),
    "space in a name": ("X Y", "v", "HttpResponse header name 'X Y' is not a valid HTTP header name"),
}


@pytest.mark.parametrize("name, value, logged", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_an_answer_with_a_bad_header_is_a_500(limited: LiveServer, new_log, name: str, value: str,
                                              logged: str) -> None:
    with httpx.Client(base_url=limited.url, trust_env=False, timeout=20) as client:
        reply = client.post("/_/api/header", json={"name": name, "value": value})
    assert (reply.status_code, reply.text) == (500, "Internal server error")
    assert "evil" not in reply.headers.get("set-cookie", "")
    line = wait_for_line(new_log, logged)
    assert "HTTP endpoint header (POST /_/api/header) failed" in line


def test_connections_past_max_connections_get_503_until_one_closes() -> None:
    """``--max-connections 3``: with three idle connections open, a request on a fourth is answered 503;
    once they close, requests are served again."""
    with LiveServer(HTTP_APP, "--max-connections", "3") as server:
        idle = [connect(server) for _ in range(3)]
        with httpx.Client(base_url=server.url, trust_env=False, timeout=20) as client:
            wait_until(lambda: client.get("/_/check-app-online").status_code == 503,
                       "the server to count the three idle connections")
            refused = client.get("/_/check-app-online")
            assert refused.status_code == 503 and refused.text == "Service Unavailable"
            for sock in idle:
                sock.close()
            wait_until(lambda: client.get("/_/check-app-online").status_code == 200,
                       "requests to be served once the idle connections closed")
        assert "Traceback" not in server.output()


def test_max_connections_must_not_be_negative() -> None:
    from anvil_pyodide.cli import check_options, config_from_args, build_parser

    args = build_parser().parse_args(["serve", str(HTTP_APP), "--max-connections", "-1"])
    assert check_options(config_from_args(args)) == "--max-connections must be 0 (no limit) or more, not -1"
