"""``anvil-pyodide new APP_DIR``: the README's three-file app, written into a new folder to start from.

The files are package data (``app-template/``), the same three that README's "An app in three files" shows
(a test keeps them equal).

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_new_app(Path(folder) / "my_app")
    ['client_code/main.py', 'client_code/shapes.py', 'server_code/geometry.py']
"""

from __future__ import annotations

import shutil
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "app-template"


class NewAppError(Exception):
    """The app folder cannot be written (it is not empty, or not writable)."""


def template_files() -> list[str]:
    """The template's files, relative and sorted."""
    return sorted(p.relative_to(TEMPLATE).as_posix() for p in TEMPLATE.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def write_new_app(app_dir: Path) -> list[str]:
    """Write the template into ``app_dir`` (created; it must not exist or be empty); returns the files written."""
    if app_dir.exists() and (not app_dir.is_dir() or any(app_dir.iterdir())):
        raise NewAppError(f"{app_dir} already exists and is not an empty folder: choose a new folder")
    files = template_files()
    try:
        for name in files:
            target = app_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(TEMPLATE / name, target)
    except OSError as e:
        raise NewAppError(f"could not write the app into {app_dir}: {e.strerror or e}") from None
    return files
