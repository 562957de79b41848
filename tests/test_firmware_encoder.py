"""The firmware's C encoder (firmware_bridges/UniMotionFrame/src/unimotion_frame.h), compiled on the host,
against the studio's Python decoder and the committed test vectors; the MicroPython and Python encoders
against the same vectors. Firmware and studio cannot drift apart without one of these failing."""

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from studio.devices.formats.frame import FrameParser, crc16_ccitt, encode_acc3, encode_imu6

ROOT = Path(__file__).resolve().parents[1] / "firmware_bridges"
VECTORS = ROOT / "test_vectors.json"
SOURCE = ROOT / "host_test" / "um_vectors.c"


def _build_and_run(tmp_path, compiler, *flags):
    exe = tmp_path / f"um_vectors_{compiler.replace('+', 'p')}"
    subprocess.run([compiler, *flags, "-Wall", "-Wextra", "-Werror", "-o", str(exe), str(SOURCE)], check=True,
                   capture_output=True, text=True)
    return subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def c_output(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed: the C encoder cannot be compiled on this machine (apt install gcc)")
    return _build_and_run(tmp_path_factory.mktemp("c"), "gcc", "-std=c99", "-pedantic")


def committed():
    return json.loads(VECTORS.read_text())


def test_c_encoder_output_matches_the_committed_vectors(c_output):
    assert json.loads(c_output) == committed(), \
        "unimotion_frame.h changed its output: update the decoder, then regenerate test_vectors.json"


def test_header_also_compiles_as_cpp_for_arduino(tmp_path, c_output):
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed")
    assert _build_and_run(tmp_path, "g++", "-x", "c++", "-std=c++11") == c_output


def test_python_decoder_recovers_every_vector_frame():
    data = committed()  # equal to the compiled C output (checked above), readable without gcc
    assert data["crc_123456789"] == crc16_ccitt(b"123456789") == 0x29B1
    stream = b"".join(bytes.fromhex(v["hex"]) for v in data["vectors"])
    parser = FrameParser()
    samples = parser.feed(stream)
    assert parser.errors == 0 and parser.pending == 0
    k = 0
    for v in data["vectors"]:
        acc = v["acc_range_g"] / 32768
        gyro = v.get("gyro_range_dps", 0) / 32768
        for i, raw in enumerate(v["samples"]):
            s = samples[k]
            k += 1
            assert s.seq % 0x10000 == (v["seq"] + i) % 0x10000
            assert round(s.t * 1e6) % 2**32 == (v["t_us"] + i * v["period_us"]) % 2**32
            assert s.values[:3] == tuple(r * acc for r in raw[:3])
            if v["type"] == 1:
                assert s.values[3:] == tuple(r * gyro for r in raw[3:])
    assert k == len(samples)


def _encoders():
    spec = importlib.util.spec_from_file_location("mp_unimotion_frame", ROOT / "micropython" / "unimotion_frame.py")
    mp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mp)
    return {
        "studio": (encode_imu6, encode_acc3),
        "micropython": (lambda seq, t, s, a, g, p: mp.imu6(seq, t, s, a, g, p),
                        lambda seq, t, s, a, p: mp.acc3(seq, t, s, a, p)),
    }


@pytest.mark.parametrize("name", ["studio", "micropython"])
def test_other_encoders_reproduce_the_vectors(name):
    imu6, acc3 = _encoders()[name]
    for v in committed()["vectors"]:
        samples = [tuple(s) for s in v["samples"]]
        if v["type"] == 1:
            got = imu6(v["seq"], v["t_us"], samples, v["acc_range_g"], v["gyro_range_dps"], v["period_us"])
        else:
            got = acc3(v["seq"], v["t_us"], samples, v["acc_range_g"], v["period_us"])
        assert got.hex() == v["hex"], f"{name} encoder differs on seq {v['seq']}"
