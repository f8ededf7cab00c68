"""anvil.users against the real server: sign-up, log-in, lock-out, remembered logins, require_user, session
rotation, HttpRequest.user and authenticate_users — over a real WebSocket client and real HTTP clients."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Iterator

import anvil.server
import anvil.users
import httpx
import pytest

from tests.support.browser_protocol import BrowserClient
from tests.support.http_protocol import HttpCaller
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[3]
USERS_APP = ROOT / "tests" / "apps" / "users_app"
PRIVATE = "anvil.private.users."
PASSWORD = "correct horse battery"
LOCKOUT_SECONDS = 3


@pytest.fixture(scope="module")
def users_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The users app with 3 wrong passwords locking an account for 3 s, in a SQLite store we can inspect."""
    store = tmp_path_factory.mktemp("users-store") / "state.sqlite3"
    with LiveServer(USERS_APP, "--store", f"sqlite:///{store}", "--max-password-failures", "3",
                    "--password-lockout", str(LOCKOUT_SECONDS)) as server:
        server.store_file = store  # type: ignore[attr-defined]
        yield server


def fresh_email(tag: str) -> str:
    return f"{tag}-{time.monotonic_ns()}@Example.com"


async def signed_up(client: BrowserClient, email: str, password: str = PASSWORD, **kwargs: object) -> dict:
    return await client.call(PRIVATE + "signup_with_email", email, password, **kwargs)


@pytest.mark.asyncio
async def test_signup_logs_in_on_a_new_session_and_the_connection_follows(users_server: LiveServer) -> None:
    email = fresh_email("ada")
    async with BrowserClient(users_server.ws_url) as client:
        _, before = await client.call("session_view")
        reply = await signed_up(client, email)
        user = reply["user"]
        assert isinstance(user, anvil.users.User)
        assert user["email"] == email.lower() and user.get_id() and user["enabled"] is True
        assert "password_hash" not in user.keys()
        assert reply["session"] != before and reply["remember"] is None
        assert {"type": "SESSION", "token": reply["session"]} in client.session_replies
        assert await client.call("whoami") == email.lower()
        assert (await client.call("session_view"))[1] == reply["session"]
    async with BrowserClient(users_server.ws_url, session_token=before) as stale:  # no session fixation
        with pytest.raises(anvil.server.SessionExpiredError):
            await stale.call("whoami")
    async with BrowserClient(users_server.ws_url, session_token=reply["session"]) as again:
        assert await again.call("whoami") == email.lower()


@pytest.mark.asyncio
async def test_session_data_survives_the_login_and_the_user_link_is_hidden(users_server: LiveServer) -> None:
    async with BrowserClient(users_server.ws_url) as client:
        await client.call("session_view")
        await signed_up(client, fresh_email("keys"))
        keys, _ = await client.call("session_view")
        assert keys == ["visits"]
        with pytest.raises(KeyError, match="reserved for anvil.users"):
            await client.call("forge_login", "someone-else")


@pytest.mark.asyncio
async def test_one_account_per_address_and_passwords_must_be_long_enough(users_server: LiveServer) -> None:
    email = fresh_email("dup")
    async with BrowserClient(users_server.ws_url) as client:
        await signed_up(client, email)
        with pytest.raises(anvil.users.UserExists, match="already been registered"):
            await signed_up(client, email.upper())
        with pytest.raises(anvil.users.PasswordNotAcceptable, match="at least 8 characters"):
            await signed_up(client, fresh_email("short"), "short")
        with pytest.raises(ValueError, match="is not an e-mail address"):
            await signed_up(client, "not-an-address")


@pytest.mark.asyncio
async def test_wrong_password_and_unknown_address_fail_alike(users_server: LiveServer) -> None:
    email = fresh_email("bob")
    async with BrowserClient(users_server.ws_url) as client:
        await signed_up(client, email)
    async with BrowserClient(users_server.ws_url) as client:
        for address, password in [(email, "wrong password"), (fresh_email("nobody"), PASSWORD)]:
            with pytest.raises(anvil.users.AuthenticationFailed) as failed:
                await client.call(PRIVATE + "login_with_email", address, password)
            assert type(failed.value) is anvil.users.AuthenticationFailed
            assert str(failed.value) == "Incorrect email address or password"
        assert await client.call("whoami") is None
        reply = await client.call(PRIVATE + "login_with_email", email, PASSWORD)
        assert reply["user"]["email"] == email.lower() and reply["user"]["n_password_failures"] == 0


