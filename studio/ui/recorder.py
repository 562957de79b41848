"""The recorder: countdown, record a take (fixed length or until the movement ends), auto-trim it to the
movement's nucleus with handles to adjust, accept or discard, and go on with the next take in a row.

It reads the live ring buffer (never the device), so it works the same with any device. With the
simulator it asks the simulator to perform a chosen gesture as each take starts. If the device drops
out mid-take, the part recorded before the break is kept when it holds a movement, else discarded, and
the recorder says which.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from studio.project import ProjectError
from studio.signals import nucleus
from studio.ui import undo
from studio.ui.a11y import describe
from studio.ui.device_controller import DeviceController
from studio.signals.nucleus import auto_trim
from studio.ui.project_model import ProjectModel
from studio.ui.settings import AppSettings
from studio.ui.take_view import TakeView

NOBODY = ""  # "simulator performs" entry meaning: the person moves the device
TICK_MS = 50
REST_S = 0.4  # quiet this long after the movement ends the take ("until movement ends")
MIN_KEEP_S = 0.5  # a take cut short by a device fault is kept only if at least this long
NO_GESTURE_TEXT = "Add a gesture in the Library first, then record takes of it here."
READY_TEXT = "Choose a gesture and press Record."


def movement_end(x: np.ndarray, rate_hz: float, channels: tuple[str, ...]) -> int | None:
    """Sample index where a take recorded "until the movement ends" should stop: ``REST_S`` after the
    first movement has gone quiet; None while no movement has ended yet. "Quiet" is relative to the
    movement's own peak, so a gentle gesture ends as reliably as a brisk one."""
    if len(x) < 3:
        return None
    energy = nucleus.motion_energy(np.asarray(x, np.float32), rate_hz, channels)
    peak = float(energy.max())
    if peak < 2 * nucleus.IDLE_LEVEL:
        return None  # nothing beyond holding still yet
    loud = energy > max(nucleus.IDLE_LEVEL, 0.25 * peak)
    rest = max(1, int(round(REST_S * rate_hz)))
    first = int(np.argmax(loud))
    quiet_runs = np.convolve((~loud).astype(int), np.ones(rest, int), mode="valid")  # [m] = quiet in m..m+rest
    done = np.flatnonzero(quiet_runs[first:] == rest)
    return None if done.size == 0 else int(first + done[0] + rest)


def simulator_name_for(gesture: str, available: list[str]) -> str:
    """The simulator gesture whose name matches ``gesture`` ("Circle CW" -> "circle_cw"), else ''."""
    key = "_".join(gesture.lower().replace("-", " ").split())
    return key if key in available else NOBODY


