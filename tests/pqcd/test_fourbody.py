"""Four-body evaluation: narrow-width limit, grid convergence, the stage-B1 baseline's numbers."""

from __future__ import annotations

import pytest

from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.factorization import effective_coefficients, form_factors
from paperzoo.pqcd.fourbody import CHANNELS, channel, evaluate, window_fraction

INP = load_inputs()


@pytest.mark.parametrize("name", list(CHANNELS))
def test_narrow_width_limit_gives_the_two_body_rate(name):
    cfg = FourBodyConfig(width_scale=1e-3, n_pipi=48, n_kk=48)
    r = evaluate(name, cfg)
    f1, f2 = window_fraction(channel(name), cfg, INP)
    expected = r.br_two_body * INP["B_rho_pipi"] * INP["B_phi_KK"] * f1 * f2
    assert r.br_four_body / expected == pytest.approx(1.0, abs=0.01)
    assert f1 > 0.99 and f2 > 0.99


@pytest.mark.parametrize("name", list(CHANNELS))
def test_grid_convergence_below_one_percent(name):
    coarse = evaluate(name, FourBodyConfig(n_pipi=32, n_kk=24)).as_dict()
    fine = evaluate(name, FourBodyConfig(n_pipi=64, n_kk=48)).as_dict()
    for key in ("br_four_body", "f0", "f_para", "f_perp"):
        assert coarse[key] == pytest.approx(fine[key], rel=0.01), key


def test_stage_b1_baseline_numbers():
    bs, b0, bm = (evaluate(n) for n in CHANNELS)
    assert 0.85 <= bs.obs.f0 <= 0.97
    assert b0.br_two_body < 1e-7 < bs.br_two_body  # B0 pure penguin: far below Bs
    assert 0.5 < bm.br_two_body / b0.br_two_body / 2 < 1.5  # isospin: |ρ−|² = 2|ρ0|²
    for r in (bs, b0, bm):  # naive factorisation: no strong phase, no CP asymmetry
        assert abs(r.obs.acp_dir) < 1e-12 and abs(r.obs.a_t1_fake) < 1e-12
        assert abs(r.obs.a_t1_true) < 1e-12


def test_form_factors_and_coefficients():
    v, a1, a2 = form_factors(0.0, "Bs_phi", INP)
    assert (v, a1, a2) == pytest.approx((1.484 - 1.049, 0.308, -0.054 + 0.288))
    a = effective_coefficients(INP)
    assert a["a2"] == pytest.approx(-0.185 + 1.082 / 3)
    assert a["a9"] == pytest.approx((-1.292 + 0.263 / 3) * INP["alpha_em"])
    with pytest.raises(ValueError, match="form-factor set"):
        form_factors(0.0, "B_K", INP)


def test_strong_phase_probe_keeps_penguin_channels_cp_symmetric():
    phases = ((0.4, -1.0, 2.0, 0.0, 0.0, 0.0), (0.0, 0.3, -0.8, 0.0, 0.0, 0.0))
    cfg = FourBodyConfig(n_pipi=16, n_kk=12, strong_phases=phases)
    bs, b0 = evaluate("Bs_rho0phi", cfg), evaluate("B0_rho0phi", cfg)
    assert abs(b0.obs.acp_dir) < 1e-12 and abs(b0.obs.a_t1_true) < 1e-12
    assert abs(b0.obs.a_t1_fake) > 1e-2 and abs(bs.obs.acp_dir) > 1e-2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kk_window": (0.9, 1.05)}, "below the KK̄ threshold"),
        ({"pipi_window": (0.2, 1.0)}, "below the ππ threshold"),
        ({"pipi_window": (0.3, 4.5)}, "outside the phase space"),
    ],
)
def test_windows_outside_phase_space_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        evaluate("Bs_rho0phi", FourBodyConfig(**kwargs))


def test_bad_inputs_and_options_are_refused():
    with pytest.raises(ValueError, match="unknown channel 'Bs_phiphi'"):
        evaluate("Bs_phiphi")
    with pytest.raises(ValueError, match="w_phi"):
        evaluate("Bs_rho0phi", inp=INP.with_values(w_phi=-0.004))
    with pytest.raises(ValueError, match="unphysical Gegenbauer"):
        evaluate("Bs_rho0phi", inp=INP.with_values(a2_phi=-0.5))
    with pytest.raises(ValueError, match="low < high"):
        FourBodyConfig(pipi_window=(1.0, 0.5))
    with pytest.raises(ValueError, match="n_kk"):
        FourBodyConfig(n_kk=1)
    with pytest.raises(ValueError, match="strong_phases"):
        FourBodyConfig(strong_phases=((0.0,) * 6,))


