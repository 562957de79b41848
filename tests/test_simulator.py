"""The simulated IMU source: rates, units, sequence numbers, gestures, URIs and errors."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from studio.devices import DeviceError, open_source
from studio.devices.simulator import SimulatedIMU
from studio.signals.stream import CANONICAL_CHANNELS, Chunk, DropCounter


def _collect(source: SimulatedIMU, seconds: float) -> Chunk:
    chunks, total = [], 0
    while total < seconds * source.rate_hz:
        chunk = source.read(0.1)
        if chunk is not None:
            chunks.append(chunk)
            total += len(chunk)
    return Chunk.concat(chunks, 6)


@pytest.mark.parametrize("rate", [50.0, 100.0, 200.0])
def test_non_realtime_rate_and_sequence_numbers(rate: float) -> None:
    with SimulatedIMU(rate, seed=1, realtime=False) as source:
        assert source.info.rate_hz == rate and source.info.channels == CANONICAL_CHANNELS
        data = _collect(source, 3.0)
    assert data.seq.tolist() == list(range(len(data)))
    np.testing.assert_allclose(np.diff(data.t), 1.0 / rate, rtol=1e-6)
    np.testing.assert_allclose(data.t, source.t0 + data.seq / rate)
    assert source.stats.samples == len(data)
    assert data.data.dtype == np.float32 and data.data.shape[1] == 6


def test_idle_stream_has_gravity_noise_and_no_big_motion() -> None:
    with SimulatedIMU(100.0, seed=2, realtime=False) as source:
        data = _collect(source, 5.0).data
    acc_norm = np.linalg.norm(data[:, :3], axis=1)
    assert abs(acc_norm.mean() - 1.0) < 0.05
    assert np.abs(data[:, 3:]).max() < 40.0  # deg/s: tremor and drift only
    assert data[:, 3:].std(axis=0).min() > 0.05  # but it is alive: noise and tremor
    assert len(np.unique(data[:, 0])) > 400


def test_realtime_pacing_is_close_to_the_rate() -> None:
    with SimulatedIMU(100.0, seed=3) as source:
        start = time.monotonic()
        got, reads = 0, 0
        while time.monotonic() - start < 0.5:
            chunk = source.read(0.05)
            if chunk is not None:
                got += len(chunk)
                reads += 1
                assert abs(chunk.t[-1] - time.monotonic()) < 0.5  # timestamps on the monotonic clock
        elapsed = time.monotonic() - start
    assert 0.6 * elapsed * 100 <= got <= 1.4 * elapsed * 100 + 5
    assert reads > 3  # delivered in small chunks, not all at the end


def test_realtime_read_waits_at_most_the_timeout() -> None:
    with SimulatedIMU(1.0, seed=0) as source:
        source.read(0.0)  # the sample due at open
        start = time.monotonic()
        assert source.read(0.05) is None
        assert time.monotonic() - start < 0.5


def test_perform_plays_the_gesture_into_the_stream() -> None:
    with SimulatedIMU(100.0, seed=4, realtime=False) as source:
        idle = _collect(source, 1.0)
        source.perform("circle_cw")
        after = _collect(source, 4.0)
    gyro_idle = np.abs(idle.data[:, 3:]).max()
    assert np.abs(after.data[:, 3:]).max() > 3 * gyro_idle or np.abs(after.data[:, :3] - after.data[0, :3]).max() > 0.5
    (name, first, last), = source.performed()
    assert name == "circle_cw" and after.seq[0] <= first < last <= after.seq[-1]
    during = after.data[(after.seq >= first) & (after.seq <= last)]
    quiet = after.data[after.seq > last + 150]  # the hand has returned to rest
    assert np.linalg.norm(during[:, :3] - during[:, :3].mean(0), axis=1).max() > 0.3
    assert np.linalg.norm(quiet[:, :3] - quiet[:, :3].mean(0), axis=1).max() < 0.2


def test_gestures_queue_one_after_another_from_another_thread() -> None:
    source = SimulatedIMU(100.0, seed=5, realtime=False)
    source.open()
    names = ["tap", "swipe_left", "twist"]
    thread = threading.Thread(target=lambda: [source.perform(n) for n in names])
    thread.start()
    thread.join()
    _collect(source, 6.0)
    history = source.performed()
    assert [h[0] for h in history] == names
    assert all(history[i][2] < history[i + 1][1] for i in range(len(history) - 1))  # no overlap


def test_unknown_gesture_names_the_known_ones() -> None:
    source = SimulatedIMU(seed=0, realtime=False)
    assert "circle_cw" in source.gesture_names() and len(source.gesture_names()) >= 14
    with pytest.raises(ValueError, match="circle_cw"):
        source.perform("moonwalk")


def test_seed_makes_the_stream_reproducible() -> None:
    def run(seed: int) -> np.ndarray:
        with SimulatedIMU(100.0, seed=seed, realtime=False) as source:
            source.perform("shake")
            return _collect(source, 2.0).data
    np.testing.assert_array_equal(run(9), run(9))
    assert not np.array_equal(run(9), run(10))


def test_read_before_open_is_a_device_error() -> None:
    with pytest.raises(DeviceError):
        SimulatedIMU(realtime=False).read()


def test_uri_parameters() -> None:
    source = open_source("simulator?rate=200&seed=3&realtime=0&gesture=circle_cw&chunk=7")
    assert isinstance(source, SimulatedIMU)
    assert source.rate_hz == 200.0 and source.realtime is False and source.chunk == 7
    with source:
        assert len(source.read()) == 7
        _collect(source, 2.0)
    assert source.performed()[0][0] == "circle_cw"
    assert open_source("simulator").realtime is True
    assert open_source("sim?domain=clean&realtime=false").domain.noise_acc_g == (0.0, 0.0)


def test_simulated_drops_show_as_sequence_gaps() -> None:
    with open_source("simulator?realtime=0&seed=1&drop=0.05") as source:
        data = _collect(source, 10.0)
    drops = DropCounter()
    drops.update(data.seq)
    assert 0.02 * 1000 < drops.dropped < 0.09 * 1000


@pytest.mark.parametrize("uri, words", [
    ("simulator?rate=fast", "not a number"),
    ("simulator?rate=0", "out of range"),
    ("simulator?rate=1e9", "out of range"),
    ("simulator?rate=nan", "finite"),
    ("simulator?realtime=maybe", "yes/no"),
    ("simulator?gesture=moonwalk", "circle_cw"),
    ("simulator?colour=red", "Unknown simulator setting"),
    ("simulator?seed=-4", "seed"),
    ("simulator?drop=1.5", "drop"),
    ("simulator?domain=wild", "clean"),
])
def test_bad_uri_parameters_are_plain_device_errors(uri: str, words: str) -> None:
    with pytest.raises(DeviceError, match=words):
        open_source(uri)


def test_speed_paces_the_stream_faster_than_real_time():
    source = open_source("simulator?seed=1&speed=10")  # 100 Hz, ten times faster: ~1000 samples/s
    source.open()
    try:
        t0, n = time.monotonic(), 0
        while time.monotonic() - t0 < 0.5:
            chunk = source.read(0.05)
            n += 0 if chunk is None else len(chunk)
        elapsed = time.monotonic() - t0
    finally:
        source.close()
    assert 0.6 * 1000 * elapsed <= n <= 1.2 * 1000 * elapsed + 20, (n, elapsed)
    with pytest.raises(DeviceError, match="speed"):
        open_source("simulator?speed=1000")
