"""The Outputs panel and per-gesture output mapping on a real main window offscreen: events recognised
live reach a real OSC server, keystrokes stay disarmed until armed, failures are shown in plain words."""

from __future__ import annotations

import queue
import socket
import threading
import time

import pytest

pytest.importorskip("PySide6")

from fake_keys import FakeKeys  # noqa: E402

from studio.project import Project  # noqa: E402
from studio.recognition.live import LiveEvent  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.settings import SettingsStore  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(SettingsStore(tmp_path / "cfg"))
    qtbot.addWidget(win)
    win.outputs.key_backend = FakeKeys()
    win.project.create(tmp_path / "show.gesture")
    win.show()
    yield win
    win.outputs.close()
    win.project.close()


def recognise(win: MainWindow, gesture: str, confidence: float = 0.9) -> None:
    """A recognised gesture through the live path: the LiveRecogniser's event callback (outputs at once),
    then the GUI poll (live view)."""
    now = time.perf_counter()
    event = LiveEvent(gesture, confidence, time.time(), {gesture: confidence}, arrival=now, emitted=now)
    thread = threading.Thread(target=win.recognition.deliver_event, args=(event,))  # as the runner does
    thread.start()
    thread.join(5)
    win.recognition.poll()


def set_mapping(win: MainWindow, gesture: str, osc: str | None = None, key: str | None = None) -> None:
    lib = win.library
    lib.select_gesture(win.project.project.gesture_by_name(gesture).id)
    for edit, text in ((lib.osc_edit, osc), (lib.key_edit, key)):
        if text is not None:
            edit.setText(text)
            edit.editingFinished.emit()


def test_osc_configured_in_the_panel_receives_recognised_gestures(window, osc_server, qtbot):
    port, received = osc_server
    window.library.add_gesture("wave")
    window.library.add_gesture("circle")
    set_mapping(window, "circle", osc="/lights/cue/1")
    panel = window.outputs_panel
    panel.osc_port.setValue(port)
    panel.osc_enabled.setChecked(True)
    assert window.project.project.get_setting("outputs")["osc"] == {
        "enabled": True, "host": "127.0.0.1", "port": port, "address": "/gesture/{name}"}
    assert f"OSC -> 127.0.0.1:{port}" in panel.state_labels["osc"].text()

    recognise(window, "wave", 0.75)
    recognise(window, "circle", 0.5)
    assert window.live_view.events_seen == 2
    got = [received.get(timeout=5), received.get(timeout=5)]
    assert got[0][0] == "/gesture/wave" and got[0][1][0] == pytest.approx(0.75)
    assert got[1][0] == "/lights/cue/1" and got[1][1][0] == pytest.approx(0.5)

    window.project.undo_stack.undo()  # OSC off again
    assert not panel.osc_enabled.isChecked() and "Off" in panel.state_labels["osc"].text()
    recognise(window, "wave")
    window.outputs.flush()
    with pytest.raises(queue.Empty):
        received.get(timeout=0.3)

    panel.osc_enabled.setChecked(True)
    panel.osc_host.setText("10.20.30.40")
    panel.osc_host.editingFinished.emit()
    assert "allow remote" in panel.state_labels["osc"].text()
    assert not window.outputs.running("osc")


