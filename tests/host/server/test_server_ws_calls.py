"""Calls over ``/_/ws``: concurrency, keepalive, errors, timeouts, capabilities, progress, output."""

from __future__ import annotations

import asyncio
import json
import uuid

import anvil.server
import pytest
from anvil import BlobMedia
from anvil.server import Capability
from basic_shared import OutOfStock

from tests.support.browser_protocol import BrowserClient
from tests.support.http_protocol import HttpCaller
from tests.support.live_server import ROOT, LiveServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

FAILURES = ROOT / "tests" / "apps" / "basic" / "server_code" / "failures.py"


def line_of(marker: str) -> int:
    """The line of failures.py that carries ``# LINE:<marker>``."""
    lines = FAILURES.read_text().splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.endswith(f"# LINE:{marker}"))


def key() -> str:
    """A fresh rendezvous key (the servers live for the whole session)."""
    return uuid.uuid4().hex


async def until(predicate, timeout: float = 20) -> None:
    """Wait (generously) until ``predicate()`` is true; fails the test instead of hanging."""
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


# --- concurrency ---------------------------------------------------------------------------------

async def test_calls_on_one_socket_run_concurrently(server: LiveServer) -> None:
    """Both calls wait at a two-party barrier: they can only return "met" if they overlap."""
    meeting = key()
    async with BrowserClient(server.ws_url) as client:
        first = await client.send_call("meet", meeting)
        second = await client.send_call("meet", meeting)
        results = [await client.result(first), await client.result(second)]
    assert [r["response"] for r in results] == ["met", "met"]


async def test_many_concurrent_calls_all_overlap(server: LiveServer) -> None:
    meeting = key()
    async with BrowserClient(server.ws_url) as client:
        ids = [await client.send_call("meet", meeting, 8) for _ in range(8)]
        assert [(await client.result(i))["response"] for i in ids] == ["met"] * 8


async def test_a_slow_call_does_not_delay_a_fast_one(server: LiveServer) -> None:
    gate = key()
    async with BrowserClient(server.ws_url) as client:
        slow = await client.send_call("wait_for", gate)
        assert await client.call("echo", "fast") == [["fast"], {}]
        assert await client.call("async_echo", "also fast") == "also fast"
        assert not client.finals[slow].done()  # still blocked: it only returns once released
        assert await client.call("release", gate) is True
        assert (await client.result(slow))["response"] == "released"


async def test_calls_on_different_sockets_run_concurrently(server: LiveServer) -> None:
    meeting = key()
    async with BrowserClient(server.ws_url) as one, BrowserClient(server.ws_url) as two:
        first, second = await one.send_call("meet", meeting), await two.send_call("meet", meeting)
        assert (await one.result(first))["response"] == (await two.result(second))["response"] == "met"


