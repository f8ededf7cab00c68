"""HTTP endpoints and routes against the real server (tests/apps/http_app): every request attribute, every
return kind, parameters, bodies, Basic auth, CORS, 404/405/500 without leaking traces, concurrency."""

from __future__ import annotations

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import httpx
import pytest

from tests.host.server.conftest import ROOT
from tests.support.live_server import LiveServer
from tests.support.waiting import wait_until

HTTP_APP = ROOT / "tests" / "apps" / "http_app"


@pytest.fixture(scope="module")
def http_server() -> Iterator[LiveServer]:
    with LiveServer(HTTP_APP, "--call-timeout", "5") as server:
        yield server


@pytest.fixture
def client(http_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=http_server.url, trust_env=False, timeout=20) as c:
        yield c


def test_get_with_path_and_query_params_and_every_request_attribute(client: httpx.Client,
                                                                   http_server: LiveServer) -> None:
    reply = client.get("/_/api/echo/a%2Fb%20c?colour=red&size=2&size=3", headers={"X-Custom": "yes"})
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    seen = reply.json()
    assert seen["kind"] == "a/b c"
    assert seen["query_kwargs"] == {"colour": "red", "size": "3"} == seen["query_params"]
    assert seen["method"] == "GET" and seen["path"] == "/echo/a/b c"
    assert seen["headers"] == {"x-custom": "yes"}
    assert seen["form_params"] == {} and seen["body"] is None and seen["body_json"] is None
    assert seen["remote_address"] == "127.0.0.1" and seen["origin"] == http_server.url
    assert seen["username"] is None and seen["password"] is None and seen["user"] is None
    assert seen["client_type"] == "http" and seen["api_origin"] == http_server.url + "/_/api"


def test_json_body(client: httpx.Client) -> None:
    sent = json.dumps({"a": [1, 2], "b": None, "s": "é"}).encode()
    seen = client.post("/_/api/echo/j", content=sent, headers={"Content-Type": "application/json; charset=utf-8"}).json()
    assert seen["body_json"] == {"a": [1, 2], "b": None, "s": "é"}
    assert seen["body"][0] == "application/json; charset=utf-8" and bytes(seen["body"][1]) == sent


def test_invalid_json_body_is_a_400(client: httpx.Client) -> None:
    reply = client.post("/_/api/echo/j", content=b"{nope", headers={"Content-Type": "application/json"})
    assert reply.status_code == 400


def test_a_non_json_body_has_no_body_json(client: httpx.Client) -> None:
    seen = client.post("/_/api/echo/t", content=b'{"looks": "like json"}', headers={"Content-Type": "text/plain"}).json()
    assert seen["body_json"] is None and seen["body"][0] == "text/plain"


def test_binary_body_arrives_intact(client: httpx.Client) -> None:
    data = bytes(range(256)) * 4
    seen = client.put("/_/api/echo/bin", content=data, headers={"Content-Type": "application/octet-stream"}).json()
    assert seen["method"] == "PUT" and seen["body"] == ["application/octet-stream", list(data)]


def test_form_params_urlencoded_and_multipart(client: httpx.Client) -> None:
    seen = client.post("/_/api/echo/f", data={"name": "ada", "lang": "py"}).json()
    assert seen["form_params"] == {"name": "ada", "lang": "py"}
    seen = client.post("/_/api/echo/f", data={"name": "ada"}, files={"doc": ("a.txt", b"file body", "text/plain")}).json()
    assert seen["form_params"] == {"name": "ada", "doc": ["a.txt", "text/plain", "file body"]}


def test_basic_auth_credentials_reach_the_endpoint(client: httpx.Client) -> None:
    seen = client.get("/_/api/echo/a", auth=("ada", "pa:ss wörd")).json()
    assert (seen["username"], seen["password"]) == ("ada", "pa:ss wörd")


def test_literal_segments_win_over_parameters(client: httpx.Client) -> None:
    assert client.get("/_/api/items/books/12").json() == {"category": "books", "id": "12"}
    assert client.get("/_/api/items/books/new").text == "new item in books"
    assert client.get("/_/api/items/books/12/").json() == {"category": "books", "id": "12"}


