import math

import pytest
import torch

from paperzoo.bimtdp.bimtdp import delta_m, feature_kd, gaussianity, output_kd, vib_kl, vib_sample
from paperzoo.bimtdp.config import LOWER_BETTER


def test_vib_kl_matches_a_loop_in_float64():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(2, 3, 2, 2, generator=g, dtype=torch.float64)
    lv = torch.randn(2, 3, 2, 2, generator=g, dtype=torch.float64)
    total = 0.0
    for b in range(2):
        for y in range(2):
            for x in range(2):
                for c in range(3):
                    m, v = float(mu[b, c, y, x]), float(lv[b, c, y, x])
                    total += 0.5 * (m * m + math.exp(v) - v - 1)
    assert float(vib_kl(mu, lv)) == pytest.approx(total / 8)
    assert float(vib_kl(torch.zeros(1, 4, 3, 3), torch.zeros(1, 4, 3, 3))) == 0.0


def test_vib_sample_has_the_requested_moments():
    mu, lv = torch.full((1, 1, 200, 200), 2.0), torch.full((1, 1, 200, 200), math.log(0.25))
    z = vib_sample(mu, lv, torch.Generator().manual_seed(0))
    assert float(z.mean()) == pytest.approx(2.0, abs=0.01)
    assert float(z.std()) == pytest.approx(0.5, abs=0.01)


def test_feature_kd_is_scale_invariant_and_refuses_mismatched_shapes():
    f = torch.randn(2, 5, 3, 3)
    assert float(feature_kd(3 * f, f)) == pytest.approx(0.0, abs=1e-10)
    assert float(feature_kd(-f, f)) == pytest.approx(4.0, rel=1e-5)
    with pytest.raises(ValueError, match="teacher/student mismatch"):
        feature_kd(f, torch.randn(2, 6, 3, 3))


def test_output_kd_is_zero_for_equal_logits():
    s = torch.randn(2, 4, 3, 3)
    assert float(output_kd(s, s)) == pytest.approx(0.0, abs=1e-6)
    assert float(output_kd(s, torch.randn(2, 4, 3, 3))) > 0


def test_delta_m_signs_lower_is_better_tasks():
    base = {"semseg": 0.5, "depth": 1.0}
    model = {"semseg": 0.55, "depth": 1.2}  # +10 % and −20 %
    assert delta_m(model, base, LOWER_BETTER) == pytest.approx((0.1 - 0.2) / 2)
    with pytest.raises(ValueError, match="tasks"):
        delta_m({"semseg": 0.5}, base, LOWER_BETTER)


def test_gaussianity_is_near_zero_for_gaussian_and_large_for_skewed():
    g = torch.Generator().manual_seed(0)
    normal = gaussianity(torch.randn(4, 8, 32, 32, generator=g))
    assert normal["abs_skew"] < 0.05 and normal["abs_kurtosis"] < 0.1
    expo = gaussianity(torch.randn(4, 8, 32, 32, generator=g).exp())
    assert expo["abs_skew"] > 2 and expo["abs_kurtosis"] > 5
