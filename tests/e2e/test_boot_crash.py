"""boot_app_page: a renderer crash while an app page boots fails the test (it is not retried: no
environment-only cause is measured, see docs/performance.md) and is recorded for diagnosis with the memory
at the time; any other failure is not recorded. (Fake pages: a real renderer crash cannot be ordered.)"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e import conftest
from tests.e2e.conftest import boot_app_page


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


def test_a_page_that_boots_is_returned() -> None:
    context = FakeContext(["ok"])
    page = context.new_page()
    assert boot_app_page(page, "http://app/") is page


def test_a_crash_while_booting_fails_without_a_retry_and_is_recorded_with_the_memory(artifacts: Any) -> None:
    context = FakeContext(["crash", "ok"])
    with pytest.raises(PlaywrightError, match="Target crashed"):
        boot_app_page(context.new_page(), "http://app/")
    assert len(context.pages) == 1  # no second tab
    note = (artifacts / "renderer-crashes.log").read_text()
    assert "renderer crashed booting http://app/: Page.wait_for_function: Target crashed (MemAvailable " in note
    assert "load average" in note


def test_other_failures_are_not_recorded_as_crashes(artifacts: Any) -> None:
    context = FakeContext(["timeout", "ok"])
    with pytest.raises(PlaywrightError, match="Timeout"):
        boot_app_page(context.new_page(), "http://app/")
    assert len(context.pages) == 1
    assert not (artifacts / "renderer-crashes.log").exists()
