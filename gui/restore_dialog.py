"""“Restore with…”: choose the target and run options, see the graded findings, then start."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QSplitter, QVBoxLayout, QWidget

from .findings_view import FindingsPanel
from .run_options import RunDialog, RunOptions, start_buttons
from .runs import RestoreRequest
from .target_form import TargetForm
from .targets import FILE, Comparison, compare
from .workers import Latest


class RestoreDialog(RunDialog):
    def __init__(self, library_root: str, manifest: dict, parent=None, label: str = ""):
        super().__init__(parent)
        self.library_root = library_root
        self.manifest = manifest
        self.comparison: Comparison | None = None
        name = label or manifest.get("meta", {}).get("name") or manifest["id"]
        self.setWindowTitle(f"Restore {name} with…")
        self.resize(1080, 700)

        heading = QLabel(f"Restore <b>{name}</b>")
        heading.setObjectName("heading")
        pos = manifest.get("position", {})
        models = sorted({c.get("model", "") for c in manifest.get("compat", {}).get("cpus", {}).values()})
        sub = QLabel(f"{manifest['id']} · taken on {manifest.get('machine_name', '')} ({', '.join(models)}) at "
                     f"{pos.get('instret', 0):,} instructions")
        sub.setObjectName("subtle")

        self.form = TargetForm(allow_editor=False, allow_checkpoint=False, stretch=False)
        self.form.set_checkpoint(manifest)

        self.options = RunOptions("Run", from_checkpoint=True, console_example=r"\$ $")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.addWidget(self.form)
        left_layout.addWidget(self.options)
        left_layout.addStretch(1)

        self.findings = FindingsPanel()
        self.allow = QCheckBox("Restore despite the warnings (the guest will see these differences)")
        self.allow.setEnabled(False)
        self.command = QLabel("")
        self.command.setObjectName("subtle")
        self.command.setWordWrap(True)
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        findings_title = QLabel("Compatibility, checked before anything starts")
        findings_title.setObjectName("heading")
        right_layout.addWidget(findings_title)
        right_layout.addWidget(self.findings, 1)
        right_layout.addWidget(self.allow)
        right_layout.addWidget(self.command)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([400, 680])

        self.buttons, self.start, self.copy = start_buttons(self, "Start restore", self._command_line)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(sub)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)

        self.latest = Latest(self)
        self.latest.finished.connect(self._show)
        self.latest.errored.connect(self._error)
        self.form.changed.connect(self.check)
        self.options.changed.connect(self._update_buttons)
        self.allow.toggled.connect(self._update_buttons)
        self.check()

    # --- checking ----------------------------------------------------------------------

    def check(self):
        """Recompute the findings for the current target (in a worker)."""
        self.comparison = None
        self.allow.setChecked(False)
        self.allow.setEnabled(False)
        try:
            target = self.form.target()
        except ValueError as exc:
            self.findings.set_message(str(exc).capitalize() + ".")
            self._update_buttons()
            return
        self.findings.set_message("Checking compatibility… (reading the target, hashing disk images)")
        self.latest.submit(compare, self.library_root, self.manifest["id"], target)
        self._update_buttons()

    def _show(self, comparison: Comparison):
        self.comparison = comparison
        self.findings.set_findings(comparison.findings)
        self.allow.setEnabled(comparison.code == 1)
        self._update_buttons()

    def _error(self, message: str):
        self.comparison = None
        self.findings.set_message(message, error=True)
        self._update_buttons()

    def _update_buttons(self, *_):
        problem = self.options.problem()
        self.options.error.setText(problem)
        code = self.comparison.code if self.comparison else None
        ready = (code == 0 or (code == 1 and self.allow.isChecked())) and not problem
        self.start.setEnabled(bool(ready))
        if code == 2:
            self.start.setToolTip("the target is incompatible: restore is refused")
        elif code == 1 and not self.allow.isChecked():
            self.start.setToolTip("tick 'Restore despite the warnings' first")
        else:
            self.start.setToolTip("")
        self.command.setText(self._command_line() if not problem else "")

    # --- result ---------------------------------------------------------------------------

    def request(self) -> RestoreRequest:
        target = self.form.target()
        return RestoreRequest(
            checkpoint=self.manifest["id"], library=self.library_root, cpu=target.cpu,
            config=target.path if target.kind == FILE else None, disks=dict(target.disks),
            max_insts=self.options.limit(), checkpoint_at_inst=self.options.checkpoints_at(),
            checkpoint_on_console=self.options.console_patterns(),
            strict=target.strict, note=self.options.note.text().strip(), outdir=self.outdir,
            allow_warnings=bool(self.comparison and self.comparison.code == 1 and self.allow.isChecked()))
