"""Choosing a target machine: the checkpoint's own, a file, the editor's, or another checkpoint;
with a CPU-model override and replacement images per disk (each hashed in the background)."""

from __future__ import annotations

import os

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QRadioButton, QToolButton, QVBoxLayout, QWidget)

from graphsim.checkpoint.compat import STRICTNESS
from graphsim.checkpoint.restore import cpu_models
from graphsim.config.units import format_size

from . import theme
from .targets import CHECKPOINT, FILE, OWN, TEXT, DiskChange, Target, disk_change
from .workers import Latest

KEEP = "(as in the target)"


class DiskRow(QWidget):
    """One disk: the checkpoint's image, a replacement picker, and how the replacement differs."""

    changed = Signal()

    def __init__(self, name: str, identity: dict, parent=None):
        super().__init__(parent)
        self.name = name
        self.identity = identity
        self.path = QLineEdit()
        shown = os.path.basename(identity.get("path", "")) or "?"
        self.path.setPlaceholderText(f"keep {shown}")
        self.path.setToolTip(f"checkpoint's image: {identity.get('path', '?')}\n"
                             f"{format_size(identity.get('size', 0))}, sha256 {identity.get('sha256', '')}")
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip("choose a replacement image")
        browse.clicked.connect(self.browse)
        self.info = QLabel(f"checkpoint: {format_size(identity.get('size', 0))}, "
                           f"sha256 {identity.get('sha256', '')[:12]}")
        self.info.setObjectName("subtle")
        self.info.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.info)
        self.hasher = Latest(self)
        self.hasher.finished.connect(self._show_change)
        self.hasher.errored.connect(lambda m: self._set_info(m, "incompatible"))
        self.path.editingFinished.connect(self._path_edited)
        self.change: DiskChange | None = None

    def browse(self):
        start = os.path.dirname(self.path.text() or self.identity.get("path", "")) or os.getcwd()
        path, _ = QFileDialog.getOpenFileName(self, f"Image for {self.name}", start,
                                              "Disk images (*.img *.raw *.bin *.ext2 *.ext4);;All files (*)")
        if path:
            self.set_image(path)

    def set_image(self, path: str):
        self.path.setText(path)
        self._path_edited()

    def image(self) -> str:
        return self.path.text().strip()

    def _path_edited(self):
        path = self.image()
        self.change = None
        if not path:
            self.info.setText(f"checkpoint: {format_size(self.identity.get('size', 0))}, "
                              f"sha256 {self.identity.get('sha256', '')[:12]}")
            self.info.setStyleSheet("")
        else:
            self._set_info("hashing…", "same")
            self.hasher.submit(disk_change, self.name, path, self.identity)
        self.changed.emit()

    def _set_info(self, text: str, grade: str):
        self.info.setText(text)
        self.info.setStyleSheet(f"color: {theme.GRADE_FG[grade]};")

    def _show_change(self, change: DiskChange):
        self.change = change
        if change.same:
            self._set_info(f"identical to the checkpoint's image ({format_size(change.size)})", "same")
            return
        size = (f"size {format_size(change.old_size)} → {format_size(change.size)}" if change.size != change.old_size
                else f"size {format_size(change.size)} (same)")
        self._set_info(f"{size}; sha256 {change.old_sha256[:12]} → {change.sha256[:12]}", "warning")


