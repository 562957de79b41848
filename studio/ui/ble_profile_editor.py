"""Editor for generic BLE profiles: service and characteristic UUIDs, a struct layout with one channel,
scale and unit per value (or CSV text), saved by name. A captured notification (hex) can be decoded
live as a preview, so a user sees the numbers before connecting. The rules are those of
:class:`studio.devices.ble_profiles.GenericProfile`; its error text is shown as is.
"""

from __future__ import annotations

import struct

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QTableWidget, QVBoxLayout, QWidget,
)

from studio.devices.ble_profiles import Field, GenericProfile, ProfileError, ProfileStore
from studio.signals.stream import CANONICAL_CHANNELS
from studio.ui.a11y import name_form_fields
from studio.ui.theme import span

UNITS = ("", "g", "mg", "m/s^2", "deg/s", "rad/s", "mdeg/s")


class BleProfileEditor(QDialog):
    """Create, edit, preview, save and delete generic BLE profiles in ``store``."""

    def __init__(self, store: ProfileStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Generic BLE profile")
        self.store = store or ProfileStore()
        self.saved_combo = QComboBox()
        self.saved_combo.activated.connect(lambda _i: self.load(self.saved_combo.currentText()))
        self.name_edit = QLineEdit(placeholderText="e.g. my-esp32")
        self.service_edit = QLineEdit(placeholderText="service UUID (or 4-digit short form)")
        self.char_edit = QLineEdit(placeholderText="notify characteristic UUID")
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("binary struct", "struct")
        self.kind_combo.addItem("CSV text lines", "csv")
        self.kind_combo.currentIndexChanged.connect(self._on_changed)
        self.layout_edit = QLineEdit("<6h")
        self.layout_edit.setToolTip("Python struct format, e.g. <6h (six little-endian int16) or <3f")
        self.layout_edit.textChanged.connect(self._on_layout_changed)
        self.fields_table = QTableWidget(0, 3)
        self.fields_table.setHorizontalHeaderLabels(["channel", "scale", "unit"])
        self.fields_table.horizontalHeader().setStretchLastSection(True)
        self.fields_table.setAccessibleName("Values in the payload")
        self.acc_unit = QComboBox()
        self.acc_unit.addItems(["g", "mg", "m/s^2"])
        self.gyro_unit = QComboBox()
        self.gyro_unit.addItems(["deg/s", "rad/s", "mdeg/s"])
        self.rate_spin = QDoubleSpinBox(minimum=0, maximum=5000, decimals=1, suffix=" Hz")
        self.rate_spin.setSpecialValueText("estimate from arrival")
        self.payload_edit = QLineEdit(placeholderText="captured notification in hex, e.g. 00 04 00 00 00 00 …")
        self.payload_edit.textChanged.connect(self._on_changed)
        self.preview_label = QLabel("")
        self.preview_label.setWordWrap(True)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)

        form = QFormLayout()
        form.addRow("Saved profiles", self.saved_combo)
        form.addRow("Name", self.name_edit)
        form.addRow("Service", self.service_edit)
        form.addRow("Characteristic", self.char_edit)
        form.addRow("Payload", self.kind_combo)
        form.addRow("Struct layout", self.layout_edit)
        form.addRow("Values", self.fields_table)
        form.addRow("CSV accelerometer unit", self.acc_unit)
        form.addRow("CSV gyroscope unit", self.gyro_unit)
        form.addRow("Sample rate", self.rate_spin)
        form.addRow("Test payload", self.payload_edit)
        form.addRow("Decoded", self.preview_label)
        name_form_fields(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._refresh_saved()
        self._on_layout_changed()

    # -- fields --------------------------------------------------------------------------------
    def _on_layout_changed(self) -> None:
        try:
            n = len(struct.unpack(self.layout_edit.text(), bytes(struct.calcsize(self.layout_edit.text()))))
        except struct.error:
            n = self.fields_table.rowCount()
        old = self.fields()
        self.fields_table.setRowCount(n)
        for row in range(n):
            previous = old[row] if row < len(old) else Field(CANONICAL_CHANNELS[row] if row < 6 else "", 1.0, "")
            self._set_row(row, previous)
        self._on_changed()

    def _set_row(self, row: int, f: Field) -> None:
        channel = QComboBox()
        channel.addItem("(ignore)", "")
        for name in CANONICAL_CHANNELS:
            channel.addItem(name, name)
        channel.setCurrentIndex(max(0, channel.findData(f.channel)))
        channel.currentIndexChanged.connect(self._on_changed)
        scale = QDoubleSpinBox(decimals=6, minimum=-1e6, maximum=1e6)
        scale.setValue(f.scale)
        scale.valueChanged.connect(self._on_changed)
        unit = QComboBox()
        unit.addItems(UNITS)
        unit.setCurrentIndex(max(0, unit.findText(f.unit)))
        unit.currentIndexChanged.connect(self._on_changed)
        for widget, what in ((channel, "channel"), (scale, "scale"), (unit, "unit")):
            widget.setAccessibleName(f"Value {row + 1} {what}")
        self.fields_table.setCellWidget(row, 0, channel)
        self.fields_table.setCellWidget(row, 1, scale)
        self.fields_table.setCellWidget(row, 2, unit)

    def fields(self) -> list[Field]:
        out = []
        for row in range(self.fields_table.rowCount()):
            channel, scale, unit = (self.fields_table.cellWidget(row, c) for c in range(3))
            if channel is None:
                continue
            out.append(Field(channel.currentData(), scale.value(), unit.currentText()))
        return out

    # -- profile -------------------------------------------------------------------------------
    def profile(self) -> GenericProfile:
        return GenericProfile(self.name_edit.text(), self.service_edit.text(), self.char_edit.text(),
                              self.kind_combo.currentData(), self.layout_edit.text(), tuple(self.fields()),
                              self.acc_unit.currentText(), self.gyro_unit.currentText(), self.rate_spin.value())

    def _on_changed(self) -> None:
        is_struct = self.kind_combo.currentData() == "struct"
        for w in (self.layout_edit, self.fields_table):
            w.setEnabled(is_struct)
        for w in (self.acc_unit, self.gyro_unit):
            w.setEnabled(not is_struct)
        text = self.payload_edit.text().strip()
        if not text:
            self.preview_label.setText("")
            return
        try:
            payload = bytes.fromhex(text) if is_struct else text.encode()
            rows, errors = self.profile().preview(payload)
        except ValueError as err:  # bad hex, or a ProfileError saying what is wrong
            self.preview_label.setText(span(f"✖ {err}", "error"))
            return
        shown = "; ".join(", ".join(f"{c} {v:.3f}" for c, v in row.items()) for row in rows) or "no sample"
        self.preview_label.setText(shown + (f" ({errors} record(s) not understood)" if errors else ""))

    def load(self, name: str) -> None:
        try:
            p = self.store.load(name)
        except ProfileError as err:
            self.message.setText(str(err))
            return
        self.name_edit.setText(p.name)
        self.service_edit.setText(p.service)
        self.char_edit.setText(p.characteristic)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(p.kind)))
        self.layout_edit.setText(p.layout)
        for row, f in enumerate(p.fields[: self.fields_table.rowCount()]):
            self._set_row(row, f)
        self.acc_unit.setCurrentText(p.acc_unit)
        self.gyro_unit.setCurrentText(p.gyro_unit)
        self.rate_spin.setValue(p.rate_hz)
        self._on_changed()

    def _refresh_saved(self) -> None:
        self.saved_combo.clear()
        try:
            names = self.store.names()
        except ProfileError as err:
            self.message.setText(str(err))
            names = []
        self.saved_combo.addItems(names)
        self.delete_button.setEnabled(bool(names))

    def save(self) -> bool:
        """Validate and save (an existing name is replaced); the URI to use is shown."""
        try:
            spec = self.store.save(self.profile(), overwrite=True)
        except ProfileError as err:
            self.message.setText(span(f"✖ {err}", "error"))
            return False
        self._refresh_saved()
        self.saved_combo.setCurrentText(spec.name)
        self.message.setText(f"Saved. Connect with ble://ADDRESS?profile=generic:{spec.name}")
        return True

    def delete(self) -> None:
        name = self.saved_combo.currentText()
        if name:
            try:
                self.store.delete(name)
            except ProfileError as err:
                self.message.setText(str(err))
                return
            self._refresh_saved()
            self.message.setText(f"Deleted '{name}'.")
