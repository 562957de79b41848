"""Themes: contrast of every text colour, switching to high contrast and large text at once, visible
focus, a colour-blind-safe plot told apart by line style, and nothing in the live view told by colour alone."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget  # noqa: E402

from studio.signals.ringbuffer import RingBuffer  # noqa: E402
from studio.signals.stream import StreamInfo  # noqa: E402
from studio.ui import theme  # noqa: E402
from studio.ui.device_controller import DeviceController  # noqa: E402
from studio.ui.live_plot import LivePlot  # noqa: E402
from studio.ui.live_view import LiveView  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.project_model import ProjectModel  # noqa: E402
from studio.ui.recognition_service import RecognitionService  # noqa: E402
from studio.ui.settings import AppSettings, SettingsStore  # noqa: E402
from studio.ui.thumbnails import take_thumbnail  # noqa: E402


@pytest.fixture
def themed(qapp):
    """The application in the default look, put back after the test (one QApplication serves all tests)."""
    theme.apply_theme(qapp, False, 1.0)
    yield qapp
    theme.apply_theme(qapp, False, 1.0)


@pytest.fixture
def plot(qtbot, themed):
    widget = LivePlot(5.0)
    qtbot.addWidget(widget)
    info = StreamInfo(rate_hz=100.0, device="test")
    buffer = RingBuffer(2000, len(info.channels))
    t = np.arange(300) / 100.0
    buffer.push(t, np.column_stack([np.sin(t * (k + 1)) for k in range(len(info.channels))]))
    widget.set_stream(info, buffer)
    widget.resize(800, 500)
    widget.show()
    widget.refresh()
    return widget


def test_contrast_ratio_matches_wcag():
    assert theme.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert theme.contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    assert theme.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey


@pytest.mark.parametrize("t", [theme.DARK, theme.HIGH_CONTRAST], ids=lambda t: t.name)
def test_every_text_colour_meets_the_theme_contrast(t):
    low = [(fg, bg, round(theme.contrast_ratio(getattr(t, fg), getattr(t, bg)), 2))
           for fg, bg in t.text_pairs() if theme.contrast_ratio(getattr(t, fg), getattr(t, bg)) < t.min_contrast]
    assert low == []
    assert len(t.text_pairs()) >= 40


def test_high_contrast_is_aaa_with_yellow_focus_and_readable_disabled_text():
    t = theme.HIGH_CONTRAST
    assert t.min_contrast >= 7.0
    assert (t.window, t.text, t.focus) == ("#000000", "#ffffff", "#ffff00")
    assert t.focus_width >= 2 and theme.DARK.focus_width >= 2
    assert min(theme.contrast_ratio(t.disabled, getattr(t, bg)) for bg in ("window", "base", "button")) >= 4.5


@pytest.mark.parametrize("t", [theme.DARK, theme.HIGH_CONTRAST], ids=lambda t: t.name)
def test_plot_channels_stand_out_and_differ_in_line_style(t):
    assert len(set(t.channels)) == 3
    assert all(theme.contrast_ratio(c, t.plot_bg) >= 3.0 for c in t.channels)  # WCAG non-text contrast
    assert len(set(theme.LINE_STYLES)) == 3


@pytest.mark.parametrize("t", [theme.DARK, theme.HIGH_CONTRAST], ids=lambda t: t.name)
def test_stylesheet_gives_every_focusable_kind_a_focus_rule(t):
    css = theme.stylesheet(t)
    for selector in ("QPushButton:focus", "QLineEdit:focus", "QAbstractSpinBox:focus", "QComboBox:focus",
                     "QListView:focus", "QCheckBox:focus", "QSlider:focus", "QTabBar::tab:selected:focus"):
        assert selector in css
    assert f"{t.focus_width}px solid {t.focus}" in css


def test_focused_button_shows_a_focus_rectangle(qtbot, themed):
    theme.apply_theme(themed, True, 1.0)
    host = QWidget()
    layout = QVBoxLayout(host)
    button, other = QPushButton("Record"), QLineEdit()
    layout.addWidget(button)
    layout.addWidget(other)
    qtbot.addWidget(host)
    host.show()
    host.activateWindow()
    qtbot.waitExposed(host)
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    unfocused = button.grab().toImage()
    button.setFocus()
    qtbot.waitUntil(button.hasFocus)
    focused = button.grab().toImage()
    yellow = QColor(theme.HIGH_CONTRAST.focus).rgb()

    def count(image) -> int:  # noqa: ANN001
        return sum(image.pixel(x, y) == yellow for x in range(image.width()) for y in range(image.height()))

    assert count(unfocused) == 0
    assert count(focused) >= 2 * (button.width() + button.height())  # at least a 1-px ring, in fact 3 px


def test_switching_applies_palette_plots_and_text_size_at_once(plot, themed):
    label = QLabel("ok")
    theme.set_role(label, "ok")
    label.ensurePolished()
    assert label.palette().color(QPalette.ColorRole.WindowText) == QColor(theme.DARK.ok)
    base_pt = themed.font().pointSizeF()
    assert plot.graphics.backgroundBrush().color() == QColor(theme.DARK.plot_bg)

    theme.apply_theme(themed, True, 2.0)

    assert themed.palette().color(QPalette.ColorRole.Window) == QColor("#000000")
    assert themed.palette().color(QPalette.ColorRole.WindowText) == QColor("#ffffff")
    assert plot.graphics.backgroundBrush().color() == QColor("#000000")
    axis = plot.plots[0].getAxis("left")
    assert axis.textPen().color() == QColor("#ffffff")
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(2 * base_pt)
    assert themed.font().pointSizeF() == pytest.approx(2 * base_pt)
    assert plot.plots[0].titleLabel.opts["size"] == "20.0pt"
    assert plot.plots[0].legend.opts["labelTextSize"] == "18.0pt"
    label.ensurePolished()
    assert label.palette().color(QPalette.ColorRole.WindowText) == QColor(theme.HIGH_CONTRAST.ok)
    assert "font-size: 44.0pt" in themed.styleSheet()  # the big result label scales too
    assert [c.opts["pen"].color() for _, c in plot._curves[:3]] == [QColor(c) for c in theme.HIGH_CONTRAST.channels]

    theme.apply_theme(themed, False, 1.0)
    assert themed.font().pointSizeF() == pytest.approx(base_pt)
    assert plot.graphics.backgroundBrush().color() == QColor(theme.DARK.plot_bg)


def test_font_scale_is_clamped_to_the_setting_bounds(themed):
    base = themed.property("studio_base_pt")
    theme.apply_theme(themed, False, 9.0)
    assert themed.font().pointSizeF() == pytest.approx(2.5 * base)
    theme.apply_theme(themed, False, 0.1)
    assert themed.font().pointSizeF() == pytest.approx(0.8 * base)


def test_xyz_curves_differ_in_pen_style_and_legend_text(plot):
    accel = [curve for idx, curve in plot._curves if idx in plot._groups[0]]
    styles = [c.opts["pen"].style() for c in accel]
    assert styles == [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine]
    names = [c.name() for c in accel]
    assert names == ["x (solid)", "y (dashed)", "z (dotted)"]
    legend_texts = [label.text for _, label in plot.plots[0].legend.items]
    assert legend_texts == names


def test_trimmed_thumbnail_marks_the_trim_with_lines(themed):
    samples = np.random.default_rng(0).normal(size=(100, 6))
    image = take_thumbnail(samples, (20, 80), width=100, height=40).toImage()
    accent = QColor(theme.DARK.accent).rgb()
    column = [image.pixel(20, y) == accent for y in range(40)]
    assert sum(column) >= 30  # a vertical mark at the trim start, not only a shaded background


def test_live_view_marks_the_winner_and_log_lines_without_colour(qtbot, themed):
    controller = DeviceController()
    service = RecognitionService(ProjectModel(), controller)
    view = LiveView(service, controller, AppSettings())
    qtbot.addWidget(view)
    service.recogniser = SimpleNamespace(classes=["wave", "circle"], sensitivity=0.5,
                                         class_info=lambda name: {"from_text_only": name == "circle"})
    service.classes_changed.emit()
    service.event.emit(SimpleNamespace(gesture="wave", confidence=0.92, latency_s=0.05,
                                       scores={"wave": 0.92, "circle": 0.3}))
    label, bar = view._bars["wave"]
    other_label, other_bar = view._bars["circle"]
    assert "▶ wave" in label.text() and "<b>" in label.text()
    assert "▶" not in other_label.text() and "from text only" in other_label.text()
    assert "92 % ✔ recognised" in view._values["wave"].text() and view._values["circle"].text() == "30 %"
    assert bar.property("role") == "winner" and other_bar.property("role") != "winner"
    assert view.log.item(0).text().split("  ", 1)[1].startswith("✔ wave")
    service.candidate.emit(SimpleNamespace(reason="rejected", scores={"wave": 0.4, "circle": 0.2}))
    assert view.log.item(0).text().split("  ", 1)[1].startswith("✖ movement, none of these")
    assert view.result_label.text() == "none of these"
    assert "▶" not in view._bars["wave"][0].text()

    theme.apply_theme(themed, True, 1.0)  # coloured log lines follow the theme
    assert view.log.item(0).foreground().color() == QColor(theme.HIGH_CONTRAST.faint)
    assert view.log.item(1).foreground().color() == QColor(theme.HIGH_CONTRAST.ok)


def test_preferences_switch_the_running_window_and_are_remembered(qtbot, themed, tmp_path):
    window = MainWindow(SettingsStore(tmp_path / "cfg"))
    qtbot.addWidget(window)
    base_pt = themed.property("studio_base_pt")
    window.apply_settings(replace(window.settings, high_contrast=True, font_scale=2.0))
    assert themed.palette().color(QPalette.ColorRole.Window) == QColor("#000000")
    assert window.plot.graphics.backgroundBrush().color() == QColor("#000000")
    assert themed.font().pointSizeF() == pytest.approx(2 * base_pt)
    assert window.armed_status.property("role") == "armed"
    again = SettingsStore(tmp_path / "cfg").load()
    assert again.high_contrast and again.font_scale == 2.0
    window.apply_settings(replace(window.settings, high_contrast=False, font_scale=1.0))
    assert themed.palette().color(QPalette.ColorRole.Window) == QColor(theme.DARK.window)
    window.controller.disconnect_device()
