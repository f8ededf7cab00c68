"""``anvil.server`` on the Skulpt runtime: the same names and behaviour as on Pyodide (client/anvil/server.py).

``call`` and ``call_s`` look blocking: the native layer returns a Skulpt suspension on the transport's promise
(js_bridge/skulpt_native.mjs), so Python waits while the page keeps repainting and other handlers run.

Example (in the Skulpt runtime, against a server with ``add``):
    >>> anvil.server.call("add", 1, 2**40)
    1099511627777
"""

import _anvil_skulpt
from anvil._capability import Capability, apply_capability_updates, invalidate_capabilities
from anvil._codec import decode_message, encode_message
from anvil._errors import (AnvilWrappedError, AppOfflineError, BackgroundTaskError, BackgroundTaskKilled,
                           BackgroundTaskNotFound, ExecutionTerminatedError, InternalError, InvalidObjectError,
                           InvalidResponseError, NoServerFunctionError, PermissionDenied, QuotaExceededError,
                           RuntimeUnavailableError, SerializationError, ServiceNotAdded, SessionExpiredError,
                           TimeoutError, UplinkDisconnectedError, _register_exception_type, error_from_wire,
                           server_trace)
from anvil._portable import SerializationInfo, portable_class


class _CallIds:
    """Call ids: a random prefix per page and a counter."""

    def __init__(self):
        self.prefix = _anvil_skulpt.random_hex(8)
        self.counter = 0

    def next(self):
        self.counter += 1
        return self.prefix + "-" + str(self.counter)


_ids = _CallIds()
#: The capabilities each call in flight sent, by call id (for the progress messages that update them).
_in_flight = {}


def encode_call(fn_name, args, kwargs, live_object=None):
    """The CALL's id, JSON text and media frames (SerializationError here, before anything is sent); the
    capabilities it carries are kept in ``_in_flight`` until ``result_of`` reads its reply. With ``live_object``
    (a LiveObject's spec) it calls that object's method ``fn_name`` instead."""
    if not isinstance(fn_name, str):
        raise TypeError("anvil.server.call expects the function name (a str) first, not " + type(fn_name).__name__)
    call_id = _ids.next()
    message = {"type": "CALL", "id": call_id, "command": fn_name, "args": args, "kwargs": kwargs, "vt_global": [],
               "objects": []}
    if live_object is not None:
        del message["command"]
        message["liveObjectCall"] = {"backend": live_object.get("backend"), "id": live_object.get("id"),
                                     "mac": live_object.get("mac"), "permissions": live_object.get("permissions"),
                                     "method": fn_name}
    text = _anvil_skulpt.plain_json(message)  # the fast path: nothing in it needs an ``objects`` entry
    if text is not None:
        return call_id, text, []
    del message["objects"]
    encoded = encode_message(message)
    text, frames = _anvil_skulpt.json_dumps(encoded.message), encoded.frames()
    _in_flight[call_id] = encoded.capabilities
    return call_id, text, frames


def decode_reply(outcome):
    """The decoded message of a call's outcome tuple (see skulpt_native.mjs); AppOfflineError when offline."""
    kind = outcome[0]
    if kind == "offline":
        raise AppOfflineError(outcome[1])
    if kind != "reply":
        raise InternalError("The call could not be sent: " + outcome[1])
    if outcome[3]:
        raise SerializationError(outcome[3])
    return decode_message(_anvil_skulpt.json_loads(outcome[1]), outcome[2])


def show_output(message):
    """A server function's forwarded output, printed to the browser console."""
    if isinstance(message.get("output"), str):
        print(message["output"], end="")


def _on_progress(call_id, outcome):
    message = decode_reply(outcome)
    apply_capability_updates(message, _in_flight.get(call_id, []))
    show_output(message)


_anvil_skulpt.on_progress(_on_progress)


def result_of(call_id, outcome):
    """The response of a finished call, or its error raised (with the server's trace on ``server_trace``)."""
    capabilities = _in_flight.pop(call_id, [])
    message = decode_reply(outcome)
    apply_capability_updates(message, capabilities)
    show_output(message)
    if "error" in message:
        error = error_from_wire(message["error"])
        error.server_trace = server_trace(error)
        raise error
    return message.get("response")


class _Indicators:
    """How many ``no_loading_indicator`` blocks and loading indicators are open (calls show no global spinner)."""

    suppressed = 0


def _spinner_wanted(silent):
    return not silent and _Indicators.suppressed == 0


def blocking_call(fn_name, args, kwargs, silent, live_object=None):
    call_id, text, frames = encode_call(fn_name, args, kwargs, live_object)
    return result_of(call_id, _anvil_skulpt.wait_call(call_id, text, frames, _spinner_wanted(silent)))


def call(fn_name, *args, **kwargs):
    """Call a server function and wait for its result (the page keeps running meanwhile)."""
    return blocking_call(fn_name, args, kwargs, False)


def call_s(fn_name, *args, **kwargs):
    """``call`` without the loading spinner."""
    return blocking_call(fn_name, args, kwargs, True)


def call_async(fn_name, *args, **kwargs):
    """Pyodide's ``await anvil.server.call_async(...)`` is for ``async def`` code, which Skulpt does not run."""
    raise NotImplementedError("anvil.server.call_async is for async def code, which the Skulpt runtime does not run: "
                              "use anvil_labs.non_blocking.call_async(name, ...) and wait_for")


