"""``anvil.server.call`` in the browser: encode, send through the bridge, wait, decode.

Blocking works two ways (see README, "Blocking calls"):
1. JSPI: when the Python stack was entered "promising" (the main module, handlers made with
   ``anvil.js.event_handler``, timers of ``defer``/``repeat``), the call suspends Python on the
   transport's promise while the page keeps running.
2. Otherwise a synchronous HTTP request to ``/_/server-call-http``: it works everywhere, but the
   page cannot repaint meanwhile.

``last_call_path()`` says which one ran.

Example (the encoding half, which runs anywhere):
    >>> call_id, text, frames, caps = encode_call("add", (1, 2**40), {})
    >>> json.loads(text)["objects"]
    [{'type': ['Long'], 'value': '1099511627776', 'path': ['args', 1]}]
    >>> json.loads(encode_call("get_state", (), {}, {"backend": "B", "id": "t1", "mac": "m"})[1])["liveObjectCall"]
    {'backend': 'B', 'id': 't1', 'mac': 'm', 'permissions': None, 'method': 'get_state'}
    >>> decode_reply('{"id": "c1", "response": [1, null], "objects": [{"path": ["response", 1], "type": ["Long"], "value": "9007199254740993"}]}')
    {'id': 'c1', 'response': [1, 9007199254740993]}
"""

from __future__ import annotations

import asyncio
import itertools
import json
import marshal
import os
from typing import Any, Callable, Coroutine

from .._errors import AppOfflineError, SerializationError, error_from_wire
from .._wire import decode_message, encode_message, is_plain_json
from .indicator import GlobalSpinnerDuring, suppressing_global_spinner
from .scalar_entries import apply_scalar_entries
from .updates import apply_capability_updates, show_output
from .wire_text import js_message_text

_last_path = ""


def last_call_path() -> str:
    """``"jspi"`` or ``"sync-http"``: how the last blocking call waited."""
    return _last_path


def _bridge() -> Any:
    import _anvil_bridge  # registered by the page loader

    return _anvil_bridge


class _CallIds:
    """Call ids: a prefix drawn once per page (after a memory snapshot is restored, never inside it) and a counter.

    Example:
        >>> ids = _CallIds()
        >>> a, b = ids.next(), ids.next()
        >>> a != b and a.split("-")[0] == b.split("-")[0]
        True
    """

    def __init__(self) -> None:
        self.prefix = ""
        self.counter = itertools.count(1)

    def next(self) -> str:
        if not self.prefix:
            self.prefix = os.urandom(8).hex()
        return f"{self.prefix}-{next(self.counter)}"


_ids = _CallIds()
#: The capabilities each call in flight sent, by call id (for the progress messages that update them).
_in_flight: dict[str, Any] = {}


def encode_call(fn_name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                live_object: dict[str, Any] | None = None) -> tuple[str, Any, list[tuple[str, bytes]], Any]:
    """The CALL's id, JSON text, media frames and the capabilities it carries (SerializationError here).

    The text is a str, or for a long CALL in the browser the bridge's JS-side text (``js_message_text``).

    With ``live_object`` (a LiveObject's spec) it calls that object's method ``fn_name`` instead:
    ``"liveObjectCall": {"backend", "id", "mac", "permissions", "method"}`` replaces ``command``.
    """
    if not isinstance(fn_name, str):
        raise TypeError(f"anvil.server.call expects the function name (a str) first, not {type(fn_name).__name__}")
    call_id = _ids.next()
    target: dict[str, Any] = {"command": fn_name}
    if live_object is not None:
        target = {"liveObjectCall": {**{k: live_object.get(k) for k in ("backend", "id", "mac", "permissions")},
                                     "method": fn_name}}
    message = {"type": "CALL", "id": call_id, **target, "args": list(args), "kwargs": dict(kwargs), "vt_global": []}
    return (call_id, *message_text(message))


