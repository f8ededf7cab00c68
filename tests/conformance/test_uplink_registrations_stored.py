"""A real anvil-uplink 0.7.0 script's registrations are recorded in the state store with the id of the
server process it is connected to, and dropped when it disconnects or that process stops."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Awaitable, Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from anvil_pyodide.store import open_store  # noqa: E402
from tests.support.far_uplink import start_uplink as start_far_uplink  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]

KEY = "stored-registrations-key"
BASIC_APP = ROOT / "tests" / "apps" / "basic"
SCRIPT = """
import sys
import anvil.server

@anvil.server.callable
def stored_greet(name):
    return "hi " + name

anvil.server.connect(sys.argv[2], url=sys.argv[1])
print("ready", flush=True)
anvil.server.wait_forever()
"""


def start_uplink(server: LiveServer, folder: Path) -> subprocess.Popen[str]:
    return start_far_uplink(server, folder, SCRIPT, KEY)


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60) -> None:
    async def loop() -> None:
        while not await check():
            await asyncio.sleep(0.1)
    try:
        await asyncio.wait_for(loop(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"{what} did not happen within {timeout}s") from None


async def test_registrations_are_recorded_with_the_process_and_dropped_with_the_uplink(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    with LiveServer(BASIC_APP, "--uplink-key", KEY, "--store", url) as server:
        async with open_store(url) as store:
            uplink = start_uplink(server, tmp_path)
            try:
                async def recorded() -> bool:
                    return len(await store.uplink_owners("stored_greet")) == 1
                await until(recorded, "the registration being recorded")
                owner = (await store.uplink_owners("stored_greet"))[0]
                assert owner.split(":")[1] == str(server.process.pid)
            finally:
                uplink.kill()
                uplink.wait(10)

            async def dropped() -> bool:
                return await store.uplink_owners("stored_greet") == []
            await until(dropped, "the registration being dropped")
            uplink = start_uplink(server, tmp_path)
            try:
                await until(recorded, "the registration being recorded again")
                server.stop()  # the process says goodbye: its registrations go with it
                assert await store.uplink_owners("stored_greet") == []
                assert owner not in await store.live_processes()
            finally:
                uplink.kill()
                uplink.wait(10)
