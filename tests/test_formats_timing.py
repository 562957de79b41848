"""Rate estimation and time stamping shared by the serial and BLE sources."""

import pytest

from studio.devices.formats import RateEstimator, Sample, Timestamper

S = (0.0,) * 6


def test_arrival_rate_ignores_burst_delivery():
    # 100 Hz samples delivered by BLE in bursts of 3 notifications every 30 ms, 1 us apart
    clock = Timestamper()
    for burst in range(40):
        for k in range(3):
            clock.stamp([Sample(S)], burst * 0.03 + k * 1e-6)
    assert clock.rate_hz == pytest.approx(100.0, rel=0.03)


def test_device_rate_is_the_median_interval_despite_a_gap():
    est = RateEstimator(median=True)
    times = [i * 0.005 for i in range(100)] + [0.6 + i * 0.005 for i in range(100)]
    for t in times:
        est.add(t)
    assert est.rate_hz == pytest.approx(200.0)


def test_device_time_is_anchored_to_arrival_and_reanchored_after_a_reset():
    clock = Timestamper()
    t1 = clock.stamp([Sample(S, 10.0), Sample(S, 10.01)], now=500.0)
    assert t1 == pytest.approx([499.99, 500.0])
    t2 = clock.stamp([Sample(S, 10.02)], now=500.5)  # late delivery keeps device spacing
    assert t2 == pytest.approx([500.01])
    t3 = clock.stamp([Sample(S, 0.0)], now=501.0)  # device rebooted: its clock restarted
    assert t3 == pytest.approx([501.0])


def test_batch_without_device_time_is_spread_back_at_the_nominal_rate_and_stays_increasing():
    clock = Timestamper(nominal_rate=100.0)
    t = clock.stamp([Sample(S)] * 4, now=10.0)
    assert t == pytest.approx([9.97, 9.98, 9.99, 10.0])
    t2 = clock.stamp([Sample(S)] * 2, now=9.995)  # earlier than the last stamp: still increasing
    assert t2[0] > t[-1] and t2[1] > t2[0]
