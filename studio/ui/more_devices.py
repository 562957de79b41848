"""Views over :class:`DeviceSet`: the device dock's "More devices" box and the extra plot rows.

The box adds a named device by URI, lists each extra device with its live status and a Remove button,
and sets which device a gesture belongs to. The plot rows sit under the main plot in the Signals panel,
one per extra device, each titled with its device's name.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from studio.ui.a11y import describe
from studio.ui.device_set import DeviceSet
from studio.ui.live_plot import LivePlot
from studio.ui.theme import set_role

ANY = "any device"


class MoreDevicesBox(QGroupBox):
    """Add, list and remove extra devices; bind gestures to a device."""

    def __init__(self, devices: DeviceSet, parent: QWidget | None = None) -> None:
        super().__init__("More devices (one per hand, wrist + ankle…)", parent)
        self.devices = devices
        self.name = QLineEdit(placeholderText="name, e.g. left")
        self.uri = QLineEdit(placeholderText="URI, e.g. simulator?seed=2 or ble://…")
        self.add_button = QPushButton("Add device")
        describe(self.name, "New device name", "A short word; it is sent with every event from this device")
        describe(self.uri, "New device URI")
        describe(self.add_button, "Add and connect the device")
        self.rows = QVBoxLayout()
        self.gesture = QComboBox()
        self.owner = QComboBox()
        describe(self.gesture, "Gesture to assign to a device")
        describe(self.owner, "Device the gesture belongs to")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        set_role(self.message, "error")

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("URI", self.uri)
        form.addRow("", self.add_button)
        bind = QHBoxLayout()
        bind.addWidget(self.gesture, 1)
        bind.addWidget(QLabel("on"))
        bind.addWidget(self.owner, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(self.rows)
        layout.addWidget(QLabel("Gesture belongs to:"))
        layout.addLayout(bind)
        layout.addWidget(self.message)

        self.add_button.clicked.connect(self._add)
        self.uri.returnPressed.connect(self._add)
        self.gesture.currentIndexChanged.connect(self._show_owner)
        self.owner.activated.connect(self._bind)
        self._labels: dict[str, QLabel] = {}
        devices.devices_changed.connect(self.sync)
        devices.status_changed.connect(self.update_status)
        devices.model.gestures_changed.connect(self.sync)
        self.sync()

    def _add(self) -> None:
        if self.devices.add(self.name.text(), self.uri.text()):
            self.devices.connect_all()
            self.name.clear()
            self.uri.clear()
        self.update_status()

    def sync(self) -> None:
        """Rebuild the rows and the gesture/device choices from the device set."""
        while self.rows.count():
            item = self.rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._labels.clear()
        names = self.devices.names
        for name in names[1:]:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            label = QLabel("")
            label.setWordWrap(True)
            remove = QPushButton("Remove")
            describe(remove, f"Remove device {name}")
            remove.clicked.connect(lambda _=False, n=name: self.devices.remove(n))
            h.addWidget(label, 1)
            h.addWidget(remove)
            self._labels[name] = label
            self.rows.addWidget(row)
        project = self.devices.model.project
        current = self.gesture.currentData()
        self.gesture.blockSignals(True)
        self.gesture.clear()
        for g in (project.gestures() if project is not None else []):
            self.gesture.addItem(g.name, g.id)
        index = self.gesture.findData(current)
        self.gesture.setCurrentIndex(max(0, index))
        self.gesture.blockSignals(False)
        self.owner.blockSignals(True)
        self.owner.clear()
        self.owner.addItem(ANY, "")
        for name in names:
            self.owner.addItem(name, name)
        self.owner.blockSignals(False)
        enabled = len(names) > 1 and self.gesture.count() > 0
        self.gesture.setEnabled(enabled)
        self.owner.setEnabled(enabled)
        self._show_owner()
        self.update_status()

    def _show_owner(self, *_: object) -> None:
        gid = self.gesture.currentData()
        owner = self.devices.map.device_of(gid) if gid is not None else ""
        self.owner.blockSignals(True)
        self.owner.setCurrentIndex(max(0, self.owner.findData(owner)))
        self.owner.blockSignals(False)

    def _bind(self, *_: object) -> None:
        gid = self.gesture.currentData()
        if gid is not None:
            self.devices.bind(gid, self.owner.currentData() or "")

    def update_status(self) -> None:
        for name, label in self._labels.items():
            label.setText(f"{name}: {self.devices.status(name)}")
        problems = list(self.devices.problems)
        main = self.devices.main_name
        text = " ".join(problems) or (f"The device in the panel above is '{main}'." if main else "")
        self.message.setText(text)
        self.message.setVisible(bool(text))
        set_role(self.message, "error" if problems else "muted")


class ExtraPlots(QWidget):
    """The Signals panel: the main plot on top, then one titled plot row per extra device."""

    def __init__(self, main_plot: LivePlot, devices: DeviceSet, time_window_s: float,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.main_plot = main_plot
        self.devices = devices
        self.time_window_s = time_window_s
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.main_title = QLabel("")
        self.main_title.setVisible(False)
        self.layout_.addWidget(self.main_title)
        self.layout_.addWidget(main_plot, 3)
        self.rows: dict[str, tuple[QLabel, LivePlot]] = {}
        devices.devices_changed.connect(self.sync)
        self.sync()

    def sync(self) -> None:
        """One row per connected extra device (created or removed to match)."""
        wanted = set(self.devices.extra)
        for name in list(self.rows):
            if name not in wanted:
                title, plot = self.rows.pop(name)
                title.deleteLater()
                plot.deleteLater()
        for name, device in self.devices.extra.items():
            if name not in self.rows:
                title = QLabel(f"<b>{name}</b>")
                plot = LivePlot(self.time_window_s)
                self.layout_.addWidget(title)
                self.layout_.addWidget(plot, 2)
                self.rows[name] = (title, plot)
                device.plot = plot
                device._plotted = None   # the next poll gives the new plot the stream
        main = self.devices.main_name
        self.main_title.setText(f"<b>{main}</b>")
        self.main_title.setVisible(bool(self.rows) and bool(main))

    def refresh(self) -> None:
        """Redraw every extra row (the main plot is refreshed by the main window's timer)."""
        for _, plot in self.rows.values():
            plot.refresh()
