"""BLE IMU source (bleak): ``ble://ADDRESS?profile=microbit|thingy52|witmotion|nus|nus-frame|generic:NAME|auto``.

Why a worker thread with its own asyncio loop rather than qasync: the device layer must not depend on
how (or whether) a GUI integrates asyncio with its event loop. The same :class:`BleSource` runs
headless in ``studio live`` and ``studio stream`` and under the Qt window, and it plugs into
:class:`~studio.devices.runner.StreamRunner` like every other (blocking, pull-based) source. bleak's
callbacks run on the worker loop; they only parse bytes and queue samples, so neither the loop nor
the GUI thread ever waits on the other. Scanning uses the same loop class (:func:`scan`).
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.devices import faults
from studio.devices.base import Source
from studio.devices.ble_profiles import BUILTIN, BleProfile, ProfileError, ProfileStore, get_profile, recognise
from studio.devices.formats import Timestamper
from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS, Chunk, StreamInfo

MAX_QUEUED = 20_000  # samples held for read(); beyond this the oldest are dropped and counted


class LoopThread:
    """An asyncio event loop running on a daemon thread; :meth:`call` runs a coroutine on it."""

    def __init__(self, name: str = "ble-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        """Run ``coro`` on the loop and wait for its result (exceptions propagate)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(2.0)
        if not self._thread.is_alive():
            self.loop.close()


