"""Turn the errors that libraries raise (OSError, SerialException, bleak's errors, a bare
FileNotFoundError when there is no BlueZ) into :class:`DeviceFault`: a :class:`DeviceError` with a
``kind`` the GUI can key on, a plain-language message and the fix.

``transient`` says whether the runner should keep retrying: an unplugged cable or a port another
program holds may come back by itself; a missing permission will not.
"""

from __future__ import annotations

import errno
import sys
from enum import Enum

from studio.devices.base import DeviceError


class FaultKind(str, Enum):
    """What went wrong with a device, for the GUI to key its advice on."""

    PERMISSION = "permission"          # serial port not readable by this user (Linux: dialout)
    BUSY = "busy"                      # port held by another program
    MISSING = "missing"                # no such serial port
    UNPLUGGED = "unplugged"            # port vanished / device stopped answering while streaming
    NO_BLUETOOTH = "no_bluetooth"      # no adapter, no BlueZ/D-Bus
    BLUETOOTH_OFF = "bluetooth_off"    # adapter present but powered off / unavailable
    BLE_NOT_FOUND = "ble_not_found"    # device not advertising / out of range
    BLE_LOST = "ble_lost"              # connection dropped while streaming
    WRONG_PROFILE = "wrong_profile"    # the device lacks the profile's service/characteristic
    NO_GYROSCOPE = "no_gyroscope"      # a notice: the device measures acceleration only
    BAD_CONFIG = "bad_config"          # a URI/profile parameter is wrong
    FILE = "file"                      # replay file missing or unreadable
    OTHER = "other"


class DeviceFault(DeviceError):
    """A :class:`DeviceError` that also says which kind of fault it is."""

    def __init__(self, kind: FaultKind, message: str, fix: str = "", transient: bool = False) -> None:
        super().__init__(message, fix, transient)
        self.kind = kind


def _dialout_fix(port: str) -> str:
    if sys.platform.startswith("linux"):
        return (f"Your user may not read {port}. Add yourself to the 'dialout' group: "
                "sudo usermod -aG dialout $USER, then log out and back in.")
    return f"Check that your user may open {port}."


def permission(port: str) -> DeviceFault:
    """The user may not open serial port ``port``."""
    return DeviceFault(FaultKind.PERMISSION, f"Permission denied opening {port}.", _dialout_fix(port))


def busy(port: str) -> DeviceFault:
    """Another program holds ``port`` (transient)."""
    return DeviceFault(
        FaultKind.BUSY, f"{port} is in use by another program.",
        "Close the other program that holds it (often the Arduino Serial Monitor or Plotter, or "
        "another studio window); the studio retries by itself.", transient=True)


def missing(port: str, available: list[str] | None = None, transient: bool = False) -> DeviceFault:
    """There is no serial port ``port``; names the ports that are present."""
    others = f" Ports found now: {', '.join(available)}." if available else " No serial ports are present."
    return DeviceFault(FaultKind.MISSING, f"There is no serial port {port}.",
                       "Plug the device in, or pick another port." + others, transient)


def unplugged(port: str) -> DeviceFault:
    """The device on ``port`` went away while streaming (transient)."""
    return DeviceFault(FaultKind.UNPLUGGED, f"The device on {port} went away (unplugged or reset).",
                       "Check the cable; the studio reconnects when it is back.", transient=True)


def no_bluetooth() -> DeviceFault:
    """No Bluetooth stack or adapter on this computer."""
    return DeviceFault(
        FaultKind.NO_BLUETOOTH, "Bluetooth is not available on this computer (no BlueZ/D-Bus).",
        "Install and start BlueZ (sudo apt install bluez; sudo systemctl start bluetooth) and plug in "
        "a Bluetooth adapter, or connect the device over USB serial instead.")


def bluetooth_off(detail: str = "") -> DeviceFault:
    """The adapter is present but off or not ready."""
    return DeviceFault(FaultKind.BLUETOOTH_OFF, "Bluetooth is turned off or the adapter is not ready."
                       + (f" ({detail})" if detail else ""),
                       "Turn Bluetooth on in the system settings (Linux: bluetoothctl power on).")


def ble_not_found(address: str) -> DeviceFault:
    """No BLE device ``address`` answered (transient)."""
    return DeviceFault(FaultKind.BLE_NOT_FOUND, f"No Bluetooth device {address} answered.",
                       "Wake the device (move it or press its button), bring it closer, and make sure no "
                       "phone app is connected to it; the studio keeps trying.", transient=True)


