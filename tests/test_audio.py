"""Audio feedback: cue synthesis, gesture earcons, espeak-ng speech, sinks and the non-blocking player."""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from itertools import combinations

import numpy as np
import pytest

from studio.audio import AudioFeedback, MiniaudioSink, NullSink, RecordingSink, Speech, SpeechError
from studio.audio import cues
from studio.audio.sinks import resample

HAS_ESPEAK = shutil.which("espeak-ng") is not None
needs_espeak = pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng is not installed (apt install espeak-ng)")

ALL_CUES = {
    "countdown": cues.countdown_beep, "go": cues.go_beep, "start": cues.recording_started,
    "stop": cues.recording_stopped, "rejected": cues.rejected, "connected": cues.connected,
    "disconnected": cues.disconnected, **{f"earcon{i}": (lambda i=i: cues.earcon(i)) for i in range(13)},
}


def dominant_hz(segment: np.ndarray, rate: int = cues.RATE) -> float:
    """The strongest frequency in a segment (zero-padded FFT for sub-semitone resolution)."""
    n = 1 << 16
    spectrum = np.abs(np.fft.rfft(segment * np.hanning(segment.size), n))
    return float(np.argmax(spectrum) * rate / n)


def note_pitches(samples: np.ndarray, count: int, note_s: float, gap_s: float) -> list[float]:
    """Dominant frequency of each of ``count`` equally long notes separated by gaps."""
    step, n = int(round((note_s + gap_s) * cues.RATE)), int(round(note_s * cues.RATE))
    return [dominant_hz(samples[i * step: i * step + n]) for i in range(count)]


def semitone_contour(freqs: list[float]) -> tuple[int, ...]:
    return tuple(int(round(12 * np.log2(b / a))) for a, b in zip(freqs, freqs[1:]))


class FakeSpeech:
    """Stands in for espeak-ng: a 300 ms tone per text, optionally held until ``release`` is set.

    ``close`` releases a held synthesis, as killing espeak-ng ends the real one.
    """

    def __init__(self, available: bool = True, hold: bool = False) -> None:
        self.available = available
        self.reason = "" if available else "espeak-ng was not found"
        self.texts: list[str] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.closed = False
        if not hold:
            self.release.set()

    def synthesize(self, text: str):
        self.texts.append(text)
        self.entered.set()
        self.release.wait(30.0)
        if self.closed:
            return None
        return cues.tone(200.0 + 10 * len(text), 0.3), cues.RATE

    def close(self) -> None:
        self.closed = True
        self.release.set()


