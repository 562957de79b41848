"""``studio live PROJECT --device URI``: headless recognition with outputs, for shows.

Opens the project, builds the recogniser from its enabled gestures (descriptions + takes, rejection
calibrated from its negatives), runs the device on a StreamRunner thread into a LiveRecogniser and sends
each event to the outputs. One log line per event and per device status change; the device may drop and
come back (the runner reconnects); Ctrl-C or SIGTERM stops everything and exits with code 0, and so does
the end of a non-looping replay (``--device replay:///path/rec.csv?speed=0`` tests a gesture set on an hour
of recorded movement in seconds: every decision runs on the samples' own time, so the events are those of
real time). On exit it prints a summary: events per gesture, movements not taken and why, events per hour
of stream. ``--events-jsonl FILE`` writes one JSON object per event.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
import time

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="project file (.gesture)")
    parser.add_argument("--device", action="append", default=None, metavar="[NAME=]URI",
                        help="device URI (default: simulator); repeat for several devices, e.g. "
                             "--device left=ble://... --device right=ble://... (named imu1, imu2... if unnamed)")
    parser.add_argument("--osc", metavar="HOST:PORT", help="send OSC messages /gesture/<name> <confidence>")
    parser.add_argument("--ws", metavar="PORT", type=int, help="serve JSON events over WebSocket on PORT")
    parser.add_argument("--remote", action="store_true",
                        help="let the WebSocket server accept other machines (default: 127.0.0.1 only)")
    parser.add_argument("--keys", action="store_true",
                        help="arm keystroke output (each gesture's key combo from the project)")
    parser.add_argument("--onnx", action="store_true", help="run the model on onnxruntime (the default)")
    parser.add_argument("--torch", action="store_true", help="run the model on torch instead of onnxruntime")
    parser.add_argument("--events-jsonl", metavar="FILE", default=None,
                        help="append one JSON object per event (gesture, confidence, sample times of the "
                             "movement's start and end, emitted time, latencies) to FILE")
    parser.add_argument("--model", default=None, help="model checkpoint folder (default: shipped weights)")
    parser.add_argument("--sensitivity", type=float, default=None,
                        help="0..1, higher triggers more easily (default: the project's setting)")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--verbose", action="store_true",
                        help="also log movements that were not reported (rejected, refractory)")
    parser.add_argument("--heartbeat", type=float, default=60.0, metavar="SECONDS",
                        help="log samples received and events every SECONDS (0 = never; default 60)")
    from studio import live_stage

    live_stage.add_arguments(parser)  # --midi, --stream, --stream-rate, --wekinator


_LOG_LOCK = threading.Lock()  # the runner thread and the main loop both log; keep their lines whole


def _log(text: str) -> None:
    stamp = time.strftime("%H:%M:%S") + f".{int(time.time() * 1000) % 1000:03d}"
    with _LOG_LOCK:
        print(f"{stamp} {text}", flush=True)


def _bad_number(args: argparse.Namespace) -> str | None:
    """Why a numeric switch is unusable, or None; checked before anything is opened."""
    if args.sensitivity is not None and not 0.0 <= args.sensitivity <= 1.0:
        return f"--sensitivity must be between 0 and 1, not {args.sensitivity}."
    if args.seconds is not None and not args.seconds > 0:
        return f"--seconds must be positive, not {args.seconds}."
    if not (math.isfinite(args.heartbeat) and args.heartbeat >= 0):
        return f"--heartbeat must be 0 (never) or a positive number of seconds, not {args.heartbeat}."
    return None


def _canonical_take(samples: np.ndarray, channels, rate_hz: float, target_hz: float) -> np.ndarray:
    """A take as (T, 6) canonical channels (NaN where the device had none) at ``target_hz``."""
    from studio.model.preprocess import to_canonical_order
    from studio.signals.units import resample_uniform

    x = to_canonical_order(samples, tuple(channels))
    return resample_uniform(x, rate_hz, target_hz) if abs(rate_hz - target_hz) > 1e-6 else x


def build_recogniser(project, model, sensitivity: float | None = None):
    """A Recogniser with one class per enabled gesture of ``project`` (trimmed takes, description: from
    the project's cached text vectors where it has them), calibrated on the project's negatives (or the
    default ordinary movement when it has none).
    Returns (recogniser, enabled gestures)."""
    from studio.project import text_cache
    from studio.recognition.recogniser import Recogniser
    from studio.recognition.startup import text_encoder_of

    encoder = text_encoder_of(model)
    encoder_id = str(getattr(encoder, "model_id", "")) if encoder is not None else ""
    if encoder_id:  # descriptions the studio has embedded before need no text model
        encoder.remember(text_cache.cached_vectors(project).get(encoder_id, {}))
    rate = float(model.rate_hz)
    rec = Recogniser(model)
    gestures = [g for g in project.gestures() if g.enabled]
    for g in gestures:
        takes = [_canonical_take(t.trimmed(), t.channels, t.rate_hz, rate) for t in project.takes(g.id)]
        rec.set_class(g.name, g.description or g.name, [t for t in takes if len(t) > 1], rate_hz=rate)
    negatives = [_canonical_take(n.samples, n.channels, n.rate_hz, rate) for n in project.negatives()]
    if negatives:
        rec.calibrate(negatives, rate_hz=rate)
    elif gestures:
        rec.calibrate_default()  # generated ordinary movement until the user records their own
    if sensitivity is None:
        sensitivity = project.get_setting("sensitivity", None)
    if sensitivity is not None:
        rec.sensitivity = float(np.clip(float(sensitivity), 0.0, 1.0))
    return rec, gestures


def _outputs(args, project, gestures) -> tuple[list, list[str]]:
    """The project's output settings with the command line's switches on top; (outputs, problems)."""
    from studio.outputs import KeystrokeOutput, OutputError, build_outputs
    from studio.outputs.config import SETTINGS_KEY, load_config

    config, problems = load_config(project.get_setting(SETTINGS_KEY, None))
    config.allow_remote = config.allow_remote or args.remote
    if args.osc:
        host, _, port = args.osc.rpartition(":")
        if not port.isdigit():
            raise OutputError(f"--osc wants HOST:PORT (e.g. 127.0.0.1:9000), not {args.osc!r}.")
        config.osc.enabled, config.osc.host, config.osc.port = True, host or "127.0.0.1", int(port)
    if args.ws is not None:
        config.websocket.enabled, config.websocket.port = True, args.ws
        config.websocket.host = "0.0.0.0" if args.remote else config.websocket.host
    config.keystrokes.enabled = config.keystrokes.enabled or args.keys
    from studio import live_stage

    live_stage.apply(args, config)
    args.outputs_config = config  # the streams start from it once the hub runs
    outs, more = build_outputs(config, {g.name: g.output or {} for g in gestures},
                               midi_backend=getattr(args, "midi_backend", None))
    for out in outs:
        if args.keys and isinstance(out, KeystrokeOutput):
            try:
                out.arm()  # keystrokes are armed only by an explicit --keys
            except OutputError as err:
                more.append(str(err))
    return outs, problems + more


class LivePipeline:
    """Device -> LiveRecogniser -> outputs, with logging. Creates the LiveRecogniser on the first chunk,
    once the device's sample rate is known, and resets it when the device reconnects."""

    def __init__(self, recogniser, hub, log=_log, verbose: bool = False, device: str = "",
                 owners: dict[str, str] | None = None) -> None:
        self.recogniser = recogniser
        self.verbose = verbose
        self.hub = hub
        self.device = device                # named in every event and log line when several devices run
        self.owners = dict(owners or {})    # gesture -> the device it belongs to ("" or absent: any)
        self.log = log if not device else (lambda text, _log=log: _log(f"[{device}] {text}"))
        self.live = None
        self.runner = None
        self.n_events = 0
        self.n_samples = 0
        self.per_gesture: dict[str, int] = {}
        self.not_taken: dict[str, int] = {}  # reason (rejected, too-long, rhythmic, refractory) -> movements
        self.first_t: float | None = None  # sample times of the first and last samples seen
        self.last_t: float | None = None
        self._spans = 0.0  # stream seconds before the latest clock restart
        self.events_file = None  # a text file for --events-jsonl

    def on_chunk(self, chunk) -> None:
        if len(chunk) == 0:
            return
        self.n_samples += len(chunk)
        if self.first_t is None or (self.last_t is not None and chunk.t[0] < self.last_t):
            # a restarted clock (reconnect) starts a new span; earlier spans stay counted in stream_s
            self._spans += self._span()
            self.first_t = float(chunk.t[0])
        self.last_t = float(chunk.t[-1])
        if self.live is None:
            from studio.recognition.live import LiveRecogniser

            info = self.runner.source.info if self.runner else None
            rate = info.rate_hz if info else 0.0
            if not rate and len(chunk) > 1:
                rate = 1.0 / float(np.median(np.diff(chunk.t)))
            channels = info.channels if info and len(info.channels) == chunk.data.shape[1] else None
            self.live = LiveRecogniser(self.recogniser, rate or 100.0, on_event=self.on_event,
                                       on_candidate=self.on_candidate, **({"channels": channels} if channels else {}))
        self.live.feed(chunk)

    def _span(self) -> float:
        return 0.0 if self.first_t is None or self.last_t is None else max(0.0, self.last_t - self.first_t)

    @property
    def stream_s(self) -> float:
        """Seconds of stream seen, in sample time."""
        return self._spans + self._span()

    def finish(self) -> None:
        """The stream has ended: decide a movement still in progress."""
        if self.live is not None:
            self.live.flush()

    def summary(self) -> str:
        hours = self.stream_s / 3600.0
        gestures = ", ".join(f"{g} {n}" for g, n in sorted(self.per_gesture.items())) or "none"
        skipped = ", ".join(f"{r} {n}" for r, n in sorted(self.not_taken.items())) or "none"
        rate = f"{self.n_events / hours:.1f} events per hour" if hours > 0 else "no stream"
        return (f"summary: {self.n_events} events in {self.stream_s:.1f} s of stream ({rate}); per gesture: "
                f"{gestures}; movements not taken: {skipped}")

    def on_status(self, state, message: str) -> None:
        self.log(f"[{state.value}] {message}")
        if state.value == "reconnecting" and self.live is not None:
            self.live.reset()

    def on_candidate(self, c) -> None:
        if c.reason != "event":
            self.not_taken[c.reason] = self.not_taken.get(c.reason, 0) + 1
        if c.reason != "event" and self.verbose:
            best = max(c.scores, key=c.scores.get) if c.scores else "-"
            self.log(f"[{c.reason}] movement {c.t_end - c.t_start:.2f} s, closest {best}")

    def on_event(self, ev) -> None:
        from studio.outputs import GestureEvent

        owner = self.owners.get(ev.gesture, "")
        if owner and self.device and owner != self.device:
            if self.verbose:
                self.log(f"[other device] {ev.gesture} belongs to {owner}, not reported")
            return
        self.n_events += 1
        self.per_gesture[ev.gesture] = self.per_gesture.get(ev.gesture, 0) + 1
        self.log(f"{ev.gesture} {ev.confidence:.2f} (latency {ev.latency_s * 1000:.1f} ms, "
                 f"{ev.felt_latency_s * 1000:.0f} ms after the movement ended)")
        if self.events_file is not None:
            import json

            record = ev.record() | ({"device": self.device} if self.device else {})
            self.events_file.write(json.dumps(record) + "\n")
            self.events_file.flush()
        if self.hub is not None:
            self.hub.emit(GestureEvent(ev.gesture, ev.confidence, ev.t, ev.scores, device=self.device))


def run(args: argparse.Namespace) -> int:
    from studio.project import Project, ProjectError

    problem = _bad_number(args)
    if problem:
        return _fail(problem)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    if hasattr(signal, "pthread_sigmask"):  # in case the parent process started us with them blocked
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(previous))
    try:
        try:
            project = Project.open(args.project)
        except ProjectError as err:
            return _fail(err)
        try:
            return _run_project(args, project, stop)
        finally:
            project.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _fail(err: object) -> int:
    print(f"studio live: {err}", file=sys.stderr)
    return 2


