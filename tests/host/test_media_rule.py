"""One rule for which ``objects`` entries carry media, on both sides: the cases in
tests/cases/media_rule_cases.json run against Python's ``media_ids`` and JavaScript's ``mediaIds``
(js_bridge/wire_types.mjs, in Node), and both sides name the same wire types in the same order."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from anvil._wire import media_ids
from anvil._wire.types import WIRE_TYPE_NAMES

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "tests" / "cases" / "media_rule_cases.json").read_text())["cases"]


def run_node(script: str) -> object:
    result = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def js_answers() -> dict[str, object]:
    return run_node(f"""
import {{ mediaIds, WIRE_TYPE_NAMES }} from "{ROOT / 'js_bridge' / 'wire_types.mjs'}";
import {{ readFileSync }} from "node:fs";
const {{ cases }} = JSON.parse(readFileSync("{ROOT / 'tests' / 'cases' / 'media_rule_cases.json'}", "utf8"));
console.log(JSON.stringify({{ names: WIRE_TYPE_NAMES, media: Object.fromEntries(cases.map((c) => [c.name, mediaIds(c.message)])) }}));
""")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_python_rule(case: dict) -> None:
    assert media_ids(case["message"]) == case["media"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_javascript_rule(case: dict, js_answers: dict) -> None:
    assert js_answers["media"][case["name"]] == case["media"]


def test_both_sides_know_the_same_wire_types(js_answers: dict) -> None:
    assert js_answers["names"] == list(WIRE_TYPE_NAMES)
