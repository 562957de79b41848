"""From the GUI alone: a gesture mapped to a MIDI note and the wrist's pitch to a CC, both arriving on a
local MIDI receiver (mido's loopback backend stands in for ALSA/CoreMIDI); bad settings refused in words."""

from __future__ import annotations

import queue

import mido
import pytest

pytest.importorskip("PySide6")

from fake_keys import FakeKeys  # noqa: E402
from test_ui_outputs import recognise  # noqa: E402

from studio.outputs import midi_loopback  # noqa: E402
from studio.outputs.midi import PORT_NAME  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.settings import SettingsStore  # noqa: E402

LOOPBACK = "studio.outputs.midi_loopback"


@pytest.fixture
def window(qtbot, tmp_path):
    midi_loopback.reset()
    win = MainWindow(SettingsStore(tmp_path / "cfg"))
    qtbot.addWidget(win)
    win.outputs.key_backend = FakeKeys()
    win.outputs.midi_backend = LOOPBACK
    win.project.create(tmp_path / "show.gesture")
    win.show()
    yield win
    win.controller.disconnect_device()
    win.outputs.close()
    win.project.close()
    midi_loopback.reset()


class Synth:
    """A MIDI receiver connected to the studio's virtual port; waits while the GUI's event loop runs."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot
        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        self.seen: list = []
        self.port = mido.Backend(LOOPBACK, load=True).open_input(PORT_NAME, callback=self.messages.put)

    def _first(self, kind: str):
        while not self.messages.empty():
            self.seen.append(self.messages.get())
        for i, msg in enumerate(self.seen):
            if msg.type == kind:
                return i
        return None

    def next(self, kind: str, timeout_ms: int = 10_000):
        """The first message of ``kind`` not yet taken."""
        self.qtbot.waitUntil(lambda: self._first(kind) is not None, timeout=timeout_ms)
        return self.seen.pop(self._first(kind))


def choose(combo, data) -> None:
    """Pick an item by its data, as a user's click does (activated is what the panel listens to)."""
    index = combo.findData(data)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def enable_midi_and_map_wave(window, qtbot) -> Synth:
    panel = window.outputs_panel
    window.library.add_gesture("wave", "wave the hand")
    panel.midi.enabled.setChecked(True)
    qtbot.waitUntil(lambda: window.outputs.running("midi"))
    synth = Synth(qtbot)
    box = panel.midi
    box.gesture.setCurrentIndex(box.gesture.findText("wave"))
    box.kind.setCurrentIndex(box.kind.findData("note"))
    box.number.setValue(62)
    box.amount.setValue(60_000)
    box.set_button.click()
    return synth


def test_gesture_to_note_and_pitch_to_cc_from_the_gui(window, qtbot):
    synth = enable_midi_and_map_wave(window, qtbot)
    panel = window.outputs_panel
    assert window.project.project.gesture_by_name("wave").output["midi"] == {
        "kind": "note", "number": 62, "length_ms": 60_000}
    assert "wave: note 62" in panel.midi.mapping_label.text()

    streams = panel.streams
    streams.enabled.setChecked(True)
    assert streams.add_stream("pitch")
    choose(streams.target, "midi")
    streams.cc.setValue(74)
    config = window.outputs.config.streams
    assert config.enabled and config.streams[0].target == "midi" and config.streams[0].cc == 74
    assert window.connect_device("simulator?speed=10&seed=7")
    cc = synth.next("control_change")
    assert (cc.control, cc.channel) == (74, 0)
    qtbot.waitUntil(lambda: "▶" in streams.list.item(0).text(), timeout=10_000)  # the live preview

    recognise(window, "wave", 0.9)
    on = synth.next("note_on")
    assert (on.note, on.velocity) == (62, round(1 + 126 * 0.9))
    window.project.close()  # closing the project must end the sounding note
    off = synth.next("note_off")
    assert off.note == 62


def test_midi_edits_are_undoable(window, qtbot):
    enable_midi_and_map_wave(window, qtbot)
    stack = window.project.undo_stack
    assert "Map wave to MIDI note 62" in stack.undoText()
    stack.undo()
    assert "midi" not in window.project.project.gesture_by_name("wave").output
    stack.undo()
    assert not window.outputs.config.midi.enabled
    qtbot.waitUntil(lambda: not window.outputs.running("midi"))


def test_bad_stream_settings_are_refused_and_nothing_is_lost(window, qtbot):
    streams = window.outputs_panel.streams
    streams.enabled.setChecked(True)
    assert streams.add_stream("pitch")
    before = window.outputs.config.streams
    streams.in_min.setValue(10.0)
    streams.in_max.setValue(10.0)
    assert "is empty" in streams.message.text()
    assert window.outputs.config.streams.streams[0].in_max == before.streams[0].in_max
    streams.in_max.setValue(20.0)   # corrected: accepted
    assert window.outputs.config.streams.streams[0].in_max == 20.0
    streams.address.setText("imu pitch")
    streams.address.editingFinished.emit()
    assert "must look like" in streams.message.text()
    assert window.outputs.config.streams.streams[0].address == ""
    assert streams.address.text() == "imu pitch"  # what was typed stays, to be corrected


def test_a_missing_midi_port_is_said_plainly(window, qtbot):
    panel = window.outputs_panel
    panel.midi.port.setEditText("loopMIDI Port 1")
    panel.midi.enabled.setChecked(True)
    qtbot.waitUntil(lambda: "no MIDI port named 'loopMIDI Port 1'" in panel.state_labels["midi"].text())
    assert window.outputs.config.midi.port == "loopMIDI Port 1"   # kept for when the port exists


def test_quitting_the_app_ends_the_sounding_note(window, qtbot):
    synth = enable_midi_and_map_wave(window, qtbot)
    recognise(window, "wave", 1.0)
    assert synth.next("note_on").note == 62
    window.close()   # File ▸ Quit runs the same closeEvent
    assert synth.next("note_off").note == 62


def test_switching_midi_off_ends_the_sounding_note(window, qtbot):
    synth = enable_midi_and_map_wave(window, qtbot)
    recognise(window, "wave", 1.0)
    assert synth.next("note_on").note == 62
    window.outputs_panel.midi.enabled.setChecked(False)
    assert synth.next("note_off").note == 62
