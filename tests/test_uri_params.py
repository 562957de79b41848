"""The shared reading of device URI settings, and the sources that use it word bad settings alike."""

from __future__ import annotations

import pytest

from studio.devices.base import DeviceError
from studio.devices.registry import open_source
from studio.devices.uri_params import check_params, flag, number


def test_numbers_flags_and_names():
    params = {"rate": "50", "seed": "3", "realtime": "Off"}
    assert number(params, "rate", 100.0, 1, 1000) == 50.0
    assert number(params, "seed", -1, kind=int) == 3 and number(params, "absent", 7.0) == 7.0
    assert flag(params, "realtime", True) is False and flag(params, "absent", True) is True
    check_params(params, ("rate", "seed", "realtime"))
    with pytest.raises(DeviceError, match="out of range"):
        number(params, "rate", 100.0, 60, 1000)
    with pytest.raises(DeviceError, match="not a number"):
        number({"seed": "1.5"}, "seed", 0, kind=int)
    with pytest.raises(DeviceError, match="yes/no"):
        flag({"start": "maybe"}, "start", True)
    with pytest.raises(DeviceError, match=r"Unknown thing\(s\) in 'x://\?b=1': b") as caught:
        check_params({"b": "1"}, ("a",), "thing", "x://?b=1")
    assert "Known: a" in caught.value.fix


@pytest.mark.parametrize("uri", ["simulator?colour=red", "serial:///dev/null?colour=red",
                                 "phyphox://10.0.0.2?colour=red", "sensorlogger://?colour=red"])
def test_every_source_refuses_an_unknown_setting_by_name(uri):
    with pytest.raises(DeviceError, match="colour") as caught:
        open_source(uri)
    assert "Unknown" in caught.value.message and "Known:" in caught.value.fix
