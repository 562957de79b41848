"""``studio stream DEVICE``: print samples from any device as JSON lines (or a compact table).

Stdout gets one JSON object per sample (``{"t": ..., "seq": ..., "acc_x": ..., ...}``); stderr gets
progress notes and a final summary line (samples, dropped, parse errors, effective rate).
``--seconds`` counts stream time (sample timestamps), so a non-realtime source such as
``simulator?realtime=0`` yields exactly ``seconds × rate`` samples; a wall-clock limit of
``seconds + 1`` guards against sources that stall; a replay stops at its end. Exit codes: 0 ok (also after Ctrl-C),
1 no samples arrived, 2 device error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from studio.devices.base import DeviceError, Source
from studio.devices.registry import open_source
from studio.signals.stream import CANONICAL_CHANNELS, Chunk, DropCounter

GRACE_S = 1.0           # extra wall-clock time before giving up on a stalled source
TABLE_PERIOD_S = 0.1    # the human table shows one row per this much stream time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("device", help="device URI, e.g. simulator, 'simulator?rate=200&realtime=0', "
                                       "'serial:///dev/ttyACM0?format=csv&baud=115200', ble://ADDRESS?profile=microbit")
    parser.add_argument("--seconds", type=float, default=10.0, help="stream time to capture (default 10)")
    parser.add_argument("--samples", type=int, default=None, help="stop after this many samples")
    parser.add_argument("--jsonl", action="store_true", help="one JSON object per sample (default: a compact table)")


@dataclass
class _Tally:
    samples: int = 0
    t_first: float = math.nan
    t_last: float = math.nan
    reconnects: int = 0
    drops: DropCounter = field(default_factory=DropCounter)
    next_row_t: float = -math.inf


def _num(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else "null"


def _jsonl(chunk: Chunk, keys: list[str]) -> str:
    lines = []
    for t, seq, row in zip(chunk.t.tolist(), chunk.seq.tolist(), chunk.data.tolist()):
        values = ", ".join(f"{k}: {_num(v)}" for k, v in zip(keys, row))
        lines.append(f'{{"t": {_num(t) if not math.isfinite(t) else f"{t:.6f}"}, '
                     f'"seq": {seq if seq >= 0 else "null"}, {values}}}\n')
    return "".join(lines)


def _table(chunk: Chunk, tally: _Tally) -> str:
    rows = []
    for i in range(len(chunk)):
        t = float(chunk.t[i])
        if t >= tally.next_row_t or not math.isfinite(t):
            tally.next_row_t = t + TABLE_PERIOD_S
            values = " ".join(f"{v:9.3f}" for v in chunk.data[i])
            rows.append(f"{t - tally.t_first:9.3f} {int(chunk.seq[i]):8d} {values}\n")
    return "".join(rows)


def _reopen(source: Source, deadline: float, err: DeviceError) -> bool:
    print(f"studio stream: {err} Reconnecting…", file=sys.stderr)
    source.close()
    while time.monotonic() < deadline:
        try:
            source.open()
            return True
        except DeviceError as again:
            if not again.transient:
                raise
            time.sleep(0.5)
    return False


def _channels(source: Source, n: int | None = None) -> tuple[str, ...]:
    """The source's channel names; generic names when it cannot say (yet) or they do not fit ``n``."""
    try:
        names = tuple(source.info.channels)
    except Exception:  # some sources learn their channels only from the data
        names = CANONICAL_CHANNELS
    if n is not None and len(names) != n:
        names = tuple(f"ch{i}" for i in range(n))
    return names


