"""The usability problems seen by a new user (issue 14), each on real widgets offscreen: the fix you can
see in the panel, one test per item."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from studio.project import Project  # noqa: E402
from studio.recognition.live import LiveEvent  # noqa: E402
from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS  # noqa: E402
from studio.synth import render_gesture  # noqa: E402
from studio.ui import recorder as recorder_module  # noqa: E402
from studio.ui.device_controller import DeviceController  # noqa: E402
from studio.ui.device_panel import DevicePanel  # noqa: E402
from studio.ui.library_panel import LibraryPanel  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.project_model import ProjectModel  # noqa: E402
from studio.ui.recorder import RecorderPanel  # noqa: E402
from studio.ui.settings import AppSettings, SettingsStore  # noqa: E402
from studio.ui.take_view import TakeView  # noqa: E402

UNITS = tuple(CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS)


@pytest.fixture
def model(tmp_path):
    m = ProjectModel()
    m.create(tmp_path / "usability.gesture")
    yield m
    m.close()


def _take(model: ProjectModel, name: str, seed: int = 0) -> int:
    project = model.project
    x = render_gesture("shake", np.random.default_rng(seed), lead_s=0.5, tail_s=0.5)
    take = project.add_take(project.gesture_by_name(name).id, x, 100.0, CANONICAL_CHANNELS, UNITS)
    model.notify(gestures=True, takes_of=take.gesture_id)
    return take.id


def _streaming(qtbot, controller: DeviceController, uri: str = "simulator?seed=1") -> None:
    controller.connect_device(uri)
    qtbot.waitUntil(lambda: (controller.poll(), controller.buffer is not None
                             and controller.state.value == "streaming")[1], timeout=10000)


def test_record_panel_stops_asking_for_a_gesture_once_there_is_one(qtbot, model):
    panel = RecorderPanel(model, DeviceController(), AppSettings())
    qtbot.addWidget(panel)
    assert panel.info_label.text() == recorder_module.NO_GESTURE_TEXT
    model.project.add_gesture("wave", "wave left and right")
    model.notify(gestures=True)
    assert "Add a gesture" not in panel.info_label.text()
    assert panel.info_label.text() == recorder_module.READY_TEXT and panel.record_button.isEnabled()


def test_simulator_performer_chosen_by_the_user_survives_stored_takes(qtbot, model):
    controller = DeviceController()
    panel = RecorderPanel(model, controller, AppSettings())
    qtbot.addWidget(panel)
    for name in ("shake", "wave"):
        model.project.add_gesture(name, f"{name} it")
    model.notify(gestures=True)
    _streaming(qtbot, controller)
    try:
        assert panel.performer_combo.currentData() == "shake"  # matched to the gesture by name
        panel.performer_combo.setCurrentIndex(panel.performer_combo.findData(recorder_module.NOBODY))
        _take(model, "shake")  # the gesture list is rebuilt after a stored take
        _take(model, "shake", seed=1)
        assert panel.performer_combo.currentData() == recorder_module.NOBODY
        panel.gesture_combo.setCurrentIndex(panel.gesture_combo.findText("wave"))
        assert panel.performer_combo.currentData() == "wave"  # a newly chosen gesture is matched again
    finally:
        controller.disconnect_device()


def test_take_plots_share_one_time_axis_in_seconds(qtbot):
    view = TakeView("review")
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    short = render_gesture("tap", np.random.default_rng(0), lead_s=0.0, tail_s=0.0)[:40]  # 0.4 s
    view.set_take(short, 100.0)
    accel, gyro = (plot.getAxis("bottom") for plot in view._plots)
    for axis in (accel, gyro):
        assert axis.autoSIPrefix is False and axis.autoSIPrefixScale == 1.0 and axis.labelUnitPrefix == ""
    assert gyro.labelUnits == "s" and "ms" not in gyro.labelString()
    assert accel.style["showValues"] is False  # the upper plot does not repeat (and squeeze) the time labels


def test_library_take_plots_get_room_and_refused_edits_do_not_linger(qtbot, model):
    from PySide6.QtGui import QFontMetrics

    from studio.ui import theme

    theme.ensure_theme(False, 1.0)  # the theme is process-wide: another test may have left large text
    panel = LibraryPanel(model)
    qtbot.addWidget(panel)
    panel.resize(1280, 760)
    panel.show()
    panel.add_gesture("wave", "wave left and right")
    panel.add_gesture("shake", "shake it")
    _take(model, "wave")
    panel.select_gesture(model.project.gesture_by_name("wave").id)
    qtbot.waitUntil(lambda: panel.preview.isVisible() and panel.preview.height() > 0)
    heights = [plot.vb.height() for plot in panel.preview._plots]
    line = QFontMetrics(theme.plot_font()).height()
    assert min(heights) >= 3 * line, (heights, line)  # room for the data and at least four tick labels
    assert panel.take_split.sizes()[1] > panel.take_split.sizes()[0]

    assert not panel.add_gesture("Wave")  # refused: the name exists
    assert "already exists" in panel.message.text() and panel._message_timer.isActive()
    panel.select_gesture(model.project.gesture_by_name("shake").id)  # the reason no longer applies
    assert panel.message.text() == ""
    assert not panel.add_gesture("")
    assert panel.message.text()
    panel._message_timer.timeout.emit()  # its time is up (8 s)
    assert panel.message.text() == ""


def test_gesture_list_says_what_its_tick_means_and_numbers_takes_per_gesture(qtbot, model):
    panel = LibraryPanel(model)
    qtbot.addWidget(panel)
    for name in ("wave", "shake", "circle"):
        panel.add_gesture(name, f"{name} it")
    for k in range(3):  # interleaved, as a user records: database ids run across the gestures
        for name in ("wave", "shake", "circle"):
            _take(model, name, seed=k)
    panel.gesture_list.item(1).setCheckState(Qt.CheckState.Unchecked)  # stop recognising "shake"
    assert "recognised live" in panel.list_caption.text() and not panel.list_caption.isHidden()
    item = panel.gesture_list.item(1)
    assert "not recognised" in item.text() and "Not ticked: not recognised live" in item.toolTip()
    assert "Ticked: recognised live" in panel.gesture_list.item(0).toolTip()
    panel.select_gesture(model.project.gesture_by_name("circle").id)
    labels = [panel.take_list.item(i).text().split(" · ")[0] for i in range(panel.take_list.count())]
    assert labels == ["take 1", "take 2", "take 3"]


def test_connect_switches_devices_while_connected_and_failed_uris_leave_the_list(qtbot):
    controller = DeviceController()
    panel = DevicePanel(controller)
    qtbot.addWidget(panel)
    try:
        assert panel.connect_uri("simulator?seed=1")
        qtbot.waitUntil(lambda: (controller.poll(), controller.state.value == "streaming")[1], timeout=10000)
        assert not panel.connect_button.isEnabled()  # already streaming from the chosen device
        panel.select_uri("simulator?seed=2")  # typed while connected (Custom URI…)
        assert panel.connect_button.isEnabled() and panel.connect_button.text() == "Switch to this device"
        panel.connect_button.click()
        qtbot.waitUntil(lambda: (controller.poll(), controller.state.value == "streaming"
                                 and controller.uri.endswith("seed=2"))[1], timeout=10000)
        assert panel.connect_button.text() == "Connect" and not panel.connect_button.isEnabled()

        listed = panel.device_combo.count()
        assert not panel.connect_uri("nonsense://typo")
        assert panel.device_combo.findData("nonsense://typo") < 0 and panel.device_combo.count() == listed
        assert panel.selected_uri() == "simulator?seed=2"  # back on the device that works
        assert "taken off the device list" in panel.message_label.text()
        assert panel._last_failed == "nonsense://typo"  # offered again by Custom URI… to correct it
        assert panel.device_combo.findData("simulator?seed=1") >= 0  # devices that streamed stay
    finally:
        controller.disconnect_device()


def _reopen_with_osc(window: MainWindow, port: int, start_with_project: bool) -> None:
    path = window.project.path
    window.library.add_gesture("wave")
    window.outputs_panel.osc_port.setValue(port)
    window.outputs_panel.osc_enabled.setChecked(True)
    assert window.outputs.running("osc")
    window.outputs_panel.start_with_project.setChecked(start_with_project)
    window.project.open(path)


def _event(gesture: str) -> LiveEvent:
    now = time.perf_counter()
    return LiveEvent(gesture, 0.9, time.time(), {gesture: 0.9}, arrival=now, emitted=now)


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(SettingsStore(tmp_path / "cfg"))
    qtbot.addWidget(win)
    win.project.create(tmp_path / "show.gesture")
    win.show()
    yield win
    win.outputs.close()
    win.project.close()


def test_outputs_restored_by_reopening_start_paused_until_resumed(window, osc_server):
    port, received = osc_server
    _reopen_with_osc(window, port, start_with_project=False)
    assert window.outputs.paused and not window.outputs.running("osc")
    assert window.outputs_paused.isVisible() and window.outputs_paused.text() == "Outputs paused — resume"
    assert not window.outputs_panel.resume_button.isHidden()  # in the Outputs panel too
    assert "Paused" in window.outputs_panel.state_labels["osc"].text()
    assert window.outputs.sink.hub is None or not window.outputs.sink.hub.outputs  # nothing could be sent

    window.outputs_paused.click()
    assert not window.outputs.paused and window.outputs.running("osc") and not window.outputs_paused.isVisible()
    window.recognition.deliver_event(_event("wave"))
    assert received.get(timeout=5)[0] == "/gesture/wave"


def test_outputs_start_at_once_when_the_project_says_so(window, osc_server):
    port, _ = osc_server
    _reopen_with_osc(window, port, start_with_project=True)
    assert not window.outputs.paused and window.outputs.running("osc")
    assert not window.outputs_paused.isVisible()
    assert window.outputs_panel.start_with_project.isChecked()


def test_new_projects_and_projects_without_outputs_are_not_paused(tmp_path, window):
    with Project.create(tmp_path / "plain.gesture") as p:
        p.add_gesture("wave")
    window.project.open(tmp_path / "plain.gesture")
    assert not window.outputs.paused and not window.outputs_paused.isVisible()


def test_live_log_says_why_a_movement_was_not_taken_when_asked(window):
    from studio.recognition.live import Candidate

    view = window.live_view

    def log() -> list[str]:
        return [view.log.item(i).text() for i in range(view.log.count())]

    walk = Candidate(None, 0.0, {}, False, "rhythmic", 10.0, 10.6, duration_s=0.4)
    rejected = Candidate(None, 0.4, {"wave": 0.4, "shake": 0.1}, True, "rejected", 12.0, 13.0, duration_s=0.8)
    view._on_candidate(walk)
    view._on_candidate(rejected)
    assert len(log()) == 1 and log()[0].endswith("none of these (closest wave)")
    view.details_check.setChecked(True)
    view._on_candidate(walk)
    view._on_candidate(Candidate(None, 0.0, {}, False, "too-long", 20.0, 24.0, duration_s=3.0))
    view._on_candidate(rejected)
    newest = log()[:3]
    assert newest[0].endswith("none of these (closest wave, 40%)")
    assert "3.0 s not taken: went on longer than 3 s" in newest[1]
    assert "0.4 s not taken: repeated at a steady rhythm" in newest[2]
    event = _event("wave")
    event.move_end, event.decided = 5.0, 5.1
    view._on_event(event)  # the quiet waited for (100 ms of sample time) counts, not only the compute
    assert view.result_detail.text() == "confidence 90% · 100 ms after the movement ended"