def test_return_kinds(client: httpx.Client) -> None:
    text = client.get("/_/api/text")
    assert text.text == "héllo <b>world</b>" and text.headers["content-type"] == "text/plain; charset=utf-8"
    media = client.get("/_/api/media")
    assert media.content == b"\x89PNG\r\n\x1a\n\x00\xff" and media.headers["content-type"] == "image/png"
    assert 'filename="dot.png"' in media.headers["content-disposition"]
    custom = client.get("/_/api/custom")
    assert (custom.status_code, custom.text, custom.headers["x-teapot"]) == (418, "short and stout", "yes")
    assert custom.headers["content-type"].startswith("text/html")
    head = client.head("/_/api/text")
    assert head.status_code == 200 and head.content == b"" and head.headers["content-type"].startswith("text/plain")
    nothing = client.get("/_/api/nothing")
    assert nothing.status_code == 200 and nothing.content == b""


def test_async_endpoint_runs_on_the_loop(client: httpx.Client) -> None:
    assert client.post("/_/api/async/ada").json() == {"hello": "ada", "method": "POST"}


def test_an_endpoint_can_call_server_functions(client: httpx.Client) -> None:
    assert client.get("/_/api/calls").json() == 42


def test_a_failing_endpoint_answers_500_without_the_trace(client: httpx.Client, http_server: LiveServer) -> None:
    reply = client.get("/_/api/fail")
    assert reply.status_code == 500 and reply.text == "Internal server error"
    assert "secret" not in reply.text and "Traceback" not in reply.text
    wait_until(lambda: "ValueError: secret detail 42" in http_server.output(), "the trace in the server log")


def test_unknown_path_is_404_and_wrong_method_is_405(client: httpx.Client) -> None:
    assert client.get("/_/api/no/such/thing").status_code == 404
    reply = client.delete("/_/api/echo/x")
    assert reply.status_code == 405 and reply.headers["allow"] == "GET, POST, PUT"
    assert client.post("/_/api/items/a/b").headers["allow"] == "GET"


def test_require_credentials(client: httpx.Client) -> None:
    missing = client.get("/_/api/private")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Basic realm=")
    garbled = client.get("/_/api/private", headers={"Authorization": "Basic !!!"})
    assert garbled.status_code == 401
    assert client.get("/_/api/private", auth=("ada", "wrong")).status_code == 403
    assert client.get("/_/api/private", auth=("ada", "lovelace")).json() == {"user": "ada"}
    header = "Basic " + base64.b64encode(b"ada:lovelace").decode()
    assert client.get("/_/api/private", headers={"Authorization": header}).status_code == 200


def test_authenticate_users_refuses_without_a_user_service(client: httpx.Client) -> None:
    assert client.get("/_/api/users-only", auth=("ada", "lovelace")).status_code == 401


