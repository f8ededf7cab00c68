"""Loading indicators from Python: ``anvil.server.loading_indicator`` and ``no_loading_indicator``.

Server calls drive the page's global spinner unless they are silent (``call_s``), inside
``with anvil.server.no_loading_indicator:``, or inside a ``loading_indicator`` block (which shows its
own indicator instead).

Example:
    >>> suppressing_global_spinner()
    False
    >>> with no_loading_indicator:
    ...     suppressing_global_spinner()
    True
"""

from __future__ import annotations

from typing import Any

_suppress_depth = 0


def suppressing_global_spinner() -> bool:
    """True inside ``no_loading_indicator`` or a ``loading_indicator`` block."""
    return _suppress_depth > 0


def _suppress(delta: int) -> None:
    global _suppress_depth
    _suppress_depth += delta


class _NoLoadingIndicator:
    """``with anvil.server.no_loading_indicator:`` — calls inside do not show the global spinner."""

    def __enter__(self) -> "_NoLoadingIndicator":
        _suppress(+1)
        return self

    def __exit__(self, *exc: object) -> None:
        _suppress(-1)

    def __repr__(self) -> str:
        return "anvil.server.no_loading_indicator"


no_loading_indicator = _NoLoadingIndicator()


def _bridge() -> Any:
    import _anvil_bridge

    return _anvil_bridge


def _js_null() -> Any:
    """JavaScript's ``null`` as Pyodide gives it (distinct from None in recent Pyodide)."""
    from pyodide.ffi import jsnull

    return jsnull


def resolve_element(element_or_css_selector: Any) -> Any:
    """A DOM element from an element, a CSS selector, or an object with a ``dom_node``; ValueError if none."""
    if element_or_css_selector is None:
        return None
    if isinstance(element_or_css_selector, str):
        import js

        try:
            element = js.document.querySelector(element_or_css_selector)
        except Exception as e:  # noqa: BLE001 - the browser's SyntaxError for a bad selector
            raise ValueError(f"loading_indicator: {element_or_css_selector!r} is not a valid CSS selector") from e
        if element is None or element is _js_null():
            raise ValueError(f"loading_indicator: no element matches the selector {element_or_css_selector!r}")
        return element
    element = getattr(element_or_css_selector, "dom_node", element_or_css_selector)
    if not hasattr(element, "getBoundingClientRect"):
        raise TypeError("loading_indicator expects a DOM element or a CSS selector string, "
                        f"not {type(element_or_css_selector).__name__}")
    return element


def check_min_height(min_height: Any) -> Any:
    if min_height is None or isinstance(min_height, str):
        return min_height
    if isinstance(min_height, (int, float)) and not isinstance(min_height, bool) and min_height >= 0:
        return min_height
    raise TypeError(f"min_height must be a number of pixels, a CSS length string or None, not {min_height!r}")


class LoadingIndicator:
    """A spinner over ``element`` (blocking its clicks and keys), or the global one; a context manager.

    ``start()``/``stop()`` are idempotent; the same instance can be used again after it stopped.
    """

    def __init__(self, element_or_css_selector: Any = None, min_height: Any = None) -> None:
        self.element = resolve_element(element_or_css_selector)
        self.min_height = check_min_height(min_height)
        self.running = False

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        _suppress(+1)
        bridge = _bridge()
        if self.element is None:
            bridge.spinner.start()
        else:
            bridge.elementSpinners.start(self.element, self.min_height)

    def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        _suppress(-1)
        bridge = _bridge()
        if self.element is None:
            bridge.spinner.stop()
        else:
            bridge.elementSpinners.stop(self.element)

    def __enter__(self) -> "LoadingIndicator":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _LoadingIndicatorFactory:
    """``anvil.server.loading_indicator``: call it for an indicator, or use it bare as the global one."""

    def __init__(self) -> None:
        self._bare: list[LoadingIndicator] = []

    def __call__(self, element_or_css_selector: Any = None, min_height: Any = None) -> LoadingIndicator:
        return LoadingIndicator(element_or_css_selector, min_height)

    def __enter__(self) -> LoadingIndicator:
        indicator = LoadingIndicator()
        self._bare.append(indicator)
        return indicator.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._bare.pop().__exit__(*exc)

    def __repr__(self) -> str:
        return "anvil.server.loading_indicator"


loading_indicator = _LoadingIndicatorFactory()


class GlobalSpinnerDuring:
    """Drives the global spinner around one call unless it is silent or suppressed."""

    def __init__(self, silent: bool) -> None:
        self.active = not silent and not suppressing_global_spinner()

    def __enter__(self) -> None:
        if self.active:
            _bridge().spinner.start()

    def __exit__(self, *exc: object) -> None:
        if self.active:
            _bridge().spinner.stop()
