"""``studio stream`` run as a real subprocess: JSON lines, summary, errors, limits, Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _stream(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "studio", "stream", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def _summary(stderr: str) -> dict[str, str]:
    line = next(line for line in stderr.splitlines() if line.startswith("summary:"))
    return dict(part.split("=", 1) for part in line.split() if "=" in part)


def test_jsonl_one_object_per_sample() -> None:
    result = _stream("simulator?realtime=0&seed=1", "--seconds", "1", "--jsonl")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 100
    rows = [json.loads(line) for line in lines]
    assert list(rows[0]) == ["t", "seq", "acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
    assert [r["seq"] for r in rows] == list(range(100))
    assert rows[-1]["t"] - rows[0]["t"] == pytest.approx(0.99, abs=1e-5)
    assert 0.9 < (rows[0]["acc_x"] ** 2 + rows[0]["acc_y"] ** 2 + rows[0]["acc_z"] ** 2) ** 0.5 < 1.1
    summary = _summary(result.stderr)
    assert summary["samples"] == "100" and summary["dropped"] == "0" and summary["parse_errors"] == "0"
    assert float(summary["rate"]) == pytest.approx(100.0, rel=1e-3)


def test_rate_samples_limit_and_drops_reach_the_summary() -> None:
    result = _stream("simulator?realtime=0&rate=200&drop=0.1&seed=2", "--seconds", "5", "--jsonl",
                     "--samples", "300")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 300
    summary = _summary(result.stderr)
    assert summary["samples"] == "300" and int(summary["dropped"]) > 5


def test_table_mode_is_compact() -> None:
    result = _stream("simulator?realtime=0", "--seconds", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["t", "seq", "acc_x"]
    assert 15 <= len(lines) - 1 <= 25  # about ten rows per second, not one per sample


@pytest.mark.parametrize("uri, words", [
    ("simulator?rate=fast", "not a number"),
    ("nonsense://device", "Unknown device type"),
])
def test_device_errors_exit_2_with_a_plain_message(uri: str, words: str) -> None:
    result = _stream(uri, "--seconds", "1", "--jsonl")
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("switch, value, words", [("--samples", "-3", "--samples must be 1 or more"),
                                                  ("--seconds", "nan", "--seconds must be positive")])
def test_unusable_limits_exit_2_before_streaming(switch: str, value: str, words: str) -> None:
    result = _stream("simulator", switch, value)
    assert result.returncode == 2 and words in result.stderr and result.stdout == ""


def _ignoring_and_blocking_signals() -> None:  # runs in the child before exec
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


@pytest.mark.parametrize("sig, inherited", [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGINT, True)])
def test_ctrl_c_prints_the_summary_and_exits_cleanly(sig, inherited) -> None:
    """Also when started by a parent that ignores and blocks the signals (a child inherits both)."""
    proc = subprocess.Popen([sys.executable, "-m", "studio", "stream", "simulator", "--seconds", "60", "--jsonl"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ignoring_and_blocking_signals if inherited else None)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # streaming has started
        assert json.loads(first)["seq"] == 0
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "interrupted" in err
    assert int(_summary(err)["samples"]) >= 1


@pytest.mark.skipif(os.name != "posix", reason="uses a shell pipe")
def test_closed_pipe_is_not_an_error() -> None:
    command = f"'{sys.executable}' -m studio stream 'simulator?realtime=0' --seconds 50 --jsonl | head -n 3"
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert len(result.stdout.splitlines()) == 3
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("socat") is None, reason="needs socat for a pty pair")
def test_streams_a_serial_device_through_a_pty(tmp_path: Path) -> None:
    """Any scheme works through open_source: here CSV lines over a real pty, with some bad lines."""
    a, b = tmp_path / "imu", tmp_path / "feeder"
    socat = subprocess.Popen(["socat", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = threading.Event()

    def feed() -> None:
        with open(b, "w") as port:
            port.write("aX,aY,aZ,gX,gY,gZ\n")
            for i in range(2000):
                if stop.is_set():
                    return
                port.write("garbage,line\n" if i % 50 == 25 else f"0.01,0.0,1.0,{i % 5},0,0\n")
                port.flush()
                time.sleep(0.005)

    try:
        deadline = time.monotonic() + 10
        while not (a.exists() and b.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        result = _stream(f"serial://{a}?format=csv&baud=115200", "--seconds", "5", "--samples", "150", "--jsonl")
    finally:
        stop.set()
        socat.terminate()
        socat.wait(5)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 150 and rows[0]["acc_z"] == 1.0
    summary = _summary(result.stderr)
    assert summary["samples"] == "150" and int(summary["parse_errors"]) >= 1


def test_jsonl_output_replays_identically(tmp_path: Path) -> None:
    first = _stream("simulator?realtime=0&seed=4&gesture=shake", "--seconds", "2", "--jsonl")
    take = tmp_path / "take.jsonl"
    take.write_text(first.stdout)
    again = _stream(f"replay://{take}?speed=0", "--seconds", "30", "--jsonl", timeout=25)
    assert again.returncode == 0, again.stderr
    def strip(text: str) -> list[dict]:
        return [{k: v for k, v in json.loads(line).items() if k != "t"} for line in text.splitlines()]

    assert strip(again.stdout) == strip(first.stdout) and len(again.stdout.splitlines()) == 200
    assert float(_summary(again.stderr)["wall"]) < 10  # stopped at the end of the take, not at 30 s
