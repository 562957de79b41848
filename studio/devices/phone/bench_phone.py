"""``studio bench phone``: each phone source against its local fake at a given rate, for N seconds.

Prints one JSON line per app: samples delivered per second on the studio's grid, grid points lost,
parse errors, the phone's own reading rate as measured, and latency: for every grid point, from the
moment the (fake) phone took that reading to the moment it came out of ``read`` (median and p95, ms).
Sensor Logger's latency includes its batch period (``--batch``); phyphox's its poll period.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import numpy as np

from studio.devices.phone.fakes import FakePhyphox, FakeSensorServer, post, sensor_logger_batch
from studio.devices.registry import open_source


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options: seconds per app, the fake phones' rate, Sensor Logger's batch period."""
    parser.add_argument("--seconds", type=float, default=10.0, help="stream time per app (default 10)")
    parser.add_argument("--rate", type=float, default=100.0, help="readings per second the fake phones take")
    parser.add_argument("--batch", type=float, default=0.2, help="Sensor Logger push period in seconds")


def _measure(name: str, source, seconds: float, taken_at) -> dict:  # noqa: ANN001 - a PhoneSource, device t -> host
    """Stream ``source`` for ``seconds``; ``taken_at(device_t)`` is when the fake phone took a reading."""
    source.open()
    samples, lost, latency = 0, 0, []
    last_seq = None
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            chunk = source.read(0.1)
            if chunk is None:
                continue
            now = time.monotonic()
            samples += len(chunk)
            if last_seq is not None:
                lost += int(chunk.seq[0] - last_seq - 1)
            lost += int(chunk.seq[-1] - chunk.seq[0] + 1 - len(chunk))
            last_seq = int(chunk.seq[-1])
            latency.extend(now - taken_at(t - source.clock_offset) for t in chunk.t.tolist())
    finally:
        source.close()
    ms = np.asarray(latency) * 1000.0
    return {"app": name, "seconds": seconds, "samples": samples, "per_s": round(samples / seconds, 1),
            "lost": lost, "parse_errors": source.stats.parse_errors,
            "phone_rate_hz": round(source.measured_rate_hz, 1),
            "latency_ms_p50": round(float(np.median(ms)), 1) if ms.size else None,
            "latency_ms_p95": round(float(np.percentile(ms, 95)), 1) if ms.size else None}


def _sensor_logger(seconds: float, rate: float, batch: float) -> dict:
    source = open_source("sensorlogger://127.0.0.1:0")
    source.open()           # bind first, so the pusher knows the port; _measure re-opens on the same one
    port = source.bound_port
    source.close()
    source.port = port
    t0_ns, stop = time.time_ns(), threading.Event()
    start = time.monotonic()

    def push() -> None:
        sent, message = 0, 0
        while not stop.wait(batch):
            due = int((time.monotonic() - start) * rate)
            if due > sent:
                try:
                    post(f"http://127.0.0.1:{port}/", sensor_logger_batch(t0_ns, due - sent, rate, start=sent,
                                                                            message_id=message))
                except OSError:  # the listener has closed (end of the run); the app, too, just tries again
                    continue
                sent, message = due, message + 1

    pusher = threading.Thread(target=push, daemon=True)
    pusher.start()
    try:
        return _measure("sensorlogger", source, seconds, lambda t: start + (t - t0_ns * 1e-9))
    finally:
        stop.set()
        pusher.join(2.0)


def run(args: argparse.Namespace) -> int:
    """Measure each app against its fake and print one JSON line per app; 2 for bad options."""
    if not (args.seconds > 0 and args.rate > 0 and args.batch > 0):
        print("studio bench phone: --seconds, --rate and --batch must be positive.")
        return 2
    phyphox = FakePhyphox(rate=args.rate)
    try:
        print(json.dumps(_measure("phyphox", open_source(phyphox.uri), args.seconds,
                                  lambda t: phyphox.started_at + t)), flush=True)
    finally:
        phyphox.close()
    server = FakeSensorServer(rate=args.rate)
    try:
        print(json.dumps(_measure("sensorserver", open_source(server.uri), args.seconds,
                                  lambda t: server.started_at + (t - server.boot_s))), flush=True)
    finally:
        server.close()
    print(json.dumps(_sensor_logger(args.seconds, args.rate, args.batch)), flush=True)
    return 0
