"""Regenerate the panel screenshots in docs/screenshots/ with the shipped model, as a user would get them.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/panel_screenshots.py [--out docs/screenshots]

The studio on the simulator (real time), the shipped weights loading in the background: three gestures
defined by words, three takes of each recorded with "simulator performs", one more take left in review
(record.png), each gesture performed live (live.png, with "Show details"), the quality report (quality.png), one gesture switched off
(library.png), then OSC and WebSocket outputs enabled and the project reopened: they start paused
(outputs.png). signals.png is the live plot with the device dock. Takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

GESTURES = {
    "circle cw": "draw a circle clockwise in the air",
    "swipe left": "swipe the hand quickly to the left",
    "shake": "shake the device back and forth",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    args = parser.parse_args()
    out = Path(args.out)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="studio-shots-"))
    os.environ["STUDIO_CONFIG_DIR"] = str(work / "config")

    from PySide6.QtWidgets import QApplication

    from studio.ui.app import application, save_screenshot
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import SettingsStore

    app = application()

    def wait_until(condition, seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up waiting after {seconds} s")
            QApplication.processEvents()
            time.sleep(0.01)

    def pause(seconds: float) -> None:
        wait_until(lambda end=time.monotonic() + seconds: time.monotonic() >= end, seconds + 1)

    def shot(name: str, panel: str | None = None) -> None:
        if panel:
            window.show_panel(panel)
        pause(0.5)
        window.repaint()
        save_screenshot(window, out / f"{name}.png")
        print(f"wrote {out / name}.png", flush=True)

    window = MainWindow(SettingsStore(work / "config"))
    window.resize(1280, 800)
    project_path = work / "My gestures.gesture"
    window.project_menu.open_or_create(project_path)
    window.show()
    window.connect_device("simulator?seed=7")
    window.load_model()
    wait_until(lambda: window.recognition.ready, 300)
    for name, text in GESTURES.items():
        window.library.add_gesture(name, text)
    wait_until(lambda: set(window.recognition.recogniser.classes) == set(GESTURES), 300)

    recorder, project = window.recorder, window.project.project
    recorder.countdown_spin.setValue(0)
    recorder.mode_combo.setCurrentIndex(recorder.mode_combo.findData("fixed"))
    recorder.length_spin.setValue(3.0)
    recorder.row_spin.setValue(3)
    recorder.auto_accept.setChecked(True)
    recorder.beep_check.setChecked(False)
    window.show_panel("record")
    for g in project.gestures():
        recorder.select_gesture(g.id)
        recorder.start()
        wait_until(lambda: recorder.state == "idle", 120)
    recorder.auto_accept.setChecked(False)
    recorder.row_spin.setValue(1)
    recorder.select_gesture(project.gesture_by_name("shake").id)
    recorder.start()
    wait_until(lambda: recorder.state == "review", 60)
    shot("record", "record")
    recorder.accept()

    pause(1.0)
    window.live_view.details_check.setChecked(True)  # the log also says which movements were not taken
    for name in list(GESTURES) * 2:
        window.device_panel.perform(name.replace(" ", "_"))
        pause(2.5)
    shot("live", "live")
    wait_until(lambda: window.quality.report is not None and len(window.quality.report.point_ids) == 10, 120)
    shot("quality", "quality")

    window.library.select_gesture(project.gesture_by_name("circle cw").id)
    window.library.gesture_list.item(1).setCheckState(window.library.gesture_list.item(1).checkState().Unchecked)
    window.library.select_gesture(project.gesture_by_name("circle cw").id)
    shot("library", "library")
    window.library.gesture_list.item(1).setCheckState(window.library.gesture_list.item(1).checkState().Checked)

    panel = window.outputs_panel
    panel.osc_port.setValue(9000)
    panel.osc_enabled.setChecked(True)
    panel.ws_port.setValue(8765)
    panel.ws_enabled.setChecked(True)
    window.project.open(project_path)  # reopened: its outputs wait to be resumed
    shot("outputs", "outputs")
    window.show_panel("signals")
    pause(6.0)
    shot("signals", "signals")

    window.close()
    app.quit()
    from studio.ui.workers import wait_for_jobs

    wait_for_jobs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
