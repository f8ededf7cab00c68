"""Runs every ``case_*`` of tests/cases/*_cases.py on CPython (the same cases run inside Pyodide)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

CASES_DIR = Path(__file__).resolve().parents[1] / "cases"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _all_cases() -> list[tuple[str, Callable[[], None]]]:
    found = []
    for path in sorted(CASES_DIR.glob("*_cases.py")):
        module = _load(path)
        found += [(f"{path.stem}.{name}", getattr(module, name)) for name in dir(module) if name.startswith("case_")]
    return found


CASES = _all_cases()


@pytest.mark.parametrize("case", [fn for _, fn in CASES], ids=[name for name, _ in CASES])
def test_shared_case(case: Callable[[], None]) -> None:
    case()
