"""Our framed binary protocol (the one ``firmware_bridges/unimotion_frame.h`` encodes).

Layout, little-endian::

    A5 5A | len u8 | type u8 | seq u16 | t_us u32 | payload[len] | crc u16

``crc`` is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over len..payload. ``seq`` counts *samples*
(the first sample in the frame), ``t_us`` is the device time of that sample in microseconds; both wrap
and are unwrapped here. Payload types:

* 1 IMU6: ``acc_range_g u8, gyro_range_dps u16, period_us u16`` then n × 6 int16 (acc xyz, gyro xyz),
  value = raw * range / 32768.
* 2 ACC3: ``acc_range_g u8, period_us u16`` then n × 3 int16 (a device without a gyroscope).

Unknown types with a good CRC are skipped and counted (``unknown_frames``: newer firmware), not as errors;
only frames of known types with a well-formed payload move the sequence and clock unwrapping, so a frame
this version cannot read never shifts the stream's counters. The parser looks for
the sync bytes, waits for a whole frame, and on a bad CRC moves on by *one byte*, so a fake sync inside
garbage never hides the next real frame.
"""

from __future__ import annotations

import binascii
import struct

from studio.devices.formats import ACC_ONLY, NAN, BinaryParser, Sample

SYNC = b"\xa5\x5a"
HEADER = struct.Struct("<BBHI")  # len, type, seq, t_us (after the two sync bytes)
HEADER_SIZE = 2 + HEADER.size
CRC_SIZE = 2
MAX_PAYLOAD = 255
TYPE_IMU6 = 1
TYPE_ACC3 = 2
_IMU6_HEAD = struct.Struct("<BHH")
_ACC3_HEAD = struct.Struct("<BH")


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE; ``crc16_ccitt(b"123456789") == 0x29B1``. ``binascii.crc_hqx`` is the same
    polynomial, computed in C."""
    return binascii.crc_hqx(data, crc)


def encode(ftype: int, seq: int, t_us: int, payload: bytes) -> bytes:
    """One frame around ``payload`` (the Python twin of ``um_frame_encode`` in the C header)."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(len(payload), ftype, seq & 0xFFFF, t_us & 0xFFFFFFFF) + payload
    return SYNC + body + struct.pack("<H", crc16_ccitt(body))


def encode_imu6(seq: int, t_us: int, raw: list[tuple[int, ...]], acc_range_g: int = 8,
                gyro_range_dps: int = 2000, period_us: int = 10000) -> bytes:
    """A type-1 frame of ``raw`` int16 samples (each 6 values)."""
    payload = _IMU6_HEAD.pack(acc_range_g, gyro_range_dps, period_us)
    payload += b"".join(struct.pack("<6h", *s) for s in raw)
    return encode(TYPE_IMU6, seq, t_us, payload)


def encode_acc3(seq: int, t_us: int, raw: list[tuple[int, ...]], acc_range_g: int = 8,
                period_us: int = 10000) -> bytes:
    """A type-2 frame of ``raw`` int16 samples (each 3 values)."""
    payload = _ACC3_HEAD.pack(acc_range_g, period_us) + b"".join(struct.pack("<3h", *s) for s in raw)
    return encode(TYPE_ACC3, seq, t_us, payload)


class _Unwrap:
    """Turns a wrapping counter into a growing one; a big backwards jump means the device restarted."""

    def __init__(self, bits: int) -> None:
        self.mod = 1 << bits
        self.base = 0
        self.last: int | None = None

    def __call__(self, value: int) -> int:
        if self.last is not None and value < self.last and self.last - value > self.mod // 2:
            self.base += self.mod
        self.last = value
        return self.base + value


