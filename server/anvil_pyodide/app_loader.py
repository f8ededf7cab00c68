"""Loading an app folder: ``server_code/*.py`` imported (registering their functions), ``client_code/`` on the path.

As in Anvil, server code can import client_code modules, so a portable class or a custom
exception both sides use is written once, in client_code.

Example:
    >>> import tempfile, pathlib
    >>> app = pathlib.Path(tempfile.mkdtemp())
    >>> (app / "server_code").mkdir(); (app / "client_code").mkdir()
    >>> _ = (app / "server_code" / "broken.py").write_text("x = (\\n")
    >>> try:
    ...     load_app(app)
    ... except AppLoadError as e:
    ...     print(str(e).splitlines()[0])
    Could not import server_code/broken.py, line 1: SyntaxError: '(' was never closed
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path


class AppLoadError(Exception):
    """An app's server code failed to import; the message names the file and line."""


def app_paths(app_dir: Path) -> list[Path]:
    return [app_dir / "server_code", app_dir / "client_code"]


def load_app(app_dir: Path) -> list[str]:
    """Import every ``server_code/*.py`` module; returns their names. Raises AppLoadError."""
    app_dir = app_dir.resolve()
    if not app_dir.is_dir():
        raise AppLoadError(f"App folder {app_dir} does not exist")
    for folder in reversed(app_paths(app_dir)):
        if folder.is_dir() and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    names = []
    for path in sorted((app_dir / "server_code").glob("*.py")):
        try:
            importlib.import_module(path.stem)
        except BaseException as e:  # noqa: BLE001 - reported with its place, never a crash later
            raise AppLoadError(describe_import_error(e, path, app_dir)) from e
        names.append(path.stem)
    return names


def describe_import_error(exc: BaseException, path: Path, app_dir: Path) -> str:
    """``Could not import server_code/x.py, line N: Type: message`` with the app's frames after it."""
    where, line = path, None
    if isinstance(exc, SyntaxError) and exc.filename:
        where, line = Path(exc.filename), exc.lineno
    else:
        for frame in traceback.extract_tb(exc.__traceback__):
            if _inside(Path(frame.filename), app_dir):
                where, line = Path(frame.filename), frame.lineno
    shown = where.resolve().relative_to(app_dir).as_posix() if _inside(where, app_dir) else str(where)
    message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    head = f"Could not import {path.relative_to(app_dir).as_posix()}"
    if shown != path.relative_to(app_dir).as_posix():
        head += f" (error in {shown})"
    return f"{head}, line {line}: {type(exc).__name__}: {message}" if line else f"{head}: {type(exc).__name__}: {message}"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
        return True
    except (ValueError, OSError):
        return False


class AppModuleImporter:
    """Imports a module named by a received portable type, only if it is one of the app's own files."""

    def __init__(self, app_dir: Path) -> None:
        self.app_dir = app_dir.resolve()

    def __call__(self, module_name: str) -> None:
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            return
        if spec is None or spec.origin is None or not _inside(Path(spec.origin), self.app_dir):
            return
        importlib.import_module(module_name)
