"""Colours and the application look, in one place."""

from __future__ import annotations

# Grades of compatibility findings: same grey, changed blue, warning amber, incompatible red.
GRADE_FG = {"same": "#6c757d", "changed": "#0a58ca", "warning": "#9a5b00", "incompatible": "#b02a37"}
GRADE_BG = {"same": "#f4f5f6", "changed": "#e3edff", "warning": "#fff1cc", "incompatible": "#fbe0e3"}
GRADE_ICON = {"same": "=", "changed": "~", "warning": "!", "incompatible": "✕"}

OK_FG, OK_BG = "#146c43", "#dcf1e6"
DAMAGED_FG = GRADE_FG["incompatible"]

GUTTER_BG, GUTTER_FG = "#f3f3f3", "#9aa0a6"
CURRENT_LINE = "#f5f8ff"
CONSOLE_BG, CONSOLE_FG = "#16181d", "#d7dae0"

STYLESHEET = f"""
QToolBar {{ spacing: 4px; padding: 2px 4px; border: none; border-bottom: 1px solid #d0d4d9; }}
QTabWidget::pane {{ border: 1px solid #d0d4d9; top: -1px; }}
QTabBar::tab {{ padding: 5px 14px; border: 1px solid #d0d4d9; border-bottom: none; background: #eef0f2;
               margin-right: 1px; border-top-left-radius: 3px; border-top-right-radius: 3px; }}
QTabBar::tab:selected {{ background: #ffffff; }}
QHeaderView::section {{ padding: 3px 6px; border: none; border-right: 1px solid #e0e3e6;
                       border-bottom: 1px solid #d0d4d9; background: #f6f7f8; font-weight: 600; }}
QTreeView, QTableView {{ alternate-background-color: #fafbfc; selection-background-color: #cfe2ff;
                        selection-color: #111; }}
QTreeView::item {{ padding: 2px 0; }}
QLabel#heading {{ font-size: 13pt; font-weight: 600; }}
QLabel#subtle {{ color: #5c636a; }}
QLabel#verdict {{ padding: 6px 10px; border-radius: 3px; font-weight: 600; }}
QPlainTextEdit#console {{ background: {CONSOLE_BG}; color: {CONSOLE_FG}; border: 1px solid #0b0c0e;
                         selection-background-color: #3a4a6b; }}
QGroupBox {{ font-weight: 600; border: 1px solid #d0d4d9; border-radius: 3px; margin-top: 10px;
            padding-top: 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 3px; }}
QStatusBar {{ border-top: 1px solid #d0d4d9; }}
"""


def verdict_style(grade: str) -> str:
    fg = OK_FG if grade in ("same", "changed") else GRADE_FG[grade]
    bg = OK_BG if grade in ("same", "changed") else GRADE_BG[grade]
    return f"QLabel#verdict {{ color: {fg}; background: {bg}; border: 1px solid {fg}; }}"


def apply(app):
    """Fusion style, a light neutral palette and the stylesheet."""
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#eef0f2"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#fafbfc"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#cfe2ff"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#111111"))
    palette.setColor(QPalette.ColorRole.Button, QColor("#f6f7f8"))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
