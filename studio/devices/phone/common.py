"""What every phone source shares: a reader thread that fills a queue, and a :class:`Source` that
drains it through an :class:`~studio.devices.phone.merge.ImuMerger` into canonical chunks.

Each app's module only has to connect (in :meth:`PhoneSource._connect`), run its reader loop (in
:meth:`PhoneSource._reader`) and hand readings over with :meth:`PhoneSource.put` in the phone's own
units; a fault found by the reader travels through the same queue, so :meth:`read` raises it on the
runner thread (a dropped connection as a transient :class:`DeviceError`: the runner reconnects).

Each :meth:`PhoneSource.open` makes a fresh :class:`Link` (stop event + queue) for its reader: a reader
from an earlier connection that is still finishing a request can only feed its own, stopped link.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from abc import abstractmethod
from collections import deque

import numpy as np

from studio.devices.base import DeviceError, Source
from studio.devices.faults import DeviceFault, FaultKind
from studio.devices.phone.merge import ClockWentBack, ImuMerger
from studio.signals.stream import CANONICAL_CHANNELS, Chunk, StreamInfo
from studio.signals.units import to_canonical

GYRO_WAIT_S = 1.5     # after this long with accelerometer data and no gyroscope, stream acceleration only
SLOW_FRACTION = 0.5   # readings arriving at less than this fraction of the grid rate get a notice
IDLE_NOTICE_S = 3.0   # no data for this long while connected: tell the user (the phone may be paused)
REANCHOR_S = 5.0      # device time this far behind the arrival time is re-anchored (after a pause)


def phone_fault(message: str, fix: str = "", transient: bool = False, kind: FaultKind = FaultKind.OTHER) -> DeviceFault:
    """A device fault worded for a phone on the network."""
    return DeviceFault(kind, message, fix, transient)


def unreachable(what: str, address: str, why: str) -> DeviceFault:
    """Nothing answers at ``address`` (transient: the app may be started in a moment)."""
    return phone_fault(
        f"No answer from {what} at {address} ({why}).",
        f"Check that {what} is running on the phone with its server started, that the phone and this "
        "computer are on the same Wi-Fi network, and that the address matches the one the app shows.",
        transient=True, kind=FaultKind.MISSING)


def dropped(what: str, address: str, why: str = "") -> DeviceFault:
    """The phone went away mid-stream (transient: the runner reconnects)."""
    return phone_fault(f"Lost the connection to {what} at {address}" + (f" ({why})." if why else "."),
                       "Keep the app in the foreground and the phone awake and on the same Wi-Fi; "
                       "the studio reconnects by itself.", transient=True, kind=FaultKind.UNPLUGGED)


def restarted(what: str, why: str) -> DeviceFault:
    """The phone's measurement started over (its clock went back): transient, so the runner reconnects."""
    return phone_fault(f"The phone restarted its measurement ({why}).",
                       f"Reconnecting to {what} to follow the new measurement.", transient=True)


