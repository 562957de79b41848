"""`studio evaluate`: the DATA.npz format, the draws (k-shot, label fraction, subjects), rows and table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio.cli import main as studio_main
from studio.recognition import splits
from studio.recognition.datasets import EvalSet, load_npz, save_npz
from studio.recognition.evaluate import Task, evaluate, format_table, macro_f1

SAMPLE_SETS = Path(__file__).resolve().parent.parent / "resources" / "sample_sets"


def make_set(rng, n_per_class=8, with_split=True, subjects=None) -> EvalSet:
    """Three gesture-like classes on acc_x/acc_z/gyro_y: variable length, NaN-padded, in g and deg/s."""
    series, labels = [], []
    shapes = {
        "swing": lambda t: np.column_stack([np.sin(2 * np.pi * t), np.ones_like(t), 200 * np.cos(2 * np.pi * t)]),
        "lift": lambda t: np.column_stack([0 * t, 1 + 0.8 * np.sin(np.pi * t), 0 * t]),
        "twist": lambda t: np.column_stack([0.1 * t, np.ones_like(t), 300 * np.sin(4 * np.pi * t)]),
    }
    for label, f in shapes.items():
        for _ in range(n_per_class):
            t = np.linspace(0, 1, int(rng.integers(40, 80)))
            x = f(t) * rng.uniform(0.7, 1.3) + rng.normal(0, 0.05, (len(t), 3))
            series.append(x)
            labels.append(label)
    t_max = max(len(s) for s in series)
    X = np.full((len(series), t_max, 3), np.nan, np.float32)
    for i, s in enumerate(series):
        X[i, : len(s)] = s
    n = len(labels)
    split = np.where(np.arange(n) % n_per_class < n_per_class // 2, "train", "test") if with_split else None
    return EvalSet(X=X, y=labels, channels=("acc_x", "acc_z", "gyro_y"), rate_hz=50.0, split=split,
                   subject=subjects, descriptions={"swing": "swing the arm", "lift": "lift the hand"})


class RecordingMethod:
    """TEST-ONLY stand-in (not UniMotion): records what it is given; zero-shot answers the first class."""

    zero_shot = True

    def __init__(self, name: str) -> None:
        self.name = name
        self.tasks: list[Task] = []

    def fit(self, task: Task) -> None:
        self.tasks.append(task)

    def predict(self, series):
        task = self.tasks[-1]
        return [task.take_labels[0] if task.take_labels else task.classes[0]] * len(series)


def test_npz_round_trip_and_text(tmp_path):
    data = make_set(np.random.default_rng(0))
    save_npz(tmp_path / "d.npz", data)
    back = load_npz(tmp_path / "d.npz")
    assert np.array_equal(back.X, data.X, equal_nan=True)
    assert back.y.tolist() == data.y.tolist() and back.channels == data.channels
    assert back.text("swing") == "swing the arm" and back.text("twist") == "twist"  # no description: label
    assert back.rate_hz == 50.0 and back.split.tolist() == data.split.tolist()
    lengths = np.isfinite(data.X).any(axis=2).sum(axis=1)
    assert [len(back.series(i)) for i in range(len(back.y))] == lengths.tolist() and lengths.min() < data.X.shape[1]


def test_npz_errors_are_clear(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable npz"):
        load_npz(tmp_path / "junk.npz")
    for name, content in (("empty.npz", b""), ("cut.npz", b"PK\x03\x04cut short")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match="not a readable npz"):
            load_npz(tmp_path / name)
    np.savez(tmp_path / "nox.npz", y=np.array(["a"]))
    with pytest.raises(ValueError, match="missing fields"):
        load_npz(tmp_path / "nox.npz")
    np.savez(tmp_path / "badch.npz", X=np.zeros((1, 3, 1)), y=np.array(["a"]), channels=np.array(["mag_x"]))
    with pytest.raises(ValueError, match="unknown channel"):
        load_npz(tmp_path / "badch.npz")
    np.savez(tmp_path / "baddesc.npz", X=np.zeros((1, 3, 1)), y=np.array(["a"]), channels=np.array(["acc_x"]),
             descriptions=np.array("{not json"))
    with pytest.raises(ValueError, match="descriptions"):
        load_npz(tmp_path / "baddesc.npz")
    np.savez(tmp_path / "badrate.npz", X=np.zeros((1, 3, 1)), y=np.array(["a"]), channels=np.array(["acc_x"]),
             rate_hz=np.array([50.0, 100.0]))
    with pytest.raises(ValueError, match="rate_hz must be one number"):
        load_npz(tmp_path / "badrate.npz")


def test_k_shot_takes_k_per_class_from_train_only():
    data = make_set(np.random.default_rng(1))
    train, test = splits.train_test(data, np.random.default_rng(0))
    chosen = splits.k_shot(data.y, train, 3, np.random.default_rng(0))
    assert set(chosen) <= set(train)
    assert {c: int((data.y[chosen] == c).sum()) for c in data.labels} == {c: 3 for c in data.labels}
    few = splits.k_shot(data.y, train, 100, np.random.default_rng(0))  # fewer than k: all of them
    assert sorted(few) == sorted(train)


def test_label_fraction_is_stratified_and_disjoint_from_test():
    rng = np.random.default_rng(2)
    data = make_set(rng, n_per_class=40, with_split=False)
    train, test = splits.train_test(data, np.random.default_rng(0))
    assert not set(train) & set(test)
    labelled, unlabeled = splits.label_fraction(data.y, train, 0.1, np.random.default_rng(0))
    assert not set(labelled) & set(unlabeled) and not (set(labelled) | set(unlabeled)) & set(test)
    assert sorted(np.concatenate([labelled, unlabeled])) == sorted(train)
    per_class = {c: int((data.y[labelled] == c).sum()) for c in data.labels}
    assert per_class == {c: 3 for c in data.labels}  # 10 % of 28 train takes, rounded
    tiny, _ = splits.label_fraction(data.y, train, 0.001, np.random.default_rng(0))
    assert sorted(set(data.y[tiny])) == data.labels  # at least one per class


def test_subject_disjoint_split_without_split_field():
    data0 = make_set(np.random.default_rng(3), n_per_class=12, with_split=False)
    subjects = np.array([f"p{i % 6}" for i in range(len(data0.y))])
    data = make_set(np.random.default_rng(3), n_per_class=12, with_split=False, subjects=subjects)
    for seed in range(5):
        train, test = splits.train_test(data, np.random.default_rng(seed))
        assert len(test) and len(train)
        assert not set(data.subject[train]) & set(data.subject[test])
        assert len(set(data.subject[test])) == 2  # 30 % of 6 people


def test_methods_get_identical_takes_and_unlabeled_only_with_label_fraction():
    data = make_set(np.random.default_rng(4), n_per_class=10)
    a, b = RecordingMethod("a"), RecordingMethod("b")
    rows = evaluate(data, shots=[0, 2], label_fraction=0.4, seeds=2, methods=[a, b])
    assert len(a.tasks) == len(b.tasks) == 1 + 2 + 2  # zero-shot once (fixed split), 2 settings x 2 seeds
    for ta, tb in zip(a.tasks, b.tasks):
        assert len(ta.takes) == len(tb.takes)
        assert all(np.array_equal(x, y) for x, y in zip(ta.takes, tb.takes))
    zero, two_shot, fraction = a.tasks[0], a.tasks[1], a.tasks[2]
    assert zero.takes == [] and zero.descriptions["swing"] == "swing the arm"
    assert len(two_shot.takes) == 6 and two_shot.unlabeled == []
    assert len(fraction.takes) == 6 and len(fraction.unlabeled) == 15 - 6  # 5 train per class; 40 % -> 2
    assert {(r["method"], r["setting"]) for r in rows} == {
        (m, s) for m in "ab" for s in ("zero-shot", "2-shot", "40%-labels")}


def test_evaluate_cli_end_to_end_with_peers(tmp_path, capsys):
    data = make_set(np.random.default_rng(5), n_per_class=8)
    save_npz(tmp_path / "data.npz", data)
    out = tmp_path / "rows.json"
    rc = studio_main(["evaluate", str(tmp_path / "data.npz"), "--shots", "0,1,3", "--seeds", "1",
                      "--methods", "dtw_1nn,minirocket,kernels", "--json", str(out), "--quiet"])
    assert rc == 0
    rows = json.loads(out.read_text())
    assert {(r["method"], r["setting"]) for r in rows} == {
        (m, s) for m in ("dtw_1nn", "minirocket", "kernels") for s in ("1-shot", "3-shot", "10%-labels")}
    for r in rows:
        assert {"method", "setting", "accuracy", "macro_f1", "n_test"} <= set(r)
        assert 0.0 <= r["accuracy"] <= 1.0 and 0.0 <= r["macro_f1"] <= 1.0 and r["n_test"] == 12
    dtw3 = next(r for r in rows if r["method"] == "dtw_1nn" and r["setting"] == "3-shot")
    assert dtw3["accuracy"] >= 0.9 and dtw3["n_labelled"] == 9
    kernels3 = next(r for r in rows if r["method"] == "kernels" and r["setting"] == "3-shot")
    assert kernels3["accuracy"] >= 0.9
    printed = capsys.readouterr().out
    zero_line = next(line for line in printed.splitlines() if line.startswith("zero-shot"))
    assert zero_line.count("n/a") == 3


def test_evaluate_cli_rejects_bad_arguments(tmp_path, capsys):
    assert studio_main(["evaluate", str(tmp_path / "missing.npz"), "--methods", "dtw_1nn"]) == 2
    assert studio_main(["evaluate", str(tmp_path / "missing.npz"), "--methods", "knn"]) == 2
    assert "unknown method" in capsys.readouterr().err
    save_npz(tmp_path / "data.npz", make_set(np.random.default_rng(5), n_per_class=8))
    for rate in ("-5", "nan"):
        assert studio_main(["evaluate", str(tmp_path / "data.npz"), "--methods", "dtw_1nn", "--rate-hz", rate]) == 2
        assert "rate_hz must be a finite rate" in capsys.readouterr().err
    single = EvalSet(X=np.zeros((2, 20, 1), np.float32), y=np.array(["a", "b"]), channels=("acc_x",))
    save_npz(tmp_path / "single.npz", single)
    assert studio_main(["evaluate", str(tmp_path / "single.npz"), "--methods", "dtw_1nn,minirocket"]) == 2
    assert "no takes left to test on" in capsys.readouterr().err


def test_macro_f1_matches_definition():
    assert macro_f1(["a", "a", "b", "b"], ["a", "a", "b", "b"]) == 1.0
    # a: tp1 fp1 fn1 -> 0.5; b: tp1 fp1 fn1 -> 0.5; c: predicted only -> 0
    assert macro_f1(["a", "a", "b", "b"], ["a", "b", "b", "c"]) == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_format_table_marks_missing_cells():
    rows = [{"method": "x", "setting": "1-shot", "accuracy": 0.5, "macro_f1": 0.25, "n_test": 10}]
    table = format_table(rows, ["x", "y"], ["zero-shot", "1-shot"])
    assert "50.0 (25.0)" in table and table.splitlines()[1].count("n/a") == 2


@pytest.mark.parametrize("name, n, channels, n_classes", [
    ("basic_motions", 80, 6, 4),
    ("pickup_gesture_wiimote_z", 100, 1, 10),
    ("all_gesture_wiimote_x", 1000, 1, 10),
])
def test_shipped_real_sets_load(name, n, channels, n_classes):
    data = load_npz(SAMPLE_SETS / f"{name}.npz")
    assert data.X.shape[0] == n and data.X.shape[2] == channels and len(data.labels) == n_classes
    assert set(data.split) == {"train", "test"} and data.notes


def test_wiimote_descriptions_cover_every_gesture():
    data = load_npz(SAMPLE_SETS / "all_gesture_wiimote_z.npz")
    assert sorted(data.descriptions) == data.labels
    assert data.descriptions["circle_left"] == "one left circle"


def test_packaged_conversion_reproduces_the_shipped_set(tmp_path):
    pytest.importorskip("aeon")
    from studio.recognition.real_sets import build_all

    (path,) = build_all(tmp_path, ["pickup_gesture_wiimote_z"])
    built, shipped = load_npz(path), load_npz(SAMPLE_SETS / "pickup_gesture_wiimote_z.npz")
    assert np.array_equal(built.X, shipped.X, equal_nan=True) and built.y.tolist() == shipped.y.tolist()
    assert built.descriptions == {} and built.labels[0].startswith("subject_")
    with pytest.raises(ValueError, match="unknown set"):
        build_all(tmp_path, ["uwave"])


def test_recogniser_methods_rank_exactly_like_the_recogniser(tmp_path):
    """An untrained tiny checkpoint is enough to check the plumbing (not accuracy)."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from studio.model.checkpoint import save_checkpoint
    from studio.model.config import PRESETS
    from studio.model.encoder import MotionTextModel
    from studio.recognition.evaluate import RecogniserMethod, make_method

    torch.manual_seed(0)
    save_checkpoint(tmp_path / "m", MotionTextModel(PRESETS["tiny"].model), PRESETS["tiny"], step=0)
    shared: dict = {}
    fused = make_method("fused", tmp_path / "m", shared)
    alone = make_method("unimotion", tmp_path / "m", shared)
    kernels = make_method("kernels", tmp_path / "m", shared)
    assert isinstance(fused, RecogniserMethod) and fused.model is alone.model is kernels.model  # loaded once
    assert fused.zero_shot and alone.zero_shot and not kernels.zero_shot

    data = make_set(np.random.default_rng(6), n_per_class=6)
    rows = evaluate(data, shots=[0, 2], label_fraction=None, seeds=1, methods=[fused, alone, kernels])
    assert {(r["method"], r["setting"]) for r in rows} == {
        (m, s) for m in ("fused", "unimotion") for s in ("zero-shot", "2-shot")} | {("kernels", "2-shot")}
    test = [data.series(i) for i in np.nonzero(data.split == "test")[0]]
    for method in (fused, alone, kernels):
        per_window = [method._rec.predict(x, 50.0, data.channels).scores for x in test]
        assert method.predict(test) == [max(p, key=p.get) for p in per_window]
