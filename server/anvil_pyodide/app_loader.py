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
import importlib.machinery
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


def _found_before_the_path(name: str) -> bool:
    """True for built-in and frozen modules: the import system finds them before any folder on sys.path."""
    return name in sys.builtin_module_names or importlib.machinery.FrozenImporter.find_spec(name) is not None


class AppModuleImporter:
    """Imports a module named by a received portable type, only if it is one of the app's own files.

    The decision is made from the app folder alone (``server_code/`` and ``client_code/``), without
    importing anything: a name that is not a file there (nor a package folder holding one) is ignored.

    Example:
        >>> import tempfile, pathlib
        >>> app = pathlib.Path(tempfile.mkdtemp()); (app / "client_code" / "shop").mkdir(parents=True)
        >>> _ = (app / "client_code" / "shop" / "cart.py").write_text("")
        >>> finder = AppModuleImporter(app)
        >>> finder.app_file("shop.cart").relative_to(app).as_posix(), finder.app_file("json.decoder")
        ('client_code/shop/cart.py', None)
    """

    def __init__(self, app_dir: Path) -> None:
        self.app_dir = app_dir.resolve()

    def app_file(self, module_name: str) -> Path | None:
        """The app file that ``module_name`` names (``a/b.py`` or ``a/b/__init__.py``), or None."""
        parts = module_name.split(".")
        if not all(part.isidentifier() for part in parts) or _found_before_the_path(parts[0]):
            return None
        for root in app_paths(self.app_dir):
            base = root.joinpath(*parts)
            for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
                if candidate.is_file() and _inside(candidate, self.app_dir):
                    return candidate
        return None

    def __call__(self, module_name: str) -> None:
        if self.app_file(module_name) is None or not self._loaded_parents_are_app_files(module_name):
            return
        importlib.import_module(module_name)

    def _loaded_parents_are_app_files(self, module_name: str) -> bool:
        """False when a package on the way (``a`` of ``a.b``) is already loaded from outside the app: importing
        ``a.b`` would then run someone else's ``a/b.py``."""
        parts = module_name.split(".")
        for depth in range(1, len(parts)):
            loaded = sys.modules.get(".".join(parts[:depth]))
            if loaded is None:
                continue
            places = [*getattr(loaded, "__path__", [])] or [getattr(loaded, "__file__", None) or ""]
            if not any(place and _inside(Path(place), self.app_dir) for place in places):
                return False
        return True
