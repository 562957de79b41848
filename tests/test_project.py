"""The project file: round trip, autosave under kill -9, refusing bad files untouched, names, undo, migration."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from studio.project import SCHEMA_VERSION, Project, ProjectError
from studio.project.schema import APPLICATION_ID, MIGRATIONS
from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS

CH = list(CANONICAL_CHANNELS)
UN = [CANONICAL_UNITS[c] for c in CH]
REPO = Path(__file__).resolve().parents[1]


def _samples(seed: int, n: int = 120) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 6)).astype(np.float32)


@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "p.gesture") as p:
        yield p


def _filled(tmp_path: Path) -> Path:
    path = tmp_path / "filled.gesture"
    with Project.create(path) as p:
        for i in range(3):
            g = p.add_gesture(f"g{i}", f"gesture number {i}")
            for k in range(4):
                p.add_take(g.id, _samples(10 * i + k, 300), 100.0, CH, UN)
        p.set_setting("sensitivity", 0.5)
    return path


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "r.gesture"
    x = _samples(1)
    x[5, 2] = np.nan  # gaps from a device survive as NaN, bit for bit
    with Project.create(path) as p:
        wave = p.add_gesture("wave", "wave the hand left and right", colour="#112233",
                             output={"osc": "/lights/wave", "key": "ctrl+right"})
        p.add_gesture("circle", "draw a circle", enabled=False)
        take = p.add_take(wave.id, x, 104.5, CH, UN, device="sim", user="ana", trim=(3, 100), quality=0.75)
        p.add_negative(_samples(2, 500), 100.0, CH, UN, device="sim")
        p.set_setting("outputs", {"osc": {"port": 9000}, "hosts": ["127.0.0.1"]})
    with Project.open(path) as p:
        gestures = p.gestures()
        assert [g.name for g in gestures] == ["wave", "circle"]
        assert gestures[0].description == "wave the hand left and right"
        assert gestures[0].colour == "#112233"
        assert gestures[0].output == {"osc": "/lights/wave", "key": "ctrl+right"}
        assert gestures[1].enabled is False
        got = p.take(take.id)
        assert got.samples.dtype == np.float32
        assert got.samples.tobytes() == x.tobytes()
        assert (got.rate_hz, got.channels, got.units) == (104.5, tuple(CH), tuple(UN))
        assert (got.device, got.user, got.trim_start, got.trim_end, got.quality) == ("sim", "ana", 3, 100, 0.75)
        assert got.trimmed().shape == (97, 6)
        assert p.negatives()[0].samples.shape == (500, 6)
        assert p.get_setting("outputs") == {"osc": {"port": 9000}, "hosts": ["127.0.0.1"]}
        assert p.get_setting("missing", 3) == 3
        assert p.integrity_check() == ["ok"]
    head = sqlite3.connect(path)
    assert head.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert head.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert head.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    head.close()


def test_bad_recordings_are_refused(project):
    g = project.add_gesture("tap")
    with pytest.raises(ProjectError, match="channels"):
        project.add_take(g.id, _samples(0), 100.0, CH[:3], UN[:3])
    with pytest.raises(ProjectError, match="sample rate"):
        project.add_take(g.id, _samples(0), 0.0, CH, UN)
    with pytest.raises(ProjectError, match="infinite"):
        project.add_take(g.id, np.full((10, 6), np.inf, np.float32), 100.0, CH, UN)
    with pytest.raises(ProjectError, match="Trim"):
        project.add_take(g.id, _samples(0, 50), 100.0, CH, UN, trim=(10, 60))
    with pytest.raises(ProjectError, match="no gesture"):
        project.add_take(999, _samples(0), 100.0, CH, UN)
    with pytest.raises(ProjectError, match="JSON"):
        project.set_setting("bad", object())
    assert project.takes() == []


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_empty_names_refused(project, name):
    with pytest.raises(ProjectError, match="empty"):
        project.add_gesture(name)
    assert project.gestures() == []


def test_duplicate_names_refused_ignoring_case(project):
    wave = project.add_gesture("Wave")
    with pytest.raises(ProjectError, match="already exists"):
        project.add_gesture("  wAVE ")
    other = project.add_gesture("shake")
    with pytest.raises(ProjectError, match="already exists"):
        project.rename_gesture(other.id, "WAVE")
    with pytest.raises(ProjectError, match="already exists"):
        project.duplicate_gesture(wave.id, "wave")
    assert project.rename_gesture(wave.id, "wave").name == "wave"  # a change of case only is fine
    assert [g.name for g in project.gestures()] == ["wave", "shake"]


def test_edits_and_duplicate(project):
    g = project.add_gesture("push", "push forward")
    t1 = project.add_take(g.id, _samples(1), 100.0, CH, UN)
    project.add_take(g.id, _samples(2), 100.0, CH, UN)
    updated = project.update_gesture(g.id, description="push away", colour="#00ff00", enabled=False,
                                     output={"key": "space"})
    assert (updated.description, updated.colour, updated.enabled, updated.output) == \
        ("push away", "#00ff00", False, {"key": "space"})
    with pytest.raises(ProjectError, match="Unknown"):
        project.update_gesture(g.id, samples=1)
    with pytest.raises(ProjectError, match="colour"):
        project.update_gesture(g.id, colour="red")
    copy = project.duplicate_gesture(g.id, "push 2")
    assert len(project.takes(copy.id)) == 2
    assert project.takes(copy.id)[0].samples.tobytes() == t1.samples.tobytes()
    other = project.add_gesture("pull")
    assert project.relabel_take(t1.id, other.id).gesture_id == other.id
    assert project.set_trim(t1.id, 5, 50).trim_start == 5
    assert project.set_quality(t1.id, 0.25).quality == 0.25
    assert project.take_counts() == {g.id: 1, copy.id: 2, other.id: 1}


def test_delete_and_restore_gesture_identically(project):
    g = project.add_gesture("circle", "draw a circle", output={"osc": "/c"})
    takes = [project.add_take(g.id, _samples(i), 100.0, CH, UN, trim=(1, 90), quality=0.5) for i in range(3)]
    before_g, before_t = project.gesture(g.id), project.takes(g.id)
    snapshot = project.delete_gesture(g.id)
    assert project.gestures() == [] and project.takes() == []
    restored = project.restore_gesture(snapshot)
    assert restored == before_g
    after = project.takes(g.id)
    assert [t.id for t in after] == [t.id for t in takes]
    for a, b in zip(after, before_t):
        assert a.samples.tobytes() == b.samples.tobytes()
        assert (a.recorded_at, a.trim_start, a.quality) == (b.recorded_at, b.trim_start, b.quality)
    project.add_gesture("CIRCLE 2")
    snap2 = project.delete_gesture(g.id)
    project.add_gesture("Circle")  # the name was taken meanwhile: restoring must refuse, not clobber
    with pytest.raises(ProjectError, match="already exists"):
        project.restore_gesture(snap2)


def test_delete_and_restore_take(project):
    g = project.add_gesture("tap")
    t = project.add_take(g.id, _samples(3), 100.0, CH, UN, device="d", user="u")
    snapshot = project.delete_take(t.id)
    with pytest.raises(ProjectError, match="no take"):
        project.take(t.id)
    back = project.restore_take(snapshot)
    assert back.id == t.id and back.samples.tobytes() == t.samples.tobytes() and back.recorded_at == t.recorded_at
    with pytest.raises(ProjectError, match="not a gesture snapshot"):
        project.restore_gesture(snapshot)


def test_transaction_groups_or_rolls_back(project):
    with pytest.raises(ProjectError):
        with project.transaction():
            project.add_gesture("a")
            project.add_gesture("A")
    assert project.gestures() == []


def test_save_as_continues_in_the_copy(tmp_path):
    path = _filled(tmp_path)
    with Project.open(path) as p:
        p.save_as(tmp_path / "copy.gesture")
        assert p.path == tmp_path / "copy.gesture"
        p.add_gesture("only in copy")
    with Project.open(path) as original, Project.open(tmp_path / "copy.gesture") as copy:
        assert len(original.gestures()) == 3 and len(copy.gestures()) == 4
        assert [t.samples.tobytes() for t in original.takes()] == [t.samples.tobytes() for t in copy.takes()]
        assert copy.get_setting("sensitivity") == 0.5


def test_create_refuses_existing_file_unless_overwrite(tmp_path):
    path = _filled(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="already exists"):
        Project.create(path)
    assert path.read_bytes() == before
    with Project.create(path, overwrite=True) as p:
        assert p.gestures() == [] and p.integrity_check() == ["ok"]
        p.add_gesture("fresh")
    with Project.open(path) as p:
        assert [g.name for g in p.gestures()] == ["fresh"]
    # only the project and its advisory lock (kept: deleting a lock file races with the next opener)
    assert sorted(f.name for f in tmp_path.iterdir()) == [".filled.gesture.lock", "filled.gesture"]


def test_reorder_gestures(project):
    ids = [project.add_gesture(name).id for name in ("a", "b", "c")]
    assert [g.name for g in project.reorder_gestures([ids[2], ids[0], ids[1]])] == ["c", "a", "b"]
    with pytest.raises(ProjectError, match="exactly once"):
        project.reorder_gestures([ids[0], ids[0], ids[1]])
    assert [g.name for g in project.gestures()] == ["c", "a", "b"]


def _refused_unchanged(path: Path, match: str) -> None:
    before = path.read_bytes()
    listing = sorted(os.listdir(path.parent))
    with pytest.raises(ProjectError, match=match):
        Project.open(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == listing


@pytest.mark.parametrize("damage", ["truncate", "page", "btree", "header"])
def test_corrupt_file_refused_and_untouched(tmp_path, damage):
    path = _filled(tmp_path)
    data = path.read_bytes()
    page = 4096
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "page":
        data = data[:page] + b"\xab" * page + data[2 * page:]
    elif damage == "btree":
        data = data[: 9 * page] + bytes(range(256)) * 16 + data[10 * page:]
    else:
        data = data[:16] + bytes(range(84)) + data[100:]
    path.write_bytes(data)
    _refused_unchanged(path, "damaged")


def test_non_sqlite_and_empty_files_refused(tmp_path):
    text = tmp_path / "notes.gesture"
    text.write_text("this is not a database\n")
    _refused_unchanged(text, "not an SQLite database")
    empty = tmp_path / "empty.gesture"
    empty.write_bytes(b"")
    _refused_unchanged(empty, "empty")
    with pytest.raises(ProjectError, match="does not exist"):
        Project.open(tmp_path / "missing.gesture")
    with pytest.raises(ProjectError, match="folder"):
        Project.open(tmp_path)


def test_foreign_sqlite_refused_and_untouched(tmp_path):
    path = tmp_path / "contacts.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.execute("INSERT INTO people VALUES ('ada')")
    conn.commit()
    conn.close()
    _refused_unchanged(path, "another program")


def test_newer_schema_refused_and_untouched(tmp_path):
    path = _filled(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    _refused_unchanged(path, "newer version")


def test_migration_from_version_1(tmp_path):
    path = tmp_path / "old.gesture"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    x = _samples(7)
    conn.execute("INSERT INTO gestures (id, name, name_key, description, colour, enabled, created_at) "
                 "VALUES (4, 'Wave', 'wave', 'old wave', '#123456', 1, 0)")
    conn.execute("INSERT INTO takes (gesture_id, samples, n_samples, n_channels, rate_hz, channels, units, "
                 "recorded_at) VALUES (4, ?, 120, 6, 50.0, ?, ?, 1.5)",
                 (x.astype("<f4").tobytes(), str(CH).replace("'", '"'), str(UN).replace("'", '"')))
    conn.commit()
    conn.close()
    with Project.open(path) as p:
        g = p.gesture(4)
        assert (g.name, g.output, g.position) == ("Wave", {}, 4)
        take = p.takes(4)[0]
        assert take.quality is None and take.samples.tobytes() == x.tobytes() and take.rate_hz == 50.0
        p.add_gesture("new", output={"osc": "/x"})
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from studio.project import Project
    p = Project.open(sys.argv[1])
    g = p.gestures()[0]
    i = 0
    while True:
        take = p.add_take(g.id, np.full((400, 6), i, np.float32), 100.0, ["a"] * 6, ["g"] * 6)
        print(take.id, i, flush=True)
        i += 1
""")


