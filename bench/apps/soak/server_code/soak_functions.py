"""Server functions the soak (bench/soak.py) drives: held calls with a start journal, sessions, media,
capabilities, a call through an uplink, and an endpoint answering with whatever header it is given."""

import asyncio
import os
import time

import anvil
import anvil.server

JOURNAL = os.environ.get("ANVIL_SOAK_JOURNAL")


@anvil.server.callable
async def hold(call_id, seconds):
    """Writes ``call_id`` to the start journal (so a second run would show), then waits ``seconds``."""
    if JOURNAL:
        with open(JOURNAL, "a") as journal:
            journal.write(call_id + "\n")
    await asyncio.sleep(seconds)
    return call_id


@anvil.server.callable
def echo(value):
    return value


@anvil.server.callable
def store(key, value):
    anvil.server.session[key] = value


@anvil.server.callable
def load(key):
    return anvil.server.session.get(key)


@anvil.server.callable
def reverse_media(media):
    return anvil.BlobMedia(media.content_type, media.get_bytes()[::-1], name="reversed.bin")


@anvil.server.callable
def issue(n):
    return anvil.server.Capability(["soak", n])


@anvil.server.callable
def check(cap, n):
    _, got = anvil.server.unwrap_capability(cap, ["soak", n])
    return got


@anvil.server.callable
def through_uplink(x):
    return anvil.server.call("uplink_double", x)


@anvil.server.http_endpoint("/header", methods=["POST"])
def header():
    wanted = anvil.server.request.body_json
    return anvil.server.HttpResponse(200, "ok", {wanted["name"]: wanted["value"]})


@anvil.server.http_endpoint("/upload", methods=["POST"])
def upload():
    return len(anvil.server.request.body.get_bytes())


@anvil.server.callable
def nap(seconds):
    """A sync function that holds a worker thread for ``seconds``."""
    time.sleep(seconds)


@anvil.server.callable
def large_text(length):
    """A reply of ``length`` characters."""
    return "x" * length


@anvil.server.callable
def media_length(media):
    return len(media.get_bytes())
