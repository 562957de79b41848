"""The studio's look: named colour roles for two themes (dark, high contrast), a text scale, and the
palette, stylesheet and pyqtgraph defaults made from them.

Widgets never spell a colour. They either give a label a text role (:func:`set_role`; the application
stylesheet colours it, so a theme switch re-colours it at once), or read :func:`colours` when they draw
and redraw on :attr:`ThemeManager.changed` (plots, painted thumbnails, coloured list items).
``apply_theme(app, high_contrast, font_scale)`` switches the running application.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette, QPen
from PySide6.QtWidgets import QApplication, QWidget

TEXT_ROLES = ("text", "muted", "faint", "ok", "warning", "error", "busy", "accent")
LINE_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine)  # x, y, z: not colour alone
LINE_STYLE_NAMES = ("solid", "dashed", "dotted")
BASE_PT = {"big": 22.0, "headline": 13.0, "placeholder": 12.0, "plot_title": 10.0, "legend": 9.0}


@dataclass(frozen=True)
class Theme:
    """Colour roles (``#rrggbb``). Text roles must meet ``min_contrast`` on every background role."""

    name: str
    min_contrast: float
    window: str
    panel: str
    base: str
    button: str
    button_hover: str
    border: str
    text: str
    muted: str
    faint: str
    disabled: str
    accent: str
    ok: str
    warning: str
    error: str
    busy: str
    focus: str
    highlight: str
    highlight_text: str
    primary: str
    primary_text: str
    primary_disabled: str
    badge_bg: str
    armed_bg: str
    armed_text: str
    plot_bg: str
    plot_fg: str
    plot_grid: str
    trim_bg: str
    progress: str
    score_bar: str
    winner_bar: str
    channels: tuple[str, str, str]
    focus_width: int = 2

    def text_pairs(self) -> list[tuple[str, str]]:
        """Every (text role, background role) pair the UI draws, for the contrast check."""
        backgrounds = ("window", "panel", "base", "button", "plot_bg")
        pairs = [(fg, bg) for fg in TEXT_ROLES for bg in backgrounds]
        return pairs + [("highlight_text", "highlight"), ("primary_text", "primary"), ("armed_text", "armed_bg"),
                        ("warning", "badge_bg"), ("plot_fg", "plot_bg"),
                        ("text", "progress")]  # progress text runs over the filled part


DARK = Theme(
    name="dark", min_contrast=4.5,
    window="#1e2228", panel="#252a31", base="#171a1f", button="#2f353e", button_hover="#38404a",
    border="#3a414b", text="#dfe3e8", muted="#aab2bd", faint="#969ea6", disabled="#6b7280",
    accent="#4dabf7", ok="#51cf66", warning="#ffd43b", error="#ff8787", busy="#f59f00", focus="#74c0fc",
    highlight="#1971c2", highlight_text="#ffffff", primary="#1971c2", primary_text="#ffffff",
    primary_disabled="#26435e", badge_bg="#5c4813", armed_bg="#c92a2a", armed_text="#ffffff",
    plot_bg="#15181d", plot_fg="#c8ccd2", plot_grid="#3a414b", trim_bg="#243447", progress="#1864ab",
    score_bar="#4dabf7", winner_bar="#51cf66",
    channels=("#e69f00", "#56b4e9", "#009e73"),  # Okabe–Ito orange, sky blue, bluish green
)

HIGH_CONTRAST = Theme(
    name="high-contrast", min_contrast=7.0,
    window="#000000", panel="#000000", base="#000000", button="#000000", button_hover="#262626",
    border="#ffffff", text="#ffffff", muted="#ffffff", faint="#d0d0d0", disabled="#a0a0a0",
    accent="#ffff00", ok="#66ff66", warning="#ffff00", error="#ff8c8c", busy="#ffcc00", focus="#ffff00",
    highlight="#ffff00", highlight_text="#000000", primary="#000000", primary_text="#ffffff",
    primary_disabled="#000000", badge_bg="#000000", armed_bg="#a00000", armed_text="#ffffff",
    plot_bg="#000000", plot_fg="#ffffff", plot_grid="#808080", trim_bg="#333300", progress="#595959",
    score_bar="#ffffff", winner_bar="#ffff00",
    channels=("#ffb000", "#56b4e9", "#33e0a0"),
    focus_width=3,
)


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    c = QColor(colour)

    def lin(v: int) -> float:
        s = v / 255.0
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.red()) + 0.7152 * lin(c.green()) + 0.0722 * lin(c.blue())


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1.0 to 21.0 (order does not matter)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class ThemeManager(QObject):
    """The running application's theme and text scale; ``changed`` is emitted after every switch.
    One per QApplication (a child of it), found with :func:`theme_manager`."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("studioThemeManager")
        self.theme: Theme = DARK
        self.font_scale = 1.0
        self.applied = False


def theme_manager() -> ThemeManager:
    """The running application's :class:`ThemeManager` (made on first use)."""
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("no QApplication: create one before theming")
    manager = app.findChild(ThemeManager, "studioThemeManager")
    if manager is None:
        manager = ThemeManager(app)
    return manager


