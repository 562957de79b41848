"""Serial source over real pty pairs from socat: every format, garbage, unplug and re-plug."""

import os
import shutil
import threading
import time

import numpy as np
import pytest

from studio.devices import open_source
from studio.devices.bench_parsers import SocatPty, encoded_stream
from studio.devices.base import DeviceError
from studio.devices.formats.frame import encode_imu6
from studio.devices.runner import State, StreamRunner
from source_reading import read_samples, wait_until

pytestmark = pytest.mark.skipif(shutil.which("socat") is None, reason="socat is not installed")


@pytest.fixture
def pty(tmp_path):
    pair = SocatPty(str(tmp_path)).start()
    yield pair
    pair.stop()


def write_in_thread(pty, data, delay=0.0, block=256):
    """Write from another thread: a full pty buffer would deadlock a single-threaded test."""
    def run():
        time.sleep(delay)
        fd = pty.open_peer()
        try:
            for k in range(0, len(data), block):
                os.write(fd, data[k:k + block])
            time.sleep(0.3)  # keep the peer open until the reader drained it
        finally:
            os.close(fd)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("fmt", ["csv", "witmotion", "frame", "auto"])
def test_every_format_streams_all_samples(pty, fmt):
    wire = "frame" if fmt == "auto" else fmt
    data = encoded_stream(wire, 300)
    source = open_source(f"serial://{pty.device}?format={fmt}&probe=0")
    source.open()
    writer = write_in_thread(pty, data, delay=0.1)
    try:
        chunks = read_samples(source, 300)
    finally:
        source.close()
        writer.join(2)
    got = np.concatenate([c.data for c in chunks])
    assert got.shape == (300, 6)
    assert source.detected_format == wire and source.stats.parse_errors == 0
    t = np.concatenate([c.t for c in chunks])
    assert np.all(np.diff(t) > 0)
    assert np.abs(got[:, :3]).max() < 4 and np.abs(got[:, 3:]).max() < 1000


def test_csv_with_header_rate_from_device_timestamps(pty):
    data = encoded_stream("csv", 200)  # t_ms column, 10 ms apart
    source = open_source(f"serial://{pty.device}?format=csv&probe=0")
    source.open()
    writer = write_in_thread(pty, data, delay=0.1)
    chunks = read_samples(source, 200)
    source.close()
    writer.join(2)
    t = np.concatenate([c.t for c in chunks])
    assert len(t) == 200
    assert source.rate_hz == pytest.approx(100.0, rel=0.01)
    assert np.median(np.diff(t)) == pytest.approx(0.01, rel=0.01)
    assert source.info.rate_hz == source.rate_hz


def test_garbage_injected_between_frames_is_counted_and_every_frame_kept(pty):
    rng = np.random.default_rng(3)
    frames = [encode_imu6(i * 5, i * 5000, [(i, 0, 0, 0, 0, 0)] * 5) for i in range(60)]
    data = b"".join(rng.bytes(int(rng.integers(0, 30))) + f for f in frames)
    source = open_source(f"serial://{pty.device}?format=frame&probe=0")
    source.open()
    writer = write_in_thread(pty, data, delay=0.1, block=97)
    chunks = read_samples(source, 300)
    source.close()
    writer.join(2)
    seq = np.concatenate([c.seq for c in chunks])
    assert seq.tolist() == list(range(300))
    assert source.stats.parse_errors > 0


def test_unplug_raises_transient_fault_and_runner_resumes_on_replug(pty):
    statuses, received = [], []
    streaming, reconnecting = threading.Event(), threading.Event()

    def on_status(state, message):
        statuses.append((state, message))
        if state == State.STREAMING:
            streaming.set()
        if state == State.RECONNECTING:
            reconnecting.set()

    source = open_source(f"serial://{pty.device}?format=frame&probe=0")
    runner = StreamRunner(source, on_chunk=lambda c: received.extend(c.seq.tolist()), on_status=on_status,
                          backoff=(0.05, 0.1))
    runner.start()
    try:
        assert streaming.wait(5)
        fd = pty.open_peer()
        os.write(fd, encode_imu6(0, 0, [(1,) * 6] * 10))
        wait_until(lambda: len(received) >= 10, 3)
        assert received == list(range(10))
        streaming.clear()
        os.close(fd)
        pty.stop()  # the cable is pulled: the pty and its symlink vanish
        assert reconnecting.wait(5)
        reconnect_messages = [m for s, m in statuses if s == State.RECONNECTING]
        assert all("went away (unplugged or reset)" in m for m in reconnect_messages)
        pty.start()  # re-plugged at the same path
        assert streaming.wait(5)
        fd = pty.open_peer()
        os.write(fd, encode_imu6(10, 10_000, [(2,) * 6] * 10))
        wait_until(lambda: len(received) >= 20, 3)
        os.close(fd)
    finally:
        runner.stop()
    assert received == list(range(20))
    assert runner.reconnects >= 1
    assert State.FAILED not in [s for s, _ in statuses]


def test_read_after_peer_closed_raises_transient_device_error(pty):
    source = open_source(f"serial://{pty.device}?format=csv&probe=0")
    source.open()
    pty.stop()
    with pytest.raises(DeviceError) as info:
        for _ in range(40):
            source.read(0.05)
    source.close()
    assert info.value.transient
    assert info.value.kind.value == "unplugged"


def test_second_opener_is_told_the_port_is_busy(pty):
    first = open_source(f"serial://{pty.device}?format=csv&probe=0")
    first.open()
    second = open_source(f"serial://{pty.device}?format=csv&probe=0")
    try:
        with pytest.raises(DeviceError) as info:
            second.open()
    finally:
        first.close()
    assert info.value.kind.value == "busy" and "another program" in info.value.message
    assert info.value.transient


@pytest.mark.parametrize("fmt", ["csv", "witmotion", "frame"])
def test_studio_stream_command_reads_every_format_from_a_pty(pty, fmt, capsys):
    import argparse
    import json

    from studio.devices import stream_cmd

    parser = argparse.ArgumentParser()
    stream_cmd.add_arguments(parser)
    args = parser.parse_args([f"serial://{pty.device}?format={fmt}&probe=0", "--samples", "120", "--seconds", "5",
                              "--jsonl"])
    writer = write_in_thread(pty, encoded_stream(fmt, 120), delay=0.4)
    assert stream_cmd.run(args) == 0
    writer.join(3)
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 120 and set(rows[0]) >= {"t", "acc_x", "gyro_z"}
    assert abs(rows[5]["acc_y"]) <= 4 and abs(rows[5]["gyro_x"]) <= 2000
