"""The Python codec (client/anvil/_wire) against tests/cases/codec_json_cases.json; the Skulpt runtime's codec runs
the same cases through the same checker in tests/e2e/test_skulpt_codec_cases.py, so the two cannot drift."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import anvil
import anvil.server
from anvil._errors import SerializationError
from anvil._wire import decode_message, encode_message, reassemble
from tests.cases.codec_json_support import check_case

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "tests" / "cases" / "codec_json_cases.json").read_text())["cases"]


def _chunks(message: dict) -> list[list]:
    return [[header["mediaId"], header["chunkIndex"], header["lastChunk"], len(data)]
            for header, data in encode_message(message).chunks()]


def _encode(message: dict) -> tuple[dict, dict[str, bytes]]:
    encoded = encode_message(message)
    return json.loads(json.dumps(encoded.message, allow_nan=False)), reassemble(encoded)


PYTHON_CODEC = {
    "encode": _encode,
    "decode": lambda message, media: decode_message(message, media).message,
    "error": SerializationError,
    "json": json,
    "tz": lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)),
    "BlobMedia": anvil.BlobMedia,
    "Capability": anvil.server.Capability,
    "portable_class": anvil.server.portable_class,
    "LiveObject": anvil.LiveObjectProxy,
    "chunks": _chunks,
}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_python_codec_agrees_with_the_case(case: dict) -> None:
    assert check_case(case, PYTHON_CODEC) == []
