"""The anvil-uplink side of the conformance tests: a JSON-lines server on stdin/stdout.

Run with the interpreter of a venv holding ``anvil-uplink==0.7.0`` (never with ours: both packages
are called ``anvil``). Each request is one JSON line ``{"cmd": ..., ...}``; each answer one line,
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {"class", "message", "traceback"}}``.

Commands:
    hello                           versions and where ``anvil`` was loaded from
    encode {case, tz}               anvil-uplink's ``_serialise.serialise`` of ``{"id", "response": value}``
                                    (or, for an error case, ``_report_exception`` of the raised error):
                                    ``{"message": json, "frames": [[chunk header, base64 bytes], ...]}``
    decode {message, frames, tz, watch_modules}
                                    feed the message and chunk frames through ``IncomingReqResp`` (the
                                    path anvil-uplink uses for incoming calls and responses) and return
                                    ``{"value": canonical(response)}`` or
                                    ``{"error": describe_error(...), "error_repr": repr(...)}``,
                                    plus ``modules_imported``: which of ``watch_modules`` (unloaded
                                    first) decoding imported
    refuse {case}                   the exception ``fill_out_media`` raises for a refusal case

Values are built from case names by ``conformance_cases`` so that both sides hold equal values.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import sys
import time
import traceback
from typing import Any, Callable

PROTOCOL_OUT = sys.stdout
sys.stdout = sys.stderr  # anything anvil-uplink prints must not corrupt the protocol stream

import anvil  # noqa: E402  (anvil-uplink's package)
import anvil.server  # noqa: E402
from anvil import _serialise, _server  # noqa: E402

import conformance_cases as cc  # noqa: E402
import shared_types  # noqa: E402,F401  (registers the portable classes and the custom error)


def set_local_timezone(name: str | None) -> None:
    """Make ``name`` (a TZ database name) this process's local timezone."""
    os.environ["TZ"] = name or "UTC"
    time.tzset()


def encode_frames(message: dict[str, Any]) -> dict[str, Any]:
    """Serialise ``message`` exactly as anvil-uplink sends it: the JSON, then header+binary frames."""
    sent: list[dict[str, Any]] = []
    frames: list[list[Any]] = []

    def do_send(json_msg: dict[str, Any], data: bytes | None = None) -> None:
        if data is None:
            sent.append(json_msg)
        else:
            frames.append([json_msg, base64.b64encode(data).decode("ascii")])

    _serialise.serialise(message, do_send)
    if len(sent) != 1:
        raise AssertionError(f"expected one JSON message, anvil-uplink sent {len(sent)}")
    return {"message": sent[0], "frames": frames}


def _raise(exc: BaseException) -> None:
    raise exc


def report_error(exc: BaseException, request_id: str) -> dict[str, Any]:
    """The error response anvil-uplink sends when server code raises ``exc``."""
    try:
        (lambda: _raise(exc))()  # a "user code" frame, which _report_exception drops from the trace
    except BaseException:
        response = _server._report_exception(request_id)
    response["objects"] = []
    return response


def cmd_hello() -> dict[str, Any]:
    return {"python": sys.version.split()[0], "anvil_file": anvil.__file__,
            "uplink_version": importlib.metadata.version("anvil-uplink")}


def cmd_encode(case: str, tz: str | None = None) -> dict[str, Any]:
    set_local_timezone(tz)
    spec = cc.CASES.get(case)
    if isinstance(spec, cc.ErrorCase):
        return {"message": report_error(spec.build(), cc.message_id(case)), "frames": []}
    return encode_frames({"id": cc.message_id(case), "response": cc.build_value(case)})


class _CapturedReqResp(_serialise.IncomingReqResp):
    """An incoming request/response whose ``execute`` only records that it became ready."""

    def __init__(self, json_msg: dict[str, Any]) -> None:
        self.executed = False
        super().__init__(json_msg, remote_is_trusted=True)

    def execute(self) -> None:
        self.reconstruct_remaining_data()
        self.executed = True


def forget_module(name: str) -> None:
    """Unload module ``name`` and unregister the portable classes it registered."""
    sys.modules.pop(name, None)
    for type_name in [t for t in _server._value_types if t.startswith(name + ".")]:
        del _server._value_types[type_name]


def cmd_decode(message: dict[str, Any], frames: list[list[Any]], tz: str | None = None,
               watch_modules: list[str] | None = None) -> dict[str, Any]:
    set_local_timezone(tz)
    for name in watch_modules or []:
        forget_module(name)
    before = {name: name in sys.modules for name in watch_modules or []}
    incoming = None
    try:
        incoming = _CapturedReqResp(message)
        for header, data in frames:
            _serialise.process_blob_header(header)
            _serialise.process_blob(base64.b64decode(data))
    finally:
        _serialise._incoming_requests.pop(message.get("id"), None)
    if not incoming.executed:
        raise AssertionError("anvil-uplink did not consider the message complete after all its chunks")
    result: dict[str, Any] = {"modules_imported": [n for n, was in before.items() if not was and n in sys.modules]}
    if "error" in incoming.json:
        exc = _server._deserialise_exception(incoming.json["error"])
        result["error"] = cc.describe_error(exc)
        result["error_repr"] = repr(exc)
    else:
        result["value"] = cc.canonical(incoming.json.get("response"))
    return result


def cmd_refuse(case: str) -> dict[str, Any]:
    try:
        _server.fill_out_media({"id": cc.message_id(case), "response": cc.build_value(case)}, lambda media: None)
    except Exception as e:
        return {"class": type(e).__name__, "message": str(e)}
    return {"class": None, "message": None}


COMMANDS: dict[str, Callable[..., Any]] = {
    "hello": cmd_hello, "encode": cmd_encode, "decode": cmd_decode, "refuse": cmd_refuse,
}


def handle(line: str) -> str:
    """Run one request line and return the answer line; never raises.

    Answers are dumped with ``allow_nan=False``, so a NaN left inline by anvil-uplink is an error.
    """
    try:
        request = json.loads(line)
        command = COMMANDS[request.pop("cmd")]
        return json.dumps({"ok": True, "result": command(**request)}, allow_nan=False)
    except Exception as e:  # report everything to the host, keep serving
        return json.dumps({"ok": False, "error": {"class": type(e).__name__, "message": str(e),
                                                  "traceback": traceback.format_exc()}})


def main() -> None:
    for line in sys.stdin:
        if line.strip():
            PROTOCOL_OUT.write(handle(line) + "\n")
            PROTOCOL_OUT.flush()


if __name__ == "__main__":
    main()