class BleSource(Source):
    """Streams one BLE device through a profile.

    ``backend``/``scanner_backend`` are bleak's seams for a custom backend (tests use a fake one that
    replays captured notifications); ``None`` = the platform backend (BlueZ on Linux).
    """

    def __init__(self, address: str, profile: BleProfile | None, backend: type | None = None,
                 connect_timeout: float = 15.0, rate_hz: float = 0.0) -> None:
        super().__init__()
        self.address = address
        self.profile = profile  # None = recognise from the device's services after connecting
        self.backend = backend
        self.connect_timeout = connect_timeout
        self.uri = f"ble://{address}?profile={profile.key if profile else 'auto'}"
        self._clock = Timestamper(rate_hz or (profile.rate_hz if profile else 0.0))
        self._loop: LoopThread | None = None
        self._client = None
        self._parser = None
        self._extra_parsers: list = []
        self._held: list[float] = []
        self._queue: deque[tuple[float, list]] = deque()
        self._queued = 0
        self._cond = threading.Condition()
        self._lost = False
        self._was_open = False
        self._errors_before = 0
        self._channels: tuple[str, ...] = CANONICAL_CHANNELS
        self.device_name = ""

    @property
    def info(self) -> StreamInfo:
        title = self.profile.title if self.profile else "BLE"
        return StreamInfo(CANONICAL_CHANNELS, tuple(CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS),
                          self._clock.rate_hz, f"{self.device_name or self.address} ({title})")

    @property
    def channels_present(self) -> tuple[str, ...]:
        """Canonical channels the device actually sends (the others are NaN)."""
        return self._channels

    @property
    def notices(self) -> list[faults.DeviceFault]:
        """Non-fatal things the user should know: here, a device without a gyroscope."""
        no_gyro = (self.profile is not None and self.profile.has_gyro is False) or (
            self.stats.samples > 0 and "gyro_x" not in self._channels)
        return [faults.no_gyroscope(self.device_name or self.address)] if no_gyro else []

    def open(self) -> None:
        if self._client is not None:
            return
        self._loop = LoopThread(f"ble:{self.address}")
        self._lost = False
        try:
            self._loop.call(self._connect(), self.connect_timeout + 5.0)
        except (Exception, asyncio.CancelledError) as exc:  # every failure becomes a plain-language fault
            self._shutdown()
            key = self.profile.key if self.profile else "auto"
            raise faults.from_ble_error(exc, self.address, key, was_open=self._was_open) from exc
        self._was_open = True
        self._clock.reset()

    async def _connect(self) -> None:
        from bleak import BleakClient

        client = BleakClient(self.address, disconnected_callback=self._on_disconnect,
                             timeout=self.connect_timeout, backend=self.backend)
        await client.connect()
        self._client = client
        self.device_name = getattr(client, "name", "") or ""
        offered = [s.uuid for s in client.services]
        if self.profile is None:
            keys = [k for k in recognise(self.device_name, offered)
                    if client.services.get_characteristic(BUILTIN[k].notify) is not None]
            if not keys:
                raise faults.wrong_profile(self.address, "auto", offered)
            self.profile = BUILTIN[keys[0]]
            self._clock.nominal_rate = self._clock.nominal_rate or self.profile.rate_hz
        char = client.services.get_characteristic(self.profile.notify)
        if char is None:
            raise faults.wrong_profile(self.address, self.profile.key, offered)
        for uuid, data in self.profile.setup:
            target = client.services.get_characteristic(uuid)
            if target is not None:  # optional: a device without it streams at its own settings
                await client.write_gatt_char(target, data, response="write" in target.properties)
        self._parser = self.profile.make_parser()
        self._held = [math.nan] * len(CANONICAL_CHANNELS)
        self._extra_parsers = []
        for uuid, make in self.profile.extra:
            extra = client.services.get_characteristic(uuid)
            if extra is None:
                raise faults.wrong_profile(self.address, self.profile.key, offered)
            parser = make()
            self._extra_parsers.append(parser)
            await client.start_notify(extra, functools.partial(self._on_extra, parser))
        await client.start_notify(char, self._on_notify)

    def _on_extra(self, parser, _char: object, data: bytearray) -> None:
        samples = parser.feed(bytes(data))
        if samples:
            for i, value in enumerate(samples[-1].values):
                if value == value:  # not NaN: a channel this characteristic carries
                    self._held[i] = value

    def _on_notify(self, _char: object, data: bytearray) -> None:
        parser = self._parser
        if parser is None:  # a notification that raced with close()
            return
        samples = parser.feed(bytes(data))
        if not samples:
            return
        if self._extra_parsers:
            held = self._held
            samples = [s._replace(values=tuple(v if v == v else held[i] for i, v in enumerate(s.values)))
                       for s in samples]
        with self._cond:
            self._queue.append((time.monotonic(), samples))
            self._queued += len(samples)
            while self._queued > MAX_QUEUED:
                _, old = self._queue.popleft()
                self._queued -= len(old)
                self.stats.dropped += len(old)
            self._cond.notify()

    def _on_disconnect(self, _client: object) -> None:
        with self._cond:
            self._lost = True
            self._cond.notify()

    def read(self, timeout: float = 0.1) -> Chunk | None:
        with self._cond:
            if not self._queue and not self._lost:
                self._cond.wait(timeout)
            items = list(self._queue)
            self._queue.clear()
            self._queued = 0
            lost = self._lost
        if not items:
            if lost or self._client is None:
                raise faults.ble_lost(self.address)
            return None
        times, rows, seqs = [], [], []
        for arrival, samples in items:
            times += self._clock.stamp(samples, arrival)
            rows += [s.values for s in samples]
            seqs += [s.seq for s in samples]
        self.stats.samples += len(rows)
        if self._parser is not None:
            parsers = [self._parser, *self._extra_parsers]
            self._channels = tuple(c for c in CANONICAL_CHANNELS if any(c in p.channels for p in parsers))
            self.stats.parse_errors = self._errors_before + sum(p.errors for p in parsers)
        return Chunk(np.array(times), np.array(rows, np.float32), np.array(seqs, np.int64))

    def _shutdown(self) -> None:
        client, self._client = self._client, None
        if self._parser is not None:
            self._errors_before += self._parser.errors + sum(p.errors for p in self._extra_parsers)
            self._parser = None
            self._extra_parsers = []
        if self._loop is not None:
            if client is not None and client.is_connected:
                try:
                    self._loop.call(client.disconnect(), 3.0)
                except Exception:  # the link may already be gone; closing must not fail
                    pass
            self._loop.stop()
            self._loop = None

    def close(self) -> None:
        self._shutdown()


@dataclass(frozen=True)
class BleDeviceInfo:
    """One device seen in a scan, with the profiles that fit it (best first)."""

    address: str
    name: str
    rssi: int
    profiles: tuple[str, ...]
    service_uuids: tuple[str, ...] = ()

    @property
    def uri(self) -> str:
        return f"ble://{self.address}?profile={self.profiles[0] if self.profiles else 'auto'}"


