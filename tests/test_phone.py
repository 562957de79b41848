"""Phone sources against local fakes of phyphox, SensorServer and Sensor Logger on 127.0.0.1."""

from __future__ import annotations

import ast
import ipaddress
import json
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from studio.devices.base import DeviceError
from studio.devices.phone.fakes import G, FakePhyphox, FakeSensorServer, post, sensor_logger_batch
from studio.devices.phone.guide import APPS, EXPERIMENT_FILE, lan_ip, qr_matrix
from studio.devices.phone.common import PhoneSource
from studio.devices.phone.merge import ClockWentBack, ImuMerger
from studio.devices.phone.phyphox import STOCK_ACC, STOCK_GYRO, buffers_from_config
from studio.devices.registry import open_source
from studio.devices.runner import State, StreamRunner
from studio.signals.stream import Chunk
from source_reading import read_samples, wait_until

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(60)


def collect(source, n: int, timeout: float = 10.0) -> Chunk:  # noqa: ANN001
    """At least ``n`` samples read from an open source, as one chunk (fails the test otherwise)."""
    chunks = read_samples(source, n, timeout)
    got = sum(len(c) for c in chunks)
    assert got >= n, f"only {got} of {n} samples arrived"
    return Chunk.concat(chunks, 6)


def assert_canonical_pose(chunk: Chunk, gyro: bool = True) -> None:
    """The fakes hold 1 g on z and turn at pi rad/s about x and -pi/2 rad/s about z."""
    np.testing.assert_allclose(chunk.data[:, 2], 1.0, atol=1e-5)          # 9.80665 m/s^2 -> 1 g
    assert np.all(np.abs(chunk.data[:, 0]) <= 0.5 / G + 1e-4)
    if gyro:
        np.testing.assert_allclose(chunk.data[:, 3], 180.0, atol=1e-3)    # pi rad/s -> 180 deg/s
        np.testing.assert_allclose(chunk.data[:, 5], -90.0, atol=1e-3)
    else:
        assert np.isnan(chunk.data[:, 3:]).all()


def assert_uniform(chunk: Chunk, rate: float = 100.0) -> None:
    assert np.all(np.diff(chunk.seq) == 1)
    np.testing.assert_allclose(np.diff(chunk.t), 1 / rate, atol=1e-6)


@pytest.fixture
def phyphox():
    fake = FakePhyphox()
    yield fake
    fake.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- merging ---------------------------------------------------------------------------------------

def test_merger_puts_irregular_acc_and_gyro_on_one_grid_and_shows_gaps():
    merger = ImuMerger(100.0)
    rng = np.random.default_rng(0)
    t_acc = np.cumsum(rng.uniform(0.004, 0.006, 400))           # ~200 Hz with jitter
    t_acc = t_acc[(t_acc < 0.8) | (t_acc > 1.2)]                 # a 0.4 s hole in the accelerometer
    t_gyr = np.cumsum(rng.uniform(0.009, 0.011, 200)) + 0.003    # ~100 Hz, its own clock phase
    merger.add("acc", t_acc, np.column_stack([t_acc, 0 * t_acc, 1 + 0 * t_acc]))
    merger.add("gyro", t_gyr, np.column_stack([2 * t_gyr, 0 * t_gyr, 0 * t_gyr]))
    chunk = merger.pop()
    assert chunk is not None
    np.testing.assert_allclose(chunk.data[:, 0], chunk.t, atol=1e-5)   # linear signals stay exact
    inside = np.isfinite(chunk.data[:, 3])
    np.testing.assert_allclose(chunk.data[inside, 3], 2 * chunk.t[inside], atol=1e-5)
    assert inside.all()                          # the grid starts once both sensors have begun
    gaps = np.diff(chunk.seq)
    assert gaps.max() > 30 and merger.skipped == int((gaps - 1).sum())   # the hole is a seq gap, not invented
    assert chunk.t[-1] <= min(t_acc[-1], t_gyr[-1]) + 1e-9


def test_merger_waits_for_the_gyroscope_unless_told_there_is_none():
    merger = ImuMerger(50.0)
    t = np.arange(0, 1, 0.01)
    merger.add("acc", t, np.ones((t.size, 3)))
    assert merger.pop() is None
    chunk = merger.pop(wait_for_gyro=False)
    assert len(chunk) == 50 and np.isnan(chunk.data[:, 3:]).all()


# --- phyphox ----------------------------------------------------------------------------------------