def test_keystrokes_stay_disarmed_until_armed_and_the_badges_show(window, qtbot):
    keys = window.outputs.key_backend
    window.library.add_gesture("next slide")
    set_mapping(window, "next slide", key="Ctrl+Right")
    panel = window.outputs_panel
    assert not panel.arm_button.isEnabled()
    panel.keys_enabled.setChecked(True)
    assert "armed" not in window.project.project.get_setting("outputs")["keystrokes"]

    recognise(window, "next slide")
    window.outputs.flush()
    assert keys.calls == []
    assert panel.armed_badge.isHidden() and window.armed_status.isHidden()
    assert "not armed" in panel.state_labels["keystrokes"].text()

    panel.arm_button.click()
    assert window.outputs.armed
    assert not panel.armed_badge.isHidden() and not window.armed_status.isHidden()
    assert "ARMED" in panel.state_labels["keystrokes"].text()
    recognise(window, "next slide")
    window.outputs.flush()
    assert keys.calls == ["+ctrl", "+right", "-right", "-ctrl"]

    panel.arm_button.click()
    assert not window.outputs.armed and window.armed_status.isHidden()
    recognise(window, "next slide")
    window.outputs.flush()
    assert len(keys.calls) == 4

    panel.arm_button.click()
    path = window.project.path
    window.project.open(path)  # a project switch disarms, and restored outputs wait to be resumed
    assert not window.outputs.armed and window.armed_status.isHidden()
    assert window.outputs.paused and not window.outputs.running("keystrokes")
    window.outputs.resume()
    assert window.outputs.running("keystrokes") and not window.outputs.armed


def test_port_in_use_is_reported_and_recognition_goes_on(window, qtbot):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    try:
        window.library.add_gesture("wave")
        panel = window.outputs_panel
        panel.ws_port.setValue(blocker.getsockname()[1])
        panel.ws_enabled.setChecked(True)
        text = panel.state_labels["websocket"].text()
        assert "already in use" in text and "choose another port" in text
        assert "already in use" in window.statusBar().currentMessage()
        recognise(window, "wave")
        assert window.live_view.events_seen == 1 and window.live_view.result_label.text() == "wave"
    finally:
        blocker.close()


def test_websocket_client_count_shown(window, qtbot):
    from websockets.sync.client import connect

    panel = window.outputs_panel
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    panel.ws_port.setValue(port)
    panel.ws_enabled.setChecked(True)
    assert "0 clients connected" in panel.state_labels["websocket"].text()
    window.library.add_gesture("wave")
    with connect(f"ws://127.0.0.1:{port}") as client:
        qtbot.waitUntil(lambda: "1 client connected" in panel.state_labels["websocket"].text(), timeout=5000)
        recognise(window, "wave", 0.8)
        assert '"gesture": "wave"' in client.recv(timeout=5)


def test_gesture_mapping_is_validated_and_stored_in_the_project(window, tmp_path):
    lib = window.library
    lib.add_gesture("wave")
    set_mapping(window, "wave", key="ctrl+banana")
    assert "Key combo not saved" in lib.message.text() and "banana" in lib.message.text()
    assert window.project.project.gesture_by_name("wave").output == {}
    set_mapping(window, "wave", osc="/bad address")
    assert "OSC address not saved" in lib.message.text()
    set_mapping(window, "wave", osc="/lights/wave", key="Ctrl+Alt+Right")
    assert lib.message.text() == ""
    assert lib.key_edit.text() == "ctrl+alt+right"
    path = window.project.path
    window.project.close()
    with Project.open(path) as project:
        assert project.gesture_by_name("wave").output == {"osc": "/lights/wave", "key": "ctrl+alt+right"}
    window.project.open(path)
    window.library.select_gesture(window.project.project.gesture_by_name("wave").id)
    assert lib.osc_edit.text() == "/lights/wave"
    set_mapping(window, "wave", key="")
    assert window.project.project.gesture_by_name("wave").output == {"osc": "/lights/wave"}
    window.project.undo_stack.undo()
    assert window.project.project.gesture_by_name("wave").output["key"] == "ctrl+alt+right"


def test_arming_without_a_display_says_so_and_stays_disarmed(window, monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    window.outputs.key_backend = None  # the real pynput path
    panel = window.outputs_panel
    panel.keys_enabled.setChecked(True)
    panel.arm_button.click()
    assert not window.outputs.armed and not panel.arm_button.isChecked()
    assert "no display" in panel.state_labels["keystrokes"].text()
    assert "no display" in window.statusBar().currentMessage()
    assert panel.armed_badge.isHidden() and window.armed_status.isHidden()

