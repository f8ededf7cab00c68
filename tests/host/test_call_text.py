"""client/anvil/_browser/calls.py's ``message_text`` outside the browser: a plain-JSON message skips the codec's
walk, and its text is exactly the codec's (the same JSON, key order and empty ``objects``); anything else still
goes through the codec (its entries, media and errors).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from anvil import BlobMedia
from anvil._browser import calls
from anvil._errors import SerializationError
from anvil._wire import encode_message


def codec_text(message: dict) -> str:
    return json.dumps(encode_message(message).message, allow_nan=False)


PLAIN = [
    {"type": "CALL", "id": "p-1", "command": "noop", "args": [], "kwargs": {}, "vt_global": []},
    {"type": "CALL", "id": "p-2", "command": "f", "args": [1, 2.5, "x", None, True, [{"a": [1]}]],
     "kwargs": {"k": {"n": -3}}, "vt_global": []},
    {"id": "p-3", "response": "é\u2028\U0001f600"},
]


@pytest.mark.parametrize("message", PLAIN)
def test_a_plain_message_is_the_codecs_text_without_its_walk(message: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = codec_text(message)
    monkeypatch.setattr(calls, "encode_message", lambda *a, **k: pytest.fail("the codec walked a plain message"))
    text, frames, capabilities = calls.message_text(message)
    assert text == expected
    assert (frames, capabilities) == ([], [])


def test_other_messages_still_go_through_the_codec() -> None:
    typed = {"id": "t-1", "args": [dt.date(2024, 5, 1), 2**60, (1, 2)]}
    assert json.loads(calls.message_text(typed)[0]) == json.loads(codec_text(typed))
    text, frames, _ = calls.message_text({"id": "m-1", "args": [BlobMedia("text/plain", b"hi")]})
    assert [data for _, data in frames] == [b"hi"] and json.loads(text)["objects"][0]["type"] == ["DataMedia"]
    with pytest.raises(SerializationError, match="Cannot serialize"):
        calls.message_text({"id": "e-1", "args": [float("nan"), object()]})
    deep: list = []
    for _ in range(3000):
        deep = [deep]
    with pytest.raises(SerializationError, match="nested"):
        calls.message_text({"id": "d-1", "args": [deep]})