def start_call(fn_name, args, kwargs, silent):
    """Send a CALL now (calls reach the server in program order); returns its id and the pending outcome, which
    ``_anvil_skulpt.await_promise`` waits for and ``result_of(call_id, outcome)`` reads."""
    call_id, text, frames = encode_call(fn_name, args, kwargs)
    return call_id, _anvil_skulpt.send_call(call_id, text, frames, _spinner_wanted(silent))


def last_call_path():
    """How the last blocking call waited: always ``"skulpt"`` (a suspension) on this runtime."""
    return "skulpt"


class _NoLoadingIndicator:
    """``with anvil.server.no_loading_indicator:``: calls inside show no global spinner."""

    def __enter__(self):
        _Indicators.suppressed += 1
        return self

    def __exit__(self, *exc):
        _Indicators.suppressed -= 1

    def __repr__(self):
        return "anvil.server.no_loading_indicator"


no_loading_indicator = _NoLoadingIndicator()


def _resolve_element(element_or_css_selector):
    """A DOM element from an element, a CSS selector, or an object with a ``dom_node``; ValueError if none."""
    if element_or_css_selector is None:
        return None
    if isinstance(element_or_css_selector, str):
        try:
            element = _anvil_skulpt.global_this.document.querySelector(element_or_css_selector)
        except Exception:
            raise ValueError("loading_indicator: " + repr(element_or_css_selector) + " is not a valid CSS selector")
        if element is None:
            raise ValueError("loading_indicator: no element matches the selector " + repr(element_or_css_selector))
        return element
    element = getattr(element_or_css_selector, "dom_node", element_or_css_selector)
    if not isinstance(element, _anvil_skulpt.JsProxy) or getattr(element, "getBoundingClientRect", None) is None:
        raise TypeError("loading_indicator expects a DOM element or a CSS selector string, not "
                        + type(element_or_css_selector).__name__)
    return element


def _check_min_height(min_height):
    if min_height is None or isinstance(min_height, str):
        return min_height
    if isinstance(min_height, (int, float)) and not isinstance(min_height, bool) and min_height >= 0:
        return min_height
    raise TypeError("min_height must be a number of pixels, a CSS length string or None, not " + repr(min_height))


class LoadingIndicator:
    """The global spinner (no element) or an overlay over an element while the ``with`` block runs."""

    def __init__(self, element_or_css_selector=None, min_height=None):
        self.element = _resolve_element(element_or_css_selector)
        self.min_height = _check_min_height(min_height)
        self.running = False

    def start(self):
        if not self.running:
            self.running = True
            _Indicators.suppressed += 1  # calls inside show this indicator, not the global spinner as well
            _anvil_skulpt.indicator(True, self.element, self.min_height)

    def stop(self):
        if self.running:
            self.running = False
            _Indicators.suppressed -= 1
            _anvil_skulpt.indicator(False, self.element, None)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class _LoadingIndicatorFactory:
    """``anvil.server.loading_indicator``: ``with`` it for the global spinner, or call it with an element."""

    def __init__(self):
        self.open = []

    def __call__(self, element_or_css_selector=None, min_height=None):
        return LoadingIndicator(element_or_css_selector, min_height)

    def __enter__(self):
        indicator = LoadingIndicator()
        self.open.append(indicator)
        return indicator.__enter__()

    def __exit__(self, *exc):
        self.open.pop().__exit__()

    def __repr__(self):
        return "anvil.server.loading_indicator"


loading_indicator = _LoadingIndicatorFactory()


class _Online:
    checked_at = None
    online = False


def is_app_online():
    """True when the server answers ``/_/check-app-online`` (the answer is cached for 5 s)."""
    now = _anvil_skulpt.monotonic()
    if _Online.checked_at is None or now - _Online.checked_at >= 5.0:
        _Online.online = _anvil_skulpt.check_online()
        _Online.checked_at = now
    return _Online.online


def reset_session():
    """Start a new server session (after ``SessionExpiredError``)."""
    token = call("anvil.private.reset_session")
    _anvil_skulpt.set_session_token(token)
    invalidate_capabilities()


def get_app_origin(environment_type=None):
    """The origin of the server this page talks to, e.g. ``http://127.0.0.1:8000``."""
    return _anvil_skulpt.origin


def get_api_origin(environment_type=None):
    """The root URL of the app's HTTP API."""
    return get_app_origin() + "/_/api"


class _ClientInfo:
    type = "browser"
    ip = None
    location = None


class _BrowserCallContext:
    """``anvil.server.context`` in the browser."""

    type = "browser"
    client = _ClientInfo()
    remote_caller = None
    background_task_id = None


context = _BrowserCallContext()


def _server_only(name):
    def refuse(*args, **kwargs):
        raise RuntimeError("anvil.server." + name + " is only available in server code")
    return refuse


class _ServerOnlySession:
    """``anvil.server.session`` (and ``task_state``, ``request``) exist only in server code."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, name):
        raise RuntimeError("anvil.server." + self._name + " is only available in server code")

    def _refuse(self, *args):
        raise RuntimeError("anvil.server." + self._name + " is only available in server code")

    __getitem__ = __setitem__ = __delitem__ = __contains__ = __iter__ = __len__ = _refuse


session = _ServerOnlySession("session")
task_state = _ServerOnlySession("task_state")
request = _ServerOnlySession("request")
get_session_id = _server_only("get_session_id")
callable = _server_only("callable")
launch_background_task = _server_only("launch_background_task")
background_task = _server_only("background_task")
get_background_task = _server_only("get_background_task")
list_background_tasks = _server_only("list_background_tasks")
http_endpoint = _server_only("http_endpoint")
route = _server_only("route")
HttpResponse = _server_only("HttpResponse")
FormResponse = _server_only("FormResponse")
