"""Outputs panel: where recognised gestures go (OSC, WebSocket, keystrokes, MIDI) and the continuous
streams, all stored in the project.

Every field edit becomes one undoable change of the project's output settings; the panel is synced back
from :class:`OutputsService` with its signals blocked, so syncing never writes. Keystrokes are armed
only by the explicit "Arm keystrokes" toggle, which is never stored; an ARMED badge shows while armed.
"""

from __future__ import annotations

import copy

from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox,
    QVBoxLayout, QWidget,
)

from studio.outputs.osc import DEFAULT_ADDRESS
from studio.ui.a11y import describe
from studio.ui.midi_box import MidiBox
from studio.ui.outputs_service import KINDS, OutputsService
from studio.ui.streams_box import StreamsBox
from studio.ui.theme import set_role

# level: (colour role, symbol): the symbol says the level without the colour
LEVELS = {"off": ("faint", "○"), "idle": ("muted", "…"), "ok": ("ok", "✔"), "error": ("error", "✖"),
          "armed": ("error", "⚠"), "paused": ("warning", "‖")}
LOCAL_HOST, ANY_HOST = "127.0.0.1", "0.0.0.0"


def _port_spin() -> QSpinBox:
    spin = QSpinBox(minimum=1, maximum=65535)
    spin.setKeyboardTracking(False)  # one edit per finished number, not one per digit
    return spin


