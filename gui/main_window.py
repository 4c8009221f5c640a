"""The main window: library, compatibility, machine editor and runs, with one toolbar of actions."""

from __future__ import annotations

import base64
import os
import time

import tomli_w
from PySide6.QtCore import QByteArray, QFileSystemWatcher, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QInputDialog, QLabel, QMainWindow, QMessageBox, QStyle, QTabWidget,
                               QToolBar)

from graphsim.checkpoint.library import Library

from . import settings as settings_mod
from .boot_dialog import BootDialog
from .catalog import Catalog
from .compat_view import CompatPage
from .editor import EditorPage
from .library_page import LibraryPage
from .operations import Verified, export, import_, remove, verify
from .restore_dialog import RestoreDialog
from .run_panel import RunsPage
from .runs import RestoreRequest, default_runs_dir, new_run_dir
from .sweeps_page import SweepsPage
from .workers import active_tasks, run_task

REFRESH_DEBOUNCE_MS = 300


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _unb64(text: str) -> QByteArray:
    try:
        return QByteArray(base64.b64decode(text.encode("ascii")))
    except (ValueError, UnicodeEncodeError):
        return QByteArray()


class MainWindow(QMainWindow):
    LIBRARY, COMPAT, EDITOR, RUNS, SWEEPS = range(5)

    def __init__(self, library: Library, settings: settings_mod.Settings | None = None,
                 settings_path: str | None = None):
        super().__init__()
        self.settings = settings or settings_mod.Settings()
        self.settings_path = settings_path
        self.catalog = Catalog(library)
        self.setWindowTitle(f"graphsim — {library.root}")
        self.resize(1400, 860)

        self.editor = EditorPage()
        self.library_page = LibraryPage(self.catalog, hidden_columns=self.settings.hidden_columns)
        self.compat = CompatPage(self.catalog, editor_source=self.editor.source,
                                 show_same=self.settings.show_same_findings)
        self.runs = RunsPage()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.library_page, "Library")
        self.tabs.addTab(self.compat, "Compatibility")
        self.tabs.addTab(self.editor, "Machine editor")
        self.tabs.addTab(self.runs, "Runs")
        self.sweeps = SweepsPage()
        self.sweeps.relaunchRequested.connect(self.relaunch_point)
        self.tabs.addTab(self.sweeps, "Sweeps")
        self.setCentralWidget(self.tabs)

        self._build_actions()
        self.busy = QLabel("")
        self.busy.setObjectName("subtle")
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().showMessage(f"Library {library.root}")

        # live refresh: a run (ours or anyone's) writing into LIBRARY/checkpoints
        self.watcher = QFileSystemWatcher(self)
        self.watcher.addPath(library.checkpoints_dir)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DEBOUNCE_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self.watcher.directoryChanged.connect(lambda *_: self._refresh_timer.start())
        self.runs.checkpointTaken.connect(lambda *_: self._refresh_timer.start())
        self.runs.runFinished.connect(lambda *_: self._refresh_timer.start())

        self._connect_library_page()
        self.runs.runFinished.connect(self._run_finished)
        self._busy_timer = QTimer(self)
        self._busy_timer.setInterval(250)
        self._busy_timer.timeout.connect(self._show_busy)
        self._busy_timer.start()
        self._restore_geometry()
        self._selection_changed(self.library_page.selected_ids())

    @property
    def library(self) -> Library:
        return self.catalog.library

    # --- actions ---------------------------------------------------------------------------------

    def _build_actions(self):
        bar = QToolBar("Checkpoints")
        bar.setObjectName("checkpoints-toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        self.addToolBar(bar)
        icon = self.style().standardIcon
        sp = QStyle.StandardPixmap

        def action(text, pixmap, slot, tip="", shortcut=None, selection=True):
            a = QAction(icon(pixmap), text, self)
            a.setToolTip(tip or text)
            a.triggered.connect(lambda *_: slot())
            if shortcut:
                a.setShortcut(shortcut)
            a.setProperty("needs_selection", selection)
            return a

        self.open_library_action = action("Open library…", sp.SP_DirOpenIcon, self.choose_library,
                                          "open another checkpoint library", selection=False)
        self.refresh_action = action("Refresh", sp.SP_BrowserReload, self.refresh,
                                     "re-read the library (it also refreshes by itself)",
                                     QKeySequence.StandardKey.Refresh,
                                     selection=False)
        self.boot_action = action("Boot machine…", sp.SP_ComputerIcon, self.boot_machine,
                                  "a fresh run of a machine file, taking checkpoints on the way (how a library "
                                  "begins)", selection=False)
        self.restore_action = action("Restore with…", sp.SP_MediaPlay, self.restore_with,
                                     "restore the checkpoint onto a machine, CPU model or disk image of your choice")
        self.compare_action = action("Compare", sp.SP_FileDialogContentsView, self.compare_selected,
                                     "compatibility of the checkpoint with a target (two selected: side by side)")
        self.edit_machine_action = action("Edit machine", sp.SP_FileDialogDetailedView, self.edit_machine,
                                          "open the checkpoint's machine in the editor, to make a variant")
        self.verify_action = action("Verify", sp.SP_DialogApplyButton, self.verify_selected,
                                    "read and check every file and chunk")
        self.note_action = action("Note…", sp.SP_FileDialogInfoView, self.edit_note, "edit the checkpoint's note")
        self.export_action = action("Export…", sp.SP_DialogSaveButton, self.export_selected,
                                    "one checkpoint and its chunks as a single file")
        self.import_action = action("Import…", sp.SP_ArrowDown, self.import_archive,
                                    "add an exported checkpoint to this library", selection=False)
        self.delete_action = action("Delete…", sp.SP_TrashIcon, self.delete_selected,
                                    "delete the checkpoint (shared chunks are kept)", QKeySequence.StandardKey.Delete)
        groups = [[self.open_library_action, self.refresh_action],
                  [self.boot_action, self.restore_action, self.compare_action, self.edit_machine_action],
                  [self.verify_action, self.note_action, self.export_action, self.import_action,
                   self.delete_action]]
        for n, group in enumerate(groups):
            if n:
                bar.addSeparator()
            for a in group:
                bar.addAction(a)

    def _connect_library_page(self):
        page = self.library_page
        page.selectionChanged.connect(self._selection_changed)
        page.activated.connect(lambda cpt_id: self.restore_with(cpt_id))
        page.noteEdited.connect(self._set_note, Qt.ConnectionType.QueuedConnection)
        for a in (self.restore_action, self.compare_action, self.edit_machine_action, self.verify_action,
                  self.note_action, self.export_action, self.delete_action):
            page.tree.addAction(a)  # its context menu

    def _selection_changed(self, ids: list[str]):
        readable = [i for i in ids if self.catalog.entry(i) is not None]
        one = len(readable) == 1 and len(ids) == 1
        self.restore_action.setEnabled(one)
        self.edit_machine_action.setEnabled(one)
        self.note_action.setEnabled(one)
        self.export_action.setEnabled(one)
        self.compare_action.setEnabled(len(readable) in (1, 2) and len(readable) == len(ids))
        self.verify_action.setEnabled(bool(ids))
        self.delete_action.setEnabled(bool(ids))
        if one:
            self.compat.set_source(readable[0])

    def _show_busy(self):
        tasks = active_tasks()
        runs = len(self.runs.running())
        parts = []
        if runs:
            parts.append(f"{runs} run{'s' if runs > 1 else ''} going")
        if tasks:
            parts.append(f"{tasks} background task{'s' if tasks > 1 else ''}")
        self.busy.setText("  ·  ".join(parts))

    def refresh(self):
        try:
            self.catalog.refresh()
        except Exception as exc:  # noqa: BLE001 — the library vanished or its index is locked: say so
            self.statusBar().showMessage(f"cannot refresh the library: {exc}", 10000)

    def _one(self) -> str | None:
        ids = self.library_page.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def _manifest(self, cpt_id: str) -> dict | None:
        try:
            return self.library.manifest(cpt_id)
        except Exception as exc:  # noqa: BLE001
            self.notify(QMessageBox.Icon.Warning, "Cannot read the checkpoint", str(exc))
            return None

    # --- restore -----------------------------------------------------------------------------------

    def restore_with(self, cpt_id: str | None = None) -> RestoreDialog | None:
        cpt_id = cpt_id or self._one()
        if cpt_id is None:
            return None
        manifest = self._manifest(cpt_id)
        if manifest is None:
            return None
        dialog = RestoreDialog(self.library.root, manifest, self, label=self.catalog.label(cpt_id))
        # the run directory is chosen now, so that the preview and "Copy command line" are exactly what Start runs
        dialog.outdir = RestoreRequest(manifest["id"], self.library.root).with_outdir(
            self.settings.runs_dir or default_runs_dir()).outdir
        dialog.accepted.connect(lambda: self.start_restore(dialog))
        dialog.open()
        return dialog

    def start_restore(self, dialog: RestoreDialog):
        request = dialog.request()
        title = f"Restore of {self.catalog.label(request.checkpoint)}"
        entry = self.catalog.entry(request.checkpoint)
        panel = self.runs.start(request, title, tab_label=f"{entry.name if entry else request.checkpoint} "
                                                          f"{time.strftime('%H:%M:%S')}")
        panel.show_history(dialog.manifest.get("console", {}).get("tail", ""))  # before the process prints
        self.tabs.setCurrentIndex(self.RUNS)
        return panel

    def boot_machine(self, machine: str | None = None) -> BootDialog:
        """The boot dialog, on ``machine`` or the one open in the editor (if saved) or the last one used."""
        if machine is None:
            machine = self.editor.path or next(iter(self.settings.recent_machines), "")
        dialog = BootDialog(self.library.root, machine, self)
        dialog.outdir = new_run_dir(self.settings.runs_dir or default_runs_dir(), "boot")
        dialog.accepted.connect(lambda: self.start_boot(dialog))
        dialog.open()
        return dialog

    def start_boot(self, dialog: BootDialog):
        request = dialog.request()
        self.settings.remember_machine(request.config)
        panel = self.runs.start(request, f"Boot of {request.label}",
                                tab_label=f"{request.label} {time.strftime('%H:%M:%S')}")
        self.tabs.setCurrentIndex(self.RUNS)
        return panel

    def relaunch_point(self, request):
        """A sweep point run again alone, as a restore in the Runs tab."""
        request.with_outdir(self.settings.runs_dir or default_runs_dir())
        panel = self.runs.start(request, f"Sweep point: restore of {request.checkpoint}",
                                tab_label=f"point {time.strftime('%H:%M:%S')}")
        self.tabs.setCurrentIndex(self.RUNS)
        return panel

    def _run_finished(self, panel):
        self.statusBar().showMessage(f"{panel.title}: {panel.state.text()}", 10000)  # as its badge says

    # --- compare, edit machine ------------------------------------------------------------------

    def compare_selected(self):
        ids = [i for i in self.library_page.selected_ids() if self.catalog.entry(i) is not None]
        if not ids:
            return
        self.compat.set_source(ids[0])
        if len(ids) == 2:
            form = self.compat.form
            form.refresh_checkpoints()
            form.other_combo.setCurrentIndex(max(form.other_combo.findData(ids[1]), 0))
            form.other.setChecked(True)
        self.tabs.setCurrentIndex(self.COMPAT)
        self.compat.run()

    def edit_machine(self):
        cpt_id = self._one()
        manifest = self._manifest(cpt_id) if cpt_id else None
        if manifest is None:
            return
        if self.editor.editor.document().isModified():
            answer = QMessageBox.question(self, "Discard changes?",
                                          f"{self.editor.name} has unsaved changes. Replace it with the machine of "
                                          f"{self.catalog.label(cpt_id)}?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        text = (f"# The resolved machine of checkpoint {cpt_id} ({manifest.get('machine_name', '')}).\n"
                f"# Edit it, \"Save as new machine\", then restore the checkpoint onto it.\n"
                + tomli_w.dumps(manifest.get("config", {})))
        self.editor.set_text(text, "")
        self.tabs.setCurrentIndex(self.EDITOR)

    # --- library operations ----------------------------------------------------------------------

    def _task(self, what: str, fn, *args, on_done=None):
        self.statusBar().showMessage(f"{what}…")

        def finished(result):
            self.statusBar().showMessage(f"{what}: done", 5000)
            self.refresh()
            if on_done is not None:
                on_done(result)

        def errored(message):
            self.statusBar().showMessage(f"{what}: failed", 5000)
            self.refresh()
            self.notify(QMessageBox.Icon.Warning, f"{what} failed", message)

        return run_task(fn, *args, on_finished=finished, on_errored=errored)

    def verify_selected(self):
        ids = self.library_page.selected_ids()
        if ids:
            return self._task("Verifying", verify, self.library.root, ids, on_done=self._verified)

    def _verified(self, results: list[Verified]):
        bad = [r for r in results if not r.ok]
        lines = "\n".join(f"{'ok      ' if r.ok else 'DAMAGED '} {r.id}" + ("" if r.ok else f"\n    {r.message}")
                          for r in results)
        self.last_verification = results
        if bad:
            self.notify(QMessageBox.Icon.Warning, "Verification", f"{len(bad)} of {len(results)} damaged:\n\n{lines}")
        else:
            self.notify(QMessageBox.Icon.Information, "Verification",
                        f"All {len(results)} checkpoint(s) are intact.\n\n{lines}")

    def notify(self, icon, title: str, text: str) -> QMessageBox:
        """A message that does not block the event loop (runs and workers keep reporting)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_notice = box
        return box

    def edit_note(self):
        cpt_id = self._one()
        entry = self.catalog.entry(cpt_id) if cpt_id else None
        if entry is None:
            return
        text, ok = QInputDialog.getMultiLineText(self, "Note", f"Note for {self.catalog.label(cpt_id)}:", entry.note)
        if ok:
            self._set_note(cpt_id, text)

    def _set_note(self, cpt_id: str, text: str):
        try:
            self.library.set_note(cpt_id, text.strip())
        except Exception as exc:  # noqa: BLE001
            self.notify(QMessageBox.Icon.Warning, "Cannot save the note", str(exc))
        self.refresh()

    def delete_selected(self, confirm: bool = True):
        ids = self.library_page.selected_ids()
        if not ids:
            return None
        children = {c for i in ids for c in self.library.children(i)} - set(ids)
        names = "\n".join(f"  {self.catalog.label(i)}" for i in ids[:12]) + ("\n  …" if len(ids) > 12 else "")
        text = (f"Delete {len(ids)} checkpoint{'s' if len(ids) > 1 else ''}?\n\n{names}\n\n"
                "Their directories are removed. Memory and disk chunks they share with other checkpoints are kept; "
                "chunks nothing uses any more stay until `graphsim checkpoints gc`.")
        if children:
            text += f"\n\n{len(children)} child checkpoint(s) will stay, shown at the top level (orphans)."
        if confirm:
            answer = QMessageBox.warning(self, "Delete checkpoints", text,
                                         QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                         QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return None
        return self._task("Deleting", remove, self.library.root, ids)

    def export_selected(self, path: str | None = None):
        cpt_id = self._one()
        if cpt_id is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export checkpoint", f"{cpt_id}.tar",
                                                  "Checkpoint archives (*.tar)")
            if not path:
                return None
        return self._task(f"Exporting {cpt_id}", export, self.library.root, cpt_id, path,
                          on_done=lambda p: self.statusBar().showMessage(f"exported to {p}", 8000))

    def import_archive(self, path: str | None = None):
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import checkpoint", "", "Checkpoint archives (*.tar);;"
                                                  "All files (*)")
            if not path:
                return None
        return self._task("Importing", import_, self.library.root, path,
                          on_done=lambda cpt_id: self.library_page.select(cpt_id))

    def choose_library(self):
        path = QFileDialog.getExistingDirectory(self, "Open checkpoint library", self.library.root)
        if not path:
            return
        if not os.path.isdir(os.path.join(path, "checkpoints")):
            answer = QMessageBox.question(self, "Not a library", f"{path} holds no checkpoint library. Create one?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.switch_library(path)

    def switch_library(self, path: str):
        try:
            library = Library(path)
        except Exception as exc:  # noqa: BLE001
            QMessageBox.warning(self, "Cannot open the library", str(exc))
            return
        old = self.library
        self.watcher.removePaths(self.watcher.directories())
        self.catalog = Catalog(library)
        new_page = LibraryPage(self.catalog, hidden_columns=self.library_page.hidden_columns())
        new_compat = CompatPage(self.catalog, editor_source=self.editor.source,
                                show_same=self.compat.findings.show_same.isChecked())
        for index, old_page, page, title in ((self.LIBRARY, self.library_page, new_page, "Library"),
                                             (self.COMPAT, self.compat, new_compat, "Compatibility")):
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, page, title)
            old_page.deleteLater()
        self.library_page, self.compat = new_page, new_compat
        self._connect_library_page()
        self.watcher.addPath(library.checkpoints_dir)
        self.tabs.setCurrentIndex(self.LIBRARY)
        self.setWindowTitle(f"graphsim — {library.root}")
        self.statusBar().showMessage(f"Library {library.root}")
        self._selection_changed([])
        old.close()

    # --- settings ------------------------------------------------------------------------------------

    def _restore_geometry(self):
        if self.settings.window_geometry:
            self.restoreGeometry(_unb64(self.settings.window_geometry))
        if self.settings.window_state:
            self.restoreState(_unb64(self.settings.window_state))
        if self.settings.splitter_state:
            self.library_page.splitter.restoreState(_unb64(self.settings.splitter_state))

    def save_settings(self):
        s = self.settings
        s.last_library = self.library.root
        s.window_geometry = _b64(self.saveGeometry())
        s.window_state = _b64(self.saveState())
        s.splitter_state = _b64(self.library_page.splitter.saveState())
        s.hidden_columns = self.library_page.hidden_columns()
        s.show_same_findings = self.compat.findings.show_same.isChecked()
        if self.editor.path:
            s.remember_machine(self.editor.path)
        try:
            settings_mod.save(s, self.settings_path)
        except OSError as exc:
            self.statusBar().showMessage(f"cannot save settings: {exc}", 5000)

    def closeEvent(self, event):
        running = self.runs.running()
        if running:
            answer = QMessageBox.question(self, "Stop runs?", f"{len(running)} run(s) still going. Stop them and "
                                                              "quit?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.runs.stop_all()
        self.save_settings()
        super().closeEvent(event)

