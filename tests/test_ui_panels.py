"""Library panel, device panel faults and scanning, and the --panel switch, on real widgets offscreen."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from studio.devices import faults  # noqa: E402
from studio.devices.base import Source  # noqa: E402
from studio.project import Project  # noqa: E402
from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS, StreamInfo  # noqa: E402
from studio.synth import render_gesture  # noqa: E402
from studio.ui.device_controller import DeviceController  # noqa: E402
from studio.ui.device_panel import DevicePanel  # noqa: E402
from studio.ui.library_panel import LibraryPanel  # noqa: E402
from studio.ui.project_model import ProjectModel  # noqa: E402

UNITS = tuple(CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS)


@pytest.fixture
def library(qtbot, tmp_path):
    model = ProjectModel()
    model.create(tmp_path / "lib.gesture")
    panel = LibraryPanel(model)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    yield panel
    model.close()


def _add_take(panel, name, seed=0):
    project = panel.model.project
    x = render_gesture("shake", np.random.default_rng(seed), lead_s=0.5, tail_s=0.5)
    return project.add_take(project.gesture_by_name(name).id, x, 100.0, CANONICAL_CHANNELS, UNITS)


def test_add_refuse_rename_and_undo_through_the_panel(library, qtbot):
    panel = library
    panel.new_name.setText("wave")
    panel.new_description.setText("wave the hand")
    panel.add_button.click()
    assert panel.gesture_list.count() == 1 and panel.new_name.text() == ""
    assert "from text only" in panel.gesture_list.item(0).text()
    assert "from text only" in panel.badge.text()
    assert not panel.add_gesture("Wave")
    assert "already exists" in panel.message.text()
    assert not panel.add_gesture("  ")
    assert "empty" in panel.message.text()
    assert panel.gesture_list.count() == 1

    panel.name_edit.setText("")
    panel.name_edit.editingFinished.emit()
    assert "empty" in panel.message.text() and panel.name_edit.text() == "wave"
    panel.name_edit.setText("hello")
    panel.name_edit.editingFinished.emit()
    assert panel.model.project.gestures()[0].name == "hello" and panel.message.text() == ""
    panel.gesture_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert panel.model.project.gestures()[0].enabled is False
    stack = panel.model.undo_stack
    stack.undo()
    stack.undo()
    assert panel.gesture_list.item(0).text().startswith("wave")
    assert panel.gesture_list.item(0).checkState() == Qt.CheckState.Checked
    panel.duplicate_button.click()
    assert [g.name for g in panel.model.project.gestures()] == ["wave", "wave 2"]
    panel.delete_button.click()
    assert [g.name for g in panel.model.project.gestures()] == ["wave"]
    stack.undo()
    assert [g.name for g in panel.model.project.gestures()] == ["wave", "wave 2"]
    panel.select_gesture(panel.model.project.gesture_by_name("wave 2").id)
    panel.up_button.click()
    assert [g.name for g in panel.model.project.gestures()] == ["wave 2", "wave"]
    assert panel.gesture_list.item(0).text().startswith("wave 2") and panel.gesture_list.currentRow() == 0
    stack.undo()
    assert [g.name for g in panel.model.project.gestures()] == ["wave", "wave 2"]


def test_takes_thumbnails_trim_play_relabel_delete(library, qtbot):
    panel = library
    panel.add_gesture("shake", "shake it")
    panel.add_gesture("other")
    take = _add_take(panel, "shake")
    panel.model.notify(gestures=True, takes_of=take.gesture_id)
    panel.select_gesture(take.gesture_id)
    assert panel.take_list.count() == 1
    assert not panel.take_list.item(0).icon().isNull()
    assert panel.badge.text() == "1 take"

    panel.auto_trim_button.click()
    trimmed = panel.model.project.take(take.id)
    assert trimmed.trim_start > 0 and trimmed.trim_end < len(trimmed.samples)
    panel.preview.set_trim_seconds(0.2, 1.0)
    panel.apply_trim_button.click()
    assert (panel.model.project.take(take.id).trim_start, panel.model.project.take(take.id).trim_end) == (20, 100)
    panel.model.undo_stack.undo()
    assert panel.model.project.take(take.id).trim_start == trimmed.trim_start

    with qtbot.waitSignal(panel.play_requested) as blocker:
        panel.play_button.click()
    samples, rate, title = blocker.args
    assert rate == 100.0 and samples.shape == take.samples.shape and "shake" in title

    panel.move_combo.setCurrentIndex(panel.move_combo.findText("other"))
    panel.move_button.click()
    other = panel.model.project.gesture_by_name("other")
    assert panel.model.project.take(take.id).gesture_id == other.id
    panel.select_gesture(other.id)
    panel.delete_take_button.click()
    assert panel.model.project.takes() == []
    panel.model.undo_stack.undo()
    assert len(panel.model.project.takes(other.id)) == 1


class FaultySource(Source):
    """Fails to open with a given device fault."""

    def __init__(self, fault):
        super().__init__()
        self.fault = fault
        self.uri = "serial:///dev/ttyUSB9"

    @property
    def info(self):
        return StreamInfo()

    def open(self):
        raise self.fault

    def read(self, timeout=0.1):
        return None

    def close(self):
        pass


@pytest.mark.parametrize("fault, words", [
    (faults.permission("/dev/ttyUSB9"), ["Permission denied", "dialout"]),
    (faults.DeviceFault(faults.FaultKind.NO_BLUETOOTH, "No Bluetooth adapter was found.",
                        "Plug in a Bluetooth adapter or use a serial device."), ["No Bluetooth", "adapter"]),
])
def test_device_faults_are_shown_in_plain_words(qtbot, fault, words):
    controller = DeviceController()
    panel = DevicePanel(controller)
    qtbot.addWidget(panel)
    controller.connect_source(FaultySource(fault))
    qtbot.waitUntil(lambda: (controller.poll(), controller.state.value == "failed")[1], timeout=5000)
    assert "Failed" in panel.state_label.text()
    assert all(w in panel.message_label.text() for w in words)
    assert panel.connect_button.isEnabled()
    controller.disconnect_device()


def test_busy_port_retries_and_says_so(qtbot):
    controller = DeviceController()
    panel = DevicePanel(controller)
    qtbot.addWidget(panel)
    controller.connect_source(FaultySource(faults.busy("/dev/ttyUSB9")))
    qtbot.waitUntil(lambda: (controller.poll(), controller.state.value == "connecting")[1], timeout=5000)
    assert "in use by another program" in panel.message_label.text()
    assert "Retrying" in panel.message_label.text()
    controller.disconnect_device()
    controller.poll()
    assert "Disconnected" in panel.state_label.text()


def test_scan_lists_devices_and_reports_missing_bluetooth(qtbot):
    panel = DevicePanel(DeviceController())
    qtbot.addWidget(panel)

    def scanner(progress, should_stop):
        return [("/dev/ttyACM0 — Arduino Nano 33 BLE", "serial:///dev/ttyACM0?format=auto&baud=115200")], \
            "No Bluetooth adapter was found. Plug one in."

    job = panel.scan(scanner)
    with qtbot.waitSignal(job.done, timeout=5000):
        pass
    assert panel.device_combo.findData("serial:///dev/ttyACM0?format=auto&baud=115200") >= 0
    assert panel.selected_uri() == "simulator"
    assert "Found 1 device" in panel.message_label.text() and "No Bluetooth" in panel.message_label.text()
    assert panel.scan_button.isEnabled()


def test_cli_panel_screenshot_with_project(tmp_path):
    path = tmp_path / "demo.gesture"
    with Project.create(path) as project:
        g = project.add_gesture("shake", "shake the device back and forth")
        x = render_gesture("shake", np.random.default_rng(1))
        project.add_take(g.id, x, 100.0, CANONICAL_CHANNELS, UNITS)
        project.add_gesture("tap", "tap the device twice")
    png = tmp_path / "library.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_CONFIG_DIR=str(tmp_path / "cfg"))
    proc = subprocess.run([sys.executable, "-m", "studio", "--device", "simulator", "--project", str(path),
                           "--panel", "library", "--screenshot", str(png), "--quit-after", "2"],
                          env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1280, 800)
    with Project.open(path) as project:  # opening for the GUI changed nothing in the file
        assert [g.name for g in project.gestures()] == ["shake", "tap"]


def test_generic_ble_profile_editor_previews_and_saves(qtbot, tmp_path):
    from studio.devices.ble_profiles import ProfileStore
    from studio.ui.ble_profile_editor import BleProfileEditor

    store = ProfileStore(tmp_path / "profiles.json")
    editor = BleProfileEditor(store)
    qtbot.addWidget(editor)
    editor.name_edit.setText("my-esp32")
    editor.service_edit.setText("6e400001-b5a3-f393-e0a9-e50e24dcca9e")
    editor.char_edit.setText("6e400003-b5a3-f393-e0a9-e50e24dcca9e")
    editor.layout_edit.setText("<3h")
    assert editor.fields_table.rowCount() == 3
    for row in range(3):
        editor.fields_table.cellWidget(row, 1).setValue(1 / 1000)
        editor.fields_table.cellWidget(row, 2).setCurrentText("g")
    editor.payload_edit.setText("e8 03 00 00 18 fc")  # 1000, 0, -1000 milli-g
    assert "acc_x 1.000" in editor.preview_label.text() and "acc_z -1.000" in editor.preview_label.text()
    editor.service_edit.setText("not a uuid")
    assert not editor.save()
    assert "not a UUID" in editor.message.text() and store.names() == []
    editor.service_edit.setText("6e400001-b5a3-f393-e0a9-e50e24dcca9e")
    assert editor.save()
    assert store.names() == ["my-esp32"] and "profile=generic:my-esp32" in editor.message.text()
    again = BleProfileEditor(store)
    qtbot.addWidget(again)
    again.load("my-esp32")
    assert again.layout_edit.text() == "<3h" and again.fields()[2].scale == pytest.approx(0.001)


def test_movement_end_follows_the_data_not_the_timer():
    from studio.ui.recorder import REST_S, movement_end

    rng = np.random.default_rng(4)
    flick = render_gesture("flick_up", rng, lead_s=0.5, tail_s=3.0)
    end = movement_end(flick, 100.0, CANONICAL_CHANNELS)
    assert end is not None and end < len(flick) - 150  # well before the 3 s tail is over
    assert movement_end(flick[: end - int(REST_S * 100) + 5], 100.0, CANONICAL_CHANNELS) is None
    still = np.tile(np.array([[0, 0, 1, 0, 0, 0]], np.float32), (400, 1))
    assert movement_end(still, 100.0, CANONICAL_CHANNELS) is None