class TargetForm(QWidget):
    """Emits ``changed`` (debounced) whenever the target differs from before."""

    changed = Signal()

    def __init__(self, parent=None, allow_editor: bool = True, allow_checkpoint: bool = True,
                 editor_source=None, checkpoint_choices=None, stretch: bool = True):
        super().__init__(parent)
        self.editor_source = editor_source  # () -> (text, name, base_dir) or None
        self.checkpoint_choices = checkpoint_choices  # () -> [(id, label)]
        self.manifest: dict | None = None

        box = QGroupBox("Target machine")
        self.mode = QButtonGroup(self)
        self.own = QRadioButton("The checkpoint's own machine")
        self.file = QRadioButton("Machine file")
        self.editor = QRadioButton("The machine open in the editor")
        self.other = QRadioButton("Another checkpoint (side by side)")
        self.file_path = QLineEdit()
        self.file_path.setPlaceholderText("configs/….toml")
        browse = QToolButton()
        browse.setText("…")
        browse.clicked.connect(self.browse_machine)
        self.other_combo = QComboBox()
        self.other_combo.setMinimumContentsLength(24)
        form = QVBoxLayout(box)
        for n, button in enumerate((self.own, self.file, self.editor, self.other)):
            self.mode.addButton(button, n)
        form.addWidget(self.own)
        form.addWidget(self.file)
        file_row = QHBoxLayout()
        file_row.setContentsMargins(22, 0, 0, 0)
        file_row.addWidget(self.file_path, 1)
        file_row.addWidget(browse)
        form.addLayout(file_row)
        form.addWidget(self.editor)
        self.editor.setVisible(allow_editor)
        form.addWidget(self.other)
        other_row = QHBoxLayout()
        other_row.setContentsMargins(22, 0, 0, 0)
        other_row.addWidget(self.other_combo, 1)
        form.addLayout(other_row)
        self.other.setVisible(allow_checkpoint)
        self.other_combo.setVisible(allow_checkpoint)
        self.own.setChecked(True)

        options = QGroupBox("Overrides")
        self.cpu = QComboBox()
        self.cpu.addItem(KEEP, None)
        for model in cpu_models():
            self.cpu.addItem(model, model)
        self.strict = QComboBox()
        for level in STRICTNESS:
            self.strict.addItem(level, level)
        self.strict.setCurrentIndex(self.strict.findData("features"))
        self.strict.setToolTip("exact: refuse any guest-visible difference\n"
                               "features: refuse what the guest relies on (default)\n"
                               "none: only what cannot physically work")
        self.disks_form = QFormLayout()
        self.disks_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.no_disks = QLabel("The checkpoint has no disks.")
        self.no_disks.setObjectName("subtle")
        opts = QFormLayout(options)
        opts.addRow("CPU model", self.cpu)
        opts.addRow("Strictness", self.strict)
        opts.addRow(QLabel("<b>Disk images</b>"))
        opts.addRow(self.no_disks)
        opts.addRow(self.disks_form)
        self.disk_rows: dict[str, DiskRow] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        layout.addWidget(options)
        if stretch:
            layout.addStretch(1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.changed)
        self.mode.idToggled.connect(lambda *_: self._update_enabled())
        self.mode.idToggled.connect(lambda _id, on: on and self._debounce.start())
        self.file_path.editingFinished.connect(self._debounce.start)
        self.other_combo.currentIndexChanged.connect(lambda *_: self.other.isChecked() and self._debounce.start())
        self.cpu.currentIndexChanged.connect(lambda *_: self._debounce.start())
        self.strict.currentIndexChanged.connect(lambda *_: self._debounce.start())
        self._update_enabled()

    # --- state ------------------------------------------------------------------

    def _update_enabled(self):
        self.file_path.setEnabled(self.file.isChecked())
        self.other_combo.setEnabled(self.other.isChecked())
        overrides = not self.other.isChecked()
        self.cpu.setEnabled(overrides)
        for row in self.disk_rows.values():
            row.setEnabled(overrides)

    def browse_machine(self):
        start = os.path.dirname(self.file_path.text()) or os.path.join(os.getcwd(), "configs")
        path, _ = QFileDialog.getOpenFileName(self, "Target machine", start, "Machine files (*.toml);;All files (*)")
        if path:
            self.set_file(path)

    def set_file(self, path: str):
        self.file_path.setText(path)
        self.file.setChecked(True)
        self._debounce.start()

    def set_checkpoint(self, manifest: dict | None):
        """The checkpoint being restored: its disks get rows, the other-checkpoint list excludes it."""
        self.manifest = manifest
        while self.disks_form.rowCount():
            self.disks_form.removeRow(0)
        self.disk_rows = {}
        disks = (manifest or {}).get("compat", {}).get("disks", {})
        for name, identity in disks.items():
            row = DiskRow(name, identity)
            row.changed.connect(self._debounce.start)
            self.disk_rows[name] = row
            self.disks_form.addRow(name, row)
        self.no_disks.setVisible(not disks)
        self.refresh_checkpoints()
        self._update_enabled()

    def refresh_checkpoints(self):
        if self.checkpoint_choices is None:
            return
        current = self.other_combo.currentData()
        own = (self.manifest or {}).get("id")
        self.other_combo.blockSignals(True)
        self.other_combo.clear()
        for cpt_id, label in self.checkpoint_choices():
            if cpt_id != own:
                self.other_combo.addItem(label, cpt_id)
        index = self.other_combo.findData(current)
        self.other_combo.setCurrentIndex(max(index, 0))
        self.other_combo.blockSignals(False)

    def set_cpu(self, model: str | None):
        self.cpu.setCurrentIndex(max(self.cpu.findData(model), 0))

    def set_disk(self, name: str, path: str):
        self.disk_rows[name].set_image(path)

    def hashing(self) -> bool:
        return any(row.image() and row.change is None for row in self.disk_rows.values())

    def target(self) -> Target:
        """The target as chosen; raises ValueError with a message when the choice is incomplete."""
        target = Target(cpu=self.cpu.currentData(), strict=self.strict.currentData(),
                        disks={n: r.image() for n, r in self.disk_rows.items() if r.image()})
        if self.file.isChecked():
            path = self.file_path.text().strip()
            if not path:
                raise ValueError("choose a machine file")
            target.kind, target.path = FILE, os.path.abspath(path)
        elif self.editor.isChecked():
            source = self.editor_source() if self.editor_source else None
            if source is None:
                raise ValueError("no machine is open in the editor")
            target.kind = TEXT
            target.text, target.text_name, target.base_dir = source
        elif self.other.isChecked():
            if self.other_combo.currentData() is None:
                raise ValueError("the library has no other checkpoint")
            target = Target(kind=CHECKPOINT, checkpoint=self.other_combo.currentData(),
                            strict=self.strict.currentData())
        else:
            target.kind = OWN
        return target