def message_text(message: dict[str, Any]) -> tuple[Any, list[tuple[str, bytes]], Any]:
    """A message's JSON text, its media frames and the capabilities it carries (SerializationError here); the
    text is the bridge's (``js_message_text``: written in JS from marshal or pickle bytes) for a long message of
    plain JSON, dates, aware datetimes and Longs, else a str made by the codec.

    Example:
        >>> text, frames, capabilities = message_text({"id": "c1", "response": b"x"})
        Traceback (most recent call last):
        ...
        anvil.server.SerializationError: Cannot serialize <class 'bytes'> object at msg['response']
    """
    text = js_message_text(message)
    if text is not None:
        return text, [], []
    if _plain(message):  # all the codec would do is add an empty "objects" list: skip its walk
        return json.dumps({**message, "objects": []}, allow_nan=False), [], []
    encoded = encode_message(message)
    frames = [(json.dumps(header), data) for header, data in encoded.chunks()] if encoded.media else []
    return json.dumps(encoded.message, allow_nan=False), frames, encoded.capabilities


def _plain(message: dict[str, Any]) -> bool:
    """True when ``message`` is plain JSON (``is_plain_json``), False also when it is too deep to tell.

    Example:
        >>> _plain({"id": "c1", "args": [1, "x", None]}), _plain({"id": "c1", "args": [(1, 2)]})
        (True, False)
    """
    try:
        return is_plain_json(message)
    except RecursionError:
        return False


def decode_reply(text: str | bytes, media: dict[str, bytes] | None = None, error: str | None = None) -> dict[str, Any]:
    """A received message (its JSON text or UTF-8 bytes; its media already assembled by the bridge) as Python values.

    ``error`` is a framing problem the bridge found in the message's media chunks.
    """
    if error:
        raise SerializationError(error)
    return decode_message(json.loads(text), media).message


def parse_js_reply(reply: Any) -> Any:
    """The JSON value of a bridge reply, as ``json.loads`` of its text gives it (but for a message's ``objects``
    list of only Date, DateTime, Long and Float entries, which comes pre-parsed: scalar_entries.py).

    The bridge has transcoded the text into ``marshal`` bytes (``reply.marshal``, js_bridge/json_marshal.mjs),
    which Python loads without scanning text again; when the bridge left the text to Python (``null``: not
    JSON, or too deep), ``json.loads`` reads its UTF-8 bytes and decides (raising its error).
    """
    packed = reply.marshal
    if packed is None:
        return json.loads(reply.utf8.to_bytes())
    return marshal.loads(packed.to_bytes())


def decode_js_reply(reply: Any) -> dict[str, Any]:
    """A reply from the bridge (``{text, media, error, utf8, marshal}``, see js_bridge/transport.mjs) as Python
    values. Bytes cross into Python, not the JS string: copying bytes is far cheaper than converting a string.
    """
    if reply.error:
        raise SerializationError(reply.error)
    js_media = reply.media
    media = {str(key): data.to_bytes() for key, data in js_media.object_entries()} if js_media else None
    message = parse_js_reply(reply)
    if type(message) is dict and type(message.get("objects")) is tuple:  # pre-parsed Dates, DateTimes, Longs...
        if apply_scalar_entries(message):
            return message
        message = json.loads(reply.utf8.to_bytes())  # a bad path or value: the codec names it
    return decode_message(message, media, owned=True).message  # a fresh value: filled in place


def _frames_to_js(frames: list[tuple[str, bytes]]) -> Any:
    if not frames:
        return None
    from pyodide.ffi import to_js

    return to_js([[header, data] for header, data in frames])


def apply_progress(message: dict[str, Any], capabilities: Any) -> None:
    """A message that arrived before the result: capability updates, forwarded output."""
    apply_capability_updates(message, capabilities)
    show_output(message)