def colours() -> Theme:
    """The colour roles in use now (the dark theme when there is no application yet)."""
    return theme_manager().theme if QApplication.instance() is not None else DARK


def font_scale() -> float:
    """The current text size factor (1.0 without a running application)."""
    return theme_manager().font_scale if QApplication.instance() is not None else 1.0


def pt(key: str) -> float:
    """A named text size (see ``BASE_PT``), scaled by the text size setting."""
    return round(BASE_PT[key] * font_scale(), 1)


def set_role(widget: QWidget, role: str) -> None:
    """Colour ``widget``'s text by a role (``ok``, ``error``, …, or ``armed`` for the armed badge); the
    stylesheet does the colouring, so theme switches apply without the widget's help."""
    if widget.property("role") == role:
        return
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def span(text: str, role: str, bold: bool = False) -> str:
    """Rich text coloured by a role (for labels that mix roles; re-render them on ``changed``)."""
    weight = "font-weight:bold;" if bold else ""
    return f"<span style='color:{getattr(colours(), role)};{weight}'>{text}</span>"


def stylesheet(t: Theme, scale: float = 1.0) -> str:
    """The application stylesheet for theme ``t`` with text scaled by ``scale``."""
    fw = t.focus_width
    edit_border = 2 if t is HIGH_CONTRAST else 1
    roles = "\n".join(f'QLabel[role="{r}"] {{ color: {getattr(t, r)}; }}' for r in TEXT_ROLES)
    return f"""
QGroupBox {{ border: 1px solid {t.border}; border-radius: 6px; margin-top: {round(14 * scale)}px;
  padding: 8px 6px 6px 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {t.muted}; font-weight: bold; }}
QPushButton {{ padding: 4px 10px; border-radius: 4px; border: {edit_border}px solid {t.border};
  background: {t.button}; color: {t.text}; }}
QPushButton:hover {{ background: {t.button_hover}; }}
QPushButton:checked {{ background: {t.button_hover}; border-color: {t.accent}; }}
QPushButton:disabled {{ color: {t.disabled}; background: {t.base}; border-style: dashed; }}
QPushButton#primary {{ background: {t.primary}; border-color: {t.primary if t is DARK else t.text};
  color: {t.primary_text}; font-weight: bold; }}
QPushButton#primary:disabled {{ background: {t.primary_disabled}; color: {t.disabled}; }}
QPushButton:focus, QPushButton#primary:focus, QToolButton:focus {{ border: {fw}px solid {t.focus};
  padding: {4 - fw + edit_border}px {10 - fw + edit_border}px; }}
QLineEdit, QAbstractSpinBox, QComboBox, QPlainTextEdit, QTextEdit {{ border: {edit_border}px solid {t.border};
  border-radius: 3px; padding: 2px 4px; background: {t.base}; color: {t.text};
  selection-background-color: {t.highlight}; selection-color: {t.highlight_text}; }}
QLineEdit:focus, QAbstractSpinBox:focus, QComboBox:focus, QPlainTextEdit:focus, QTextEdit:focus {{
  border: {fw}px solid {t.focus}; padding: {2 - fw + edit_border}px {4 - fw + edit_border}px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ width: {round(16 * scale)}px; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: {round(13 * scale)}px; height: {round(13 * scale)}px;
  border: {edit_border}px solid {t.text}; background: {t.base}; }}
QRadioButton::indicator {{ border-radius: {round(7 * scale)}px; }}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{ background: {t.accent};
  border: {edit_border + 2}px solid {t.base}; outline: none; }}
QCheckBox::indicator:disabled {{ border-style: dashed; border-color: {t.disabled}; }}
QSlider::groove:horizontal {{ height: {round(4 * scale)}px; background: {t.border}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {t.accent}; border-radius: 2px; }}
QSlider::handle:horizontal {{ width: {round(12 * scale)}px; margin: -{round(6 * scale)}px 0; border-radius: 3px;
  background: {t.text}; border: 1px solid {t.base}; }}
QListView, QTreeView, QTableView {{ border: {edit_border}px solid {t.border}; }}
QListView:focus, QTreeView:focus, QTableView:focus {{ border: {fw}px solid {t.focus}; }}
QListView::indicator, QTreeView::indicator, QTableView::indicator {{ width: {round(12 * scale)}px;
  height: {round(12 * scale)}px; border: {edit_border}px solid {t.text}; background: {t.base}; }}
QListView::indicator:checked, QTreeView::indicator:checked, QTableView::indicator:checked {{
  background: {t.accent}; }}
QListView::indicator:selected, QTreeView::indicator:selected {{ border-color: {t.highlight_text};
  background: {t.highlight}; }}
QListView::indicator:checked:selected, QTreeView::indicator:checked:selected {{ background: {t.highlight_text}; }}
QListView::item:selected, QTreeView::item:selected, QTableView::item:selected {{
  background: {t.highlight}; color: {t.highlight_text}; }}
QCheckBox, QRadioButton {{ padding: {fw}px; border: {fw}px solid transparent; border-radius: 3px; }}
QCheckBox:focus, QRadioButton:focus {{ border: {fw}px solid {t.focus}; }}
QSlider {{ border: {fw}px solid transparent; border-radius: 3px; }}
QSlider:focus {{ border: {fw}px solid {t.focus}; }}
QTabBar::tab {{ padding: 6px 14px; border: {fw}px solid transparent; }}
QTabBar::tab:selected {{ border-bottom: {fw + 1}px solid {t.accent}; font-weight: bold; }}
QTabBar::tab:selected:focus {{ border: {fw}px solid {t.focus}; }}
QMenu::item:selected, QMenuBar::item:selected {{ background: {t.highlight}; color: {t.highlight_text}; }}
QLabel#deviceMessage {{ color: {t.muted}; }}
QLabel#statePill {{ font-weight: bold; }}
QLabel#plotCaption {{ color: {t.muted}; padding-left: 4px; }}
QLabel#plotPlaceholder {{ color: {t.muted}; font-size: {BASE_PT['placeholder'] * scale:.1f}pt;
  background: {t.plot_bg}; }}
QLabel#bigLabel {{ font-size: {BASE_PT['big'] * scale:.1f}pt; font-weight: bold; }}
QLabel#qualityHeadline {{ font-size: {BASE_PT['headline'] * scale:.1f}pt; font-weight: bold; }}
QStatusBar QLabel {{ padding: 0 8px; color: {t.muted}; }}
QDockWidget::title {{ padding: 4px 8px; background: {t.panel}; }}
QProgressBar {{ border: 1px solid {t.border}; border-radius: 3px; background: {t.base}; color: {t.text};
  text-align: center; }}
QProgressBar::chunk {{ background: {t.progress}; border-radius: 2px; }}
QProgressBar[role="score"]::chunk {{ background: {t.score_bar}; }}
QProgressBar[role="winner"] {{ border: {fw}px solid {t.winner_bar}; font-weight: bold; }}
QProgressBar[role="winner"]::chunk {{ background: {t.winner_bar}; }}
QToolTip {{ color: {t.text}; background: {t.panel}; border: 1px solid {t.border}; }}
{roles}
QLabel[role="armed"] {{ background: {t.armed_bg}; color: {t.armed_text}; font-weight: bold; padding: 3px 10px;
  border-radius: 4px; border: {edit_border}px solid {t.armed_text}; }}
"""


