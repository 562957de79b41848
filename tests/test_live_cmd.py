"""``studio live`` as a real subprocess against a socat pty serial device that disappears mid-show."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tiny_show import make_show

pytestmark = pytest.mark.skipif(shutil.which("socat") is None, reason="socat is not installed")
REPO = Path(__file__).resolve().parents[1]
RATE = 100.0


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    """A project with three gestures (3 takes each) and a tiny model checkpoint."""
    pytest.importorskip("torch")
    return make_show(tmp_path_factory.mktemp("show"))


class PtyDevice:
    """A socat pty pair: the studio opens ``dev``; a writer thread plays simulator samples into ``feed``
    as CSV lines at the device rate. ``unplug()`` kills socat (the port vanishes), ``plug()`` restores it."""

    def __init__(self, folder: Path) -> None:
        self.dev, self.feed = folder / "dev", folder / "feed"
        self.proc: subprocess.Popen | None = None
        self.stop = threading.Event()
        self.writer: threading.Thread | None = None
        from studio.devices.simulator import SimulatedIMU

        self.sim = SimulatedIMU(RATE, seed=5, realtime=False)
        self.sim.open()

    def plug(self) -> None:
        self.proc = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.dev}", f"pty,raw,echo=0,link={self.feed}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (self.dev.exists() and self.feed.exists()):
            assert time.monotonic() < deadline, "socat did not create the pty pair"
            time.sleep(0.02)
        self.stop.clear()
        self.writer = threading.Thread(target=self._write, daemon=True)
        self.writer.start()

    def _write(self) -> None:
        fd = os.open(self.feed, os.O_WRONLY | os.O_NOCTTY)
        try:
            start, sent = time.monotonic(), 0
            while not self.stop.is_set():
                if sent and sent % 200 == 0:
                    self.sim.perform(("circle_cw", "shake", "swipe_left")[(sent // 200) % 3])
                chunk = self.sim.read()
                text = "".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in chunk.data)
                os.write(fd, text.encode())
                sent += len(chunk)
                time.sleep(max(0.0, start + sent / RATE - time.monotonic()))
        except OSError:
            pass  # the pty went away under us: that is the point of unplug()
        finally:
            try:
                os.close(fd)
            except OSError:
                pass

    def unplug(self) -> None:
        self.stop.set()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
        if self.writer is not None:
            self.writer.join(5)

    def close(self) -> None:
        self.unplug()
        self.sim.close()


class Lines:
    """Collects a subprocess's output lines on a thread; ``wait_for(pattern)`` blocks until one matches."""

    def __init__(self, stream) -> None:
        self.seen: list[str] = []
        self._q: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._q.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._q.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s; got:\n" + "\n".join(self.seen))


@contextlib.contextmanager
def live_show(show: Path, device: str, *extra: str):
    """``studio live`` on the show project as a subprocess with a 0.5 s heartbeat; yields (process, its
    output Lines) and kills the process if the test left it running."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio", "live", str(show / "show.gesture"), "--model", str(show / "model"),
         "--device", device, "--heartbeat", "0.5", *extra],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield proc, Lines(proc.stdout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def _samples(line: str) -> int:
    return int(re.search(r"\[alive\] (\d+) samples", line).group(1))


def test_live_survives_a_device_drop_and_exits_cleanly_on_sigint(show, tmp_path):
    device = PtyDevice(tmp_path)
    device.plug()
    try:
        with live_show(show, f"serial://{device.dev}?format=csv&rate={RATE:g}", "--sensitivity", "1") as (proc, out):
            out.wait_for(r"\[streaming\]", 120)
            before = _samples(out.wait_for(r"\[alive\] [1-9]\d* samples", 20))
            device.unplug()
            out.wait_for(r"\[reconnecting\]", 20)
            assert proc.poll() is None  # still running without its device
            device.plug()
            out.wait_for(r"\[streaming\]", 30)
            out.wait_for(r"\[alive\] .* 1 reconnects", 20)
            after = [_samples(out.wait_for(r"\[alive\]", 20)) for _ in range(3)]
            assert after[0] > before and after[-1] > after[0]  # samples keep flowing after the reconnect
            proc.send_signal(signal.SIGINT)
            assert proc.wait(20) == 0
            out.wait_for(r"stopped after \d+ events", 5)
    finally:
        device.close()


def test_live_refuses_a_missing_project(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "studio", "live", str(tmp_path / "nope.gesture")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "studio live:" in proc.stderr


@pytest.mark.parametrize("switch, value", [("--sensitivity", "nan"), ("--sensitivity", "5"), ("--seconds", "-1"),
                                           ("--heartbeat", "-2")])
def test_live_refuses_an_unusable_number_before_opening_anything(show, switch, value, capsys):
    from studio.cli import main

    before = (show / "show.gesture").read_bytes()
    assert main(["live", str(show / "show.gesture"), switch, value]) == 2
    assert f"studio live: {switch} must be" in capsys.readouterr().err
    assert (show / "show.gesture").read_bytes() == before


def test_live_exits_cleanly_on_sigterm(show):
    with live_show(show, "simulator?seed=1") as (proc, out):
        out.wait_for(r"\[alive\] [1-9]\d* samples", 120)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        out.wait_for(r"\[disconnected\]", 5)
