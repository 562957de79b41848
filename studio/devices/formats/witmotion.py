"""WitMotion sensors: the 11-byte TTL/USB frames (``55 5x`` + 8 data bytes + checksum) and the 20-byte
BLE frames of the WT901BLE (``55 61`` + 9 int16: acc, gyro, angle; no checksum).

Serial: 0x51 carries acceleration (x16 g full scale), 0x52 angular rate (x2000 deg/s full scale); a
sample is emitted when the gyro frame that follows an acceleration frame arrives, or acc-only when the
sensor was configured without gyro output (the next 0x51 arrives first).
"""

from __future__ import annotations

import struct

from studio.devices.formats import ACC_ONLY, NAN, BinaryParser, Sample

ACC_SCALE = 16.0 / 32768.0
GYRO_SCALE = 2000.0 / 32768.0
_XYZ = struct.Struct("<3h")
_BLE = struct.Struct("<9h")
FRAME = 11
BLE_FRAME = 20


def checksum(frame: bytes) -> int:
    """Sum of the first ten bytes, low byte."""
    return sum(frame[:10]) & 0xFF


def encode_serial(ftype: int, values: tuple[int, int, int], extra: int = 0) -> bytes:
    """An 11-byte serial frame (used by tests and the benchmark writer)."""
    body = bytes([0x55, ftype]) + _XYZ.pack(*values) + struct.pack("<h", extra)
    return body + bytes([checksum(body)])


def encode_ble(acc: tuple[int, int, int], gyro: tuple[int, int, int], angle: tuple[int, int, int]) -> bytes:
    """A 20-byte WT901BLE notification."""
    return b"\x55\x61" + _BLE.pack(*acc, *gyro, *angle)


class WitMotionParser(BinaryParser):
    """Incremental parser of 11-byte serial frames with checksum resynchronisation."""

    name = "witmotion"

    def __init__(self) -> None:
        super().__init__()
        self._acc: tuple[float, float, float] | None = None
        self._has_gyro = False

    def feed(self, data: bytes) -> list[Sample]:
        """Decode every whole, checksum-valid frame; skip anything else one byte at a time."""
        self._buf += data
        buf = self._buf
        out: list[Sample] = []
        while True:
            start = buf.find(b"\x55")
            if start < 0:
                if buf:
                    self._skip(len(buf))
                break
            if start:
                self._skip(start)
            if len(buf) < FRAME:
                break
            ftype = buf[1]
            if not 0x50 <= ftype <= 0x5F or (sum(buf[:10]) & 0xFF) != buf[10]:
                self._skip(1)
                continue
            self._in_garbage = False
            self._frame(ftype, _XYZ.unpack_from(buf, 2), out)
            del buf[:FRAME]
        self.samples += len(out)
        return out

    def _frame(self, ftype: int, xyz: tuple[int, int, int], out: list[Sample]) -> None:
        if ftype == 0x51:
            if self._acc is not None:
                out.append(Sample(self._acc + (NAN, NAN, NAN)))
            self._acc = (xyz[0] * ACC_SCALE, xyz[1] * ACC_SCALE, xyz[2] * ACC_SCALE)
        elif ftype == 0x52 and self._acc is not None:
            self._has_gyro = True
            self.channels = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
            out.append(Sample(self._acc + (xyz[0] * GYRO_SCALE, xyz[1] * GYRO_SCALE, xyz[2] * GYRO_SCALE)))
            self._acc = None
        if not self._has_gyro:
            self.channels = ACC_ONLY


class WitMotionBleParser(BinaryParser):
    """Parser of WT901BLE notifications (one or more concatenated 20-byte ``55 61`` frames). Unlike the
    serial parser it counts each skip as an error, not each run of skipped bytes."""

    name = "witmotion-ble"

    def feed(self, data: bytes) -> list[Sample]:
        """Decode every whole 20-byte frame; skip register replies (``55 71``) quietly."""
        self._buf += data
        buf = self._buf
        out: list[Sample] = []
        while True:
            start = buf.find(b"\x55")
            if start < 0:
                if buf:
                    self.errors += 1
                buf.clear()
                break
            if start:
                self.errors += 1
                del buf[:start]
            if len(buf) < 2:
                break
            if buf[1] != 0x61:
                if buf[1] != 0x71:  # 0x71 = register read replies: expected, not an error
                    self.errors += 1
                del buf[:BLE_FRAME if buf[1] == 0x71 and len(buf) >= BLE_FRAME else 1]
                continue
            if len(buf) < BLE_FRAME:
                break
            v = _BLE.unpack_from(buf, 2)
            out.append(Sample(tuple(x * ACC_SCALE for x in v[:3]) + tuple(x * GYRO_SCALE for x in v[3:6])))
            del buf[:BLE_FRAME]
        self.samples += len(out)
        return out
