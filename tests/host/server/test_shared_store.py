"""Several server processes sharing one state store: two servers on one Redis (and on one SQLite file),
``--workers 2`` on one port, a Redis outage and recovery, and settings the server refuses."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import anvil.server
import httpx
import pytest
from anvil.server import Capability

from anvil_pyodide.store import open_store
from tests.support.browser_protocol import BrowserClient
from tests.support.live_server import ROOT, LiveServer
from tests.support.waiting import wait_until
from tests.support.redis_server import RedisServer, redis_available, redis_server  # noqa: F401 - the fixture

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]

BASIC_APP = ROOT / "tests" / "apps" / "basic"


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"anvil-session={token}"}


def store_url(server: LiveServer) -> str:
    return server.extra_args[server.extra_args.index("--store") + 1]


@pytest.fixture(scope="module", params=["redis", "sqlite"])
def two_servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers of the basic app on two ports sharing one store (a real Redis, or one SQLite file)."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_server").url
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'state.sqlite3'}"
    with LiveServer(BASIC_APP, "--store", url) as a, LiveServer(BASIC_APP, "--store", url) as b:
        yield a, b


async def test_a_session_written_through_one_server_is_read_through_the_other(
        two_servers: tuple[LiveServer, LiveServer], new_session: Callable[[str], str]) -> None:
    a, b = two_servers
    token = new_session(a.url)
    async with BrowserClient(a.ws_url, headers=cookie(token)) as on_a:
        await on_a.call("session_set", "cart", ["tea", 2 ** 40])
    async with BrowserClient(b.ws_url, headers=cookie(token)) as on_b:
        assert await on_b.call("session_get", "cart") == ["tea", 2 ** 40]
        assert await on_b.call("session_id") == token
        await on_b.call("session_set", "cart", None)
    async with BrowserClient(a.ws_url, session_token=token) as on_a:
        assert await on_a.call("session_get", "cart") is None


async def test_a_capability_minted_on_one_server_is_accepted_on_the_other_and_an_altered_one_refused(
        two_servers: tuple[LiveServer, LiveServer], new_session: Callable[[str], str]) -> None:
    a, b = two_servers
    token = new_session(a.url)
    async with BrowserClient(a.ws_url, headers=cookie(token)) as on_a:
        cap = await on_a.call("issue_capability", "doc", 7)
    async with BrowserClient(b.ws_url, headers=cookie(token)) as on_b, BrowserClient(b.ws_url) as stranger:
        assert await on_b.call("capability_scope", cap) == ["doc", 7]
        with pytest.raises(anvil.server.InvalidObjectError):
            await on_b.call("capability_scope", Capability(["doc", 8], cap._mac))
        with pytest.raises(anvil.server.InvalidObjectError):  # another session may not use it
            await stranger.call("capability_scope", cap)


async def test_a_connection_on_one_server_reads_a_write_made_through_the_other_on_its_next_call(
        two_servers: tuple[LiveServer, LiveServer], new_session: Callable[[str], str]) -> None:
    """The connection on B has just found its session (so its next calls do not ask the store whether it
    still exists), yet a call that uses the session reads what A wrote — sync and async functions alike."""
    a, b = two_servers
    token = new_session(a.url)
    async with BrowserClient(a.ws_url, headers=cookie(token)) as on_a, \
            BrowserClient(b.ws_url, headers=cookie(token)) as on_b:
        assert await on_b.call("session_get", "n") is None
        for n in range(3):
            await on_a.call("session_set", "n", n)
            assert await on_b.call("session_get", "n") == n
            await on_a.call("session_set", "n", -n)
            assert await on_b.call("session_get_async", "n") == -n


async def test_a_session_expired_through_another_process_fails_the_next_call_that_uses_it_or_a_capability(
        two_servers: tuple[LiveServer, LiveServer], new_session: Callable[[str], str]) -> None:
    """A third process on the same store expires the session (as a log-in through another server does):
    the open connection's next call that uses the session's data, or carries a capability, gets
    SessionExpiredError — however soon after its last call."""
    a, b = two_servers
    for use in ("data", "capability"):
        token = new_session(a.url)
        async with BrowserClient(b.ws_url, headers=cookie(token)) as on_b:
            cap = await on_b.call("issue_capability", "doc", 1)
            await on_b.call("session_set", "k", 1)
            async with open_store(store_url(a)) as elsewhere:
                await elsewhere.delete_session(token)
            with pytest.raises(anvil.server.SessionExpiredError):
                if use == "data":
                    await on_b.call("session_get", "k")
                else:
                    await on_b.call("capability_scope", cap)
            with pytest.raises(anvil.server.SessionExpiredError):  # and every call from then on
                await on_b.call("session_id")


async def test_calls_on_two_servers_writing_different_keys_of_one_session_both_keep_their_writes(
        two_servers: tuple[LiveServer, LiveServer], new_session: Callable[[str], str], tmp_path: Path) -> None:
    a, b = two_servers
    token = new_session(a.url)
    gate = tmp_path / "gate"
    async with BrowserClient(a.ws_url, headers=cookie(token)) as on_a, \
            BrowserClient(b.ws_url, headers=cookie(token)) as on_b:
        await on_a.call("session_set", "kept", "from before")
        first = await on_a.send_call("session_set_when", "left", "from a", str(gate))
        second = await on_b.send_call("session_set_when", "right", "from b", str(gate))

        async def both_in_flight() -> None:
            while not (Path(f"{gate}.left").exists() and Path(f"{gate}.right").exists()):
                await asyncio.sleep(0.02)
        await asyncio.wait_for(both_in_flight(), 60)
        gate.write_text("go")
        assert "error" not in await on_a.result(first) and "error" not in await on_b.result(second)
        for client in (on_a, on_b):
            assert [await client.call("session_get", k) for k in ("kept", "left", "right")] == [
                "from before", "from a", "from b"]


async def test_a_session_value_that_cannot_be_saved_fails_its_call(two_servers: tuple[LiveServer, LiveServer]) -> None:
    a, _ = two_servers
    async with BrowserClient(a.ws_url) as client:
        await client.call("session_set", "fine", 1)
        with pytest.raises(anvil.server.SerializationError, match=r"anvil.server.session\['bad'\] could not be saved"):
            await client.call("session_set_unsendable", "bad")
        assert await client.call("session_get", "fine") == 1
        assert await client.call("session_get", "bad") is None


@pytest.mark.skipif(not redis_available(), reason="redis-server is not installed")
async def test_a_redis_outage_fails_calls_naming_the_store_and_the_server_recovers_by_itself() -> None:
    with RedisServer() as redis, LiveServer(BASIC_APP, "--store", redis.url) as server:
        async with BrowserClient(server.ws_url) as client:
            await client.call("session_set", "k", 1)
            redis.stop()
            with pytest.raises(anvil.server.RuntimeUnavailableError,
                               match=f"the state store {redis.url} is unavailable"):
                await client.call("session_get", "k")
            with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as http:
                assert http.get("/_/check-app-online").text == "OK"      # the server itself keeps serving
                page = http.get("/")
                assert page.status_code == 503 and redis.url in page.text
            redis.start()  # an empty Redis again (no persistence): the old session is gone, new ones work
            with pytest.raises(anvil.server.SessionExpiredError):
                await client.call("session_get", "k")
        async with BrowserClient(server.ws_url) as fresh:
            await fresh.call("session_set", "k", 2)
            assert await fresh.call("session_get", "k") == 2


async def test_two_worker_processes_serve_one_port_with_shared_sessions(new_session: Callable[[str], str],
                                                                       tmp_path: Path) -> None:
    with LiveServer(BASIC_APP, "--workers", "2") as server:
        token = new_session(server.url)
        wait_until(lambda: server.output().count("Application startup complete") >= 2, "both workers started")
        clients = []
        try:
            first = await BrowserClient(server.ws_url, headers=cookie(token)).__aenter__()
            clients.append(first)
            first_pid = await first.call("process_id")
            # while the first worker's loop is blocked it accepts nothing, so the next connection goes to the other
            marker = tmp_path / "blocking"
            blocked = asyncio.create_task(first.call("block_this_process", str(marker), 5))
            while not marker.exists():  # the first worker's loop is blocked from here on
                await asyncio.sleep(0.01)
            second = await BrowserClient(server.ws_url, headers=cookie(token)).__aenter__()
            clients.append(second)
            second_pid = await second.call("process_id")
            assert await blocked == first_pid and second_pid != first_pid
            seen = {first_pid: first, second_pid: second}
            first, second = seen.values()
            await first.call("session_set", "who", "first")
            assert await second.call("session_get", "who") == "first"
            assert server.process.pid not in seen
        finally:
            for client in clients:
                await client.__aexit__(None, None, None)


def run_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "anvil_pyodide", "serve", str(BASIC_APP), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("args, message", [
    (["--workers", "2", "--store", "memory"], "--workers 2 cannot use --store memory: each process would have its "
                                              "own sessions"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--store", "postgres://db/app"], "--store: unknown store 'postgres://db/app': use sqlite:///PATH, "
                                       "redis://HOST:PORT/DB or memory"),
    (["--task-retention", "0"], "--task-retention must be more than 0 seconds"),
    (["--session-check-interval", "-1"], "--session-check-interval must be 0 or more seconds"),
    (["--process-timeout", "0"], "--process-timeout must be more than 0 seconds"),
])
async def test_settings_the_server_cannot_use_are_refused_with_a_message(args: list[str], message: str) -> None:
    result = run_serve(*args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


async def test_an_unreachable_store_stops_the_server_at_start_with_a_message() -> None:
    from tests.support.live_server import free_port
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = run_serve("--store", url)
    assert result.returncode == 1 and f"the state store {url} is unavailable" in result.stderr, result.stderr


async def test_the_store_url_can_come_from_the_environment(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "anvil_pyodide", "serve", str(BASIC_APP), "--workers", "2"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env={**__import__("os").environ, "ANVIL_PYODIDE_STORE": "memory"})
    assert result.returncode == 2 and "cannot use --store memory" in result.stderr


async def test_the_default_store_is_a_sqlite_file_in_the_app_folder(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "server_code").mkdir(parents=True)
    (app / "client_code").mkdir()
    (app / "server_code" / "fns.py").write_text(
        "import anvil.server\n\n@anvil.server.callable\ndef put(k, v):\n    anvil.server.session[k] = v\n\n"
        "@anvil.server.callable\ndef get(k):\n    return anvil.server.session.get(k)\n")
    server = LiveServer(app)
    server.extra_args = []  # no --store: the default
    with server:
        token = httpx.Client(trust_env=False).get(server.url + "/").cookies["anvil-session"]
        async with BrowserClient(server.ws_url, headers=cookie(token)) as client:
            await client.call("put", "k", "v")
    assert (app / ".anvil-data" / "state.sqlite3").exists()
    with server:  # a restart: the session is still there
        async with BrowserClient(server.ws_url, headers=cookie(token)) as client:
            assert await client.call("get", "k") == "v"
