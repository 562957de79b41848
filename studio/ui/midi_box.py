"""The Outputs panel's MIDI group: port and channel, and each gesture's note / CC / program change.

The port and channel are part of the project's output settings (one undoable edit each, through
``OutputsService.set_config``); a gesture's MIDI mapping is part of that gesture (``output["midi"]``,
one undoable :class:`~studio.ui.undo.EditGesture`).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget,
)

from studio.outputs import OutputError
from studio.outputs.midi import PORT_NAME, MidiAction
from studio.ui import undo
from studio.ui.a11y import describe

VIRTUAL = f"Virtual port '{PORT_NAME}'"
KIND_LABELS = {"note": "Note", "cc": "Control change (CC)", "program": "Program change"}


class MidiBox(QGroupBox):
    """MIDI settings; ``changed()`` is called (by the panel) to write the port/channel fields."""

    def __init__(self, panel, parent: QWidget | None = None) -> None:  # noqa: ANN001 - the OutputsPanel
        super().__init__("MIDI (Ableton Live, Logic, QLab, lighting desks)", parent)
        self.panel = panel
        self.enabled = QCheckBox("Send MIDI")
        self.port = QComboBox()
        self.port.setEditable(True)  # a loopback port (loopMIDI) may be typed before it exists
        self.port.setToolTip("The virtual port works on Linux and macOS; on Windows install a loopback "
                             "driver such as loopMIDI and choose its port")
        self.refresh = QPushButton("Refresh ports")
        self.channel = QSpinBox(minimum=1, maximum=16)
        self.channel.setKeyboardTracking(False)
        describe(self.port, "MIDI port", self.port.toolTip())
        describe(self.channel, "MIDI channel", "Channel 1 to 16 for gesture messages")
        describe(self.refresh, "Refresh MIDI ports")

        self.gesture = QComboBox()
        self.kind = QComboBox()
        for key, label in KIND_LABELS.items():
            self.kind.addItem(label, key)
        self.number = QSpinBox(minimum=0, maximum=127)
        self.amount = QSpinBox(minimum=1, maximum=60000)  # note length (ms) or CC value
        self.set_button = QPushButton("Set mapping")
        self.clear_button = QPushButton("Clear")
        self.mapping_label = QLabel("")
        self.mapping_label.setWordWrap(True)
        describe(self.gesture, "Gesture to map to MIDI")
        describe(self.kind, "MIDI message kind")
        describe(self.number, "MIDI note, controller or program number")
        describe(self.amount, "Note length in milliseconds, or CC value")
        describe(self.set_button, "Set the gesture's MIDI mapping")
        describe(self.clear_button, "Clear the gesture's MIDI mapping")

        form = QFormLayout(self)
        form.addRow("", self.enabled)
        port_row = QHBoxLayout()
        port_row.addWidget(self.port, 1)
        port_row.addWidget(self.refresh)
        form.addRow("Port", port_row)
        form.addRow("Channel", self.channel)
        form.addRow("Gesture", self.gesture)
        form.addRow("Sends", self.kind)
        self.number_label, self.amount_label = QLabel("Note"), QLabel("Length (ms)")
        form.addRow(self.number_label, self.number)
        form.addRow(self.amount_label, self.amount)
        buttons = QHBoxLayout()
        buttons.addWidget(self.set_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        form.addRow("Mapped", self.mapping_label)
        self.state = panel._state_label("midi")
        form.addRow("State", self.state)

        self.enabled.toggled.connect(panel._commit)
        self.channel.valueChanged.connect(panel._commit)
        self.port.activated.connect(panel._commit)
        self.port.lineEdit().editingFinished.connect(panel._commit)
        self.refresh.clicked.connect(self.refresh_ports)
        self.kind.currentIndexChanged.connect(self._on_kind)
        self.gesture.currentIndexChanged.connect(self._show_gesture)
        self.set_button.clicked.connect(self.apply_mapping)
        self.clear_button.clicked.connect(lambda: self.apply_mapping(clear=True))
        self._on_kind()

    def widgets(self) -> tuple[QWidget, ...]:
        """The setting widgets the panel blocks while syncing."""
        return (self.enabled, self.port, self.channel, self.gesture, self.kind, self.number, self.amount)

    # -- ports ---------------------------------------------------------------------------------
    def refresh_ports(self) -> list[str]:
        """List this computer's MIDI ports; a missing MIDI system is said in the state line."""
        from studio.outputs.midi import output_names

        try:
            names = output_names(self.panel.service.midi_backend)
        except OutputError as err:
            self.panel.service.error.emit(str(err))
            names = []
        current = self.port_name()
        self.port.blockSignals(True)
        self.port.clear()
        self.port.addItem(VIRTUAL, "")
        for name in names:
            self.port.addItem(name, name)
        self._show_port(current)
        self.port.blockSignals(False)
        return names

    def port_name(self) -> str:
        """"" for the virtual port, else the port's name as chosen or typed."""
        text = self.port.currentText().strip()
        return "" if text in ("", VIRTUAL) else text

    def _show_port(self, name: str) -> None:
        if not name:
            self.port.setCurrentIndex(0) if self.port.count() else self.port.addItem(VIRTUAL, "")
            return
        index = self.port.findText(name)
        if index < 0:
            self.port.addItem(name, name)
            index = self.port.count() - 1
        self.port.setCurrentIndex(index)

    # -- sync ----------------------------------------------------------------------------------
    def sync(self, config, gestures) -> None:  # noqa: ANN001 - MidiConfig, list of Gesture
        """Show ``config`` and the gesture list (signals are blocked by the panel)."""
        self.enabled.setChecked(config.enabled)
        if self.port.count() == 0:
            self.port.addItem(VIRTUAL, "")
        self._show_port(config.port)
        self.channel.setValue(config.channel if 1 <= config.channel <= 16 else 1)
        current = self.gesture.currentText()
        self.gesture.clear()
        for g in gestures:
            self.gesture.addItem(g.name, g.id)
        if current:
            index = self.gesture.findText(current)
            self.gesture.setCurrentIndex(max(0, index))
        mapped = []
        for g in gestures:
            data = (g.output or {}).get("midi")
            if data:
                try:
                    mapped.append(f"{g.name}: {MidiAction.from_dict(data).describe()}")
                except OutputError as err:
                    mapped.append(f"{g.name}: ✖ {err}")
        self.mapping_label.setText("; ".join(mapped) or "No gesture sends MIDI yet.")
        self._show_gesture()

    def _show_gesture(self, *_: object) -> None:
        g = self._gesture()
        data = ((g.output or {}).get("midi") if g is not None else None) or {}
        try:
            action = MidiAction.from_dict(data) if data else MidiAction()
        except OutputError:
            action = MidiAction()
        for w in (self.kind, self.number, self.amount):
            w.blockSignals(True)
        self.kind.setCurrentIndex(max(0, self.kind.findData(action.kind)))
        self.number.setValue(action.number)
        self._on_kind()
        self.amount.setValue(action.length_ms if action.kind == "note" else action.value)
        for w in (self.kind, self.number, self.amount):
            w.blockSignals(False)

    def _on_kind(self, *_: object) -> None:
        kind = self.kind.currentData()
        self.number_label.setText({"note": "Note", "cc": "Controller", "program": "Program"}.get(kind, "Number"))
        self.amount_label.setText("Length (ms)" if kind == "note" else "Value")
        self.amount.setVisible(kind != "program")
        self.amount_label.setVisible(kind != "program")
        self.amount.setRange(1, 60000) if kind == "note" else self.amount.setRange(0, 127)

    def _gesture(self):  # noqa: ANN202
        project = self.panel.service.model.project
        gid = self.gesture.currentData()
        return project.gesture(gid) if project is not None and gid is not None else None

    # -- edits ---------------------------------------------------------------------------------
    def action(self) -> MidiAction:
        """The mapping the widgets show."""
        kind = self.kind.currentData()
        if kind == "note":
            return MidiAction("note", self.number.value(), length_ms=self.amount.value())
        if kind == "cc":
            return MidiAction("cc", self.number.value(), value=self.amount.value())
        return MidiAction("program", self.number.value())

    def apply_mapping(self, clear: bool = False) -> bool:
        """Store (or clear) the selected gesture's MIDI mapping as one undoable edit."""
        g = self._gesture()
        model = self.panel.service.model
        if g is None:
            return False
        output = dict(g.output or {})
        if clear:
            if "midi" not in output:
                return False
            output.pop("midi")
            text = f"Clear MIDI of {g.name}"
        else:
            output["midi"] = self.action().to_dict()
            if (g.output or {}).get("midi") == output["midi"]:
                return False
            text = f"Map {g.name} to MIDI {self.action().describe()}"
        return model.run(undo.EditGesture(model, g.id, text, output=output))
