"""BLE profile parsers, generic profiles and their saved store."""

import json
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.devices import ble_profiles as bp
from studio.devices.ble_profiles import Field, GenericProfile, ProfileError, ProfileStore


def imu_profile(name="Wristband", **kw):
    fields = tuple(Field(c, 1 / 4096, "g") for c in ("acc_x", "acc_y", "acc_z")) + tuple(
        Field(c, 0.01, "rad/s") for c in ("gyro_x", "gyro_y", "gyro_z")) + (Field(),)
    args = dict(name=name, service="180d", characteristic="2a37", layout="<6hI", fields=fields)
    args.update(kw)
    return GenericProfile(**args)


def test_generic_struct_profile_scales_and_converts_units():
    profile = imu_profile().to_profile()
    assert profile.key == "generic:Wristband" and profile.service.startswith("0000180d-")
    parser = profile.make_parser()
    out = parser.feed(struct.pack("<6hI", 4096, 0, -2048, 100, 0, 0, 123) * 2)
    assert len(out) == 2
    assert out[0].values[:3] == pytest.approx((1.0, 0.0, -0.5))
    assert out[0].values[3] == pytest.approx(math.degrees(1.0))


def test_generic_csv_profile_uses_its_units():
    spec = GenericProfile("Phone", bp.NUS_SERVICE, bp.NUS_TX, kind="csv", acc_unit="m/s^2", gyro_unit="rad/s")
    parser = spec.to_profile().make_parser()
    out = parser.feed(b"0,0,9.80665,0,0,3.14159265\n")
    assert out[0].values[2] == pytest.approx(1.0) and out[0].values[5] == pytest.approx(180.0, rel=1e-6)


@pytest.mark.parametrize("change, words", [
    (dict(name="  "), "needs a name"),
    (dict(service="not-a-uuid"), "is not a UUID"),
    (dict(layout="<6hQQ"), "has 8 values but 7 fields"),
    (dict(layout="<6h%"), "not valid"),
    (dict(fields=(Field("acc_w"),) * 7), "Unknown channel"),
    (dict(fields=(Field("acc_x", 1.0, "deg/s"),) + (Field(),) * 6), "does not fit acc_x"),
    (dict(fields=(Field("acc_x", float("nan")),) + (Field(),) * 6), "non-zero number"),
    (dict(fields=(Field(),) * 7), "At least one field"),
    (dict(kind="xml"), "Unknown profile kind"),
])
def test_invalid_generic_profiles_say_why(change, words):
    with pytest.raises(ProfileError, match=words):
        imu_profile(**change).validated()


def test_store_saves_loads_lists_and_deletes(tmp_path):
    store = ProfileStore(tmp_path / "cfg" / "ble_profiles.json")
    assert store.names() == []
    store.save(imu_profile())
    store.save(imu_profile("Glove", layout="<3h", fields=(Field("acc_x"), Field("acc_y"), Field("acc_z"))))
    assert store.names() == ["Glove", "Wristband"]
    loaded = store.load("Wristband")
    assert loaded == imu_profile().validated()
    assert bp.get_profile("generic:Glove", store).make_parser().channels == ("acc_x", "acc_y", "acc_z")
    assert ("generic:Glove", "Glove (generic)") in bp.profile_choices(store)
    with pytest.raises(ProfileError, match="already exists"):
        store.save(imu_profile())
    store.save(imu_profile(rate_hz=100), overwrite=True)
    assert ProfileStore(store.path).load("Wristband").rate_hz == 100
    store.delete("Glove")
    assert store.names() == ["Wristband"]
    with pytest.raises(ProfileError, match="no saved profile"):
        store.load("Glove")


def test_corrupt_store_is_reported_and_left_untouched(tmp_path):
    path = tmp_path / "ble_profiles.json"
    path.write_text("{not json")
    store = ProfileStore(path)
    with pytest.raises(ProfileError, match="cannot be read"):
        store.names()
    with pytest.raises(ProfileError):
        store.save(imu_profile())
    assert path.read_text() == "{not json"
    assert [k for k, _ in bp.profile_choices(store)] == list(bp.BUILTIN)


def test_store_file_is_plain_json(tmp_path):
    store = ProfileStore(tmp_path / "p.json")
    store.save(imu_profile())
    data = json.loads(store.path.read_text())
    assert data["version"] == 1 and data["profiles"]["Wristband"]["layout"] == "<6hI"


def test_default_store_lives_under_the_user_config_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("UNIMOTION_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    if bp.sys.platform.startswith("linux"):
        assert ProfileStore().path == tmp_path / "unimotion-studio" / "ble_profiles.json"
    monkeypatch.setenv("UNIMOTION_CONFIG_DIR", str(tmp_path / "portable"))
    assert ProfileStore().path == tmp_path / "portable" / "ble_profiles.json"


def test_ble_uri_with_a_saved_generic_profile(monkeypatch, tmp_path):
    from studio.devices import open_source

    monkeypatch.setenv("UNIMOTION_CONFIG_DIR", str(tmp_path))
    ProfileStore().save(imu_profile())
    source = open_source("ble://AA:BB:CC:DD:EE:FF?profile=generic:Wristband")
    assert source.profile.key == "generic:Wristband" and source.profile.notify.startswith("00002a37-")


def test_unknown_profile_key():
    with pytest.raises(ProfileError, match="Unknown BLE profile"):
        bp.get_profile("fitbit")


def test_recognise_by_service_and_name():
    assert bp.recognise("Thingy", [bp.THINGY_MOTION_SERVICE.upper()]) == ["thingy52"]
    assert bp.recognise("BBC micro:bit [pivet]") == ["microbit"]
    assert bp.recognise("WT901BLE67") == ["witmotion"]
    assert bp.recognise("Bangle.js", [bp.NUS_SERVICE]) == ["nus", "nus-frame"]
    assert bp.recognise("Speaker") == []


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=100))
def test_builtin_payload_parsers_never_raise_and_count_bad_sizes(data):
    for profile in bp.BUILTIN.values():
        parser = profile.make_parser()
        parser.feed(data)
    micro = bp.BUILTIN["microbit"].make_parser()
    out = micro.feed(data)
    assert (len(out) == len(data) // 6) if data and len(data) % 6 == 0 else (micro.errors == 1 and not out)


def test_preview_decodes_a_captured_payload_for_the_editor():
    rows, errors = imu_profile().preview(struct.pack("<6hI", 4096, 0, 0, 0, 0, 100, 0))
    assert errors == 0 and rows[0]["acc_x"] == pytest.approx(1.0) and rows[0]["gyro_z"] == pytest.approx(57.29578)
    rows, errors = imu_profile().preview(b"\x01\x02\x03")
    assert rows == [] and errors == 1
    csv = GenericProfile("Text", bp.NUS_SERVICE, bp.NUS_TX, kind="csv")
    assert csv.preview(b"0.1,0.2,0.9")[0] == [pytest.approx({"acc_x": 0.1, "acc_y": 0.2, "acc_z": 0.9})]
