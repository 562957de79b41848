"""Device panel: choose a device, connect/disconnect, see its state, rate and counters, and (for the
simulator) make it perform gestures.

A view over :class:`DeviceController`: it listens to the controller's signals and writes back only
through its methods. Faults are shown as the plain-language text of the DeviceError, fix included.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QInputDialog, QLabel, QPushButton,
    QVBoxLayout, QWidget,
)

from studio.ui.a11y import describe
from studio.ui.device_controller import DeviceController, describe_error
from studio.ui.theme import set_role
from studio.ui.workers import Job

CUSTOM = "__custom__"
STATE_STYLE = {  # state: (text, colour role, symbol): the symbol and text say it without the colour
    "streaming": ("Streaming", "ok", "●"),
    "connecting": ("Connecting…", "busy", "◌"),
    "reconnecting": ("Reconnecting…", "busy", "◌"),
    "failed": ("Failed", "error", "✖"),
    "disconnected": ("Disconnected", "faint", "○"),
}


def scan_devices(progress, should_stop, ble_seconds: float = 4.0):  # noqa: ANN001, ANN201
    """Serial ports and BLE devices as ``([(label, uri)], note)``; runs on a worker thread."""
    from studio.devices import discover_cmd

    ports, ble = discover_cmd.discover(ble_seconds)
    entries = [(p.label, p.uri) for p in ports]
    note = ""
    if isinstance(ble, Exception):
        note = str(ble)  # e.g. no Bluetooth adapter: a plain message with the fix; serial still listed
    else:
        for dev in ble:
            profile = f" [{dev.profiles[0]}]" if dev.profiles else ""
            entries.append((f"BLE {dev.name or dev.address}{profile} ({dev.rssi} dBm)", dev.uri))
    return entries, note


class DevicePanel(QWidget):
    """Device choice, connection state and counters; gesture buttons when the device can perform."""

    perform_requested = Signal(str)
    phone_requested = Signal()  # "Phone…": the window shows the phone connection dialog

    def __init__(self, controller: DeviceController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._scan_job: Job | None = None
        # URIs the user typed that have not streamed yet: taken off the list again when they fail, so a
        # typo does not stay there for good (the Custom URI dialog offers the last one to correct).
        self._tentative: set[str] = set()
        self._last_failed = ""
        self._last_good = "simulator"
        self._requested = ""  # the URI last connected from this panel, as listed (sources may normalise it)

        self.device_combo = QComboBox()
        self.device_combo.setMinimumContentsLength(18)
        # Long URIs must not widen the dock: show them elided, in full in the tooltip.
        self.device_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_combo.currentIndexChanged.connect(
            lambda _i: self.device_combo.setToolTip(str(self.device_combo.currentData())))
        self.device_combo.addItem("Simulated IMU", "simulator")
        self.device_combo.addItem("Custom URI…", CUSTOM)
        self.device_combo.activated.connect(self._on_device_activated)
        describe(self.device_combo, "Device", "The IMU to stream from; Ctrl+K connects.")
        self.scan_button = QPushButton("Scan")
        self.scan_button.setToolTip("Look for serial ports and Bluetooth LE devices")
        self.scan_button.clicked.connect(lambda: self.scan())
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("primary")
        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.disconnect_button = QPushButton("Disconnect")
        self.disconnect_button.clicked.connect(controller.disconnect_device)
        self.profiles_button = QPushButton("BLE profiles…")
        self.profiles_button.setToolTip("Describe a BLE device the studio does not know (UUIDs and data layout)")
        self.profiles_button.clicked.connect(self.edit_ble_profiles)
        self.phone_button = QPushButton("Phone…")
        self.phone_button.setToolTip("Use a phone's sensors over the local network (Ctrl+Shift+P)")
        describe(self.phone_button, "Connect a phone", self.phone_button.toolTip())
        self.phone_button.clicked.connect(self.phone_requested)

        self.state_label = QLabel()
        self.state_label.setObjectName("statePill")
        self.notice_label = QLabel("")
        self.notice_label.setWordWrap(True)
        set_role(self.notice_label, "warning")
        self.notice_label.setVisible(False)
        self.message_label = QLabel("Choose a device and press Connect.")
        self.message_label.setWordWrap(True)
        self.message_label.setObjectName("deviceMessage")
        self.rate_label, self.samples_label = QLabel("–"), QLabel("0")
        self.dropped_label, self.errors_label, self.reconnects_label = QLabel("0"), QLabel("0"), QLabel("0")

        choose = QHBoxLayout()
        choose.addWidget(self.device_combo, 1)
        choose.addWidget(self.scan_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.disconnect_button)
        counters = QFormLayout()
        counters.addRow("Sample rate", self.rate_label)
        counters.addRow("Samples", self.samples_label)
        counters.addRow("Dropped", self.dropped_label)
        counters.addRow("Parse errors", self.errors_label)
        counters.addRow("Reconnects", self.reconnects_label)

        device_box = QGroupBox("Connection")
        box = QVBoxLayout(device_box)
        box.addLayout(choose)
        box.addLayout(buttons)
        box.addWidget(self.state_label)
        box.addWidget(self.message_label)
        box.addWidget(self.notice_label)
        box.addLayout(counters)
        extra = QHBoxLayout()
        extra.addWidget(self.phone_button)
        extra.addWidget(self.profiles_button)
        box.addLayout(extra)

        self.gesture_box = QGroupBox("Simulator: perform a gesture")
        self.gesture_grid = QGridLayout(self.gesture_box)
        self.gesture_box.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(device_box)
        layout.addWidget(self.gesture_box)
        layout.addStretch(1)

        self._list_serial_ports()
        controller.state_changed.connect(self._on_state_changed)
        controller.buffer_changed.connect(self._refresh_gestures)
        self.device_combo.currentIndexChanged.connect(lambda _i: self._update_buttons())
        self._on_state_changed("disconnected", "Choose a device and press Connect.")

    # -- device choice -------------------------------------------------------------------------
    def selected_uri(self) -> str:
        return str(self.device_combo.currentData())

    def select_uri(self, uri: str) -> None:
        """Select ``uri`` in the combo box, adding it as an entry if it is not listed (until it has
        streamed once, such an entry is tentative: it goes again if connecting to it fails)."""
        index = self.device_combo.findData(uri)
        if index < 0:
            index = self.device_combo.count() - 1  # before "Custom URI…"
            self.device_combo.insertItem(index, uri, uri)
            self._tentative.add(uri)
        self.device_combo.setCurrentIndex(index)

    def _on_device_activated(self, index: int) -> None:
        if self.device_combo.itemData(index) != CUSTOM:
            return
        text, ok = QInputDialog.getText(self, "Custom device", "Device URI (e.g. serial:///dev/ttyACM0?format=csv):",
                                        text=self._last_failed)
        if ok and text.strip():
            self.select_uri(text.strip())
        else:
            self.select_uri(self.controller.uri or self._last_good)

    def _forget_failed(self, uri: str) -> bool:
        """Take a tentative ``uri`` that failed off the list and select the last device that worked."""
        self._last_failed = uri
        if uri not in self._tentative:
            return False
        self._tentative.discard(uri)
        index = self.device_combo.findData(uri)
        if index >= 0:
            self.device_combo.removeItem(index)
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(self._last_good)))
        return True

    def _list_serial_ports(self) -> None:
        """Serial ports are listed at once (milliseconds); BLE devices need a Scan (seconds)."""
        try:
            from studio.devices.discover_cmd import list_serial_ports

            ports = list_serial_ports()
        except Exception:  # no pyserial or no permission to list: the Scan button says why
            return
        for port in ports:
            if self.device_combo.findData(port.uri) < 0:
                self.device_combo.insertItem(self.device_combo.count() - 1, port.label, port.uri)

    def edit_ble_profiles(self) -> None:
        from studio.ui.ble_profile_editor import BleProfileEditor

        BleProfileEditor(parent=self).exec()

    def scan(self, scanner=scan_devices) -> Job | None:  # noqa: ANN001
        """Refresh the device list in the background (a BLE scan takes seconds)."""
        if self._scan_job is not None and self._scan_job.running:
            return None
        self.scan_button.setEnabled(False)
        self.scan_button.setText("Scanning…")
        self._scan_job = Job(scanner, self)
        self._scan_job.finished.connect(lambda result: self._on_scan_found(*result))
        self._scan_job.failed.connect(lambda msg: self.message_label.setText(f"The scan failed: {msg}"))
        self._scan_job.done.connect(self._on_scan_done)
        return self._scan_job.start()

    def _on_scan_done(self) -> None:
        self.scan_button.setEnabled(True)
        self.scan_button.setText("Scan")

    def _on_scan_found(self, entries: list, note: str) -> None:
        current = self.selected_uri()
        for label, uri in entries:
            if self.device_combo.findData(uri) < 0:
                self.device_combo.insertItem(self.device_combo.count() - 1, label, uri)
        self.select_uri(current)
        found = f"Found {len(entries)} device(s)." if entries else "No serial or BLE devices found."
        self.message_label.setText(f"{found} {note}".strip())

    # -- connection ----------------------------------------------------------------------------
    def _on_connect_clicked(self) -> None:
        self.connect_uri(self.selected_uri())

    def connect_uri(self, uri: str) -> bool:
        """Connect to ``uri``; a bad URI or missing driver is shown in the panel, never raised."""
        self.select_uri(uri)
        self._requested = uri
        try:
            self.controller.connect_device(uri)
        except Exception as err:  # the app never dies on a device fault
            self._on_state_changed("failed", self._failure_text(uri, describe_error(err)))
            return False
        return True

    def _failure_text(self, uri: str, message: str) -> str:
        if self._forget_failed(uri):
            return (f"{message} '{uri}' was taken off the device list; Custom URI… offers it again to "
                    "correct it.")
        return message

    def _on_state_changed(self, state: str, message: str) -> None:
        text, role, symbol = STATE_STYLE.get(state, (state, "faint", "○"))
        self.state_label.setText(f"{symbol} {text}")
        set_role(self.state_label, role)
        uri = self._active_uri()
        if state == "streaming" and uri:
            self._tentative.discard(uri)  # it works: it stays on the list
            self._last_good = uri
        elif state == "failed" and uri and message:
            message = self._failure_text(uri, message)
        if message:
            self.message_label.setText(message)
        self._update_buttons(state)
        if state in ("disconnected", "failed"):
            self.gesture_box.setVisible(False)
            self.rate_label.setText("–")

    def _active_uri(self) -> str:
        uri = self.controller.uri
        return self._requested if uri and self._requested else uri

    def _update_buttons(self, state: str | None = None) -> None:
        """Connect is offered when not connected, and also while connected when another device is chosen
        (connecting then switches to it)."""
        state = state or self.controller.state.value
        busy = state in ("streaming", "connecting", "reconnecting")
        other = busy and self.selected_uri() not in (CUSTOM, self._active_uri())
        self.connect_button.setEnabled(not busy or other)
        self.connect_button.setText("Switch to this device" if other else "Connect")
        self.disconnect_button.setEnabled(busy)

    def update_counters(self) -> None:
        """Refresh the numbers (called from the main window's slow timer)."""
        c = self.controller.counters
        if self.controller.state.value == "streaming":
            self.rate_label.setText(f"{c.rate_hz:.1f} Hz" if c.rate_hz else "measuring…")
        self.samples_label.setText(f"{c.samples:,}")
        self.dropped_label.setText(f"{c.dropped:,}")
        self.errors_label.setText(f"{c.parse_errors:,}")
        self.reconnects_label.setText(str(c.reconnects))
        try:
            notices = list(getattr(self.controller.source, "notices", []) or [])
        except Exception:  # a source's notices must never break the panel
            notices = []
        text = " ".join(str(n) for n in notices)
        if text != self.notice_label.text():
            self.notice_label.setText(text)
            self.notice_label.setVisible(bool(text))

    # -- simulator gestures --------------------------------------------------------------------
    def gesture_names(self) -> list[str]:
        source = self.controller.source
        names = getattr(source, "gesture_names", None)
        return list(names()) if callable(names) and callable(getattr(source, "perform", None)) else []

    def _refresh_gestures(self) -> None:
        while self.gesture_grid.count():
            item = self.gesture_grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        names = self.gesture_names()
        for i, name in enumerate(names):
            button = QPushButton(name.replace("_", " "))
            hint = f" (Ctrl+{i + 1})" if i < 9 else ""
            button.setToolTip(f"Make the simulator perform '{name}'{hint}")
            button.clicked.connect(lambda _=False, n=name: self.perform(n))
            self.gesture_grid.addWidget(button, i // 2, i % 2)
        self.gesture_box.setVisible(bool(names))

    def perform(self, name: str) -> None:
        source = self.controller.source
        if source is not None and callable(getattr(source, "perform", None)):
            source.perform(name)
            self.perform_requested.emit(name)
