"""The GUI shows refused imports and projects open elsewhere in a message box, in plain words."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from studio.project import Project  # noqa: E402
from studio.ui import project_menu  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.settings import SettingsStore  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    win = MainWindow(SettingsStore(tmp_path / "cfg"))
    qtbot.addWidget(win)
    win.show()
    shown = []
    monkeypatch.setattr(project_menu.QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    win.shown_boxes = shown
    yield win
    win.controller.disconnect_device()


def _pick(monkeypatch, path):
    monkeypatch.setattr(project_menu.QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def test_refused_gesture_set_is_shown(window, qtbot, tmp_path, monkeypatch):
    assert window.project_menu.open_or_create(tmp_path / "a.gesture")
    bad = {"format": "unimotion-gesture-set", "version": 1, "gestures": [{"name": "wave", "takes": [
        {"rate_hz": 1e-7, "channels": ["acc_x"], "units": ["g"], "shape": [2, 1], "dtype": "<f4",
         "data": "AAAAAAAAAAA="}]}]}
    (tmp_path / "bad.gestureset.json").write_text(json.dumps(bad))
    _pick(monkeypatch, tmp_path / "bad.gestureset.json")
    window.project_menu.import_set_dialog()
    assert window.shown_boxes and "sample rate" in window.shown_boxes[0]
    assert window.project_menu.model.project.gestures() == []


def test_project_open_elsewhere_is_shown(window, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "p.gesture"
    Project.create(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from studio.project import Project; p = Project.open(sys.argv[1]); "
         "print('open', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout.readline().strip() == "open"
        _pick(monkeypatch, path)
        window.project_menu.open_project_dialog()
        assert window.shown_boxes and "open in another" in window.shown_boxes[0]
        assert window.project_menu.model.path != path
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
