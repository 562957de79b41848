"""``studio bench plot``: stream 9 channels at 200 Hz into the live plot offscreen and measure it.

The data takes the app's real path: a real-time source driven by a StreamRunner thread pushes into the
ring buffer, the GUI timer redraws the plot. Printed: frames per second actually painted, CPU share of
one core for the whole process (process CPU time / wall time, all threads), dropped samples.
Target: 60 fps at <= 35 % of one core, 0 dropped.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from studio.devices.base import Source
from studio.signals.stream import Chunk, StreamInfo

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "mag_x", "mag_y", "mag_z")
UNITS = ("g",) * 3 + ("deg/s",) * 3 + ("uT",) * 3
CHUNK_S = 0.01


class RealtimeNineAxis(Source):
    """A 9-axis source that delivers samples when they are due on the wall clock, like a device."""

    def __init__(self, rate_hz: float = 200.0) -> None:
        super().__init__()
        self.rate_hz = rate_hz
        self.uri = "bench:9x200"
        self._n = 0
        self._t0 = 0.0
        self._rng = np.random.default_rng(0)

    @property
    def info(self) -> StreamInfo:
        return StreamInfo(CHANNELS, UNITS, self.rate_hz, "benchmark source")

    def open(self) -> None:
        self._t0 = time.monotonic()
        self._n = 0

    def read(self, timeout: float = 0.1) -> Chunk | None:
        due = int((time.monotonic() - self._t0) * self.rate_hz)
        if due <= self._n:
            # Like a device (and the simulator): samples arrive in small bursts, every ~10 ms.
            time.sleep(min(timeout, CHUNK_S))
            return None
        idx = np.arange(self._n, due)
        t = idx / self.rate_hz
        phase = t[:, None] * np.array([1.1, 1.7, 0.6, 2.3, 0.9, 3.1, 0.2, 0.3, 0.4])
        x = np.sin(2 * np.pi * phase) * np.array([0.5, 0.5, 0.2, 120, 90, 60, 30, 30, 30])
        x += self._rng.normal(0, 0.02, x.shape) * np.array([1, 1, 1, 50, 50, 50, 10, 10, 10])
        x[:, 2] += 1.0
        self._n = due
        self.stats.samples += len(idx)
        return Chunk(t, x.astype(np.float32), idx)

    def close(self) -> None:
        pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=10.0, help="measured duration (default 10)")
    parser.add_argument("--rate", type=float, default=200.0, help="samples per second per channel")
    parser.add_argument("--window", type=float, default=10.0, help="plot time window in seconds")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds ignored at the start")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QTimer

    from studio.ui.app import application
    from studio.ui.device_controller import DeviceController
    from studio.ui.live_plot import LivePlot

    app = application()
    plot = LivePlot(args.window)
    plot.resize(1280, 720)
    controller = DeviceController()
    controller.buffer_changed.connect(lambda: plot.set_stream(controller.info, controller.buffer))

    class PaintCounter(QObject):
        paints = 0

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    counter = PaintCounter()
    plot.graphics.viewport().installEventFilter(counter)
    plot.show()
    source = RealtimeNineAxis(args.rate)
    controller.connect_source(source)

    fast, slow = QTimer(), QTimer()
    fast.setInterval(16)
    fast.timeout.connect(plot.refresh)
    slow.setInterval(250)
    slow.timeout.connect(controller.poll)
    fast.start()
    slow.start()

    marks: dict[str, float] = {}

    def start_measuring() -> None:
        marks.update(wall=time.monotonic(), cpu=time.process_time(), paints=counter.paints,
                      frames=plot.frames, samples=source.stats.samples)

    def stop() -> None:
        marks.update(wall_end=time.monotonic(), cpu_end=time.process_time())
        app.quit()

    QTimer.singleShot(int(args.warmup * 1000), start_measuring)
    QTimer.singleShot(int((args.warmup + args.seconds) * 1000), stop)
    app.exec()
    fast.stop()
    slow.stop()
    controller.poll()
    runner = controller.runner
    dropped = (runner.drops.dropped if runner else 0) + source.stats.dropped
    received = controller.buffer.written if controller.buffer is not None else 0
    controller.disconnect_device()

    wall = marks["wall_end"] - marks["wall"]
    fps = (counter.paints - marks["paints"]) / wall
    redraws = (plot.frames - marks["frames"]) / wall
    cpu = 100.0 * (marks["cpu_end"] - marks["cpu"]) / wall
    lag = source.stats.samples - received
    print(f"plot benchmark: {len(CHANNELS)} channels x {args.rate:g} Hz, {args.window:g} s window, "
          f"{wall:.1f} s measured, offscreen")
    frames = max(1, counter.paints - marks["paints"])
    print(f"fps {fps:.1f} (painted)  redraws/s {redraws:.1f}  cpu {cpu:.1f} % of one core "
          f"({10 * cpu * wall / frames:.2f} ms CPU per frame)  dropped {dropped}  samples {received} "
          f"(undelivered at stop {lag})")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine load average {load:.1f} on {os.cpu_count()} cores (CPU share rises on a busy machine)")
    ok = fps >= 55 and cpu <= 35 and dropped == 0
    print(f"target 60 fps at <= 35 % of one core, 0 dropped: {'met' if ok else 'NOT met'}")
    return 0
