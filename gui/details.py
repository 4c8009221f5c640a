"""Details of the selected checkpoint: manifest in words, what it needs, console tail, config, diagram."""

from __future__ import annotations

import html

import tomli_w
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from graphsim.checkpoint.library_cli import describe

from . import theme
from .diagram_view import DiagramView
from .targets import checkpoint_graph
from .toml_view import CodeEditor, monospace_font
from .words import record_in_words


class DetailsPane(QWidget):
    TABS = ("Overview", "Console", "Config", "Diagram")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.heading = QLabel("No checkpoint selected")
        self.heading.setObjectName("heading")
        self.subheading = QLabel("")
        self.subheading.setObjectName("subtle")
        self.subheading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.overview = QTextBrowser()
        self.overview.setOpenLinks(False)
        self.console = QPlainTextEdit()
        self.console.setObjectName("console")
        self.console.setReadOnly(True)
        self.console.setFont(monospace_font(9))
        self.console.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.config = CodeEditor(read_only=True)
        self.diagram = DiagramView()
        for widget, title in zip((self.overview, self.console, self.config, self.diagram), self.TABS):
            self.tabs.addTab(widget, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.subheading)
        layout.addWidget(self.tabs, 1)
        self.manifest: dict | None = None
        self._diagram_for = None
        self.tabs.currentChanged.connect(self._tab_changed)
        self.clear()

    def clear(self, message: str = "Select a checkpoint to see its manifest, console and machine."):
        self.manifest = None
        self._diagram_for = None
        self.heading.setText("No checkpoint selected")
        self.subheading.setText("")
        self.overview.setHtml(f"<p style='color:#5c636a'>{html.escape(message)}</p>")
        self.console.setPlainText("")
        self.config.setPlainText("")
        self.diagram.clear()

    def show_damaged(self, cpt_id: str, message: str):
        self.clear()
        self.manifest = None
        self.heading.setText(f"⚠ {cpt_id}")
        self.heading.setStyleSheet(f"color: {theme.DAMAGED_FG};")
        self.overview.setHtml(
            f"<p><b style='color:{theme.DAMAGED_FG}'>This checkpoint cannot be read.</b></p>"
            f"<p style='font-family:monospace'>{html.escape(message)}</p>"
            "<p>It is listed so that it is not forgotten; delete it, or restore the damaged files from a "
            "backup. <code>graphsim checkpoints gc</code> refuses to run while it is here, because its "
            "chunks cannot be accounted for.</p>")

    def show_checkpoint(self, manifest: dict):
        same = self.manifest is not None and self.manifest.get("id") == manifest["id"]
        self.manifest = manifest
        meta = manifest.get("meta", {})
        name = meta.get("name") or manifest["id"]
        self.heading.setStyleSheet("")
        self.heading.setText(name)
        pos = manifest.get("position", {})
        self.subheading.setText(f"{manifest['id']}  ·  {manifest.get('machine_name', '')}  ·  "
                                f"{pos.get('instret', 0):,} instructions")
        self.overview.setHtml(self._overview_html(manifest))
        tail = manifest.get("console", {}).get("tail", "")
        self.console.setPlainText(tail if tail else "(the guest had printed nothing)")
        self.console.verticalScrollBar().setValue(self.console.verticalScrollBar().maximum())
        config = manifest.get("config")
        self.config.setPlainText(tomli_w.dumps(config) if isinstance(config, dict) else "(no config recorded)")
        if same:  # a refresh of the same checkpoint (its note changed): the machine, hence the diagram, did not
            return
        self._diagram_for = None
        self.diagram.clear()
        if self.tabs.currentWidget() is self.diagram:
            self._draw()

    @staticmethod
    def _overview_html(manifest: dict) -> str:
        lines = describe(manifest)
        needs = record_in_words(manifest.get("compat", {}))
        return (
            DetailsPane._simpoint_html(manifest.get("simpoint"))
            + "<h4 style='margin:2px 0'>Manifest</h4>"
            # pre-wrap: long lines wrap at the panel's edge instead of running off it
            f"<pre style='font-size:9pt; margin:0; white-space:pre-wrap'>{html.escape(chr(10).join(lines))}</pre>"
            "<h4 style='margin:10px 0 2px 0'>What a target machine must honour</h4>"
            "<ul style='margin-top:0'>" + "".join(f"<li>{html.escape(s)}</li>" for s in needs) + "</ul>")

    @staticmethod
    def _simpoint_html(record: dict | None) -> str:
        """A SimPoint checkpoint (graphsim simpoint): its place in the sampled set, and the set's
        report when its detailed runs are done (results.json in the profile directory)."""
        if not isinstance(record, dict):
            return ""
        if record.get("role") == "region start":
            text = ("Start of a SimPoint region: its children are the region's samples, "
                    "run in detail by <code>graphsim simpoint run</code>.")
        else:
            text = (f"SimPoint sample {record.get('sample', 0) + 1} of cluster {record.get('cluster')}: "
                    f"weight <b>{record.get('weight', 0):.4f}</b> ({record.get('members')} intervals), "
                    f"interval {record.get('interval_index')} of {record.get('insts', 0):,} instructions "
                    f"starting at {record.get('start', 0):,}, after {record.get('warmup', 0):,} instructions "
                    f"of cache and predictor warm-up; region of {record.get('region_insts', 0):,} instructions.")
        return (f"<h4 style='margin:2px 0'>Sampled set</h4><p style='margin-top:0'>{text}</p>"
                + DetailsPane._simpoint_report_html(record.get("outdir")))

    @staticmethod
    def _simpoint_report_html(outdir) -> str:
        """The sampled set's report and its samples, from the profile directory's results.json."""
        import json
        import os

        from graphsim.simpoint.run import RESULTS_FILE, format_report

        if not isinstance(outdir, str):
            return ""
        try:
            with open(os.path.join(outdir, RESULTS_FILE), encoding="utf-8") as f:
                report = json.load(f)
            summary = format_report(report)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            missing = isinstance(exc, FileNotFoundError)
            return (f"<p style='color:#5c636a'>{html.escape(outdir)}: "
                    + ("no report yet (<code>graphsim simpoint run</code> writes it)" if missing
                       else f"report unreadable ({html.escape(str(exc))})") + "</p>")
        rows = "".join(
            f"<tr><td>{s['cluster']}</td><td>{s['sample'] + 1}</td><td>{s['weight']:.4f}</td>"
            f"<td>{s['interval_index']}</td><td>{s['measures']['cpi']:.4f}</td>"
            f"<td><code>{html.escape(s['checkpoint'])}</code></td></tr>" for s in report["samples"])
        return ("<h4 style='margin:6px 0 2px 0'>Report</h4>"
                f"<pre style='font-size:9pt; margin:0; white-space:pre-wrap'>{html.escape(summary)}</pre>"
                "<table cellspacing='0' cellpadding='2' style='font-size:9pt'>"
                "<tr><th>cluster</th><th>sample</th><th>weight</th><th>interval</th><th>CPI</th>"
                f"<th>checkpoint</th></tr>{rows}</table>")

    def _tab_changed(self, _index):
        if self.tabs.currentWidget() is self.diagram and self.manifest is not None:
            self._draw()

    def _draw(self):
        manifest = self.manifest
        if manifest is None or self._diagram_for == manifest["id"]:
            return
        self._diagram_for = manifest["id"]
        if not isinstance(manifest.get("config"), dict):
            self.diagram.clear("this checkpoint has no recorded config")
            return
        self.diagram.show_machine(lambda: checkpoint_graph(manifest), manifest.get("machine_name", ""))
