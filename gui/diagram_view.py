"""Machine diagrams: `graphsim.graph.diagram.to_dot` rendered to SVG by Graphviz in a worker, shown scaled."""

from __future__ import annotations

import shutil
import subprocess

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPushButton, QScrollArea, QToolButton,
                               QVBoxLayout, QWidget)

from graphsim.errors import GraphsimError
from graphsim.graph.diagram import to_dot
from graphsim.graph.elaborate import MachineGraph

from .workers import Latest


def panel_dot(machine: MachineGraph) -> str:
    """`to_dot` in its compact form (readable type, no port names, empty virtio slots as one node),
    laid out left to right: a bus with many devices then stacks them instead of making the drawing ten
    times wider than high, which suits a side panel."""
    text = to_dot(machine, compact=True).replace("rankdir=TB;", "rankdir=LR;", 1)
    # Line breaks in labels arrive escaped twice by graph.diagram (drawn as a literal "\n"): undo that.
    return text.replace("\\\\n", "\\n")


def render_svg(machine: MachineGraph) -> bytes:
    """The machine drawn by Graphviz ``dot`` as SVG bytes."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphsimError("Graphviz 'dot' is not installed (apt-get install graphviz)")
    result = subprocess.run([dot, "-Tsvg"], input=panel_dot(machine).encode(), capture_output=True, timeout=60)
    if result.returncode != 0:
        raise GraphsimError(f"dot failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def diagram_of(build) -> bytes:
    """Elaborate with ``build()`` and draw the result (runs in a worker)."""
    return render_svg(build())


class SvgCanvas(QSvgWidget):
    """A QSvgWidget that keeps the drawing's aspect ratio, on white."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.renderer().setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        self.setMinimumSize(120, 120)

    def load_svg(self, svg: bytes) -> bool:
        self.load(QByteArray(svg))
        self.renderer().setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        return self.renderer().isValid()

    def clear(self):
        self.load(QByteArray(b""))

    def natural_size(self) -> QSize:
        return self.renderer().defaultSize() if self.renderer().isValid() else QSize(0, 0)

    def sizeHint(self):
        return QSize(480, 480)

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        if self.renderer().isValid():
            self.renderer().render(painter, QRectF(self.rect().adjusted(8, 8, -8, -8)))
        painter.end()


class DiagramView(QWidget):
    """A machine diagram (fit to the panel, or zoomed in a scroll area) with a status line;
    `show_machine(build)` redraws it in the background."""

    rendered = Signal(bool)  # True when an SVG is shown, False on error
    ZOOMS = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.canvas = SvgCanvas()
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.canvas)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setStyleSheet("QScrollArea { background: white; border: 1px solid #d0d4d9; }")
        self.status = QLabel("")
        self.status.setObjectName("subtle")
        self.status.setWordWrap(True)
        self.fit_button = QToolButton()
        self.fit_button.setText("Fit")
        self.fit_button.setCheckable(True)
        self.fit_button.setToolTip("fit the drawing to the panel")
        self.fit_button.toggled.connect(lambda on: self.set_zoom(None if on else 1.0))
        self.zoom_out = QToolButton()
        self.zoom_out.setText("−")
        self.zoom_out.clicked.connect(lambda: self._step(-1))
        self.zoom_in = QToolButton()
        self.zoom_in.setText("+")
        self.zoom_in.clicked.connect(lambda: self._step(+1))
        self.save_button = QPushButton("Save SVG…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._save)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        for widget in (self.fit_button, self.zoom_out, self.zoom_in, self.save_button):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(bar)
        self.svg = b""
        self.zoom: float | None = None  # None: fit
        self.latest = Latest(self)
        self.latest.finished.connect(self._show)
        self.latest.errored.connect(self._error)
        self.set_zoom(None)

    def set_zoom(self, zoom: float | None):
        self.zoom = zoom
        self.fit_button.blockSignals(True)
        self.fit_button.setChecked(zoom is None)
        self.fit_button.blockSignals(False)
        self.scroll.setWidgetResizable(zoom is None)
        if zoom is not None:
            natural = self.canvas.natural_size()
            self.canvas.resize(max(120, int(natural.width() * zoom)) + 16, max(120, int(natural.height() * zoom)) + 16)

    def _step(self, direction: int):
        current = self.zoom
        if current is None:  # from fit: start at the zoom that fits
            natural = self.canvas.natural_size()
            viewport = self.scroll.viewport().size()
            current = min(viewport.width() / max(natural.width(), 1), viewport.height() / max(natural.height(), 1))
        bigger = [z for z in self.ZOOMS if z > current + 1e-6]
        smaller = [z for z in self.ZOOMS if z < current - 1e-6]
        target = (bigger[0] if bigger else self.ZOOMS[-1]) if direction > 0 else (smaller[-1] if smaller else
                                                                                  self.ZOOMS[0])
        self.set_zoom(target)

    def wheelEvent(self, event):
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._step(1 if event.angleDelta().y() > 0 else -1)
            event.accept()
        else:
            super().wheelEvent(event)

    def show_machine(self, build, label: str = ""):
        """``build()`` returns a MachineGraph; it runs in a worker along with ``dot``."""
        self.status.setText(f"drawing {label}…" if label else "drawing…")
        self._label = label
        self.latest.submit(diagram_of, build)

    def clear(self, message: str = ""):
        self.latest.cancel()
        self.svg = b""
        self.canvas.clear()
        self.status.setText(message)
        self.save_button.setEnabled(False)

    def _show(self, svg: bytes):
        self.svg = svg
        ok = self.canvas.load_svg(svg)
        self.set_zoom(self.zoom)
        self.status.setText(getattr(self, "_label", ""))
        self.save_button.setEnabled(ok)
        self.rendered.emit(ok)

    def _error(self, message: str):
        self.status.setText(f"cannot draw: {message}")
        self.rendered.emit(False)

    def _save(self):
        path, _ = QFileDialog.getSaveFileName(self, "Save diagram", "machine.svg", "SVG (*.svg)")
        if path:
            with open(path, "wb") as f:
                f.write(self.svg)
