"""Live recognition view: the recognised gesture with its confidence, per-gesture similarity bars, an
event log, the sensitivity control, calibration from ordinary movement, and "Refine".
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QProgressBar,
    QPushButton, QSlider, QVBoxLayout, QWidget,
)

from studio.ui.a11y import describe
from studio.ui.device_controller import DeviceController
from studio.ui.recognition_service import RecognitionService
from studio.ui.settings import AppSettings
from studio.ui.theme import colours, set_role, span, theme_manager
from studio.ui.workers import Job

ROLE_LOG = Qt.ItemDataRole.UserRole + 1  # a log line's colour role, re-applied on theme switches
LOG_LIMIT = 200
# Why a movement was not offered to the recogniser (LiveRecogniser's reasons), for "Show details".
NOT_TAKEN = {
    "rhythmic": "repeated at a steady rhythm (steps, running): ordinary activity",
    "too-long": "went on longer than 3 s: ordinary activity",
    "refractory": "came right after a recognised gesture",
    "no-nucleus": "no clear movement in it",
}


class LiveView(QWidget):
    """A view over :class:`RecognitionService` (and the device stream, for calibration).
    ``message(text)``: calibration news worth announcing."""

    message = Signal(str)

    def __init__(self, service: RecognitionService, controller: DeviceController, settings: AppSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.controller, self.settings = service, controller, settings
        self.events_seen = 0
        self._bars: dict[str, tuple[QLabel, QProgressBar]] = {}
        self._values: dict[str, QLabel] = {}  # the percentage beside each bar (text over a bar is hard to read)
        self._job: Job | None = None
        self._calibration: dict | None = None
        self._busy = False

        self.result_label = QLabel("—")
        self.result_label.setObjectName("bigLabel")
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_detail = QLabel("Perform a gesture.")
        self.result_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state_label = QLabel(service.state)
        self.state_label.setWordWrap(True)
        set_role(self.state_label, "muted")
        self.bars_box = QGroupBox("How well the last movement matched each gesture")
        self._bars_layout = QVBoxLayout(self.bars_box)
        self._bars_widget: QWidget | None = None
        self.log = QListWidget()
        self.log.setWordWrap(True)
        describe(self.log, "Recognition events", "Newest first.")
        self.details_check = QCheckBox("Show details: movements not taken, and why")
        describe(self.details_check, "Show details",
                 "Also log movements that were not offered to the recogniser (steady rhythm, too long, right "
                 "after a gesture) and the closest gesture of rejected ones.")

        self.sensitivity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100)
        self.sensitivity.setValue(int(round(service.sensitivity * 100)))
        self.sensitivity.valueChanged.connect(self._on_sensitivity)
        describe(self.sensitivity, "Sensitivity", "Higher triggers more easily, with more false triggers.")
        self.sensitivity_label = QLabel()
        self._on_sensitivity(self.sensitivity.value())
        self.calibrate_button = QPushButton("Calibrate from ordinary movement")
        self.calibrate_button.setToolTip("Record a minute of everyday movement (no gestures) so it is not "
                                         "mistaken for one")
        self.calibrate_button.clicked.connect(lambda: self.start_calibration())
        self.calibration_label = QLabel("Not calibrated on your movement yet (using generated idle motion).")
        self.calibration_label.setWordWrap(True)
        self.refine_button = QPushButton("Refine")
        self.refine_button.setToolTip("Fine-tune the recogniser on your takes in the background")
        self.refine_button.clicked.connect(lambda: self.start_refine())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar(minimum=0, maximum=100)
        self.progress.setTextVisible(True)

        result_box = QGroupBox("Recognised")
        rv = QVBoxLayout(result_box)
        rv.addWidget(self.result_label)
        rv.addWidget(self.result_detail)
        rv.addWidget(self.state_label)
        controls = QGroupBox("Rejection and tuning")
        cv = QVBoxLayout(controls)
        srow = QHBoxLayout()
        srow.addWidget(QLabel("Sensitivity"))
        srow.addWidget(self.sensitivity, 1)
        srow.addWidget(self.sensitivity_label)
        cv.addLayout(srow)
        cv.addWidget(self.calibrate_button)
        cv.addWidget(self.calibration_label)
        brow = QHBoxLayout()
        brow.addWidget(self.refine_button)
        brow.addWidget(self.cancel_button)
        cv.addLayout(brow)
        cv.addWidget(self.progress)
        log_box = QGroupBox("Events")
        lv = QVBoxLayout(log_box)
        lv.addWidget(self.log)
        lv.addWidget(self.details_check)

        left = QVBoxLayout()
        left.addWidget(result_box)
        left.addWidget(self.bars_box, 1)
        right = QVBoxLayout()
        right.addWidget(controls)
        right.addWidget(log_box, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

        self._record_timer = QTimer(self)
        self._record_timer.setInterval(100)
        self._record_timer.timeout.connect(self._on_record_tick)
        service.state_changed.connect(self.state_label.setText)
        service.state_changed.connect(lambda _text: self._set_busy(self._busy))
        service.classes_changed.connect(self.rebuild_bars)
        service.classes_changed.connect(self._sensitivity_text)
        service.state_changed.connect(lambda _text: self._sensitivity_text())
        service.event.connect(self._on_event)
        service.live_enabled_changed.connect(lambda on: self.result_detail.setText(
            "Perform a gesture." if on else "Live recognition is stopped: Ctrl+L starts it."))
        service.candidate.connect(self._on_candidate)
        self._set_busy(False)
        self.rebuild_bars()
        theme_manager().changed.connect(self._restyle)

    # -- bars and log --------------------------------------------------------------------------
    def rebuild_bars(self) -> None:
        """One row per gesture; the whole block is replaced, so no stale row or stretch survives."""
        if self._bars_widget is not None:
            self._bars_widget.hide()
            self._bars_layout.removeWidget(self._bars_widget)
            self._bars_widget.deleteLater()
        self._bars_widget = QWidget()
        grid = QGridLayout(self._bars_widget)
        grid.setContentsMargins(0, 0, 0, 0)
        self._bars.clear()
        self._values.clear()
        self._winner: str | None = None
        recogniser = self.service.recogniser
        names = recogniser.classes if recogniser is not None else []
        for row, name in enumerate(names):
            info = recogniser.class_info(name)
            label = QLabel(self._bar_label(name, info.get("from_text_only", False), winner=False))
            bar = QProgressBar(minimum=0, maximum=100)
            bar.setFormat("%p %")
            bar.setTextVisible(False)
            set_role(bar, "score")
            value = QLabel("0 %")
            describe(bar, f"{name} match")
            grid.addWidget(label, row, 0)
            grid.addWidget(bar, row, 1)
            grid.addWidget(value, row, 2)
            self._values[name] = value
            self._bars[name] = (label, bar)
        if not names:
            grid.addWidget(QLabel("No gestures to recognise yet."), 0, 0)
        grid.setColumnStretch(1, 1)
        self._bars_layout.insertWidget(0, self._bars_widget)
        if self._bars_layout.count() == 1:
            self._bars_layout.addStretch(1)

    @staticmethod
    def _bar_label(name: str, from_text_only: bool, winner: bool) -> str:
        """A gesture's row label; the winner is marked by a symbol and bold type, not only by colour."""
        text = f"<b>▶ {name}</b>" if winner else name
        return text + ("  " + span("(from text only)", "warning") if from_text_only else "")

    def _show_scores(self, scores: dict[str, float], winner: str | None) -> None:
        self._winner = winner
        recogniser = self.service.recogniser
        for name, (label, bar) in self._bars.items():
            bar.setValue(int(round(100 * scores.get(name, 0.0))))
            won = name == winner
            set_role(bar, "winner" if won else "score")
            self._values[name].setText(f"<b>{bar.value()} % ✔ recognised</b>" if won else f"{bar.value()} %")
            info = recogniser.class_info(name) if recogniser is not None and name in recogniser.classes else {}
            label.setText(self._bar_label(name, info.get("from_text_only", False), won))

    def _restyle(self) -> None:
        """Re-colour what carries its colour in text or items (labels with roles follow by themselves)."""
        recogniser = self.service.recogniser
        for name, (label, _) in self._bars.items():
            info = recogniser.class_info(name) if recogniser is not None and name in recogniser.classes else {}
            label.setText(self._bar_label(name, info.get("from_text_only", False), name == self._winner))
        for i in range(self.log.count()):
            item = self.log.item(i)
            item.setForeground(QColor(getattr(colours(), item.data(ROLE_LOG) or "text")))

    def _log(self, text: str, role: str) -> None:
        item = QListWidgetItem(f"{time.strftime('%H:%M:%S')}  {text}")
        item.setData(ROLE_LOG, role)
        item.setForeground(QColor(getattr(colours(), role)))
        self.log.insertItem(0, item)
        while self.log.count() > LOG_LIMIT:
            self.log.takeItem(self.log.count() - 1)

    def _on_event(self, event) -> None:  # noqa: ANN001 - a LiveEvent
        self.events_seen += 1
        self.result_label.setText(event.gesture)
        set_role(self.result_label, "ok")
        felt = getattr(event, "felt_latency_s", event.latency_s)
        self.result_detail.setText(f"confidence {event.confidence:.0%} · {felt * 1000:.0f} ms after "
                                   "the movement ended")
        self._show_scores(event.scores, event.gesture)
        self._log(f"✔ {event.gesture}  {event.confidence:.0%}", "ok")

    def _on_candidate(self, candidate) -> None:  # noqa: ANN001 - a Candidate
        if candidate.reason == "rejected":
            best = max(candidate.scores, key=candidate.scores.get) if candidate.scores else None
            self.result_label.setText("none of these")
            set_role(self.result_label, "faint")
            self.result_detail.setText(f"closest: {best} ({candidate.scores[best]:.0%})" if best else "")
            self._show_scores(candidate.scores, None)
            detail = f" (closest {best}, {candidate.scores[best]:.0%})" if best and self.details_check.isChecked() \
                else f" (closest {best})" if best else ""
            self._log(f"✖ movement, none of these{detail}", "faint")
        elif candidate.reason in NOT_TAKEN and self.details_check.isChecked():
            self._log(f"· movement of {candidate.duration_s:.1f} s not taken: {NOT_TAKEN[candidate.reason]}", "faint")

    def _on_sensitivity(self, value: int) -> None:
        self.service.set_sensitivity(value / 100.0)
        self.settings.sensitivity = value / 100.0
        self._sensitivity_text()

    def _sensitivity_text(self) -> None:
        """The slider in words: its position and the false triggers per hour to expect there, estimated
        on the movement rejection was calibrated on."""
        value = self.sensitivity.value()
        estimate = getattr(self.service.recogniser, "false_triggers_per_hour", None)
        per_hour = estimate(value / 100.0) if estimate is not None else None
        self.sensitivity_label.setText(f"{value} %" if per_hour is None else f"{value} % · ≈ {per_hour:.1f} false/h")
        self.sensitivity_label.setToolTip(
            "" if per_hour is None else "Expected false triggers per hour of ordinary movement at this setting, "
            "estimated on the movement rejection was calibrated on (yours once you calibrate).")

    # -- calibration and refine ----------------------------------------------------------------
    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        ready = self.service.ready
        self.calibrate_button.setEnabled(ready and not busy)
        self.refine_button.setEnabled(ready and not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        self.progress.setFormat(f"{text} %p %" if text else "%p %")
        if not busy:
            self.progress.setValue(0)

    def start_calibration(self, seconds: float | None = None) -> bool:
        """Record ``seconds`` (default: the setting, 60 s) of the live stream, then calibrate on it."""
        buffer, info = self.controller.buffer, self.controller.info
        if not self.service.ready or buffer is None or info is None:
            self.calibration_label.setText("Connect a device and wait for the model to load first.")
            return False
        self._calibration = {"buffer": buffer, "start": buffer.written, "info": info,
                             "seconds": float(seconds or self.settings.calibration_s)}
        self._set_busy(True, "Move as you normally would (no gestures)…")
        self._set_calibration_text("Recording ordinary movement: carry on as usual, without gestures.")
        self._record_timer.start()
        return True

    def _on_record_tick(self) -> None:
        cal = self._calibration
        if cal is None:
            self._record_timer.stop()
            return
        rate = cal["info"].rate_hz or 100.0
        done = (cal["buffer"].written - cal["start"]) / rate
        self.progress.setValue(int(min(100, 100 * done / cal["seconds"])))
        if done < cal["seconds"]:
            return
        self._record_timer.stop()
        _, x, _ = cal["buffer"].since(cal["start"])
        x = x[: int(cal["seconds"] * rate)]
        project = self.service.project.project
        if project is not None:
            project.add_negative(x, rate, cal["info"].channels, cal["info"].units, device=self.controller.uri)
        self._calibration = None
        self._set_busy(True, "Calibrating…")
        self._job = self.service.calibrate(x, rate, tuple(cal["info"].channels))
        self._job.progress.connect(lambda f: self.progress.setValue(int(100 * f)))
        self._job.finished.connect(self._on_calibrated)
        self._job.failed.connect(lambda msg: self._set_calibration_text(f"Calibration failed: {msg}"))
        self._job.done.connect(lambda: self._set_busy(False))

    def _on_calibrated(self, result: dict) -> None:
        self._set_calibration_text(
            f"Calibrated on {result['seconds']:.0f} s of ordinary movement: {result['false_triggers']} false "
            f"trigger(s), about {result['per_10_min']:.1f} per 10 minutes at this sensitivity.")
        self.service.sync()

    def _set_calibration_text(self, text: str) -> None:
        self.calibration_label.setText(text)
        self.message.emit(text)

    def start_refine(self, epochs: int = 60) -> Job | None:
        """Refine the recogniser on the takes in the background; Cancel stops it."""
        if not self.service.ready:
            return None
        self._set_busy(True, "Refining…")
        self._job = self.service.refine(epochs)
        self._job.progress.connect(lambda f: self.progress.setValue(int(100 * f)))
        self._job.failed.connect(lambda msg: self.state_label.setText(f"Refine failed: {msg}"))
        self._job.done.connect(lambda: self._set_busy(False))
        return self._job

    def cancel(self) -> None:
        if self._calibration is not None:
            self._calibration = None
            self._record_timer.stop()
            self._set_calibration_text("Calibration cancelled.")
            self._set_busy(False)
        if self._job is not None and self._job.running:
            self._job.cancel()

    def sample_scores(self) -> dict[str, int]:
        """Bar values by gesture (tests read them)."""
        return {name: bar.value() for name, (_, bar) in self._bars.items()}
