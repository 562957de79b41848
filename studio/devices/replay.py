"""Replay a recording as a live source: ``replay:///path/take.csv?speed=1&loop=0``.

Reads CSV (a take exported by the studio: ``t,acc_x,…``; or any log the CSV parser understands),
``.jsonl`` from ``studio stream --jsonl``, or ``.npz`` (``t`` and ``data`` arrays, optional
``channels``). Samples come out paced at ``speed`` times real time (``speed=0`` means as fast as the
reader takes them) but always stamped with the recording's own time (seconds from its first sample), so everything downstream
(segmentation, refractory periods, rhythm) sees the same stream at any speed. ``loop=1`` starts again
after the end; otherwise :meth:`read` returns ``None`` from then on and :attr:`ReplaySource.finished` is
true.
"""

from __future__ import annotations

import json
import math
import time
import zipfile
from pathlib import Path

import numpy as np

from studio.devices import faults
from studio.devices.base import Source
from studio.devices.faults import DeviceFault, FaultKind
from studio.devices.formats.csv_lines import CsvLineParser
from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS, Chunk, StreamInfo

FAST_BATCH = 1000  # samples per read when speed=0


def _file_fault(path: Path, message: str) -> DeviceFault:
    return DeviceFault(FaultKind.FILE, message, "Pick another recording (CSV with a header, .jsonl or .npz).")


def load_recording(path: str | Path, rate_hz: float = 100.0, acc_unit: str = "g") -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(t (n,) s from 0, data (n, 6) canonical with NaN for absent channels, seq (n,), skipped records)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _file_fault(path, f"The recording {path} does not exist.") from None
    except OSError as exc:
        raise _file_fault(path, f"The recording {path} cannot be read ({exc.strerror or exc}).") from None
    skipped = 0
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as npz:
                data = np.asarray(npz["data"], np.float32)
                channels = [str(c) for c in npz["channels"]] if "channels" in npz else list(CANONICAL_CHANNELS)
                t = np.asarray(npz["t"], np.float64) if "t" in npz else np.arange(len(data)) / rate_hz
        except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise _file_fault(path, f"The recording {path} is not a readable .npz ({exc or 'empty file'}).") from None
        if data.ndim != 2 or t.shape != (len(data),):
            raise _file_fault(path, f"The recording {path} needs 'data' shaped (samples, channels) and 't' with "
                                    f"one time per sample; it has data {data.shape} and t {t.shape}.")
        full = np.full((len(data), 6), np.nan, np.float32)
        for j, name in enumerate(channels[: data.shape[1]]):
            if name in CANONICAL_CHANNELS:
                full[:, CANONICAL_CHANNELS.index(name)] = data[:, j]
        seq = np.arange(len(full))
        data = full
    elif path.suffix == ".jsonl":
        rows, times, seqs = [], [], []
        for line in raw.decode("utf-8", "replace").splitlines():
            try:
                obj = json.loads(line)
                times.append(float(obj["t"]))
                rows.append([math.nan if obj.get(c) is None else float(obj[c]) for c in CANONICAL_CHANNELS])
                seqs.append(-1 if obj.get("seq") is None else int(obj["seq"]))
            except (ValueError, KeyError, TypeError):
                skipped += bool(line.strip())
        t, data, seq = np.array(times, np.float64), np.array(rows, np.float32).reshape(-1, 6), np.array(seqs)
    else:
        parser = CsvLineParser(acc_unit=acc_unit, time_unit="auto", partial_first_line=False)
        samples = parser.feed(raw + b"\n") + parser.flush()
        skipped = parser.errors
        data = np.array([s.values for s in samples], np.float32).reshape(-1, 6)
        has_t = bool(samples) and samples[0].t is not None
        t = np.array([s.t for s in samples], np.float64) if has_t else np.arange(len(samples)) / rate_hz
        seq = np.array([s.seq for s in samples], np.int64)
    if len(data) == 0:
        raise _file_fault(path, f"The recording {path} holds no samples the studio can read "
                                f"({skipped} records skipped).")
    if np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, data, seq = t[order], data[order], seq[order]
    if np.all(seq < 0) or len(np.unique(seq)) != len(seq):
        seq = np.arange(len(t))
    return t - t[0], data, seq.astype(np.int64), skipped