def test_autosave_survives_kill_9(tmp_path):
    path = tmp_path / "live.gesture"
    with Project.create(path) as p:
        p.add_gesture("wave")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True,
                             env=env, cwd=REPO)
    reported = {}
    try:
        for line in child.stdout:
            take_id, value = map(int, line.split())
            reported[take_id] = value
            if len(reported) == 25:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert len(reported) == 25
    with Project.open(path) as p:
        assert p.integrity_check() == ["ok"]
        stored = {t.id: t for t in p.takes()}
        for take_id, value in reported.items():
            assert take_id in stored
            assert np.all(stored[take_id].samples == value)


def test_any_float32_recording_round_trips_bit_exact(tmp_path):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    finite_or_nan = st.floats(width=32, allow_infinity=False)
    with Project.create(tmp_path / "h.gesture") as p:
        g = p.add_gesture("any")

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(arrays(np.float32, st.tuples(st.integers(1, 40), st.integers(1, 8)), elements=finite_or_nan),
               st.floats(0.5, 2000.0))
        def check(x, rate):
            names = [f"c{i}" for i in range(x.shape[1])]
            take = p.add_take(g.id, x, rate, names, ["u"] * x.shape[1])
            back = p.take(take.id)
            assert back.samples.tobytes() == x.tobytes() and back.rate_hz == rate

        check()


