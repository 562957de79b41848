"""Text lines of separated numbers: Arduino ``Serial.print`` CSV and the Edge Impulse data forwarder.

A header line (``aX,aY,aZ,gX,gY,gZ``, ``timestamp,accX,...``, ``t_ms ax ay az``) maps columns to
canonical channels; without one the layout is inferred from the number of fields (3 = acc, 6 = acc +
gyro, 4/7 = time first, 9/10 = with magnetometer). A header may appear again at any time (the board
reset): a line that looks like one re-maps the columns only when the data line after it fits it (and it
maps at least as many channels as the map it replaces), so a sketch's status text ("Calibrating gyro
offsets for gx gy gz") is skipped and counted instead of breaking the stream. Data lines of another
length that keep coming (three in a row) re-map positionally.

Accelerometer units, when not given, are guessed from the first sample, decided again from the median
magnitude of the first five and checked once more over the first hundred (``acc_unit_chosen``,
``unit_reason``), so neither a movement nor the tail of a line sent before the port opened (the first
line of a stream takes no part in the decision) sets the scale of the whole stream. Infinite
or absurd values (beyond 1e6 in the device's units) make the line a parse error; ``nan`` is an absent
value.
"""

from __future__ import annotations

import math
import re

from studio.devices.formats import NAN, Parser, RateEstimator, Sample
from studio.signals.stream import CANONICAL_CHANNELS
from studio.signals.units import _TO_CANONICAL

MAX_LINE = 4096
_SPLIT = re.compile(r"[,;\t ]+")
_ACC = re.compile(r"^(a|acc|accel|accelerometer|acceleration|linacc)([xyz])$")
_GYRO = re.compile(r"^(g|gyr|gyro|gyroscope|w|rot|rotation|angvel)([xyz])$")
_TIME = {"t", "time", "timestamp", "ts", "ms", "millis", "us", "micros", "s", "sec", "seconds", "tms", "tus",
         "timems", "timeus", "timestampms", "timestampus", "times"}
_SEQ = {"seq", "sample", "counter", "count", "index", "n", "i"}
_UNIT_IN_NAME = re.compile(r"[\[(]([^\])]*)[\])]")
_POSITIONAL = {
    3: CANONICAL_CHANNELS[:3],
    6: CANONICAL_CHANNELS,
    4: ("t",) + CANONICAL_CHANNELS[:3],
    7: ("t",) + CANONICAL_CHANNELS,
    9: CANONICAL_CHANNELS + ("", "", ""),
    10: ("t",) + CANONICAL_CHANNELS + ("", "", ""),
}
_TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
ABSURD = 1e6  # a channel value beyond this (in any unit a device sends) is corruption
UNIT_LINES = 5  # samples the accelerometer unit is first decided from
UNIT_CHECK_LINES = 100  # ... and checked again over
REMAP_AFTER = 3  # consecutive data lines of another length before the columns are re-mapped


def _column(token: str) -> tuple[str, str]:
    """Map one header token to (role, unit hint): role is a canonical channel, 't', 'seq' or ''."""
    unit = ""
    m = _UNIT_IN_NAME.search(token)
    if m:
        unit = m.group(1).strip()
        token = token[: m.start()]
    key = re.sub(r"[^a-z0-9]", "", token.lower())
    for suffix, hint in (("ms2", "m/s^2"), ("mps2", "m/s^2"), ("dps", "deg/s"), ("rads", "rad/s"), ("mg", "mg")):
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            key, unit = key[: -len(suffix)], unit or hint
    for pattern, kind in ((_ACC, "acc"), (_GYRO, "gyro")):
        m = pattern.match(key)
        if m:
            return f"{kind}_{m.group(2)}", unit
    if key in _TIME:
        if not unit:
            unit = "us" if "us" in key or "micro" in key else "ms" if "ms" in key or "milli" in key else ""
            unit = unit or ("s" if key in ("s", "sec", "seconds", "times") else "")
        return "t", unit
    if key in _SEQ:
        return "seq", unit
    return "", unit


