"""What the boot and restore dialogs share: the run's limit, checkpoint triggers and note, the
Start / Copy command line / Cancel buttons, and the command line they show."""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QPushButton

from . import theme


def parse_count(text: str) -> int | None:
    """'1_000_000', '1,000,000', '1e6', '2M' → an instruction count (as the command line reads it);
    '' → None; ValueError otherwise."""
    from graphsim.config.units import UnitError, parse_count as count

    text = text.strip().replace(" ", "")
    if not text:
        return None
    try:
        value = count(text)
    except UnitError as exc:
        raise ValueError(str(exc)) from None
    if value <= 0:
        raise ValueError(f"{text!r} is not a positive instruction count")
    return value


class RunOptions(QGroupBox):
    """Max instructions, checkpoints at instruction counts and on a console pattern, (the first
    checkpoint's name,) and a note. ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(self, title: str, from_checkpoint: bool, console_example: str, with_name: bool = False,
                 parent=None):
        super().__init__(title, parent)
        counted = " (counted from the checkpoint)" if from_checkpoint else ""
        self.max_insts = QLineEdit()
        self.max_insts.setPlaceholderText("until the guest exits (e.g. 5M)")
        self.max_insts.setToolTip(f"--max-insts: stop after this many instructions{counted}")
        self.at_inst = QLineEdit()
        self.at_inst.setPlaceholderText(f"e.g. 1M, 2M{counted}")
        self.at_inst.setToolTip(f"--checkpoint-at-inst: take checkpoints at these instruction counts{counted}")
        self.on_console = QLineEdit()
        self.on_console.setPlaceholderText(f"regular expression, e.g. {console_example}")
        self.on_console.setToolTip("--checkpoint-on-console: take a checkpoint when the console output matches")
        self.name = QLineEdit()
        self.name.setPlaceholderText("name of the first checkpoint (optional)")
        self.note = QLineEdit()
        self.note.setPlaceholderText("stored with the checkpoints this run takes")
        self.error = QLabel("")
        self.error.setStyleSheet(f"color: {theme.GRADE_FG['incompatible']};")
        form = QFormLayout(self)
        form.addRow("Max instructions", self.max_insts)
        form.addRow("Checkpoint at inst", self.at_inst)
        form.addRow("Checkpoint on console", self.on_console)
        if with_name:
            form.addRow("Checkpoint name", self.name)
        form.addRow("Note", self.note)
        form.addRow(self.error)
        for edit in (self.max_insts, self.at_inst, self.on_console, self.name, self.note):
            edit.textChanged.connect(self.changed)

    def problem(self) -> str:
        """What is wrong with the options ('' when nothing is)."""
        try:
            self.limit()
            self.checkpoints_at()
        except ValueError as exc:
            return str(exc)
        if self.on_console.text():
            try:
                re.compile(self.on_console.text())
            except re.error as exc:
                return f"console pattern: {exc}"
        return ""

    def limit(self) -> int | None:
        return parse_count(self.max_insts.text())

    def checkpoints_at(self) -> list[int]:
        return [parse_count(p) for p in self.at_inst.text().split(",") if p.strip()]

    def console_patterns(self) -> list[str]:
        return [self.on_console.text()] if self.on_console.text() else []


def start_buttons(dialog: QDialog, start_text: str, command_line) -> tuple[QDialogButtonBox, QPushButton,
                                                                         QPushButton]:
    """Start (accepts), Copy command line (copies ``command_line()``), Cancel."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    start = QPushButton(start_text)
    start.setDefault(True)
    buttons.addButton(start, QDialogButtonBox.ButtonRole.AcceptRole)
    copy = QPushButton("Copy command line")
    buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(command_line()))
    return buttons, start, copy


class RunDialog(QDialog):
    """A dialog that ends in a run: ``request()`` (ValueError while the choice is incomplete) gives
    the command line it shows and copies; its worker ``latest`` is cancelled when it closes."""

    outdir = ""  # the run directory Start will use (set by the main window; '' shows RUNDIR)

    def request(self):
        raise NotImplementedError

    def _command_line(self) -> str:
        try:
            return self.request().shell_line()
        except ValueError:
            return ""

    def done(self, result):
        self.latest.cancel()
        super().done(result)