def test_delete_negative_removes_only_that_recording(project):
    first = project.add_negative(_samples(3, 200), 100.0, CH, UN)
    second = project.add_negative(_samples(4, 250), 100.0, CH, UN)
    project.delete_negative(first.id)
    assert [n.id for n in project.negatives()] == [second.id]
    assert project.negatives()[0].samples.shape == (250, 6)


@pytest.mark.parametrize("extra, words", [
    ({"quality": "high"}, "quality must be a number"),
    ({"recorded_at": "yesterday"}, "recording time must be a number"),
    ({"trim": "x"}, "Trim marks must be a (start, end) pair"),
    ({"trim": ("a", 5)}, "Trim marks must be whole sample numbers"),
])
def test_bad_take_fields_are_refused_and_nothing_is_stored(project, extra, words):
    g = project.add_gesture("wave")
    with pytest.raises(ProjectError, match=re.escape(words)):
        project.add_take(g.id, _samples(1, 50), 100.0, CH, UN, **extra)
    assert project.takes() == []


def test_output_mapping_must_be_a_dict_when_adding(project):
    with pytest.raises(ProjectError, match="output mapping must be a dict"):
        project.add_gesture("wave", output="x")
    assert project.gestures() == []


def test_damaged_take_is_reported_by_name(tmp_path):
    path = tmp_path / "p.gesture"
    x = _samples(3)
    with Project.create(path) as p:
        wave = p.add_gesture("wave")
        p.add_take(wave.id, x, 100.0, CH, UN)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT checksum FROM takes").fetchone()[0] is not None
    blob = bytearray(conn.execute("SELECT samples FROM takes").fetchone()[0])
    blob[40:48] = b"\xff\x7f\xff\x7f\x00\x00\xc0\x7f"  # stray bytes: a huge number and a NaN
    conn.execute("UPDATE takes SET samples = ?", (bytes(blob),))
    conn.commit()
    conn.close()
    with Project.open(path) as p:
        with pytest.raises(ProjectError, match="wave.*damaged"):
            p.takes()