def test_phyphox_streams_canonical_units_on_a_uniform_grid(phyphox):
    source = open_source(phyphox.uri)
    source.open()
    try:
        assert phyphox.started_at is not None          # /control?cmd=start was sent
        chunk = collect(source, 150)
        assert_canonical_pose(chunk)
        assert_uniform(chunk)
        assert source.info.rate_hz == 100.0 and "Studio IMU" in source.info.device
        assert source.stats.parse_errors == 0 and source.stats.dropped == 0
        assert 80 < source.measured_rate_hz < 120
        assert source.channels_present[-1] == "gyro_z" and source.notices == []
    finally:
        source.close()


def test_phyphox_asks_only_for_new_values():
    fake = FakePhyphox(measuring=True)
    try:
        assert wait_until(lambda: fake.tick() > 50, 5)   # data from before we connect
        source = open_source(fake.uri)
        source.open()
        chunk = collect(source, 100)
        source.close()
        # history from before connecting is skipped, and no value arrives twice (seq and t strictly rise)
        assert chunk.seq[0] == 0 and np.all(np.diff(chunk.t) > 0)
        assert fake.acc.t[-1] - chunk.t.size / 100 > 0.3
    finally:
        fake.close()


def test_phyphox_without_gyroscope_streams_acceleration_and_says_so():
    fake = FakePhyphox(gyro=False)
    try:
        source = open_source(fake.uri)
        source.open()
        chunk = collect(source, 50)
        source.close()
        assert_canonical_pose(chunk, gyro=False)
        assert source.channels_present == ("acc_x", "acc_y", "acc_z")
        assert any("gyroscope" in str(n) for n in source.notices)
    finally:
        fake.close()


def test_phyphox_experiment_without_gravity_is_refused_with_a_fix():
    fake = FakePhyphox(inputs=("linear_acceleration",))
    try:
        source = open_source(fake.uri)
        with pytest.raises(DeviceError) as caught:
            source.open()
        assert not caught.value.transient
        assert "without gravity" in caught.value.message and "Acceleration with g" in caught.value.fix
    finally:
        fake.close()


def test_phyphox_before_config_existed_uses_the_stock_buffer_names():
    fake = FakePhyphox(config=False)
    try:
        source = open_source(fake.uri)
        source.open()
        assert_canonical_pose(collect(source, 50))
        source.close()
    finally:
        fake.close()


def test_phyphox_unreachable_is_a_transient_plain_message():
    source = open_source(f"phyphox://127.0.0.1:{free_port()}?timeout=1")
    with pytest.raises(DeviceError) as caught:
        source.open()
    assert caught.value.transient and "No answer from phyphox" in caught.value.message
    assert "same Wi-Fi" in caught.value.fix


def test_phyphox_malformed_replies_are_counted_not_fatal(phyphox):
    phyphox.garbage_every = 3
    source = open_source(phyphox.uri)
    source.open()
    try:
        chunk = collect(source, 100)
        assert_canonical_pose(chunk)
        assert source.stats.parse_errors >= 3
    finally:
        source.close()


def test_phyphox_dropped_mid_stream_reconnects_and_resumes(phyphox):
    statuses: list[State] = []
    received: list[int] = []
    runner = StreamRunner(open_source(phyphox.uri + "?timeout=0.5"), on_chunk=lambda c: received.append(len(c)),
                          on_status=lambda s, m: statuses.append(s), backoff=(0.1,))
    runner.start()
    try:
        assert wait_until(lambda: sum(received) > 50, 10)
        phyphox.drop = True                       # the phone stops answering (Wi-Fi gone, app closed)
        assert wait_until(lambda: State.RECONNECTING in statuses, 10)
        assert "Lost the connection to phyphox" in runner.message or "No answer" in runner.message
        before = sum(received)
        phyphox.drop = False
        assert wait_until(lambda: runner.state == State.STREAMING and sum(received) > before + 50, 10)
        assert runner.reconnects >= 1
    finally:
        runner.stop()


def test_phyphox_paused_or_switched_experiment(phyphox):
    source = open_source(phyphox.uri)
    source.open()
    try:
        collect(source, 20)
        with phyphox.lock:
            phyphox.elapsed, phyphox.started_at = time.monotonic() - phyphox.started_at, None   # the user pauses
        assert wait_until(lambda: source.read(0.05) is None and any("paused" in str(n) for n in source.notices),
                          10)
        phyphox.session = "another"                       # ...and opens another experiment
        with pytest.raises(DeviceError) as caught:
            collect(source, 1000, timeout=5)
        assert caught.value.transient and "another experiment" in caught.value.message
    finally:
        source.close()


