"""``studio bench audio``: cue synthesis time, espeak-ng first/cached latency, event-to-sink latency."""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from studio.audio import cues
from studio.audio.feedback import AudioFeedback
from studio.audio.sinks import MiniaudioSink, RecordingSink
from studio.audio.speech import Speech, SpeechError

CUES = {
    "countdown": cues.countdown_beep, "go": cues.go_beep, "start": cues.recording_started,
    "stop": cues.recording_stopped, "rejected": cues.rejected, "connected": cues.connected,
    "disconnected": cues.disconnected, "earcon": lambda: cues.earcon(7),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iterations", type=int, default=50, help="repeats per measurement")
    parser.add_argument("--short", action="store_true", help="few repeats (CI)")
    parser.add_argument("--text", default="swipe left", help="text spoken for the speech timings")


def _ms(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - start))
    return times


class _TimedSink(RecordingSink):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def play(self, samples: np.ndarray, rate: int, label: str) -> None:
        self.times.append(time.perf_counter())
        super().play(samples, rate, label)


def _event_latency(speech: Speech, name: str, repeats: int) -> tuple[float, float]:
    """(median ms inside ``recognised()``, median ms from the call to the sink's ``play``)."""
    sink = _TimedSink()
    calls, delays = [], []
    with AudioFeedback(sink, speech=speech) as fb:
        for i in range(repeats):
            start = time.perf_counter()
            fb.recognised(name, 0.9)
            calls.append(1e3 * (time.perf_counter() - start))
            sink.wait_for(i + 1)
            delays.append(1e3 * (sink.times[i] - start))
    return statistics.median(calls), statistics.median(delays)


def run(args: argparse.Namespace) -> int:
    repeats = 5 if args.short else max(1, args.iterations)
    print(f"cue synthesis (median of {repeats}, ms):")
    for name, make in CUES.items():
        sound_ms = 1e3 * make().size / cues.RATE
        print(f"  {name:12s} {statistics.median(_ms(make, repeats)):7.3f} ms  ({sound_ms:.0f} ms of sound)")
    start = time.perf_counter()
    sink = MiniaudioSink()
    ok = sink.open()
    opened = 1e3 * (time.perf_counter() - start)
    print(f"output device: {'backend ' + sink.backend if ok else sink.reason} (open {opened:.1f} ms)")
    sink.close()
    speech = Speech()
    if not speech.available:
        print(f"speech: unavailable ({speech.reason})")
        return 0
    try:
        first = _ms(lambda: speech.synthesize(args.text), 1)[0]
    except SpeechError as err:
        print(f"speech: failed ({err})")
        return 1
    cached = statistics.median(_ms(lambda: speech.synthesize(args.text), repeats))
    uncached = statistics.median(_ms(lambda: Speech().synthesize(args.text), repeats))
    samples, rate = speech.synthesize(args.text)
    print(f"espeak-ng {args.text!r}: first {first:.1f} ms, uncached median {uncached:.1f} ms, "
          f"cached {cached:.4f} ms ({1e3 * samples.size / rate:.0f} ms of speech)")
    call_ms, to_sink_ms = _event_latency(speech, args.text, repeats)
    print(f"recognised() call {1e3 * call_ms:.0f} us; call to sink.play {to_sink_ms:.2f} ms (name cached)")
    return 0
