"""A real anvil-uplink 0.7.0 script for the tests of calls across server processes (run with the anvil-uplink
interpreter, ``$ANVIL_UPLINK_PYTHON`` or ``.venv-uplink/bin/python``): ``far_media`` (media in and out, a
capability update), ``far_session`` (in-process calls back in the caller's session), ``far_task`` (a background
task) and ``far_block`` (runs until its process dies).

Example (in a test):
    uplink = start_uplink(server, tmp_path)
    ...
    stop(uplink)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
KEY = "across-processes-uplink-key"

UPLINK_SCRIPT = """
import hashlib
import os
import sys
import time

import anvil
import anvil.server


@anvil.server.callable
def far_media(media, cap, tag):
    data = media.get_bytes()
    cap.send_update({"seen_bytes": len(data)})
    return {"sha256": hashlib.sha256(data).hexdigest(), "uplink_pid": os.getpid(), "tag": tag,
            "back": anvil.BlobMedia("application/x-reversed", data[::-1], name="back.bin")}


@anvil.server.callable
def far_session(key, value):
    anvil.server.call("session_set", key, value)   # an in-process function of the server it is connected to
    return anvil.server.call("session_get", key)


@anvil.server.background_task
def far_task(gate):
    anvil.server.task_state["step"] = "waiting"
    while not os.path.exists(gate):
        time.sleep(0.05)
    anvil.server.task_state["step"] = "done"
    return {"uplink_pid": os.getpid()}


@anvil.server.callable
def far_block(marker):
    with open(marker, "w") as f:
        f.write("started")
    while True:
        time.sleep(0.1)


anvil.server.connect(sys.argv[2], url=sys.argv[1])
anvil.server.call("session_get", "nothing")  # its REGISTERs are handled before this is answered
print("ready", flush=True)
anvil.server.wait_forever()
"""


def uplink_python() -> Path:
    """The interpreter with anvil-uplink."""
    configured = os.environ.get("ANVIL_UPLINK_PYTHON")
    return Path(configured) if configured else ROOT / ".venv-uplink" / "bin" / "python"


def start_uplink(server: Any, folder: Path, script: str = UPLINK_SCRIPT, key: str = KEY) -> subprocess.Popen[str]:
    """An uplink script (by default this one; written into ``folder``) connected to ``server`` (a LiveServer)
    with ``key``, once it prints ``ready`` (this one: once its functions are registered there)."""
    path = folder / "uplink_script.py"
    path.write_text(script)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    process = subprocess.Popen([str(uplink_python()), "-u", str(path), f"{server.ws_url}/_/uplink", key],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.strip() == "ready":
            return process
    raise AssertionError(f"uplink script exited ({process.wait()}) before it was ready:\n{''.join(seen)}")


def stop(process: subprocess.Popen[str]) -> None:
    """Kill it (by its pid) and wait for it."""
    if process.poll() is None:
        process.kill()
    process.wait(10)
