"""The examples in the docstrings of client/ and bench/ modules are tests too: they must stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import anvil


def _modules() -> list[str]:
    names = ["anvil"] + [m.name for m in pkgutil.walk_packages(anvil.__path__, "anvil.")]
    return names + ["bench.payload", "bench.codec_timing"]


@pytest.mark.parametrize("module_name", _modules())
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module_name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"
