"""Server-side traces for error responses: the frames of the app's own code, innermost first.

Example:
    >>> from pathlib import Path
    >>> try:
    ...     int("x")
    ... except ValueError as e:
    ...     app_trace(e, Path("/nowhere"))
    []
"""

from __future__ import annotations

import traceback
from pathlib import Path


def app_trace(exc: BaseException, app_dir: Path | None) -> list[list[object]]:
    """``[[path relative to the app, line], ...]`` for the frames inside ``app_dir``, innermost first."""
    if app_dir is None:
        return []
    root = app_dir.resolve()
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            relative = Path(frame.filename).resolve().relative_to(root)
        except (ValueError, OSError):
            continue
        frames.append([relative.as_posix(), frame.lineno])
    frames.reverse()
    return frames
