"""HTTP endpoints exercising every request attribute and every return kind."""

import asyncio
import threading
import time

import anvil
import anvil.server


@anvil.server.http_endpoint("/echo/:kind", methods=["GET", "POST", "PUT"])
def echo(kind, **query):
    request = anvil.server.request
    body = request.body
    return {
        "kind": kind, "query_kwargs": query, "method": request.method, "path": request.path,
        "headers": {k: v for k, v in request.headers.items() if k.startswith("x-")},
        "query_params": request.query_params,
        "form_params": {k: (v if isinstance(v, str) else [v.name, v.content_type, v.get_bytes().decode()])
                        for k, v in request.form_params.items()},
        "body": None if body is None else [body.content_type, list(body.get_bytes())],
        "body_json": request.body_json, "remote_address": request.remote_address, "origin": request.origin,
        "username": request.username, "password": request.password, "user": request.user,
        "client_type": anvil.server.context.client.type, "api_origin": anvil.server.get_api_origin(),
    }


@anvil.server.http_endpoint("/items/:category/:id", methods=["GET"])
def item(category, id):
    return {"category": category, "id": id}


@anvil.server.http_endpoint("/items/:category/new", methods=["GET"])
def new_item(category):
    return f"new item in {category}"


@anvil.server.http_endpoint("/text")
def text():
    return "héllo <b>world</b>"


@anvil.server.http_endpoint("/media")
def media():
    return anvil.BlobMedia("image/png", b"\x89PNG\r\n\x1a\n\x00\xff", name="dot.png")


@anvil.server.http_endpoint("/custom")
def custom():
    return anvil.server.HttpResponse(418, "short and stout", {"X-Teapot": "yes", "Content-Type": "text/html"})


@anvil.server.http_endpoint("/nothing")
def nothing():
    return None


@anvil.server.http_endpoint("/fail")
def fail():
    raise ValueError("secret detail 42")


@anvil.server.http_endpoint("/session")
def session_count():
    anvil.server.session["n"] = anvil.server.session.get("n", 0) + 1
    return anvil.server.session["n"]


@anvil.server.http_endpoint("/slow")
def slow(seconds="1"):
    time.sleep(float(seconds))
    return "slow done"


@anvil.server.http_endpoint("/async/:name")
async def async_endpoint(name):
    await asyncio.sleep(0.01)
    return {"hello": name, "method": anvil.server.request.method}


@anvil.server.http_endpoint("/calls")
def calls_a_function():
    return anvil.server.call("double", 21)


@anvil.server.callable
def double(x):
    return 2 * x


@anvil.server.http_endpoint("/private", require_credentials=True)
def private():
    request = anvil.server.request
    if (request.username, request.password) != ("ada", "lovelace"):
        return anvil.server.HttpResponse(403, "wrong credentials")
    return {"user": request.username}


@anvil.server.http_endpoint("/users-only", authenticate_users=True)
def users_only():
    return "never"


@anvil.server.http_endpoint("/open", methods=["GET", "POST"], enable_cors=True)
def open_endpoint():
    return {"open": True}


_gates_lock = threading.Lock()
_gates = {}
_waiting = {}


def _gate(key):
    with _gates_lock:
        return _gates.setdefault(key, threading.Event())


@anvil.server.http_endpoint("/gate/:key/wait")
def gate_wait(key):
    """Waits (in a worker thread) until ``/gate/<key>/open``; counts itself in ``/gate/<key>/waiting`` meanwhile."""
    gate = _gate(key)
    with _gates_lock:
        _waiting[key] = _waiting.get(key, 0) + 1
    return "opened" if gate.wait(60) else "gave up"


@anvil.server.http_endpoint("/gate/:key/waiting")
def gate_waiting(key):
    with _gates_lock:
        return _waiting.get(key, 0)


@anvil.server.http_endpoint("/gate/:key/open")
def gate_open(key):
    _gate(key).set()
    return "open"


@anvil.server.http_endpoint("/cross-site", cross_site_session=True)
def cross_site():
    return {"cross_site": True, "session": anvil.server.get_session_id() is not None}


@anvil.server.http_endpoint("/header", methods=["POST"])
def header():
    """Answers with the one header named in the JSON body ({"name": ..., "value": ...}), whatever it holds."""
    wanted = anvil.server.request.body_json
    return anvil.server.HttpResponse(200, "ok", {wanted["name"]: wanted["value"]})
