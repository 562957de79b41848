"""OSC input source: loopback tests with python-osc clients sending the layouts of the presets."""

from __future__ import annotations

import socket
import threading

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from source_reading import read_samples, wait_until

from studio.devices.base import DeviceError
from studio.devices.registry import open_source
from studio.signals.stream import Chunk


class Sender:
    """Plays messages to the source's port from a thread, about ``rate`` sets a second, until stopped."""

    def __init__(self, port: int, messages, rate: float = 100.0) -> None:
        self.client = SimpleUDPClient("127.0.0.1", port)
        self.messages, self.period = messages, 1.0 / rate
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.period):   # pacing the fake phone, not measuring anything
            for address, args in self.messages:
                self.client.send_message(address, args)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)


def stream(uri: str, messages, n: int = 60):
    source = open_source(uri)
    source.open()
    sender = Sender(source.bound_port, messages)
    try:
        data = Chunk.concat(read_samples(source, n, timeout=10), 6).data
    finally:
        sender.close()
        notices = source.notices
        rate = source.measured_rate_hz
        source.close()
    assert len(data) >= n, f"only {len(data)} samples"
    return source, data, notices, rate


def test_studio_preset_streams_canonical_units():
    _, data, _, rate = stream("osc://127.0.0.1:0", [("/imu/acc", [0.0, 0.0, 1.0]), ("/imu/gyro", [10.0, 0.0, -5.0])])
    tail = data[-20:]
    assert np.allclose(tail[:, :3], [0, 0, 1], atol=1e-3) and np.allclose(tail[:, 3:], [10, 0, -5], atol=1e-3)
    assert rate > 10


def test_zigsim_preset_adds_gravity_flips_core_motion_signs_and_converts_rad_s():
    messages = [("/ZIGSIM/phone-1/gravity", [0.0, 0.0, -1.0]), ("/ZIGSIM/phone-1/accel", [0.0, 0.1, 0.0]),
                ("/ZIGSIM/phone-1/gyro", [0.0, 0.0, 1.0])]
    _, data, _, _ = stream("osc://127.0.0.1:0?preset=zigsim", messages)
    tail = data[-20:]
    assert np.allclose(tail[:, :3], [0, -0.1, 1.0], atol=1e-3)           # lying face up reads +1 g on z
    assert np.allclose(tail[:, 5], np.degrees(1.0), atol=1e-2)


def test_touchosc_preset_has_no_gyroscope_and_says_so():
    source, data, notices, _ = stream("osc://127.0.0.1:0?preset=touchosc", [("/accxyz", [0.0, 0.0, -1.0])])
    assert np.allclose(data[-10:, 2], 1.0, atol=1e-3)
    assert source.has_gyro is False and any("no gyroscope" in str(n) for n in notices)


def test_one_message_with_both_sensors_and_other_units():
    uri = ("osc://127.0.0.1:0?acc=/wek/inputs&acc_args=0,1,2&acc_unit=m/s^2"
           "&gyro=/wek/inputs&gyro_args=3,4,5&gyro_unit=rad/s")
    _, data, _, _ = stream(uri, [("/wek/inputs", [0.0, 9.80665, 0.0, 0.5, 0.0, 0.0])])
    assert np.allclose(data[-10:, :3], [0, 1, 0], atol=1e-3)
    assert np.allclose(data[-10:, 3], np.degrees(0.5), atol=1e-2)


def test_unreadable_datagrams_are_counted_and_unknown_addresses_named():
    source = open_source("osc://127.0.0.1:0")
    source.open()
    try:
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        raw.sendto(b"not osc at all", ("127.0.0.1", source.bound_port))
        raw.close()
        client = SimpleUDPClient("127.0.0.1", source.bound_port)
        client.send_message("/accelerometer", [0.0, 0.0, 1.0])
        client.send_message("/imu/acc", ["x", "y", "z"])
        assert wait_until(lambda: source.stats.parse_errors >= 2 and source._unmatched, 5)
        assert any("/accelerometer" in str(n) and "acc=" in str(n) for n in source.notices)
    finally:
        source.close()


def test_a_port_in_use_is_said_plainly():
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    try:
        source = open_source(f"osc://127.0.0.1:{taken.getsockname()[1]}")
        with pytest.raises(DeviceError, match="in use by another program"):
            source.open()
    finally:
        taken.close()


@pytest.mark.parametrize("uri, words", [
    ("osc://0.0.0.0:9000?preset=gyrosc", "Unknown OSC preset"),
    ("osc://0.0.0.0:9000?acc_args=0,1", "three argument positions"),
    ("osc://0.0.0.0:9000?acc_unit=furlongs", "not a unit"),
    ("osc://0.0.0.0:9000?gyro_unit=g", "not a unit"),
    ("osc://0.0.0.0:9000?acc=accxyz", "not an OSC address"),
    ("osc://0.0.0.0:9000?acc_sign=0.5", "must be 1 or -1"),
    ("osc://0.0.0.0:9000?colour=red", "Unknown OSC input setting"),
])
def test_bad_settings_are_refused_in_words(uri, words):
    with pytest.raises(DeviceError, match=words):
        open_source(uri)


def test_a_stream_runner_drives_it_like_any_source():
    from studio.devices.runner import State, StreamRunner

    source = open_source("osc://127.0.0.1:0?rate=50")
    got: list[int] = []
    runner = StreamRunner(source, on_chunk=lambda c: got.append(len(c)))
    runner.start()
    try:
        assert wait_until(lambda: runner.state == State.STREAMING, 5)
        sender = Sender(source.bound_port, [("/imu/acc", [0.0, 0.0, 1.0]), ("/imu/gyro", [0.0, 0.0, 0.0])])
        try:
            assert wait_until(lambda: sum(got) > 25, 10)
        finally:
            sender.close()
    finally:
        runner.stop()
    assert source.info.rate_hz == 50 and "OSC input" in source.info.device
