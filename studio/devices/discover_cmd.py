"""``studio devices``: serial ports (with USB descriptions and a guess of the board) and nearby BLE
devices (name, signal strength, recognised profiles). Prints a plain message when there is no
Bluetooth, and still lists the serial ports. ``--json`` for scripts.

The functions here (:func:`list_serial_ports`, :func:`discover`) are what the GUI's device panel calls
from a worker thread.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass

from studio.devices import faults

# USB vendor:product -> what is usually behind it, and the serial format our bridges use there.
KNOWN_USB: dict[tuple[int, int | None], str] = {
    (0x2341, 0x805A): "Arduino Nano 33 BLE",
    (0x2341, 0x005A): "Arduino Nano 33 BLE (bootloader)",
    (0x2341, None): "Arduino board",
    (0x2A03, None): "Arduino board",
    (0x0D28, 0x0204): "BBC micro:bit",
    (0x10C4, 0xEA60): "CP210x USB-serial (many ESP32 boards)",
    (0x1A86, 0x7523): "CH340 USB-serial (ESP32/Arduino clones, WitMotion adapters)",
    (0x1A86, 0x55D4): "CH9102 USB-serial (ESP32 boards)",
    (0x303A, None): "Espressif native USB (ESP32-S2/S3/C3)",
    (0x0403, 0x6001): "FTDI USB-serial",
    (0x239A, None): "Adafruit board",
    (0x2886, None): "Seeed board",
}


@dataclass(frozen=True)
class SerialPortInfo:
    """A serial port as the device panel shows it."""

    device: str
    description: str
    manufacturer: str = ""
    vid: int | None = None
    pid: int | None = None
    serial_number: str = ""
    board: str = ""  # our guess from the USB ids, "" if unknown

    @property
    def uri(self) -> str:
        return f"serial://{self.device}?format=auto&baud=115200"

    @property
    def label(self) -> str:
        text = self.board or (self.description if self.description not in ("", "n/a") else "serial port")
        return f"{self.device} — {text}"


def _board(vid: int | None, pid: int | None) -> str:
    if vid is None:
        return ""
    return KNOWN_USB.get((vid, pid)) or KNOWN_USB.get((vid, None), "")


def list_serial_ports(include_legacy: bool = False) -> list[SerialPortInfo]:
    """Serial ports present now, USB ones first. Legacy on-board ``ttyS*`` ports without a USB
    description are left out unless ``include_legacy`` (they are almost never an IMU)."""
    from serial.tools import list_ports

    ports = []
    for p in list_ports.comports():
        if not include_legacy and p.vid is None and p.description in ("n/a", "", None) and "ttyS" in p.device:
            continue
        ports.append(SerialPortInfo(p.device, p.description or "", p.manufacturer or "", p.vid, p.pid,
                                    p.serial_number or "", _board(p.vid, p.pid)))
    return sorted(ports, key=lambda p: (p.vid is None, p.device))


def discover(ble_seconds: float = 4.0, backend: type | None = None):
    """(serial ports, BLE devices or the :class:`~studio.devices.faults.DeviceFault` that stopped the scan)."""
    ports = list_serial_ports()
    if ble_seconds <= 0:
        return ports, []
    from studio.devices.ble import scan

    try:
        devices = scan(ble_seconds, backend)
    except faults.DeviceFault as fault:
        return ports, fault
    return ports, devices


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ble-seconds", type=float, default=4.0, help="how long to scan for BLE (0 = skip)")
    parser.add_argument("--all", action="store_true", help="also list legacy ttyS ports")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    if not (math.isfinite(args.ble_seconds) and args.ble_seconds >= 0):
        print(f"studio devices: --ble-seconds must be 0 (skip) or a positive number, not {args.ble_seconds}.",
              file=sys.stderr)
        return 2
    ports = list_serial_ports(args.all)
    ble: list | faults.DeviceFault = []
    if args.ble_seconds > 0:
        ble = discover(args.ble_seconds)[1]
    if args.json:
        out = {"serial": [dict(asdict(p), uri=p.uri) for p in ports]}
        if isinstance(ble, faults.DeviceFault):
            out["ble_error"] = {"kind": ble.kind.value, "message": ble.message, "fix": ble.fix}
        else:
            out["ble"] = [dict(asdict(d), uri=d.uri) for d in ble]
        print(json.dumps(out, indent=2))
        return 0
    print("Serial ports:")
    if not ports:
        print("  none found (plug the device in; on Linux check 'dmesg | tail' for ttyACM/ttyUSB)")
    for p in ports:
        ids = f"  [{p.vid:04x}:{p.pid:04x}]" if p.vid is not None and p.pid is not None else ""
        extra = f" ({p.description})" if p.board and p.description not in ("", "n/a") else ""
        print(f"  {p.label}{extra}{ids}\n      {p.uri}")
    if args.ble_seconds <= 0:
        return 0
    print(f"Bluetooth LE ({args.ble_seconds:g} s scan):")
    if isinstance(ble, faults.DeviceFault):
        print(f"  {ble.message}\n  {ble.fix}")
        return 0
    if not ble:
        print("  no devices seen (wake the device; close phone apps that are connected to it)")
    for d in ble:
        profiles = ", ".join(d.profiles) if d.profiles else "no known profile (define a generic one)"
        print(f"  {d.address}  {d.rssi:4d} dBm  {d.name or '(no name)'}  — {profiles}\n      {d.uri}")
    return 0
