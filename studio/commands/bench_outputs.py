"""``studio bench outputs``: what each output adds, measured at a local receiver.

1. Per output, event latency: from ``OutputHub.emit`` of a gesture to the message arriving at a
   receiver on this computer (OSC: a python-osc UDP server in its own process, like a real receiver;
   WebSocket: a client; MIDI: a port on the
   RtMidi virtual port where the computer has a MIDI system, else mido's in-process loopback backend;
   keystrokes: a recording key backend). Continuous streams run at the same time, as on stage.
2. Continuous streams: a simulated device at 200 Hz feeds the engine; pitch goes out over OSC and as a
   MIDI CC at ``--rate`` Hz (deadband 0, so every OSC tick sends). Measured at the receivers (OSC: the
   receiver process) over
   ``--seconds``: the achieved rate, the jitter of the arrival intervals (|interval - period|, p50/p95/
   max) and the engine thread's CPU time as a share of one core.

One JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import queue
import threading
import time

import numpy as np

from studio.outputs import GestureEvent, OscOutput, OutputHub, WebSocketOutput
from studio.outputs.keys import KeystrokeOutput
from studio.outputs.local_receiver import OscReceiverProcess
from studio.outputs.midi import MidiAction, MidiOutput, PORT_NAME
from studio.outputs.stream_config import StreamConfig, StreamsConfig
from studio.outputs.streams import StreamEngine

LOOPBACK = "studio.outputs.midi_loopback"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: stream seconds and rate, and how many events per output."""
    parser.add_argument("--seconds", type=float, default=60.0, help="continuous-stream measurement (default 60)")
    parser.add_argument("--rate", type=float, default=100.0, help="stream rate in Hz (default 100)")
    parser.add_argument("--events", type=int, default=200, help="gesture events per output (default 200)")


def _stats_ms(values) -> dict:  # noqa: ANN001
    ms = np.asarray(values, np.float64) * 1000.0
    if not ms.size:
        return {"n": 0}
    return {"n": int(ms.size), "p50_ms": round(float(np.median(ms)), 3),
            "p95_ms": round(float(np.percentile(ms, 95)), 3), "max_ms": round(float(ms.max()), 3)}


class _RecordingKeys:
    """The keystroke backend's seam: records when each key went down."""

    def __init__(self) -> None:
        self.pressed: queue.SimpleQueue = queue.SimpleQueue()

    def press(self, key: str) -> None:
        self.pressed.put(time.perf_counter())

    def release(self, key: str) -> None:
        pass


def _midi_receiver():  # noqa: ANN202 - (backend name, what it is, queue of arrival times, closer)
    """The studio's MIDI output and a receiver connected to it: RtMidi where possible, else loopback."""
    import mido

    arrivals: queue.SimpleQueue = queue.SimpleQueue()
    out = MidiOutput(actions={"wave": MidiAction("note", 60, length_ms=5)})
    try:
        out.start()
        port = mido.open_input(PORT_NAME, callback=lambda m: arrivals.put((time.perf_counter(), m)))
        return out, "rtmidi virtual port", arrivals, port
    except Exception:  # no ALSA sequencer / CoreMIDI here: mido's in-process loopback backend instead
        out.close()
    out = MidiOutput(actions={"wave": MidiAction("note", 60, length_ms=5)}, backend=LOOPBACK)
    out.start()
    port = mido.Backend(LOOPBACK, load=True).open_input(
        PORT_NAME, callback=lambda m: arrivals.put((time.perf_counter(), m)))
    return out, "mido loopback backend (no MIDI system here)", arrivals, port


def _ws_client(port: int, arrivals: queue.SimpleQueue, stop: threading.Event) -> threading.Thread:
    from websockets.sync.client import connect

    ready = threading.Event()

    def run() -> None:
        with connect(f"ws://127.0.0.1:{port}") as ws:
            ready.set()
            while not stop.is_set():
                try:
                    text = ws.recv(timeout=0.2)
                except TimeoutError:
                    continue
                except Exception:
                    return
                if '"gesture"' in text and '"type": "gesture"' in text:
                    arrivals.put(time.perf_counter())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)
    return thread


def _event_latency(hub: OutputHub, take, events: int) -> list[float]:  # noqa: ANN001
    """emit -> arrival for ``events`` gestures, one at a time (the next after the previous arrived)."""
    out = []
    for _ in range(events):
        sent = time.perf_counter()
        hub.emit(GestureEvent("wave", 0.9))
        arrived = take()
        if arrived is not None:
            out.append(arrived - sent)
        time.sleep(0.004)   # a show's events are spaced; back-to-back emits would measure queueing
    return out


