"""Live signal plot: one pyqtgraph plot per quantity (accelerometer, gyroscope, …), redrawn from a timer.

Channels are grouped by unit, so a 6-axis IMU gives two plots and a 9-axis one (with a magnetometer)
three. Curves are made once per stream and updated with ``setData(skipFiniteCheck=True)``.

Measured with ``studio bench plot`` (9 channels x 200 Hz, offscreen), each of these mattered:
- axes are cached as pixmaps and there is no full grid (a faint zero line instead): replaying the
  axes' grid pictures every frame cost more than all the curves together;
- the y range follows the data with hysteresis instead of pyqtgraph's per-frame auto-range;
- plain ``PlotCurveItem``s, with clipping to the view (only the window is read from the ring buffer)
  and peak downsampling (min/max per pixel column) done once for all channels in numpy:
  ``PlotDataItem`` does both per curve and cost about a third of the budget.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox, QGraphicsItem, QHBoxLayout, QLabel, QPushButton, QStackedLayout, QVBoxLayout, QWidget,
)

from studio.signals.ringbuffer import RingBuffer
from studio.signals.stream import StreamInfo
from studio.ui.theme import channel_legend, channel_pen, colours, font_scale, pt, span, style_plot, theme_manager

pg.setConfigOptions(antialias=False, useOpenGL=False)

QUANTITY_NAMES = {"g": "Accelerometer", "deg/s": "Gyroscope", "rad/s": "Gyroscope", "uT": "Magnetometer",
                  "µT": "Magnetometer"}


class WindowCurve(pg.PlotCurveItem):
    """A curve whose bounding rectangle is set by its plot (the visible time window and y range),
    instead of being recomputed from the data after every ``setData``: Qt asks for it several times per
    frame and pyqtgraph's version scans the data each time. Drawing is clipped to the view anyway."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self._bounds = QRectF()

    def set_bounds(self, rect: QRectF) -> None:
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._bounds


def group_channels(info: StreamInfo) -> list[tuple[str, str, list[int]]]:
    """``[(title, unit, channel indices)]``: one group per unit, in first-seen order."""
    groups: dict[str, list[int]] = {}
    for i, unit in enumerate(info.units):
        groups.setdefault(unit, []).append(i)
    return [(QUANTITY_NAMES.get(unit, "Signal" if not unit else unit), unit, idx) for unit, idx in groups.items()]


