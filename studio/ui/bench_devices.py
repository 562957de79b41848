"""``studio bench devices``: two (or more) simulated devices at 200 Hz each, plotted and recognised at once.

The real main window offscreen with the shipped model: three gestures from text, the main simulator and
``--devices - 1`` extra ones added through the device set, each performing a gesture every
``--every`` seconds so live recognition really runs on every device. Printed: frames painted per second
by each device's plot, the process's CPU share of one core (all threads: devices, plots, recognition),
dropped samples per device, and events per device. Target: 60 fps, <= 50 % of one core, 0 dropped.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

GESTURES = {"circle_cw": "draw a circle clockwise", "shake": "shake the hand quickly",
            "swipe_left": "swipe the hand to the left"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=10.0, help="measured duration (default 10)")
    parser.add_argument("--devices", type=int, default=2, help="simulated devices (default 2)")
    parser.add_argument("--rate", type=float, default=200.0, help="samples per second per device")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between performed gestures")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject

    from studio.ui.app import application
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import SettingsStore

    app = application()
    work = Path(tempfile.mkdtemp(prefix="bench-devices-"))
    win = MainWindow(SettingsStore(work / "cfg"))
    win.resize(1280, 800)
    win.project.create(work / "bench.gesture")
    for name, text in GESTURES.items():
        win.library.add_gesture(name, text)
    win.show()
    win.show_panel("signals")

    def spin(seconds: float, until=None) -> None:  # noqa: ANN001
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (until and until()):
            app.processEvents()
            time.sleep(0.002)

    win.recognition.load()
    spin(300, lambda: win.recognition.ready)
    if not win.recognition.ready:
        print("the motion model did not load; nothing measured")
        return 1
    win.connect_device(f"simulator?rate={args.rate:g}&seed=1")
    for i in range(1, args.devices):
        win.devices.add(f"dev{i + 1}", f"simulator?rate={args.rate:g}&seed={i + 1}")
    spin(2.0)

    class PaintCounter(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.paints = 0

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    plots = {"imu1": win.plot, **{name: plot for name, (_, plot) in win.signals_view.rows.items()}}
    counters = {}
    for name, plot in plots.items():
        counters[name] = PaintCounter()
        plot.graphics.viewport().installEventFilter(counters[name])
    sources = {"imu1": win.controller.source, **{n: d.controller.source for n, d in win.devices.extra.items()}}
    names = list(GESTURES)
    events = {name: 0 for name in plots}
    win.recognition.event.connect(lambda _e: events.__setitem__("imu1", events["imu1"] + 1))

    start = {n: c.paints for n, c in counters.items()}
    wall0, cpu0 = time.monotonic(), time.process_time()
    next_gesture, k = wall0, 0
    while time.monotonic() - wall0 < args.seconds:
        if time.monotonic() >= next_gesture:
            for source in sources.values():
                source.perform(names[k % len(names)])
            k += 1
            next_gesture += args.every
        spin(0.05)
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    win.controller.poll()
    win.devices.poll()
    dropped = {"imu1": win.controller.counters.dropped,
               **{n: d.controller.counters.dropped for n, d in win.devices.extra.items()}}
    for n, d in win.devices.extra.items():
        events[n] = 1 if d.feed.last_event else 0   # extra devices report their last event only
    print(f"devices benchmark: {len(plots)} simulated devices x {args.rate:g} Hz, {wall:.1f} s measured, "
          f"offscreen, shipped model, {len(GESTURES)} gestures, a gesture every {args.every:g} s per device")
    fps = {n: (c.paints - start[n]) / wall for n, c in counters.items()}
    share = 100.0 * cpu / wall
    for n in plots:
        print(f"  {n}: fps {fps[n]:.1f} (painted)  dropped {dropped[n]}"
              + (f"  events {events[n]}" if n == "imu1" else f"  recognised something: {bool(events[n])}"))
    print(f"cpu {share:.1f} % of one core (process, all threads)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine load average {load:.1f} on {os.cpu_count()} cores (CPU share rises on a busy machine)")
    ok = min(fps.values()) >= 55 and share <= 50 and not any(dropped.values())
    print(f"target 60 fps, <= 50 % of one core, 0 dropped: {'met' if ok else 'NOT met'}")
    win.controller.disconnect_device()
    win.devices.close()
    win.outputs.close()
    win.close()
    return 0
