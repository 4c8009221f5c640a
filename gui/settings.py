"""The desktop app's settings: a small JSON file with a schema version and migrations.

Pure Python, no Qt (window geometry is stored as the base64 text of Qt's
``saveGeometry`` bytes). A file written by an older app is migrated step by
step; a file written by a newer app is left untouched on disk (it is backed up
to ``*.newer`` before being overwritten) and the defaults are used.

Location: ``$GRAPHSIM_GUI_SETTINGS``, else ``$XDG_CONFIG_HOME/graphsim/gui.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field, fields
from typing import Callable

SCHEMA_VERSION = 1


@dataclass
class Settings:
    last_library: str = ""
    window_geometry: str = ""  # base64 of QWidget.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    splitter_state: str = ""
    runs_dir: str = ""  # where restore runs write their output ("" = $XDG_STATE_HOME/graphsim/runs)
    recent_machines: list[str] = field(default_factory=list)
    hidden_columns: list[str] | None = None  # None: each column's default
    show_same_findings: bool = False

    MAX_RECENT = 10

    def remember_machine(self, path: str):
        path = os.path.abspath(path)
        self.recent_machines = [path] + [p for p in self.recent_machines if p != path][: self.MAX_RECENT - 1]


# MIGRATIONS[n] turns a version-n document into a version-(n+1) one. When a field is renamed or
# its meaning changes, bump SCHEMA_VERSION and add the step here (with a test).
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}


def default_path() -> str:
    if os.environ.get("GRAPHSIM_GUI_SETTINGS"):
        return os.environ["GRAPHSIM_GUI_SETTINGS"]
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config, "graphsim", "gui.json")


def migrate(document: dict) -> dict | None:
    """The settings in a document brought to SCHEMA_VERSION; None if it is newer than this app."""
    version = document.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        return None
    data = {k: v for k, v in document.items() if k != "schema_version"}
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return data


def load(path: str | None = None) -> Settings:
    path = path or default_path()
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError):
        return Settings()
    if not isinstance(document, dict):
        return Settings()
    data = migrate(document)
    if data is None:
        backup = path + ".newer"
        if not os.path.exists(backup):
            shutil.copyfile(path, backup)
        return Settings()
    known = {f.name for f in fields(Settings)}
    settings = Settings()
    for key, value in data.items():
        if key in known:
            setattr(settings, key, value)
    return settings


def save(settings: Settings, path: str | None = None):
    path = path or default_path()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"schema_version": SCHEMA_VERSION, **asdict(settings)}, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
