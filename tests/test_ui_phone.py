"""The "Connect a phone" dialog (keyboard, screen reader, QR code) and a phone streaming into the main window."""

from __future__ import annotations

import urllib.request

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("segno")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.devices.phone.fakes import FakePhyphox  # noqa: E402
from studio.devices.phone.guide import EXPERIMENT_FILE, qr_matrix  # noqa: E402
from studio.ui.a11y import unnamed_controls  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.phone_dialog import QR_QUIET, PhoneDialog  # noqa: E402
from studio.ui.settings import SettingsStore  # noqa: E402

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def dialog(qtbot):
    dlg = PhoneDialog(app="sensorlogger", computer_ip="192.168.7.31")
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.activateWindow()
    qtbot.waitExposed(dlg)
    qtbot.waitUntil(dlg.isActiveWindow, timeout=3000)
    yield dlg
    dlg.done(0)


def drawn_modules(dialog: PhoneDialog) -> list[list[bool]]:
    """Read the QR modules back from the pixmap the dialog shows (centre pixel of each module)."""
    image = dialog.qr_label.pixmap().toImage()
    n = len(qr_matrix(dialog.qr_text)) + 2 * QR_QUIET
    scale = image.width() // n
    def dark(x: int, y: int) -> bool:
        centre = (x + QR_QUIET) * scale + scale // 2, (y + QR_QUIET) * scale + scale // 2
        return image.pixelColor(*centre).lightness() < 128

    return [[dark(x, y) for x in range(n - 2 * QR_QUIET)] for y in range(n - 2 * QR_QUIET)]


def test_every_control_is_named_and_the_qr_code_is_described(dialog):
    assert unnamed_controls(dialog) == []
    for key in ("phyphox", "sensorserver", "sensorlogger"):
        dialog.set_app(key)
        assert unnamed_controls(dialog) == []
        assert dialog.qr_label.accessibleName() and dialog.qr_label.accessibleDescription()
    assert "Step 1:" in dialog.steps.accessibleDescription()


def test_sensor_logger_shows_the_push_url_as_qr_and_listens_by_default(dialog):
    assert dialog.address.text() == "sensorlogger://0.0.0.0:8000"
    assert dialog.qr_text == "http://192.168.7.31:8000/"
    assert "http://192.168.7.31:8000/" in dialog.qr_label.accessibleDescription()
    assert "http://192.168.7.31:8000/" in dialog.steps.toPlainText()
    assert drawn_modules(dialog) == qr_matrix(dialog.qr_text)    # the picture is exactly that code


def test_phyphox_qr_code_serves_the_studio_experiment(dialog):
    dialog.set_app("phyphox")
    assert dialog.qr_text.endswith("/studio-imu.phyphox")
    local = "http://127.0.0.1:" + dialog.qr_text.split(":")[2]
    with urllib.request.urlopen(local, timeout=5) as reply:
        assert reply.read() == EXPERIMENT_FILE.read_bytes()
    assert drawn_modules(dialog) == qr_matrix(dialog.qr_text)
    dialog.set_app("sensorserver")
    assert dialog.qr_text == "" and "own address" in dialog.qr_label.accessibleDescription()


def test_keyboard_only_connect(dialog, qtbot):
    dialog.set_app("phyphox")
    dialog.app_box.setFocus()
    order = []
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == [dialog.steps, dialog.qr_label, dialog.address, dialog.connect_button]
    dialog.address.setFocus()
    qtbot.keyClick(dialog.address, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.address, "phyphox://")
    qtbot.keyClick(dialog.address, Qt.Key.Key_Return)                 # no phone address yet: refused
    assert dialog.isVisible() and "missing" in dialog.error.text()
    qtbot.keyClicks(dialog.address, "192.168.1.20:8080")
    qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.uri() == "phyphox://192.168.1.20:8080"


def test_escape_closes_without_a_uri(dialog, qtbot):
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == dialog.DialogCode.Rejected and dialog.uri() == ""


def test_a_phyphox_phone_streams_into_the_live_plot(qtbot, tmp_path):
    fake = FakePhyphox()
    window = MainWindow(SettingsStore(tmp_path / "cfg"))
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.connect_device(fake.uri)
        qtbot.waitUntil(lambda: window.plot.frames >= 3 and window.controller.buffer.written > 100, timeout=15000)
        curves = window.plot.latest_curve_data()
        assert curves[2].size > 50 and np.allclose(curves[2][-10:], 1.0, atol=1e-4)      # acc z: 1 g
        assert curves[3].size > 50 and np.allclose(curves[3][-10:], 180.0, atol=1e-2)    # gyro x: pi rad/s
        assert "phyphox" in window.controller.info.device
    finally:
        window.controller.disconnect_device()
        fake.close()


def test_experiment_server_listens_only_while_the_dialog_is_shown(qtbot):
    dlg = PhoneDialog(app="phyphox", computer_ip="192.168.7.31")
    qtbot.addWidget(dlg)
    assert dlg._experiments.server is None and dlg.qr_text == ""      # never shown: no open port
    dlg.show()
    qtbot.waitExposed(dlg)
    assert dlg.qr_text.endswith("/studio-imu.phyphox")
    local = "http://127.0.0.1:" + dlg.qr_text.split(":")[2]
    with urllib.request.urlopen(local, timeout=5) as reply:
        assert reply.read() == EXPERIMENT_FILE.read_bytes()
    dlg.hide()
    assert dlg._experiments.server is None
    with pytest.raises(OSError):
        urllib.request.urlopen(local, timeout=5)
    dlg.show()                                                          # shown again: serving again
    qtbot.waitExposed(dlg)
    assert dlg._experiments.server is not None
    dlg.done(0)
    assert dlg._experiments.server is None


def test_errors_use_the_theme_error_role_and_a_symbol(dialog, qtbot):
    dialog.set_app("phyphox")
    dialog.address.setText("phyphox://")
    qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
    assert dialog.error.text().startswith("✖ ") and "missing" in dialog.error.text()
    assert dialog.error.property("role") == "error" and "#" not in dialog.error.styleSheet()


def test_sensor_logger_steps_and_qr_follow_the_port_typed(dialog):
    dialog.address.setText("sensorlogger://0.0.0.0:8123")
    assert dialog.qr_text == "http://192.168.7.31:8123/"
    text = dialog.steps.toPlainText()
    assert "http://192.168.7.31:8123/" in text and "port 8123" in text and "8000" not in text


def test_a_computer_without_a_network_is_told_so_in_words(qtbot):
    dlg = PhoneDialog(app="sensorlogger", computer_ip="127.0.0.1")
    qtbot.addWidget(dlg)
    assert "same Wi-Fi or LAN" in dlg.here.text() and dlg.here.property("role") == "warning"
    normal = PhoneDialog(app="sensorlogger", computer_ip="192.168.7.31")
    qtbot.addWidget(normal)
    assert "Wi-Fi" not in normal.here.text() and "192.168.7.31" in normal.here.text()