def test_migration_to_checksums_keeps_old_takes_readable(tmp_path):
    path = tmp_path / "old.gesture"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.executescript(MIGRATIONS[1])
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 2")
    x = _samples(5)
    conn.execute("INSERT INTO gestures (id, name, name_key, description, colour, enabled, created_at) "
                 "VALUES (1, 'Wave', 'wave', '', '#123456', 1, 0)")
    conn.execute("INSERT INTO takes (gesture_id, samples, n_samples, n_channels, rate_hz, channels, units, "
                 "recorded_at) VALUES (1, ?, 120, 6, 50.0, ?, ?, 1.5)",
                 (x.astype("<f4").tobytes(), str(CH).replace("'", '"'), str(UN).replace("'", '"')))
    conn.commit()
    conn.close()
    with Project.open(path) as p:
        assert p.takes()[0].samples.tobytes() == x.tobytes()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT checksum FROM takes").fetchone()[0] is not None
    conn.close()


def test_a_project_open_in_another_process_is_refused_plainly(tmp_path):
    path = tmp_path / "p.gesture"
    Project.create(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from studio.project import Project; p = Project.open(sys.argv[1]); "
         "print('open', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(ProjectError, match="open in another"):
            Project.open(path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with Project.open(path) as p:  # once the other closes it, it opens again
        p.add_gesture("wave")