def test_phyphox_buffers_are_read_from_config():
    config = {"inputs": [{"source": "gyroscope", "outputs": [{"x": "wx"}, {"y": "wy"}, {"z": "wz"}, {"t": "tw"}]},
                         {"source": "accelerometer", "outputs": [{"x": "ax"}, {"y": "ay"}, {"z": "az"}, {"abs": "a"}]}]}
    found = buffers_from_config(config)
    assert found["gyroscope"].values == ("wx", "wy", "wz") and found["gyroscope"].t == "tw"
    assert "accelerometer" not in found     # no time buffer: unusable


# --- SensorServer --------------------------------------------------------------------------------------

def test_sensorserver_streams_both_sensors_over_one_websocket():
    fake = FakeSensorServer()
    try:
        source = open_source(fake.uri)
        source.open()
        chunk = collect(source, 150)
        source.close()
        assert_canonical_pose(chunk)
        assert_uniform(chunk)
        assert fake.paths[0].startswith("/sensors/connect?types=")
        assert json.loads(__import__("urllib.parse").parse.unquote(fake.paths[0].split("=", 1)[1])) == [
            "android.sensor.accelerometer", "android.sensor.gyroscope"]
    finally:
        fake.close()


@pytest.mark.parametrize("fake_kwargs", [{"gyro": False}, {"multi": False}], ids=["no-gyroscope", "old-app"])
def test_sensorserver_falls_back_to_the_accelerometer_alone(fake_kwargs):
    fake = FakeSensorServer(**fake_kwargs)
    try:
        source = open_source(fake.uri)
        source.open()
        chunk = collect(source, 50)
        source.close()
        assert fake.paths[-1] == "/sensor/connect?type=android.sensor.accelerometer"
        assert_canonical_pose(chunk, gyro=False)
        assert source.has_gyro is False
    finally:
        fake.close()


def test_sensorserver_dropped_connection_reconnects_through_the_runner():
    fake = FakeSensorServer(drop_after=120)
    received: list[int] = []
    statuses: list[State] = []
    runner = StreamRunner(open_source(fake.uri), on_chunk=lambda c: received.append(len(c)),
                          on_status=lambda s, m: statuses.append(s), backoff=(0.1,))
    runner.start()
    try:
        assert wait_until(lambda: fake.connections >= 2 and sum(received) > 60, 10)
        assert State.RECONNECTING in statuses and runner.reconnects >= 1
    finally:
        runner.stop()
        fake.close()


def test_sensorserver_at_its_slow_default_rate_gets_a_notice_with_the_fix():
    fake = FakeSensorServer(rate=20)
    try:
        source = open_source(fake.uri)
        source.open()
        collect(source, 100)      # 1 s of the 100 Hz grid, from 20 readings a second
        slow = [n for n in source.notices if "readings a second" in str(n)]
        source.close()
        assert slow and "10000" in slow[0].fix
    finally:
        fake.close()


def test_sensorserver_unreachable_and_malformed_messages():
    source = open_source(f"sensorserver://127.0.0.1:{free_port()}?timeout=1")
    with pytest.raises(DeviceError) as caught:
        source.open()
    assert caught.value.transient and "SensorServer" in caught.value.message
    for bad in ("not json", "[1, 2]", '{"values": [1, 2], "timestamp": 5, "type": "android.sensor.accelerometer"}',
                '{"values": [1, 2, 3], "type": "android.sensor.accelerometer"}'):
        source._take(bad)
    assert source.stats.parse_errors == 4


# --- Sensor Logger ---------------------------------------------------------------------------------------

@pytest.fixture
def logger():
    source = open_source("sensorlogger://127.0.0.1:0")
    source.open()
    yield source, f"http://127.0.0.1:{source.bound_port}/push"
    source.close()


T0 = 1_698_501_144_401_773_000


def test_sensor_logger_android_total_acceleration(logger):
    source, url = logger
    for i in range(3):
        assert post(url, sensor_logger_batch(T0, 50, start=50 * i, message_id=i)) == 200
    chunk = collect(source, 140)
    assert_canonical_pose(chunk)
    assert_uniform(chunk)
    assert source.notices == []


def test_sensor_logger_ios_adds_gravity_back(logger):
    source, url = logger
    for i in range(3):
        assert post(url, sensor_logger_batch(T0, 50, start=50 * i, total=False, gravity=True)) == 200
    assert_canonical_pose(collect(source, 140))