class FrameParser(BinaryParser):
    """Incremental decoder of our frames; see the module docstring for the layout."""

    name = "frame"

    def __init__(self) -> None:
        super().__init__()
        self._seq = _Unwrap(16)
        self._time = _Unwrap(32)
        self.frames = 0
        self.unknown_frames = 0

    def feed(self, data: bytes) -> list[Sample]:
        """Decode every whole frame in the buffer; keep an incomplete one for later."""
        self._buf += data
        buf = self._buf
        out: list[Sample] = []
        while True:
            start = buf.find(SYNC)
            if start < 0:
                # Keep a trailing 0xA5: it may be the first half of the next sync.
                self._skip(len(buf) - 1 if buf.endswith(b"\xa5") else len(buf))
                break
            self._skip(start)
            if len(buf) < HEADER_SIZE:
                break
            length, ftype, seq, t_us = HEADER.unpack_from(buf, 2)
            end = HEADER_SIZE + length + CRC_SIZE
            if len(buf) < end:
                later = self._later_valid_frame(buf)
                if later < 0:
                    break
                self._skip(later)
                continue
            if not self._crc_ok(buf, 0, end):
                self._skip(1)
                continue
            self._in_garbage = False
            self.frames += 1
            payload = bytes(buf[HEADER_SIZE:end - 2])
            del buf[:end]
            if ftype not in (TYPE_IMU6, TYPE_ACC3):
                self.unknown_frames += 1
            elif not self._well_formed(ftype, payload):
                self.errors += 1
            else:
                self._decode(ftype, self._seq(seq), self._time(t_us), payload, out)
        self.samples += len(out)
        return out

    @staticmethod
    def _crc_ok(buf: bytearray, start: int, end: int) -> bool:
        crc = buf[end - 2] | (buf[end - 1] << 8)
        return crc16_ccitt(memoryview(buf)[start + 2:end - 2]) == crc

    def _later_valid_frame(self, buf: bytearray) -> int:
        """Offset of a whole, CRC-valid frame after the incomplete one at 0, or -1.

        A fake sync in garbage may claim up to 255 bytes; without this look-ahead a real frame that
        follows would wait for bytes that may never come. A whole valid frame inside a genuine frame's
        payload needs a 16-bit CRC coincidence, so preferring it is safe.
        """
        pos = buf.find(SYNC, 1)
        while pos >= 0 and len(buf) - pos >= HEADER_SIZE + CRC_SIZE:
            end = pos + HEADER_SIZE + buf[pos + 2] + CRC_SIZE
            if end <= len(buf) and self._crc_ok(buf, pos, end):
                return pos
            pos = buf.find(SYNC, pos + 1)
        return -1

    @staticmethod
    def _well_formed(ftype: int, payload: bytes) -> bool:
        head, size = (_IMU6_HEAD, 12) if ftype == TYPE_IMU6 else (_ACC3_HEAD, 6)
        return len(payload) >= head.size and (len(payload) - head.size) % size == 0

    def _decode(self, ftype: int, seq: int, t_us: int, payload: bytes, out: list[Sample]) -> None:
        """Samples of a well-formed frame of a known type."""
        if ftype == TYPE_IMU6:
            acc_range, gyro_range, period = _IMU6_HEAD.unpack_from(payload)
            ka, kg = acc_range / 32768.0, gyro_range / 32768.0
            self.channels = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
            for i, (ax, ay, az, gx, gy, gz) in enumerate(struct.iter_unpack("<6h", payload[_IMU6_HEAD.size:])):
                out.append(Sample((ax * ka, ay * ka, az * ka, gx * kg, gy * kg, gz * kg),
                                  (t_us + i * period) * 1e-6, seq + i))
        else:
            acc_range, period = _ACC3_HEAD.unpack_from(payload)
            ka = acc_range / 32768.0
            self.channels = ACC_ONLY
            for i, (ax, ay, az) in enumerate(struct.iter_unpack("<3h", payload[_ACC3_HEAD.size:])):
                out.append(Sample((ax * ka, ay * ka, az * ka, NAN, NAN, NAN), (t_us + i * period) * 1e-6, seq + i))
