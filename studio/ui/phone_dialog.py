"""The "Connect a phone…" dialog: pick the app, follow numbered steps, scan a QR code, get a device URI.

Usage: ``dialog = PhoneDialog(parent); if dialog.exec(): window.connect_device(dialog.uri())``.
Everything it says comes from :mod:`studio.devices.phone.guide` (Qt-free). Keyboard: Tab walks app →
steps → QR code → address → Connect/Cancel; Enter connects, Esc closes.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QTextBrowser, QVBoxLayout,
    QWidget,
)

from studio.devices.base import DeviceError
from studio.devices.phone.guide import APPS, ExperimentServer, lan_ip, qr_matrix
from studio.devices.registry import parse_uri
from studio.ui.a11y import describe

QR_QUIET = 4         # modules of white border a scanner needs around the code
QR_PIXELS = 220      # about this wide on screen


def qr_pixmap(matrix: list[list[bool]], target: int = QR_PIXELS) -> QPixmap:
    """Draw a QR matrix (rows of dark modules) black on white, with its quiet zone, no files involved."""
    size = len(matrix) + 2 * QR_QUIET
    scale = max(2, target // size)
    image = QImage(size * scale, size * scale, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                painter.fillRect((x + QR_QUIET) * scale, (y + QR_QUIET) * scale, scale, scale, QColor("black"))
    painter.end()
    return QPixmap.fromImage(image)


class PhoneDialog(QDialog):
    """Choose a phone app, see how to set it up, and return the device URI with :meth:`uri`."""

    def __init__(self, parent: QWidget | None = None, app: str = "phyphox", computer_ip: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect a phone")
        self.computer_ip = computer_ip or lan_ip()
        self.qr_text = ""
        self._experiments: ExperimentServer | None = None
        self._chosen = ""

        self.app_box = QComboBox()
        for key, info in APPS.items():
            self.app_box.addItem(f"{info.name} ({info.platforms})", key)
        describe(self.app_box, "Phone app", "The app on the phone that sends its motion sensors to the studio.")
        self.steps = QTextBrowser()
        self.steps.setOpenLinks(False)
        self.steps.setTabChangesFocus(True)
        self.steps.setMinimumWidth(420)
        describe(self.steps, "Connection steps", "Numbered steps to set up the chosen app.")
        self.qr_label = QLabel()
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_label.setFocusPolicy(Qt.FocusPolicy.TabFocus)   # so a screen reader user reaches its description
        self.qr_caption = QLabel()
        self.qr_caption.setWordWrap(True)
        self.qr_caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address = QLineEdit()
        describe(self.address, "Device address", "The address the studio connects to, for example "
                                                  "phyphox://192.168.1.20:8080. Press Enter to connect.")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c92a2a;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton("&Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        describe(self.connect_button, "Connect", "Connect to the phone at the address above.")
        describe(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel", "Close without connecting.")
        self.buttons.accepted.connect(self._on_connect)
        self.buttons.rejected.connect(self.reject)

        self._layout()
        self.connect_button.setDefault(True)   # after it is inside the dialog, so Enter returns to it
        self.app_box.currentIndexChanged.connect(self._on_app_changed)
        index = max(0, self.app_box.findData(app))
        self.app_box.setCurrentIndex(index)
        self._on_app_changed(index)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Phone &app:", self.app_box)
        here = QLabel(f"This computer on the network: {self.computer_ip}")
        qr_column = QVBoxLayout()
        qr_column.addWidget(self.qr_label)
        qr_column.addWidget(self.qr_caption)
        qr_column.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.steps, 3)
        middle.addLayout(qr_column, 2)
        address_form = QFormLayout()
        address_form.addRow("Device a&ddress:", self.address)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(here)
        column.addLayout(middle)
        column.addLayout(address_form)
        column.addWidget(self.error)
        column.addWidget(self.buttons)
        QWidget.setTabOrder(self.app_box, self.steps)
        QWidget.setTabOrder(self.steps, self.qr_label)
        QWidget.setTabOrder(self.qr_label, self.address)
        QWidget.setTabOrder(self.address, self.connect_button)

    # -- choosing an app ------------------------------------------------------------------------------
    @property
    def app_key(self) -> str:
        return str(self.app_box.currentData())

    def set_app(self, key: str) -> None:
        """Select the app with URI scheme ``key`` (phyphox, sensorserver, sensorlogger)."""
        self.app_box.setCurrentIndex(self.app_box.findData(key))

    def _on_app_changed(self, _index: int) -> None:
        app = APPS[self.app_key]
        qr_url = None
        if app.key == "phyphox":
            qr_url = self._experiment_url()
        elif app.listens:
            qr_url = app.push_url(self.computer_ip)
        steps = app.steps(self.computer_ip, qr_url)
        self.steps.setHtml("<ol>" + "".join(f"<li>{html.escape(s)}</li>" for s in steps) + "</ol>")
        self.steps.setAccessibleDescription(" ".join(f"Step {i}: {s}" for i, s in enumerate(steps, 1)))
        self._show_qr(qr_url, app)
        self.address.setText(app.uri() if app.listens else f"{app.key}://")
        self.address.setPlaceholderText(app.uri("192.168.1.20"))
        self.error.clear()

    def _experiment_url(self) -> str | None:
        if self._experiments is None:
            try:
                self._experiments = ExperimentServer()
            except OSError:  # no QR code then; the steps name the file instead
                return None
        return self._experiments.url(self.computer_ip)

    def _show_qr(self, text: str | None, app) -> None:  # noqa: ANN001 - a guide.PhoneApp
        self.qr_text = text or ""
        matrix = None
        if text:
            try:
                matrix = qr_matrix(text)
            except RuntimeError as err:
                self.qr_caption.setText(str(err))
        if matrix is None:
            self.qr_label.clear()
            self.qr_label.setText("No QR code")
            if text is None:
                self.qr_caption.setText(f"{app.name} shows its own address on the phone: type it below.")
            describe(self.qr_label, "No QR code", self.qr_caption.text())
            return
        self.qr_label.setPixmap(qr_pixmap(matrix))
        meaning = ("loads the studio's experiment into phyphox" if app.key == "phyphox"
                   else "opens the push address in the phone's browser to check the connection")
        self.qr_caption.setText(f"QR code for {text}")
        describe(self.qr_label, "QR code", f"QR code encoding {text}; scanning it {meaning}.")

    # -- result ---------------------------------------------------------------------------------------
    def uri(self) -> str:
        """The device URI chosen (valid after the dialog was accepted)."""
        return self._chosen

    def _on_connect(self) -> None:
        text = self.address.text().strip()
        try:
            parsed = parse_uri(text)
            if parsed.scheme not in APPS:
                raise DeviceError(f"{text!r} is not a phone address.", f"Start it with {self.app_key}://")
            if not parsed.target.strip("/") and not APPS[parsed.scheme].listens:
                raise DeviceError("The phone's address is missing.",
                                  f"Type the address the app shows, e.g. {APPS[parsed.scheme].uri('192.168.1.20')}.")
        except DeviceError as err:
            self.error.setText(str(err))
            self.address.setAccessibleDescription(str(err))
            self.address.setFocus()
            return
        self._chosen = text
        self.accept()

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's naming
        if self._experiments is None and self.app_key == "phyphox":  # shown again after closing
            self._on_app_changed(self.app_box.currentIndex())
        super().showEvent(event)

    def done(self, result: int) -> None:
        if self._experiments is not None:
            self._experiments.close()
            self._experiments = None
        super().done(result)
