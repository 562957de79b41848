# UniMotion framed protocol encoder for MicroPython (micro:bit v2, ESP32) - the twin of
# ../UniMotionFrame/src/unimotion_frame.h, checked against ../test_vectors.json on the host by
# tests/test_firmware_encoder.py (this file runs unchanged on CPython).
import struct

SYNC = b"\xa5\x5a"
TYPE_IMU6 = 1
TYPE_ACC3 = 2
IMU6_MAX_SAMPLES = 20
ACC3_MAX_SAMPLES = 42


def crc16(data, crc=0xFFFF):
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def frame(ftype, seq, t_us, payload):
    body = struct.pack("<BBHI", len(payload), ftype, seq & 0xFFFF, t_us & 0xFFFFFFFF) + payload
    return SYNC + body + struct.pack("<H", crc16(body))


def imu6(seq, t_us, samples, acc_range_g=8, gyro_range_dps=2000, period_us=10000):
    """samples: list of (ax, ay, az, gx, gy, gz) int16 full-scale fractions (at most 20)."""
    payload = struct.pack("<BHH", acc_range_g, gyro_range_dps, period_us)
    for s in samples[:IMU6_MAX_SAMPLES]:
        payload += struct.pack("<6h", *s)
    return frame(TYPE_IMU6, seq, t_us, payload)


def acc3(seq, t_us, samples, acc_range_g=8, period_us=10000):
    """samples: list of (ax, ay, az) int16 full-scale fractions (at most 42)."""
    payload = struct.pack("<BH", acc_range_g, period_us)
    for s in samples[:ACC3_MAX_SAMPLES]:
        payload += struct.pack("<3h", *s)
    return frame(TYPE_ACC3, seq, t_us, payload)


def to_raw(value, full_range):
    """A value in g or deg/s as an int16 fraction of full_range, rounded and clamped."""
    x = int(round(value / full_range * 32768))
    return 32767 if x > 32767 else -32768 if x < -32768 else x
