"""The machine editor: TOML with validation while typing, problems at their lines, a live diagram."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QLabel, QListWidget, QListWidgetItem, QMessageBox, QSplitter, QToolBar,
                               QVBoxLayout, QWidget)

from graphsim.config.loader import load_machine_text
from graphsim.config.templates import NEW_MACHINE
from graphsim.config.locate import line_of
from graphsim.errors import ConfigError, GraphsimError, Problem
from graphsim.graph.elaborate import MachineGraph, elaborate

from . import theme
from .diagram_view import DiagramView
from .toml_view import CodeEditor

UNTITLED = "<untitled>"
_TOML_POSITION = re.compile(r"at line (\d+)(?:, column (\d+))?")


@dataclass
class Validation:
    text: str
    graph: MachineGraph | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.graph is not None and not self.problems


def validate(text: str, name: str, base_dir: str) -> Validation:
    """Load and elaborate machine text; every problem is collected (runs in a worker)."""
    try:
        return Validation(text, elaborate(load_machine_text(text, name=name, base_dir=base_dir)))
    except ConfigError as exc:
        return Validation(text, None, exc.problems)
    except GraphsimError as exc:
        return Validation(text, None, [Problem(name, None, line) for line in exc.lines()])


def problem_line(problem: Problem, text: str, name: str) -> int | None:
    """The line of ``text`` a problem belongs to (None when it is in another file and no include names it)."""
    if problem.key is None:
        m = _TOML_POSITION.search(problem.message)
        return int(m.group(1)) if m else None
    if problem.file not in (None, name):
        return line_of(text, "include")  # a problem inside an included file: point at the include
    return line_of(text, problem.key)


class EditorPage(QWidget):
    validated = Signal(object)  # Validation
    pathChanged = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.path = ""
        self.last_valid: Validation | None = None
        self.current: Validation | None = None
        self.editor = CodeEditor()
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems.itemActivated.connect(self._jump)
        self.problems.itemClicked.connect(self._jump)
        self.status = QLabel("")
        self.status.setObjectName("verdict")
        self.file_label = QLabel(UNTITLED)
        self.file_label.setObjectName("heading")
        self.diagram = DiagramView()
        self.diagram_label = QLabel("")
        self.diagram_label.setObjectName("subtle")

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = self.style()
        self.new_action = self._action("New", style.StandardPixmap.SP_FileIcon, self.new, QKeySequence.StandardKey.New)
        self.open_action = self._action("Open…", style.StandardPixmap.SP_DialogOpenButton, self.open,
                                        QKeySequence.StandardKey.Open)
        self.save_action = self._action("Save", style.StandardPixmap.SP_DialogSaveButton, self.save,
                                        QKeySequence.StandardKey.Save)
        self.save_as_action = self._action("Save as new machine…", style.StandardPixmap.SP_DriveFDIcon, self.save_as,
                                           QKeySequence.StandardKey.SaveAs)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 0, 6)
        left_layout.addWidget(self.file_label)
        left_layout.addWidget(self.status)
        edit_split = QSplitter(Qt.Orientation.Vertical)
        edit_split.addWidget(self.editor)
        edit_split.addWidget(self.problems)
        edit_split.setStretchFactor(0, 5)
        edit_split.setStretchFactor(1, 1)
        edit_split.setSizes([560, 120])
        left_layout.addWidget(edit_split, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 6, 6, 6)
        title = QLabel("Diagram")
        title.setObjectName("heading")
        right_layout.addWidget(title)
        right_layout.addWidget(self.diagram_label)
        right_layout.addWidget(self.diagram, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([640, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(split, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self.validate_now)
        self.editor.textChanged.connect(self._debounce.start)
        self.editor.modificationChanged.connect(lambda *_: self._update_title())
        from .workers import Latest

        self.latest = Latest(self)
        self.latest.finished.connect(self._validated)
        self.latest.errored.connect(lambda m: self._validated(Validation(self.editor.toPlainText(), None,
                                                                        [Problem(self.name, None, m)])))
        self.set_text(NEW_MACHINE, "")

    def _action(self, text, icon, slot, shortcut=None) -> QAction:
        action = QAction(self.style().standardIcon(icon), text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.toolbar.addAction(action)
        return action

    # --- the document ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.path or UNTITLED

    @property
    def base_dir(self) -> str:
        """Where includes and relative paths resolve: the file's directory (untitled: ./configs if there is one)."""
        if self.path:
            return os.path.dirname(self.path)
        configs = os.path.join(os.getcwd(), "configs")
        return configs if os.path.isdir(configs) else os.getcwd()

    def source(self) -> tuple[str, str, str] | None:
        """(text, name, base_dir) of the machine being edited, for compatibility diffs."""
        text = self.editor.toPlainText()
        return (text, self.name, self.base_dir) if text.strip() else None

    def set_text(self, text: str, path: str = ""):
        self.path = os.path.abspath(path) if path else ""
        self.last_valid = None
        self.diagram.clear()
        self.editor.setPlainText(text)
        self.editor.document().setModified(False)
        self._update_title()
        self.pathChanged.emit(self.path)
        self.validate_now()

    def load(self, path: str) -> bool:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            QMessageBox.warning(self, "Cannot open", f"{path}: {exc}")
            return False
        self.set_text(text, path)
        return True

    def _confirm_discard(self) -> bool:
        if not self.editor.document().isModified():
            return True
        answer = QMessageBox.question(self, "Discard changes?", f"{self.name} has unsaved changes. Discard them?")
        return answer == QMessageBox.StandardButton.Yes

    def new(self):
        if self._confirm_discard():
            self.set_text(NEW_MACHINE, "")

    def open(self):
        if not self._confirm_discard():
            return
        start = os.path.dirname(self.path) if self.path else os.path.join(os.getcwd(), "configs")
        path, _ = QFileDialog.getOpenFileName(self, "Open machine", start, "Machine files (*.toml);;All files (*)")
        if path:
            self.load(path)

    def save(self) -> bool:
        if not self.path:
            return self.save_as()
        return self.write(self.path)

    def save_as(self) -> bool:
        start = self.path or os.path.join(os.getcwd(), "configs", "my-machine.toml")
        path, _ = QFileDialog.getSaveFileName(self, "Save as new machine", start, "Machine files (*.toml)")
        if not path:
            return False
        if not path.endswith(".toml"):
            path += ".toml"
        return self.write(path)

    def write(self, path: str) -> bool:
        text = self.editor.toPlainText()
        tmp = path + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except OSError as exc:
            QMessageBox.warning(self, "Cannot save", f"{path}: {exc}")
            return False
        moved = os.path.abspath(path) != self.path
        self.path = os.path.abspath(path)
        self.editor.document().setModified(False)
        self._update_title()
        if moved:  # includes and relative paths now resolve from the new place
            self.pathChanged.emit(self.path)
            self.validate_now()
        return True

    def _update_title(self):
        shown = os.path.basename(self.path) if self.path else UNTITLED
        self.file_label.setText(shown + (" •" if self.editor.document().isModified() else ""))
        self.file_label.setToolTip(self.path)

    # --- validation ---------------------------------------------------------------------------

    def validate_now(self):
        self._debounce.stop()
        self.latest.submit(validate, self.editor.toPlainText(), self.name, self.base_dir)

    def _validated(self, result: Validation):
        if result.text != self.editor.toPlainText():
            return  # typed since; a newer validation is on its way
        self.current = result
        self.problems.clear()
        lines: dict[int, str] = {}
        for problem in result.problems:
            line = problem_line(problem, result.text, self.name)
            where = f"line {line}: " if line else ""
            shown = str(problem).replace(f"{self.name}: ", "", 1) if problem.file == self.name else str(problem)
            item = QListWidgetItem(f"{where}{shown}")
            item.setData(Qt.ItemDataRole.UserRole, line)
            item.setForeground(QBrush(QColor(theme.GRADE_FG["incompatible"])))
            self.problems.addItem(item)
            if line:
                lines[line] = (lines[line] + "\n" if line in lines else "") + shown
        self.editor.set_problems(lines)
        if result.ok:
            graph = result.graph
            self.last_valid = result
            self.status.setText(f"✓ valid — {graph.name}: {len(graph.components)} components, "
                                f"{len(graph.cpus)} hart(s)")
            self.status.setStyleSheet(theme.verdict_style("same"))
            self.diagram_label.setText(f"{graph.name} (current text)")
            self.diagram.show_machine(lambda: graph, graph.name)
            self.problems.addItem(QListWidgetItem("No problems."))
        else:
            count = len(result.problems)
            self.status.setText(f"✕ {count} problem{'s' if count != 1 else ''}")
            self.status.setStyleSheet(theme.verdict_style("incompatible"))
            self.diagram_label.setText("showing the last valid version" if self.last_valid else
                                       "no valid version yet")
        self.validated.emit(result)

    def _jump(self, item: QListWidgetItem):
        line = item.data(Qt.ItemDataRole.UserRole)
        if line:
            self.editor.go_to_line(int(line))

    def problem_lines(self) -> dict[int, str]:
        return dict(self.editor.problem_lines)