def test_cors_preflight_and_headers(client: httpx.Client) -> None:
    preflight = client.options("/_/api/open", headers={"Origin": "http://elsewhere.example",
                                                      "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "content-type, x-token"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert preflight.headers["access-control-allow-headers"] == "content-type, x-token"
    reply = client.post("/_/api/open", headers={"Origin": "http://elsewhere.example"})
    assert reply.json() == {"open": True} and reply.headers["access-control-allow-origin"] == "*"


def test_no_cors_without_enable_cors(client: httpx.Client) -> None:
    preflight = client.options("/_/api/text", headers={"Origin": "http://elsewhere.example",
                                                      "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in client.get("/_/api/text").headers


def test_sessions_are_per_request_unless_the_cookie_is_sent(client: httpx.Client) -> None:
    with httpx.Client(base_url=str(client.base_url), trust_env=False) as fresh:
        assert fresh.get("/_/api/session").json() == 1
        assert fresh.get("/_/api/session").json() == 1          # no cookie: a new session each time
        fresh.get("/")                                           # the page sets the session cookie
        assert fresh.get("/_/api/session").json() == 1
        assert fresh.get("/_/api/session").json() == 2          # the cookie's session is kept


def test_a_slow_endpoint_does_not_block_another(http_server: LiveServer) -> None:
    """Two requests wait in worker threads until the test opens their gate; meanwhile others are answered.
    (Were they serialised, the fast requests would wait behind the gate and time out.)"""
    key = uuid.uuid4().hex
    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=http_server.url, trust_env=False, timeout=30) as c:
        waiting = [pool.submit(c.get, f"/_/api/gate/{key}/wait") for _ in range(2)]
        wait_until(lambda: c.get(f"/_/api/gate/{key}/waiting").json() == 2, "both slow requests to be waiting")
        assert c.get("/_/api/text").status_code == 200
        assert c.get("/_/api/async/x").json() == {"hello": "x", "method": "GET"}
        assert not any(w.done() for w in waiting), "the slow requests still wait"
        assert c.get(f"/_/api/gate/{key}/open").text == "open"
        assert [w.result(timeout=60).text for w in waiting] == ["opened", "opened"]


@pytest.fixture(scope="module")
def limited_http_server() -> Iterator[LiveServer]:
    with LiveServer(HTTP_APP, "--call-timeout", "1", "--max-media-bytes", "1000") as server:
        yield server


def test_a_body_over_max_media_bytes_answers_413(limited_http_server: LiveServer) -> None:
    with httpx.Client(base_url=limited_http_server.url, trust_env=False, timeout=30) as c:
        at_limit = c.post("/_/api/echo/b", content=b"x" * 1000, headers={"Content-Type": "application/octet-stream"})
        assert at_limit.status_code == 200 and len(at_limit.json()["body"][1]) == 1000
        over = c.post("/_/api/echo/b", content=b"x" * 1001, headers={"Content-Type": "application/octet-stream"})
        assert over.status_code == 413


def test_an_endpoint_over_the_call_timeout_answers_500(limited_http_server: LiveServer) -> None:
    with httpx.Client(base_url=limited_http_server.url, trust_env=False, timeout=60) as c:
        reply = c.get("/_/api/slow?seconds=4")  # sleeping past the 1 s --call-timeout is the behaviour here
        assert (reply.status_code, reply.text) == (500, "Internal server error")
        assert c.get("/_/api/text").status_code == 200


def test_the_session_cookie_is_secure_on_https_only(client: httpx.Client) -> None:
    """Behind a TLS-terminating proxy on this host (uvicorn trusts X-Forwarded-Proto from 127.0.0.1)."""
    plain = client.get("/").headers["set-cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = client.get("/", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]
    assert secure.startswith("anvil-session=") and "; Secure" in secure and "HttpOnly" in secure
    assert client.get("/report/2024-05", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"].endswith("; Secure")


def test_cross_site_session_is_accepted(client: httpx.Client) -> None:
    reply = client.get("/_/api/cross-site")
    assert reply.status_code == 200 and reply.json() == {"cross_site": True, "session": True}


def test_a_route_returning_a_plain_value_answers_like_an_endpoint(client: httpx.Client) -> None:
    assert client.get("/health").json() == {"ok": True, "path": "/health"}
    failing = client.get("/broken")
    assert failing.status_code == 500 and "secret" not in failing.text


def test_a_form_response_serves_the_page_with_the_entry(client: httpx.Client) -> None:
    page = client.get("/report/2024-05?tab=totals")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "anvil-session=" in page.headers["set-cookie"]
    assert '<script type="application/json" id="anvil-pyodide-entry">' in page.text
    assert "</script>\"" not in page.text and "Report 2024-05 \\u003c/script>" in page.text
    assert '<script src="/_/runtime/anvil-pyodide.js" data-main="main">' in page.text


def test_paths_without_a_route_keep_their_behaviour(client: httpx.Client) -> None:
    root = client.get("/")
    assert root.status_code == 200 and "anvil-pyodide-entry" not in root.text
    assert client.post("/").status_code == 405
    assert client.get("/no/such/page").status_code == 404
    assert client.post("/health").status_code == 405
    assert client.get("/_/no-such-server-path").status_code == 404
    assert client.get("/_/server-call-http").status_code == 405


def test_path_templates_and_options_are_checked() -> None:
    from anvil_pyodide.web.endpoints import EndpointTable, http_endpoint
    from anvil_pyodide.web.routes import RouteTable, route

    with pytest.raises(ValueError, match="under /_/"):
        route("/_/mine", registry=RouteTable())(lambda: None)
    with pytest.raises(ValueError, match="starting with '/'"):
        http_endpoint("items", registry=EndpointTable())
    with pytest.raises(ValueError, match="named twice"):
        http_endpoint("/a/:x/:x", registry=EndpointTable())(lambda x: x)
    with pytest.raises(TypeError, match="list of method names"):
        http_endpoint("/a", methods="GET")
    with pytest.raises(TypeError, match="needs a path"):
        http_endpoint(lambda: None)