def peak_downsample(t: np.ndarray, x: np.ndarray, width_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the min and max of each run of samples that falls on one pixel column, so spikes stay
    visible; returns the input unchanged when there are fewer than two samples per pixel."""
    n = t.shape[0]
    step = n // max(1, width_px)
    if step < 2:
        return t, x
    m = (n // step) * step
    blocks = x[n - m:].reshape(m // step, step, x.shape[1])
    out = np.empty((2 * (m // step), x.shape[1]), x.dtype)
    out[0::2] = blocks.min(axis=1)
    out[1::2] = blocks.max(axis=1)
    tb = t[n - m:].reshape(m // step, step)
    return np.column_stack([tb[:, 0], tb[:, -1]]).reshape(-1), out


def _label(channel: str) -> str:
    prefix, _, axis = channel.rpartition("_")
    return f"{axis}" if prefix else channel


class LivePlot(QWidget):
    """Plots the newest ``time_window_s`` seconds of a ring buffer; ``refresh()`` redraws.

    ``paused_changed(bool)`` is emitted when the user pauses or resumes. While paused (or while a
    recorded take is shown with :meth:`show_clip`), refreshes leave the curves alone.
    """

    paused_changed = Signal(bool)

    def __init__(self, time_window_s: float = 10.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.time_window_s = float(time_window_s)
        self.paused = False
        self.frames = 0  # redraws done (the benchmark reads this)
        self._clip_shown = False
        self._clip_seconds = 0.0
        self._written_at_draw = -1
        self._info: StreamInfo | None = None
        self._buffer: RingBuffer | None = None
        self._curves: list[tuple[int, WindowCurve]] = []
        self._plots: list[pg.PlotItem] = []
        self._groups: list[list[int]] = []
        self._titles: list[str] = []
        self._missing: list[bool] = []
        self._y_ranges: list[tuple[float, float] | None] = []

        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        # Ctrl+P (View menu), not Space: Space must keep activating the focused control
        self.pause_button.setToolTip("Freeze the plot (the stream keeps running) — Ctrl+P")
        self.pause_button.toggled.connect(self.set_paused)
        self.window_spin = QDoubleSpinBox()
        self.window_spin.setRange(1.0, 60.0)
        self.window_spin.setSuffix(" s")
        self.window_spin.setDecimals(0)
        self.window_spin.setValue(self.time_window_s)
        self.window_spin.setToolTip("How many seconds of signal the plot shows")
        self.window_spin.valueChanged.connect(self.set_time_window)
        self.window_spin.setAccessibleName("Plot time window in seconds")
        self.caption = QLabel("No stream")
        self.caption.setObjectName("plotCaption")

        bar = QHBoxLayout()
        bar.addWidget(self.caption, 1)
        bar.addWidget(QLabel("Window"))
        bar.addWidget(self.window_spin)
        bar.addWidget(self.pause_button)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setSpacing(6)
        self.placeholder = QLabel("No signal yet.\n\nChoose a device in the Device panel and press Connect,\n"
                                  "or pick the Simulated IMU to try everything without hardware.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("plotPlaceholder")
        self.placeholder.setWordWrap(True)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addLayout(self.stack, 1)
        self.graphics.setBackground(colours().plot_bg)
        theme_manager().changed.connect(self._restyle)

    @property
    def plots(self) -> list[pg.PlotItem]:
        return list(self._plots)

    def set_stream(self, info: StreamInfo, buffer: RingBuffer) -> None:
        """Plot ``buffer`` (channels described by ``info``); rebuilds the plots for its channel groups."""
        self._info, self._buffer = info, buffer
        self._written_at_draw = -1
        self._build(info)
        rate = f"{info.rate_hz:g} Hz" if info.rate_hz else "rate unknown"
        self.caption.setText(f"{info.device} · {len(info.channels)} channels · {rate}")

    def _build(self, info: StreamInfo) -> None:
        self.stack.setCurrentWidget(self.graphics)
        self.graphics.clear()
        self._curves, self._plots = [], []
        self._groups = [indices for _, _, indices in group_channels(info)]
        self._titles = [f"<b>{title}</b>" for title, _, _ in group_channels(info)]
        self._missing = [False] * len(self._groups)
        self._y_ranges = [None] * len(self._groups)
        previous = None
        for row, (title, unit, indices) in enumerate(group_channels(info)):
            plot = self.graphics.addPlot(row=row, col=0)
            plot.setLabel("left", unit or "value")
            plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen(colours().plot_grid, width=1)))
            plot.setMouseEnabled(x=False, y=True)
            plot.setXRange(-self.time_window_s, 0, padding=0)
            plot.disableAutoRange()
            plot.hideButtons()
            plot.getAxis("left").setWidth(round(52 * font_scale()))  # equal widths keep time axes aligned
            for name in ("left", "bottom"):
                # Axes change only when a range does: paint them from a cached pixmap instead of
                # replaying their QPicture every frame.
                plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            legend = plot.addLegend(offset=(8, 4), colCount=len(indices), labelTextSize="9pt")
            for item in (legend, plot.titleLabel):  # static text: draw it once, then blit
                item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            for k, idx in enumerate(indices):
                curve = WindowCurve(pen=channel_pen(k), name=channel_legend(_label(info.channels[idx]), k),
                                    skipFiniteCheck=True)
                plot.addItem(curve)
                self._curves.append((idx, curve))
            if previous is not None:
                plot.setXLink(previous)
            previous = plot
            self._plots.append(plot)
        if self._plots:
            self._plots[-1].setLabel("bottom", "time", units="s")
        self._restyle()

    def set_paused(self, paused: bool) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        if not paused and self._clip_shown:
            self._clip_shown = False
            self._written_at_draw = -1
            for plot in self._plots:
                plot.setXRange(-self.time_window_s, 0, padding=0)
            if self._info is not None and self._buffer is not None:
                self.set_stream(self._info, self._buffer)
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.blockSignals(False)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.paused_changed.emit(paused)

    def set_time_window(self, seconds: float) -> None:
        self.time_window_s = float(seconds)
        if self.window_spin.value() != seconds:
            self.window_spin.setValue(seconds)
        for k, plot in enumerate(self._plots):
            plot.setXRange(-self.time_window_s, 0, padding=0)
            self._set_curve_bounds(k)

    def refresh(self) -> None:
        """Redraw from the buffer; cheap enough for every GUI timer tick."""
        if self.paused or self._clip_shown or self._buffer is None or not self._curves:
            return
        if self._buffer.written == self._written_at_draw:
            return  # nothing new since the last frame (e.g. a BLE device sending bursts)
        rate = self._info.rate_hz if self._info and self._info.rate_hz else 100.0
        t, x = self._buffer.latest_view(int(self.time_window_s * rate) + 2)
        if t.shape[0] < 2:
            return
        self._written_at_draw = self._buffer.written
        rel, shown = peak_downsample(t - t[-1], x, self._pixel_width())
        finite = np.isfinite(shown)
        all_finite, any_finite = finite.all(axis=0), finite.any(axis=0)
        for idx, curve in self._curves:
            if all_finite[idx]:
                curve.setData(rel, shown[:, idx], skipFiniteCheck=True)
            elif any_finite[idx]:  # gaps (NaN) in this channel: draw the pieces between them
                curve.setData(rel, shown[:, idx], connect="finite")
            else:  # a channel this device does not measure
                curve.setData([], [])
        self._mark_missing(any_finite)
        self._fit_y(shown)
        self.frames += 1

    def _mark_missing(self, present: np.ndarray) -> None:
        for k, (plot, indices) in enumerate(zip(self._plots, self._groups)):
            missing = not present[indices].any()
            if missing != self._missing[k]:
                self._missing[k] = missing
                plot.setTitle(self._title_text(k), color=colours().plot_fg, size=f"{pt('plot_title')}pt")

    def _title_text(self, k: int) -> str:
        return self._titles[k] + ("  " + span("(not measured by this device)", "faint") if self._missing[k] else "")

    def _restyle(self) -> None:
        """Colours, pen styles and text sizes of the current theme (emitted on every theme switch)."""
        self.graphics.setBackground(colours().plot_bg)
        for k, plot in enumerate(self._plots):
            style_plot(plot, self._title_text(k))
            plot.getAxis("left").setWidth(round(52 * font_scale()))
            for item in plot.items:
                if isinstance(item, pg.InfiniteLine):
                    item.setPen(pg.mkPen(colours().plot_grid, width=1))
        for idx, curve in self._curves:
            k = next(g.index(idx) for g in self._groups if idx in g)
            curve.setPen(channel_pen(k))

    def _pixel_width(self) -> int:
        if not self._plots:
            return 1000
        return max(100, int(self._plots[0].getViewBox().width()))

    def _fit_y(self, x: np.ndarray) -> None:
        """Keep each plot's y range around its data, changing it only when the data leaves it or fills
        less than half of it: pyqtgraph's per-frame auto-range (and the axis redraw it causes) costs
        more than drawing the curves."""
        for k, (plot, indices) in enumerate(zip(self._plots, self._groups)):
            block = x[:, indices]
            block = block[np.isfinite(block)]
            if block.size == 0:
                continue
            lo, hi = float(block.min()), float(block.max())
            span = max(hi - lo, 1e-3)
            current = self._y_ranges[k]
            if current is not None and current[0] <= lo and hi <= current[1] \
                    and (hi - lo) >= 0.5 * (current[1] - current[0]) - 1e-9:
                continue
            target = (lo - 0.15 * span, hi + 0.15 * span)
            self._y_ranges[k] = target
            plot.setYRange(*target, padding=0)
            self._set_curve_bounds(k)

    def _set_curve_bounds(self, k: int) -> None:
        """Bounds of plot ``k``'s curves: its time window (and any take shown) and y range, with margin."""
        lo, hi = self._y_ranges[k] or (-1.0, 1.0)
        span = hi - lo
        x0 = -max(self.time_window_s, self._clip_seconds) - 1.0
        rect = QRectF(x0, lo - span, -x0 + 1.0, 3 * span)
        for idx, curve in self._curves:
            if idx in self._groups[k]:
                curve.set_bounds(rect)

    def show_clip(self, samples: np.ndarray, rate_hz: float, title: str = "") -> None:
        """Show a recorded take (T, C) instead of the live stream until resumed."""
        if self._info is None or samples.shape[1] != len(self._info.channels):
            self._build(StreamInfo(rate_hz=rate_hz, device="take"))
        n = samples.shape[0]
        self._clip_seconds = n / rate_hz
        rel = (np.arange(n, dtype=np.float64) - (n - 1)) / rate_hz
        for idx, curve in self._curves:
            curve.setData(rel, samples[:, idx], skipFiniteCheck=True)
        self._y_ranges = [None] * len(self._groups)
        self._fit_y(samples)
        for plot in self._plots:
            plot.setXRange(min(-1.0, rel[0]), 0, padding=0.02)
        self.set_paused(True)
        self._clip_shown = True
        self.caption.setText(f"Playing back {title or 'a take'}: press Resume for the live signal")

    def latest_curve_data(self) -> list[np.ndarray]:
        """The y data of every curve (tests check the plot really received samples)."""
        return [np.asarray(curve.yData if curve.yData is not None else []) for _, curve in self._curves]
