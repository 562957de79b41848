"""Signals panel with two devices: QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_two_devices.py OUT.png"""
import sys, tempfile, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
from studio.ui.app import save_screenshot
from studio.ui.main_window import MainWindow
from studio.ui.settings import SettingsStore

app = QApplication.instance() or QApplication([])
work = Path(tempfile.mkdtemp())
win = MainWindow(SettingsStore(work / "cfg"))
win.project.create(work / "show.gesture")
win.resize(1400, 1000)
win.show()
assert win.connect_device("simulator?rate=200&seed=1")
box = win.more_devices
box.name.setText("left"); box.uri.setText("simulator?rate=200&seed=2"); box.add_button.click()
win.show_panel("signals")
end = time.monotonic() + 5
while time.monotonic() < end:
    app.processEvents(); time.sleep(0.01)
save_screenshot(win, sys.argv[1])
print(box._labels["left"].text())
win.controller.disconnect_device(); win.devices.close(); win.outputs.close(); win.close()
