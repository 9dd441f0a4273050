"""m0 scan on a stand-in EOS builder: per-m0 observables, failed builds, window logic."""

from __future__ import annotations

import math

import pytest

from paperzoo.neutronstar.scan import ScanPoint, ScanResult, parse_m0_range, scan_m0


def test_parse_m0_range():
    assert parse_m0_range("500:900:100") == [500.0, 600.0, 700.0, 800.0, 900.0]
    assert parse_m0_range("500:900:25")[-1] == 900.0 and len(parse_m0_range("500:900:25")) == 17
    assert parse_m0_range("700,850") == [700.0, 850.0]
    for bad in ("900:500:25", "500:900:0", "a:b", "500:900"):
        with pytest.raises(ValueError, match="m0"):
            parse_m0_range(bad)


def test_scan_records_observables_and_errors(fake_builder):
    result = scan_m0([500.0, 900.0, 950.0], builder=fake_builder, n_stars=20)
    soft, stiff = result.points[1], result.points[0]
    assert stiff.max_mass == pytest.approx(2.05, abs=0.02)  # unscaled SLy at m0 = 500
    assert soft.radius_0p77 < stiff.radius_0p77 and soft.radius_1p4 < stiff.radius_1p4
    assert soft.max_mass < stiff.max_mass
    assert stiff.passes_all and stiff.hess_2sigma and not stiff.hess_1sigma
    assert not soft.max_mass_ok and not soft.passes_all
    failed = result.points[2]
    assert failed.error is not None and "m0" in failed.error and not failed.passes_all
    assert math.isnan(failed.radius_0p77)
    assert result.window == (500.0, 500.0)


def test_window_logic():
    points = [ScanPoint(m0=m, passes_all=ok) for m, ok in [(500, False), (600, True), (700, False),
                                                            (800, True), (900, False)]]  # fmt: skip
    result = ScanResult(points, hess_sigma=2.0)
    assert result.passing == [600, 800]
    assert result.window == (600, 800) and not result.window_is_contiguous
    assert ScanResult(points[:1], 2.0).window is None
