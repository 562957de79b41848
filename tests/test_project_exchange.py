"""Sharing gesture sets (JSON file), CSV export of takes, and the recent-projects list."""

from __future__ import annotations

import base64
import csv
import json

import numpy as np
import pytest

from studio.project import Project, ProjectError, RecentProjects, exchange
from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS

CH = list(CANONICAL_CHANNELS)
UN = [CANONICAL_UNITS[c] for c in CH]


@pytest.fixture
def source(tmp_path):
    with Project.create(tmp_path / "src.gesture") as p:
        rng = np.random.default_rng(0)
        wave = p.add_gesture("wave", "wave left and right", output={"osc": "/wave", "key": "ctrl+alt+right"})
        p.add_take(wave.id, rng.standard_normal((150, 6)).astype(np.float32), 100.0, CH, UN,
                   device="sim", user="ana", trim=(10, 140), quality=0.8)
        p.add_take(wave.id, rng.standard_normal((90, 6)).astype(np.float32), 50.0, CH, UN)
        p.add_gesture("circle", "draw a circle clockwise", enabled=False)
        p.add_negative(rng.standard_normal((300, 6)).astype(np.float32), 100.0, CH, UN)
        yield p


def test_gesture_set_round_trip(source, tmp_path):
    path = exchange.export_set(source, tmp_path / "set.gestureset.json")
    document = json.loads(path.read_text())
    assert document["format"] == "unimotion-gesture-set"
    # Anyone can read the arrays back with numpy alone.
    first = document["gestures"][0]["takes"][0]
    raw = np.frombuffer(base64.b64decode(first["data"]), "<f4").reshape(first["shape"])
    assert raw.tobytes() == source.takes()[0].samples.tobytes()
    with Project.create(tmp_path / "dst.gesture") as dst:
        added = exchange.import_set(path, dst)
        assert [g.name for g in added] == ["wave", "circle"]
        assert added[0].output == {"osc": "/wave", "key": "ctrl+alt+right"} and added[1].enabled is False
        for a, b in zip(source.takes(), dst.takes()):
            assert a.samples.tobytes() == b.samples.tobytes()
            assert (a.rate_hz, a.channels, a.units, a.device, a.user, a.trim_start, a.trim_end, a.quality,
                    a.recorded_at) == (b.rate_hz, b.channels, b.units, b.device, b.user, b.trim_start,
                                       b.trim_end, b.quality, b.recorded_at)
        assert len(dst.negatives()) == 1
        again = exchange.import_set(path, dst)
        assert [g.name for g in again] == ["wave (2)", "circle (2)"]
        assert exchange.import_set(path, dst, on_conflict="skip") == []
        with pytest.raises(ProjectError, match="already exists"):
            exchange.import_set(path, dst, on_conflict="error")
        assert len(dst.gestures()) == 4


def test_bad_gesture_sets_import_nothing(source, tmp_path):
    good = json.loads(exchange.export_set(source, tmp_path / "set.gestureset.json").read_text())
    cases = {
        "binary.json": b"\x00\x01\x02",
        "other.json": json.dumps({"hello": 1}).encode(),
        "newer.json": json.dumps({**good, "version": 99}).encode(),
    }
    broken = json.loads(json.dumps(good))
    broken["gestures"][1]["takes"] = [{"rate_hz": 100.0}]  # the second gesture's take lacks its samples
    cases["broken.json"] = json.dumps(broken).encode()
    damaged = json.loads(json.dumps(good))
    damaged["gestures"][0]["takes"][0]["data"] = "not base64!"
    cases["damaged.json"] = json.dumps(damaged).encode()
    with Project.create(tmp_path / "dst.gesture") as dst:
        for name, data in cases.items():
            (tmp_path / name).write_bytes(data)
            with pytest.raises(ProjectError):
                exchange.import_set(tmp_path / name, dst)
            assert dst.gestures() == [] and dst.takes() == [] and dst.negatives() == []


def test_csv_export(source, tmp_path):
    paths = exchange.export_takes_csv(source, tmp_path / "csv")
    assert [p.name for p in paths] == ["wave_take1.csv", "wave_take2.csv", "takes.csv"]
    with open(paths[0], newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["t", *CH]
    data = np.array(rows[1:], dtype=np.float64)
    take = source.takes()[0]
    assert data.shape == (150, 7)
    np.testing.assert_allclose(data[:, 0], np.arange(150) / 100.0)
    assert np.array_equal(data[:, 1:].astype(np.float32), take.samples)  # shortest repr round-trips float32
    with open(paths[-1], newline="") as handle:
        index = list(csv.DictReader(handle))
    assert index[0]["gesture"] == "wave" and index[0]["trim_start"] == "10" and index[1]["rate_hz"] == "50.0"


def test_recent_projects(tmp_path):
    recent = RecentProjects(tmp_path / "cfg" / "recent.json", limit=3)
    assert recent.paths() == []
    files = []
    for i in range(4):
        f = tmp_path / f"p{i}.gesture"
        f.write_bytes(b"x")
        files.append(f)
        recent.add(f)
    recent.add(files[1])
    assert recent.paths() == [files[1], files[3], files[2]]
    files[3].unlink()
    assert recent.paths() == [files[1], files[2]]
    assert len(recent.paths(existing_only=False)) == 3
    recent.remove(files[1])
    assert recent.paths() == [files[2]]
    recent.path.write_text("{not json")
    assert recent.paths() == []
    recent.add(files[0])
    assert RecentProjects(recent.path).paths() == [files[0]]


def test_recent_projects_default_location(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path / "cfg"))
    assert RecentProjects().path == tmp_path / "cfg" / "recent.json"


def test_unusable_takes_are_refused_on_import(source, tmp_path):
    good = json.loads(exchange.export_set(source, tmp_path / "set.gestureset.json").read_text())

    def variant(**take):
        doc = json.loads(json.dumps(good))
        doc["gestures"][0]["takes"][0].update(take)
        return json.dumps(doc)

    nan = np.full((150, 6), np.nan, "<f4")
    long_take = np.zeros((100 * 3600, 6), "<f4")
    cases = {
        "foreign.json": (variant(channels=["a", "b", "c", "d", "e", "f"]), "channel"),
        "nan.json": (variant(data=base64.b64encode(nan.tobytes()).decode()), "finite|NaN"),
        "slow.json": (variant(rate_hz=1e-7), "rate"),
        "fast.json": (variant(rate_hz=1e6), "rate"),
        "long.json": (variant(shape=[len(long_take), 6], data=base64.b64encode(long_take.tobytes()).decode()),
                      "long"),
        "deep.json": ("[" * 100000 + "]" * 100000, "nested|gesture set"),
    }
    with Project.create(tmp_path / "dst.gesture") as dst:
        for name, (text, words) in cases.items():
            (tmp_path / name).write_text(text)
            with pytest.raises(ProjectError, match=words):
                exchange.import_set(tmp_path / name, dst)
            assert dst.gestures() == [] and dst.takes() == []


def test_known_channel_aliases_are_mapped_on_import(source, tmp_path):
    doc = json.loads(exchange.export_set(source, tmp_path / "set.gestureset.json").read_text())
    doc["gestures"][0]["takes"][0]["channels"] = ["ax", "ay", "az", "gx", "gy", "gz"]
    (tmp_path / "alias.json").write_text(json.dumps(doc))
    with Project.create(tmp_path / "dst.gesture") as dst:
        exchange.import_set(tmp_path / "alias.json", dst)
        assert list(dst.takes()[0].channels) == CH
