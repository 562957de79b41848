"""Several devices in the GUI: a second simulator with its own plot row and status, stored in the project,
gestures bound to a device, the device's name in the outputs, undo."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("PySide6")

from test_ui_outputs import recognise  # noqa: E402

from studio.outputs.local_receiver import OscReceiver  # noqa: E402
from studio.project import Project  # noqa: E402
from studio.recognition.live import LiveEvent  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.settings import SettingsStore  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(SettingsStore(tmp_path / "cfg"))
    qtbot.addWidget(win)
    win.project.create(tmp_path / "show.gesture")
    win.show()
    yield win
    win.controller.disconnect_device()
    win.devices.close()
    win.outputs.close()
    win.project.close()


def add_device(win, name: str, uri: str) -> None:
    box = win.more_devices
    box.name.setText(name)
    box.uri.setText(uri)
    box.add_button.click()


def test_a_second_device_gets_a_plot_row_a_status_and_is_remembered(window, qtbot, tmp_path):
    assert window.connect_device("simulator?speed=10&seed=1")
    add_device(window, "left", "simulator?speed=10&seed=2")
    assert window.devices.names == ["imu1", "left"]
    assert "left" in window.signals_view.rows
    title, plot = window.signals_view.rows["left"]
    assert title.text() == "<b>left</b>"
    qtbot.waitUntil(lambda: "streaming" in window.more_devices._labels["left"].text(), timeout=10_000)
    qtbot.waitUntil(lambda: window.devices.extra["left"].controller.counters.samples > 200, timeout=10_000)
    assert window.signals_view.main_title.text() == "<b>imu1</b>"

    path = window.project.path
    window.project.close()
    assert window.devices.extra == {} and window.signals_view.rows == {}
    stored = Project.open(path)
    try:
        assert stored.get_setting("devices")["devices"][1] == {"name": "left", "uri": "simulator?speed=10&seed=2"}
    finally:
        stored.close()
    window.project.open(path)   # reopening the show reconnects its devices
    qtbot.waitUntil(lambda: "left" in window.devices.extra and "left" in window.signals_view.rows)


def test_bad_device_settings_are_refused_and_nothing_changes(window):
    add_device(window, "left hand", "simulator")
    assert "short word" in window.more_devices.message.text() and window.devices.names == []
    add_device(window, "left", "warp://drive")
    assert "Unknown device type" in window.more_devices.message.text() and window.devices.names == []
    add_device(window, "left", "simulator?speed=10&seed=2")
    add_device(window, "left", "simulator?seed=3")
    assert "already in this project" in window.more_devices.message.text()
    assert window.devices.names == ["imu1", "left"]


def test_gestures_belong_to_a_device_and_events_carry_its_name(window, qtbot):
    receiver = OscReceiver()
    try:
        panel = window.outputs_panel
        panel.osc_port.setValue(receiver.port)
        panel.osc_enabled.setChecked(True)
        window.library.add_gesture("wave")
        window.library.add_gesture("kick")
        add_device(window, "ankle", "simulator?speed=10&seed=2")
        box = window.more_devices
        box.gesture.setCurrentIndex(box.gesture.findText("kick"))
        index = box.owner.findData("ankle")
        box.owner.setCurrentIndex(index)
        box.owner.activated.emit(index)
        kick = window.project.project.gesture_by_name("kick")
        assert window.devices.map.device_of(kick.id) == "ankle"

        recognise(window, "kick")   # recognised on the main device (imu1): belongs to the ankle, not sent
        recognise(window, "wave")
        assert receiver.next() == ("/gesture/wave", (pytest.approx(0.9), "imu1"))
        feed = window.devices.extra["ankle"].feed
        now = time.perf_counter()
        feed.on_event(LiveEvent("kick", 0.7, time.time(), {"kick": 0.7}, arrival=now, emitted=now))
        assert receiver.next() == ("/gesture/kick", (pytest.approx(0.7), "ankle"))

        window.project.undo_stack.undo()   # kick belongs to any device again
        assert window.devices.map.device_of(kick.id) == ""
        window.project.undo_stack.undo()   # the ankle is gone
        assert window.devices.names == [] and window.devices.extra == {}
    finally:
        receiver.close()
