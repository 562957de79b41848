"""Stream model, ring buffer, drop counting, units and resampling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.signals.ringbuffer import RingBuffer
from studio.signals.stream import CANONICAL_CHANNELS, Chunk, DropCounter, StreamInfo
from studio.signals.units import convert, resample, resample_uniform, to_canonical


def _rows(start: int, n: int, channels: int = 3) -> tuple[np.ndarray, np.ndarray]:
    idx = np.arange(start, start + n)
    return idx * 0.01, np.repeat(idx[:, None], channels, axis=1).astype(np.float32)


# -- ring buffer ---------------------------------------------------------------------------------
def test_ring_buffer_wraps_and_keeps_order() -> None:
    buf = RingBuffer(5, 3)
    for start in (0, 3, 6):
        buf.push(*_rows(start, 3))
    assert buf.written == 9 and len(buf) == 5
    t, x = buf.latest(5)
    np.testing.assert_array_equal(x[:, 0], [4, 5, 6, 7, 8])
    np.testing.assert_allclose(t, np.arange(4, 9) * 0.01)
    _, x2 = buf.latest(2)
    np.testing.assert_array_equal(x2[:, 1], [7, 8])
    assert buf.latest(50)[1].shape == (5, 3)
    assert buf.latest(0)[1].shape == (0, 3)


def test_latest_view_is_one_slice_of_the_mirrored_storage() -> None:
    buf = RingBuffer(4, 2)
    for start in range(0, 11):  # every write position, wrapped several times
        buf.push(*_rows(start, 1, 2))
        t, x = buf.latest_view(4)
        assert np.shares_memory(x, buf._x)  # a view, not a copy
        expected = np.arange(max(0, start - 3), start + 1)
        np.testing.assert_array_equal(x[:, 0], expected)


def test_since_returns_only_new_samples_and_clamps_to_capacity() -> None:
    buf = RingBuffer(6, 1)
    buf.push(*_rows(0, 4, 1))
    t, x, counter = buf.since(0)
    assert counter == 4 and x[:, 0].tolist() == [0, 1, 2, 3]
    buf.push(*_rows(4, 2, 1))
    _, x, counter = buf.since(counter)
    assert counter == 6 and x[:, 0].tolist() == [4, 5]
    _, x, same = buf.since(counter)
    assert same == counter and x.shape == (0, 1)
    buf.push(*_rows(6, 10, 1))  # the reader fell 10 behind a buffer of 6
    _, x, counter = buf.since(counter)
    assert counter == 16 and x[:, 0].tolist() == list(range(10, 16))


def test_push_larger_than_capacity_counts_every_sample() -> None:
    buf = RingBuffer(5, 1)
    buf.push(*_rows(0, 2, 1))
    buf.push(*_rows(2, 12, 1))
    assert buf.written == 14  # readers' counters must advance by what was pushed
    _, x, counter = buf.since(2)
    assert counter == 14 and x[:, 0].tolist() == [9, 10, 11, 12, 13]
    buf.push(*_rows(14, 1, 1))
    assert buf.latest(5)[1][:, 0].tolist() == [10, 11, 12, 13, 14]


@settings(max_examples=60, deadline=None)
@given(capacity=st.integers(1, 9), sizes=st.lists(st.integers(0, 20), max_size=12))
def test_ring_buffer_matches_a_plain_list(capacity: int, sizes: list[int]) -> None:
    buf, reference, reader = RingBuffer(capacity, 2), [], 0
    for size in sizes:
        buf.push(*_rows(len(reference), size, 2))
        reference.extend(range(len(reference), len(reference) + size))
        assert buf.written == len(reference)
        np.testing.assert_array_equal(buf.latest(capacity)[1][:, 0], reference[-capacity:] if reference else [])
        _, x, reader = buf.since(reader)
        assert x[:, 0].tolist() == reference[len(reference) - min(size, capacity):] if size else x.shape[0] == 0


def test_ring_buffer_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        RingBuffer(0, 3)
    with pytest.raises(ValueError):
        RingBuffer(4, 3).push(np.zeros(2), np.zeros((3, 3)))


# -- drops and the stream model -------------------------------------------------------------------
def test_drop_counter_counts_gaps_not_duplicates_or_missing_numbers() -> None:
    drops = DropCounter()
    assert drops.update(np.array([0, 1, 2])) == 0
    assert drops.update(np.array([5, 6])) == 2          # 3 and 4 lost between chunks
    assert drops.update(np.array([6, 9])) == 2          # a repeat is not a loss; 7, 8 lost
    assert drops.update(np.array([-1, -1])) == 0        # sources without sequence numbers
    assert drops.dropped == 4 and drops.received == 9
    drops.reset()
    assert drops.dropped == 0 and drops.update(np.array([100])) == 0


def test_drop_counter_wraps_at_the_device_modulus_and_ignores_restarts() -> None:
    drops = DropCounter(2**16)
    drops.update(np.array([65533, 65534, 65535, 0, 1]))
    assert drops.dropped == 0
    drops.update(np.array([3]))
    assert drops.dropped == 1
    drops.update(np.array([40000]))  # a jump of more than half the range: a restarted counter
    assert drops.dropped == 1
    drops.update(np.array([40001, 40004]))
    assert drops.dropped == 1 + 2


def test_chunk_and_stream_info_validate() -> None:
    chunk = Chunk(np.arange(3) * 0.1, np.zeros((3, 6)))
    assert len(chunk) == 3 and chunk.seq.tolist() == [-1, -1, -1] and chunk.data.dtype == np.float32
    with pytest.raises(ValueError):
        Chunk(np.arange(3), np.zeros((2, 6)))
    with pytest.raises(ValueError):
        Chunk(np.arange(2), np.zeros((2, 6)), np.arange(3))
    joined = Chunk.concat([chunk, Chunk(np.array([0.3]), np.ones((1, 6)), np.array([7]))], 6)
    assert len(joined) == 4 and joined.seq[-1] == 7
    assert len(Chunk.concat([], 6)) == 0
    info = StreamInfo()
    assert info.channels == CANONICAL_CHANNELS and info.units[0] == "g" and info.units[3] == "deg/s"
    assert info.index("gyro_z") == 5
    with pytest.raises(ValueError):
        StreamInfo(("a", "a"), ("g", "g"))
    with pytest.raises(ValueError):
        StreamInfo(rate_hz=float("nan"))


# -- units and resampling -------------------------------------------------------------------------
def test_unit_conversion() -> None:
    np.testing.assert_allclose(to_canonical(np.array([1000.0, -500.0]), "mg"), [1.0, -0.5])
    np.testing.assert_allclose(to_canonical(np.array([9.80665]), "m/s^2"), [1.0], rtol=1e-6)
    np.testing.assert_allclose(to_canonical(np.array([np.pi]), "rad/s"), [180.0], rtol=1e-6)
    np.testing.assert_allclose(convert(np.array([180.0]), "deg/s", "rad/s"), [np.pi], rtol=1e-6)
    np.testing.assert_allclose(convert(np.array([2.0]), "g", "mg"), [2000.0], rtol=1e-6)
    with pytest.raises(ValueError, match="unknown unit"):
        to_canonical(np.zeros(2), "furlongs")
    with pytest.raises(ValueError, match="different quantities"):
        convert(np.zeros(2), "g", "deg/s")


def test_resample_irregular_with_nans() -> None:
    t = np.array([0.0, 0.013, 0.021, 0.03, 0.05, 0.041])  # irregular and one out of order
    x = np.stack([t * 100, np.where(np.arange(6) == 2, np.nan, t * 10), np.full(6, np.nan)], axis=1)
    grid, out = resample(t, x, 100.0)
    np.testing.assert_allclose(grid, [0.0, 0.01, 0.02, 0.03, 0.04, 0.05])
    np.testing.assert_allclose(out[:, 0], grid * 100, atol=1e-4)
    np.testing.assert_allclose(out[:, 1], grid * 10, atol=1e-4)  # the NaN is bridged by its neighbours
    assert np.isnan(out[:, 2]).all()  # a missing channel stays missing
    one = np.array([[np.nan], [3.0], [np.nan]])
    assert resample(np.array([0.0, 0.1, 0.2]), one, 10.0)[1][:, 0].tolist() == [3.0, 3.0, 3.0]
    empty_t, empty_x = resample(np.zeros(0), np.zeros((0, 2)), 50.0)
    assert empty_t.size == 0 and empty_x.shape == (0, 2)
    with pytest.raises(ValueError):
        resample(t, x, 0.0)


def test_resample_uniform_changes_length_with_rate() -> None:
    x = np.sin(np.arange(200) / 100.0 * 2 * np.pi)[:, None].astype(np.float32)
    up = resample_uniform(x, 100.0, 200.0)
    down = resample_uniform(x, 100.0, 25.0)
    assert up.shape == (399, 1) and down.shape == (50, 1)
    np.testing.assert_allclose(down[:, 0], x[::4, 0], atol=1e-5)
    assert resample_uniform(x, 100.0, 100.0) is not None and resample_uniform(x, 100.0, 100.0).shape == x.shape
