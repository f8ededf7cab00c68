"""The Python codec (client/anvil/_wire) against tests/cases/codec_json_cases.json, and received errors against
tests/cases/error_cases.json; the Skulpt runtime runs the same cases through the same checkers in
tests/e2e/test_skulpt_codec_cases.py, so the two cannot drift."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import anvil
import anvil.server
from anvil._errors import SerializationError
from anvil._wire import decode_message, encode_message, reassemble
import anvil._user_errors  # noqa: F401 - registers anvil.users' exceptions (the error cases use them)
from anvil import _errors
from tests.cases.codec_json_support import check_case, check_error_case

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "tests" / "cases" / "codec_json_cases.json").read_text())["cases"]
ERROR_CASES = json.loads((ROOT / "tests" / "cases" / "error_cases.json").read_text())["cases"]


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
    "error_from_wire": _errors.error_from_wire,
    "AnvilWrappedError": _errors.AnvilWrappedError,
    "register_exception": _errors._register_exception_type,
}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_python_codec_agrees_with_the_case(case: dict) -> None:
    assert check_case(case, PYTHON_CODEC) == []


@pytest.mark.parametrize("case", ERROR_CASES, ids=[case["name"] for case in ERROR_CASES])
def test_python_errors_agree_with_the_case(case: dict) -> None:
    assert check_error_case(case, PYTHON_CODEC) == []