class OutputsPanel(QWidget):
    """A view over :class:`OutputsService`; writes back only through ``service.set_config``/``arm``."""

    def __init__(self, service: OutputsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.state_labels: dict[str, QLabel] = {}

        self.osc_enabled = QCheckBox("Send OSC messages")
        self.osc_host = QLineEdit()
        self.osc_port = _port_spin()
        self.osc_address = QLineEdit(placeholderText=DEFAULT_ADDRESS)
        self.osc_address.setToolTip("{name} becomes the gesture's name; a gesture's own address "
                                    "(Library ▸ Outputs) wins over this template")
        describe(self.osc_host, "OSC host", "Computer that receives the OSC messages.")
        describe(self.osc_port, "OSC port")
        describe(self.osc_address, "OSC address template", self.osc_address.toolTip())
        osc_box = QGroupBox("OSC (lighting desks, Max/MSP, Wekinator-style receivers)")
        form = QFormLayout(osc_box)
        form.addRow("", self.osc_enabled)
        form.addRow("Host", self.osc_host)
        form.addRow("Port", self.osc_port)
        form.addRow("Address", self.osc_address)
        form.addRow("State", self._state_label("osc"))

        self.ws_enabled = QCheckBox("Serve JSON events over WebSocket")
        self.ws_port = _port_spin()
        describe(self.ws_port, "WebSocket port")
        ws_box = QGroupBox("WebSocket (web pages, TouchDesigner)")
        form = QFormLayout(ws_box)
        form.addRow("", self.ws_enabled)
        form.addRow("Port", self.ws_port)
        form.addRow("State", self._state_label("websocket"))

        self.keys_enabled = QCheckBox("Allow keystroke output")
        self.keys_enabled.setToolTip("Each gesture's key combo is set in the Library; nothing is pressed until armed")
        self.arm_button = QPushButton("Arm keystrokes")
        self.arm_button.setCheckable(True)
        self.arm_button.setToolTip("While armed, recognised gestures press real keys in the focused program")
        self.armed_badge = QLabel("ARMED")
        set_role(self.armed_badge, "armed")
        keys_box = QGroupBox("Keystrokes (slides, media keys, accessibility switches)")
        form = QFormLayout(keys_box)
        form.addRow("", self.keys_enabled)
        arm_row = QHBoxLayout()
        arm_row.addWidget(self.arm_button)
        arm_row.addWidget(self.armed_badge)
        arm_row.addStretch(1)
        form.addRow("", arm_row)
        form.addRow("State", self._state_label("keystrokes"))

        self.allow_remote = QCheckBox("Allow remote (beyond 127.0.0.1)")
        self.allow_remote.setToolTip("On: OSC may go to other computers and the WebSocket server accepts them. "
                                     "Off: nothing leaves this computer")
        self.problems_label = QLabel("")
        self.problems_label.setWordWrap(True)
        set_role(self.problems_label, "error")
        net_box = QGroupBox("Network")
        nv = QVBoxLayout(net_box)
        nv.addWidget(self.allow_remote)
        nv.addWidget(self.problems_label)

        self.paused_label = QLabel("‖ Outputs paused: opened with the project, nothing is sent yet.")
        set_role(self.paused_label, "warning")
        self.paused_label.setWordWrap(True)  # never widens the window
        self.resume_button = QPushButton("Outputs paused — resume")
        self.resume_button.setObjectName("primary")
        self.resume_button.setToolTip("Start the outputs this project had (OSC, WebSocket, keystrokes)")
        self.resume_button.clicked.connect(service.resume)
        self.start_with_project = QCheckBox("Start outputs with the project")
        self.start_with_project.setToolTip("On: opening this project starts its outputs at once. Off: they start "
                                           "paused until resumed")
        self.start_with_project.toggled.connect(service.set_start_with_project)
        start_box = QGroupBox("When the project opens")
        sv = QVBoxLayout(start_box)
        pause_row = QHBoxLayout()
        pause_row.addWidget(self.paused_label, 1)
        pause_row.addWidget(self.resume_button)
        sv.addLayout(pause_row)
        sv.addWidget(self.start_with_project)

        self.midi = MidiBox(self)
        self.streams = StreamsBox(self)

        left = QVBoxLayout()
        for box in (start_box, osc_box, net_box, ws_box, keys_box, self.midi):
            left.addWidget(box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.streams)
        right.addStretch(1)
        inner = QWidget()
        columns = QHBoxLayout(inner)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        # two columns that scroll when the window is short: the panel must fit a 1280 x 800 window
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        for check in (self.osc_enabled, self.ws_enabled, self.keys_enabled, self.allow_remote):
            check.toggled.connect(self._commit)
        for edit in (self.osc_host, self.osc_address):
            edit.editingFinished.connect(self._commit)
        for spin in (self.osc_port, self.ws_port):
            spin.valueChanged.connect(self._commit)
        self.arm_button.toggled.connect(self._on_arm)
        service.status_changed.connect(self.sync)
        service.paused_changed.connect(lambda _paused: self.sync())
        self.sync()

    def _state_label(self, kind: str) -> QLabel:
        label = QLabel("")
        label.setWordWrap(True)
        self.state_labels[kind] = label
        return label

    # -- model -> view -------------------------------------------------------------------------
    def _widgets(self) -> tuple[QWidget, ...]:
        return (self.osc_enabled, self.osc_host, self.osc_port, self.osc_address, self.ws_enabled, self.ws_port,
                self.keys_enabled, self.allow_remote, self.arm_button, self.start_with_project, *self.midi.widgets(),
                *self.streams.widgets())

    def sync(self) -> None:
        """Show the service's settings and each output's state (signals blocked: no write back)."""
        s = self.service
        c = s.config
        have_project = s.model.project is not None
        for w in self._widgets():
            w.blockSignals(True)
            w.setEnabled(have_project)
        self.osc_enabled.setChecked(c.osc.enabled)
        self.osc_host.setText(c.osc.host)
        self.osc_port.setValue(max(1, c.osc.port))
        self.osc_address.setText(c.osc.address)
        self.ws_enabled.setChecked(c.websocket.enabled)
        self.ws_port.setValue(max(1, c.websocket.port))
        self.keys_enabled.setChecked(c.keystrokes.enabled)
        self.allow_remote.setChecked(c.allow_remote)
        self.start_with_project.setChecked(s.start_with_project)
        self.arm_button.setChecked(s.armed)
        self.arm_button.setText("Disarm keystrokes" if s.armed else "Arm keystrokes")
        self.arm_button.setEnabled(have_project and s.running("keystrokes"))
        gestures = s.model.project.gestures() if have_project else []
        self.midi.sync(c.midi, gestures)
        self.streams.sync(c.streams, gestures, s.stream_problems)
        for w in self._widgets():
            w.blockSignals(False)
        self.armed_badge.setVisible(s.armed)
        self.paused_label.setVisible(s.paused)
        self.resume_button.setVisible(s.paused)
        for kind in KINDS:
            level, text = s.state(kind)
            label = self.state_labels[kind]
            role, symbol = LEVELS.get(level, LEVELS["off"])
            label.setText(f"{symbol} {text}")
            set_role(label, role)
        problems = list(s.problems)
        if not have_project:
            problems.append("Open or create a project to configure its outputs.")
        self.problems_label.setText(" ".join(problems))
        self.problems_label.setVisible(bool(problems))

    # -- view -> model -------------------------------------------------------------------------
    def edited_config(self):  # noqa: ANN201 - an OutputsConfig
        """The settings as the widgets show them now."""
        c = copy.deepcopy(self.service.config)
        c.osc.enabled = self.osc_enabled.isChecked()
        c.osc.host = self.osc_host.text().strip() or LOCAL_HOST
        c.osc.port = self.osc_port.value()
        c.osc.address = self.osc_address.text().strip() or DEFAULT_ADDRESS
        c.websocket.enabled = self.ws_enabled.isChecked()
        c.websocket.port = self.ws_port.value()
        c.keystrokes.enabled = self.keys_enabled.isChecked()
        c.midi.enabled = self.midi.enabled.isChecked()
        c.midi.port = self.midi.port_name()
        c.midi.channel = self.midi.channel.value()
        c.allow_remote = self.allow_remote.isChecked()
        # The WebSocket server listens on every interface only when remote use is allowed.
        c.websocket.host = ANY_HOST if c.allow_remote else LOCAL_HOST
        return c

    def _commit(self, *_: object) -> None:
        self.service.set_config(self.edited_config())
        self.sync()

    def _on_arm(self, on: bool) -> None:
        self.service.arm(on)
        self.sync()