def run(args: argparse.Namespace) -> int:
    from studio.devices.registry import open_source
    from studio.devices.runner import StreamRunner

    osc_rx = OscReceiverProcess()
    midi, midi_kind, midi_rx, midi_port = _midi_receiver()
    osc = OscOutput("127.0.0.1", osc_rx.port)
    ws = WebSocketOutput("127.0.0.1", 0)
    keys_backend = _RecordingKeys()
    keys = KeystrokeOutput({"wave": "f5"}, armed=True, backend=keys_backend)
    stream_rx = OscReceiverProcess()
    stream_osc = OscOutput("127.0.0.1", stream_rx.port)
    stop = threading.Event()
    runner = engine = None
    hubs: list[OutputHub] = []
    try:
        for out in (osc, ws, keys, stream_osc):
            out.start()
        ws_arrivals: queue.SimpleQueue = queue.SimpleQueue()
        _ws_client(ws.port, ws_arrivals, stop)
        config = StreamsConfig(enabled=True, rate_hz=args.rate, streams=(
            StreamConfig.for_signal("pitch"), StreamConfig.for_signal("roll", target="midi", cc=1, fine=True)))
        engine = StreamEngine(config, {"osc": stream_osc, "midi": midi})
        source = open_source("simulator?rate=200&seed=1")
        runner = StreamRunner(source, on_chunk=lambda c: engine.feed(c, "", 200.0, source.info.channels))
        runner.start()
        engine.start()

        def osc_take():  # noqa: ANN202
            try:
                return osc_rx.arrivals.get(timeout=2)[0]
            except queue.Empty:
                return None

        def midi_take():  # noqa: ANN202
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                try:
                    at, msg = midi_rx.get(timeout=0.5)
                except queue.Empty:
                    continue
                if msg.type == "note_on":
                    return at
            return None

        def queue_take(q):  # noqa: ANN001, ANN202
            try:
                return q.get(timeout=2)
            except queue.Empty:
                return None

        lanes = [("OSC", osc, osc_take), ("WebSocket", ws, lambda: queue_take(ws_arrivals)),
                 (f"MIDI ({midi_kind})", midi, midi_take), ("Keystrokes (recording backend)", keys,
                                                            lambda: queue_take(keys_backend.pressed))]
        for label, out, take in lanes:
            hub = OutputHub([out])   # start() of an output already started does nothing
            hubs.append(hub)         # closed at the end: the MIDI output also carries the CC stream
            latency = _event_latency(hub, take, args.events)
            print(json.dumps({"output": label, "measure": "event -> message at a local receiver",
                              "streams_running_hz": args.rate, **_stats_ms(latency)}), flush=True)

        # -- continuous streams over --seconds ------------------------------------------------
        _drain(stream_rx.arrivals)
        while not midi_rx.empty():
            midi_rx.get()
        cpu0, ticks0, t0 = engine.cpu_s, engine.ticks, time.perf_counter()
        time.sleep(args.seconds)
        elapsed = time.perf_counter() - t0
        cpu, ticks = engine.cpu_s - cpu0, engine.ticks - ticks0
        t1 = t0 + elapsed   # arrivals handed over late still count only inside the measured span
        osc_times = [at for at, addr in _collect(stream_rx.arrivals, t1) if addr == "/imu/imu/pitch" and t0 <= at <= t1]
        cc_times = [at for at, msg in _drain(midi_rx) if msg.type == "control_change" and t0 <= at <= t1]
        period = 1.0 / args.rate
        intervals = np.diff(np.asarray(osc_times))
        print(json.dumps({"stream": "OSC /imu/imu/pitch (sends every tick)", "seconds": round(elapsed, 1),
                          "target_hz": args.rate, "achieved_hz": round(len(osc_times) / elapsed, 2),
                          "jitter_abs_interval_minus_period": _stats_ms(np.abs(intervals - period))}), flush=True)
        print(json.dumps({"stream": "MIDI CC 1/33 (roll, 14-bit)", "seconds": round(elapsed, 1),
                          "messages_per_s": round(len(cc_times) / 2 / elapsed, 2),
                          "note": "sent only when the 14-bit value changes, so no rate or jitter to compare"}),
              flush=True)
        print(json.dumps({"streams_engine": {"ticks": ticks, "skipped_ticks": engine.skipped_ticks,
                                             "cpu_percent_of_one_core": round(100.0 * cpu / elapsed, 2)}}),
              flush=True)
    finally:
        stop.set()
        if runner is not None:
            runner.stop()
        if engine is not None:
            engine.close()
        for hub in hubs:
            hub.close()
        for out in (osc, ws, keys, stream_osc, midi):
            out.close()
        midi_port.close()
        osc_rx.close()
        stream_rx.close()
    return 0


def _collect(q, until: float) -> list:  # noqa: ANN001 - a multiprocessing queue
    """Everything the receiver process recorded up to ``until``: it may hand arrivals over late."""
    out = []
    while True:
        try:
            item = q.get(timeout=2.0)
        except queue.Empty:
            return out
        out.append(item)
        if item[0] > until + 0.5:
            return out


def _drain(q) -> list:  # noqa: ANN001 - a queue.SimpleQueue or a multiprocessing queue
    out = []
    while True:
        try:
            out.append(q.get_nowait())
        except queue.Empty:
            return out
