"""The Skulpt runtime's codec (js_bridge/skulpt_lib/anvil/_codec.py) against tests/cases/codec_json_cases.json, and
its received errors (anvil/_errors.py) against tests/cases/error_cases.json, in headless Chromium, through the same
checkers (tests/cases/codec_json_support.py) the Python side runs in tests/host/test_codec_json_cases.py: the two
cannot drift apart unnoticed. Each case runs twice: through the
Python encoder, and as anvil.server.encode_call encodes (the native one-pass path first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import AppPage

ROOT = Path(__file__).resolve().parents[2]
CASES_TEXT = (ROOT / "tests" / "cases" / "codec_json_cases.json").read_text()
CASES = json.loads(CASES_TEXT)["cases"]
SUPPORT = (ROOT / "tests" / "cases" / "codec_json_support.py").read_text()
ERRORS_TEXT = (ROOT / "tests" / "cases" / "error_cases.json").read_text()
ERROR_CASES = json.loads(ERRORS_TEXT)["cases"]

RUNNER = """
import json
import _anvil_skulpt
import anvil
from anvil._codec import decode_message, encode_message
from anvil._errors import SerializationError
from anvil.tz import tzoffset
from anvil._capability import Capability
from anvil._portable import portable_class
from anvil._live_object import LiveObjectProxy
from anvil import _errors
import anvil._user_errors


def _encode(message):
    encoded = encode_message(message)
    media = {}
    for media_id, item in encoded.media:
        media[media_id] = item.get_bytes()
    return encoded.message, media


def _chunks(message):
    chunks = []
    for header_text, data in encode_message(message).frames():
        header = json.loads(header_text)
        chunks.append([header["mediaId"], header["chunkIndex"], header["lastChunk"], len(data)])
    return chunks


def _encode_fast_first(message):
    # what anvil.server.encode_call does: the native one-pass encoding when nothing needs an objects entry
    text = _anvil_skulpt.plain_json(dict(message, objects=[]))
    return (json.loads(text), {}) if text is not None else _encode(message)


CODEC = {"encode": _encode, "decode": decode_message, "error": SerializationError, "json": json,
         "tz": lambda minutes: tzoffset(minutes=minutes), "BlobMedia": anvil.BlobMedia,
         "Capability": Capability, "portable_class": portable_class,
         "LiveObject": LiveObjectProxy, "chunks": _chunks, "error_from_wire": _errors.error_from_wire,
         "AnvilWrappedError": _errors.AnvilWrappedError, "register_exception": _errors._register_exception_type}
FAST_FIRST = dict(CODEC, encode=_encode_fast_first)
cases = json.loads(CASES_TEXT)["cases"]
problems = dict((case["name"], check_case(case, CODEC) + check_case(case, FAST_FIRST)) for case in cases)
errors = dict((case["name"], check_error_case(case, CODEC)) for case in json.loads(ERRORS_TEXT)["cases"])
json.dumps({"codec": problems, "errors": errors})
"""


@pytest.fixture(scope="module")
def skulpt_problems(browser, skulpt_browser_app) -> dict:
    page = browser.new_page()
    try:
        app = AppPage(page, skulpt_browser_app).open()
        code = (SUPPORT + "\nCASES_TEXT = " + json.dumps(CASES_TEXT) + "\nERRORS_TEXT = " + json.dumps(ERRORS_TEXT)
                + "\n" + RUNNER)
        return json.loads(app.page.evaluate("code => anvilPyodide.app.runPython(code)", code))
    finally:
        page.close()


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_skulpt_codec_agrees_with_the_case(case: dict, skulpt_problems: dict) -> None:
    assert skulpt_problems["codec"][case["name"]] == []


@pytest.mark.parametrize("case", ERROR_CASES, ids=[case["name"] for case in ERROR_CASES])
def test_skulpt_errors_agree_with_the_case(case: dict, skulpt_problems: dict) -> None:
    assert skulpt_problems["errors"][case["name"]] == []
