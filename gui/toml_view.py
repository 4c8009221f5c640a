"""TOML text: a small syntax highlighter and a code editor with line numbers and problem marks."""

from __future__ import annotations

import re

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QPainter, QSyntaxHighlighter, QTextCharFormat,
                           QTextCursor, QTextFormat)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from . import theme


def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class TomlHighlighter(QSyntaxHighlighter):
    """Tables, keys, strings, numbers with units, booleans, comments; multi-line strings across blocks."""

    RULES = [  # (pattern, format, group to colour)
        (re.compile(r"^\s*\[\[?[^\]]*\]\]?"), _format("#6f42c1", bold=True), 0),  # [table] / [[array]]
        (re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*="), _format("#0b5394"), 1),  # key =
        (re.compile(r"[{,]\s*([A-Za-z0-9_\-.]+)\s*="), _format("#0b5394"), 1),  # key inside { }
        (re.compile(r"\b(true|false)\b"), _format("#a3480a", bold=True), 0),
        (re.compile(r"(?<![\w.])[-+]?(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|\d[\d_]*(\.\d+)?([eE][-+]?\d+)?)\b"),
         _format("#a3480a"), 0),
    ]
    STRING = _format("#1a7f37")
    COMMENT = _format("#6e7781", italic=True)
    IN_BASIC, IN_LITERAL = 1, 2

    def highlightBlock(self, text: str):
        for pattern, fmt, group in self.RULES:
            for m in pattern.finditer(text):
                start, end = m.span(group)
                self.setFormat(start, end - start, fmt)
        self._strings_and_comments(text)

    def _strings_and_comments(self, text: str):
        """Strings win over everything inside them; a # outside strings starts a comment."""
        self.setCurrentBlockState(0)
        i = 0
        state = self.previousBlockState()
        if state in (self.IN_BASIC, self.IN_LITERAL):
            close = '"""' if state == self.IN_BASIC else "'''"
            end = text.find(close)
            if end < 0:
                self.setFormat(0, len(text), self.STRING)
                self.setCurrentBlockState(state)
                return
            self.setFormat(0, end + 3, self.STRING)
            i = end + 3
        while i < len(text):
            c = text[i]
            if c == "#":
                self.setFormat(i, len(text) - i, self.COMMENT)
                return
            if c in "\"'":
                triple = text[i:i + 3] == c * 3
                if triple:
                    end = text.find(c * 3, i + 3)
                    if end < 0:
                        self.setFormat(i, len(text) - i, self.STRING)
                        self.setCurrentBlockState(self.IN_BASIC if c == '"' else self.IN_LITERAL)
                        return
                    self.setFormat(i, end + 3 - i, self.STRING)
                    i = end + 3
                    continue
                j = i + 1
                while j < len(text) and text[j] != c:
                    j += 2 if (c == '"' and text[j] == "\\") else 1
                self.setFormat(i, min(j + 1, len(text)) - i, self.STRING)
                i = j + 1
                continue
            i += 1


def monospace_font(point_size: int = 10) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSize(point_size)
    return font


class _LineNumbers(QWidget):
    def __init__(self, editor: "CodeEditor"):
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self):
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event):
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """A plain-text editor with a line-number gutter and marks on lines that have problems."""

    def __init__(self, parent=None, read_only: bool = False):
        super().__init__(parent)
        self.setFont(monospace_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setReadOnly(read_only)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self.highlighter = TomlHighlighter(self.document())
        self.gutter = _LineNumbers(self)
        self.problem_lines: dict[int, str] = {}  # 1-based line → message
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self.cursorPositionChanged.connect(self._refresh_selections)
        self._update_gutter_width()

    # --- gutter ---------------------------------------------------------------

    def gutter_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_gutter_width(self, *_):
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect, dy):
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event):
        super().resizeEvent(event)
        cr = self.contentsRect()
        self.gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event):
        painter = QPainter(self.gutter)
        painter.fillRect(event.rect(), QColor(theme.GUTTER_BG))
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                line = number + 1
                if line in self.problem_lines:
                    painter.fillRect(0, top, self.gutter.width(), height, QColor(theme.GRADE_BG["incompatible"]))
                    painter.setPen(QColor(theme.GRADE_FG["incompatible"]))
                    painter.drawText(3, top, 10, height, Qt.AlignmentFlag.AlignLeft, "●")
                else:
                    painter.setPen(QColor(theme.GUTTER_FG))
                painter.drawText(0, top, self.gutter.width() - 5, height, Qt.AlignmentFlag.AlignRight, str(line))
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1
        painter.end()

    # --- problems -------------------------------------------------------------

    def set_problems(self, problems: dict[int, str]):
        """Mark lines (1-based) with a wavy underline and a gutter dot; the message is the tooltip."""
        self.problem_lines = dict(problems)
        self._refresh_selections()
        self.gutter.update()

    def _refresh_selections(self):
        selections = []
        if not self.isReadOnly():
            current = QTextEdit.ExtraSelection()
            current.format.setBackground(QColor(theme.CURRENT_LINE))
            current.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            current.cursor = self.textCursor()
            current.cursor.clearSelection()
            selections.append(current)
        for line, message in self.problem_lines.items():
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            mark = QTextEdit.ExtraSelection()
            mark.format.setBackground(QColor(theme.GRADE_BG["incompatible"]))
            mark.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            mark.format.setToolTip(message)
            mark.cursor = QTextCursor(block)
            selections.append(mark)
            underline = QTextEdit.ExtraSelection()
            underline.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            underline.format.setUnderlineColor(QColor(theme.GRADE_FG["incompatible"]))
            underline.format.setToolTip(message)
            cursor = QTextCursor(block)
            text = block.text()
            cursor.setPosition(block.position() + len(text) - len(text.lstrip()))
            cursor.setPosition(block.position() + len(text.rstrip()), QTextCursor.MoveMode.KeepAnchor)
            underline.cursor = cursor
            selections.append(underline)
        self.setExtraSelections(selections)

    def go_to_line(self, line: int):
        block = self.document().findBlockByNumber(max(0, line - 1))
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus()

    def event(self, event):
        if event.type() == event.Type.ToolTip:
            cursor = self.cursorForPosition(event.pos())
            message = self.problem_lines.get(cursor.blockNumber() + 1)
            if message:
                from PySide6.QtWidgets import QToolTip

                QToolTip.showText(event.globalPos(), message, self)
                return True
        return super().event(event)
