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
    {'backend': 'B', 'id': 't1', 'mac': 'm', 'method': 'get_state', 'permissions': None}
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Callable

from .._errors import AppOfflineError, error_from_wire
from .._wire import MediaAssembler, decode_message, encode_message, media_ids
from .indicator import GlobalSpinnerDuring
from .updates import apply_capability_updates, show_output

_last_path = ""


def last_call_path() -> str:
    """``"jspi"`` or ``"sync-http"``: how the last blocking call waited."""
    return _last_path


def _bridge() -> Any:
    import _anvil_bridge  # registered by the page loader

    return _anvil_bridge


def encode_call(fn_name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                live_object: dict[str, Any] | None = None) -> tuple[str, str, list[tuple[str, bytes]], Any]:
    """The CALL's id, JSON text, media frames and the capabilities it carries (SerializationError here).

    With ``live_object`` (a LiveObject's spec) it calls that object's method ``fn_name`` instead:
    ``"liveObjectCall": {"backend", "id", "mac", "permissions", "method"}`` replaces ``command``.
    """
    if not isinstance(fn_name, str):
        raise TypeError(f"anvil.server.call expects the function name (a str) first, not {type(fn_name).__name__}")
    call_id = uuid.uuid4().hex
    target: dict[str, Any] = {"command": fn_name}
    if live_object is not None:
        target = {"liveObjectCall": {**{k: live_object.get(k) for k in ("backend", "id", "mac", "permissions")},
                                     "method": fn_name}}
    encoded = encode_message({"type": "CALL", "id": call_id, **target, "args": list(args), "kwargs": dict(kwargs)})
    encoded.message.setdefault("vt_global", [])
    frames = [(json.dumps(header), data) for header, data in encoded.chunks()]
    return call_id, json.dumps(encoded.message, allow_nan=False), frames, encoded.capabilities


def decode_reply(text: str, frames: list[tuple[str, bytes]]) -> dict[str, Any]:
    """A received message (with its media frames) as Python values."""
    message = json.loads(text)
    expected = media_ids(message)
    contents: dict[str, bytes] = {}
    if expected:
        assembler = MediaAssembler(message.get("id"), expected)
        for header_text, data in frames:
            assembler.add_chunk(json.loads(header_text), data)
        contents = assembler.contents()
    return decode_message(message, contents).message


def _frames_from_js(js_frames: Any) -> list[tuple[str, bytes]]:
    return [(str(frame[0]), frame[1].to_bytes()) for frame in js_frames]


def _frames_to_js(frames: list[tuple[str, bytes]]) -> Any:
    from pyodide.ffi import to_js

    return to_js([[header, data] for header, data in frames])


def apply_progress(message: dict[str, Any], capabilities: Any) -> None:
    """A message that arrived before the result: capability updates, forwarded output."""
    apply_capability_updates(message, capabilities)
    show_output(message)


def progress_handler(capabilities: Any) -> Callable[[str, Any], None]:
    """The JS-callable listener for a call's progress messages."""
    def on_progress(progress_text: str, progress_frames: Any) -> None:
        apply_progress(decode_reply(progress_text, _frames_from_js(progress_frames)), capabilities)
    return on_progress


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


def blocking_call(fn_name: str, args: tuple[Any, ...], kwargs: dict[str, Any], silent: bool,
                  live_object: dict[str, Any] | None = None) -> Any:
    global _last_path
    from pyodide.ffi import can_run_sync, create_proxy, run_sync

    call_id, text, frames, capabilities = encode_call(fn_name, args, kwargs, live_object)
    bridge = _bridge()
    on_progress = progress_handler(capabilities)
    try:
        with GlobalSpinnerDuring(silent):
            if can_run_sync():
                _last_path = "jspi"
                listener = create_proxy(on_progress)
                try:
                    reply = run_sync(bridge.call(call_id, text, _frames_to_js(frames), listener))
                finally:
                    listener.destroy()
                return result_of(decode_reply(str(reply.text), _frames_from_js(reply.frames)), capabilities)
            _last_path = "sync-http"
            final = None
            for incoming in bridge.syncCall(text, _frames_to_js(frames)):
                message = decode_reply(str(incoming.text), _frames_from_js(incoming.frames))
                if "response" in message or "error" in message:
                    final = message
                else:
                    apply_progress(message, capabilities)
            if final is None:
                raise AppOfflineError("Connection to server failed (no response)")
            return result_of(final, capabilities)
    except Exception as e:
        offline = _offline(bridge, e) if type(e).__name__ == "JsException" else None
        if offline is not None:
            raise offline from None
        raise


async def call_async(fn_name: str, *args: Any, **kwargs: Any) -> Any:
    """``await anvil.server.call_async(name, ...)``: a server call that never blocks (for ``async def`` code)."""
    return await awaitable_call(fn_name, args, kwargs, silent=False)


async def awaitable_call(fn_name: str, args: tuple[Any, ...], kwargs: dict[str, Any], silent: bool) -> Any:
    from pyodide.ffi import create_proxy

    call_id, text, frames, capabilities = encode_call(fn_name, args, kwargs)
    bridge = _bridge()
    listener = create_proxy(progress_handler(capabilities))
    try:
        with GlobalSpinnerDuring(silent):
            reply = await bridge.call(call_id, text, _frames_to_js(frames), listener)
    except Exception as e:
        offline = _offline(bridge, e)
        if offline is not None:
            raise offline from None
        raise
    finally:
        listener.destroy()
    return result_of(decode_reply(str(reply.text), _frames_from_js(reply.frames)), capabilities)
