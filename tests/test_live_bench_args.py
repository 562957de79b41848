"""``studio bench latency`` / ``studio bench enrol`` refuse unusable switches before loading anything."""

from __future__ import annotations

import argparse

import pytest

from studio.commands import bench_enrol, bench_latency


def _run(module, argv):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


@pytest.mark.parametrize("module, argv, words", [
    (bench_latency, ["--seconds", "-1"], "--seconds must be a positive number"),
    (bench_latency, ["--rate", "0"], "--rate must be a positive number"),
    (bench_latency, ["--interval", "nan"], "--interval must be a positive number"),
    (bench_enrol, ["--takes", "0"], "--takes must be 1 or more"),
    (bench_enrol, ["--idle-minutes", "-1"], "--idle-minutes must be positive"),
    (bench_enrol, ["--sensitivity", "3"], "--sensitivity must be between 0 and 1"),
])
def test_unusable_switches_exit_2(module, argv, words, capsys):
    assert _run(module, argv) == 2
    assert words in capsys.readouterr().err


@pytest.mark.parametrize("module", [bench_latency, bench_enrol])
def test_a_missing_model_folder_is_a_plain_error(module, tmp_path, capsys):
    pytest.importorskip("torch")
    extra = ["--cores", "0"] if module is bench_latency else []  # --cores pins this test process otherwise
    assert _run(module, ["--model", str(tmp_path / "none"), *extra]) == 2
    assert "no checkpoint at" in capsys.readouterr().err
