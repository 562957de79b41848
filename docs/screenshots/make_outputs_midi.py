"""Outputs panel screenshots: gesture -> MIDI note, pitch -> CC, on the simulator; a local MIDI receiver.

QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_outputs_midi.py loopback|rtmidi OUT.png
(loopback: mido's in-process backend, for machines without a MIDI system; rtmidi: the real one.)
"""
import sys, tempfile, time, queue
from pathlib import Path
import mido
from PySide6.QtWidgets import QApplication
from studio.outputs import midi_loopback
from studio.outputs.midi import PORT_NAME
from studio.ui.main_window import MainWindow
from studio.ui.settings import SettingsStore
from studio.ui.app import save_screenshot

backend = sys.argv[1]  # "loopback" or "rtmidi"
out = Path(sys.argv[2])
app = QApplication.instance() or QApplication([])
work = Path(tempfile.mkdtemp())
win = MainWindow(SettingsStore(work / "cfg"))
if backend == "loopback":
    win.outputs.midi_backend = "studio.outputs.midi_loopback"
proj = work / "show.gesture"
win.project.create(proj)
win.resize(1500, 1000)
win.show()
def spin(s):
    end = time.monotonic() + s
    while time.monotonic() < end:
        app.processEvents(); time.sleep(0.01)
win.library.add_gesture("wave", "wave the hand side to side")
win.library.add_gesture("shake", "shake the wrist quickly")
panel = win.outputs_panel
win.show_panel("outputs")
panel.osc_enabled.setChecked(True)
panel.midi.enabled.setChecked(True)
spin(0.5)
got = queue.SimpleQueue()
port = None
if backend == "loopback":
    port = mido.Backend("studio.outputs.midi_loopback", load=True).open_input(PORT_NAME, callback=got.put)
box = panel.midi
box.gesture.setCurrentIndex(box.gesture.findText("wave"))
box.kind.setCurrentIndex(box.kind.findData("note")); box.number.setValue(60); box.amount.setValue(300)
box.set_button.click()
box.gesture.setCurrentIndex(box.gesture.findText("shake"))
box.kind.setCurrentIndex(box.kind.findData("program")); box.number.setValue(5)
box.set_button.click()
st = panel.streams
st.enabled.setChecked(True)
st.add_stream("pitch")
i = st.target.findData("midi"); st.target.setCurrentIndex(i); st.target.activated.emit(i)
st.cc.setValue(74); st.smoothing.setValue(50)
st.add_stream("orientation")
st.add_stream("energy")
assert win.connect_device("simulator?seed=7")
spin(3.0)
from studio.recognition.live import LiveEvent
now = time.perf_counter()
win.recognition.deliver_event(LiveEvent("wave", 0.9, time.time(), {"wave": 0.9}, arrival=now, emitted=now))
spin(1.5)
st.list.setCurrentRow(0)
spin(0.5)
save_screenshot(win, out)
msgs = []
while not got.empty(): msgs.append(got.get())
print("receiver:", {t: sum(m.type == t for m in msgs) for t in ("note_on", "note_off", "control_change")})
print("midi state:", panel.state_labels["midi"].text())
print("stream msg:", st.message.text())
win.controller.disconnect_device(); win.outputs.close(); win.close()
