"""Routes what server functions print to the call that printed it (when output forwarding is on).

Example:
    >>> import io
    >>> sink = []
    >>> stream = RoutingStream(io.StringIO(), lambda: sink.append)
    >>> stream.write("hi\\n")
    3
    >>> sink
    ['hi\\n']
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TextIO

from .context import current_call


class RoutingStream:
    """A stdout stand-in: text goes to the current call's writer when it has one, else to ``fallback``."""

    def __init__(self, fallback: TextIO, current_writer: Callable[[], Callable[[str], None] | None]) -> None:
        self.fallback = fallback
        self.current_writer = current_writer

    def write(self, text: str) -> int:
        writer = self.current_writer()
        if writer is None:
            return self.fallback.write(text)
        writer(text)
        return len(text)

    def flush(self) -> None:
        self.fallback.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.fallback, name)


class LineBuffer:
    r"""Passes printed text on a whole line at a time; ``flush`` sends what is left (at the end of a call).

    Example:
        >>> sent = []
        >>> buffer = LineBuffer(sent.append)
        >>> buffer.write("hi"); buffer.write("\nthere")
        >>> buffer.flush(sent.append)
        >>> sent
        ['hi\n', 'there']
    """

    def __init__(self, emit: Callable[[str], None]) -> None:
        self.emit = emit
        self.pending = ""
        self.lock = threading.Lock()

    def write(self, text: str) -> None:
        with self.lock:
            self.pending += text
            if "\n" not in self.pending:
                return
            lines, _, self.pending = self.pending.rpartition("\n")
        self.emit(lines + "\n")

    def flush(self, emit: Callable[[str], None]) -> None:
        with self.lock:
            rest, self.pending = self.pending, ""
        if rest:
            emit(rest)


def _writer_of_current_call() -> Callable[[str], None] | None:
    state = current_call.get()
    return state.write_output if state is not None else None


def install_output_routing() -> None:
    """Route ``print`` in server functions to their callers; idempotent."""
    if not isinstance(sys.stdout, RoutingStream):
        sys.stdout = RoutingStream(sys.stdout, _writer_of_current_call)  # type: ignore[assignment]
