"""The parser benchmark in a short mode: it runs, decodes everything, and a pty stream loses nothing."""

import argparse
import shutil

import pytest

from studio.devices import bench_parsers


@pytest.mark.parametrize("fmt", ["csv", "witmotion", "witmotion-ble", "frame"])
def test_throughput_decodes_every_sample(fmt):
    cpu_rate, wall_rate, got = bench_parsers.throughput(fmt, 2000)
    assert got == 2000 and cpu_rate > 0 and wall_rate > 0


@pytest.mark.skipif(shutil.which("socat") is None, reason="socat is not installed")
@pytest.mark.parametrize("fmt", ["frame", "csv"])
def test_short_run_prints_numbers_and_loses_nothing(capsys, fmt):
    parser = argparse.ArgumentParser()
    bench_parsers.add_arguments(parser)
    args = ["--samples", "2000", "--seconds", "1", "--rate", "500", "--format", fmt]
    assert bench_parsers.run(parser.parse_args(args)) == 0
    out = capsys.readouterr().out
    assert "samples/CPU-s" in out and "missing 0, duplicates 0" in out
