"""“Boot machine…”: a fresh run of a machine file (how a library begins), with checkpoints taken on
the way. The machine is checked as `graphsim run` would check it before Start is offered."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QToolButton, QVBoxLayout, QWidget)

from graphsim.checkpoint.restore import cpu_models

from . import theme
from .run_options import RunDialog, RunOptions, start_buttons
from .runs import BootRequest
from .target_form import KEEP
from .workers import Latest


@dataclass
class MachineCheck:
    """What a machine file boots, as `graphsim run` elaborates it."""

    name: str
    summary: str
    workload: str  # the kernel or firmware its [workload] names ('' when none)
    disks: dict[str, str] = field(default_factory=dict)  # virtio_blk name → the image the file names


def check_machine(path: str, cpu: str | None) -> MachineCheck:
    """Load and elaborate a machine file on CPU model ``cpu`` (runs in a worker: it may unpack images)."""
    from graphsim.cli import load

    graph = load(path, [], cpu)
    models = sorted({graph.components[c].kind for c in graph.cpus})
    workload = graph.workload.get("kernel") or graph.workload.get("firmware") or ""
    disks = {c.name: c.params.image for c in graph.of_kind("virtio_blk")}
    summary = (f"{graph.name}: {len(graph.components)} components, {len(graph.cpus)} hart(s) on "
               f"{', '.join(models)}")
    return MachineCheck(graph.name, summary, workload, disks)


class PathField(QWidget):
    """A file name with a “…” chooser."""

    def __init__(self, placeholder: str, title: str, filters: str, parent=None):
        super().__init__(parent)
        self.title, self.filters = title, filters
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip(title)
        browse.clicked.connect(self.browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)

    def text(self) -> str:
        return self.edit.text().strip()

    def set_text(self, text: str):
        self.edit.setText(text)
        self.edit.editingFinished.emit()

    def browse(self):
        start = os.path.dirname(self.text()) or os.getcwd()
        path, _ = QFileDialog.getOpenFileName(self, self.title, start, self.filters)
        if path:
            self.set_text(path)


class BootDialog(RunDialog):
    def __init__(self, library_root: str, machine: str = "", parent=None):
        super().__init__(parent)
        self.library_root = library_root
        self.check: MachineCheck | None = None
        self.setWindowTitle("Boot a machine")
        self.resize(860, 620)

        heading = QLabel("Boot a machine")
        heading.setObjectName("heading")
        sub = QLabel(f"A fresh run (<code>graphsim run</code>); its checkpoints go to {library_root}")
        sub.setObjectName("subtle")
        sub.setWordWrap(True)

        what = QGroupBox("Machine and software")
        self.machine = PathField("configs/….toml", "Machine file", "Machine files (*.toml);;All files (*)")
        self.machine.edit.setText(machine)
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.cpu = QComboBox()
        self.cpu.addItem(KEEP, None)
        for model in cpu_models():
            self.cpu.addItem(model, model)
        self.kernel = PathField("", "Kernel (ELF or raw binary)", "Programs (*.elf *.bin);;All files (*)")
        self.kernel.setToolTip("--kernel: what to run (empty: what the machine file's [workload] names)")
        self.disks_form = QFormLayout()
        self.disk_fields: dict[str, PathField] = {}
        form = QFormLayout(what)
        form.addRow("Machine file", self.machine)
        form.addRow("", self.verdict)
        form.addRow("CPU model", self.cpu)
        form.addRow("Kernel", self.kernel)
        form.addRow(self.disks_form)

        self.options = RunOptions("Run and checkpoints", from_checkpoint=False,
                                  console_example="graphsim:/# $", with_name=True)

        self.command = QLabel("")
        self.command.setObjectName("subtle")
        self.command.setWordWrap(True)
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons, self.start, self.copy = start_buttons(self, "Start boot", self._command_line)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(sub)
        layout.addWidget(what)
        layout.addWidget(self.options)
        layout.addStretch(1)
        layout.addWidget(self.command)
        layout.addWidget(self.buttons)

        self.latest = Latest(self)
        self.latest.finished.connect(self._checked)
        self.latest.errored.connect(self._failed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.check_machine)
        self.machine.edit.editingFinished.connect(self._debounce.start)
        self.cpu.currentIndexChanged.connect(lambda *_: self._debounce.start())
        self.kernel.edit.textChanged.connect(self._update_buttons)
        self.options.changed.connect(self._update_buttons)
        self.check_machine()

    # --- checking the machine --------------------------------------------------------------

    def check_machine(self):
        self._debounce.stop()
        self.check = None
        path = self.machine.text()
        if not path:
            self._show_verdict("Choose a machine file.", "same")
        else:
            self._show_verdict("Checking the machine…", "same")
            self.latest.submit(check_machine, os.path.abspath(path), self.cpu.currentData())
        self._update_buttons()

    def _checked(self, check: MachineCheck):
        self.check = check
        self._show_verdict(f"✓ {check.summary}", "ok")
        self.kernel.edit.setPlaceholderText(f"as the machine file says: {os.path.basename(check.workload)}"
                                            if check.workload else "required: the machine file names no kernel")
        self._set_disks(check.disks)
        self._update_buttons()

    def _failed(self, message: str):
        self.check = None
        self._show_verdict(message, "incompatible")
        self._set_disks({})
        self._update_buttons()

    def _show_verdict(self, text: str, grade: str):
        self.verdict.setText(text)
        self.verdict.setProperty("grade", grade)
        colour = theme.OK_FG if grade == "ok" else theme.GRADE_FG[grade]
        self.verdict.setStyleSheet(f"color: {colour};")

    def _set_disks(self, disks: dict[str, str]):
        kept = {name: f.text() for name, f in self.disk_fields.items()}
        while self.disks_form.rowCount():
            self.disks_form.removeRow(0)
        self.disk_fields = {}
        for name, image in disks.items():
            f = PathField(f"as the machine file says: {os.path.basename(image)}" if image
                          else f"required: the machine file gives {name} no image",
                          f"Image for {name}", "Disk images (*.img *.raw *.bin *.ext2 *.ext4);;All files (*)")
            f.edit.setText(kept.get(name, ""))
            f.edit.textChanged.connect(self._update_buttons)
            self.disk_fields[name] = f
            self.disks_form.addRow(f"Disk {name}", f)

    # --- options and the command ------------------------------------------------------------

    def problem(self) -> str:
        """Why Start is not offered yet ('' when it is)."""
        problem = self.options.problem()
        if problem or self.check is None:  # without a check, the verdict says why
            return problem
        if not self.kernel.text() and not self.check.workload:
            return "give a kernel: the machine file's [workload] names none"
        for name, image in self.check.disks.items():
            if not image and not self.disk_fields[name].text():
                return f"give an image for {name}: the machine file names none"
        return ""

    def _update_buttons(self, *_):
        problem = self.problem()
        self.options.error.setText(problem)
        self.start.setEnabled(self.check is not None and not problem)
        self.command.setText(self._command_line())

    def request(self) -> BootRequest:
        if not self.machine.text():
            raise ValueError("choose a machine file")
        return BootRequest(
            config=os.path.abspath(self.machine.text()), library=self.library_root, outdir=self.outdir,
            cpu=self.cpu.currentData(), kernel=self.kernel.text(),
            disks={n: f.text() for n, f in self.disk_fields.items() if f.text()},
            max_insts=self.options.limit(), checkpoint_at_inst=self.options.checkpoints_at(),
            checkpoint_on_console=self.options.console_patterns(),
            name=self.options.name.text().strip(), note=self.options.note.text().strip())
