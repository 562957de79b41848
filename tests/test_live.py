"""Live segmentation and recognition on simulator data (non-realtime, so no timing races)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from studio.devices.simulator import SimulatedIMU
from studio.recognition.live import LiveConfig, LiveRecogniser
from studio.signals.stream import Chunk

RATE = 100.0


class CountingRecogniser:
    """Accepts every window as ``label`` (or rejects all), recording the windows it was given."""

    def __init__(self, label: str | None = "gesture") -> None:
        self.label = label
        self.windows: list[np.ndarray] = []

    def predict(self, window, rate_hz, channels):
        self.windows.append(np.array(window))
        self.channels = channels
        rejected = self.label is None
        return SimpleNamespace(label=self.label, confidence=0.0 if rejected else 0.9,
                               scores={"gesture": 0.9}, rejected=rejected)


def _stream(sim: SimulatedIMU, live: LiveRecogniser, seconds: float) -> None:
    for _ in range(int(round(seconds * sim.rate_hz / sim.chunk))):
        live.feed(sim.read())


def _performances(sim: SimulatedIMU) -> list[tuple[str, float, float]]:
    return [(name, sim._t0 + a / sim.rate_hz, sim._t0 + b / sim.rate_hz) for name, a, b in sim.performed()]


@pytest.fixture
def sim():
    source = SimulatedIMU(RATE, seed=3, realtime=False)
    source.open()
    yield source
    source.close()


def test_one_event_per_performed_gesture(sim):
    rec = CountingRecogniser()
    events, candidates = [], []
    live = LiveRecogniser(rec, RATE, on_event=events.append, on_candidate=candidates.append)
    _stream(sim, live, 2.0)
    assert events == []  # holding still before anything is performed
    for name in sim.gesture_names():
        sim.perform(name)
        _stream(sim, live, 4.0)
    performed = _performances(sim)
    assert len(performed) == len(sim.gesture_names())
    hits = [[e for e in events if e.t_start < end and e.t_end > start] for _, start, end in performed]
    assert max(len(h) for h in hits) == 1  # never two events for one performance
    # Energy segmentation misses at most the odd slow, small gesture near the noise floor ...
    assert sum(len(h) == 1 for h in hits) >= len(performed) - 1
    # ... and rarely proposes a stray movement (the recogniser's rejection is there for those).
    assert len(events) - sum(len(h) for h in hits) <= 1
    # the window is centred on the movement: it covers the gesture's core and is not longer than the model's
    for e in events:
        assert e.t_end - e.t_start <= LiveConfig().window_s + 1e-6
        assert e.latency_s >= 0
    assert len(rec.windows) == len([c for c in candidates if c.reason in ("event", "rejected")])


def test_refractory_period_suppresses_a_quick_second_movement():
    def bursts(gap_s: float) -> np.ndarray:
        rng = np.random.default_rng(0)
        n = int(8 * RATE)
        x = np.zeros((n, 6), np.float32)
        x[:, 2] = 1.0
        x += rng.normal(0, 0.003, x.shape).astype(np.float32)
        burst = int(0.5 * RATE)
        phase = np.linspace(0, 2 * np.pi, burst)
        for start_s in (2.0, 2.5 + gap_s):
            i = int(start_s * RATE)
            x[i:i + burst, 5] += 300 * np.sin(phase)
        return x

    def run(x: np.ndarray, refractory: float):
        events, candidates = [], []
        live = LiveRecogniser(CountingRecogniser(), RATE, on_event=events.append,
                              on_candidate=candidates.append, config=LiveConfig(refractory_s=refractory))
        t = np.arange(len(x)) / RATE
        for i in range(0, len(x), 4):
            live.push(t[i:i + 4], x[i:i + 4])
        return events, candidates

    x = bursts(gap_s=0.35)  # quiet gap longer than the segmentation gap: two movements
    events, candidates = run(x, refractory=0.0)
    assert len(events) == 2
    events, candidates = run(x, refractory=1.0)
    assert len(events) == 1
    assert [c.reason for c in candidates] == ["event", "refractory"]


def test_rejected_windows_emit_nothing(sim):
    rec = CountingRecogniser(label=None)
    events, candidates = [], []
    live = LiveRecogniser(rec, RATE, on_event=events.append, on_candidate=candidates.append)
    _stream(sim, live, 2.0)
    for name in ("circle_cw", "shake", "swipe_left"):
        sim.perform(name)
        _stream(sim, live, 4.0)
    assert events == []
    assert [c.reason for c in candidates] == ["rejected"] * 3


def test_clock_restart_resets_and_empty_chunks_are_ignored():
    live = LiveRecogniser(CountingRecogniser(), RATE)
    assert live.feed(Chunk(np.zeros(0), np.zeros((0, 6), np.float32))) == []
    x = np.zeros((50, 6), np.float32)
    live.push(np.arange(50) / RATE + 10.0, x)
    live.push(np.arange(50) / RATE, x)  # the device restarted its clock: no error, buffer starts over
    assert live._buf.written == 50


def test_holding_still_proposes_nothing():
    """With an accept-everything recogniser, only segmentation stands between sensor noise and events."""
    from studio import synth

    rng = np.random.default_rng(11)
    events = []
    for _ in range(3):
        live = LiveRecogniser(CountingRecogniser(), RATE, on_event=events.append)
        x = synth.render_idle(rng, 40.0, RATE, kind="still")
        t = np.arange(len(x)) / RATE
        for i in range(0, len(x), 5):
            live.push(t[i:i + 5], x[i:i + 5])
    assert events == []


@pytest.fixture(scope="module")
def calibrated_recogniser():
    """The shipped model with three gestures (3 takes each), calibrated on ordinary movement."""
    torch = pytest.importorskip("torch")
    from studio import synth
    from studio.model import load_model
    from studio.model.checkpoint import CheckpointError
    from studio.recognition.recogniser import Recogniser

    torch.set_num_threads(1)
    try:
        model = load_model()
    except CheckpointError as err:
        pytest.skip(f"shipped weights not available: {err}")
    rng = np.random.default_rng(1)
    rec = Recogniser(model)
    for name in ("circle_cw", "shake", "swipe_left"):
        rec.set_class(name, synth.GESTURES[name].description,
                      [synth.render_gesture(name, rng, RATE) for _ in range(3)], RATE)
    rec.calibrate([synth.render_idle(rng, 3.0, RATE) for _ in range(40)], RATE)
    return rec


def test_ordinary_movement_produces_no_events(calibrated_recogniser):
    from studio import synth

    rng = np.random.default_rng(7)
    events, candidates = [], []
    for kind in ("still", "fidget", "walk"):
        live = LiveRecogniser(calibrated_recogniser, RATE, on_event=events.append, on_candidate=candidates.append)
        x = synth.render_idle(rng, 40.0, RATE, kind=kind)
        t = np.arange(len(x)) / RATE
        for i in range(0, len(x), 5):
            live.push(t[i:i + 5], x[i:i + 5])
    assert any(c.reason == "rejected" for c in candidates)  # walking is proposed, and rejected
    assert events == []


def test_recognises_performed_gestures(sim, calibrated_recogniser):
    events = []
    live = LiveRecogniser(calibrated_recogniser, RATE, on_event=events.append)
    _stream(sim, live, 2.0)
    for name in ["circle_cw", "shake", "swipe_left"] * 4:
        sim.perform(name)
        _stream(sim, live, 4.0)
    correct = sum(any(e.gesture == name and e.t_start < end and e.t_end > start for e in events)
                  for name, start, end in _performances(sim))
    assert correct >= 6  # of 12; chance is 4 (and rejection only lowers it)
    assert len(events) <= 12


def test_live_energy_equals_the_offline_energy(sim):
    from studio.recognition.live import _interior_energy
    from studio.signals.nucleus import motion_energy

    sim.perform("shake")
    x = np.concatenate([sim.read().data for _ in range(120)])
    offline = motion_energy(x, RATE)
    fast = _interior_energy(x, RATE, 20, len(x) - 20)
    assert offline.max() > 1.0  # the gesture is in there
    np.testing.assert_allclose(fast, offline[20:len(x) - 20], rtol=0, atol=1e-9)
    x[50, 4] = np.nan
    assert _interior_energy(x, RATE, 20, len(x) - 20) is None  # NaNs go through the general function


def test_accelerometer_only_and_nine_axis_devices(sim):
    """The recogniser gets only the canonical axes the device has, named."""
    from studio.model.preprocess import to_canonical_order

    for channels, cols in ((("acc_x", "acc_y", "acc_z"), [0, 1, 2]),
                           (("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "mag_x", "mag_y", "mag_z"),
                            [0, 1, 2, 3, 4, 5, 5, 5, 5])):
        rec = CountingRecogniser()
        live = LiveRecogniser(rec, RATE, channels=channels)
        sim.perform("shake")
        for _ in range(int(5 * RATE / sim.chunk)):
            chunk = sim.read()
            live.feed(Chunk(chunk.t, chunk.data[:, cols], chunk.seq))
        assert rec.windows, channels
        assert rec.channels == tuple(c for c in channels if not c.startswith("mag"))
        assert rec.windows[0].shape[1] == len(rec.channels)
        to_canonical_order(rec.windows[0], rec.channels)  # what the model's preprocessing accepts


def test_rhythmic_movement_is_not_offered_as_gestures():
    """Steps every 1.1 s make one movement each; once the rhythm is clear they are not classified,
    and an irregular movement afterwards is."""
    rng = np.random.default_rng(0)
    x = np.zeros((int(30 * RATE), 6), np.float32)
    x[:, 2] = 1.0
    x += rng.normal(0, 0.003, x.shape).astype(np.float32)
    burst = int(0.4 * RATE)
    for k in range(15):
        i = int((2.0 + 1.1 * k) * RATE)
        x[i:i + burst, 3] += 200 * np.sin(np.linspace(0, np.pi, burst))
    i = int(24.0 * RATE)
    x[i:i + 2 * burst, 5] += 300 * np.sin(np.linspace(0, 2 * np.pi, 2 * burst))
    events, candidates = [], []
    live = LiveRecogniser(CountingRecogniser(), RATE, on_event=events.append, on_candidate=candidates.append,
                          config=LiveConfig(refractory_s=0.0))
    t = np.arange(len(x)) / RATE
    for i in range(0, len(x), 5):
        live.push(t[i:i + 5], x[i:i + 5])
    assert [c.reason for c in candidates] == ["event"] * 2 + ["rhythmic"] * 13 + ["event"]
    assert events[-1].t_start > 23.0


def test_nan_samples_do_not_break_segmentation(sim):
    rec = CountingRecogniser()
    live = LiveRecogniser(rec, RATE)
    _stream(sim, live, 2.0)
    sim.perform("shake")
    for k in range(int(4 * RATE / sim.chunk)):
        chunk = sim.read()
        data = chunk.data.copy()
        if k % 7 == 0:
            data[:, 3:] = np.nan  # a packet that lost its gyroscope values
        live.feed(Chunk(chunk.t, data, chunk.seq))
    assert len(rec.windows) == 1