async def test_keepalive_echo_is_answered(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        await client.send_call("anvil.private.echo", "keep-alive", call_id="client-keepalive-1")
        reply = await client.result("client-keepalive-1")
    assert reply == {"id": "client-keepalive-1", "response": "keep-alive"}


# --- errors --------------------------------------------------------------------------------------

async def test_builtin_exception_arrives_with_type_message_and_app_trace(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(ValueError, match="^bad value -1$"):
            await client.call("fail_value_error", -1)
        call_id = await client.send_call("fail_value_error", -2)
        final = await client.result(call_id)
    assert final == {"id": call_id, "error": {
        "type": "ValueError", "message": "bad value -2",
        "trace": [["server_code/failures.py", line_of("inner")], ["server_code/failures.py", line_of("outer")]]}}


async def test_custom_registered_exception_arrives_as_its_class(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(OutOfStock) as caught:
            await client.call("fail_custom", "teapot")
    assert str(caught.value) == "teapot is sold out"
    assert caught.value.error_obj["type"] == "basic_shared.OutOfStock"
    assert caught.value.trace == [["server_code/failures.py", line_of("custom")]]


async def test_unknown_function(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(anvil.server.NoServerFunctionError) as caught:
            await client.call("x")
    assert str(caught.value) == 'No server function matching "x" has been registered'


@pytest.mark.parametrize("command", ["anvil.private.tables:get_row", "echo:", ":echo"])
async def test_commands_with_a_colon_are_refused_to_browsers(server: LiveServer, command: str) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(anvil.server.PermissionDenied):
            await client.call(command)
        assert await client.call("echo", 1) == [[1], {}]


async def test_unsendable_return_value_is_a_serialization_error_naming_the_path(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(anvil.server.SerializationError) as caught:
            await client.call("unserializable")
        assert await client.call("echo", "after") == [["after"], {}]
    assert "Cannot serialize <class 'set'> object at msg['response']['bad'][1]" in str(caught.value)


@pytest.mark.parametrize("function, detail", [
    ("unsendable_portable", "RuntimeError: cannot serialize me"),
    ("unreadable_media", "OSError: the file vanished"),
])
async def test_a_return_value_that_fails_to_encode_still_gets_an_answer(server: LiveServer, function: str,
                                                                       detail: str) -> None:
    """A portable class whose __serialize__ raises, or a Media that cannot be read: an error, never a hang."""
    async with BrowserClient(server.ws_url) as client:
        with pytest.raises(anvil.server.SerializationError) as caught:
            await client.call(function)
        assert await client.call("echo", "after") == [["after"], {}]
    assert str(caught.value) == f"The server function's return value could not be sent: {detail}"
    assert caught.value.trace and caught.value.trace[0][0] == "server_code/echoes.py"


@pytest.mark.parametrize("function, code", [("exit_now", 3), ("async_exit_now", 4)])
async def test_sys_exit_in_a_server_function_ends_only_that_call(server: LiveServer, function: str,
                                                                 code: int) -> None:
    async with BrowserClient(server.ws_url) as client, BrowserClient(server.ws_url) as other:
        with pytest.raises(anvil.server.ExecutionTerminatedError,
                           match=f"^The server function stopped with SystemExit: {code}$") as caught:
            await client.call(function)
        assert caught.value.trace[0][0] == "server_code/failures.py"
        assert await client.call("echo", "same socket") == [["same socket"], {}]
        assert await other.call("echo", "other socket") == [["other socket"], {}]
    async with BrowserClient(server.ws_url) as fresh:
        assert await fresh.call("echo", "new socket") == [["new socket"], {}]


async def test_call_timeout_gives_timeout_error_while_other_calls_work(tuned_server: LiveServer) -> None:
    gate = key()
    async with BrowserClient(tuned_server.ws_url) as client, BrowserClient(tuned_server.ws_url) as other:
        try:
            stuck = await client.send_call("wait_for", gate)
            assert await client.call("echo", "meanwhile") == [["meanwhile"], {}]
            final = await client.result(stuck)
            assert final["error"]["type"] == "anvil.server.TimeoutError"
            with pytest.raises(anvil.server.TimeoutError):
                await client.call("wait_for", gate + "-again")
            assert await client.call("echo", "after") == [["after"], {}]
            assert await other.call("echo", "other socket") == [["other socket"], {}]
        finally:  # let the abandoned worker threads finish
            await other.call("release", gate)
            await other.call("release", gate + "-again")


async def test_media_over_the_limit_fails_its_call_only(tuned_server: LiveServer) -> None:
    """``--max-media-bytes 1000000``: a call with more is refused; the socket and its other calls go on."""
    async with BrowserClient(tuned_server.ws_url) as client:
        with pytest.raises(anvil.server.SerializationError, match="over the limit of 1000000 bytes"):
            await client.call("describe", [BlobMedia("a/b", b"x" * 600_000), BlobMedia("a/b", b"y" * 600_000)])
        assert (await client.call("describe", BlobMedia("a/b", b"x" * 1_000_000)))["length"] == 1_000_000
    with HttpCaller(tuned_server.url) as http:
        with pytest.raises(anvil.server.SerializationError, match="over the limit of 1000000 bytes"):
            http.call("describe", BlobMedia("a/b", b"x" * 1_000_001))
        assert http.call("describe", BlobMedia("a/b", b"x" * 1_000_000))["length"] == 1_000_000


# --- capabilities --------------------------------------------------------------------------------

async def test_capability_issued_returned_narrowed_and_passed_back(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        cap = await client.call("issue_capability", "doc", 7)
        assert isinstance(cap, Capability) and cap.scope == ["doc", 7] and cap.is_valid
        assert await client.call("capability_scope", cap) == ["doc", 7]
        narrowed = cap.narrow(["page", 3])
        assert await client.call("capability_scope", narrowed, ["doc", "*", "page", "*"]) == [
            ["doc", 7, "page", 3], ["doc", 7, "page", 3]]
        twice = narrowed.narrow([{"line": 9}])
        assert await client.call("capability_scope", twice) == ["doc", 7, "page", 3, {"line": 9}]
        [[back], _] = await client.call("echo", narrowed)
        assert back.scope == ["doc", 7, "page", 3]
        assert await client.call("capability_scope", back) == ["doc", 7, "page", 3]


async def test_forged_capabilities_are_refused(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client, BrowserClient(server.ws_url) as stranger:
        cap = await client.call("issue_capability", "doc", 7)
        other_sessions = await stranger.call("issue_capability", "doc", 7)
        mac = cap._mac
        flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
        forgeries = {
            "altered mac": Capability(["doc", 7], flipped),
            "altered base scope": Capability(["doc", 8], mac),
            "longer base scope": Capability(["doc", 7, "x"], mac),
            "no mac": Capability(["doc", 7]),
            "mac of another type": Capability(["doc", 7], {"mac": mac}),
            "another session's": other_sessions,
        }
        for what, forged in forgeries.items():
            with pytest.raises(anvil.server.InvalidObjectError):
                await client.call("capability_scope", forged)
            with pytest.raises(anvil.server.InvalidObjectError):  # inside a structure too
                await client.call("echo", {"deep": [forged.narrow(["z"])]})
        assert await client.call("capability_scope", cap) == ["doc", 7], "the genuine one still works"


async def test_progress_updates_arrive_while_the_call_runs_and_exactly_once(server: LiveServer) -> None:
    gate = key()
    async with BrowserClient(server.ws_url) as client:
        cap = await client.call("issue_capability", "job", gate)
        call_id = await client.send_call("progress", cap, 5, wait_key=gate)
        # The function sends step 0 then waits for the gate: the update must arrive before it ends.
        await until(lambda: any("capUpdates" in m for m in client.messages.get(call_id, [])))
        assert not client.finals[call_id].done()
        await client.call("release", gate)
        final = await client.result(call_id)
    messages = client.messages[call_id]
    assert messages[-1] is final and final["response"] == "done"
    progress = messages[:-1]
    assert progress and all(set(m) == {"id", "capUpdates"} for m in progress)
    scope_key = json.dumps(["job", gate])
    updates = [m["capUpdates"][scope_key] for m in messages if "capUpdates" in m]
    assert updates == [{"step": i} for i in range(5)]  # each one once: none repeated in the final response


async def test_updates_to_a_narrowed_capability_are_keyed_by_its_full_scope(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        cap = (await client.call("issue_capability", "job")).narrow(["sub", 1])
        call_id = await client.send_call("progress", cap, 2)
        await client.result(call_id)
    updates = [m["capUpdates"] for m in client.messages[call_id] if "capUpdates" in m]
    assert updates == [{json.dumps(["job", "sub", 1]): {"step": 0}}, {json.dumps(["job", "sub", 1]): {"step": 1}}]


# --- print output --------------------------------------------------------------------------------

async def test_print_output_is_forwarded_with_forward_output(tuned_server: LiveServer) -> None:
    async with BrowserClient(tuned_server.ws_url) as client:
        call_id = await client.send_call("shout", "hello from the server")
        final = await client.result(call_id)
    assert final["response"] == "printed"
    messages = client.messages[call_id]
    assert messages[-1] is final
    outputs = messages[:-1]
    assert all(set(m) == {"id", "output"} for m in outputs)
    assert [m["output"] for m in outputs] == ["hello from the server\n"]


async def test_print_output_is_forwarded_a_line_at_a_time_and_flushed_before_the_reply(tuned_server: LiveServer) -> None:
    async with BrowserClient(tuned_server.ws_url) as client:
        call_id = await client.send_call("print_pieces")
        final = await client.result(call_id)
    messages = client.messages[call_id]
    assert messages[-1] is final and final["response"] == "printed"
    assert [m["output"] for m in messages[:-1]] == ["one two\n", "three\n", "four"]


async def test_print_output_is_not_forwarded_by_default(server: LiveServer) -> None:
    async with BrowserClient(server.ws_url) as client:
        call_id = await client.send_call("shout", "quiet please")
        final = await client.result(call_id)
        await client.call("echo", 1)  # anything still queued for the first call has arrived by now
    assert client.messages[call_id] == [final]
    assert "output" not in final


async def test_a_reply_that_is_not_json_still_answers_the_call() -> None:
    """The socket writer never dies on a bad reply: the caller gets an InternalError and later replies flow."""
    import asyncio

    from anvil_pyodide.calls.outbox import Outbox, pump_to_websocket

    class RecordingSocket:
        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send_text(self, text: str) -> None:
            self.sent.append(text)

        async def send_bytes(self, data: bytes) -> None:
            self.sent.append(repr(data))

    outbox, socket = Outbox(asyncio.get_running_loop()), RecordingSocket()
    outbox.put({"id": "bad", "error": {"type": "X", "message": object()}, "objects": []})
    outbox.put({"id": "good", "response": 1, "objects": []})
    outbox.close()
    await pump_to_websocket(outbox, socket)
    bad, good = [json.loads(text) for text in socket.sent]
    assert bad["id"] == "bad" and bad["error"]["type"] == "anvil.server.InternalError"
    assert good == {"id": "good", "response": 1, "objects": []}