class FakeClock:
    """A monotonic clock that moves only when the test says, so "stale" never depends on scheduling."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_feedback(sink, **kwargs) -> AudioFeedback:
    """AudioFeedback on a frozen clock (nothing goes stale however slowly the worker runs)."""
    kwargs.setdefault("speech", FakeSpeech(available=False))
    kwargs.setdefault("clock", FakeClock())
    return AudioFeedback(sink, **kwargs)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def feedback(sink):
    fb = make_feedback(sink)
    yield fb
    fb.close()


# --- cues ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ALL_CUES))
def test_every_cue_is_short_audible_and_click_free(name: str) -> None:
    samples = ALL_CUES[name]()
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert 0.05 <= samples.size / cues.RATE <= cues.MAX_CUE_S
    assert np.all(np.isfinite(samples)) and np.max(np.abs(samples)) <= 1.0
    assert np.sqrt(np.mean(samples ** 2)) > 0.05
    # Faded ends: a sound that starts or stops at a non-zero level clicks.
    assert abs(samples[0]) < 0.01 and abs(samples[-1]) < 0.01
    edge = int(cues.FADE_S * cues.RATE) // 2
    assert np.max(np.abs(samples[:edge])) < 0.5 * np.max(np.abs(samples))


def test_earcon_patterns_are_unique_and_first_ones_differ_in_contour() -> None:
    patterns = cues.earcon_patterns()
    assert len(set(patterns)) == len(patterns) == 150
    contours = {(b > a, c > b) for a, b, c in patterns[:4]}
    assert len(contours) == 4


def test_earcons_differ_in_measured_pitch_contour() -> None:
    measured = []
    for i in range(13):
        pitches = note_pitches(cues.earcon(i), 3, 0.06, 0.015)
        expected = cues.earcon_frequencies(i)
        assert np.allclose(pitches, expected, rtol=0.02), (i, pitches, expected)
        measured.append(pitches)
    # Each pair differs by at least a semitone in some note, so they are told apart by pitch, not loudness.
    for a, b in combinations(range(13), 2):
        semis = np.abs(12 * np.log2(np.array(measured[a]) / np.array(measured[b])))
        assert semis.max() >= 0.9, (a, b)


def test_rejection_is_low_and_falling_below_every_earcon() -> None:
    low = note_pitches(cues.rejected(), 2, 0.1, 0.02)
    assert max(low) < 300 and semitone_contour(low) == (-3,)
    lowest_earcon = min(min(cues.earcon_frequencies(i)) for i in range(len(cues.earcon_patterns())))
    assert lowest_earcon > 500


def test_start_glides_up_and_stop_glides_down() -> None:
    def ends(x: np.ndarray) -> tuple[float, float]:
        quarter = x.size // 4
        return dominant_hz(x[:quarter]), dominant_hz(x[-quarter:])

    up, down = ends(cues.recording_started()), ends(cues.recording_stopped())
    assert up[1] > 1.5 * up[0] and down[0] > 1.5 * down[1]
    assert dominant_hz(cues.go_beep()) > 1.4 * dominant_hz(cues.countdown_beep())


def test_earcon_for_a_name_is_stable_and_ignores_case_and_spacing() -> None:
    assert cues.earcon_index("wave") == cues.earcon_index("  Wave ") == cues.earcon_index("WAVE")
    assert cues.earcon_index("swipe left") == cues.earcon_index("swipe   left")
    assert cues.earcon_index("wave") == 119  # sha256-based: users learn these, so it must never drift


def test_resample_keeps_duration_and_pitch() -> None:
    x = cues.tone(440.0, 0.2)
    y = resample(x, cues.RATE, 48000)
    assert abs(y.size - 0.2 * 48000) <= 1
    assert abs(dominant_hz(y, 48000) - 440.0) < 5


# --- the player ---------------------------------------------------------------------------------------------

def test_recognised_plays_the_gestures_earcon(feedback, sink) -> None:
    feedback.recognised("wave", 0.92)
    (played,) = sink.wait_for(1)
    assert played.label == "recognised:wave" and played.rate == cues.RATE
    assert np.sqrt(np.mean(played.samples ** 2)) > 0.02
    expected = cues.earcon(cues.earcon_index("wave")) * np.float32(feedback.volume)
    assert np.allclose(played.samples, expected)


def test_gestures_of_a_set_get_distinct_earcons_and_rejection_differs(feedback, sink) -> None:
    names = ["wave", "swipe left", "swipe right", "circle", "shake", "tap"]
    feedback.set_gestures(names)
    assert [feedback.earcon_index(n) for n in names] == list(range(len(names)))
    for name in names:
        feedback.recognised(name, 0.8)
        assert feedback.flush()
    feedback.rejected()
    assert feedback.flush()
    played = sink.wait_for(len(names) + 1)
    assert [p.label for p in played] == [f"recognised:{n}" for n in names] + ["rejected"]
    contours = [tuple(np.round(note_pitches(p.samples, 3, 0.06, 0.015))) for p in played[:-1]]
    assert len(set(contours)) == len(names)
    rejection = played[-1].samples
    assert all(p.samples.size != rejection.size or not np.allclose(p.samples, rejection) for p in played[:-1])


def test_every_event_has_its_own_sound(feedback, sink) -> None:
    events = [(lambda: feedback.countdown(3), "countdown:3"), (feedback.go, "go"),
              (lambda: feedback.countdown(0), "go"), (feedback.recording_started, "recording_started"),
              (feedback.recording_stopped, "recording_stopped"), (feedback.connected, "connected"),
              (feedback.disconnected, "disconnected"), (feedback.rejected, "rejected")]
    for call, _ in events:
        call()
        assert feedback.flush()
    played = sink.wait_for(len(events))
    assert [p.label for p in played] == [label for _, label in events]
    distinct = {p.samples.tobytes() for p in played}
    assert len(distinct) == len(events) - 1  # go() and countdown(0) are the same beep


def test_spoken_name_follows_the_earcon(sink) -> None:
    speech = FakeSpeech()
    with make_feedback(sink, speech=speech, volume=1.0) as fb:
        fb.recognised("wave", 0.92)
        (played,) = sink.wait_for(1)
    earcon = cues.earcon(cues.earcon_index("wave"))
    assert speech.texts == ["wave"]
    assert played.samples.size > earcon.size + 0.25 * cues.RATE
    assert np.allclose(played.samples[: earcon.size], earcon)


def test_speech_only_and_names_pre_spoken_when_the_set_is_known(sink) -> None:
    speech = FakeSpeech()
    with make_feedback(sink, speech=speech, earcons=False) as fb:
        fb.set_gestures(["wave", "tap"])
        assert fb.flush()
        assert speech.texts == ["wave", "tap"]
        fb.recognised("tap")
        (played,) = sink.wait_for(1)
    assert np.allclose(played.samples, cues.tone(230.0, 0.3) * np.float32(fb.volume))


def test_a_burst_of_results_does_not_queue_stale_names(sink) -> None:
    speech, clock = FakeSpeech(hold=True), FakeClock()
    with make_feedback(sink, speech=speech, clock=clock, max_delay_s=0.05) as fb:
        fb.recognised("first")
        assert speech.entered.wait(10.0)  # the worker is now busy speaking "first"
        fb.recognised("second")
        fb.recognised("third")  # supersedes "second" while it waits
        fb.countdown(2)  # another channel: kept
        clock.now += 0.2  # "third" is now older than max_delay_s
        speech.release.set()
        assert fb.flush(10.0)
        assert sink.labels == ["recognised:first", "countdown:2"]
        assert fb.superseded == 1 and fb.dropped_stale == 1
        fb.recognised("fresh")
        sink.wait_for(3, timeout=10.0)
    assert sink.labels[-1] == "recognised:fresh"


def test_callers_never_wait_for_speech(sink) -> None:
    speech = FakeSpeech(hold=True)
    with make_feedback(sink, speech=speech) as fb:
        fb.recognised("wave")
        assert speech.entered.wait(10.0)
        for _ in range(100):  # would hang here (the worker is blocked in synthesis) if a call waited for it
            fb.recognised("wave")
            fb.countdown(1)
        assert speech.texts == ["wave"] and sink.labels == []
        speech.release.set()
        assert fb.flush(10.0)
    assert sink.labels == ["recognised:wave", "recognised:wave", "countdown:1"]


def test_missing_speech_falls_back_to_earcon_and_says_so_once(sink) -> None:
    notices: list[str] = []
    with make_feedback(sink, on_notice=notices.append) as fb:
        fb.recognised("wave")
        fb.flush()
        fb.recognised("tap")
        fb.flush()
    assert sink.labels == ["recognised:wave", "recognised:tap"]
    assert len(notices) == 1 and "espeak-ng" in notices[0]
    assert fb.status().speech_available is False


def test_disabled_feedback_is_silent_and_closed_feedback_ignores_events(sink) -> None:
    fb = make_feedback(sink, enabled=False)
    fb.go()
    assert fb.flush() and sink.labels == []
    fb.enabled = True
    fb.go()
    sink.wait_for(1)
    fb.close()
    fb.rejected()
    assert sink.labels == ["go"] and sink.closed


def test_a_failing_sink_does_not_stop_feedback() -> None:
    class Flaky(RecordingSink):
        calls = 0

        def play(self, samples, rate, label):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("device vanished")
            super().play(samples, rate, label)

    sink = Flaky()
    with make_feedback(sink) as fb:
        fb.go()
        assert fb.flush()
        fb.rejected()
        sink.wait_for(1)
    assert sink.labels == ["rejected"]


def test_no_output_is_reported_without_raising() -> None:
    notices: list[str] = []
    with make_feedback(NullSink("no audio output device found"), on_notice=notices.append) as fb:
        fb.recognised("wave")
        fb.go()
        assert fb.flush()
        status = fb.status()
    assert status.output_available is False and "no audio output" in status.output_reason
    assert notices[0] == "No sound: no audio output device found."


def test_close_during_a_slow_synthesis_is_quick_and_plays_nothing_more(sink) -> None:
    speech = FakeSpeech(hold=True)
    fb = make_feedback(sink, speech=speech)
    fb.recognised("wave")
    assert speech.entered.wait(10.0)
    start = time.monotonic()
    fb.close()
    assert time.monotonic() - start < 1.5
    assert speech.closed and sink.closed
    fb._worker.join(10.0)
    assert not fb._worker.is_alive() and sink.labels == []


class SlowDevice:
    """Stands in for miniaudio.PlaybackDevice: its constructor blocks until ``release`` (a slow ALSA probe)."""

    entered = threading.Event()
    release = threading.Event()
    instances: list["SlowDevice"] = []

    def __init__(self, **kwargs) -> None:
        SlowDevice.entered.set()
        SlowDevice.release.wait(30.0)
        self.backend = "null"
        self.closed = False
        SlowDevice.instances.append(self)

    def start(self, generator) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_close_while_the_output_is_opening_never_leaves_a_device_open(monkeypatch) -> None:
    miniaudio = pytest.importorskip("miniaudio")
    monkeypatch.setattr(miniaudio, "PlaybackDevice", SlowDevice)
    for event in (SlowDevice.entered, SlowDevice.release):
        event.clear()
    SlowDevice.instances.clear()
    sink = MiniaudioSink(allow_null=True)
    fb = make_feedback(sink)
    assert SlowDevice.entered.wait(10.0)  # the worker is inside sink.open()
    start = time.monotonic()
    fb.close()
    assert time.monotonic() - start < 1.5
    SlowDevice.release.set()
    fb._worker.join(10.0)
    assert not fb._worker.is_alive()
    assert [d.closed for d in SlowDevice.instances] == [True]
    assert not sink.available and sink.open() is False and sink.reason == "audio output closed"


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script as the synthesiser")
def test_speech_close_kills_a_running_espeak(tmp_path) -> None:
    started = tmp_path / "started"
    exe = tmp_path / "espeak-ng"
    exe.write_text(f"#!/bin/sh\ntouch {started}\nexec sleep 60\n")
    exe.chmod(0o755)
    speech = Speech(executable=str(exe), timeout_s=60.0)
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(speech.synthesize("wave")))
    worker.start()
    deadline = time.monotonic() + 10.0
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started.exists()
    start = time.monotonic()
    speech.close()
    worker.join(10.0)
    assert not worker.is_alive() and time.monotonic() - start < 5.0
    assert results == [None] and speech.synthesize("tap") is None


# --- real backends ------------------------------------------------------------------------------------------

def test_miniaudio_sink_plays_through_the_null_backend() -> None:
    pytest.importorskip("miniaudio")
    sink = MiniaudioSink(allow_null=True)
    try:
        assert sink.open(), sink.reason
        sink.play(cues.countdown_beep(), cues.RATE, "countdown:1")
        assert sink.wait_idle(5.0)  # the device thread consumed every sample
        sink.play(cues.tone(440.0, 2.0), 44100, "long")
        sink.stop()
        assert sink.wait_idle(0.0)
    finally:
        sink.close()
    assert not sink.available and sink.reason


def test_feedback_through_the_real_null_device_and_the_default_sink() -> None:
    pytest.importorskip("miniaudio")
    with make_feedback(MiniaudioSink(allow_null=True)) as fb:
        fb.recognised("wave", 0.9)
        fb.rejected()
        assert fb.flush() and fb.played >= 1
        assert fb.status().output_available
    # Whatever this machine has (a sound card or none), the default sink neither raises nor blocks.
    with AudioFeedback(speech=FakeSpeech(available=False), volume=0.0, clock=FakeClock()) as fb:
        fb.go()
        assert fb.flush()
        status = fb.status()
    assert status.output_available or "no audio output device" in status.output_reason


def test_miniaudio_sink_without_the_package_is_unavailable(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "miniaudio", None)
    sink = MiniaudioSink()
    assert sink.open() is False and "miniaudio" in sink.reason
    sink.play(cues.go_beep(), cues.RATE, "go")
    sink.close()


def test_speech_without_espeak_reports_how_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert Speech().available is False and "install espeak-ng" in Speech().reason
    broken = Speech(executable=str(tmp_path / "espeak-ng"))
    with pytest.raises(SpeechError):
        broken.synthesize("wave")
    assert broken.available is False and "install espeak-ng" in broken.reason


@needs_espeak
def test_espeak_speaks_speech_like_audio_and_caches_it(tmp_path) -> None:
    speech = Speech()
    samples, rate = speech.synthesize("swipe left")
    assert rate == 22050 and 0.2 < samples.size / rate < 2.0
    assert abs(samples[0]) < 0.01 and abs(samples[-1]) < 0.01
    frames = samples[: samples.size // 441 * 441].reshape(-1, 441)  # 20 ms frames
    level = np.sqrt(np.mean(frames ** 2, axis=1))
    assert level.max() > 0.05 and level.min() < 0.5 * level.max()  # syllables: not a steady tone
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    assert spectrum[(freqs > 80) & (freqs < 4000)].sum() > 0.8 * spectrum.sum()
    assert speech.cached("swipe  left") and speech.synthesize("swipe left")[0] is samples
    other, _ = speech.synthesize("circle")
    assert other.size != samples.size or not np.allclose(other, samples)
    # Text is an argument after "--", never an option: this must be spoken, not write a file.
    target = tmp_path / "x.wav"
    assert speech.synthesize(f"-w {target}")[0].size > 0 and not target.exists()
    with pytest.raises(SpeechError, match="voice"):
        Speech(voice="nosuchvoice").synthesize("wave")


@needs_espeak
def test_recognised_gesture_is_spoken_by_espeak(sink) -> None:
    with AudioFeedback(sink, clock=FakeClock()) as fb:
        fb.recognised("wave", 0.9)
        (played,) = sink.wait_for(1)
    earcon = cues.earcon(cues.earcon_index("wave")) * np.float32(fb.volume)
    assert played.label == "recognised:wave"
    assert played.samples.size > earcon.size + 0.15 * cues.RATE
    assert np.sqrt(np.mean(played.samples[earcon.size:] ** 2)) > 0.02


def test_bench_short_mode_prints_numbers(capsys) -> None:
    from studio.audio import bench_audio

    parser = argparse.ArgumentParser()
    bench_audio.add_arguments(parser)
    assert bench_audio.run(parser.parse_args(["--short"])) == 0
    out = capsys.readouterr().out
    assert "cue synthesis" in out and "ms" in out
