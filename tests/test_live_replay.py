"""A recording replayed at any speed gives the events of real time; ``studio live`` on a replay ends by
itself with a summary and an events log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from shape_model import ShapeModel
from tiny_show import make_show

from studio import synth
from studio.devices.registry import open_source
from studio.devices.simulator import SimulatedIMU
from studio.recognition.live import LiveRecogniser
from studio.recognition.recogniser import Recogniser
from studio.signals.stream import CANONICAL_CHANNELS

REPO = Path(__file__).resolve().parents[1]
RATE = 100.0
GESTURES = ("circle_cw", "shake", "swipe_left")


def _recording(path: Path, performances: int = 6, seed: int = 4) -> Path:
    """Simulator stream of ``performances`` gestures 3 s apart, as an .npz recording."""
    sim = SimulatedIMU(RATE, seed=seed, realtime=False)
    sim.open()
    chunks = [sim.read() for _ in range(int(1.5 * RATE / sim.chunk))]
    for i in range(performances):
        sim.perform(GESTURES[i % len(GESTURES)])
        chunks += [sim.read() for _ in range(int(3.0 * RATE / sim.chunk))]
    t = np.concatenate([c.t for c in chunks])
    np.savez(path, t=t - t[0], data=np.concatenate([c.data for c in chunks]), channels=np.array(CANONICAL_CHANNELS))
    return path


@pytest.fixture(scope="module")
def recogniser():
    rec = Recogniser(ShapeModel())
    rng = np.random.default_rng(1)
    for name in GESTURES:
        rec.set_class(name, synth.GESTURES[name].description,
                      [synth.render_gesture(name, rng, RATE) for _ in range(3)], RATE)
    rec.calibrate_default()
    return rec


def _decisions(rec, uri: str) -> tuple[list[tuple], list[tuple]]:
    """(every movement the live recogniser decided on, the events) for a replay."""
    source = open_source(uri)
    source.open()
    seen = []
    live = LiveRecogniser(rec, RATE, on_candidate=seen.append)
    while not source.finished:
        chunk = source.read(0.05)
        if chunk is not None:
            live.feed(chunk)  # at speed=0: chunks of 1000 samples, longer than the live buffer
    live.flush()
    movements = [(c.reason, c.label, c.t_start, c.t_end, round(c.duration_s, 6)) for c in seen]
    return movements, [(e.gesture, e.move_start, e.move_end, e.decided) for e in live.events]


def test_replay_at_any_speed_gives_the_events_of_real_time(tmp_path, recogniser):
    path = _recording(tmp_path / "rec.npz")
    fast = _decisions(recogniser, f"replay://{path}?speed=0")
    paced = _decisions(recogniser, f"replay://{path}?speed=25")  # 19.5 s of stream in under a second
    assert len(fast[0]) == 6  # each performance found as one movement
    assert fast == paced
    for _, _, _, _, duration in fast[0]:
        assert 0.2 < duration < 3.0  # in the recording's own seconds, not a fraction of them
    for _, _, end, decided in fast[1]:
        assert end < decided < end + 0.4  # decided after the quiet that ends a movement


class AcceptAll:
    """Accepts every window as a shake, with evidence ``similarity`` against the line at 0.5."""

    def __init__(self, similarity: float = 1.0) -> None:
        self.similarity = similarity
        self.calls = 0

    def predict(self, window, rate_hz, channels):
        self.calls += 1
        return SimpleNamespace(label="shake", confidence=0.9, scores={"shake": 0.9}, rejected=False,
                               similarity=self.similarity, threshold=0.5)


@pytest.mark.parametrize("similarity, early", [(1.0, True), (0.55, False)])
def test_a_clear_gesture_fires_before_the_full_quiet_gap_and_only_once(similarity, early):
    sim = SimulatedIMU(RATE, seed=6, realtime=False)
    sim.open()
    rec = AcceptAll(similarity)
    live = LiveRecogniser(rec, RATE)
    for _ in range(int(1.5 * RATE / sim.chunk)):
        live.feed(sim.read())
    sim.perform("circle_cw")
    for _ in range(int(4 * RATE / sim.chunk)):
        live.feed(sim.read())
    assert [e.gesture for e in live.events] == ["shake"]
    waited = live.events[0].decided - live.events[0].move_end
    cfg = live.config
    if early:  # clear evidence: out after the short quiet, not the full gap
        assert waited < cfg.gap_s and rec.calls == 1
    else:  # borderline evidence: a first look, then the usual decision after the full gap
        assert waited >= cfg.gap_s and rec.calls == 2


def test_flush_decides_a_movement_the_stream_ends_in():
    sim = SimulatedIMU(RATE, seed=2, realtime=False)
    sim.open()
    live = LiveRecogniser(AcceptAll(), RATE)
    for _ in range(int(1.5 * RATE / sim.chunk)):
        live.feed(sim.read())
    sim.perform("shake")
    while True:  # stop feeding right at the end of the movement: no quiet follows
        chunk = sim.read()
        live.feed(chunk)
        if sim.performed() and chunk.seq[-1] >= sim.performed()[0][2]:
            break
    assert live.events == []
    assert [e.gesture for e in live.flush()] == ["shake"]
    assert live.flush() == []  # nothing left in progress


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    """A project with three gestures (3 takes each), a tiny model checkpoint (torch) and a recording."""
    pytest.importorskip("torch")
    folder = make_show(tmp_path_factory.mktemp("replay_show"), GESTURES)
    _recording(folder / "rec.npz", performances=4)
    return folder


def _live(show: Path, speed: str, events: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "studio", "live", str(show / "show.gesture"), "--model",
                           str(show / "model"), "--device", f"replay://{show / 'rec.npz'}?speed={speed}",
                           "--sensitivity", "1", "--heartbeat", "0", "--events-jsonl", str(events)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_live_ends_with_a_replay_and_prints_a_summary(show, tmp_path):
    runs = {}
    for speed in ("0", "10"):
        proc = _live(show, speed, tmp_path / f"events_{speed}.jsonl")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        summary = [line for line in proc.stdout.splitlines() if "summary:" in line]
        assert len(summary) == 1, proc.stdout
        assert " s of stream (" in summary[0] and "events per hour" in summary[0]
        records = [json.loads(line) for line in (tmp_path / f"events_{speed}.jsonl").read_text().splitlines()]
        n = int(summary[0].split("summary: ")[1].split(" events")[0])
        assert len(records) == n
        assert all({"gesture", "confidence", "movement_start", "movement_end", "emitted"} <= set(r) for r in records)
        assert all(r["gesture"] in GESTURES and r["movement_start"] < r["movement_end"] for r in records)
        runs[speed] = [(r["gesture"], r["movement_start"], r["movement_end"]) for r in records]
    assert runs["0"] == runs["10"]  # the same events at any replay speed (sample times from the recording)


def test_expected_false_triggers_per_hour_follow_the_sensitivity(recogniser):
    """The default calibration says how many movements ordinary movement offers per hour; the share of
    its negatives accepted at a sensitivity gives the false triggers per hour to expect there."""
    assert recogniser.offered_per_hour and recogniser.offered_per_hour > 0
    curve = [recogniser.false_triggers_per_hour(s) for s in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert curve == sorted(curve) and curve[2] < curve[-1]
    evidence = recogniser.negative_evidence()
    assert len(evidence) == len(recogniser._neg_windows[0])
    rec = Recogniser(ShapeModel())
    rec.set_class("shake", "shake it", [synth.render_gesture("shake", np.random.default_rng(0), RATE)], RATE)
    rec.calibrate([synth.render_idle(np.random.default_rng(1), 3.0, RATE)], RATE)
    assert rec.false_triggers_per_hour() is None  # windows without a rate of offered movements


def test_studio_live_uses_the_projects_cached_description_vectors(tmp_path, monkeypatch):
    """A project the studio has embedded descriptions for starts `studio live` without the text model."""
    from studio.live_cmd import build_recogniser
    from studio.model.onnx_model import load_inference_model
    from studio.model.text import TEXT_DIM
    from studio.project import Project, text_cache
    from studio.recognition.startup import text_encoder_of

    model = load_inference_model()
    encoder = text_encoder_of(model)
    if encoder is None or not getattr(encoder, "model_id", ""):
        pytest.skip("the shipped model has no cacheable text encoder")

    def no_text_model(texts):
        raise AssertionError(f"the text model was asked for {texts}")

    monkeypatch.setattr(encoder, "_encode", no_text_model)  # sentences not in the encoder's cache end here
    project = Project.create(tmp_path / "cached.gesture")
    try:
        rng = np.random.default_rng(0)
        vectors = {}
        for name in GESTURES:  # sentences no earlier test has embedded
            g = project.add_gesture(name, f"{synth.GESTURES[name].description} ({tmp_path.name})")
            v = rng.normal(size=TEXT_DIM)
            vectors[g.description] = (v / np.linalg.norm(v)).astype(np.float32)
        text_cache.store_vectors(project, encoder.model_id, vectors)
        rec, gestures = build_recogniser(project, model)
    finally:
        project.close()
    assert [g.name for g in gestures] == list(GESTURES) and set(rec.classes) == set(GESTURES)
