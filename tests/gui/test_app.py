"""Entry point and settings: `gui.app.main(library)` runs the app; the next start reopens that library
with the window where it was."""

import json
import os

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui import settings as settings_mod
from gui.app import create_window, main
from gui.main_window import MainWindow


def test_main_runs_the_app_and_remembers_the_library(built_library, qapp, qtbot):
    root, ids = built_library

    def close_when_shown():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(100, close_when_shown)
            return
        for w in windows:
            w.resize(712, 498)  # within the offscreen screen (800x800), which geometry is clamped to
            w.close()

    QTimer.singleShot(100, close_when_shown)
    assert main(str(root)) == 0
    saved = json.load(open(os.environ["GRAPHSIM_GUI_SETTINGS"]))
    assert saved["schema_version"] == settings_mod.SCHEMA_VERSION
    assert saved["last_library"] == str(root) and saved["window_geometry"]

    again = create_window(None)  # no library given: the last one
    qtbot.addWidget(again)
    assert again.library.root == str(root) and set(ids.values()) <= set(again.catalog.ids())
    assert (again.width(), again.height()) == (712, 498)


def test_switch_library(window_on, library_copy, tmp_path, qtbot):
    root, ids = library_copy
    win = window_on(tmp_path / "empty-lib")
    assert win.catalog.ids() == [] and "0 checkpoints" in win.library_page.count.text()
    win.switch_library(str(root))
    assert win.library.root == str(root)
    assert set(ids.values()) <= set(win.catalog.ids())
    assert win.tabs.widget(win.LIBRARY) is win.library_page and win.tabs.widget(win.COMPAT) is win.compat
    win.library_page.select(ids["first"])
    assert win.restore_action.isEnabled() and win.compat.source.currentData() == ids["first"]
    assert str(root / "checkpoints") in win.watcher.directories()