def _on_progress(call_id: str, reply: Any) -> None:
    """The bridge's one listener for every call's progress messages (registered once, see ``_send``)."""
    apply_progress(decode_js_reply(reply), _in_flight.get(call_id, []))


class _ImmediateLoop:
    """The loop of the Futures a blocking call waits on with ``run_sync``: their done callbacks run at once, so
    Python resumes a microtask after the reply arrives instead of a macrotask (an event-loop turn) later.

    Example:
        >>> import asyncio
        >>> future, seen = asyncio.Future(loop=_ImmediateLoop()), []
        >>> future.add_done_callback(lambda f: seen.append(f.result()))
        >>> future.set_result(1); seen
        [1]
    """

    def get_debug(self) -> bool:
        return False

    def call_soon(self, callback: Callable[..., Any], *args: Any, context: Any = None) -> None:
        if context is None:
            callback(*args)
        else:
            context.run(callback, *args)


class BridgeError(Exception):
    """The bridge refused a call (``js_error`` is its JavaScript error; offline ones become AppOfflineError)."""

    def __init__(self, js_error: Any) -> None:
        super().__init__(str(getattr(js_error, "message", js_error)))
        self.js_error = js_error


class _Bridge:
    """The bridge's ``call`` and ``callSettled``, with the progress and settle listeners registered once (after
    the page loader set the bridge up; never inside a memory snapshot)."""

    bridge: Any = None
    call: Any = None
    call_settled: Any = None
    waiting: dict[str, Any] = {}
    loop = _ImmediateLoop()
    #: pyodide.ffi's, imported once (not on every call: an import statement in a function costs a lookup and
    #: importlib's _handle_fromlist each time; this module also loads outside Pyodide, so not at the top).
    run_sync: Callable[[Any], Any]
    can_run_sync: Callable[[], bool]

    @classmethod
    def ready(cls) -> type[_Bridge]:
        if cls.bridge is None:
            from pyodide.ffi import can_run_sync, create_proxy, run_sync

            bridge = _bridge()
            bridge.onProgress = create_proxy(_on_progress)
            bridge.onSettled = create_proxy(cls.settled)
            cls.run_sync, cls.can_run_sync = staticmethod(run_sync), staticmethod(can_run_sync)
            cls.call, cls.call_settled, cls.bridge = bridge.call, bridge.callSettled, bridge
        return cls

    @classmethod
    def send(cls, call_id: str, text: str, frames: list[tuple[str, bytes]], spinner: bool) -> Any:
        """Send a CALL; returns the bridge's promise of the reply (for ``await``)."""
        cls.ready()
        return cls.call(call_id, text, _frames_to_js(frames), spinner)

    @classmethod
    def wait(cls, call_id: str, text: str, frames: list[tuple[str, bytes]], spinner: bool) -> Any:
        """Send a CALL and suspend Python (JSPI) until its reply; raises BridgeError if the bridge refuses it."""
        cls.ready()
        future = asyncio.Future(loop=cls.loop)  # type: ignore[arg-type]
        cls.waiting[call_id] = future
        try:
            cls.call_settled(call_id, text, _frames_to_js(frames) if frames else None, spinner)
            return cls.run_sync(future)
        finally:
            cls.waiting.pop(call_id, None)

    @staticmethod
    def settled(call_id: str, reply: Any, error: Any) -> None:
        future = _Bridge.waiting.get(call_id)
        if future is None or future.done():
            return
        if error is not None:
            future.set_exception(BridgeError(error))
        else:
            future.set_result(reply)


def with_server_trace(exc: BaseException) -> BaseException:
    """Add the server's stack to the exception, so a printed traceback shows both sides."""
    error_obj = getattr(exc, "error_obj", None) or getattr(exc, "_anvil_error_obj", None) or {}
    frames = [frame for frame in error_obj.get("trace") or [] if isinstance(frame, list) and len(frame) == 2]
    if frames:
        exc.add_note("Server traceback (innermost first):\n" +
                     "\n".join(f'  File "{file}", line {line}' for file, line in frames))
    return exc


