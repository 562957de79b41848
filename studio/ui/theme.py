"""The studio's look: Fusion style with a dark palette that matches the plots."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#1e2228"
PANEL = "#252a31"
TEXT = "#dfe3e8"
ACCENT = "#4dabf7"

STYLESHEET = f"""
QGroupBox {{ border: 1px solid #3a414b; border-radius: 6px; margin-top: 14px; padding: 8px 6px 6px 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #aab2bd; font-weight: bold; }}
QPushButton {{ padding: 4px 10px; border-radius: 4px; border: 1px solid #3a414b; background: #2f353e; }}
QPushButton:hover {{ background: #38404a; }}
QPushButton:disabled {{ color: #6b7280; background: #262b32; }}
QPushButton#primary {{ background: #1c7ed6; border-color: #1c7ed6; color: white; }}
QPushButton#primary:disabled {{ background: #26435e; color: #8aa4bd; }}
QLabel#deviceMessage {{ color: #aab2bd; }}
QLabel#plotCaption {{ color: #aab2bd; padding-left: 4px; }}
QLabel#bigLabel {{ font-size: 22pt; font-weight: bold; }}
QTabBar::tab {{ padding: 6px 14px; }}
QStatusBar QLabel {{ padding: 0 8px; color: #aab2bd; }}
QDockWidget::title {{ padding: 4px 8px; background: {PANEL}; }}
"""


def ensure_theme() -> None:
    """Theme the running QApplication once (windows made by tests or embedders look the same)."""
    app = QApplication.instance()
    if app is not None and not app.property("studio_themed"):
        apply_theme(app)


def apply_theme(app: QApplication) -> None:
    """Fusion + a dark palette + a small stylesheet."""
    app.setProperty("studio_themed", True)
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: "#171a1f",
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#2f353e",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#1c7ed6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: "#6b7280",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7280"))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
