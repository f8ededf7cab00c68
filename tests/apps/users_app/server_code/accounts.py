"""Server functions of the users test app: who is logged in, require_user, server-side log-in, endpoints."""

import anvil.server
import anvil.users


@anvil.server.callable
def whoami():
    user = anvil.users.get_user()
    return None if user is None else user["email"]


@anvil.server.callable
def whoami_strict():
    user = anvil.users.get_user(allow_remembered=False)
    return None if user is None else user["email"]


@anvil.server.callable
def my_row():
    return anvil.users.get_user()


@anvil.server.callable(require_user=True)
def secret():
    return f"the secret, for {anvil.users.get_user()['email']}"


def is_admin(user):
    return user.get("role") == "admin"


@anvil.server.callable(require_user=is_admin)
def admin_report():
    return "admins only"


@anvil.server.callable
def make_me_admin():
    user = anvil.users.get_user()
    user["role"] = "admin"
    return dict(anvil.users.get_user())["role"]


@anvil.server.callable
def server_side_login(email, password):
    return anvil.users.login_with_email(email, password)["email"]


@anvil.server.callable
def server_side_signup_then_force_login(email, password, other_email):
    created = anvil.users.signup_with_email(email, password)
    anvil.users.logout()
    anvil.users.force_login(created)
    return anvil.users.get_user()["email"], other_email


@anvil.server.callable
def session_view():
    anvil.server.session["visits"] = anvil.server.session.get("visits", 0) + 1
    return sorted(anvil.server.session), anvil.server.get_session_id()


@anvil.server.callable
def forge_login(user_id):
    anvil.server.session["anvil.private.users.user"] = {"id": user_id, "remembered": False}


@anvil.server.callable
def write_email(address):
    anvil.users.get_user()["email"] = address


@anvil.server.callable
async def async_get_user():
    return anvil.users.get_user()


@anvil.server.http_endpoint("/me", authenticate_users=True)
def me():
    request = anvil.server.request
    return {"user": request.user["email"], "get_user": anvil.users.get_user()["email"], "username": request.username}


@anvil.server.http_endpoint("/session-user")
def session_user():
    user = anvil.server.request.user
    return {"user": None if user is None else user["email"]}
