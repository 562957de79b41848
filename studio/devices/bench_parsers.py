"""``studio bench parsers``: parser throughput per format, and loss over a real pty at 1 kHz.

Throughput: each parser is fed a pre-encoded stream in 4 KiB reads on this one thread (samples/s on
one core). Pty: a ``socat`` pty pair, a writer thread sending our framed protocol at ``--rate`` Hz in
10 ms batches, and a :class:`~studio.devices.serial_source.SerialSource` read by a
:class:`~studio.devices.runner.StreamRunner`, counting samples and sequence gaps for ``--seconds``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time

from studio.devices.formats import csv_lines, frame, witmotion


class SocatPty:
    """A real pty pair from ``socat``; ``device`` is what the studio opens, ``peer`` what a test writes.

    Both ends are symlinks at fixed paths, so a new pair after :meth:`stop` appears at the same path
    (what a re-plugged USB device looks like).
    """

    def __init__(self, folder: str, name: str = "imu") -> None:
        self.device = os.path.join(folder, f"{name}-dev")
        self.peer = os.path.join(folder, f"{name}-peer")
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 5.0) -> "SocatPty":
        if shutil.which("socat") is None:
            raise RuntimeError("socat is not installed (apt install socat)")
        self._proc = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.device}", f"pty,raw,echo=0,link={self.peer}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not (os.path.exists(self.device) and os.path.exists(self.peer)):
            if time.monotonic() > deadline or self._proc.poll() is not None:
                self.stop()
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.01)
        return self

    def open_peer(self) -> int:
        """A blocking write descriptor on the peer end."""
        return os.open(self.peer, os.O_RDWR | os.O_NOCTTY)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> "SocatPty":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _raw_sample(i: int) -> tuple[int, ...]:
    return tuple(int(8000 * math.sin(0.01 * i + k)) for k in range(6))


def encoded_stream(fmt: str, n: int) -> bytes:
    """``n`` samples in ``fmt`` (csv, witmotion, frame) for throughput measurements and tests."""
    if fmt == "csv":
        lines = ["t_ms,ax,ay,az,gx,gy,gz"]
        lines += [f"{i * 10},{a / 4096:.4f},{b / 4096:.4f},{c / 4096:.4f},{d / 16:.2f},{e / 16:.2f},{f / 16:.2f}"
                  for i, (a, b, c, d, e, f) in ((i, _raw_sample(i)) for i in range(n))]
        return ("\r\n".join(lines) + "\r\n").encode()
    if fmt == "witmotion":
        return b"".join(witmotion.encode_serial(0x51, s[:3]) + witmotion.encode_serial(0x52, s[3:])
                        for s in map(_raw_sample, range(n)))
    if fmt == "witmotion-ble":
        return b"".join(witmotion.encode_ble(s[:3], s[3:], (0, 0, 0)) for s in map(_raw_sample, range(n)))
    if fmt == "frame":
        per = 10
        return b"".join(frame.encode_imu6(i, i * 1000, [_raw_sample(j) for j in range(i, min(i + per, n))],
                                          period_us=1000) for i in range(0, n, per))
    raise ValueError(fmt)


def _parser(fmt: str):
    return {"csv": csv_lines.CsvLineParser, "witmotion": witmotion.WitMotionParser,
            "witmotion-ble": witmotion.WitMotionBleParser, "frame": frame.FrameParser}[fmt]()


def throughput(fmt: str, n: int = 100_000, block: int = 4096) -> tuple[float, float, int]:
    """(samples per CPU second of this thread, samples per wall second, samples decoded).

    CPU time is the honest "one core" figure on a shared machine; wall time is shown beside it.
    """
    data = encoded_stream(fmt, n)
    parser = _parser(fmt)
    got = 0
    cpu, wall = time.thread_time(), time.perf_counter()
    for k in range(0, len(data), block):
        got += len(parser.feed(data[k:k + block]))
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    return got / cpu, got / wall, got


def _live_block(fmt: str, first: int, k: int, period_us: int) -> bytes:
    """Samples ``first .. first+k-1`` on the wire, each carrying its number (frame seq / CSV seq column)."""
    raw = [_raw_sample(first + j) for j in range(k)]
    if fmt == "frame":
        return frame.encode_imu6(first, first * period_us, raw, period_us=period_us)
    head = "seq,t_us,ax,ay,az,gx,gy,gz\n" if first == 0 else ""
    return (head + "".join(f"{first + j},{(first + j) * period_us},{r[0] / 4096:.4f},{r[1] / 4096:.4f},"
                           f"{r[2] / 4096:.4f},{r[3] / 16:.2f},{r[4] / 16:.2f},{r[5] / 16:.2f}\n"
                           for j, r in enumerate(raw))).encode()


def pty_loss(seconds: float, rate_hz: float = 1000.0, batch_s: float = 0.01, fmt: str = "frame") -> dict[str, float]:
    """Stream numbered samples (``frame`` or ``csv``) at ``rate_hz`` through a socat pty for ``seconds``;
    count what arrives."""
    from studio.devices.runner import State, StreamRunner
    from studio.devices.serial_source import SerialSource

    per_batch = max(1, int(round(rate_hz * batch_s)))
    received: list[int] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as folder, SocatPty(folder) as pty:
        source = SerialSource(pty.device, fmt, baud=921600, probe_s=0.0)
        streaming = threading.Event()

        def on_status(state: State, message: str) -> None:
            if state == State.STREAMING:
                streaming.set()
            elif state in (State.RECONNECTING, State.FAILED):
                errors.append(message)

        runner = StreamRunner(source, on_chunk=lambda c: received.extend(c.seq.tolist()), on_status=on_status)
        runner.start()
        # pyserial flushes the input buffer on open: start writing only once the port is open.
        if not streaming.wait(5.0):
            runner.stop()
            raise RuntimeError(f"could not open the pty: {errors}")
        fd = pty.open_peer()
        sent = 0
        period_us = int(1e6 / rate_hz)
        start = time.monotonic()
        try:
            while (elapsed := time.monotonic() - start) < seconds:
                due = int(elapsed * rate_hz) + per_batch
                while sent < due:
                    k = min(per_batch, due - sent)
                    os.write(fd, _live_block(fmt, sent, k, period_us))
                    sent += k
                time.sleep(batch_s)
            deadline = time.monotonic() + 2.0
            while len(received) < sent and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            runner.stop()
            os.close(fd)
    unique = set(received)
    return {"format": fmt, "seconds": seconds, "rate_hz": rate_hz, "sent": sent, "received": len(received),
            "missing": len(set(range(sent)) - unique), "duplicates": len(received) - len(unique),
            "parse_errors": source.stats.parse_errors, "faults": len(errors)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--samples", type=int, default=100_000, help="samples per format for throughput")
    parser.add_argument("--seconds", type=float, default=60.0, help="pty loss test duration (default 60)")
    parser.add_argument("--rate", type=float, default=1000.0, help="pty test sample rate in Hz")
    parser.add_argument("--short", action="store_true", help="quick run: 20k samples, 3 s pty")
    parser.add_argument("--no-pty", action="store_true", help="skip the pty test")
    parser.add_argument("--format", choices=("frame", "csv"), default="frame", help="wire format of the pty test")


def run(args: argparse.Namespace) -> int:
    n = 20_000 if args.short else args.samples
    seconds = min(args.seconds, 3.0) if args.short else args.seconds
    print(f"parser throughput (one core, {n} samples, 4 KiB reads):")
    for fmt in ("csv", "witmotion", "witmotion-ble", "frame"):
        cpu_rate, wall_rate, got = throughput(fmt, n)
        print(f"  {fmt:14s} {cpu_rate:12,.0f} samples/CPU-s  ({wall_rate:,.0f}/s wall, {got} decoded)")
    if args.no_pty:
        return 0
    if shutil.which("socat") is None:
        print("pty test skipped: socat is not installed")
        return 0
    r = pty_loss(seconds, args.rate, fmt=args.format)
    print(f"pty {r['format']} {r['rate_hz']:.0f} Hz for {r['seconds']:g} s: sent {r['sent']}, received {r['received']}, "
          f"missing {r['missing']}, duplicates {r['duplicates']}, parse errors {r['parse_errors']}, "
          f"faults {r['faults']}")
    return 0 if r["missing"] == 0 and r["duplicates"] == 0 else 1
