"""The Outputs panel's continuous streams: the list with a live preview of each value, and an editor for
the selected stream (signal, device, target, range, smoothing, deadband).

Every accepted edit is one undoable change of the project's output settings. An edit that cannot work
(an empty range, a malformed OSC address) is refused with a plain message and the stored settings stay
as they were; the widgets keep what was typed so it can be corrected.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from studio.outputs import OutputError
from studio.outputs.stream_config import SIGNALS, UNITS, StreamConfig, StreamsConfig
from studio.signals.motion_features import YAW_DRIFT_NOTE
from studio.ui.a11y import describe
from studio.ui.theme import set_role

TARGET_LABELS = {"osc": "OSC", "midi": "MIDI CC", "websocket": "WebSocket"}
SIGNAL_LABELS = {"roll": "Roll", "pitch": "Pitch", "yaw": "Yaw (drifts)", "orientation": "Roll, pitch, yaw",
                 "energy": "Motion energy", "similarity": "Similarity to a gesture"}


def _spin(low: float, high: float, decimals: int = 1, step: float = 1.0) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(minimum=low, maximum=high, decimals=decimals, singleStep=step)
    spin.setKeyboardTracking(False)
    return spin


class StreamsBox(QGroupBox):
    """Continuous streams over the panel's service (``panel.service``)."""

    def __init__(self, panel, parent: QWidget | None = None) -> None:  # noqa: ANN001 - the OutputsPanel
        super().__init__("Continuous streams (orientation, motion energy, similarity)", parent)
        self.panel = panel
        self.config = StreamsConfig()
        self.enabled = QCheckBox("Send continuous streams")
        self.rate = _spin(1.0, 200.0, 0, 10.0)
        self.rate.setSuffix(" Hz")
        self.wekinator = QCheckBox("Also send all values as /wek/inputs to port 6448 (Wekinator)")
        self.list = QListWidget()
        self.list.setMinimumHeight(90)
        self.list.setWordWrap(True)  # long descriptions with their live values wrap instead of scrolling sideways
        self.add_button = QPushButton("Add stream")
        self.remove_button = QPushButton("Remove")
        describe(self.rate, "Stream rate", "How many times a second each stream is sent")
        describe(self.list, "Streams and their live values")
        describe(self.add_button, "Add a stream")
        describe(self.remove_button, "Remove the selected stream")

        self.name = QLineEdit()
        self.signal = QComboBox()
        for key in SIGNALS:
            self.signal.addItem(SIGNAL_LABELS[key], key)
        self.gesture = QComboBox()
        self.device = QLineEdit(placeholderText="any device")
        self.target = QComboBox()
        for key, label in TARGET_LABELS.items():
            self.target.addItem(label, key)
        self.address = QLineEdit(placeholderText="default: /imu/{device}/<signal>")
        self.cc = QSpinBox(minimum=0, maximum=119)
        self.channel = QSpinBox(minimum=1, maximum=16)
        self.fine = QCheckBox("14-bit (CC and CC+32)")
        self.in_min = _spin(-100000.0, 100000.0, 2)
        self.in_max = _spin(-100000.0, 100000.0, 2)
        self.smoothing = _spin(0.0, 10000.0, 0, 10.0)
        self.smoothing.setSuffix(" ms")
        self.deadband = _spin(0.0, 0.5, 3, 0.005)
        for w, name in ((self.name, "Stream name"), (self.signal, "Stream signal"), (self.gesture, "Stream gesture"),
                        (self.device, "Stream device"), (self.target, "Stream target"),
                        (self.address, "Stream OSC address"), (self.cc, "Stream MIDI controller"),
                        (self.channel, "Stream MIDI channel"), (self.in_min, "Input range from"),
                        (self.in_max, "Input range to"), (self.smoothing, "Smoothing time"),
                        (self.deadband, "Deadband, fraction of the range")):
            describe(w, name)
        self.yaw_note = QLabel("⚠ " + YAW_DRIFT_NOTE)
        self.yaw_note.setWordWrap(True)
        set_role(self.yaw_note, "muted")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        set_role(self.message, "error")

        top = QFormLayout()
        top.addRow("", self.enabled)
        top.addRow("Rate", self.rate)
        top.addRow("", self.wekinator)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        editor = QFormLayout()
        editor.addRow("Name", self.name)
        editor.addRow("Signal", self.signal)
        editor.addRow("Gesture", self.gesture)
        editor.addRow("Device", self.device)
        editor.addRow("Send to", self.target)
        editor.addRow("OSC address", self.address)
        editor.addRow("Controller", self.cc)
        editor.addRow("MIDI channel", self.channel)
        editor.addRow("", self.fine)
        rng = QHBoxLayout()
        rng.addWidget(self.in_min)
        rng.addWidget(QLabel("to"))
        rng.addWidget(self.in_max)
        self.range_label = QLabel("Input range")
        editor.addRow(self.range_label, rng)
        editor.addRow("Smoothing", self.smoothing)
        editor.addRow("Deadband", self.deadband)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addLayout(editor)
        layout.addWidget(self.yaw_note)
        layout.addWidget(self.message)

        for check in (self.enabled, self.wekinator, self.fine):
            check.toggled.connect(self._commit)
        for combo in (self.signal, self.gesture, self.target):
            combo.activated.connect(self._commit)
        for edit in (self.name, self.device, self.address):
            edit.editingFinished.connect(self._commit)
        for spin in (self.rate, self.cc, self.channel, self.in_min, self.in_max, self.smoothing, self.deadband):
            spin.valueChanged.connect(self._commit)
        self.list.currentRowChanged.connect(lambda _row: self._show_stream())
        self.add_button.clicked.connect(self.add_stream)
        self.remove_button.clicked.connect(self.remove_stream)
        self.timer = QTimer(self, interval=200)
        self.timer.timeout.connect(self.update_preview)
        self.timer.start()

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.enabled, self.rate, self.wekinator, self.list, self.name, self.signal, self.gesture, self.device,
                self.target, self.address, self.cc, self.channel, self.fine, self.in_min, self.in_max, self.smoothing,
                self.deadband)

    # -- model -> view -------------------------------------------------------------------------
    def sync(self, config: StreamsConfig, gestures, problems: list[str]) -> None:  # noqa: ANN001
        """Show ``config`` (signals blocked by the panel)."""
        self.config = config
        row = self.list.currentRow()
        self.enabled.setChecked(config.enabled)
        self.rate.setValue(config.rate_hz)
        self.wekinator.setChecked(config.wekinator)
        self.list.clear()
        for s in config.streams:
            self.list.addItem(s.describe())
        self.gesture.clear()
        for g in gestures:
            self.gesture.addItem(g.name)
        if config.streams:
            self.list.setCurrentRow(min(max(row, 0), len(config.streams) - 1))
        self._show_stream()
        self.message.setText(" ".join(problems))
        self.message.setVisible(bool(problems))
        self.update_preview()

    def _selected(self) -> StreamConfig | None:
        row = self.list.currentRow()
        return self.config.streams[row] if 0 <= row < len(self.config.streams) else None

    def _show_stream(self) -> None:
        s = self._selected()
        editors = (self.name, self.signal, self.gesture, self.device, self.target, self.address, self.cc,
                   self.channel, self.fine, self.in_min, self.in_max, self.smoothing, self.deadband)
        for w in editors:
            w.blockSignals(True)
            w.setEnabled(s is not None and self.list.isEnabled())
        s = s or StreamConfig()
        self.name.setText(s.name)
        self.signal.setCurrentIndex(max(0, self.signal.findData(s.signal)))
        self.gesture.setCurrentIndex(max(0, self.gesture.findText(s.gesture)))
        self.device.setText(s.device)
        self.target.setCurrentIndex(max(0, self.target.findData(s.target)))
        self.address.setText(s.address)
        self.cc.setValue(s.cc)
        self.channel.setValue(s.channel)
        self.fine.setChecked(s.fine)
        self.in_min.setValue(s.in_min)
        self.in_max.setValue(s.in_max)
        self.smoothing.setValue(s.smoothing_ms)
        self.deadband.setValue(s.deadband)
        for w in editors:
            w.blockSignals(False)
        self._show_relevant(s)

    def _show_relevant(self, s: StreamConfig) -> None:
        self.gesture.setEnabled(self.gesture.isEnabled() and s.signal == "similarity")
        midi = s.target == "midi"
        for w in (self.cc, self.channel, self.fine):
            w.setEnabled(w.isEnabled() and midi)
        self.address.setEnabled(self.address.isEnabled() and s.target == "osc")
        self.range_label.setText(f"Input range ({UNITS.get(s.signal) or 'score'})")
        self.yaw_note.setVisible(s.signal in ("yaw", "orientation") or any(
            x.signal in ("yaw", "orientation") for x in self.config.streams))

    def update_preview(self) -> None:
        """Refresh each stream's live value in the list (raw value, mapped value)."""
        values = self.panel.service.stream_values()
        for i, s in enumerate(self.config.streams):
            item = self.list.item(i)
            if item is None:
                continue
            text = s.describe()
            raw, mapped = values.get(s.name, ((), []))
            if mapped:
                unit = UNITS.get(s.signal, "")
                shown_raw = " ".join(f"{r:.1f}{unit}" for r in raw)
                if s.target == "midi":
                    shown = str(round(mapped[0] * (16383 if s.fine else 127)))
                else:
                    shown = " ".join(f"{m:.2f}" for m in mapped)
                text += f"   ▶ {shown_raw} → {shown}"
            elif self.config.enabled and s.enabled:
                text += "   (waiting for data)"
            if item.text() != text:
                item.setText(text)

    # -- view -> model -------------------------------------------------------------------------
    def edited_stream(self) -> StreamConfig | None:
        s = self._selected()
        if s is None:
            return None
        signal = self.signal.currentData()
        changed_signal = signal != s.signal
        out = replace(s, name=self.name.text().strip() or s.name, signal=signal,
                      gesture=self.gesture.currentText().strip(), device=self.device.text().strip(),
                      target=self.target.currentData(), address=self.address.text().strip(), cc=self.cc.value(),
                      channel=self.channel.value(), fine=self.fine.isChecked(), in_min=self.in_min.value(),
                      in_max=self.in_max.value(), smoothing_ms=self.smoothing.value(),
                      deadband=self.deadband.value())
        if changed_signal:  # a new signal starts from its own natural range
            fresh = StreamConfig.for_signal(signal)
            out = replace(out, in_min=fresh.in_min, in_max=fresh.in_max)
        return out

    def _with(self, streams: StreamsConfig) -> bool:
        try:
            streams.check()
        except OutputError as err:
            self.message.setText(f"Not changed: {err}")
            self.message.setVisible(True)
            return False
        config = copy.deepcopy(self.panel.service.config)
        config.streams = streams
        self.panel.service.set_config(config, "Change streams")
        self.panel.sync()
        return True

    def _commit(self, *_: object) -> bool:
        streams = list(self.config.streams)
        row = self.list.currentRow()
        edited = self.edited_stream()
        if edited is not None:
            streams[row] = edited
        return self._with(replace(self.config, enabled=self.enabled.isChecked(), rate_hz=self.rate.value(),
                                  wekinator=self.wekinator.isChecked(), streams=tuple(streams)))

    def add_stream(self, signal: str = "pitch", **changes: object) -> bool:
        """Add a stream (default: pitch over OSC) with a name not yet taken, and select it."""
        taken = {s.name for s in self.config.streams}
        name, n = signal, 2
        while name in taken:
            name, n = f"{signal} {n}", n + 1
        stream = StreamConfig.for_signal(signal, name=name, **changes)
        ok = self._with(replace(self.config, streams=(*self.config.streams, stream)))
        if ok:
            self.list.setCurrentRow(len(self.config.streams) - 1)
        return ok

    def remove_stream(self) -> bool:
        row = self.list.currentRow()
        if not 0 <= row < len(self.config.streams):
            return False
        streams = self.config.streams[:row] + self.config.streams[row + 1:]
        return self._with(replace(self.config, streams=streams))
