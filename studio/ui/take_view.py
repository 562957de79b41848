"""A recorded take drawn as accelerometer and gyroscope plots with draggable trim handles (kept in step
across both plots). Used by the recorder (review) and the library (edit trim)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from studio.ui.theme import LINE_STYLE_NAMES, channel_pen, colours, font_scale, style_plot, theme_manager

KEY_STEP_S = 0.02  # one arrow key press moves a trim handle by 20 ms


class TakeView(QWidget):
    """Shows one take; :meth:`trim` reads the handles back as sample indices."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self._rate = 100.0
        self._n = 0
        self._plots: list[pg.PlotItem] = []
        self._regions: list[pg.LinearRegionItem] = []
        self._curves: list[list[pg.PlotDataItem]] = []
        self._titles: list[str] = []
        for row, (name, unit) in enumerate((("Accelerometer", "g"), ("Gyroscope", "deg/s"))):
            plot = self.graphics.addPlot(row=row, col=0)
            self._titles.append(f"{title} · {name}" if title and row == 0 else name)
            plot.setLabel("left", unit)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            region = pg.LinearRegionItem()
            region.setZValue(10)
            region.sigRegionChanged.connect(self._sync_regions)
            plot.addItem(region)
            self._curves.append([plot.plot(pen=channel_pen(k)) for k in range(3)])
            if self._plots:
                plot.setXLink(self._plots[0])
            self._plots.append(plot)
            self._regions.append(region)
        # One time axis for both plots, always in seconds: pyqtgraph's automatic SI prefix would switch
        # a short take to "ms" on one plot only. The upper plot's time labels repeat the lower one's
        # (the x axes are linked), so they are hidden rather than squeezed in.
        for plot in self._plots:
            plot.getAxis("bottom").enableAutoSIPrefix(False)
        self._plots[0].getAxis("bottom").setStyle(showValues=False)
        self._plots[-1].setLabel("bottom", "time", units="s")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        # The axes told apart by line style in words (a legend inside these small plots hides the data).
        self.key_label = QLabel("Lines: " + ", ".join(f"{a} {s}" for a, s in zip("xyz", LINE_STYLE_NAMES)))
        self.key_label.setObjectName("plotCaption")
        layout.addWidget(self.key_label)
        self.graphics.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the view, not the scene, takes the keys
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Take and its trim")
        self._regions[0].sigRegionChangeFinished.connect(self._describe_trim)
        self._restyle()
        theme_manager().changed.connect(self._restyle)
        self.clear()

    def _restyle(self) -> None:
        """Colours, line styles and text sizes of the current theme."""
        t = colours()
        self.graphics.setBackground(t.plot_bg)
        self.setMinimumHeight(round(220 * min(font_scale(), 1.6)))  # both plots readable, window < 1080 px
        accent = pg.mkColor(t.accent)
        for plot, title, region, curves in zip(self._plots, self._titles, self._regions, self._curves):
            style_plot(plot, title, "legend")
            plot.getAxis("left").setWidth(round(52 * font_scale()))
            accent.setAlpha(45)
            region.setBrush(pg.mkBrush(accent))
            for line in region.lines:  # the trim handles: solid lines, visible without the fill colour
                line.setPen(pg.mkPen(t.accent, width=2))
            for k, curve in enumerate(curves):
                curve.setPen(channel_pen(k))

    def _sync_regions(self, moved: pg.LinearRegionItem) -> None:
        span = moved.getRegion()
        for region in self._regions:
            if region is not moved and region.getRegion() != span:
                region.blockSignals(True)
                region.setRegion(span)
                region.blockSignals(False)

    def clear(self) -> None:
        self._n = 0
        for curves in self._curves:
            for c in curves:
                c.setData([], [])
        for region in self._regions:
            region.hide()

    def set_take(self, samples: np.ndarray, rate_hz: float, trim: tuple[int | None, int | None] = (None, None)) -> None:
        """Draw ``samples`` (T, C: canonical order, acc then gyro) with the handles at ``trim``."""
        x = np.asarray(samples, np.float32)
        self._rate, self._n = float(rate_hz), x.shape[0]
        t = np.arange(self._n) / self._rate
        for row, curves in enumerate(self._curves):
            for k, c in enumerate(curves):
                col = 3 * row + k
                if col < x.shape[1]:
                    c.setData(t, x[:, col])
                else:
                    c.setData([], [])
            self._plots[row].enableAutoRange()
        start = 0 if trim[0] is None else trim[0]
        end = self._n if trim[1] is None else trim[1]
        for region in self._regions:
            region.setBounds((0, t[-1] if self._n else 0))
            region.setRegion((start / self._rate, end / self._rate))
            region.show()
        self._describe_trim()

    def trim(self) -> tuple[int, int]:
        """The handles as ``(start, end)`` sample indices, ``0 <= start < end <= len``."""
        lo, hi = self._regions[0].getRegion()
        start = int(np.clip(round(lo * self._rate), 0, max(0, self._n - 1)))
        return start, int(np.clip(round(hi * self._rate), start + 1, max(1, self._n)))

    def set_trim_seconds(self, lo: float, hi: float) -> None:
        """Move the handles (tests, keyboard)."""
        self._regions[0].setRegion((lo, hi))
        self._describe_trim()

    # -- keyboard: Left/Right move the start handle, Shift+Left/Right the end (Ctrl: 10x the step) --
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(event.key()))
        if step is None or self._n == 0:
            super().keyPressEvent(event)
            return
        mods = event.modifiers()
        delta = step * (KEY_STEP_S * (10 if mods & Qt.KeyboardModifier.ControlModifier else 1))
        lo, hi = self._regions[0].getRegion()
        length = self._n / self._rate
        if mods & Qt.KeyboardModifier.ShiftModifier:
            hi = min(length, max(lo + 1 / self._rate, hi + delta))
        else:
            lo = max(0.0, min(hi - 1 / self._rate, lo + delta))
        self.set_trim_seconds(lo, hi)
        event.accept()

    def focusInEvent(self, event) -> None:  # noqa: ANN001, N802 (Qt API)
        self.graphics.setStyleSheet(f"border: 2px solid {colours().focus};")  # visible keyboard focus
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: ANN001, N802 (Qt API)
        self.graphics.setStyleSheet("")
        super().focusOutEvent(event)

    def _describe_trim(self) -> None:
        if self._n:
            start, end = self.trim()
            self.setAccessibleDescription(
                f"Trim from {start / self._rate:.2f} s to {end / self._rate:.2f} s of {self._n / self._rate:.2f} s. "
                "Left and Right move the start, with Shift the end; Ctrl moves ten times further.")