def test_sensor_logger_without_gravity_or_gyroscope_streams_with_notices(logger):
    source, url = logger
    assert post(url, sensor_logger_batch(T0, 200, total=False, gyro=False)) == 200
    chunk = collect(source, 150)
    np.testing.assert_allclose(chunk.data[:, 2], 0.0, atol=1e-6)
    assert wait_until(lambda: len(source.notices) >= 2, 3)
    text = " ".join(str(n) for n in source.notices)
    assert "without gravity" in text and "gyroscope" in text


def test_sensor_logger_malformed_posts_are_refused_and_counted(logger):
    source, url = logger
    assert post(url, b"{not json") == 400
    assert post(url, b'{"payload": "nope"}') == 400
    assert post(url, sensor_logger_batch(T0, 30)) == 200
    assert source.stats.parse_errors == 2
    assert len(collect(source, 20)) >= 20


def test_sensor_logger_new_recording_restarts_the_stream(logger):
    source, url = logger
    assert post(url, sensor_logger_batch(T0, 30, session="one")) == 200
    collect(source, 20)
    assert post(url, sensor_logger_batch(T0 + 10**9, 30, session="two")) == 200
    with pytest.raises(DeviceError) as caught:
        collect(source, 100, timeout=3)
    assert caught.value.transient and "new recording" in caught.value.message


def test_sensor_logger_port_in_use_says_so():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        source = open_source(f"sensorlogger://127.0.0.1:{busy.getsockname()[1]}")
        with pytest.raises(DeviceError) as caught:
            source.open()
    assert "in use" in caught.value.message and "sensorlogger://" in caught.value.fix


# --- URIs and the CLI --------------------------------------------------------------------------------------

@pytest.mark.parametrize("uri, words", [
    ("phyphox://", "No phone address"),
    ("phyphox://10.0.0.2:8080?speed=3", "Unknown setting"),
    ("sensorserver://10.0.0.2?rate=0", "out of range"),
    ("phyphox://10.0.0.2:99999", "not a valid address"),
])
def test_bad_phone_uris_are_plain_errors(uri, words):
    with pytest.raises(DeviceError, match=words):
        open_source(uri)


def test_default_ports():
    assert open_source("phyphox://10.0.0.2").base == "http://10.0.0.2:8080"
    assert open_source("sensorserver://10.0.0.2").base == "ws://10.0.0.2:8080"
    assert open_source("sensorlogger://").address == "0.0.0.0:8000"


def test_studio_stream_reads_a_phyphox_phone(phyphox):
    result = subprocess.run([sys.executable, "-m", "studio", "stream", phyphox.uri, "--seconds", "1", "--jsonl"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) >= 95 and [r["seq"] for r in rows] == list(range(len(rows)))
    assert abs(rows[-1]["acc_z"] - 1.0) < 1e-4 and abs(rows[-1]["gyro_x"] - 180.0) < 1e-2
    assert "dropped=0 parse_errors=0" in result.stderr


# --- the shipped experiment and the connection guide --------------------------------------------------------

def test_shipped_phyphox_experiment_fills_the_buffers_the_source_reads():
    root = ET.parse(EXPERIMENT_FILE).getroot()
    assert root.tag == "phyphox" and root.get("version")
    containers = {c.text for c in root.iter("container")}
    sensors = {s.get("type"): {o.get("component"): o.text for o in s.iter("output")} for s in root.iter("sensor")}
    for kind, stock in (("accelerometer", STOCK_ACC), ("gyroscope", STOCK_GYRO)):
        assert sensors[kind] == {"x": stock.x, "y": stock.y, "z": stock.z, "t": stock.t}
        assert set(sensors[kind].values()) <= containers


def test_connection_guide_names_the_uri_and_the_push_url():
    ip = lan_ip()
    assert ipaddress.IPv4Address(ip)
    for app in APPS.values():
        steps = app.steps("192.168.7.31")
        assert len(steps) >= 3 and all(step.strip() for step in steps)
        assert open_source(app.uri("192.168.7.31")).address.startswith("192.168.7.31")
    assert "http://192.168.7.31:8000/" in " ".join(APPS["sensorlogger"].steps("192.168.7.31"))
    assert APPS["sensorlogger"].uri() == "sensorlogger://0.0.0.0:8000"
    matrix = qr_matrix("http://192.168.7.31:8000/")
    assert len(matrix) == len(matrix[0]) >= 21 and any(any(row) for row in matrix)


def test_bench_phone_prints_one_line_per_app(capsys):
    import argparse

    from studio.devices.phone import bench_phone

    parser = argparse.ArgumentParser()
    bench_phone.add_arguments(parser)
    assert bench_phone.run(parser.parse_args(["--seconds", "0.6", "--batch", "0.1"])) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["app"] for r in rows] == ["phyphox", "sensorserver", "sensorlogger"]
    assert all(r["samples"] > 0 and r["lost"] == 0 and r["parse_errors"] == 0 for r in rows)
    assert all(r["latency_ms_p50"] is not None and r["latency_ms_p50"] > 0 for r in rows)


