"""A recorded take drawn as accelerometer and gyroscope plots with draggable trim handles (kept in step
across both plots). Used by the recorder (review) and the library (edit trim)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from studio.ui.live_plot import AXIS_COLOURS


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
        for row, (name, unit) in enumerate((("Accelerometer", "g"), ("Gyroscope", "deg/s"))):
            plot = self.graphics.addPlot(row=row, col=0)
            plot.setTitle(f"{title} · {name}" if title and row == 0 else name, size="9pt")
            plot.setLabel("left", unit)
            plot.getAxis("left").setWidth(52)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            region = pg.LinearRegionItem(brush=pg.mkBrush(77, 171, 247, 45))
            region.setZValue(10)
            region.sigRegionChanged.connect(self._sync_regions)
            plot.addItem(region)
            self._curves.append([plot.plot(pen=pg.mkPen(AXIS_COLOURS[k], width=1)) for k in range(3)])
            if self._plots:
                plot.setXLink(self._plots[0])
            self._plots.append(plot)
            self._regions.append(region)
        self._plots[-1].setLabel("bottom", "time", units="s")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.clear()

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

    def trim(self) -> tuple[int, int]:
        """The handles as ``(start, end)`` sample indices, ``0 <= start < end <= len``."""
        lo, hi = self._regions[0].getRegion()
        start = int(np.clip(round(lo * self._rate), 0, max(0, self._n - 1)))
        return start, int(np.clip(round(hi * self._rate), start + 1, max(1, self._n)))

    def set_trim_seconds(self, lo: float, hi: float) -> None:
        """Move the handles (tests, keyboard)."""
        self._regions[0].setRegion((lo, hi))
