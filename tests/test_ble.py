"""BLE source and scan through bleak's real front end (BleakClient/BleakScanner) with a fake backend
that replays captured notification bytes per profile."""

import asyncio
import struct
import threading
from dataclasses import dataclass, field

import numpy as np
import pytest
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakDeviceNotFoundError

from studio.devices import ble_profiles as bp
from studio.devices.base import DeviceError
from studio.devices.ble import BleSource, scan, start_scan
from studio.devices.faults import FaultKind
from studio.devices.formats.frame import encode_imu6
from studio.devices.formats.witmotion import encode_ble
from studio.devices.runner import State, StreamRunner
from source_reading import read_samples, wait_until


@dataclass
class Peripheral:
    name: str
    services: dict  # service uuid -> list of characteristic uuids
    notifications: list  # captured payloads, in order
    interval: float = 0.001
    drop_after: bool = False  # link lost after the last notification
    writes: list = field(default_factory=list)


class FakeClient(BaseBleakClient):
    """A bleak backend client for one process-local registry of peripherals."""

    peripherals: dict = {}

    def __init__(self, address_or_ble_device, **kwargs):
        super().__init__(address_or_ble_device, disconnected_callback=kwargs.get("disconnected_callback"),
                         timeout=kwargs.get("timeout", 10.0))
        self._connected = False
        self._task = None
        self._peripheral = None

    @property
    def name(self):
        return self._peripheral.name if self._peripheral else self.address

    @property
    def mtu_size(self):
        return 23

    @property
    def is_connected(self):
        return self._connected

    async def connect(self, pair, **kwargs):
        peripheral = self.peripherals.get(self.address)
        if peripheral is None:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        collection = BleakGATTServiceCollection()
        handle = 1
        for s_uuid, chars in peripheral.services.items():
            service = BleakGATTService(None, handle, s_uuid)
            collection.add_service(service)
            handle += 1
            for c_uuid in chars:
                collection.add_characteristic(
                    BleakGATTCharacteristic(None, handle, c_uuid, ["notify", "write"], lambda: 20, service))
                handle += 1
        self.services = collection
        self._peripheral = peripheral
        self._connected = True

    async def disconnect(self):
        if self._task:
            self._task.cancel()
        self._connected = False

    async def pair(self, *args, **kwargs):
        pass

    async def unpair(self):
        pass

    async def read_gatt_char(self, characteristic, **kwargs):
        return bytearray()

    async def read_gatt_descriptor(self, descriptor, **kwargs):
        return bytearray()

    async def write_gatt_char(self, characteristic, data, response):
        self._peripheral.writes.append((characteristic.uuid, bytes(data)))

    async def write_gatt_descriptor(self, descriptor, data):
        pass

    async def start_notify(self, characteristic, callback, **kwargs):
        async def replay():
            for payload in self._peripheral.notifications:
                await asyncio.sleep(self._peripheral.interval)
                callback(bytearray(payload))
            if self._peripheral.drop_after:
                self._connected = False
                if self._disconnected_callback:
                    self._disconnected_callback()

        self._task = asyncio.get_running_loop().create_task(replay())

    async def stop_notify(self, characteristic):
        pass


class FakeScanner(BaseBleakScanner):
    adverts: list = []  # (address, name, rssi, service uuids)

    def __init__(self, detection_callback, service_uuids, scanning_mode, **kwargs):
        super().__init__(detection_callback, service_uuids)

    async def start(self):
        self.seen_devices = {}
        for address, name, rssi, uuids in self.adverts:
            adv = AdvertisementData(name, {}, {}, list(uuids), None, rssi, ())
            device = self.create_or_update_device(address, address, name, None, adv)
            self.call_detection_callbacks(device, adv)

    async def stop(self):
        pass


class NoAdapterScanner(FakeScanner):
    async def start(self):
        raise BleakBluetoothNotAvailableError("No Bluetooth adapters found.",
                                              BleakBluetoothNotAvailableReason.NO_BLUETOOTH)