class Link:
    """One connection's stop signal and queue; items put after it was stopped are dropped."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.queue: queue.SimpleQueue = queue.SimpleQueue()

    def put(self, item: object) -> None:
        """Queue ``item`` unless this connection was closed."""
        if not self.stop.is_set():
            self.queue.put(item)


class PhoneSource(Source):
    """Base of the phone sources: subclasses connect and run a reader that calls :meth:`put`."""

    app_name = "the phone app"
    slow_fix = "Raise the sampling rate in the app's settings."   # what to do when readings come too slowly
    join_s = 2.0   # how long close() waits for the reader: at least its longest blocking call

    def __init__(self, address: str, rate_hz: float = 100.0) -> None:
        super().__init__()
        if not (math.isfinite(rate_hz) and 1.0 <= rate_hz <= 1000.0):
            raise DeviceError(f"Phone rate {rate_hz:g} Hz is out of range.", "Use a rate from 1 to 1000 Hz.")
        self.address = address
        self.rate_hz = float(rate_hz)
        self.has_gyro: bool | None = None    # None: not known yet
        self.gravity_included = True
        self.clock = time.monotonic           # host clock for arrival times (tests replace it)
        self.last_data_at = 0.0               # clock() of the last reading
        self._link = Link()
        self._link.stop.set()
        self._local = threading.local()       # .link: the connection a reader or request thread feeds
        self._thread: threading.Thread | None = None
        self._merger = ImuMerger(self.rate_hz)
        self._offset: float | None = None     # host monotonic time minus device time
        self._opened_at = 0.0
        self._arrivals: deque[tuple[float, int]] = deque(maxlen=200)
        self._notices: list[DeviceFault] = []

    # -- subclass interface ------------------------------------------------------------------------
    @abstractmethod
    def _connect(self) -> None:
        """Reach the phone (or start listening); raise a :class:`DeviceFault` saying why not."""

    @abstractmethod
    def _reader(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set, calling :meth:`put`; raise a DeviceError on a fault."""

    def _disconnect(self) -> None:
        """Release what :meth:`_connect` took (called after the reader thread ended)."""

    # -- Source ------------------------------------------------------------------------------------
    @property
    def info(self) -> StreamInfo:
        """The stream on the studio's grid, named after the app and its address."""
        return StreamInfo(rate_hz=self.rate_hz, device=f"{self.app_name} ({self.address})")

    @property
    def channels_present(self) -> tuple[str, ...]:
        """Canonical channels the phone actually sends (gyro ones only once a gyroscope reported)."""
        return CANONICAL_CHANNELS if self.has_gyro is not False else CANONICAL_CHANNELS[:3]

    @property
    def clock_offset(self) -> float | None:
        """Host :attr:`clock` time minus the phone's device time, as used for chunk times (None
        until the first chunk): ``chunk.t - clock_offset`` is the device time of each sample."""
        return self._offset

    @property
    def measured_rate_hz(self) -> float:
        """Accelerometer readings per second arriving from the phone (0 until measured)."""
        if len(self._arrivals) < 2:
            return 0.0
        (t0, _), (t1, _) = self._arrivals[0], self._arrivals[-1]
        count = sum(n for _, n in list(self._arrivals)[1:])
        return count / (t1 - t0) if t1 > t0 else 0.0

    @property
    def notices(self) -> list[DeviceFault]:
        """Non-fatal things the user should know: no gyroscope, no data for a while, ..."""
        out = list(self._notices)
        if self.has_gyro is False:
            out.append(phone_fault(f"{self.app_name} sends no gyroscope readings: only acceleration is streamed.",
                                   "Gestures that differ only by rotation may be confused.",
                                   kind=FaultKind.NO_GYROSCOPE))
        measured = self.measured_rate_hz
        if 0 < measured < SLOW_FRACTION * self.rate_hz and len(self._arrivals) >= 10:
            out.append(phone_fault(f"{self.app_name} sends only {measured:.0f} readings a second (the studio "
                                   f"streams {self.rate_hz:g}): quick gestures get smoothed away.", self.slow_fix))
        if self._thread is not None and self.clock() - max(self.last_data_at, self._opened_at) > IDLE_NOTICE_S:
            out.append(phone_fault(f"No data from {self.app_name} for a while.",
                                   "Check that the measurement or recording is running on the phone."))
        return out

    def open(self) -> None:
        """Connect and start the reader; every failure is a :class:`DeviceError` in plain words."""
        if self._thread is not None:
            return
        link = self._link = Link()
        self._merger = ImuMerger(self.rate_hz)
        self._offset, self.has_gyro = None, None
        try:
            self._connect()
        except DeviceError:
            link.stop.set()
            raise
        except Exception as exc:  # an answer no parser expected must reach the user as words, not a traceback
            link.stop.set()
            self._disconnect()
            raise phone_fault(f"{self.app_name} at {self.address} answered in a way the studio does not understand "
                              f"({type(exc).__name__}: {exc}).",
                              f"Check that the address is the one {self.app_name} shows, and that the app is "
                              "up to date.", kind=FaultKind.BAD_CONFIG) from exc
        self._opened_at = self.clock()
        self._thread = threading.Thread(target=self._run_reader, args=(link,), name=f"phone:{self.address}",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the reader (waiting up to :attr:`join_s`) and release the connection."""
        self._link.stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(self.join_s)
        self._disconnect()

    def read(self, timeout: float = 0.1) -> Chunk | None:
        """The next grid points on the host clock, or None after ``timeout``; raises what the reader found."""
        if self._thread is None:
            raise DeviceError(f"{self.app_name} is not connected.", "Connect it first.")
        deadline = time.monotonic() + max(0.0, timeout)
        item = None
        while True:
            chunk = self._drain(item)
            if chunk is not None:
                return chunk
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                item = self._link.queue.get(timeout=min(remaining, 0.05))
            except queue.Empty:
                item = None

    # -- helpers for subclasses ----------------------------------------------------------------------
    def put(self, kind: str, t: np.ndarray, xyz: np.ndarray, unit: str) -> None:
        """Hand over readings from the reader thread: ``kind`` "acc" (gravity included) or "gyro",
        device times ``t`` in seconds, values (n, 3) in ``unit`` (e.g. ``m/s^2``, ``rad/s``)."""
        t = np.asarray(t, np.float64).reshape(-1)
        if t.size == 0:
            return
        self.feeding().put((kind, t, to_canonical(np.asarray(xyz, np.float32).reshape(-1, 3), unit)))

    def feeding(self, link: Link | None = None) -> Link:
        """The connection the calling thread feeds; with ``link``, make this thread feed that one
        (a request thread of a listener passes the link its listener was opened with)."""
        if link is not None:
            self._local.link = link
        return getattr(self._local, "link", None) or self._link

    def notice(self, fault: DeviceFault) -> None:
        """Show ``fault`` as a lasting notice (e.g. acceleration without gravity)."""
        if all(str(n) != str(fault) for n in self._notices):
            self._notices.append(fault)

    def parse_error(self) -> None:
        """Count one message from the phone that could not be understood."""
        self.stats.parse_errors += 1

    # -- internals ---------------------------------------------------------------------------------
    def _run_reader(self, link: Link) -> None:
        self.feeding(link)
        try:
            self._reader(link.stop)
        except DeviceError as err:
            link.put(err)
        except Exception as exc:  # a bug or an unexpected library error must not kill the stream silently
            link.put(dropped(self.app_name, self.address, f"{type(exc).__name__}: {exc}"))

    def _drain(self, item: object = None) -> Chunk | None:
        now = self.clock()
        while True:
            if item is None:
                try:
                    item = self._link.queue.get_nowait()
                except queue.Empty:
                    break
            if isinstance(item, DeviceError):
                raise item
            kind, t, xyz = item
            self.last_data_at = now
            if kind == "gyro":
                self.has_gyro = True
            else:
                self._arrivals.append((now, int(t.size)))
            try:
                self._merger.add(kind, t, xyz)
            except ClockWentBack as jump:
                raise restarted(self.app_name, str(jump)) from None
            item = None
        wait = self.has_gyro is None and now - self._opened_at < GYRO_WAIT_S
        if self.has_gyro is None and not wait and self._merger.acc.t.size:
            self.has_gyro = False
        chunk = self._merger.pop(wait_for_gyro=self.has_gyro is not False)
        if chunk is None:
            return None
        # Device clock -> this computer's monotonic clock, anchored at the first chunk. A device clock
        # that fell far behind (phyphox's experiment time stands still while paused) is re-anchored,
        # so times stay close to when the data arrived; they only ever move forward.
        lag = now - float(chunk.t[-1]) - (self._offset if self._offset is not None else 0.0)
        if self._offset is None:
            self._offset = lag
        elif lag > REANCHOR_S:
            self._offset += lag
        self.stats.samples += len(chunk)
        return Chunk(chunk.t + self._offset, chunk.data, chunk.seq)
