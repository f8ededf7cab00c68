"""boot_app_page: a renderer crash while an app page boots is retried once in a new tab and recorded; a second
crash in a row, or any other failure, is not retried. (Fake pages: a real renderer crash cannot be ordered.)"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e import conftest
from tests.e2e.conftest import RendererCrashWarning, boot_app_page


class FakeContext:
    def __init__(self, outcomes: list[str]) -> None:
        self.outcomes = outcomes
        self.pages: list[FakePage] = []

    def new_page(self) -> "FakePage":
        page = FakePage(self, self.outcomes.pop(0))
        self.pages.append(page)
        return page


class FakePage:
    """A page whose app boots ("ok"), whose renderer crashes while it boots ("crash"), or that times out."""

    def __init__(self, context: FakeContext, outcome: str) -> None:
        self.context, self.outcome, self.handlers = context, outcome, []

    def on(self, event: str, handler: Any) -> None:
        if event == "crash":
            self.handlers.append(handler)

    def goto(self, url: str) -> None:
        pass

    def wait_for_function(self, script: str, timeout: int) -> None:
        if self.outcome == "crash":
            for handler in self.handlers:
                handler(self)
            raise PlaywrightError("Page.wait_for_function: Target crashed")
        if self.outcome == "timeout":
            raise PlaywrightError("Page.wait_for_function: Timeout 90000ms exceeded.")


@pytest.fixture(autouse=True)
def artifacts(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(conftest, "ARTIFACTS", tmp_path)
    return tmp_path


def test_one_crash_while_booting_is_retried_in_a_new_tab_and_recorded(artifacts: Any) -> None:
    context = FakeContext(["crash", "ok"])
    with pytest.warns(RendererCrashWarning, match="renderer crashed booting http://app/"):
        booted = boot_app_page(context.new_page(), "http://app/")
    assert booted is context.pages[1]
    assert "Target crashed" in (artifacts / "renderer-crashes.log").read_text()


def test_two_crashes_in_a_row_fail() -> None:
    context = FakeContext(["crash", "crash"])
    with pytest.warns(RendererCrashWarning), pytest.raises(PlaywrightError, match="Target crashed"):
        boot_app_page(context.new_page(), "http://app/")


def test_other_failures_are_not_retried() -> None:
    context = FakeContext(["timeout", "ok"])
    with pytest.raises(PlaywrightError, match="Timeout"):
        boot_app_page(context.new_page(), "http://app/")
    assert len(context.pages) == 1