class Quiet(PhoneSource):
    """A phone source whose readings the test hands over itself with :meth:`put`."""

    def _connect(self) -> None:
        pass

    def _reader(self, stop) -> None:  # noqa: ANN001
        pass


def test_device_time_is_re_anchored_after_a_pause():
    clock = [100.0]
    source = Quiet("test", 100.0)
    source.clock = lambda: clock[0]      # this source's clock only: other threads keep real time
    source.open()
    source.put("gyro", np.arange(0, 3.0, 0.01), np.zeros((300, 3)), "rad/s")
    source.put("acc", np.arange(0, 1.0, 0.01), np.ones((100, 3)), "g")
    first = source.read(0)
    assert first.t[-1] == pytest.approx(100.0)          # anchored at arrival
    clock[0] = 160.0                                    # paused for a minute: device time stood still
    source.put("acc", np.arange(1.0, 2.0, 0.01), np.ones((100, 3)), "g")
    second = source.read(0)
    assert second.seq[0] == first.seq[-1] + 1           # no samples invented or lost
    assert second.t[-1] == pytest.approx(160.0) and second.t[0] > first.t[-1]
    clock[0] = 161.2                                    # running normally again: no re-anchoring
    source.put("acc", np.arange(2.0, 3.0, 0.01), np.ones((100, 3)), "g")
    third = source.read(0)
    assert third.t[0] - second.t[-1] == pytest.approx(0.01)
    source.close()


def test_sensor_logger_listener_answers_a_browser(logger):
    import urllib.request

    source, url = logger
    with urllib.request.urlopen(url.rsplit("/", 1)[0] + "/", timeout=5) as reply:
        assert b"listening for Sensor Logger" in reply.read()


def test_a_wrong_ip_reads_as_timed_out():
    import urllib.error

    from studio.devices.phone.phyphox import _why

    assert _why(urllib.error.URLError(socket.timeout("timed out"))) == "timed out"
    assert _why(urllib.error.URLError(ConnectionRefusedError())) == "connection refused"


# --- faults the review found ---------------------------------------------------------------------------------