class RecorderPanel(QWidget):
    """Records takes of the chosen gesture. ``take_accepted(take_id)`` after each stored take."""

    take_accepted = Signal(int)
    state_changed = Signal(str)
    countdown_step = Signal(int)  # seconds left, once per countdown step (sound and announcement hook)

    def __init__(self, model: ProjectModel, controller: DeviceController, settings: AppSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.controller, self.settings = model, controller, settings
        self.state = "idle"  # idle, countdown, recording, review
        self._remaining_in_row = 0
        self._countdown_left = 0.0
        self._start = 0
        self._buffer = None
        self._rate = 100.0
        self._samples: np.ndarray | None = None
        self._channels: tuple[str, ...] = ()
        self._units: tuple[str, ...] = ()
        self._performer_matched_for: object = None  # the gesture the performer was last matched to

        self.gesture_combo = QComboBox()
        self.gesture_combo.currentIndexChanged.connect(self._on_gesture_chosen)
        self.performer_combo = QComboBox()
        self.performer_combo.setToolTip("With the simulated IMU: which gesture the simulator performs in each take")
        self.countdown_spin = QDoubleSpinBox(decimals=0, minimum=0, maximum=10, suffix=" s")
        self.countdown_spin.setValue(settings.countdown_s)
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("until the movement ends", "rest")
        self.mode_combo.addItem("for a fixed time", "fixed")
        self.mode_combo.setCurrentIndex(0 if settings.stop_on_rest else 1)
        self.length_spin = QDoubleSpinBox(decimals=1, minimum=0.5, maximum=20, suffix=" s", singleStep=0.5)
        self.length_spin.setValue(settings.take_seconds)
        self.length_spin.setToolTip("Fixed length, or the longest a take may last when it ends with the movement")
        self.row_spin = QSpinBox(minimum=1, maximum=20)
        self.row_spin.setValue(3)
        self.beep_check = QCheckBox("Countdown sound")
        self.beep_check.setChecked(settings.beep)
        self.auto_accept = QCheckBox("Accept takes without review")
        describe(self.gesture_combo, "Gesture to record")
        describe(self.performer_combo, "Simulator performs", self.performer_combo.toolTip())
        describe(self.countdown_spin, "Countdown seconds")
        describe(self.mode_combo, "Record until", "Until the movement ends, or for a fixed time.")
        describe(self.length_spin, "Take length in seconds", self.length_spin.toolTip())
        describe(self.row_spin, "Takes in a row")

        self.record_button = QPushButton("● Record")
        self.record_button.setObjectName("primary")
        self.record_button.clicked.connect(self.start)
        self.record_button.setToolTip("Start recording takes (Ctrl+R)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.big_label = QLabel("Ready")
        self.big_label.setObjectName("bigLabel")
        self.big_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.info_label = QLabel(READY_TEXT)
        self.info_label.setWordWrap(True)
        self.info_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.preview = TakeView("Last take: drag the handles to adjust the trim")
        self.accept_button = QPushButton("Accept take")
        self.accept_button.setObjectName("primary")
        self.accept_button.clicked.connect(self.accept)
        self.accept_button.setToolTip("Store this take (Ctrl+Enter)")
        self.discard_button = QPushButton("Discard")
        self.discard_button.clicked.connect(self.discard)
        self.discard_button.setToolTip("Throw this take away and record it again (Ctrl+Backspace)")

        setup = QGroupBox("Record takes")
        form = QFormLayout(setup)
        form.addRow("Gesture", self.gesture_combo)
        form.addRow("Simulator performs", self.performer_combo)
        form.addRow("Countdown", self.countdown_spin)
        form.addRow("Record", self.mode_combo)
        form.addRow("Take length", self.length_spin)
        form.addRow("Takes in a row", self.row_spin)
        form.addRow("", self.beep_check)
        form.addRow("", self.auto_accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.stop_button)
        form.addRow(buttons)
        status = QVBoxLayout()
        status.addWidget(self.big_label)
        status.addWidget(self.info_label)
        status.addWidget(self.preview, 1)
        review = QHBoxLayout()
        review.addStretch(1)
        review.addWidget(self.discard_button)
        review.addWidget(self.accept_button)
        status.addLayout(review)
        layout = QHBoxLayout(self)
        layout.addWidget(setup)
        layout.addLayout(status, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        model.gestures_changed.connect(self.refresh_gestures)
        model.project_changed.connect(self.refresh_gestures)
        controller.buffer_changed.connect(self.refresh_performers)
        self.refresh_gestures()
        self.refresh_performers()
        self._set_state("idle")

    # -- choices -------------------------------------------------------------------------------
    def refresh_gestures(self) -> None:
        current = self.gesture_combo.currentData()
        self.gesture_combo.blockSignals(True)
        self.gesture_combo.clear()
        if self.model.project is not None:
            for g in self.model.project.gestures():
                self.gesture_combo.addItem(g.name, g.id)
        index = self.gesture_combo.findData(current)
        self.gesture_combo.setCurrentIndex(max(0, index))
        self.gesture_combo.blockSignals(False)
        self._on_gesture_chosen()
        self._set_state(self.state)

    def refresh_performers(self) -> None:
        names = self._simulator_names()
        chosen = self.performer_combo.currentData()
        self.performer_combo.blockSignals(True)
        self.performer_combo.clear()
        self.performer_combo.addItem("nothing: I move the device myself", NOBODY)
        for name in names:
            self.performer_combo.addItem(name.replace("_", " "), name)
        self.performer_combo.setCurrentIndex(max(0, self.performer_combo.findData(chosen)))
        self.performer_combo.blockSignals(False)
        self.performer_combo.setEnabled(bool(names))
        self._on_gesture_chosen()

    def _simulator_names(self) -> list[str]:
        source = self.controller.source
        names = getattr(source, "gesture_names", None)
        return list(names()) if callable(names) and callable(getattr(source, "perform", None)) else []

    def _on_gesture_chosen(self) -> None:
        """Match the simulator's performance to a newly chosen gesture. Only when the gesture changes: the
        gesture list is rebuilt after every stored take, and the user's own choice ("nothing: I move the
        device myself", say) must survive that."""
        names, gesture = self._simulator_names(), self.gesture_combo.currentData()
        if not names or gesture == self._performer_matched_for:
            return
        self._performer_matched_for = gesture
        match = simulator_name_for(self.gesture_combo.currentText(), names)
        if match:
            self.performer_combo.setCurrentIndex(max(0, self.performer_combo.findData(match)))

    def select_gesture(self, gesture_id: int) -> None:
        """Record this gesture next (ignored while a row of takes is under way)."""
        if self.state != "idle":
            return
        self.gesture_combo.setCurrentIndex(max(0, self.gesture_combo.findData(gesture_id)))

    # -- state machine -------------------------------------------------------------------------
    def _set_state(self, state: str, big: str | None = None, info: str | None = None) -> None:
        self.state = state
        can_record = self.gesture_combo.count() > 0 and self.model.project is not None
        self.record_button.setEnabled(state == "idle" and can_record)
        self.stop_button.setEnabled(state in ("countdown", "recording"))
        self.accept_button.setEnabled(state == "review")
        self.discard_button.setEnabled(state == "review")
        if big is not None:
            self.big_label.setText(big)
        if info is not None:
            self.info_label.setText(info)
        elif state == "idle" and not can_record:
            self.info_label.setText(NO_GESTURE_TEXT)
        elif state == "idle" and self.info_label.text() == NO_GESTURE_TEXT:
            self.info_label.setText(READY_TEXT)  # a gesture was added since: the advice no longer applies
        self.state_changed.emit(state)

    def start(self) -> bool:
        """Start a row of takes of the chosen gesture."""
        if self.state != "idle" or self.gesture_combo.currentData() is None:
            return False
        self._remaining_in_row = self.row_spin.value()
        self._begin_countdown()
        return True

    def stop(self) -> None:
        """Stop the row; a take being recorded is reviewed as it is."""
        self._remaining_in_row = 0
        if self.state == "countdown":
            self.timer.stop()
            self._set_state("idle", "Stopped", "Recording stopped.")
        elif self.state == "recording":
            self._finish_recording(cut_short=False)

    def _begin_countdown(self) -> None:
        self._countdown_left = self.countdown_spin.value()
        self._last_beep = None
        self._set_state("countdown", info=f"Get ready to perform '{self.gesture_combo.currentText()}'…")
        self.timer.start()
        self._tick()

    def _tick(self) -> None:
        if self.state == "countdown":
            if self._countdown_left <= 1e-9:
                self._begin_recording()
                return
            shown = int(np.ceil(self._countdown_left))
            if shown != self._last_beep:
                self._last_beep = shown
                self.big_label.setText(str(shown))
                self.countdown_step.emit(shown)
            self._countdown_left -= TICK_MS / 1000.0
        elif self.state == "recording":
            self._check_recording()

    def _begin_recording(self) -> None:
        buffer, info = self.controller.buffer, self.controller.info
        if buffer is None or info is None or self.controller.state.value != "streaming":
            self.timer.stop()
            self._remaining_in_row = 0
            self._set_state("idle", "No signal", "Connect a device first: the recorder records its live stream.")
            return
        self._buffer, self._start = buffer, buffer.written
        self._rate = info.rate_hz or 100.0
        self._channels, self._units = tuple(info.channels), tuple(info.units)
        performer = self.performer_combo.currentData()
        if performer:
            self.controller.source.perform(performer)
        self._set_state("recording", "● Recording", f"Perform '{self.gesture_combo.currentText()}' now.")

    def _recorded(self) -> np.ndarray:
        _, x, _ = self._buffer.since(self._start)
        return x

    def _check_recording(self) -> None:
        if self.controller.buffer is not self._buffer or self.controller.state.value != "streaming":
            self._finish_recording(cut_short=True)
            return
        n = self._buffer.written - self._start
        limit = int(self.length_spin.value() * self._rate)
        if n >= limit:
            self._finish_recording(cut_short=False)
        elif self.mode_combo.currentData() == "rest" and n > int(REST_S * self._rate) * 2:
            if movement_end(self._recorded(), self._rate, self._channels) is not None:
                self._finish_recording(cut_short=False)

    def _finish_recording(self, cut_short: bool) -> None:
        self.timer.stop()
        x = self._recorded()
        limit = int(self.length_spin.value() * self._rate)
        x = x[:limit] if x.shape[0] > limit else x
        if self.mode_combo.currentData() == "rest" and not cut_short:
            # Cut where the data says the movement ended, however late the timer noticed it.
            end = movement_end(x, self._rate, self._channels)
            x = x[:end] if end is not None else x
        marks = auto_trim(x, self._rate, self._channels) if len(x) > 2 else None
        if cut_short:
            self._remaining_in_row = 0
            if len(x) < MIN_KEEP_S * self._rate or marks is None:
                self._set_state("idle", "Take discarded",
                                "The device dropped out during the take and nothing usable was recorded "
                                "before the break, so the take was discarded.")
                return
            note = (f"The device dropped out during the take: kept the {len(x) / self._rate:.1f} s recorded "
                    "before the break. Review it below.")
        else:
            note = ("Auto-trimmed to the movement. Adjust the handles if needed, then accept."
                    if marks else "No movement found in this take: check it before accepting.")
        self._samples = x
        self._show_take(x, marks)
        self._set_state("review", "Review", note)
        if self.auto_accept.isChecked() and not cut_short:
            self.accept()

    def _show_take(self, x: np.ndarray, marks: tuple[int, int] | None) -> None:
        self.preview.set_take(x, self._rate, marks if marks else (None, None))

    def current_trim(self) -> tuple[int, int]:
        return self.preview.trim()

    def accept(self) -> int | None:
        """Store the reviewed take (undoable, committed at once); go on with the row."""
        if self.state != "review" or self._samples is None:
            return None
        gid = self.gesture_combo.currentData()
        command = undo.AddTake(self.model, gid, self._samples, self._rate, self._channels, self._units,
                               device=self.controller.uri, trim=self.current_trim())
        try:
            self.model.run(command)
        except ProjectError as err:
            self._set_state("review", info=f"The take could not be stored: {err}")
            return None
        self._samples = None
        self.take_accepted.emit(command.take_id)
        self._next_in_row("Take stored.")
        return command.take_id

    def discard(self) -> None:
        if self.state != "review":
            return
        self._samples = None
        self._remaining_in_row += 1  # a discarded take is recorded again
        self._next_in_row("Take discarded.")

    def _next_in_row(self, what: str) -> None:
        self._remaining_in_row -= 1
        if self._remaining_in_row > 0:
            self._begin_countdown()
            self.info_label.setText(f"{what} {self._remaining_in_row} more to go: get ready…")
        else:
            self._remaining_in_row = 0
            self._set_state("idle", "Done", f"{what} Press Record for more takes.")