def chop(data: bytes, size: int = 20) -> list[bytes]:
    """Split a stream into BLE-sized notifications (MTU 23 -> 20-byte payloads)."""
    return [data[k:k + size] for k in range(0, len(data), size)]


def captured(profile: str, n: int) -> list[bytes]:
    """Realistic notification payloads per profile for ``n`` samples (sample i has acc_x = i/100 g)."""
    if profile == "microbit":
        return [struct.pack("<3h", i * 10, -1000, 20) for i in range(n)]  # milli-g
    if profile == "thingy52":
        return [struct.pack("<9h", int(i * 10.24), 0, 1024, 32, -64, 0, 100, 200, 300) for i in range(n)]
    if profile == "witmotion":
        return [encode_ble((int(i * 20.48), 0, 2048), (16, 0, -16), (0, 0, 0)) for i in range(n)]
    if profile == "nus":
        text = "".join(f"{i / 100:.2f},0.00,1.00,0.5,-0.5,0.0\r\n" for i in range(n))
        return chop(("ax,ay,az,gx,gy,gz\r\n" + text).encode())
    if profile == "nicla":
        return [struct.pack("<3f", i / 100, 0.0, 1.0) for i in range(n)]
    if profile == "nus-frame":
        raw = [(int(i * 40.96), 0, 4096, 16, 0, 0) for i in range(n)]
        frames = b"".join(encode_imu6(i, i * 10_000, raw[i:i + 2], 8, 2000, 10_000) for i in range(0, n, 2))
        return chop(frames)
    raise ValueError(profile)


def add(address, profile, n=40, **kw):
    p = bp.BUILTIN[profile]
    names = {"microbit": "BBC micro:bit [zogav]", "thingy52": "Thingy", "witmotion": "WT901BLE68",
             "nus": "Puck.js 1a2b", "nus-frame": "UniMotion-ESP32", "nicla": "NiclaSenseME-1A2B"}
    extra = [uuid for uuid, _ in p.setup] + [uuid for uuid, _ in p.extra]
    FakeClient.peripherals[address] = Peripheral(names[profile], {p.service: [p.notify, *dict.fromkeys(extra)]},
                                                 captured(profile, n), **kw)
    return FakeClient.peripherals[address]


@pytest.fixture(autouse=True)
def clean_registry():
    FakeClient.peripherals = {}
    yield
    FakeClient.peripherals = {}


@pytest.mark.parametrize("profile", ["microbit", "thingy52", "witmotion", "nus", "nus-frame"])
def test_profile_replay_yields_canonical_samples(profile):
    add("AA:00:00:00:00:01", profile, n=40)
    source = BleSource("AA:00:00:00:00:01", bp.BUILTIN[profile], backend=FakeClient)
    source.open()
    try:
        chunks = read_samples(source, 40)
    finally:
        source.close()
    data = np.concatenate([c.data for c in chunks])
    t = np.concatenate([c.t for c in chunks])
    assert data.shape == (40, 6)
    np.testing.assert_allclose(data[:, 0], np.arange(40) / 100, atol=2e-3)
    assert np.all(np.abs(data[:, 1:3]).max() <= 1.001)
    assert np.all(np.diff(t) > 0)
    assert source.stats.parse_errors == 0 and source.stats.samples == 40
    if profile == "microbit":
        assert np.isnan(data[:, 3:]).all() and data[0, 1] == pytest.approx(-1.0)
        (notice,) = source.notices
        assert notice.kind == FaultKind.NO_GYROSCOPE and "micro:bit" in notice.message
    else:
        assert np.isfinite(data).all() and not source.notices
    if profile == "thingy52":
        assert data[0, 3] == pytest.approx(1.0) and data[0, 4] == pytest.approx(-2.0)
    if profile == "nus-frame":
        assert np.concatenate([c.seq for c in chunks]).tolist() == list(range(40))