async def scan_async(seconds: float = 5.0, backend: type | None = None) -> list[BleDeviceInfo]:
    """Scan for ``seconds``; strongest signal first. Raises bleak's errors (see :func:`scan`)."""
    from bleak import BleakScanner

    kwargs = {"backend": backend} if backend is not None else {}
    found = await BleakScanner.discover(seconds, return_adv=True, **kwargs)
    devices = []
    for device, adv in found.values():
        name = adv.local_name or device.name or ""
        uuids = tuple(u.lower() for u in adv.service_uuids)
        devices.append(BleDeviceInfo(device.address, name, int(adv.rssi), tuple(recognise(name, uuids)), uuids))
    return sorted(devices, key=lambda d: (-bool(d.profiles), -d.rssi))


def scan(seconds: float = 5.0, backend: type | None = None) -> list[BleDeviceInfo]:
    """Blocking scan (call it from a worker thread, not the GUI thread).

    Raises :class:`~studio.devices.faults.DeviceFault` (``no_bluetooth``, ``bluetooth_off``, …).
    """
    loop = LoopThread("ble-scan")
    try:
        return loop.call(scan_async(seconds, backend), seconds + 10.0)
    except (Exception, asyncio.CancelledError) as exc:  # bleak raises many kinds; all become faults
        raise faults.from_ble_error(exc, "(scan)") from exc
    finally:
        loop.stop()


def start_scan(on_done: Callable[[list[BleDeviceInfo] | faults.DeviceFault], None], seconds: float = 5.0,
               backend: type | None = None) -> threading.Thread:
    """Scan on a daemon thread and call ``on_done`` (on that thread) with the devices or the fault."""
    def run() -> None:
        try:
            result: list[BleDeviceInfo] | faults.DeviceFault = scan(seconds, backend)
        except faults.DeviceFault as fault:
            result = fault
        on_done(result)

    thread = threading.Thread(target=run, name="ble-scan", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class GattCharacteristic:
    """One characteristic of a connected device, for the generic-profile editor."""

    service: str
    uuid: str
    properties: tuple[str, ...]
    description: str = ""


async def _inspect(address: str, timeout: float, backend: type | None) -> list[GattCharacteristic]:
    from bleak import BleakClient

    async with BleakClient(address, timeout=timeout, backend=backend) as client:
        return [GattCharacteristic(s.uuid, c.uuid, tuple(c.properties), c.description)
                for s in client.services for c in s.characteristics]


def inspect_gatt(address: str, timeout: float = 15.0, backend: type | None = None) -> list[GattCharacteristic]:
    """Connect briefly and list every characteristic (blocking; call from a worker thread).

    The generic-profile editor offers the ones with ``notify`` in ``properties``. Raises
    :class:`~studio.devices.faults.DeviceFault` like :meth:`BleSource.open`.
    """
    loop = LoopThread("ble-inspect")
    try:
        return loop.call(_inspect(address, timeout, backend), timeout + 5.0)
    except (Exception, asyncio.CancelledError) as exc:  # bleak raises many kinds; all become faults
        raise faults.from_ble_error(exc, address) from exc
    finally:
        loop.stop()


def from_uri(uri, store: ProfileStore | None = None) -> BleSource:
    """Factory for ``ble://ADDRESS?profile=KEY&rate=HZ&timeout=S``."""
    if not uri.target:
        raise faults.bad_config("No Bluetooth address given.", "Use e.g. ble://C4:7F:51:2A:10:9E?profile=thingy52, "
                                "or run 'studio devices' to find addresses.")
    key = uri.params.get("profile", "auto")
    try:
        profile = None if key == "auto" else get_profile(key, store)
        rate = float(uri.params.get("rate", 0.0))
        timeout = float(uri.params.get("timeout", 15.0))
    except ProfileError as exc:
        raise faults.bad_config(str(exc), "Pick a profile from the list or define a generic one.") from exc
    except ValueError as exc:
        raise faults.bad_config(f"Bad number in {uri.text!r}: {exc}.") from exc
    return BleSource(uri.target, profile, rate_hz=rate, connect_timeout=timeout)