def make_palette(t: Theme) -> QPalette:
    """A Fusion palette from the theme's roles."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: t.window, QPalette.ColorRole.WindowText: t.text,
        QPalette.ColorRole.Base: t.base, QPalette.ColorRole.AlternateBase: t.panel,
        QPalette.ColorRole.ToolTipBase: t.panel, QPalette.ColorRole.ToolTipText: t.text,
        QPalette.ColorRole.Text: t.text, QPalette.ColorRole.Button: t.button,
        QPalette.ColorRole.ButtonText: t.text, QPalette.ColorRole.BrightText: t.error,
        QPalette.ColorRole.Highlight: t.highlight, QPalette.ColorRole.HighlightedText: t.highlight_text,
        QPalette.ColorRole.Link: t.accent, QPalette.ColorRole.PlaceholderText: t.disabled,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(t.disabled))
    return palette


def plot_font(key: str | None = None) -> QFont:
    """The application font (or a named size from ``BASE_PT``) for pyqtgraph text."""
    font = QFont(QApplication.font())
    if key is not None:
        font.setPointSizeF(pt(key))
    return font


def ensure_theme(high_contrast: bool | None = None, scale: float | None = None) -> None:
    """Theme the running QApplication: once with the defaults (windows made by tests or embedders look
    the same), or with the given look when it differs from the current one."""
    app = QApplication.instance()
    if app is None:
        return
    manager = theme_manager()
    hc = (manager.theme is HIGH_CONTRAST) if high_contrast is None else bool(high_contrast)
    fs = manager.font_scale if scale is None else float(scale)
    if not manager.applied or (HIGH_CONTRAST if hc else DARK) is not manager.theme or fs != manager.font_scale:
        apply_theme(app, hc, fs)


def apply_theme(app: QApplication | None = None, high_contrast: bool = False, font_scale: float = 1.0) -> Theme:
    """Switch the running application to a theme and text scale, at once: palette, font, stylesheet,
    pyqtgraph defaults; then ``theme_manager().changed`` lets plots and painted widgets redraw."""
    app = app or QApplication.instance()
    manager = theme_manager()
    t = HIGH_CONTRAST if high_contrast else DARK
    scale = min(2.5, max(0.8, float(font_scale)))
    base_pt = app.property("studio_base_pt")
    if base_pt is None:
        base_pt = app.font().pointSizeF() if app.font().pointSizeF() > 0 else 9.0
        app.setProperty("studio_base_pt", base_pt)
    manager.theme, manager.font_scale, manager.applied = t, scale, True
    app.setProperty("studio_themed", True)
    app.setStyle("Fusion")
    app.setPalette(make_palette(t))
    font = QFont(app.font())
    font.setPointSizeF(float(base_pt) * scale)
    app.setFont(font)
    app.setStyleSheet(stylesheet(t, scale))
    pg.setConfigOptions(background=t.plot_bg, foreground=t.plot_fg)
    manager.changed.emit()
    return t


def style_plot(plot: pg.PlotItem, title: str | None = None, title_key: str = "plot_title") -> None:
    """Re-colour and re-size one pyqtgraph plot's axes, title and legend for the current theme."""
    t = colours()
    tick_font = plot_font()
    label_size = f"{tick_font.pointSizeF():.1f}pt"
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(t.plot_fg))
        axis.setTextPen(pg.mkPen(t.plot_fg))
        axis.setTickFont(tick_font)
        if axis.labelText or axis.labelUnits:
            axis.setLabel(axis.labelText, units=axis.labelUnits, color=t.plot_fg, **{"font-size": label_size})
    if title is not None:
        plot.setTitle(title, color=t.plot_fg, size=f"{pt(title_key)}pt")
        height = max(30, round(30 * font_scale()))  # pyqtgraph fixes the title row at 30 px
        plot.titleLabel.setMaximumHeight(height)
        plot.layout.setRowFixedHeight(0, height)
    legend = plot.legend
    if legend is not None:
        bg = QColor(t.plot_bg)
        legend.setBrush(pg.mkBrush(bg.red(), bg.green(), bg.blue(), 220))
        legend.setPen(pg.mkPen(t.plot_grid))
        legend.setLabelTextColor(t.plot_fg)
        legend.setLabelTextSize(f"{pt('legend')}pt")
        for _, label in legend.items:  # the attributes above apply from the next setText
            label.setText(label.text)
        legend.updateSize()


def channel_pen(k: int, width: float = 1) -> QPen:
    """The pen of axis ``k`` (x, y, z, then again): a colour-blind-safe colour and a line style."""
    pen = QPen(QColor(colours().channels[k % 3]), width)
    pen.setStyle(LINE_STYLES[k % 3])
    pen.setCosmetic(True)
    return pen


def channel_legend(axis: str, k: int) -> str:
    """Legend text naming the axis and its line style, so the legend does not rely on colour."""
    return f"{axis} ({LINE_STYLE_NAMES[k % 3]})"