def test_microbit_period_is_written_after_connecting():
    peripheral = add("AA:00:00:00:00:02", "microbit", n=2)
    source = BleSource("AA:00:00:00:00:02", bp.BUILTIN["microbit"], backend=FakeClient)
    source.open()
    source.close()
    assert peripheral.writes == [(bp.MICROBIT_ACC_PERIOD, struct.pack("<H", 20))]
    assert source.info.rate_hz == 50.0


class TwoCharClient(FakeClient):
    """Replays gyro notifications on the extra characteristic before each acc notification."""

    async def start_notify(self, characteristic, callback, **kwargs):
        if characteristic.uuid == bp.NICLA_GYRO:
            self._gyro = callback
            return
        gyro = [struct.pack("<3f", 10.0 * i, -5.0, 0.0) for i in range(len(self._peripheral.notifications))]

        async def replay():
            for g, a in zip(gyro, self._peripheral.notifications):
                await asyncio.sleep(0.001)
                self._gyro(bytearray(g))
                callback(bytearray(a))

        self._task = asyncio.get_running_loop().create_task(replay())


def test_two_characteristic_profile_merges_acc_and_gyro():
    add("AA:00:00:00:00:0D", "nicla", n=10)
    source = BleSource("AA:00:00:00:00:0D", bp.BUILTIN["nicla"], backend=TwoCharClient)
    source.open()
    chunks = read_samples(source, 10)
    source.close()
    data = np.concatenate([c.data for c in chunks])
    np.testing.assert_allclose(data[:, 0], np.arange(10) / 100, atol=1e-6)
    np.testing.assert_allclose(data[:, 3], 10.0 * np.arange(10))
    assert source.channels_present == tuple(bp.CANONICAL_CHANNELS) and not source.notices


def test_witmotion_rate_is_raised_to_50_hz_after_connecting():
    peripheral = add("AA:00:00:00:00:0C", "witmotion", n=2)
    source = BleSource("AA:00:00:00:00:0C", bp.BUILTIN["witmotion"], backend=FakeClient)
    source.open()
    source.close()
    assert [data for _, data in peripheral.writes] == [b"\xff\xaa\x69\x88\xb5", b"\xff\xaa\x03\x08\x00"]


def test_auto_profile_is_recognised_from_services_and_name():
    add("AA:00:00:00:00:03", "nus-frame", n=4)
    source = BleSource("AA:00:00:00:00:03", None, backend=FakeClient)
    source.open()
    chunks = read_samples(source, 4)
    source.close()
    assert source.profile.key == "nus-frame" and sum(len(c) for c in chunks) == 4


def test_wrong_profile_names_the_offered_services():
    add("AA:00:00:00:00:04", "microbit", n=2)
    source = BleSource("AA:00:00:00:00:04", bp.BUILTIN["thingy52"], backend=FakeClient)
    with pytest.raises(DeviceError) as info:
        source.open()
    assert info.value.kind == FaultKind.WRONG_PROFILE and bp.MICROBIT_ACC_SERVICE in info.value.message
    assert not info.value.transient


def test_absent_device_is_transient_not_found():
    source = BleSource("AA:00:00:00:00:05", bp.BUILTIN["thingy52"], backend=FakeClient)
    with pytest.raises(DeviceError) as info:
        source.open()
    assert info.value.kind == FaultKind.BLE_NOT_FOUND and info.value.transient


def run_through_a_drop(source, peripheral, want: int, resume_timeout: float):
    """Run ``source`` on a StreamRunner until it has lost the link and streams again, then let the
    peripheral keep its link and collect until ``want`` sequence numbers arrived (5 s at most).
    Returns (sequence numbers, [(state, message)])."""
    received, states = [], []
    resumed = threading.Event()

    def on_status(state, message):
        states.append((state, message))
        if state == State.STREAMING and any(s == State.RECONNECTING for s, _ in states):
            resumed.set()

    runner = StreamRunner(source, on_chunk=lambda c: received.extend(c.seq.tolist()), on_status=on_status,
                          backoff=(0.05,))
    runner.start()
    try:
        assert resumed.wait(resume_timeout)
        peripheral.drop_after = False
        wait_until(lambda: len(received) >= want, 5)
    finally:
        runner.stop()
    return received, states