@pytest.fixture
def ssh_server():
    """A TCP service that is not HTTP at all: it greets every connection with an SSH banner."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:   # the listener was closed: the test is over
                return
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
                conn.recv(4096)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    thread.join(5)


def test_phyphox_address_of_an_ssh_server_is_a_plain_not_phyphox_error(ssh_server):
    source = open_source(f"phyphox://127.0.0.1:{ssh_server}?timeout=2")
    with pytest.raises(DeviceError) as caught:
        source.open()
    assert "not like phyphox" in caught.value.message and not caught.value.transient
    assert "Allow remote access" in caught.value.fix


def test_phyphox_config_with_a_number_for_inputs_is_a_plain_error(phyphox):
    phyphox.config = lambda: {"title": "odd", "inputs": 5}
    source = open_source(phyphox.uri)
    with pytest.raises(DeviceError) as caught:
        source.open()
    assert "not like phyphox" in caught.value.message and "inputs" in caught.value.message


def test_an_unexpected_error_while_connecting_becomes_a_plain_device_error():
    class Broken(Quiet):
        def _connect(self) -> None:
            raise KeyError("status")

    source = Broken("10.0.0.9:8080")
    with pytest.raises(DeviceError) as caught:
        source.open()
    assert "does not understand" in caught.value.message and "KeyError" in caught.value.message
    assert caught.value.fix and source._thread is None


def test_a_reader_outliving_close_never_feeds_the_next_connection():
    release = threading.Event()

    class Slow(Quiet):
        join_s = 0.01
        opened = 0

        def _reader(self, stop) -> None:  # noqa: ANN001
            Slow.opened += 1
            if Slow.opened == 1:     # the first connection's request hangs past close()
                release.wait(10)
                self.put("acc", np.arange(0, 1.0, 0.01), np.ones((100, 3)), "g")
                self.put("gyro", np.arange(0, 1.0, 0.01), np.ones((100, 3)), "rad/s")

    source = Slow("test")
    source.open()
    old = source._thread
    source.close()
    assert old.is_alive()
    source.open()
    release.set()
    old.join(10)
    assert not old.is_alive() and source.read(0) is None
    source.close()


def test_phyphox_request_timeouts_are_bounded_so_close_can_wait_for_them():
    source = open_source("phyphox://10.0.0.2?timeout=5")
    assert source.timeout_s == 5 and source.join_s > source.timeout_s
    with pytest.raises(DeviceError, match="out of range"):
        open_source("phyphox://10.0.0.2?timeout=30")


def test_merger_refuses_readings_from_a_clock_that_went_back():
    merger = ImuMerger(100.0)
    merger.add("acc", np.arange(0, 3.0, 0.01), np.ones((300, 3)))
    merger.add("acc", np.arange(2.5, 3.5, 0.01), np.ones((100, 3)))     # overlap re-sent: not a jump
    with pytest.raises(ClockWentBack):
        merger.add("acc", np.arange(0, 0.5, 0.01), np.ones((50, 3)))


def test_phyphox_clear_data_reconnects_and_streams_again():
    fake = FakePhyphox(measuring=True)
    with fake.lock:
        fake.started_at -= 5.0            # five seconds measured before the studio connects
    messages: list[str] = []
    received: list[int] = []
    runner = StreamRunner(open_source(fake.uri), on_chunk=lambda c: received.append(len(c)),
                          on_status=lambda s, m: messages.append(m), backoff=(0.1,))
    runner.start()
    try:
        assert wait_until(lambda: sum(received) > 30, 10)
        fake.clear()                      # the user taps "Clear data": time starts again at 0
        assert wait_until(lambda: runner.reconnects >= 1, 10)
        assert any("restarted its measurement" in m for m in messages)
        before = sum(received)
        assert wait_until(lambda: runner.state == State.STREAMING and sum(received) > before + 30, 10)
    finally:
        runner.stop()
        fake.close()


def test_sensor_logger_refuses_a_non_numeric_content_length(logger):
    import http.client

    from studio.devices.phone.sensorlogger import _Handler

    source, url = logger
    conn = http.client.HTTPConnection("127.0.0.1", source.bound_port, timeout=5)
    conn.putrequest("POST", "/push")
    conn.putheader("Content-Length", "lots")
    conn.endheaders()
    assert conn.getresponse().status == 400
    conn.close()
    assert source.stats.parse_errors == 1
    assert 0 < _Handler.timeout <= 30     # a half-open POST cannot hold a request thread forever


def test_packaged_app_bundles_the_phyphox_experiment():
    tree = ast.parse((ROOT / "packaging" / "studio.spec").read_text())
    bundled = {elt.value for node in ast.walk(tree) if isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple)
               for elt in node.iter.elts if isinstance(elt, ast.Constant)}
    assert "phone" in bundled and EXPERIMENT_FILE.parent.name == "phone"


def test_guide_uses_the_port_listened_on_and_warns_without_a_network():
    from studio.devices.phone.guide import unreachable_warning

    steps = " ".join(APPS["sensorlogger"].steps("192.168.7.31", port=8123))
    assert "http://192.168.7.31:8123/" in steps and "port 8123" in steps and "8000" not in steps
    assert "same Wi-Fi or LAN" in unreachable_warning("127.0.0.1")
    assert unreachable_warning("192.168.7.31") is None


def test_port_zero_listens_on_a_free_port_not_the_default(logger):
    source, _ = logger
    assert source.bound_port not in (0, 8000)


def test_sensor_logger_drops_a_half_sent_post_after_its_timeout(monkeypatch):
    from studio.devices.phone import sensorlogger

    monkeypatch.setattr(sensorlogger._Handler, "timeout", 0.3)
    source = open_source("sensorlogger://127.0.0.1:0")
    source.open()
    try:
        with socket.create_connection(("127.0.0.1", source.bound_port), timeout=10) as phone:
            phone.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"payload\": [")
            assert phone.recv(1024) == b""       # the listener gave up on the request and closed it
        assert wait_until(lambda: source.stats.parse_errors == 1, 5)
    finally:
        source.close()