class CsvLineParser(Parser):
    """Incremental parser of separated-value lines.

    ``acc_unit``/``gyro_unit``: units the device sends ("auto" guesses g, mg or m/s^2 from the first
    sample's magnitude). ``time_unit``: "s", "ms", "us" or "auto" (from the header name, else from the
    first interval).
    """

    name = "csv"

    def __init__(self, acc_unit: str = "auto", gyro_unit: str = "deg/s", time_unit: str = "auto",
                 partial_first_line: bool = True) -> None:
        """``partial_first_line``: the stream may start in the middle of a line (a serial port opened
        while the device was sending), so its first line does not decide units; False for files and
        packet transports, which start at a line."""
        super().__init__()
        self._buf = b""
        self._roles: tuple[str, ...] | None = None
        self._from_header = False
        self._acc_unit = acc_unit
        self._acc_factor: float | None = None if acc_unit == "auto" else _TO_CANONICAL[acc_unit][1]
        self._gyro_factor = _TO_CANONICAL[gyro_unit][1]
        self._col_factor: dict[int, float] = {}
        self._time_unit = time_unit
        self._time_scale: float | None = _TIME_SCALE.get(time_unit)
        self._held: tuple[tuple[float, ...], float, int] | None = None
        self._t_wrap = 0.0
        self._t_last_raw: float | None = None
        self.header: tuple[str, ...] | None = None
        self.rate = RateEstimator()
        self.text_lines = 0  # text lines skipped (status messages, unconfirmed headers)
        self._partial_first = partial_first_line
        self._data_lines = 0
        self._pending: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None = None  # a header to confirm
        self._mismatch = (0, 0)  # (length, consecutive lines) of data lines that do not fit the map
        self._unit_check: list[float] | None = [] if acc_unit == "auto" else None  # raw magnitudes to decide on
        self.acc_unit_chosen = "" if acc_unit == "auto" else acc_unit
        self.unit_reason = "" if acc_unit == "auto" else "set by the user"

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Sample]:
        """Parse every complete line in ``buf + data``; keep the unfinished tail."""
        buf = self._buf + data
        lines = buf.split(b"\n")
        self._buf = lines.pop()
        if len(self._buf) > MAX_LINE:
            self.errors += 1
            self._buf = b""
        out: list[Sample] = []
        for raw in lines:
            line = raw.strip().decode("ascii", "replace")
            if line and not line.startswith("#"):
                self._line(line, out)
        self.samples += len(out)
        return out

    def _set_roles(self, roles: tuple[str, ...], units: tuple[str, ...] = ()) -> None:
        self._roles = roles
        self._col_factor = {}
        for i, unit in enumerate(units):
            if unit in _TO_CANONICAL and roles[i] in CANONICAL_CHANNELS:
                self._col_factor[i] = _TO_CANONICAL[unit][1]
            elif unit in _TIME_SCALE and roles[i] == "t" and self._time_unit == "auto":
                self._time_scale = _TIME_SCALE[unit]
        present = tuple(c for c in CANONICAL_CHANNELS if c in roles)
        self.channels = present

    def flush(self) -> list[Sample]:
        """The stream has ended: samples still held (to decide units or the time scale) come out."""
        out: list[Sample] = []
        if self._held is not None:
            values, t_raw, seq = self._held
            self._held = None
            self._emit(out, values, t_raw, seq)
        self.samples += len(out)
        return out

    def _line(self, line: str, out: list[Sample]) -> None:
        tokens = [tok for tok in _SPLIT.split(line) if tok]
        try:
            nums = [float(tok) for tok in tokens]
        except ValueError:
            nums = None
        if nums is None:
            self.text_lines += 1
            mapped = [_column(tok) for tok in tokens]
            roles = tuple(r for r, _ in mapped)
            if sum(r in CANONICAL_CHANNELS for r in roles) >= 3:
                if self._pending is not None:
                    self.errors += 1  # the previous header-like line was not followed by fitting data
                self._pending = (tuple(tokens), roles, tuple(u for _, u in mapped))
            else:
                self.errors += 1
            return
        if self._pending is not None:
            self._confirm_header(len(tokens), out)
        if self._roles is None or (not self._from_header and len(tokens) != len(self._roles)):
            roles = _POSITIONAL.get(len(tokens))
            if roles is None:
                self.errors += 1
                return
            self._set_roles(roles)
        if len(tokens) != len(self._roles):
            length, count = self._mismatch
            self._mismatch = (len(tokens), count + 1 if length == len(tokens) else 1)
            if self._mismatch[1] < REMAP_AFTER or len(tokens) not in _POSITIONAL:
                self.errors += 1
                return
            self._from_header, self.header = False, None
            self._set_roles(_POSITIONAL[len(tokens)])
        self._mismatch = (0, 0)
        if not self._plausible(nums):
            self.errors += 1
            return
        self._data_lines += 1
        self._check_units(nums)
        self._sample(nums, out)

    def _confirm_header(self, n_fields: int, out: list[Sample]) -> None:
        """A data line follows a header-like line: adopt the header if the line fits it (and it maps at
        least as many channels as the current map), else it was text."""
        tokens, roles, units = self._pending
        self._pending = None

        def mapped(r: tuple[str, ...] | None) -> int:
            return sum(c in CANONICAL_CHANNELS for c in (r or ()))

        fits_old = self._roles is not None and n_fields == len(self._roles)
        if n_fields == len(roles) and (not fits_old or mapped(roles) >= mapped(self._roles)):
            self.header, self._from_header, self._held = tokens, True, None
            self._set_roles(roles, units)
        else:
            self.errors += 1

    def _plausible(self, nums: list[float]) -> bool:
        for i, role in enumerate(self._roles or ()):
            v = nums[i]
            if role in CANONICAL_CHANNELS and (math.isinf(v) or abs(v) > ABSURD):
                return False
            if role in ("t", "seq") and not math.isfinite(v):
                return False
        return True

    def _acc_magnitude(self, nums: list[float]) -> float | None:
        acc = [nums[i] for i, r in enumerate(self._roles or ()) if r.startswith("acc_") and i not in self._col_factor]
        acc = [v for v in acc if math.isfinite(v)]
        return math.sqrt(sum(v * v for v in acc)) if acc else None

    def _check_units(self, nums: list[float]) -> None:
        """Guess the accelerometer unit from the first sample, then decide it again from the median over
        the first few and the first hundred (the first may be a movement, or a line's tail)."""
        if self._unit_check is None:
            return
        m = self._acc_magnitude(nums)
        if m is None:
            return
        if not (self._partial_first and self._data_lines == 1):
            self._unit_check.append(m)
        n = len(self._unit_check)
        if self._acc_factor is None:
            self._acc_factor, self.acc_unit_chosen = _unit_for([m])
            self.unit_reason = f"guessed from the first sample (magnitude {m:.3g})"
        elif n in (UNIT_LINES, UNIT_CHECK_LINES):
            factor, unit = _unit_for(self._unit_check)
            verb = "decided" if unit == self.acc_unit_chosen else f"changed from {self.acc_unit_chosen}"
            self._acc_factor, self.acc_unit_chosen = factor, unit
            self.unit_reason = (f"{verb}: median accelerometer magnitude {_median(self._unit_check):.3g} over "
                                f"{n} samples")
            if n == UNIT_CHECK_LINES:
                self._unit_check = None

    def _sample(self, nums: list[float], out: list[Sample]) -> None:
        values = [NAN] * 6
        t_raw: float | None = None
        seq = -1
        for i, role in enumerate(self._roles or ()):
            if role == "t":
                t_raw = nums[i]
            elif role == "seq":
                seq = int(nums[i]) if math.isfinite(nums[i]) else -1
            elif role:
                ch = CANONICAL_CHANNELS.index(role)
                default = (1.0 if self._acc_factor is None else self._acc_factor) if ch < 3 else self._gyro_factor
                values[ch] = nums[i] * self._col_factor.get(i, default)
        if t_raw is None:
            out.append(Sample(tuple(values), None, seq))
            return
        t_raw = self._unwrap(t_raw)
        if self._time_scale is None:
            if self._held is None:
                self._held = (tuple(values), t_raw, seq)
                return
            self._time_scale = self._guess_time_scale(t_raw - self._held[1])
        if self._held is not None:
            held_values, held_t, held_seq = self._held
            self._held = None
            self._emit(out, held_values, held_t, held_seq)
        self._emit(out, tuple(values), t_raw, seq)

    def _emit(self, out: list[Sample], values: tuple[float, ...], t_raw: float, seq: int) -> None:
        t = t_raw * (self._time_scale or 1.0)
        self.rate.add(t)
        out.append(Sample(values, t, seq))

    def _unwrap(self, t_raw: float) -> float:
        # Arduino millis()/micros() are uint32 and wrap (micros() every 71.6 min).
        if self._t_last_raw is not None and t_raw < self._t_last_raw - 2**31 and self._t_last_raw < 2**32:
            self._t_wrap += 2**32
        self._t_last_raw = t_raw
        return t_raw + self._t_wrap

    @staticmethod
    def _guess_time_scale(delta: float) -> float:
        # 0.5-200 raw units between samples is ms (5 Hz to 2 kHz); more is us; less is seconds.
        if delta < 0.5:
            return 1.0
        return 1e-3 if delta < 200 else 1e-6


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def _unit_for(magnitudes: list[float]) -> tuple[float, str]:
    """(factor to g, unit) for accelerometer magnitudes in the device's unit: at rest about 1 g, 1000 mg
    or 9.8 m/s^2; the median over several samples, so one movement does not decide."""
    mag = _median(magnitudes)
    if mag > 200:
        return _TO_CANONICAL["mg"][1], "mg"
    if 4.5 < mag < 40:
        return _TO_CANONICAL["m/s^2"][1], "m/s^2"
    return 1.0, "g"