def test_link_loss_then_reconnect_through_the_runner():
    peripheral = add("AA:00:00:00:00:06", "nus-frame", n=20, drop_after=True)
    source = BleSource("AA:00:00:00:00:06", bp.BUILTIN["nus-frame"], backend=FakeClient)
    received, states = run_through_a_drop(source, peripheral, want=40, resume_timeout=5)
    # the replayed device restarts its counter after a reconnect, as a real one that rebooted would
    assert received == list(range(20)) + list(range(20))
    assert any("Lost the Bluetooth connection" in m for s, m in states if s == State.RECONNECTING)


def test_no_bluez_gives_the_plain_message(monkeypatch):
    # Without a backend, bleak goes to BlueZ over D-Bus; on this machine that raises a bare
    # FileNotFoundError. Simulate it where a D-Bus socket does exist.
    import bleak.backends.client as client_mod

    class NoDbus(FakeClient):
        async def connect(self, pair, **kwargs):
            raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(client_mod, "get_platform_client_backend_type", lambda: (NoDbus, "bluez"))
    import bleak

    monkeypatch.setattr(bleak, "get_platform_client_backend_type", lambda: (NoDbus, "bluez"))
    source = BleSource("AA:00:00:00:00:07", bp.BUILTIN["thingy52"])
    with pytest.raises(DeviceError) as info:
        source.open()
    assert info.value.kind == FaultKind.NO_BLUETOOTH
    assert info.value.message.startswith("Bluetooth is not available on this computer (no BlueZ/D-Bus)")
    assert "bluez" in info.value.fix and not info.value.transient


def test_scan_recognises_profiles_and_sorts_by_signal():
    FakeScanner.adverts = [
        ("11:11:11:11:11:11", "Headphones", -40, []),
        ("22:22:22:22:22:22", "BBC micro:bit [tupov]", -70, []),
        ("33:33:33:33:33:33", "Thingy", -55, [bp.THINGY_MOTION_SERVICE]),
        ("44:44:44:44:44:44", "UniMotion-Nano33", -60, [bp.NUS_SERVICE]),
    ]
    devices = scan(0.01, backend=FakeScanner)
    assert [d.name for d in devices] == ["Thingy", "UniMotion-Nano33", "BBC micro:bit [tupov]", "Headphones"]
    assert devices[0].profiles == ("thingy52",) and devices[0].rssi == -55
    assert devices[1].profiles[0] == "nus-frame" and devices[1].uri.endswith("profile=nus-frame")
    assert devices[3].profiles == ()


def test_scan_without_adapter_is_a_fault_and_start_scan_reports_it():
    with pytest.raises(DeviceError) as info:
        scan(0.01, backend=NoAdapterScanner)
    assert info.value.kind == FaultKind.BLUETOOTH_OFF
    results = []
    start_scan(results.append, 0.01, backend=NoAdapterScanner).join(5)
    assert results and results[0].kind == FaultKind.BLUETOOTH_OFF


def test_queue_overflow_drops_oldest_and_counts(monkeypatch):
    import studio.devices.ble as ble_mod

    monkeypatch.setattr(ble_mod, "MAX_QUEUED", 10)
    add("AA:00:00:00:00:08", "thingy52", n=30, interval=0.0)
    source = BleSource("AA:00:00:00:00:08", bp.BUILTIN["thingy52"], backend=FakeClient)
    source.open()
    wait_until(lambda: source.stats.dropped >= 20, 5)  # all 30 delivered, none read yet
    chunk = source.read(0.1)
    source.close()
    assert len(chunk) == 10 and source.stats.dropped == 20
    assert chunk.data[-1, 0] == pytest.approx(0.29, abs=1e-3)


