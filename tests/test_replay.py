"""Replay source: CSV / JSONL / NPZ recordings with original timing, looping, faults."""

import time

import numpy as np
import pytest

from studio.devices import open_source
from studio.devices.base import DeviceError
from studio.devices.faults import FaultKind


def write_take_csv(path, n=50, rate=100.0):
    lines = ["t,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z"]
    lines += [f"{i / rate:.6f},{i / 100},0,1,{i},0,0" for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def drain(source, timeout=3.0, want=None):
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = source.read(0.05)
        if chunk is not None:
            chunks.append(chunk)
        if source.finished or (want and sum(len(c) for c in chunks) >= want):
            break
    return chunks


def test_csv_take_replays_with_original_timing(tmp_path):
    path = write_take_csv(tmp_path / "take.csv", n=30, rate=100.0)
    source = open_source(f"replay://{path}?speed=1")
    source.open()
    start = time.monotonic()
    chunks = drain(source)
    elapsed = time.monotonic() - start
    t = np.concatenate([c.t for c in chunks])
    data = np.concatenate([c.data for c in chunks])
    assert len(t) == 30 and source.finished
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)
    assert elapsed >= 0.28  # 30 samples at 100 Hz take 0.29 s of stream time
    np.testing.assert_allclose(data[:, 0], np.arange(30) / 100, atol=1e-6)
    assert source.info.rate_hz == pytest.approx(100.0)
    assert source.read(0.01) is None


def test_speed_zero_is_as_fast_as_read_and_loop_continues_seq(tmp_path):
    path = write_take_csv(tmp_path / "take.csv", n=20)
    source = open_source(f"replay://{path}?speed=0&loop=1")
    source.open()
    chunks = drain(source, want=60)
    seq = np.concatenate([c.seq for c in chunks])
    t = np.concatenate([c.t for c in chunks])
    assert seq[:60].tolist() == list(range(60))
    assert np.all(np.diff(t) > 0)


def test_jsonl_and_npz_recordings(tmp_path):
    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text('{"t": 5.0, "seq": 7, "acc_x": 0.5, "acc_y": 0, "acc_z": 1, "gyro_x": null, '
                     '"gyro_y": null, "gyro_z": null}\nnot json\n'
                     '{"t": 5.01, "seq": 8, "acc_x": 0.6, "acc_y": 0, "acc_z": 1}\n')
    source = open_source(f"replay://{jsonl}?speed=0")
    source.open()
    chunk = source.read()
    assert chunk.seq.tolist() == [7, 8] and np.isnan(chunk.data[:, 3:]).all()
    assert source.stats.parse_errors == 1
    assert source.notices[0].kind == FaultKind.NO_GYROSCOPE
    assert source.channels_present == ("acc_x", "acc_y", "acc_z")
    npz = tmp_path / "r.npz"
    np.savez(npz, t=np.arange(10) / 50, data=np.ones((10, 3), np.float32), channels=np.array(["acc_z", "gyro_x", "x"]))
    source = open_source(f"replay://{npz}?speed=0")
    source.open()
    chunk = source.read()
    assert len(chunk) == 10 and chunk.data[0, 2] == 1 and chunk.data[0, 3] == 1 and np.isnan(chunk.data[0, 0])


@pytest.mark.parametrize("content, words", [(None, "does not exist"), ("garbage\n\x00\x01\n", "no samples")])
def test_missing_or_unreadable_recording_is_a_file_fault(tmp_path, content, words):
    path = tmp_path / "rec.csv"
    if content is not None:
        path.write_text(content)
    source = open_source(f"replay://{path}")
    with pytest.raises(DeviceError, match=words) as info:
        source.open()
    assert info.value.kind == FaultKind.FILE and not info.value.transient


def test_bad_speed_is_a_config_error(tmp_path):
    with pytest.raises(DeviceError):
        open_source(f"replay://{tmp_path}/x.csv?speed=-1")


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b""), "not a readable .npz"),
    (lambda p: p.write_bytes(b"PK\x03\x04truncated"), "not a readable .npz"),
    (lambda p: np.savez(p, data=np.zeros((2, 3, 4))), "shaped"),
    (lambda p: np.savez(p, data=np.zeros((5, 6)), t=np.arange(3) / 100), "one time per sample"),
])
def test_corrupt_npz_recording_is_a_file_fault(tmp_path, make, words):
    path = tmp_path / "rec.npz"
    make(path)
    source = open_source(f"replay://{path}")
    with pytest.raises(DeviceError, match=words) as info:
        source.open()
    assert info.value.kind == FaultKind.FILE and not info.value.transient
