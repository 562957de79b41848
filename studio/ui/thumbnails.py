"""Small pictures of takes for lists: the six channels drawn as thin lines, trimmed part highlighted."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from studio.ui.theme import channel_pen, colours


def take_thumbnail(samples: np.ndarray, trim: tuple[int | None, int | None] = (None, None),
                   width: int = 132, height: int = 56) -> QPixmap:
    """A pixmap with accelerometer (top half) and gyroscope (bottom half) traces of ``samples`` (T, C); a
    trimmed take shows its kept part shaded and bounded by two solid marks (not colour alone)."""
    t = colours()
    pixmap = QPixmap(width, height)
    pixmap.fill(QColor(t.base))
    x = np.nan_to_num(np.asarray(samples, np.float64))
    n = x.shape[0]
    if n < 2:
        return pixmap
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    start = 0 if trim[0] is None else trim[0]
    end = n if trim[1] is None else trim[1]
    if (start, end) != (0, n):
        painter.fillRect(QRectF(width * start / n, 0, width * (end - start) / n, height), QColor(t.trim_bg))
    xs = np.linspace(0, width - 1, n)
    halves = [(0, min(3, x.shape[1])), (3, min(6, x.shape[1]))]
    for row, (a, b) in enumerate(halves):
        if b <= a:
            continue
        block = x[:, a:b] - x[:, a:b].mean(0)
        scale = max(float(np.abs(block).max()), 1e-6)
        top, h = row * height / 2, height / 2
        for k in range(b - a):
            ys = top + h / 2 - block[:, k] / scale * (h / 2 - 2)
            path = QPainterPath(QPointF(xs[0], ys[0]))
            for px, py in zip(xs[1:], ys[1:]):
                path.lineTo(px, py)
            painter.setPen(channel_pen(k))
            painter.drawPath(path)
    painter.setPen(QPen(QColor(t.plot_grid), 1, Qt.PenStyle.SolidLine))
    painter.drawLine(0, height // 2, width, height // 2)
    if (start, end) != (0, n):
        painter.setPen(QPen(QColor(t.accent), 2, Qt.PenStyle.SolidLine))
        for edge in (start, end):
            px = min(width - 1.0, max(1.0, width * edge / n))
            painter.drawLine(QPointF(px, 0), QPointF(px, height))
    painter.end()
    return pixmap


def colour_icon(colour: str, size: int = 14) -> QIcon:
    """A round swatch in a gesture's colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)
