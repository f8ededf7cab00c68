"""Server functions the browser benchmark calls."""

import random
import sys
from pathlib import Path

import anvil
import anvil.server

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))
from bench.payload import make_payload  # noqa: E402

PAYLOAD = make_payload(3100, special=False)  # ~1 MB of JSON


@anvil.server.callable
def noop():
    return None


@anvil.server.callable
def big_response():
    return PAYLOAD


@anvil.server.callable
def media_length(media):
    return len(media.get_bytes())


@anvil.server.callable
def random_media(size):
    return anvil.BlobMedia("application/octet-stream", random.Random(size).randbytes(size))
