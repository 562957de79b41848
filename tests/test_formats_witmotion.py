"""WitMotion serial (0x55 frames with checksum) and WT901BLE (20-byte 0x55 0x61) parsers."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.devices.formats import detect_format
from studio.devices.formats.witmotion import (WitMotionBleParser, WitMotionParser, encode_ble, encode_serial)

xyz = st.tuples(*[st.integers(-32768, 32767)] * 3)


def pair(acc, gyro):
    return encode_serial(0x51, acc) + encode_serial(0x52, gyro) + encode_serial(0x53, (0, 0, 0))


def test_acc_and_gyro_frames_make_one_canonical_sample():
    (s,) = WitMotionParser().feed(pair((2048, 0, -2048), (16384, 0, -16384)))
    assert s.values == pytest.approx((1.0, 0.0, -1.0, 1000.0, 0.0, -1000.0))


def test_acc_only_configuration_emits_with_nan_gyro():
    p = WitMotionParser()
    out = p.feed(encode_serial(0x51, (2048, 0, 0)) * 3)
    assert len(out) == 2 and math.isnan(out[0].values[3])
    assert p.channels == ("acc_x", "acc_y", "acc_z")


def test_bad_checksum_is_counted_and_skipped():
    bad = bytearray(encode_serial(0x51, (1, 2, 3)))
    bad[10] ^= 1
    p = WitMotionParser()
    out = p.feed(bytes(bad) + pair((2048, 0, 0), (0, 0, 0)))
    assert len(out) == 1 and p.errors == 1


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=25), xyz, xyz), min_size=1, max_size=10), st.integers(1, 40))
def test_garbage_between_frames_loses_no_valid_sample(parts, block):
    # garbage may only precede an acc frame; gyro follows its acc directly, as the sensor sends them
    stream = b"".join(g + pair(a, w) for g, a, w in parts)
    p = WitMotionParser()
    out = []
    for k in range(0, len(stream), block):
        out += p.feed(stream[k:k + block])
    gyro_samples = [s for s in out if not math.isnan(s.values[3])]
    assert [round(s.values[3] * 32768 / 2000) for s in gyro_samples] == [w[0] for _, _, w in parts]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=500))
def test_random_bytes_never_raise(data):
    WitMotionParser().feed(data)
    WitMotionBleParser().feed(data)


def test_ble_frames_concatenated_and_split():
    p = WitMotionBleParser()
    data = encode_ble((2048, 0, 0), (0, 16384, 0), (0, 0, 0)) * 3
    out = p.feed(data[:25]) + p.feed(data[25:])
    assert len(out) == 3 and out[2].values == pytest.approx((1, 0, 0, 0, 1000, 0))
    assert p.errors == 0


def test_ble_register_reply_is_not_an_error():
    p = WitMotionBleParser()
    out = p.feed(b"\x55\x71" + bytes(18) + encode_ble((0, 0, 2048), (0, 0, 0), (0, 0, 0)))
    assert len(out) == 1 and p.errors == 0


def test_detect_format_recognises_witmotion():
    assert detect_format(b"\x01" + pair((1, 2, 3), (4, 5, 6)) * 3) == "witmotion"
