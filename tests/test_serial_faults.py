"""Plain-language serial faults: permission (dialout), busy port, missing port, wrong format/baud."""

import errno
import os

import pytest
import serial

from studio.devices import faults, open_source
from studio.devices.base import DeviceError
from studio.devices.faults import FaultKind


def _raising(exc):
    def factory(*args, **kwargs):
        raise exc
    return factory


@pytest.fixture
def fake_port(tmp_path):
    path = tmp_path / "ttyACM0"
    path.write_bytes(b"")
    return str(path)


def test_permission_denied_explains_dialout(monkeypatch, fake_port):
    exc = serial.SerialException(errno.EACCES, f"could not open port {fake_port}: [Errno 13] Permission denied")
    monkeypatch.setattr(serial, "serial_for_url", _raising(exc))
    with pytest.raises(DeviceError) as info:
        open_source(f"serial://{fake_port}?format=csv").open()
    err = info.value
    assert err.kind == FaultKind.PERMISSION and not err.transient
    assert "Permission denied" in err.message and "dialout" in err.fix and "usermod" in err.fix


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions; the mocked errno test covers it")
def test_permission_denied_on_a_real_unreadable_file(fake_port):
    os.chmod(fake_port, 0)
    with pytest.raises(DeviceError) as info:
        open_source(f"serial://{fake_port}?format=csv").open()
    assert info.value.kind == FaultKind.PERMISSION


@pytest.mark.parametrize("exc", [
    serial.SerialException(errno.EBUSY, "could not open port /dev/ttyACM0: [Errno 16] Device or resource busy"),
    serial.SerialException(11, "[Errno 11] Could not exclusively lock port /dev/ttyACM0: [Errno 11] Resource "
                               "temporarily unavailable"),
    OSError(errno.EBUSY, "Device or resource busy"),
])
def test_busy_port_names_the_usual_culprit(monkeypatch, fake_port, exc):
    monkeypatch.setattr(serial, "serial_for_url", _raising(exc))
    with pytest.raises(DeviceError) as info:
        open_source(f"serial://{fake_port}?format=csv").open()
    assert info.value.kind == FaultKind.BUSY and info.value.transient
    assert "Serial Monitor" in info.value.fix


def test_missing_port_is_final_at_first_but_transient_after_streaming(tmp_path):
    path = str(tmp_path / "ttyUSB9")
    source = open_source(f"serial://{path}?format=csv")
    with pytest.raises(DeviceError) as info:
        source.open()
    assert info.value.kind == FaultKind.MISSING and not info.value.transient
    assert "pick another port" in info.value.fix
    later = faults.from_serial_error(FileNotFoundError(errno.ENOENT, "gone"), path, was_open=True)
    assert later.kind == FaultKind.UNPLUGGED and later.transient


def test_disconnect_message_from_pyserial_is_unplugged():
    exc = serial.SerialException("device reports readiness to read but returned no data "
                                 "(device disconnected or multiple access on port?)")
    fault = faults.from_serial_error(exc, "/dev/ttyACM0", was_open=True)
    assert fault.kind == FaultKind.UNPLUGGED and fault.transient


def test_unknown_format_and_bad_numbers_are_config_errors():
    with pytest.raises(DeviceError) as info:
        open_source("serial:///dev/ttyACM0?format=json")
    assert info.value.kind == FaultKind.BAD_CONFIG and "csv" in info.value.fix
    with pytest.raises(DeviceError):
        open_source("serial:///dev/ttyACM0?baud=fast")


def test_unrecognised_data_suggests_the_baud_rate():
    source = open_source("serial://loop://?format=auto&probe=0&baud=9600")
    source.open()
    with pytest.raises(DeviceError) as info:
        for _ in range(20):  # loop:// holds 4 KiB: write and read in turns
            source._ser.write(bytes(range(256)) * 4)
            source.read(0.01)
    source.close()
    assert info.value.kind == FaultKind.BAD_CONFIG and "baud rate (now 9600)" in info.value.fix


def test_loop_url_round_trip_and_no_gyro_notice():
    from studio.devices.formats.frame import encode_acc3

    source = open_source("serial://loop://?format=frame&probe=0")
    source.open()
    source._ser.write(encode_acc3(0, 0, [(4096, 0, 0)] * 4))
    chunk = source.read(0.5)
    source.close()
    assert len(chunk) == 4 and chunk.data[0, 0] == pytest.approx(1.0)
    (notice,) = source.notices
    assert notice.kind == FaultKind.NO_GYROSCOPE and "no gyroscope" in notice.message


def test_every_fault_example_has_a_message_and_a_fix():
    kinds = set()
    for fault in faults.examples():
        assert fault.message.endswith(".") and fault.fix
        kinds.add(fault.kind)
    assert len(kinds) == len(faults.examples())


def test_witmotion_defaults_to_its_factory_baud_rate():
    assert open_source("serial:///dev/ttyUSB0?format=witmotion").baud == 9600
    assert open_source("serial:///dev/ttyUSB0?format=witmotion&baud=115200").baud == 115200
    assert open_source("serial:///dev/ttyUSB0").baud == 115200


def test_unknown_options_and_units_are_config_errors():
    with pytest.raises(DeviceError, match="acc_units") as info:
        open_source("serial:///dev/ttyUSB0?format=csv&acc_units=g")
    assert info.value.kind == FaultKind.BAD_CONFIG
    source = open_source("serial://loop://?format=csv&acc_unit=furlongs&probe=0")
    with pytest.raises(DeviceError, match="Bad unit") as info:
        source.open()
    assert "m/s^2" in info.value.fix
    good = open_source("serial://loop://?format=csv&acc_unit=m/s^2&probe=0")
    good.open()
    good._ser.write(b"ax,ay,az\n0,0,9.80665\n")
    chunk = good.read(0.5)
    good.close()
    assert chunk.data[0, 2] == pytest.approx(1.0)
