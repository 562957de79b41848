"""`studio bench outputs` in its short mode: every output and stream reports its numbers."""

from __future__ import annotations

import json

from studio.cli import main


def test_bench_outputs_short_mode_reports_each_output_and_the_streams(capsys):
    assert main(["bench", "outputs", "--seconds", "1", "--events", "5"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    outputs = {line["output"].split(" ")[0]: line for line in lines if "output" in line}
    assert set(outputs) == {"OSC", "WebSocket", "MIDI", "Keystrokes"}
    assert all(line["n"] == 5 and line["p95_ms"] >= line["p50_ms"] >= 0 for line in outputs.values())
    stream = next(line for line in lines if line.get("stream", "").startswith("OSC"))
    assert stream["achieved_hz"] > 0 and stream["jitter_abs_interval_minus_period"]["n"] > 0
    engine = next(line["streams_engine"] for line in lines if "streams_engine" in line)
    assert engine["ticks"] > 0 and engine["cpu_percent_of_one_core"] >= 0