@pytest.mark.skipif(__import__("os").path.exists("/var/run/dbus/system_bus_socket"),
                    reason="this machine has a D-Bus system bus; the real no-BlueZ path cannot be shown")
def test_real_bleak_on_a_machine_without_bluez():
    source = BleSource("AA:00:00:00:00:09", bp.BUILTIN["thingy52"], connect_timeout=2.0)
    with pytest.raises(DeviceError) as info:
        source.open()
    assert info.value.kind == FaultKind.NO_BLUETOOTH


# --- a real GATT stack: bumble virtual devices on an in-process link, behind a bleak backend ------------

bumble = pytest.importorskip("bumble", reason="bumble is not installed: the virtual-device tests need it")


class BumbleClient(BaseBleakClient):
    """A bleak backend whose peer is a bumble GATT server on a bumble LocalLink: service discovery,
    the CCCD write that enables notifications, and the notifications themselves go through bumble's
    real ATT/L2CAP/HCI code (MTU 23, so at most 20 bytes per notification)."""

    peripherals: dict = {}

    def __init__(self, address_or_ble_device, **kwargs):
        super().__init__(address_or_ble_device, disconnected_callback=kwargs.get("disconnected_callback"),
                         timeout=kwargs.get("timeout", 10.0))
        self._conn = None
        self._peer = None
        self._server = None
        self._server_conn = None
        self._chars = {}
        self._task = None
        self._spec = None

    @property
    def name(self):
        return self._spec.name if self._spec else self.address

    @property
    def mtu_size(self):
        return 23

    @property
    def is_connected(self):
        return self._conn is not None

    async def connect(self, pair, **kwargs):
        from bleak.uuids import normalize_uuid_str
        from bumble.controller import Controller
        from bumble.device import Device, Peer
        from bumble.gatt import Characteristic, Service
        from bumble.hci import Address
        from bumble.host import Host
        from bumble.link import LocalLink
        from bumble.transport.common import AsyncPipeSink

        spec = self.peripherals.get(self.address)
        if spec is None:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        self._spec = spec
        link = LocalLink()
        addresses = ["F0:F0:F0:F0:F0:F0", "F1:F1:F1:F1:F1:F1"]
        controllers = [Controller(f"C{i}", link=link, public_address=a) for i, a in enumerate(addresses)]
        central, server = [Device(address=Address(a), host=Host(c, AsyncPipeSink(c)))
                           for a, c in zip(addresses, controllers)]
        props = Characteristic.Properties
        for s_uuid, chars in spec.services.items():
            objs = []
            for c_uuid in chars:
                char = Characteristic(c_uuid.upper(), props.NOTIFY | props.READ | props.WRITE,
                                      Characteristic.READABLE | Characteristic.WRITEABLE, b"")
                self._chars[c_uuid] = char
                objs.append(char)
            server.add_service(Service(s_uuid.upper(), objs))
        for device in (central, server):
            await device.power_on()
        await server.start_advertising(advertising_interval_min=1.0)
        accepted = asyncio.get_running_loop().create_future()
        server.once(server.EVENT_CONNECTION, accepted.set_result)
        self._conn = await central.connect(server.random_address)
        self._server_conn = await accepted
        self._conn.on(self._conn.EVENT_DISCONNECTION, self._on_disconnection)
        self._server = server
        self._peer = Peer(self._conn)
        await self._peer.discover_services()
        await self._peer.discover_characteristics()
        collection = BleakGATTServiceCollection()
        names = {props.READ: "read", props.WRITE: "write", props.WRITE_WITHOUT_RESPONSE: "write-without-response",
                 props.NOTIFY: "notify", props.INDICATE: "indicate"}
        for service in self._peer.services:
            bs = BleakGATTService(service, service.handle, normalize_uuid_str(service.uuid.to_hex_str("-")))
            collection.add_service(bs)
            for c in service.characteristics:
                collection.add_characteristic(BleakGATTCharacteristic(
                    c, c.handle, normalize_uuid_str(c.uuid.to_hex_str("-")),
                    [n for flag, n in names.items() if c.properties & flag], lambda: 20, bs))
        self.services = collection

    def _on_disconnection(self, *_):
        self._conn = None
        if self._disconnected_callback:
            self._disconnected_callback()

    async def disconnect(self):
        if self._task:
            self._task.cancel()
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.disconnect()

    async def pair(self, *args, **kwargs):
        pass

    async def unpair(self):
        pass

    async def read_gatt_char(self, characteristic, **kwargs):
        return bytearray(await characteristic.obj.read_value())

    async def read_gatt_descriptor(self, descriptor, **kwargs):
        return bytearray()

    async def write_gatt_char(self, characteristic, data, response):
        await characteristic.obj.write_value(bytes(data), with_response=response)
        self._spec.writes.append((characteristic.uuid, bytes(self._chars[characteristic.uuid].value)))

    async def write_gatt_descriptor(self, descriptor, data):
        pass

    async def start_notify(self, characteristic, callback, **kwargs):
        await self._peer.subscribe(characteristic.obj, lambda value: callback(bytearray(value)))
        server_char = self._chars[characteristic.uuid]

        async def serve():
            for payload in self._spec.notifications:
                await self._server.notify_subscribers(server_char, payload)
                await asyncio.sleep(self._spec.interval)
            if self._spec.drop_after and self._conn is not None:
                # the peripheral walks out of range: the link drops from its side
                await self._server_conn.disconnect()

        self._task = asyncio.get_running_loop().create_task(serve())

    async def stop_notify(self, characteristic):
        await self._peer.unsubscribe(characteristic.obj)


