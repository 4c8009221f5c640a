"""A run as a separate process (``graphsim restore`` of a checkpoint, or ``graphsim run`` booting a machine):
live console, input, progress, stop."""

from __future__ import annotations

import codecs
import os
import time

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QTextCursor
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox,
                               QPlainTextEdit, QPushButton, QSplitter, QStackedWidget, QTabWidget, QVBoxLayout,
                               QWidget)

from . import theme
from .runs import ChildRun, Event, RestoreRequest, StatusParser, console_text, safe_cwd
from .toml_view import monospace_font

STOP_GRACE_MS = 3000  # after terminate(), kill() if the process is still there
CONSOLE_BLOCKS = 20000


class RunPanel(QWidget):
    finished = Signal(int)  # exit code (-1 if it crashed or failed to start)
    checkpointTaken = Signal(str)
    progressed = Signal(object)  # Event

    def __init__(self, request: ChildRun, title: str = "", parent=None):
        super().__init__(parent)
        self.request = request
        self.title = title or (f"Restore of {request.label}" if isinstance(request, RestoreRequest)
                               else f"Boot of {request.label}")
        self.errors: list[str] = []
        self.checkpoints: list[str] = []
        self.exit_code: int | None = None
        self.stopped = False
        self.last_progress: Event | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._parser = StatusParser()
        self._started = 0.0

        heading = QLabel(self.title)
        heading.setObjectName("heading")
        self.command = QLabel(request.shell_line())
        self.command.setObjectName("subtle")
        self.command.setWordWrap(True)
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.state = QLabel("starting…")
        self.state.setObjectName("verdict")
        self.insts = QLabel("—")
        self.simulated = QLabel("—")
        self.mips = QLabel("—")
        self.elapsed = QLabel("—")
        stats = QHBoxLayout()
        stats.addWidget(self.state)
        for caption, label in (("instructions", self.insts), ("simulated", self.simulated), ("speed", self.mips),
                               ("host time", self.elapsed)):
            box = QVBoxLayout()
            box.setSpacing(0)
            cap = QLabel(caption)
            cap.setObjectName("subtle")
            label.setStyleSheet("font-size: 12pt; font-weight: 600;")
            label.setMinimumWidth(110)
            box.addWidget(cap)
            box.addWidget(label)
            stats.addSpacing(16)
            stats.addLayout(box)
        stats.addStretch(1)
        self.open_dir = QPushButton("Run directory")
        self.open_dir.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(request.outdir)))
        self.stop_button = QPushButton("Stop")
        self.stop_button.setStyleSheet(f"QPushButton:enabled {{ color: {theme.GRADE_FG['incompatible']}; "
                                       "font-weight: 600; }")
        self.stop_button.clicked.connect(self.stop)
        stats.addWidget(self.open_dir)
        stats.addWidget(self.stop_button)

        self.console = QPlainTextEdit()
        self.console.setObjectName("console")
        self.console.setReadOnly(True)
        self.console.setFont(monospace_font(10))
        self.console.setMaximumBlockCount(CONSOLE_BLOCKS)
        self.console.setPlaceholderText("guest console")
        self.input = QLineEdit()
        self.input.setFont(monospace_font(10))
        self.input.setPlaceholderText("Type to the guest; Enter sends the line")
        self.input.returnPressed.connect(self.send_line)
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self.send_line)
        input_row = QHBoxLayout()
        input_row.addWidget(QLabel("UART input"))
        input_row.addWidget(self.input, 1)
        input_row.addWidget(self.send_button)
        console_box = QWidget()
        console_layout = QVBoxLayout(console_box)
        console_layout.setContentsMargins(0, 0, 0, 0)
        console_layout.addWidget(self.console, 1)
        console_layout.addLayout(input_row)

        self.messages = QListWidget()
        self.messages.setAlternatingRowColors(True)
        self.messages.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(console_box)
        split.addWidget(self.messages)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([520, 140])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(heading)
        layout.addWidget(self.command)
        layout.addLayout(stats)
        layout.addWidget(split, 1)

        self.process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        self.process.setProcessEnvironment(env)
        self.process.readyReadStandardOutput.connect(self._stdout)
        self.process.readyReadStandardError.connect(self._stderr)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._process_error)
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self._kill)
        self._clock = QTimer(self)
        self._clock.setInterval(500)
        self._clock.timeout.connect(self._tick)
        self._set_state("starting…", "same")

    # --- process ----------------------------------------------------------------------------

    def start(self):
        os.makedirs(os.path.dirname(self.request.outdir) or ".", exist_ok=True)
        command = self.request.command()
        self.process.setWorkingDirectory(safe_cwd())
        self.process.setProgram(command[0])
        self.process.setArguments(command[1:])
        self._started = time.monotonic()
        self._clock.start()
        self.process.start()
        self._set_state("running", "changed")
        self.stop_button.setEnabled(True)

    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def stop(self):
        """Terminate; kill if it has not gone after a grace period."""
        if not self.running():
            return
        self.stopped = True
        self._set_state("stopping…", "warning")
        self.process.terminate()
        self._kill_timer.start(STOP_GRACE_MS)

    def _kill(self):
        if self.running():
            self._message("did not stop in time: killed", "warning")
            self.process.kill()

    def send_line(self):
        text = self.input.text()
        if not self.running():
            return
        self.process.write((text + "\n").encode())
        self.input.clear()

    # --- output --------------------------------------------------------------------------------

    def _stdout(self):
        data = bytes(self.process.readAllStandardOutput())
        self.append_console(self._decoder.decode(data))

    def show_history(self, tail: str):
        """The checkpoint's console tail, before what the restored guest prints, then a marker."""
        if tail:
            self.append_console(tail if tail.endswith("\n") else tail + "\n")
        self.append_console(f"──── restored from {self.request.checkpoint} ────\n")

    def append_console(self, text: str):
        text = console_text(text)
        if not text:
            return
        bar = self.console.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        cursor = self.console.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        parts = text.split("\x08")
        for n, piece in enumerate(parts):
            if n:
                cursor.deletePreviousChar()  # backspace from the guest
            cursor.insertText(piece)
        if at_bottom:
            bar.setValue(bar.maximum())

    def _stderr(self):
        data = bytes(self.process.readAllStandardError()).decode("utf-8", "replace")
        for event in self._parser.feed(data):
            self._event(event)

    def _event(self, event: Event):
        if event.kind == "progress":
            self.last_progress = event
            self.insts.setText(f"{event.insts:,}")
            self.simulated.setText(f"{event.seconds:.6f} s")
            self.mips.setText(f"{event.mips:.1f} MIPS")
            self.progressed.emit(event)
            return
        if event.kind == "checkpoint":
            self.checkpoints.append(event.checkpoint)
            self.insts.setText(f"{event.insts:,}")
            self._message(f"✓ {event.text}", "ok")
            self.checkpointTaken.emit(event.checkpoint)
        elif event.kind == "restored":
            self.insts.setText(f"{event.insts:,}")
            self._message(event.text, "same")
        elif event.kind == "error":
            self.errors.append(event.text)
            self._message(event.text, "incompatible")
        elif event.kind == "done":
            if event.insts:
                self.insts.setText(f"{event.insts:,}")
                self.simulated.setText(f"{event.seconds:.6f} s")
                self.mips.setText(f"{event.mips:.1f} MIPS")
            self._message(event.text, "same")
        elif event.kind == "finding":
            grade = event.text.split()[0]
            self._message(event.text, grade if grade in theme.GRADE_FG else "same")
        else:
            self._message(event.text, "same")

    def _message(self, text: str, grade: str):
        item = QListWidgetItem(text)
        colour = theme.OK_FG if grade == "ok" else theme.GRADE_FG.get(grade, theme.GRADE_FG["same"])
        item.setForeground(QBrush(QColor(colour if grade != "same" else "#343a40")))
        if grade in ("incompatible", "warning"):
            item.setBackground(QBrush(QColor(theme.GRADE_BG[grade])))
        self.messages.addItem(item)
        self.messages.scrollToBottom()

    def _tick(self):
        self.elapsed.setText(f"{time.monotonic() - self._started:.1f} s")

    def _finished(self, code: int, status):
        for event in self._parser.flush():
            self._event(event)
        tail = self._decoder.decode(b"", final=True)
        if tail:
            self.append_console(tail)
        self._clock.stop()
        self._tick()
        self._kill_timer.stop()
        crashed = status == QProcess.ExitStatus.CrashExit
        self.exit_code = -1 if crashed else code
        self.stop_button.setEnabled(False)
        self.input.setEnabled(False)
        self.send_button.setEnabled(False)
        if self.stopped:
            self._set_state("stopped", "warning")
        elif crashed:
            self._set_state("crashed", "incompatible")
        elif code == 0 and not self.errors:
            done = f"finished · {len(self.checkpoints)} checkpoint(s)" if self.checkpoints else "finished"
            self._set_state(done, "ok")
        else:
            self._set_state(f"failed (exit {code})", "incompatible")
            if not self.errors:
                self._message(f"graphsim exited with code {code}", "incompatible")
        self.finished.emit(self.exit_code)

    def _process_error(self, error):
        if error == QProcess.ProcessError.FailedToStart:
            message = f"could not start {self.process.program()}: {self.process.errorString()}"
            self.errors.append(message)
            self._message(message, "incompatible")
            self._clock.stop()
            self.exit_code = -1
            self._set_state("failed to start", "incompatible")
            self.stop_button.setEnabled(False)
            self.finished.emit(-1)

    def _set_state(self, text: str, grade: str):
        self.state.setText(text)
        self.state.setProperty("state", text)
        if grade == "ok":
            self.state.setStyleSheet(theme.verdict_style("same"))
        else:
            self.state.setStyleSheet(theme.verdict_style(grade) if grade != "same" else
                                     "QLabel#verdict { color: #495057; background: #f1f3f5; "
                                     "border: 1px solid #adb5bd; }")


