"""CSV / data-forwarder lines: header detection, units, time stamps, rate, garbage."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.devices.formats import detect_format
from studio.devices.formats.csv_lines import CsvLineParser


def feed_all(parser, data, block=7):
    out = []
    for k in range(0, len(data), block):
        out += parser.feed(data[k:k + block])
    return out


def test_arduino_header_maps_columns_and_keeps_units():
    p = CsvLineParser()
    out = feed_all(p, b"aX,aY,aZ,gX,gY,gZ\r\n0.01,-0.02,0.98,1.5,-2.5,30\r\n")
    assert p.header == ("aX", "aY", "aZ", "gX", "gY", "gZ")
    assert out[0].values == pytest.approx((0.01, -0.02, 0.98, 1.5, -2.5, 30.0))
    assert out[0].t is None and p.errors == 0


def test_header_columns_in_another_order_with_time_and_extra_fields():
    p = CsvLineParser()
    out = p.feed(b"millis;gyroZ;accX;accY;accZ;temp\n1000;90;0;0;1;25\n1020;91;0;0;1;25\n")
    assert [s.t for s in out] == pytest.approx([1.0, 1.02])
    assert out[0].values[2] == 1.0 and out[0].values[5] == 90.0
    assert math.isnan(out[0].values[3]) and p.channels == ("acc_x", "acc_y", "acc_z", "gyro_z")
    assert p.rate.rate_hz == pytest.approx(50.0)


def test_units_from_header_brackets_are_converted():
    out = CsvLineParser().feed(b"t_us,ax[m/s^2],ay[m/s^2],az[m/s^2],gx(rad/s),gy,gz\n5,0,0,9.80665,3.14159265,0,0\n")
    assert out[0].values[2] == pytest.approx(1.0)
    assert out[0].values[3] == pytest.approx(180.0, rel=1e-6)
    assert out[0].t == pytest.approx(5e-6)


def test_edge_impulse_forwarder_m_s2_without_header_is_guessed():
    p = CsvLineParser()
    out = p.feed(b"0.1\t0.2\t9.81\n0.0\t0.1\t9.79\n")
    assert out[0].values[2] == pytest.approx(1.0, abs=1e-3)
    assert p.channels == ("acc_x", "acc_y", "acc_z")


def test_positional_time_column_unit_guessed_from_interval():
    p = CsvLineParser()
    out = p.feed(b"".join(f"{1000 + 10 * i},0,0,1,0,0,0\n".encode() for i in range(5)))
    assert len(out) == 5 and out[1].t - out[0].t == pytest.approx(0.01)
    assert p.rate.rate_hz == pytest.approx(100.0)
    micros = CsvLineParser().feed(b"".join(f"{5000 * i},0,0,1\n".encode() for i in range(3)))
    assert micros[1].t - micros[0].t == pytest.approx(0.005)


def test_millis_wrap_keeps_time_increasing():
    p = CsvLineParser(time_unit="us")
    out = p.feed(f"{2**32 - 1000},0,0,1\n{2**32 - 10},0,0,1\n{5},0,0,1\n".encode())
    assert out[2].t > out[1].t


def test_garbage_lines_and_wrong_field_counts_are_counted_not_raised():
    p = CsvLineParser()
    out = p.feed(b"ax,ay,az\n0,0,1\nBooting IMU...\n0,0\n0,0,x\n\xff\xfe\n0,1,0\n")
    assert [s.values[1] for s in out] == [0.0, 1.0]
    assert p.errors == 4


def test_header_reappearing_after_reset_remaps():
    p = CsvLineParser()
    p.feed(b"ax,ay,az\n0,0,1\n")
    out = p.feed(b"gx,gy,gz,ax,ay,az\n5,6,7,0,0,1\n")
    assert out[0].values == pytest.approx((0, 0, 1, 5, 6, 7))


def test_overlong_line_without_newline_is_dropped():
    p = CsvLineParser()
    p.feed(b"1" * 5000)
    assert p.errors == 1 and p.pending == 0
    assert len(p.feed(b"\n0,0,1\n")) == 1


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.tuples(*[st.floats(-4, 4, allow_nan=False)] * 6), st.binary(max_size=30)),
                max_size=30))
def test_valid_lines_survive_garbage_records(items):
    lines = [b"ax,ay,az,gx,gy,gz"]
    expected = []
    for item in items:
        if isinstance(item, tuple):
            lines.append(",".join(f"{v:.5f}" for v in item).encode())
            expected.append(tuple(float(f"{v:.5f}") for v in item))
        else:
            # no letters: garbage cannot look like a header; the trailing '#' keeps it from being 6 numbers
            junk = bytes(b if not chr(b).isalpha() and b not in b"\r\n" else 0x3F for b in item)
            lines.append(junk + b"#")
    p = CsvLineParser(acc_unit="g")
    out = feed_all(p, b"\n".join(lines) + b"\n", block=5)
    got = [s.values for s in out]
    assert got == [pytest.approx(e) for e in expected]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=500))
def test_random_bytes_never_raise(data):
    p = CsvLineParser()
    p.feed(data)
    p.feed(b"\n")


def test_detect_format_recognises_csv():
    assert detect_format(b"aX,aY,aZ\r\n0,0,1\r\n0,0,1\r\n") == "csv"


def test_status_lines_that_look_like_headers_do_not_remap_the_columns():
    p = CsvLineParser()
    data = b"".join(b"%d,0.01,0.02,0.98,1,2,3\n" % (10 * i) for i in range(4))
    out = p.feed(b"t_ms,ax,ay,az,gx,gy,gz\n" + data[:50])
    out += p.feed(data[50:] + b"Calibrating gyro offsets for gx gy gz\n" + data + b"accel ax ay az ok\n" + data)
    assert len(out) == 12 and all(s.values == pytest.approx((0.01, 0.02, 0.98, 1, 2, 3)) for s in out)
    assert p.errors == 2 and p.text_lines == 3
    # a real header after a reset still re-maps, once data that fits it follows
    out = p.feed(b"ax,ay,az\n0,0,1\n0,0,1\n")
    assert [s.values[:3] for s in out] == [(0, 0, 1)] * 2 and p.header == ("ax", "ay", "az")


def test_data_of_another_length_that_keeps_coming_remaps_positionally():
    p = CsvLineParser(acc_unit="g")
    p.feed(b"ax,ay,az,gx,gy,gz\n0,0,1,1,2,3\n")
    out = p.feed(b"0,0,1\n" * 5)  # the board now sends accelerometer only, without a header
    assert len(out) == 3 and p.errors == 2 and p.channels == ("acc_x", "acc_y", "acc_z")


def test_units_are_decided_over_several_lines_not_from_a_partial_first_line():
    p = CsvLineParser()
    out = p.feed(b"12,-0.02,0.998\n" + b"0.01,-0.02,0.998\n" * 10)  # the tail of "0.012,...": 12 looks like m/s^2
    assert p.acc_unit_chosen == "g" and "median" in p.unit_reason
    assert out[-1].values[2] == pytest.approx(0.998)
    p = CsvLineParser()
    out = p.feed(b"10,-20,998\n" * 6)
    assert p.acc_unit_chosen == "mg" and out[-1].values[2] == pytest.approx(0.998)


@pytest.mark.parametrize("bad", [b"inf", b"-inf", b"1e39", b"2e6"])
def test_infinite_or_absurd_values_are_parse_errors(bad, recwarn):
    p = CsvLineParser(acc_unit="g")
    out = p.feed(b"0,0,1\n0,%s,1\n0,0,1\n" % bad)
    assert len(out) == 2 and p.errors == 1
    assert not [w for w in recwarn if "overflow" in str(w.message)]


def test_lines_without_accelerometer_values_before_the_unit_is_known_do_not_break_parsing():
    p = CsvLineParser()
    out = p.feed(b"nan,nan,nan\n" + b"0,0,1\n" * 6)
    assert len(out) == 7 and math.isnan(out[0].values[0]) and out[-1].values[2] == pytest.approx(1.0)
    assert p.acc_unit_chosen == "g"
