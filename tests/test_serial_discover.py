"""``studio devices``: serial port listing with USB descriptions, BLE scan output and the no-Bluetooth
message."""

import json
from types import SimpleNamespace

import pytest
from serial.tools import list_ports

from studio.devices import discover_cmd, faults
from studio.devices.ble import BleDeviceInfo


def port(device, description="n/a", vid=None, pid=None, manufacturer=None):
    return SimpleNamespace(device=device, description=description, vid=vid, pid=pid, manufacturer=manufacturer,
                           serial_number=None)


@pytest.fixture
def fake_ports(monkeypatch):
    monkeypatch.setattr(list_ports, "comports", lambda: [
        port("/dev/ttyS0"),
        port("/dev/ttyUSB0", "CP2102 USB to UART Bridge Controller", 0x10C4, 0xEA60, "Silicon Labs"),
        port("/dev/ttyACM0", "Nano 33 BLE", 0x2341, 0x805A, "Arduino"),
    ])


def run(args):
    import argparse

    parser = argparse.ArgumentParser()
    discover_cmd.add_arguments(parser)
    return discover_cmd.run(parser.parse_args(args))


def test_usb_ports_listed_with_board_guess_and_legacy_hidden(fake_ports):
    ports = discover_cmd.list_serial_ports()
    assert [p.device for p in ports] == ["/dev/ttyACM0", "/dev/ttyUSB0"]
    assert ports[0].board == "Arduino Nano 33 BLE" and ports[0].uri.startswith("serial:///dev/ttyACM0")
    assert "ESP32" in ports[1].label
    assert len(discover_cmd.list_serial_ports(include_legacy=True)) == 3


def test_no_bluetooth_prints_the_plain_message_and_still_lists_ports(fake_ports, monkeypatch, capsys):
    import studio.devices.ble as ble

    def no_bluez(seconds, backend=None):
        raise faults.from_ble_error(FileNotFoundError(2, "No such file or directory"), "(scan)")

    monkeypatch.setattr(ble, "scan", no_bluez)
    assert run(["--ble-seconds", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "/dev/ttyACM0 — Arduino Nano 33 BLE" in out
    assert "Bluetooth is not available on this computer (no BlueZ/D-Bus)." in out
    assert "sudo apt install bluez" in out


def test_ble_devices_with_profiles_and_json(fake_ports, monkeypatch, capsys):
    import studio.devices.ble as ble

    monkeypatch.setattr(ble, "scan", lambda seconds, backend=None: [
        BleDeviceInfo("C4:7F:51:2A:10:9E", "Thingy", -58, ("thingy52",)),
        BleDeviceInfo("11:22:33:44:55:66", "", -80, ()),
    ])
    run(["--ble-seconds", "0.1"])
    out = capsys.readouterr().out
    assert "C4:7F:51:2A:10:9E   -58 dBm  Thingy  — thingy52" in out
    assert "ble://C4:7F:51:2A:10:9E?profile=thingy52" in out and "no known profile" in out
    run(["--ble-seconds", "0.1", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["ble"][0]["profiles"] == ["thingy52"] and data["serial"][0]["board"] == "Arduino Nano 33 BLE"


def test_real_listing_runs_on_this_machine(capsys):
    assert run(["--ble-seconds", "0"]) == 0
    assert "Serial ports:" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["nan", "-1"])
def test_unusable_scan_time_exits_2(value, capsys):
    assert run(["--ble-seconds", value]) == 2
    assert "--ble-seconds must be" in capsys.readouterr().err