class RunsPage(QWidget):
    """Every run of this session, one tab each."""

    checkpointTaken = Signal(str)
    runFinished = Signal(object)  # RunPanel

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        empty = QLabel("No runs yet.\n\nBoot a machine (“Boot machine…”), or select a checkpoint in the library "
                       "and choose “Restore with…”.")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setObjectName("subtle")
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        self.stack.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def panels(self) -> list[RunPanel]:
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def start(self, request: ChildRun, title: str = "", tab_label: str = "") -> RunPanel:
        panel = RunPanel(request, title)
        panel.checkpointTaken.connect(self.checkpointTaken)
        panel.finished.connect(lambda _code: self._panel_finished(panel))
        index = self.tabs.addTab(panel, "● " + (tab_label or panel.title)[:40])
        self.tabs.setTabToolTip(index, panel.title)
        self.tabs.setCurrentIndex(index)
        self.stack.setCurrentIndex(1)
        panel.start()
        return panel

    def _panel_finished(self, panel: RunPanel):
        index = self.tabs.indexOf(panel)
        if index >= 0:
            self.tabs.setTabText(index, self.tabs.tabText(index).replace("● ", "", 1))
        self.runFinished.emit(panel)

    def _close_tab(self, index: int):
        panel = self.tabs.widget(index)
        if panel.running():
            answer = QMessageBox.question(self, "Stop the run?", "This run is still going. Stop it and close?")
            if answer != QMessageBox.StandardButton.Yes:
                return
            panel.stop()
            panel.process.waitForFinished(STOP_GRACE_MS + 1000)
        self.tabs.removeTab(index)
        panel.deleteLater()
        if not self.tabs.count():
            self.stack.setCurrentIndex(0)

    def running(self) -> list[RunPanel]:
        return [p for p in self.panels() if p.running()]

    def stop_all(self, wait_ms: int = STOP_GRACE_MS + 1000):
        for panel in self.running():
            panel.stop()
        for panel in self.panels():
            if panel.running() and not panel.process.waitForFinished(wait_ms):
                panel.process.kill()
                panel.process.waitForFinished(1000)