def test_stage_b2_option_rescales_the_longitudinal_amplitude_only():
    """dynamics="B2" at fixed-scale C_i: A_0 × A_0^{kT}(0)/A_0^{LCSR}(0); transverse parts and CP
    structure kept."""
    from paperzoo.pqcd.fourbody import longitudinal_scale
    from paperzoo.pqcd.kt import bv_form_factor_a0

    b1 = FourBodyConfig(n_pipi=32, n_kk=24)
    b2 = FourBodyConfig(n_pipi=32, n_kk=24, dynamics="B2", wilson_at_t=False)
    ch = channel("Bs_rho0phi")
    s = longitudinal_scale(ch, b2, INP)
    assert longitudinal_scale(ch, b1, INP) == 1.0
    v, a1, a2 = form_factors(0.0, "Bs_phi", INP)
    m_b, m_v = INP["m_Bs"], INP["m_phi"]
    lcsr = ((m_b + m_v) * a1 - (m_b - m_v) * a2) / (2 * m_v)
    assert s * lcsr == pytest.approx(bv_form_factor_a0("Bs_phi", n_x=24, n_b=32), rel=1e-12)
    r1, r2 = evaluate("Bs_rho0phi", b1).obs, evaluate("Bs_rho0phi", b2).obs
    assert r2.f_para / r2.f_perp == pytest.approx(r1.f_para / r1.f_perp, rel=1e-12)
    assert r2.f0 / (1 - r2.f0) == pytest.approx(s**2 * r1.f0 / (1 - r1.f0), rel=1e-3)
    assert abs(evaluate("B0_rho0phi", b2).obs.acp_dir) < 1e-12
    with pytest.raises(ValueError, match="dynamics must be one of"):
        FourBodyConfig(dynamics="B4")


def test_hard_scale_wilson_coefficients_in_the_amplitudes():
    """``wilson_at_t``: the factorisable a_i from C̄_i = ∫C_i(t)dA_0/A_0 (the channel's combination
    of them: linear), the non-factorisable Σ C M̂ from the C_i(t)-weighted integrals; off, the
    μ = m_b values; B1 ignores it; the pure-penguin channel stays CP symmetric; bad flag refused."""
    from paperzoo.pqcd.fourbody import (
        _kt_form_factors,
        _kt_params,
        factorisable_coefficients,
        nonfact_longitudinal,
    )

    ch = channel("B0_rho0phi")
    fixed = ch.coefficients(effective_coefficients(INP))
    on, off = FourBodyConfig(dynamics="B3"), FourBodyConfig(dynamics="B3", wilson_at_t=False)
    assert factorisable_coefficients(ch, off, INP) == fixed
    assert factorisable_coefficients(ch, FourBodyConfig(), INP) == fixed
    c = _kt_form_factors(ch.form_factors, _kt_params(ch, INP), -1.0)["A0"][1]
    a3, a5 = c[2] + c[3] / 3, c[4] + c[5] / 3
    a7, a9 = c[6] + c[7] / 3, c[8] + c[9] / 3
    assert factorisable_coefficients(ch, on, INP)[1] == pytest.approx(
        -(a3 + a5 - 0.5 * (a7 + a9)), rel=1e-12
    )
    # a_3 + a_5 cancel: at the lower scales (C_6 doubles) the penguin coefficient all but vanishes
    assert abs(factorisable_coefficients(ch, on, INP)[1]) < 0.01 * abs(fixed[1])
    n_on, n_off = nonfact_longitudinal(ch, on, INP), nonfact_longitudinal(ch, off, INP)
    assert n_on[0] == n_off[0] == 0
    assert abs(n_on[1] - n_off[1]) > 0.2 * abs(n_off[1])
    assert (
        abs(evaluate("B0_rho0phi", FourBodyConfig(n_pipi=32, n_kk=24, dynamics="B3")).obs.acp_dir)
        < 1e-12
    )
    with pytest.raises(ValueError, match="wilson_at_t must be True or False"):
        FourBodyConfig(wilson_at_t=1)
