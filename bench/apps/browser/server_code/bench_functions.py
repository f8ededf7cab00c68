"""Server functions the browser benchmark calls, and the raw HTTP routes its media baseline fetches from the
same server process (``/_/api/blob``, ``/_/api/sink``)."""

import random
import sys
from pathlib import Path

import anvil
import anvil.server

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))
from bench.payload import make_payload  # noqa: E402

PAYLOAD = make_payload(3100, special=False)  # ~1 MB of JSON
MEDIA_BYTES = 8 * 1024 * 1024
MEDIA = random.Random(MEDIA_BYTES).randbytes(MEDIA_BYTES)  # made once: neither side pays for randomness


@anvil.server.callable
def noop():
    return None


@anvil.server.callable
async def noop_async():
    return None


@anvil.server.callable
def big_response():
    return PAYLOAD


@anvil.server.callable
def media_length(media):
    return len(media.get_bytes())


@anvil.server.callable
def random_media(size):
    return anvil.BlobMedia("application/octet-stream", MEDIA[:size])


@anvil.server.http_endpoint("/blob", methods=["GET"])
def blob(size):
    return anvil.BlobMedia("application/octet-stream", MEDIA[:int(size)])


@anvil.server.http_endpoint("/sink", methods=["POST"])
def sink():
    return str(len(anvil.server.request.body.get_bytes()))