@pytest.fixture
def bumble_registry():
    BumbleClient.peripherals = FakeClient.peripherals
    yield BumbleClient.peripherals


@pytest.mark.parametrize("profile", ["microbit", "thingy52", "witmotion", "nus", "nus-frame"])
def test_profiles_over_a_real_gatt_stack(bumble_registry, profile):
    peripheral = add("BB:00:00:00:00:01", profile, n=30, interval=0.002)
    source = BleSource("BB:00:00:00:00:01", bp.BUILTIN[profile], backend=BumbleClient)
    source.open()
    try:
        chunks = read_samples(source, 30)
    finally:
        source.close()
    data = np.concatenate([c.data for c in chunks])
    assert data.shape == (30, 6) and source.stats.parse_errors == 0
    np.testing.assert_allclose(data[:, 0], np.arange(30) / 100, atol=2e-3)
    if profile == "microbit":
        assert peripheral.writes == [(bp.MICROBIT_ACC_PERIOD, struct.pack("<H", 20))]


def test_gatt_link_drop_and_reconnect(bumble_registry):
    peripheral = add("BB:00:00:00:00:02", "nus-frame", n=10, interval=0.002, drop_after=True)
    source = BleSource("BB:00:00:00:00:02", bp.BUILTIN["nus-frame"], backend=BumbleClient)
    received, _ = run_through_a_drop(source, peripheral, want=20, resume_timeout=10)
    assert received[:10] == list(range(10)) and received[10:20] == list(range(10))


def test_inspect_gatt_lists_characteristics_for_the_generic_editor():
    from studio.devices.ble import inspect_gatt

    add("AA:00:00:00:00:0A", "thingy52", n=1)
    chars = inspect_gatt("AA:00:00:00:00:0A", backend=FakeClient)
    assert {c.uuid for c in chars} == {bp.THINGY_RAW}
    assert all("notify" in c.properties and c.service == bp.THINGY_MOTION_SERVICE for c in chars)
    with pytest.raises(DeviceError) as info:
        inspect_gatt("AA:00:00:00:00:0B", backend=FakeClient)
    assert info.value.kind == FaultKind.BLE_NOT_FOUND