def ble_lost(address: str) -> DeviceFault:
    """The BLE link to ``address`` dropped while streaming (transient)."""
    return DeviceFault(FaultKind.BLE_LOST, f"Lost the Bluetooth connection to {address}.",
                       "Bring the device closer or check its battery; the studio reconnects.", transient=True)


def wrong_profile(address: str, profile: str, offered: list[str] | None = None) -> DeviceFault:
    """The device lacks the service or characteristic that ``profile`` reads."""
    extra = f" It offers services: {', '.join(offered)}." if offered else ""
    return DeviceFault(FaultKind.WRONG_PROFILE,
                       f"The device {address} does not offer what the '{profile}' profile reads.{extra}",
                       "Pick the profile that matches the device, or define a generic profile with its "
                       "service and characteristic UUIDs.")


def no_gyroscope(device: str) -> DeviceFault:
    """A notice, not an error: ``device`` streams acceleration only."""
    return DeviceFault(FaultKind.NO_GYROSCOPE, f"{device} has no gyroscope: only acceleration is streamed.",
                       "Gestures that differ only by rotation may be confused; record takes that differ "
                       "in movement, or use a device with a gyroscope.")


def bad_config(message: str, fix: str = "") -> DeviceFault:
    """A URI or profile parameter is wrong; ``message`` says which."""
    return DeviceFault(FaultKind.BAD_CONFIG, message, fix)


def from_serial_error(exc: BaseException, port: str, *, was_open: bool = False,
                      available: list[str] | None = None) -> DeviceFault:
    """Classify an exception from opening or reading serial port ``port``.

    ``was_open``: the port had been streaming in this session, so a missing port means unplugged
    (worth retrying) rather than a wrong port name.
    """
    if isinstance(exc, DeviceFault):
        return exc
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code is None:
        # pyserial wraps OSError text into SerialException without errno: "[Errno 13] ..."
        for num in (errno.EACCES, errno.EBUSY, errno.ENOENT, errno.ENXIO, errno.EIO, errno.ENODEV, errno.EAGAIN):
            if f"[Errno {num}]" in text:
                code = num
                break
    if code in (errno.EACCES, errno.EPERM):
        return permission(port)
    if code == errno.EBUSY or "exclusively lock" in text or (code == errno.EAGAIN and "lock" in text):
        return busy(port)
    if code == errno.ENOENT or isinstance(exc, FileNotFoundError):
        return unplugged(port) if was_open else missing(port, available)
    if code in (errno.EIO, errno.ENXIO, errno.ENODEV) or "disconnected" in text or "returned no data" in text:
        return unplugged(port)
    if was_open:
        return unplugged(port)
    return DeviceFault(FaultKind.OTHER, f"Could not open {port}: {text}",
                       "Check the port name and that the device is connected.", transient=True)


def from_ble_error(exc: BaseException, address: str, profile: str = "", *, was_open: bool = False) -> DeviceFault:
    """Classify an exception from bleak (or from our BLE worker) for device ``address``."""
    if isinstance(exc, DeviceFault):
        return exc
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, FileNotFoundError) or "org.freedesktop.DBus" in text and "ServiceUnknown" in text:
        return no_bluetooth()
    if name == "BleakBluetoothNotAvailableError" or "No Bluetooth adapters found" in text:
        return bluetooth_off(text)
    if name == "BleakDeviceNotFoundError" or "not found" in text.lower() and "characteristic" not in text.lower():
        return ble_not_found(address)
    if name == "BleakCharacteristicNotFoundError" or "characteristic" in text.lower() and "not found" in text.lower():
        return wrong_profile(address, profile)
    if isinstance(exc, TimeoutError) or name in ("TimeoutError", "CancelledError"):
        return ble_lost(address) if was_open else ble_not_found(address)
    if was_open or "disconnect" in text.lower() or "not connected" in text.lower():
        return ble_lost(address)
    return DeviceFault(FaultKind.OTHER, f"Bluetooth error with {address}: {text or name}",
                       "Try again; if it persists, switch the device off and on.", transient=True)


def examples() -> list[DeviceFault]:
    """One fault of every kind, worded as the user would see them (for the GUI's fault gallery/tests)."""
    return [
        permission("/dev/ttyACM0"), busy("/dev/ttyACM0"), missing("/dev/ttyACM3", ["/dev/ttyUSB0"]),
        unplugged("/dev/ttyACM0"), no_bluetooth(), bluetooth_off(), ble_not_found("C4:7F:51:2A:10:9E"),
        ble_lost("C4:7F:51:2A:10:9E"), wrong_profile("C4:7F:51:2A:10:9E", "thingy52"),
        no_gyroscope("BBC micro:bit"),
    ]