@pytest.mark.asyncio
async def test_repeated_wrong_passwords_lock_the_account_for_a_while(users_server: LiveServer) -> None:
    email = fresh_email("lock")
    async with BrowserClient(users_server.ws_url) as client:
        await signed_up(client, email)
    async with BrowserClient(users_server.ws_url) as client:
        login = PRIVATE + "login_with_email"
        for _ in range(2):
            with pytest.raises(anvil.users.AuthenticationFailed) as failed:
                await client.call(login, email, "wrong password")
            assert type(failed.value) is anvil.users.AuthenticationFailed
        with pytest.raises(anvil.users.TooManyPasswordFailures, match="wrong 3 times in a row"):
            await client.call(login, email, "wrong password")
        with pytest.raises(anvil.users.TooManyPasswordFailures):  # even the right password, while locked
            await client.call(login, email, PASSWORD)
        deadline = time.monotonic() + 60
        while True:  # the lock ends LOCKOUT_SECONDS after the last failure
            try:
                reply = await client.call(login, email, PASSWORD)
                break
            except anvil.users.TooManyPasswordFailures:
                assert time.monotonic() < deadline, "the account stayed locked"
                await asyncio.sleep(0.2)
        assert reply["user"]["n_password_failures"] == 0
        with pytest.raises(anvil.users.AuthenticationFailed) as failed:  # the count started again
            await client.call(login, email, "wrong password")
        assert type(failed.value) is anvil.users.AuthenticationFailed


@pytest.mark.asyncio
async def test_require_user_true_and_a_function(users_server: LiveServer) -> None:
    async with BrowserClient(users_server.ws_url) as client:
        with pytest.raises(anvil.users.AuthenticationFailed, match="You must be logged in"):
            await client.call("secret")
        with pytest.raises(anvil.users.AuthenticationFailed, match="You must be logged in"):
            await client.call("admin_report")
        email = fresh_email("carol")
        await signed_up(client, email)
        assert await client.call("secret") == f"the secret, for {email.lower()}"
        with pytest.raises(anvil.server.PermissionDenied, match="admin_report"):
            await client.call("admin_report")
        assert await client.call("make_me_admin") == "admin"  # a row write in server code reaches the store
        assert await client.call("admin_report") == "admins only"
        assert (await client.call("my_row"))["role"] == "admin"
        await client.call(PRIVATE + "logout")
        assert await client.call("whoami") is None
        with pytest.raises(anvil.users.AuthenticationFailed):
            await client.call("secret")


@pytest.mark.asyncio
async def test_a_remembered_login_logs_in_again_until_logout_revokes_it(users_server: LiveServer) -> None:
    email = fresh_email("dave")
    async with BrowserClient(users_server.ws_url) as client:
        await signed_up(client, email)
        first = await client.call(PRIVATE + "login_with_email", email, PASSWORD, remember=True)
        second = await client.call(PRIVATE + "login_with_email", email, PASSWORD, remember=True)
    token = first["remember"]
    assert token and second["remember"] and token != second["remember"]
    async with BrowserClient(users_server.ws_url) as restarted:  # a new browser session
        assert await restarted.call("whoami") is None
        reply = await restarted.call(PRIVATE + "get_user", token)
        assert reply["user"]["email"] == email.lower() and reply["session"]
        assert await restarted.call("whoami") == email.lower()
        assert await restarted.call("whoami_strict") is None  # get_user(allow_remembered=False)
        assert await restarted.call("secret")
        await restarted.call(PRIVATE + "logout")
    async with BrowserClient(users_server.ws_url) as later:  # logout revoked both remembered logins
        for revoked in (token, second["remember"]):
            assert await later.call(PRIVATE + "get_user", revoked) == {"user": None, "remember": None}
        assert await later.call(PRIVATE + "get_user", "made-up-token") == {"user": None, "remember": None}


@pytest.mark.asyncio
async def test_login_in_app_server_code_moves_the_connection_to_a_new_session(users_server: LiveServer) -> None:
    email = fresh_email("erin")
    async with BrowserClient(users_server.ws_url) as client:
        await signed_up(client, email)
        await client.call(PRIVATE + "logout")
        _, before = await client.call("session_view")
        assert await client.call("server_side_login", email, PASSWORD) == email.lower()
        announced = [m["token"] for m in client.session_replies if m.get("type") == "SESSION"]
        _, after = await client.call("session_view")
        assert after != before and announced[-1] == after
        assert await client.call("whoami") == email.lower()
        other = fresh_email("frank")
        assert await client.call("server_side_signup_then_force_login", other, PASSWORD, "x") == [other.lower(), "x"]
        assert await client.call("whoami") == other.lower()


@pytest.mark.asyncio
async def test_server_code_cannot_change_the_address_or_use_users_from_async_functions(users_server: LiveServer) -> None:
    async with BrowserClient(users_server.ws_url) as client:
        await signed_up(client, fresh_email("gina"))
        with pytest.raises(ValueError, match="email cannot be changed"):
            await client.call("write_email", "new@example.com")
        with pytest.raises(RuntimeError, match="call it from a synchronous server function"):
            await client.call("async_get_user")


