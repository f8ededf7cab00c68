"""A file listing the background tasks a server launched, so that their ids outlive a restart.

After a restart the tasks of the earlier run are gone (their processes ended with the server), but
``get_background_task(old_id)`` should say so — termination status ``"missing"`` — rather than
claim the id never existed. One JSON line per launch: ``{"id": ..., "name": ..., "start": ...}``.

Example:
    >>> import tempfile, pathlib
    >>> journal = TaskJournal(pathlib.Path(tempfile.mkdtemp()) / "tasks.jsonl")
    >>> journal.add("t1", "crunch", 1700000000.0)
    >>> journal.find("t1"), journal.find("t2")
    ({'id': 't1', 'name': 'crunch', 'start': 1700000000.0}, None)
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
from pathlib import Path
from typing import Any


def default_journal_path(app_dir: Path) -> Path:
    """A per-app file in the system's temporary folder."""
    digest = hashlib.sha256(str(Path(app_dir).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "anvil-pyodide-tasks" / f"{digest}.jsonl"


class TaskJournal:
    """Appends launches; finds one by id (the file is read on demand: lookups of unknown ids are rare)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.lock = threading.Lock()

    def add(self, task_id: str, name: str, start: float) -> None:
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"id": task_id, "name": name, "start": start}) + "\n")

    def find(self, task_id: str) -> dict[str, Any] | None:
        with self.lock:
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines()
            except OSError:
                return None
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("id") == task_id:
                return entry
        return None