def result_of(final: dict[str, Any], capabilities: Any) -> Any:
    apply_capability_updates(final, capabilities)
    if "error" in final:
        raise with_server_trace(error_from_wire(final["error"]))
    return final.get("response")


def _offline(bridge: Any, error: Any) -> AppOfflineError | None:
    js_error = getattr(error, "js_error", error)
    try:
        if bridge.isOffline(js_error):
            return AppOfflineError(str(getattr(js_error, "message", error)))
    except Exception:  # noqa: BLE001 - not a JS error at all
        return None
    return None


def call(fn_name: str, *args: Any, **kwargs: Any) -> Any:
    """Call a server function and wait for its result (see the module docstring for how it waits)."""
    return blocking_call(fn_name, args, kwargs, silent=False)


def call_s(fn_name: str, *args: Any, **kwargs: Any) -> Any:
    """``call`` without the loading spinner."""
    return blocking_call(fn_name, args, kwargs, silent=True)


def _spinner_wanted(silent: bool) -> bool:
    return not silent and not suppressing_global_spinner()


def blocking_call(fn_name: str, args: tuple[Any, ...], kwargs: dict[str, Any], silent: bool,
                  live_object: dict[str, Any] | None = None) -> Any:
    global _last_path
    call_id, text, frames, capabilities = encode_call(fn_name, args, kwargs, live_object)
    try:
        if _Bridge.ready().can_run_sync():
            _last_path = "jspi"
            _in_flight[call_id] = capabilities
            try:
                reply = _Bridge.wait(call_id, text, frames, _spinner_wanted(silent))
            finally:
                del _in_flight[call_id]
            return result_of(decode_js_reply(reply), capabilities)
        _last_path = "sync-http"
        final = None
        with GlobalSpinnerDuring(silent):
            for incoming in _bridge().syncCall(text, _frames_to_js(frames)):
                message = decode_js_reply(incoming)
                if "response" in message or "error" in message:
                    final = message
                else:
                    apply_progress(message, capabilities)
        if final is None:
            raise AppOfflineError("Connection to server failed (no response)")
        return result_of(final, capabilities)
    except Exception as e:
        offline = _offline(_bridge(), e) if isinstance(e, BridgeError) or type(e).__name__ == "JsException" else None
        if offline is not None:
            raise offline from None
        raise


async def call_async(fn_name: str, *args: Any, **kwargs: Any) -> Any:
    """``await anvil.server.call_async(name, ...)``: a server call that never blocks (for ``async def`` code)."""
    return await start_call(fn_name, args, kwargs, silent=False)


def start_call(fn_name: str, args: tuple[Any, ...], kwargs: dict[str, Any], silent: bool) -> Coroutine[Any, Any, Any]:
    """Encode and send a CALL now, so calls reach the server in the order the program made them (a call started
    before ``reset_session()`` runs in the old session); the coroutine returned waits for its result.

    Example (in the browser): ``reply = start_call("add", (1, 2), {}, silent=True)``, then ``await reply`` gives 3.
    """
    call_id, text, frames, capabilities = encode_call(fn_name, args, kwargs)
    _in_flight[call_id] = capabilities
    try:
        sent = _Bridge.send(call_id, text, frames, _spinner_wanted(silent))
    except BaseException as e:
        del _in_flight[call_id]
        offline = _offline(_bridge(), e) if isinstance(e, Exception) else None
        if offline is not None:
            raise offline from None
        raise
    return _result_when_replied(call_id, sent, capabilities)


async def _result_when_replied(call_id: str, sent: Any, capabilities: Any) -> Any:
    try:
        reply = await sent
    except Exception as e:
        offline = _offline(_bridge(), e)
        if offline is not None:
            raise offline from None
        raise
    finally:
        del _in_flight[call_id]
    return result_of(decode_js_reply(reply), capabilities)
