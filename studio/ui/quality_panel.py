"""Quality feedback as pictures: per-take consistency bars, a leave-one-out confusion matrix, a 2-D map of
all takes, and warnings about confusable gestures with a suggestion. Recomputed after every change to the
takes (in the background: it embeds every take with the model); numbers come from
:mod:`studio.recognition.quality`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from studio.recognition import quality
from studio.recognition.recogniser import unusable_take
from studio.ui import theme
from studio.ui.recognition_service import RecognitionService
from studio.ui.workers import Job

LOW_CONSISTENCY = 0.6  # takes below this are drawn red, hatched and marked ⚠: probably performed differently
MAP_SYMBOLS = ("o", "s", "t", "d", "h", "p", "t1", "x", "+")  # gestures differ in shape, not only colour
TITLES = ("<b>Consistency of each take</b>", "<b>Leave-one-out confusion</b>", "<b>Map of all takes</b>",
          "<b>Missed gestures vs false triggers</b>")


def _ticks(labels: list[str]) -> list[list[tuple[float, str]]]:
    return [[(i, name) for i, name in enumerate(labels)]]


class QualityPanel(QWidget):
    """``report_ready(QualityReport)`` after each recomputation (take qualities are then in the project)."""

    report_ready = Signal(object)

    def __init__(self, service: RecognitionService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.report: quality.QualityReport | None = None
        self._job: Job | None = None
        self._numbers: dict[int, int] = {}  # take id -> its number within its gesture
        self._again = False

        self.headline = QLabel("Record takes to see how consistent and distinct your gestures are.")
        self.headline.setObjectName("qualityHeadline")
        self.headline.setWordWrap(True)  # a long estimate wraps instead of widening the window
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setTextFormat(Qt.TextFormat.RichText)

        self.graphics = pg.GraphicsLayoutWidget()
        self.consistency_plot = self.graphics.addPlot(row=0, col=0, colspan=3, title=TITLES[0])
        self.consistency_plot.setYRange(0, 1.05, padding=0)
        self.consistency_plot.setLabel("left", "similarity to its other takes")
        self.consistency_plot.setMouseEnabled(x=False, y=False)
        self.consistency_plot.hideButtons()
        self.confusion_plot = self.graphics.addPlot(row=1, col=0, title=TITLES[1])
        self.confusion_plot.setLabel("left", "performed")
        self.confusion_plot.setLabel("bottom", "recognised as")
        self.confusion_plot.setMouseEnabled(x=False, y=False)
        self.confusion_plot.hideButtons()
        self.confusion_plot.invertY(True)
        self.confusion_plot.setAspectLocked(True)
        self.confusion_plot.getAxis("left").setWidth(90)  # room for gesture names (scaled in _restyle)
        self.map_plot = self.graphics.addPlot(row=1, col=1, title=TITLES[2])
        self.map_plot.hideAxis("left")
        self.map_plot.hideAxis("bottom")
        self.map_plot.hideButtons()
        # The sensitivity slider's trade-off, and where the slider sits on it.
        self.tradeoff_plot = self.graphics.addPlot(row=1, col=2, title=TITLES[3])
        self.tradeoff_plot.setLabel("bottom", "false triggers per hour")
        self.tradeoff_plot.setLabel("left", "missed gestures %")
        self.tradeoff_plot.setMouseEnabled(x=False, y=False)
        self.tradeoff_plot.hideButtons()

        layout = QVBoxLayout(self)
        top = QGridLayout()
        top.addWidget(self.headline, 0, 0)
        top.addWidget(self.warnings, 1, 0)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)

        self._last: tuple | None = None
        self._restyle()
        theme.theme_manager().changed.connect(self._restyle)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.recompute)
        service.classes_changed.connect(self._debounce.start)
        service.project.takes_changed.connect(lambda _gid: self._debounce.start())

    # -- computation ---------------------------------------------------------------------------
    def recompute(self) -> Job | None:
        """Embed every take of the enabled gestures and assess them (background job)."""
        project, model = self.service.project.project, self.service.model
        if project is None or model is None:
            return None
        if self._job is not None and self._job.running:
            self._again = True
            return self._job
        gestures = [g for g in project.gestures() if g.enabled]
        rows = {g.name: project.takes(g.id) for g in gestures}
        texts = {g.name: g.description for g in gestures if g.description.strip()}
        colours = {g.name: g.colour for g in gestures}
        self._numbers = {t.id: k for items in rows.values() for k, t in enumerate(items, 1)}  # as the library
        thresholds = self._thresholds([g.name for g in gestures])

        def embed(windows, rate, channels):  # noqa: ANN001, ANN202 - (joint, features) as the recogniser uses
            if hasattr(model, "embed_features"):
                return model.embed_features(windows, channels=channels, rate_hz=rate)
            emb = model.embed(windows, channels=channels, rate_hz=rate)
            return emb, emb

        def work(progress, should_stop):  # noqa: ANN001, ANN202
            takes: dict[str, list[tuple]] = {}
            for name, items in rows.items():
                groups: dict[tuple, list] = {}
                for t in items:
                    if unusable_take(t.trimmed(), t.rate_hz, tuple(t.channels)):
                        continue  # the recogniser skips it too, with a notice; one bad take must not stop the map
                    groups.setdefault((t.rate_hz, tuple(t.channels)), []).append(t)
                takes[name] = []
                for (rate, channels), group in groups.items():
                    joint, feat = embed([t.trimmed() for t in group], rate, channels)
                    takes[name] += [(t.id, j, f) for t, j, f in zip(group, joint, feat)]
            text_emb = dict(zip(texts, model.embed_text(list(texts.values())))) if texts else {}
            verdicts = self._verdicts(set(rows))
            report = quality.assess(takes, text_emb, thresholds, verdicts)
            recogniser = self.service.recogniser
            if verdicts and hasattr(recogniser, "negative_evidence"):
                report.tradeoff = quality.tradeoff(verdicts, recogniser.negative_evidence(),
                                                   getattr(recogniser, "offered_per_hour", None))
            return report, colours

        self._job = Job(work, self)
        self._job.finished.connect(self._on_report)
        self._job.failed.connect(lambda msg: self.headline.setText(f"Quality could not be computed: {msg}"))
        self._job.done.connect(self._maybe_again)
        return self._job.start()

    def _verdicts(self, names: set[str]) -> list | None:
        """The live recogniser's leave-one-out verdicts when it holds exactly these gestures (then the
        matrix is what live recognition does, fused evidence and rejection included); else None."""
        recogniser = self.service.recogniser
        if recogniser is None or not hasattr(recogniser, "leave_one_out") or set(recogniser.classes) != names:
            return None
        return recogniser.leave_one_out()

    def _thresholds(self, names: list[str]) -> dict[str, float] | None:
        """The live recogniser's rejection threshold per gesture (None before it has the gestures), so the
        estimate counts what live recognition would reject, at the current sensitivity."""
        recogniser = self.service.recogniser
        if recogniser is None:
            return None
        try:
            return {name: float(recogniser.class_info(name)["threshold"]) for name in names
                    if name in recogniser.classes}
        except (KeyError, AttributeError):  # a recogniser without thresholds: closed-set estimate
            return None

    def _maybe_again(self) -> None:
        if self._again:
            self._again = False
            self.recompute()

    def _on_report(self, result: tuple) -> None:
        report, colours = result
        self.report = report
        project = self.service.project.project
        if project is not None:
            for take_id, score in report.consistency.items():
                try:
                    project.set_quality(take_id, score)
                except Exception:  # the take was deleted meanwhile; the next report will not list it
                    pass
        self._draw(report, colours)
        self.report_ready.emit(report)

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        """The slider may have moved while the panel was hidden: mark where it sits now."""
        super().showEvent(event)
        if self.report is not None:
            self._draw_tradeoff(self.report)

    # -- drawing -------------------------------------------------------------------------------
    def _restyle(self) -> None:
        """Colours and text sizes of the current theme; the last report is redrawn in them."""
        self.graphics.setBackground(theme.colours().plot_bg)
        for plot, title in zip((self.consistency_plot, self.confusion_plot, self.map_plot, self.tradeoff_plot), TITLES):
            theme.style_plot(plot, title)
        self.confusion_plot.getAxis("left").setWidth(round(90 * theme.font_scale()))
        if self._last is not None:
            self._draw(*self._last)

    def _draw(self, report: quality.QualityReport, colours: dict[str, str]) -> None:
        self._last = (report, colours)
        n_takes = len(report.point_ids)
        if report.loo_accuracy is not None:
            rejected = (f" ({report.not_recognised} take{'s' if report.not_recognised != 1 else ''} below the "
                        "recognition threshold)") if report.not_recognised else ""
            self.headline.setText(f"{len(report.labels)} gestures, {n_takes} takes · estimated accuracy on new "
                                  f"takes (leave-one-out, at the current sensitivity): {report.loo_accuracy:.0%}"
                                  f"{rejected}")
            self.headline.setToolTip("Each take is recognised by the others, as live recognition would at the "
                                     "current sensitivity. Live, the movement must also be found in the stream, "
                                     "so expect it a little lower.")
        else:
            self.headline.setText(f"{len(report.labels)} gestures, {n_takes} takes · record takes to estimate accuracy")
        if report.pairs:
            items = "".join(f"<li><b>{p.a}</b> and <b>{p.b}</b> may be confused: {p.suggestion}</li>"
                            for p in report.pairs[:4])
            self.warnings.setText(f"{theme.span('⚠ Confusable gestures', 'warning', bold=True)}<ul>{items}</ul>")
        else:
            self.warnings.setText(theme.span("✓ No confusable pairs found.", "ok")
                                  if report.labels else "")
        self._draw_consistency(report, colours)
        self._draw_confusion(report)
        self._draw_map(report, colours)
        self._draw_tradeoff(report)

    def _draw_tradeoff(self, report: quality.QualityReport) -> None:
        plot = self.tradeoff_plot
        plot.clear()
        if not report.tradeoff:
            return
        t = theme.colours()
        s, missed, per_hour = (np.array(v) for v in zip(*report.tradeoff))
        plot.plot(per_hour, missed, pen=pg.mkPen(t.accent, width=2), symbol="o", symbolSize=5,
                  symbolBrush=pg.mkBrush(t.accent))
        k = int(np.argmin(np.abs(s - self.service.sensitivity)))
        plot.addItem(pg.ScatterPlotItem([per_hour[k]], [missed[k]], size=16, symbol="star",
                                        brush=pg.mkBrush(t.warning), pen=pg.mkPen(t.plot_fg)))
        here = pg.TextItem(f"slider {s[k]:.0%}: {missed[k]:.0f} % missed, {per_hour[k]:.1f}/h", color=t.plot_fg,
                           anchor=(0, 1))
        here.setFont(theme.plot_font())
        here.setPos(per_hour[k], missed[k])
        plot.addItem(here)
        plot.setYRange(0, 100, padding=0.05)

    def _draw_consistency(self, report: quality.QualityReport, colours: dict[str, str]) -> None:
        plot = self.consistency_plot
        plot.clear()
        ids = [i for i in report.point_ids if i in report.consistency]
        if not ids:
            return
        label_of = dict(zip(report.point_ids, report.point_labels))
        heights = [report.consistency[i] for i in ids]
        t = theme.colours()
        low = QBrush(QColor(t.error), Qt.BrushStyle.BDiagPattern)  # hatched: low takes differ in shape too
        brushes = [low if h < LOW_CONSISTENCY else pg.mkBrush(colours.get(label_of[i], t.accent))
                   for i, h in zip(ids, heights)]
        plot.addItem(pg.BarGraphItem(x=np.arange(len(ids)), height=heights, width=0.7, brushes=brushes,
                                     pens=[pg.mkPen(t.error, width=2) if h < LOW_CONSISTENCY else pg.mkPen(None)
                                           for h in heights]))
        plot.addItem(pg.InfiniteLine(LOW_CONSISTENCY, angle=0, pen=pg.mkPen(t.error, style=Qt.PenStyle.DashLine)))
        numbers = self._numbers
        plot.getAxis("bottom").setTicks([[(k, f"{'⚠ ' if h < LOW_CONSISTENCY else ''}{label_of[i]} "
                                              f"{numbers.get(i, '')}".rstrip())
                                          for k, (i, h) in enumerate(zip(ids, heights))]])

    def _draw_confusion(self, report: quality.QualityReport) -> None:
        plot = self.confusion_plot
        plot.clear()
        m = report.confusion
        if m.size == 0:
            return
        rows = m.sum(axis=1, keepdims=True)
        frac = np.divide(m, rows, out=np.zeros_like(m, dtype=float), where=rows > 0)
        image = pg.ImageItem(frac.T)  # ImageItem is indexed [x, y]
        image.setLookupTable(pg.colormap.get("viridis").getLookupTable(nPts=256))
        image.setLevels((0, 1))
        plot.addItem(image)
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                if m[i, j]:
                    text = pg.TextItem(str(m[i, j]), color="w" if frac[i, j] < 0.6 else "k", anchor=(0.5, 0.5))
                    text.setFont(theme.plot_font())
                    text.setPos(j + 0.5, i + 0.5)
                    plot.addItem(text)
        ticks = [[(k + 0.5, name) for k, name in enumerate(report.labels)]]
        columns = report.labels + [quality.NOT_RECOGNISED] * (m.shape[1] - len(report.labels))
        plot.getAxis("bottom").setTicks([[(k + 0.5, name) for k, name in enumerate(columns)]])
        plot.getAxis("left").setTicks(ticks)
        plot.setRange(xRange=(0, m.shape[1]), yRange=(0, m.shape[0]), padding=0.02)

    def _draw_map(self, report: quality.QualityReport, colours: dict[str, str]) -> None:
        plot = self.map_plot
        plot.clear()
        if not report.point_ids:
            return
        labels = np.array(report.point_labels)
        t = theme.colours()
        for k, name in enumerate(dict.fromkeys(report.point_labels)):
            pts = report.points[labels == name]
            colour = colours.get(name, t.accent)
            scatter = pg.ScatterPlotItem(pts[:, 0], pts[:, 1], size=11, brush=pg.mkBrush(colour),
                                         symbol=MAP_SYMBOLS[k % len(MAP_SYMBOLS)], pen=pg.mkPen(t.plot_bg), name=name)
            plot.addItem(scatter)
        for name, (x, y) in report.proto_points.items():
            star = pg.ScatterPlotItem([x], [y], symbol="star", size=18, brush=pg.mkBrush(colours.get(name, t.text)),
                                      pen=pg.mkPen(t.plot_fg))
            plot.addItem(star)
            label = pg.TextItem(name, color=t.plot_fg, anchor=(0, 1))
            label.setFont(theme.plot_font())
            label.setPos(x, y)
            plot.addItem(label)
        plot.autoRange(padding=0.15)
