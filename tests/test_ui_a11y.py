"""Keyboard-only operation and screen-reader support.

The accessibility tree of every panel and dialog is walked: no interactive widget may lack a name.
The whole workflow — connect, define two gestures by text, record takes, accept them, recognise a
gesture live, stop live recognition — is driven with key events only, and what a screen reader would
hear (the announcements) and what the audio boundary received are checked on the way.
"""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtGui import QAccessible  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from shape_model import ShapeModel  # noqa: E402

from studio.ui import a11y  # noqa: E402
from studio.ui.ble_profile_editor import BleProfileEditor  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.preferences import PreferencesDialog  # noqa: E402
from studio.ui.settings import AppSettings, SettingsStore  # noqa: E402
from studio.ui.shortcuts import ShortcutSheet  # noqa: E402

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
DEVICE = "simulator?speed=10&seed=7"  # paced: a busy machine cannot outrun the buffer


class FakeAudio:
    """The audio boundary: records every cue instead of playing it."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.speak = True

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: self.calls.append((name, *args))

    def names(self) -> list[str]:
        """The cues played (not the set-up calls)."""
        return [c[0] for c in self.calls if c[0] != "set_gestures"]


@pytest.fixture
def window(qtbot, tmp_path):
    store = SettingsStore(tmp_path / "cfg")
    # the user's preferences: no countdown, fixed 4 s takes (longer than any simulated performance)
    store.save(AppSettings(countdown_s=0.0, take_seconds=4.0, stop_on_rest=False, beep=True,
                           audio_feedback="on", last_device=DEVICE))
    w = MainWindow(store, model_loader=ShapeModel)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    assert w.project_menu.open_or_create(tmp_path / "empty.gesture")
    w.device_panel.select_uri(DEVICE)  # the remembered device, listed but not connected
    audio = FakeAudio()
    w.feedback.use_audio(audio)
    w.audio = audio
    heard: list[str] = []
    w.feedback.announcer.announced.connect(lambda text, _assertive: heard.append(text))
    w.heard = heard
    w.show()
    w.activateWindow()
    qtbot.waitExposed(w)
    w.load_model()
    qtbot.waitUntil(lambda: w.recognition.ready, timeout=60000)
    yield w
    w.controller.disconnect_device()


def key(qtbot, window, k, modifier=Qt.KeyboardModifier.NoModifier):
    """Press a key where the keyboard focus is (as a user would), falling back to the window.
    Shortcuts only work in the active window, as for a user: make sure the studio is the one."""
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, k, modifier)


def _samples_later(window, qtbot, n: int) -> None:
    qtbot.waitUntil(lambda: window.controller.buffer is not None, timeout=30000)
    target = window.controller.buffer.written + n
    qtbot.waitUntil(lambda: window.controller.buffer.written >= target, timeout=30000)


def heard_since(window, mark: int) -> str:
    return " | ".join(window.heard[mark:])


def test_every_control_has_a_name(window, qtbot):
    assert a11y.unnamed_controls(window) == []
    from studio.ui.phone_dialog import PhoneDialog

    for dialog in (PreferencesDialog(window.settings, window), BleProfileEditor(parent=window),
                   ShortcutSheet(window.menuBar(), window), PhoneDialog(window, computer_ip="127.0.0.1")):
        qtbot.addWidget(dialog)
        assert a11y.unnamed_controls(dialog) == [], type(dialog).__name__


def test_audit_finds_an_unnamed_control(qtbot):
    from PySide6.QtWidgets import QLineEdit, QPushButton, QVBoxLayout, QWidget

    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    layout.addWidget(QPushButton("Record"))
    arrow = QPushButton("▲")
    layout.addWidget(arrow)
    edit = QLineEdit()
    layout.addWidget(edit)
    assert len(a11y.unnamed_controls(root)) == 2
    a11y.describe(arrow, "Move up")
    a11y.describe(edit, "Gesture name", "Type the name")
    assert a11y.unnamed_controls(root) == []
    assert a11y.spoken_name(edit) == "Gesture name"


def test_announcements_reach_assistive_technology(window, monkeypatch):
    sent = []
    monkeypatch.setattr(a11y.QAccessible, "updateAccessibility", lambda event: sent.append(event))
    window.feedback.say("wave, 92 %")
    window.feedback.say("   ")  # nothing to say: nothing sent
    assert len(sent) == 1 and sent[0].message() == "wave, 92 %"
    assert sent[0].type() == QAccessible.Event.Announcement
    assert window.feedback.announcer.last == "wave, 92 %"


def test_shortcut_sheet_lists_every_workflow_shortcut(window, qtbot):
    seen = {}

    def read_and_close() -> None:
        sheet = QApplication.activeModalWidget()
        seen["rows"] = sheet.rows
        seen["names"] = a11y.unnamed_controls(sheet)
        sheet.reject()

    QTimer.singleShot(200, read_and_close)
    key(qtbot, window, Qt.Key.Key_F1)
    rows = {what: keys for _menu, what, keys in seen["rows"]}
    assert rows["Record take / stop"] == "Ctrl+R"
    assert rows["Next gesture"].startswith("Ctrl+]")
    assert rows["Live recognition"] == "Ctrl+L"
    assert rows["Connect"] == "Ctrl+K"
    assert rows["Undo"].startswith("Ctrl+Z") and "Ctrl+Shift+Z" in rows["Redo"]
    assert rows["Keyboard shortcuts"] == "F1"
    assert seen["names"] == []
    # no two actions share a key
    keys = [k.strip() for _m, _w, ks in seen["rows"] for k in ks.split(",") if _m != "General"]
    assert len(keys) == len(set(keys)), sorted(keys)


def _record_row(window, qtbot, takes: int) -> None:
    """Ctrl+R records a row of takes; each is reviewed and accepted with Ctrl+Enter."""
    r = window.recorder

    def wait_for(state: str) -> None:
        try:
            qtbot.waitUntil(lambda: r.state == state, timeout=30000)
        except Exception as err:
            raise AssertionError(f"recorder {r.state!r}, not {state!r}: {r.big_label.text()} / "
                                 f"{r.info_label.text()}; device {window.controller.state.value}; active "
                                 f"{window.isActiveWindow()}; heard {window.heard[-6:]}") from err

    key(qtbot, window, Qt.Key.Key_R, CTRL)
    for _ in range(takes):
        wait_for("review")
        key(qtbot, window, Qt.Key.Key_Return, CTRL)
    wait_for("idle")


def test_keyboard_only_from_empty_project_to_recognised_gesture(window, qtbot):
    project = window.project.project
    assert project.gestures() == []
    mark = len(window.heard)
    key(qtbot, window, Qt.Key.Key_K, CTRL)  # connect the selected device
    qtbot.waitUntil(lambda: window.controller.state.value == "streaming", timeout=20000)
    qtbot.waitUntil(lambda: "Connected" in heard_since(window, mark), timeout=5000)
    assert "connected" in window.audio.names()

    # two gestures described in words: Ctrl+G, name, Tab, description, Enter
    for name, text in (("circle cw", "draw a circle clockwise in the air"),
                       ("shake", "shake the device back and forth")):
        key(qtbot, window, Qt.Key.Key_G, CTRL)
        assert QApplication.focusWidget() is window.library.new_name
        qtbot.keyClicks(window.library.new_name, name)
        key(qtbot, window, Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is window.library.new_description
        qtbot.keyClicks(window.library.new_description, text)
        key(qtbot, window, Qt.Key.Key_Return)
    assert [g.name for g in project.gestures()] == ["circle cw", "shake"]
    assert "Add gesture" in heard_since(window, mark)

    # Tab to the gesture list (in a text field Ctrl+Z undoes typing), then Ctrl+Z undoes the last edit
    # and says so; Ctrl+Shift+Z redoes it
    for _ in range(3):
        key(qtbot, window, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.library.gesture_list
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert [g.name for g in project.gestures()] == ["circle cw"]
    assert "Undone" in window.heard[-1]
    key(qtbot, window, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert [g.name for g in project.gestures()] == ["circle cw", "shake"]

    # select each gesture with Ctrl+] / Ctrl+[ and record 3 takes of it (the simulator performs it)
    assert window.recorder.row_spin.value() == 3  # takes in a row (the default)
    key(qtbot, window, Qt.Key.Key_BracketLeft, CTRL)
    key(qtbot, window, Qt.Key.Key_BracketLeft, CTRL)
    assert window.library.gesture_list.currentRow() == 0
    assert "Gesture 1 of 2" in window.heard[-1]
    mark = len(window.heard)
    _record_row(window, qtbot, 3)
    said = heard_since(window, mark)
    assert "Recording. Perform circle cw now." in said and "Take recorded." in said
    assert {"recording_started", "recording_stopped"} <= set(window.audio.names())
    key(qtbot, window, Qt.Key.Key_BracketRight, CTRL)
    assert window.recorder.gesture_combo.currentText() == "shake"
    _record_row(window, qtbot, 3)
    assert [len(project.takes(g.id)) for g in project.gestures()] == [3, 3]

    # live: Ctrl+9 makes the simulator shake (its 9th gesture); the result is announced and sounded
    window.audio.calls.clear()
    mark = len(window.heard)
    events = []
    window.recognition.event.connect(lambda e: events.append(e.gesture))
    seen = []  # every classified movement, for the failure message
    window.recognition.candidate.connect(lambda c: seen.append((c.reason, c.label, round(c.confidence, 2))))
    _samples_later(window, qtbot, 300)  # the last take's movement has settled
    for _attempt in range(4):  # like a user, shake again if one performance was not recognised
        key(qtbot, window, Qt.Key.Key_9, CTRL)
        _samples_later(window, qtbot, 450)
        qtbot.wait(50)
        if "shake" in events:
            break
    qtbot.wait(200)
    assert "shake" in events, (events, seen)
    qtbot.waitUntil(lambda: any(t.startswith("shake, ") and t.endswith("%") for t in window.heard[mark:]),
                    timeout=5000)
    cue = [c for c in window.audio.calls if c[0] == "recognised"]
    assert cue and cue[-1][1] == "shake" and 0.0 < cue[-1][2] <= 1.0

    # Ctrl+L stops live recognition: a performance is no longer recognised; Ctrl+L starts it again
    key(qtbot, window, Qt.Key.Key_L, CTRL)
    assert not window.recognition.live_enabled and window.heard[-1] == "Live recognition stopped."
    events.clear()
    key(qtbot, window, Qt.Key.Key_9, CTRL)
    _samples_later(window, qtbot, 500)
    qtbot.wait(100)
    assert events == []
    key(qtbot, window, Qt.Key.Key_L, CTRL)
    assert window.recognition.live_enabled

    # Ctrl+I says the whole state
    key(qtbot, window, Qt.Key.Key_I, CTRL)
    assert "Device: streaming." in window.heard[-1] and "2 gestures" in window.heard[-1]


def test_panel_shortcuts_move_focus_into_the_panel(window, qtbot):
    for i, key_name in enumerate(window.panels):
        key(qtbot, window, getattr(Qt.Key, f"Key_{i + 1}"), ALT)
        assert window.tabs.currentWidget() is window.panels[key_name]
        focused = QApplication.focusWidget()
        assert focused is not None and window.panels[key_name].isAncestorOf(focused), key_name
        assert window.heard[-1].endswith("panel.")


def test_rejection_is_announced_and_sounded(window, qtbot):
    from studio.recognition.live import Candidate

    window.feedback._on_candidate(Candidate(label=None, confidence=0.41, scores={"shake": 0.41, "wave": 0.2},
                                            rejected=True, reason="rejected", t_start=0.0, t_end=1.0))
    assert window.heard[-1] == "Not recognised, closest shake."
    assert window.audio.names()[-1] == "rejected"


def test_audio_follows_the_setting(window):
    window.settings.audio_feedback = "off"
    window.feedback._on_device_state("disconnected", "")
    assert "disconnected" not in window.audio.names()
    window.settings.audio_feedback = "auto"  # no screen reader in the test run: stays quiet
    window.feedback._on_device_state("streaming", "")
    assert "connected" not in window.audio.names()
    window.settings.audio_feedback = "on"
    window.feedback._on_device_state("disconnected", "")
    assert window.audio.names() == ["disconnected"]


def test_readme_documents_every_shortcut(window):
    from pathlib import Path

    from studio.ui.shortcuts import shortcut_rows

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [(what, keys) for menu, what, keys in shortcut_rows(window.menuBar())
               if "▸" not in menu and not any(k.strip() in readme for k in keys.split(","))]
    assert missing == []


def test_trim_handles_move_with_the_keyboard(qtbot):
    import numpy as np

    from studio.ui.take_view import TakeView

    view = TakeView()
    qtbot.addWidget(view)
    view.set_take(np.zeros((200, 6), np.float32), 100.0, (50, 150))
    assert view.trim() == (50, 150) and "0.50 s to 1.50 s" in view.accessibleDescription()
    qtbot.keyClick(view, Qt.Key.Key_Right)  # start +20 ms
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)  # end -20 ms
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier | CTRL)  # end +200 ms
    assert view.trim() == (52, 168)
    assert "0.52 s to 1.68 s" in view.accessibleDescription()
    for _ in range(60):
        qtbot.keyClick(view, Qt.Key.Key_Left, CTRL)  # never before the start of the take
    assert view.trim()[0] == 0


def test_recognition_plays_the_gestures_earcon_through_the_audio_package(window, qtbot):
    import time

    import numpy as np

    from studio.audio import AudioFeedback, RecordingSink
    from studio.recognition.live import LiveEvent

    assert window.library.add_gesture("wave", "wave the hand") and window.library.add_gesture("tap", "tap it")
    sink = RecordingSink()
    window.settings.speak_names = False  # the earcon alone: no espeak-ng in this test
    audio = AudioFeedback(sink=sink, max_delay_s=60.0)  # never stale, however slow the machine
    try:
        window.feedback.use_audio(audio)
        assert audio.earcon_index("wave") != audio.earcon_index("tap")
        window.recognition.deliver_event(LiveEvent("wave", 0.92, time.time(), {"wave": 0.92}))
        qtbot.waitUntil(lambda: "recognised:wave" in sink.labels, timeout=5000)
        played = [p for p in sink.played if p.label == "recognised:wave"][0]
        assert np.abs(played.samples).max() > 0.05  # a real sound, not silence
        assert "wave, 92%" in window.heard
        assert sink.labels.count("recognised:wave") == 1
    finally:
        audio.close()


def test_each_message_is_announced_once(window):
    mark = len(window.heard)
    window.controller.state_changed.emit("failed", "The port vanished.")
    window.controller.state_changed.emit("failed", "The port vanished.")  # a flapping device
    window.feedback.say("Device failed. The port vanished.")  # the same words again at once
    said = window.heard[mark:]
    assert said == ["Device failed. The port vanished."], said
    window.recognition.state_changed.emit("Recognising 2 gestures.")
    window.recognition.state_changed.emit("Recognising 2 gestures.")  # a sync that changed nothing
    window.recognition.state_changed.emit("Recognising 2 gestures. Rejection calibrated on 1 recording(s).")
    assert window.heard[-2:] == ["Recognising 2 gestures.",
                                 "Recognising 2 gestures. Rejection calibrated on 1 recording(s)."]


def test_high_contrast_menu_follows_the_preferences(window):
    from dataclasses import replace

    window.apply_settings(replace(window.settings, high_contrast=True))
    assert window.contrast_action.isChecked()
    window.contrast_action.trigger()  # the first Ctrl+Shift+H after that turns it off again
    assert not window.settings.high_contrast and window.heard[-1] == "High contrast off."