def _load_model(args):
    """onnxruntime by default (torch loads only for a description without a cached vector), torch with
    ``--torch``; one thread: one event at a time, more threads only add scheduling jitter."""
    if args.torch:
        import torch

        from studio.model import load_model

        torch.set_num_threads(1)
        return load_model(args.model)
    from studio.model.onnx_model import load_inference_model

    return load_inference_model(args.model, threads=1)


def _run_project(args, project, stop: threading.Event) -> int:
    from studio.devices.base import DeviceError
    from studio.devices.registry import open_source
    from studio.devices.runner import StreamRunner
    from studio.model.checkpoint import CheckpointError
    from studio.outputs import OutputError, OutputHub

    if args.torch and args.onnx:
        return _fail("--onnx and --torch exclude each other.")
    try:
        model = _load_model(args)
        rec, gestures = build_recogniser(project, model, args.sensitivity)
        if not gestures:
            return _fail("the project has no enabled gestures; add or enable some first.")
        from studio import live_stage

        devices = live_stage.devices(args, project)
        sources = [open_source(d.uri) for d in devices]
        outs, problems = _outputs(args, project, gestures)
        events_file = open(args.events_jsonl, "a", encoding="utf-8") if args.events_jsonl else None  # noqa: SIM115
    except (CheckpointError, DeviceError, OutputError) as err:
        return _fail(err)
    except OSError as err:
        return _fail(f"cannot write the events file {args.events_jsonl}: {err.strerror or err}.")
    for problem in problems:
        _log(f"[output] {problem}")
    # An output that cannot start (port in use) is reported and left out; recognition goes on.
    hub = OutputHub(outs, on_error=lambda out, msg: _log(f"[output] {out.describe()}: {msg}"))
    owners = live_stage.owners(project, gestures)
    pipelines, runners = [], []
    for entry, source in zip(devices, sources):   # each device its own runner: one dropping out leaves the rest
        pipeline = LivePipeline(rec, hub, verbose=args.verbose, device=entry.name, owners=owners)
        pipeline.events_file = events_file
        runner = StreamRunner(source, on_chunk=pipeline.on_chunk, on_status=pipeline.on_status)
        pipeline.runner = runner
        pipelines.append(pipeline)
        runners.append(runner)
    streams = live_stage.start_streams(args.outputs_config, hub, rec,
                                       [(d.name, r) for d, r in zip(devices, runners)], _log)
    _log(f"recognising {len(gestures)} gestures ({', '.join(g.name for g in gestures)}); outputs: "
         + (", ".join(o.describe() for o in hub.outputs) or "none") + ("; onnxruntime" if type(model).__name__ == "OnnxMotionModel" else "; torch")
         + (f"; devices: {', '.join(d.name for d in devices)}" if len(devices) > 1 else ""))
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    beat = time.monotonic()
    for runner in runners:
        runner.start()
    try:
        # a runner not running = a permanent device failure (logged); the show goes on while any device runs
        while not stop.is_set() and any(r.running for r in runners):
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            if all(getattr(source, "finished", False) for source in sources):
                break  # every device is a replay that has played to its end (a looping one never does)
            if args.heartbeat and now - beat >= args.heartbeat:
                beat = now
                for pipeline, runner in zip(pipelines, runners):
                    pipeline.log(f"[alive] {pipeline.n_samples} samples, {pipeline.n_events} events, "
                                 f"{runner.drops.dropped} dropped, {runner.reconnects} reconnects")
            stop.wait(0.1)
    finally:
        for runner in runners:
            runner.stop()
        for pipeline in pipelines:
            pipeline.finish()
        if streams is not None:
            streams.close()
        hub.close()  # closing MIDI sends every pending note off
        if events_file is not None:
            events_file.close()
    failed = [r for r in runners if r.state.value == "failed"]
    n_events = sum(p.n_events for p in pipelines)
    for pipeline in pipelines:
        pipeline.log(pipeline.summary())
    _log(f"stopped after {n_events} events" + (" (device failed)" if failed else ""))
    return 1 if failed else 0