def _stream(source: Source, args: argparse.Namespace, tally: _Tally,
            stop: threading.Event | None = None) -> None:
    channels = _channels(source)
    keys = [json.dumps(c) for c in channels]
    limit = args.samples if args.samples is not None else math.inf
    deadline = time.monotonic() + args.seconds + GRACE_S
    if not args.jsonl:
        sys.stdout.write(f"{'t':>9} {'seq':>8} " + " ".join(f"{c:>9}" for c in channels) + "\n")
    stop = stop or threading.Event()
    while tally.samples < limit and time.monotonic() < deadline and not stop.is_set():
        try:
            chunk = source.read(min(0.1, max(0.0, deadline - time.monotonic())))
        except DeviceError as err:
            if err.transient and _reopen(source, deadline, err):
                tally.reconnects += 1
                tally.drops.reset()
                continue
            raise
        if chunk is None or len(chunk) == 0:
            if getattr(source, "finished", False):  # a replay that reached its end
                break
            continue
        if chunk.data.shape[1] != len(keys):  # a source that learnt its channels from the data
            keys = [json.dumps(c) for c in _channels(source, chunk.data.shape[1])]
        if math.isnan(tally.t_first):
            tally.t_first = float(chunk.t[0])
        beyond = np.flatnonzero(chunk.t - tally.t_first >= args.seconds)
        keep = int(min(beyond[0] if beyond.size else len(chunk), limit - tally.samples))
        done = keep < len(chunk)
        chunk = Chunk(chunk.t[:keep], chunk.data[:keep], chunk.seq[:keep])
        if keep:
            tally.drops.update(chunk.seq)
            tally.samples += keep
            tally.t_last = float(chunk.t[-1])
            sys.stdout.write(_jsonl(chunk, keys) if args.jsonl else _table(chunk, tally))
            sys.stdout.flush()
        if done:
            break


def _summary(source: Source, tally: _Tally, wall_s: float, note: str = "") -> str:
    span = tally.t_last - tally.t_first if tally.samples > 1 else 0.0
    rate = (tally.samples - 1) / span if span > 0 else 0.0
    dropped = tally.drops.dropped + source.stats.dropped
    text = (f"summary: samples={tally.samples} dropped={dropped} parse_errors={source.stats.parse_errors} "
            f"rate={rate:.1f} Hz (from timestamps) wall={wall_s:.2f} s")
    if tally.reconnects:
        text += f" reconnects={tally.reconnects}"
    return text + (f" ({note})" if note else "")


def run(args: argparse.Namespace) -> int:
    if not args.seconds > 0:
        print("studio stream: --seconds must be positive.", file=sys.stderr)
        return 2
    if args.samples is not None and args.samples < 1:
        print("studio stream: --samples must be 1 or more.", file=sys.stderr)
        return 2
    try:
        source = open_source(args.device)
        source.open()
    except DeviceError as err:
        print(f"studio stream: cannot open {args.device!r}: {err}", file=sys.stderr)
        return 2
    tally, start, note, code = _Tally(), time.monotonic(), "", 0
    # Ctrl-C and SIGTERM set a flag the loop checks at every read (at most 0.1 s apart): a flag cannot be
    # lost the way a KeyboardInterrupt raised inside a callback or a __del__ is.
    # The handlers replace an inherited "ignore", and the signals are unblocked in case the parent
    # process started us with them blocked.
    stop = threading.Event()
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
        except ValueError:  # not the main thread (run in-process by a test): keep the defaults
            break
    if previous and hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(previous))
    try:
        _stream(source, args, tally, stop)
        if stop.is_set():
            note = "interrupted"
    except KeyboardInterrupt:
        note = "interrupted"
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly; point stdout at devnull so that the
        # interpreter's final flush does not complain
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        note = "output closed"
    except DeviceError as err:
        print(f"studio stream: device error: {err}", file=sys.stderr)
        note, code = "device error", 2
    finally:
        source.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(_summary(source, tally, time.monotonic() - start, note), file=sys.stderr)
    if code == 0 and tally.samples == 0 and not note:
        print("studio stream: no samples arrived. Check that the device is sending and that the format and "
              "baud rate in the URI match it.", file=sys.stderr)
        return 1
    return code
