"""Preferences dialog built from :class:`AppSettings` itself: one row per field, its title as the label,
its description as the tooltip, its bounds on the spin box. Adding a setting adds it here."""

from __future__ import annotations

from dataclasses import fields, replace

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLineEdit, QSpinBox, QWidget,
)

from studio.ui.settings import AppSettings

HIDDEN = {"last_device", "last_project", "recent_projects"}  # remembered, not preferences


class PreferencesDialog(QDialog):
    """Edit a copy of ``settings``; :meth:`result_settings` returns it after OK."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._settings = settings
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout(self)
        for f in fields(settings):
            if f.name in HIDDEN:
                continue
            value, meta = getattr(settings, f.name), f.metadata
            if meta.get("choices"):
                editor = QComboBox()
                editor.addItems(list(meta["choices"]))
                editor.setCurrentText(str(value))
            elif isinstance(value, bool):
                editor = QCheckBox()
                editor.setChecked(value)
            elif isinstance(value, int):
                editor = QSpinBox()
                editor.setRange(int(meta.get("min") or 0), int(meta.get("max") or 10**6))
                editor.setValue(value)
            elif isinstance(value, float):
                editor = QDoubleSpinBox()
                editor.setDecimals(2)
                editor.setRange(float(meta.get("min") or 0.0), float(meta.get("max") or 1e6))
                editor.setValue(value)
            else:
                editor = QLineEdit(str(value))
            editor.setToolTip(meta.get("description", ""))
            editor.setAccessibleName(meta.get("title", f.name))
            editor.setAccessibleDescription(meta.get("description", ""))
            form.addRow(meta.get("title", f.name), editor)
            self.editors[f.name] = editor
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def result_settings(self) -> AppSettings:
        """The settings with the edited values, clamped to their bounds."""
        values = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                values[name] = editor.currentText()
            elif isinstance(editor, QCheckBox):
                values[name] = editor.isChecked()
            elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
                values[name] = editor.value()
            else:
                values[name] = editor.text()
        return replace(self._settings, **values).clamped()