class ReplaySource(Source):
    """Plays a recording back with its original timing (see the module docstring)."""

    def __init__(self, path: str, speed: float = 1.0, loop: bool = False, rate_hz: float = 100.0,
                 acc_unit: str = "g") -> None:
        super().__init__()
        if not math.isfinite(speed) or speed < 0:
            raise faults.bad_config(f"Replay speed must be 0 (as fast as possible) or positive, not {speed}.")
        self.path, self.speed, self.loop = Path(path), speed, loop
        self.uri = f"replay://{path}?speed={speed:g}&loop={int(loop)}"
        self._rate_hint, self._acc_unit = rate_hz, acc_unit
        self._t = self._data = self._seq = None
        self._pos = 0
        self._round = 0
        self._start = 0.0
        self.finished = False

    @property
    def info(self) -> StreamInfo:
        rate = 0.0
        if self._t is not None and len(self._t) > 1:
            rate = round(1.0 / float(np.median(np.diff(self._t))), 3) if np.median(np.diff(self._t)) > 0 else 0.0
        return StreamInfo(CANONICAL_CHANNELS, tuple(CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS), rate,
                          f"replay {self.path.name}")

    @property
    def duration_s(self) -> float:
        return float(self._t[-1]) if self._t is not None else 0.0

    @property
    def channels_present(self) -> tuple[str, ...]:
        """Canonical channels the recording holds (the others are NaN)."""
        if self._data is None:
            return CANONICAL_CHANNELS
        return tuple(c for i, c in enumerate(CANONICAL_CHANNELS) if not np.isnan(self._data[:, i]).all())

    @property
    def notices(self) -> list[DeviceFault]:
        if self._data is not None and np.isnan(self._data[:, 3:]).all():
            return [faults.no_gyroscope(f"The recording {self.path.name}")]
        return []

    def open(self) -> None:
        if self._t is None:
            self._t, self._data, self._seq, self.stats.parse_errors = load_recording(
                self.path, self._rate_hint, self._acc_unit)
        self._pos, self._round, self.finished = 0, 0, False
        self._start = time.monotonic()

    def _period(self) -> float:
        step = float(np.median(np.diff(self._t))) if len(self._t) > 1 else 1.0 / self._rate_hint
        return self.duration_s + step

    def read(self, timeout: float = 0.1) -> Chunk | None:
        if self._t is None:
            raise faults.bad_config("The replay source is not open.")
        if self._pos >= len(self._t):
            if not self.loop:
                self.finished = True
                time.sleep(min(timeout, 0.01))
                return None
            self._pos, self._round = 0, self._round + 1
        offset = self._round * self._period()
        if self.speed == 0:
            end = min(self._pos + FAST_BATCH, len(self._t))
        else:
            due = (time.monotonic() - self._start) * self.speed - offset
            end = int(np.searchsorted(self._t, due, side="right"))
            if end <= self._pos:
                wait = (self._t[self._pos] - due) / self.speed
                time.sleep(max(0.0, min(timeout, wait)))
                due = (time.monotonic() - self._start) * self.speed - offset
                end = int(np.searchsorted(self._t, due, side="right"))
                if end <= self._pos:
                    return None
        sl = slice(self._pos, end)
        self._pos = end
        t = self._t[sl] + offset  # the recording's own time (from 0), whatever the pacing
        seq = self._seq[sl] + self._round * (int(self._seq[-1]) + 1)
        self.stats.samples += end - sl.start
        return Chunk(t, self._data[sl], seq)

    def close(self) -> None:
        """Nothing to release; the recording stays loaded for a fast re-open."""


def from_uri(uri) -> ReplaySource:
    """Factory for ``replay:///path?speed=1&loop=0&rate=100&acc_unit=g``."""
    if not uri.target:
        raise faults.bad_config("No recording given.", "Use e.g. replay:///home/me/take.csv?speed=1.")
    try:
        return ReplaySource(uri.target, float(uri.params.get("speed", 1.0)),
                            uri.params.get("loop", "0") not in ("0", "false", "no", ""),
                            float(uri.params.get("rate", 100.0)), uri.params.get("acc_unit", "g"))
    except ValueError as exc:
        raise faults.bad_config(f"Bad number in {uri.text!r}: {exc}.") from exc
