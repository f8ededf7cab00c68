"""Host-side helpers: the peer process, local-timezone switching, and running our codec on frames.

Only the host interpreter (with our ``anvil``) imports this module.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from anvil._wire import EncodedMessage, MediaAssembler, decode_message, encode_message, media_ids

REPO = Path(__file__).resolve().parents[2]

Frame = tuple[dict[str, Any], bytes]


def uplink_python() -> Path:
    """The interpreter with anvil-uplink: ``$ANVIL_UPLINK_PYTHON`` or ``<repo>/.venv-uplink/bin/python``."""
    configured = os.environ.get("ANVIL_UPLINK_PYTHON")
    return Path(configured) if configured else REPO / ".venv-uplink" / "bin" / "python"


class PeerError(Exception):
    """The peer answered a request with an exception; ``error`` has its class, message and traceback."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error['class']}: {error['message']}\n--- peer traceback ---\n{error['traceback']}")
        self.error = error


class UplinkPeer:
    """A running ``uplink_peer.py``: one JSON line out, one JSON line back."""

    def __init__(self, python: Path, script: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._process = subprocess.Popen([str(python), "-u", str(script)], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                         encoding="utf-8", cwd=str(script.parent), env=env)

    def request(self, cmd: str, **params: Any) -> Any:
        """Send one command; return its result or raise PeerError (or RuntimeError if the peer died)."""
        assert self._process.stdin is not None and self._process.stdout is not None
        try:
            self._process.stdin.write(json.dumps({"cmd": cmd, **params}, allow_nan=False) + "\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            raise RuntimeError(f"the anvil-uplink peer has exited:\n{self.stderr_text()}") from None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the anvil-uplink peer exited without answering {cmd!r}:\n{self.stderr_text()}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise PeerError(answer["error"])
        return answer["result"]

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stderr.close()


@contextlib.contextmanager
def local_timezone(name: str | None) -> Iterator[None]:
    """Make ``name`` this process's local timezone for the duration (naive datetimes are stamped with it)."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = name or "UTC"
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


def frames_from_wire(frames: list[list[Any]]) -> list[Frame]:
    """Peer frames (header, base64) as (header, bytes)."""
    return [(header, base64.b64decode(data)) for header, data in frames]


def frames_to_wire(frames: list[Frame]) -> list[list[Any]]:
    """(header, bytes) frames as the peer takes them."""
    return [[header, base64.b64encode(data).decode("ascii")] for header, data in frames]


def over_the_wire(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` after a trip through JSON text (NaN is not JSON, so it is refused)."""
    return json.loads(json.dumps(message, allow_nan=False))


def our_encode(message: dict[str, Any]) -> tuple[dict[str, Any], list[Frame]]:
    """Our codec's JSON (after a trip through JSON text) and its chunk frames."""
    encoded: EncodedMessage = encode_message(message)
    return over_the_wire(encoded.message), list(encoded.chunks())


def our_receive(message: dict[str, Any], frames: list[Frame], **decode_options: Any) -> dict[str, Any]:
    """What our receiver does: collect every chunk with a MediaAssembler, then decode the message."""
    assembler = MediaAssembler(message.get("id"), media_ids(message))
    for header, data in frames:
        assembler.add_chunk(header, data)
    assert assembler.complete, "our MediaAssembler did not see every media item completed"
    return decode_message(message, assembler.contents(), **decode_options).message