@pytest.mark.asyncio
async def test_passwords_are_stored_only_as_salted_scrypt_hashes(users_server: LiveServer) -> None:
    secret_password = "never-stored-" + str(time.monotonic_ns())
    emails = [fresh_email("hash1"), fresh_email("hash2")]
    async with BrowserClient(users_server.ws_url) as client:
        for email in emails:
            await signed_up(client, email, secret_password)
    db = sqlite3.connect(users_server.store_file)  # type: ignore[attr-defined]
    try:
        hashes = [db.execute("SELECT password_hash FROM users WHERE email = ?", (e.lower(),)).fetchone()[0]
                  for e in emails]
        dump = "\n".join(db.iterdump())
    finally:
        db.close()
    assert all(h.startswith("scrypt$") for h in hashes) and hashes[0] != hashes[1]  # a salt per user
    assert secret_password not in dump
    assert secret_password not in users_server.output()


def test_http_calls_log_in_and_endpoints_see_the_session_user(users_server: LiveServer) -> None:
    email = fresh_email("http")
    with httpx.Client(base_url=users_server.url, timeout=30, trust_env=False) as page:
        old = page.get("/").cookies["anvil-session"]
    with HttpCaller(users_server.url, cookies={"anvil-session": old}) as caller:
        reply = caller.call(PRIVATE + "signup_with_email", email, PASSWORD)
    new = reply["session"]
    assert new != old
    for cookie, expected in [(new, email.lower()), (old, None), (None, None)]:
        cookies = {"anvil-session": cookie} if cookie else None
        with httpx.Client(base_url=users_server.url, cookies=cookies, timeout=30, trust_env=False) as http:
            assert http.get("/_/api/session-user").json() == {"user": expected}


def test_authenticate_users_checks_basic_credentials_against_the_users(users_server: LiveServer) -> None:
    email = fresh_email("basic")
    with HttpCaller(users_server.url) as caller:
        caller.call(PRIVATE + "signup_with_email", email, PASSWORD)
    with httpx.Client(base_url=users_server.url, timeout=30, trust_env=False) as http:
        anonymous = http.get("/_/api/me")
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Basic realm=")
        wrong = http.get("/_/api/me", auth=(email, "wrong password"))
        assert wrong.status_code == 401 and "Incorrect email address or password" in wrong.text
        assert http.get("/_/api/me", auth=("nobody@example.com", PASSWORD)).status_code == 401
        right = http.get("/_/api/me", auth=(email, PASSWORD))
        assert right.status_code == 200
        assert right.json() == {"user": email.lower(), "get_user": email.lower(), "username": email}
        for _ in range(3):  # wrong Basic passwords count towards the lock-out too
            assert http.get("/_/api/me", auth=(email, "wrong password")).status_code == 401
        locked = http.get("/_/api/me", auth=(email, PASSWORD))
        assert locked.status_code == 401 and "locked" in locked.text


def test_bad_user_options_are_refused_at_start() -> None:
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "anvil_pyodide", "serve", str(USERS_APP), "--max-password-failures",
                             "0"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--max-password-failures must be at least 1" in result.stderr


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_two_servers_sharing_a_store_share_the_users(kind: str, tmp_path: Path) -> None:
    from tests.support.redis_server import RedisServer, redis_available

    if kind == "redis" and not redis_available():
        pytest.skip("redis-server is not installed")
    redis = RedisServer().start() if kind == "redis" else None
    url = redis.url if redis else f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    try:
        options = ("--store", url, "--max-password-failures", "3", "--password-lockout", "600")
        with LiveServer(USERS_APP, *options) as one, LiveServer(USERS_APP, *options) as two:
            email = fresh_email("shared")
            async with BrowserClient(one.ws_url) as client:
                await signed_up(client, email)
                remembered = (await client.call(PRIVATE + "login_with_email", email, PASSWORD, remember=True))["remember"]
                with pytest.raises(anvil.users.AuthenticationFailed):
                    await client.call(PRIVATE + "login_with_email", email, "wrong password")
            async with BrowserClient(two.ws_url) as other:
                with pytest.raises(anvil.users.UserExists):
                    await signed_up(other, email)
                assert (await other.call(PRIVATE + "get_user", remembered))["user"]["email"] == email.lower()
                for _ in range(2):  # the failure on the first server counts here too: 3 in all
                    with pytest.raises(anvil.users.AuthenticationFailed) as failed:
                        await other.call(PRIVATE + "login_with_email", email, "wrong password")
                assert type(failed.value) is anvil.users.TooManyPasswordFailures
    finally:
        if redis is not None:
            redis.stop()


@pytest.mark.asyncio
async def test_a_remembered_login_ends_after_remember_login_days() -> None:
    with LiveServer(USERS_APP, "--remember-login-days", "0.00002") as server:  # about 1.7 s
        email = fresh_email("short-memory")
        async with BrowserClient(server.ws_url) as client:
            await signed_up(client, email)
            token = (await client.call(PRIVATE + "login_with_email", email, PASSWORD, remember=True))["remember"]
        deadline = time.monotonic() + 60
        while True:
            async with BrowserClient(server.ws_url) as restarted:
                if (await restarted.call(PRIVATE + "get_user", token))["user"] is None:
                    break
            assert time.monotonic() < deadline, "the remembered login never expired"
            await asyncio.sleep(0.2)
