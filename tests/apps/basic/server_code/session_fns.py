"""Session and context."""

import anvil
import anvil.server


@anvil.server.callable
def session_set(key, value):
    anvil.server.session[key] = value


@anvil.server.callable
def session_get(key):
    return anvil.server.session.get(key)


@anvil.server.callable
def session_store_media(nested=False):
    media = anvil.BlobMedia("text/plain", b"x")
    anvil.server.session["media"] = {"list": [media]} if nested else media


@anvil.server.callable
def session_id():
    return anvil.server.get_session_id()


@anvil.server.callable
def context_info():
    ctx = anvil.server.context
    return {
        "type": ctx.type,
        "client_type": ctx.client.type,
        "client_ip": ctx.client.ip,
        "remote_caller_type": ctx.remote_caller.type,
        "remote_caller_trusted": ctx.remote_caller.is_trusted,
        "background_task_id": ctx.background_task_id,
        "app_origin": anvil.server.get_app_origin(),
    }


@anvil.server.callable
def call_other(name, *args):
    """Calls another server function from server code."""
    return anvil.server.call(name, *args)
