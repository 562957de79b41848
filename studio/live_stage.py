"""``studio live``'s stage switches: MIDI (``--midi PORT``) and continuous streams (``--stream SPEC``).

Kept apart from :mod:`studio.live_cmd` so that command only calls three hooks: :func:`add_arguments`,
:func:`apply` (the switches on top of the project's output settings) and :func:`start_streams`.

``--stream`` takes ``SIGNAL[@DEVICE]:TARGET[:key=value,...]``, for example
``--stream pitch:midi:cc=74`` (the wrist's pitch on CC 74), ``--stream roll@left:osc``,
``--stream similarity:osc:gesture=wave`` or ``--stream energy:websocket:in_max=1.5``. Keys are the
stream settings of :class:`~studio.outputs.stream_config.StreamConfig` (cc, channel, fine, in_min, in_max,
smoothing_ms, deadband, address, gesture, name).
"""

from __future__ import annotations

import argparse
from dataclasses import fields, replace

from studio.outputs.events import OutputError
from studio.outputs.stream_config import SIGNALS, TARGETS, StreamConfig

VIRTUAL_WORDS = ("", "virtual", "studio")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The stage switches of ``studio live``."""
    parser.add_argument("--midi", metavar="PORT", default=None,
                        help="send MIDI: 'virtual' opens a port named 'UniMotion Studio' (Linux, macOS); "
                             "else the name of a port (on Windows a loopback port such as loopMIDI)")
    parser.add_argument("--midi-channel", type=int, default=None, metavar="N", help="MIDI channel 1-16")
    parser.add_argument("--midi-backend", default=None, help=argparse.SUPPRESS)  # tests: the loopback backend
    parser.add_argument("--stream", action="append", default=[], metavar="SPEC",
                        help="a continuous stream, e.g. pitch:midi:cc=74 or similarity:osc:gesture=wave "
                             "(repeatable)")
    parser.add_argument("--stream-rate", type=float, default=None, metavar="HZ",
                        help="continuous stream rate (default: the project's, else 50 Hz)")
    parser.add_argument("--wekinator", action="store_true",
                        help="also send every stream value as /wek/inputs to port 6448")


def parse_stream(spec: str) -> StreamConfig:
    """One ``--stream`` value as a checked StreamConfig (OutputError saying what is wrong)."""
    parts = spec.split(":", 2)
    if len(parts) < 2:
        raise OutputError(f"--stream wants SIGNAL:TARGET[:key=value,...] (e.g. pitch:midi:cc=74), not {spec!r}.")
    signal, _, device = parts[0].strip().partition("@")
    target = parts[1].strip().lower()
    if signal not in SIGNALS:
        raise OutputError(f"--stream {spec!r}: signal {signal!r} is not one of {', '.join(SIGNALS)}.")
    if target not in TARGETS:
        raise OutputError(f"--stream {spec!r}: target {target!r} is not one of {', '.join(TARGETS)}.")
    kinds = {f.name: f.type for f in fields(StreamConfig)}
    changes: dict[str, object] = {}
    for item in filter(None, (p.strip() for p in (parts[2].split(",") if len(parts) > 2 else []))):
        key, eq, text = item.partition("=")
        if not eq or key in ("signal", "target", "device", "enabled") or key not in kinds:
            raise OutputError(f"--stream {spec!r}: {item!r} is not a stream setting "
                              "(cc, channel, fine, in_min, in_max, smoothing_ms, deadband, address, gesture, name).")
        changes[key] = _value(kinds[key], text, spec, key)
    name = str(changes.pop("name", "") or f"{signal}{'@' + device if device else ''}:{target}")
    return StreamConfig.for_signal(signal, name=name, device=device, target=target, **changes).check()


def _value(kind: str, text: str, spec: str, key: str) -> object:
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise OutputError(f"--stream {spec!r}: {key}={text!r} is not a number.") from None
    if kind == "bool":
        return text.strip().lower() in ("1", "true", "yes", "on")
    return text


def apply(args: argparse.Namespace, config) -> None:  # noqa: ANN001 - an OutputsConfig, changed in place
    """Put the stage switches on top of the project's settings (OutputError for a bad value)."""
    if args.midi is not None:
        config.midi.enabled = True
        config.midi.port = "" if args.midi.strip().lower() in VIRTUAL_WORDS else args.midi.strip()
    if args.midi_channel is not None:
        if not 1 <= args.midi_channel <= 16:
            raise OutputError(f"--midi-channel must be 1 to 16, not {args.midi_channel}.")
        config.midi.channel = args.midi_channel
    streams = config.streams
    if args.stream:
        parsed = tuple(parse_stream(s) for s in args.stream)
        streams = replace(streams, enabled=True, streams=streams.streams + parsed)
    if args.stream_rate is not None:
        streams = replace(streams, rate_hz=float(args.stream_rate))
    if args.wekinator:
        streams = replace(streams, wekinator=True)
    config.streams = streams.check()


def devices(args: argparse.Namespace, project) -> list:  # noqa: ANN001 - list of DeviceEntry
    """The devices to run: each ``--device [NAME=]URI``; a single unnamed one keeps the name "" (outputs
    then look as with one device). Names must be unique (OutputError otherwise)."""
    from studio.project.device_map import DeviceEntry, DeviceMapError, check_name, parse_device_arg

    given = args.device or ["simulator"]
    if len(given) == 1 and "=" not in given[0].split("?")[0].split("://")[0]:
        return [DeviceEntry("", given[0])]
    entries = [parse_device_arg(text, i) for i, text in enumerate(given)]
    try:
        for e in entries:
            check_name(e.name)
    except DeviceMapError as err:
        raise OutputError(str(err)) from None
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise OutputError(f"Two --device switches have the same name ({', '.join(names)}); name each NAME=URI.")
    return entries


def owners(project, gestures) -> dict[str, str]:  # noqa: ANN001
    """Gesture name -> the device it belongs to, from the project ("" = any device)."""
    from studio.project import device_map

    mapping, _ = device_map.load(project)
    return {g.name: mapping.device_of(g.id) for g in gestures if mapping.device_of(g.id)}


def start_streams(config, hub, recogniser, runners, log):  # noqa: ANN001, ANN201 - a StreamEngine or None
    """Start the project's (and the switches') continuous streams over the hub's running outputs, fed by
    ``runners`` ([(device name, StreamRunner)]) and scored by ``recogniser``; None when no stream is on.
    Close it before the hub."""
    if not config.streams.enabled or not config.streams.streams:
        return None
    from studio.outputs.streams import StreamEngine

    kinds = {"OSC": "osc", "MIDI": "midi", "WebSocket": "websocket"}
    targets = {kinds[o.name]: o for o in hub.outputs if o.name in kinds}
    engine = StreamEngine(config.streams, targets, similarity=recogniser.similarities,
                          wekinator_host=config.osc.host, on_error=lambda message: log(f"[streams] {message}"))
    for problem in engine.problems:
        log(f"[streams] {problem}")

    for name, runner in runners:
        runner.add_chunk_listener(_feeder(engine, name, runner))
    engine.start()
    log(f"streams at {config.streams.rate_hz:g} Hz: " + "; ".join(s.describe() for s in config.streams.streams))
    return engine


def _feeder(engine, name: str, runner):  # noqa: ANN001, ANN202
    def feed(chunk) -> None:  # noqa: ANN001 - on the runner thread
        info = runner.source.info
        channels = info.channels if len(info.channels) == chunk.data.shape[1] else None
        engine.feed(chunk, name, info.rate_hz, channels)

    return feed
