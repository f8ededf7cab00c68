"""anvil.users in headless Chromium against the real server: sign-up, log-in, require_user before and
after, log-out, wrong passwords and the lock-out, and a remembered login across browser restarts, on both runtimes
(Pyodide and Skulpt)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import APPS, CHROMIUM, CHROMIUM_FLAGS, AppPage, on_skulpt
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.timeout(600)

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=["pyodide", "skulpt"])
def users_app(request: Any, tmp_path_factory: Any) -> Iterator[LiveServer]:
    """The users app, its page on each runtime."""
    app_dir = APPS / "users_app"
    if request.param == "skulpt":
        app_dir = on_skulpt(app_dir, tmp_path_factory.mktemp("skulpt") / "users_app")
    with LiveServer(app_dir, "--max-password-failures", "3", "--password-lockout", "600") as server:
        yield server


class Browser:
    """One Chromium profile that can be closed and started again (a browser restart keeps localStorage)."""

    def __init__(self, playwright: Any, server: LiveServer) -> None:
        self.playwright, self.server = playwright, server
        self.profile = tempfile.mkdtemp(prefix="anvil-pyodide-users-profile-")
        self.context: Any = None

    def open(self) -> AppPage:
        if self.context is None:
            self.context = self.playwright.chromium.launch_persistent_context(
                self.profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        return AppPage(self.context.new_page(), self.server).open()

    def restart(self) -> AppPage:
        self.close()
        return self.open()

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None


@pytest.fixture
def browsers(playwright_driver: Any, users_app: LiveServer) -> Iterator[Any]:
    made: list[Browser] = []

    def make() -> Browser:
        made.append(Browser(playwright_driver, users_app))
        return made[-1]
    yield make
    for browser in made:
        browser.close()


def fresh_email(tag: str) -> str:
    return f"{tag}-{time.monotonic_ns()}@example.com"


SIGN_UP_AND_REQUIRE_USER = """
import anvil.server, anvil.users
seen = {"before": anvil.users.get_user()}
try:
    anvil.server.call("secret")
except anvil.users.AuthenticationFailed as e:
    seen["refused"] = str(e)
user = anvil.users.signup_with_email(EMAIL, PASSWORD)
seen["user"] = [user["email"], type(user).__name__, user.get_id() == anvil.users.get_user().get_id()]
seen["secret"] = anvil.server.call("secret")
try:
    anvil.server.call("admin_report")
except anvil.server.PermissionDenied as e:
    seen["not_admin"] = type(e).__name__
seen["made_admin"] = anvil.server.call("make_me_admin")
seen["admin"] = anvil.server.call("admin_report")
seen["row_read_only"] = None
try:
    user["role"] = "owner"
except anvil.server.PermissionDenied:
    seen["row_read_only"] = True
try:
    anvil.users.signup_with_email(EMAIL.upper(), PASSWORD)
except anvil.users.UserExists:
    seen["exists"] = True
anvil.users.logout()
seen["after_logout"] = [anvil.users.get_user(), anvil.server.call("whoami")]
try:
    anvil.server.call("secret")
except anvil.users.AuthenticationFailed:
    seen["refused_again"] = True
seen["login"] = anvil.users.login_with_email(EMAIL, PASSWORD)["email"]
seen["whoami"] = anvil.server.call("whoami")
result = seen
"""


def test_sign_up_require_user_log_out_and_log_in(browsers: Any) -> None:
    page = browsers().open()
    email = fresh_email("ada")
    seen = page.run(f"EMAIL = {email!r}\nPASSWORD = {PASSWORD!r}\n" + SIGN_UP_AND_REQUIRE_USER)
    assert seen == {
        "before": None, "refused": "You must be logged in to call this server function",
        "user": [email, "UserRow", True], "secret": f"the secret, for {email}", "not_admin": "PermissionDenied",
        "made_admin": "admin", "admin": "admins only", "row_read_only": True, "exists": True,
        "after_logout": [None, None], "refused_again": True, "login": email, "whoami": email,
    }
    # the page's cookie followed the new session: HTTP endpoints see the user
    assert page.page.evaluate("() => fetch('/_/api/session-user').then(r => r.json())") == {"user": email}


@pytest.mark.parametrize("users_app", ["pyodide"], indirect=True)  # Skulpt has no synchronous path
def test_log_in_on_the_synchronous_http_path(browsers: Any) -> None:
    page = browsers().open()
    email = fresh_email("sync")
    page.run(f"import anvil.users\nanvil.users.signup_with_email({email!r}, {PASSWORD!r})\n"
             "anvil.users.logout()\nresult = None")
    seen = page.run_sync(f"import anvil.server, anvil.users\n"
                         f"user = anvil.users.login_with_email({email!r}, {PASSWORD!r})\n"
                         f"result = [user['email'], anvil.server.call('secret'), anvil.server.last_call_path()]")
    assert seen == [email, f"the secret, for {email}", "sync-http"]
    assert page.run("import anvil.server\nresult = anvil.server.call('whoami')") == email  # the socket followed


WRONG_PASSWORDS = """
import anvil.users
seen = []
for password in ["wrong 1", "wrong 2", "wrong 3", PASSWORD]:
    try:
        anvil.users.login_with_email(EMAIL, password)
        seen.append("logged in")
    except anvil.users.AuthenticationFailed as e:
        seen.append([type(e).__name__, str(e)])
result = [seen, anvil.users.get_user()]
"""


def test_wrong_passwords_then_the_lock_out(browsers: Any) -> None:
    page = browsers().open()
    email = fresh_email("lock")
    page.run(f"import anvil.users\nanvil.users.signup_with_email({email!r}, {PASSWORD!r})\nanvil.users.logout()\n"
             "result = None")
    seen, user = page.run(f"EMAIL = {email!r}\nPASSWORD = {PASSWORD!r}\n" + WRONG_PASSWORDS)
    wrong = ["AuthenticationFailed", "Incorrect email address or password"]
    locked = ["TooManyPasswordFailures", "The password was wrong 3 times in a row: this account is locked; "
                                         "try again in 10 minutes"]
    assert seen == [wrong, wrong, locked, locked] and user is None


def test_a_remembered_login_survives_a_browser_restart_until_logout(browsers: Any) -> None:
    email = fresh_email("remember")
    first, second = browsers(), browsers()
    page = first.open()
    page.run(f"import anvil.users\nanvil.users.signup_with_email({email!r}, {PASSWORD!r})\n"
             f"anvil.users.login_with_email({email!r}, {PASSWORD!r}, remember=True)\nresult = None")
    page = first.restart()
    assert page.run("import anvil.users, anvil.server\n"
                    "result = [anvil.server.call('whoami'), anvil.users.get_user()['email'],"
                    " anvil.server.call('whoami'), anvil.server.call('whoami_strict'), anvil.server.call('secret')]") \
        == [None, email, email, None, f"the secret, for {email}"]
    other = second.open()  # another browser remembers the same user, then logs out: revoked everywhere
    assert other.run(f"import anvil.users\nanvil.users.login_with_email({email!r}, {PASSWORD!r}, remember=True)\n"
                     "anvil.users.logout()\nresult = anvil.users.get_user()") is None
    page = first.restart()
    assert page.run("import anvil.users\nresult = [anvil.users.get_user(), anvil.users.get_user()]") == [None, None]
    page.run(f"import anvil.users\nanvil.users.login_with_email({email!r}, {PASSWORD!r})\nresult = None")
    page = first.restart()  # without remember=True, a restart ends the login
    assert page.run("import anvil.users\nresult = anvil.users.get_user()") is None
