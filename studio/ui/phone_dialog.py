"""The "Connect a phone…" dialog: pick the app, follow numbered steps, scan a QR code, get a device URI.

Usage: ``dialog = PhoneDialog(parent); if dialog.exec(): window.connect_device(dialog.uri())``.
Everything it says comes from :mod:`studio.devices.phone.guide` (Qt-free). Keyboard: Tab walks app →
steps → QR code → address → Connect/Cancel; Enter connects, Esc closes. The small web server that
hands phyphox the studio's experiment (it listens on every network) runs only while the dialog is shown.
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
from studio.devices.phone.guide import APPS, ExperimentServer, lan_ip, qr_matrix, unreachable_warning
from studio.devices.phone.uri import host_port
from studio.devices.registry import parse_uri
from studio.ui.a11y import describe
from studio.ui.theme import set_role

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


class _ServerSlot:
    """Holds the dialog's experiment server; a plain object, so closing it on ``destroyed`` needs no
    reference to the dialog being destroyed."""

    def __init__(self) -> None:
        self.server: ExperimentServer | None = None

    def close(self) -> None:
        """Stop the server if one runs."""
        server, self.server = self.server, None
        if server is not None:
            server.close()


class PhoneDialog(QDialog):
    """Choose a phone app, see how to set it up, and return the device URI with :meth:`uri`."""

    def __init__(self, parent: QWidget | None = None, app: str = "phyphox", computer_ip: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect a phone")
        self.computer_ip = computer_ip or lan_ip()
        self.qr_text = ""
        self._experiments = _ServerSlot()
        self.destroyed.connect(self._experiments.close)
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
        set_role(self.error, "error")
        self.here = QLabel(f"This computer on the network: {self.computer_ip}")
        self.here.setWordWrap(True)
        warning = unreachable_warning(self.computer_ip)
        if warning:
            self.here.setText(f"⚠ {warning}")
            set_role(self.here, "warning")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton("&Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        describe(self.connect_button, "Connect", "Connect to the phone at the address above.")
        describe(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel", "Close without connecting.")
        self.buttons.accepted.connect(self._on_connect)
        self.buttons.rejected.connect(self.reject)

        self._layout()
        self.connect_button.setDefault(True)   # after it is inside the dialog, so Enter returns to it
        self.app_box.currentIndexChanged.connect(self._on_app_changed)
        self.address.textChanged.connect(self._on_address_changed)
        index = max(0, self.app_box.findData(app))
        self.app_box.setCurrentIndex(index)
        self._on_app_changed(index)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Phone &app:", self.app_box)
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
        column.addWidget(self.here)
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
        """The URI scheme of the app chosen (phyphox, sensorserver, sensorlogger)."""
        return str(self.app_box.currentData())

    def set_app(self, key: str) -> None:
        """Select the app with URI scheme ``key`` (phyphox, sensorserver, sensorlogger)."""
        self.app_box.setCurrentIndex(self.app_box.findData(key))

    def _on_app_changed(self, _index: int) -> None:
        app = APPS[self.app_key]
        self.address.blockSignals(True)   # the guide below is drawn once, for the default address
        self.address.setText(app.uri() if app.listens else f"{app.key}://")
        self.address.blockSignals(False)
        self.address.setPlaceholderText(app.uri("192.168.1.20"))
        self._show_guide()
        self.error.clear()

    def _on_address_changed(self, _text: str) -> None:
        if APPS[self.app_key].listens:   # the push URL names the port the studio will listen on
            self._show_guide()

    def _listen_port(self) -> int | None:
        """The port typed in the address of a push app (None when there is none or it is not valid)."""
        try:
            parsed = parse_uri(self.address.text())
            if parsed.scheme != self.app_key or not parsed.target.strip("/"):
                return None
            return host_port(parsed, APPS[self.app_key].default_port, "")[1]
        except DeviceError:
            return None

    def _show_guide(self) -> None:
        app = APPS[self.app_key]
        port = self._listen_port() if app.listens else None
        qr_url = None
        if app.key == "phyphox":
            qr_url = self._experiment_url()
        elif app.listens:
            qr_url = app.push_url(self.computer_ip, port)
        steps = app.steps(self.computer_ip, qr_url, port)
        self.steps.setHtml("<ol>" + "".join(f"<li>{html.escape(s)}</li>" for s in steps) + "</ol>")
        self.steps.setAccessibleDescription(" ".join(f"Step {i}: {s}" for i, s in enumerate(steps, 1)))
        self._show_qr(qr_url, app)

    def _experiment_url(self) -> str | None:
        if not self.isVisible():   # started by showEvent: a dialog never shown leaves no port open
            return None
        if self._experiments.server is None:
            try:
                self._experiments.server = ExperimentServer()
            except OSError:  # no QR code then; the steps name the file instead
                return None
        return self._experiments.server.url(self.computer_ip)

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
            self.error.setText(f"✖ {err}")
            self.address.setAccessibleDescription(str(err))
            self.address.setFocus()
            return
        self._chosen = text
        self.accept()

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's naming
        """Start serving the phyphox experiment (when phyphox is chosen) now that the dialog shows."""
        super().showEvent(event)
        if self.app_key == "phyphox" and self._experiments.server is None:
            self._show_guide()

    def hideEvent(self, event) -> None:  # noqa: ANN001, N802
        """Stop serving the experiment: nothing listens while the dialog is not on screen."""
        self._experiments.close()
        super().hideEvent(event)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        """Stop serving the experiment when the window is closed."""
        self._experiments.close()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        """Close the dialog with ``result``, stopping the experiment server."""
        self._experiments.close()
        super().done(result)
