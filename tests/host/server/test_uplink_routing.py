"""The calling side of calls relayed to other processes' uplinks (:mod:`anvil_pyodide.uplink.routing`), with a
recording bus: which process a call goes to, when the store is asked, and a call sent on once when the process
it went to has lost its uplink. (Relaying through a real Redis to a real uplink: tests/conformance/
test_uplink_across_processes.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import anvil.server
import pytest

from anvil_pyodide.calls.context import CallContext, CallState, ClientInfo, StackFrame
from anvil_pyodide.sessions.store import Session, SessionStore
from anvil_pyodide.store.memory import MemoryStore
from anvil_pyodide.store.redis_bus import Envelope, ProcessGoneError
from anvil_pyodide.uplink.routing import OWNER_MEMORY, RemoteUplinks

ANSWER = {"id": "c1", "response": "ok", "objects": []}


class Bus:
    """Answers for each process: an Envelope body, or an exception to raise."""

    process = "me"

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.sent: list[str] = []

    def on(self, kind: str, handler: Any) -> None:
        pass

    async def request(self, process: str, kind: str, envelope: Envelope) -> Envelope:
        self.sent.append(process)
        answer = self.answers[process]
        if isinstance(answer, Exception):
            raise answer
        return Envelope(answer)


class Owners:
    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def uplink_owners(self, name: str) -> list[str]:
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def state() -> CallState:
    return CallState(Session.detached(), CallContext(ClientInfo("browser"), StackFrame("browser", False)))


def remote(bus: Bus, owners: Owners, clock: Clock | None = None) -> RemoteUplinks:
    return RemoteUplinks(bus, owners, local=None, sessions=SessionStore(MemoryStore()),  # type: ignore[arg-type]
                         clock=clock or Clock())


async def call(uplinks: RemoteUplinks) -> Any:
    connection = await uplinks.connection_for("f")
    assert connection is not None
    message, media = await connection.request("c1", "f", state(), {"type": "CALL", "id": "c1"}, [])
    return message["response"]


def test_the_process_serving_a_name_is_remembered_for_a_while_then_asked_again() -> None:
    clock, owners, bus = Clock(), Owners(["me", "b"]), Bus({"b": {"answer": ANSWER, "media": []}})
    uplinks = remote(bus, owners, clock)

    async def run() -> None:
        assert await call(uplinks) == "ok" and await call(uplinks) == "ok"
        assert owners.asked == 1 and bus.sent == ["b", "b"]  # never itself, though it is listed
        clock.now += OWNER_MEMORY + 0.01
        assert await call(uplinks) == "ok"
        assert owners.asked == 2
    asyncio.run(run())


def test_a_call_the_process_no_longer_serves_is_sent_once_to_the_one_the_store_names_now() -> None:
    owners = Owners(["b"], ["c"])
    bus = Bus({"b": {"not_here": True}, "c": {"answer": ANSWER, "media": []}})
    uplinks = remote(bus, owners)

    async def run() -> None:
        assert await call(uplinks) == "ok"
        assert bus.sent == ["b", "c"]
        assert await call(uplinks) == "ok" and bus.sent == ["b", "c", "c"]  # remembered where it went
    asyncio.run(run())


def test_when_no_other_process_serves_it_any_more_the_call_fails_as_disconnected() -> None:
    for second_owners in (["b"], []):
        bus = Bus({"b": {"not_here": True}})
        uplinks = remote(bus, Owners(["b"], second_owners))
        with pytest.raises(anvil.server.UplinkDisconnectedError, match='"f" has been disconnected'):
            asyncio.run(call(uplinks))
        assert bus.sent == ["b"]  # never sent twice to the same process


def test_a_process_that_dies_fails_the_call_as_disconnected_and_is_forgotten() -> None:
    owners = Owners(["b"], ["c"])
    bus = Bus({"b": ProcessGoneError("b"), "c": {"answer": ANSWER, "media": []}})
    uplinks = remote(bus, owners)

    async def run() -> None:
        with pytest.raises(anvil.server.UplinkDisconnectedError, match="its server process b stopped"):
            await call(uplinks)
        assert await call(uplinks) == "ok" and bus.sent == ["b", "c"]
    asyncio.run(run())


def test_the_uplinks_error_is_raised_as_its_own_class() -> None:
    bus = Bus({"b": {"error": {"type": "anvil.server.PermissionDenied", "message": "no", "trace": []}}})
    with pytest.raises(anvil.server.PermissionDenied, match="no"):
        asyncio.run(call(remote(bus, Owners(["b"]))))
