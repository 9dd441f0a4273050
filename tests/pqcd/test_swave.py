"""The f0(980) S-wave (docs/pqcd.md §2.16, §2.18, §2.19): off reproduces the P-wave numbers
exactly, on it only adds S-wave rows of M, drops out of the T-odd sign counts and of the
angle-integrated interference, keeps the ρφ part of the single-CKM channels CP-symmetric; Flatté
normalisation and grid convergence."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from paperzoo.pqcd import fourbody as fb
from paperzoo.pqcd import lineshapes as ls
from paperzoo.pqcd.angular import ANGULAR_NORM, angular_functions
from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.kinematics import gauss_legendre, peaked_gauss_legendre

CFG = FourBodyConfig(n_pipi=32, n_kk=24)


@pytest.fixture(scope="module")
def inp():
    return load_inputs()


def test_swave_off_is_the_p_wave_result(inp):
    """``swave=False`` (the default) gives zero S-wave rows; with it on the P-wave block of M and
    M̄, f_L, the two-body rate and the ``_pwave`` observables are unchanged bit for bit on the same
    grid (a ππ window below the 2m_K cusp, where the rule is not split) and within 1e-3 with the
    split rule of the default window."""
    below = replace(CFG, pipi_window=(0.28, 0.95))
    for name in fb.CHANNELS:
        m_off, mb_off = fb.interference_matrices(name, below, inp)
        assert np.all(m_off[3:] == 0) and np.all(mb_off[:, 3:] == 0)
        m_on, mb_on = fb.interference_matrices(name, replace(below, swave=True), inp)
        assert np.array_equal(m_on[:3, :3], m_off[:3, :3])
        assert np.array_equal(mb_on[:3, :3], mb_off[:3, :3])
        split, _ = fb.interference_matrices(name, replace(CFG, swave=True), inp)
        full, _ = fb.interference_matrices(name, CFG, inp)
        assert np.allclose(split[:3, :3], full[:3, :3], rtol=0, atol=1e-3 * abs(full[0, 0]))
        off = fb.evaluate(name, below, inp).as_dict()
        on = fb.evaluate(name, replace(below, swave=True), inp).as_dict()
        for key in ("f0", "f_para", "f_perp", "phi_perp", "br_two_body", "acp_0"):
            assert on[key] == off[key]
        assert on["acp_pwave"] == off["acp_dir"]
        assert on["a_t1_true_pwave"] == pytest.approx(off["a_t1_true"], abs=1e-15)
        assert on["a_t1_fake_pwave"] == pytest.approx(off["a_t1_fake"], abs=1e-15)


def test_which_s_waves_exist(inp):
    """Vector emission (§2.16, §2.19): Bs VS (ρ0 f0) and SV (φ f0), no SS; B0 SV (φ f0, the f0's
    dd̄) and VS (ρ0 emitted, the f0's dd̄); B− VS (ρ− emitted, the f0's uū; no f0 in π−π0). The
    scalar-penguin f0 emission (§2.18) adds to SV for Bs and to VS (ρ f0 → K⁺K⁻) for B0 and B−.
    The S-wave share of the window rate is f_swave, and the window rate grows by it."""
    vec = replace(CFG, swave=True, swave_scalar=0.0)
    diag = {n: np.diag(fb.interference_matrices(n, vec, inp)[0]).real for n in fb.CHANNELS}
    assert diag["Bs_rho0phi"][3] > 0 and diag["Bs_rho0phi"][4] > 0
    assert diag["Bs_rho0phi"][5] == 0 and diag["Bm_rhomphi"][3] > 0
    assert np.all(diag["Bm_rhomphi"][4:] == 0)
    assert diag["B0_rho0phi"][3] > 0 and diag["B0_rho0phi"][4] > 0
    cfg = replace(CFG, swave=True)
    full = {n: np.diag(fb.interference_matrices(n, cfg, inp)[0]).real for n in fb.CHANNELS}
    assert full["Bs_rho0phi"][4] != diag["Bs_rho0phi"][4]
    assert full["Bs_rho0phi"][3] == diag["Bs_rho0phi"][3] and full["Bs_rho0phi"][5] == 0
    for name in ("B0_rho0phi", "Bm_rhomphi"):
        assert full[name][3] != diag[name][3] and full[name][4] == diag[name][4]
        assert full[name][5] == 0
    below = replace(CFG, pipi_window=(0.28, 0.95))
    on = fb.evaluate("Bs_rho0phi", replace(below, swave=True), inp)
    off = fb.evaluate("Bs_rho0phi", below, inp)
    diag["Bs_rho0phi"] = np.diag(
        fb.interference_matrices("Bs_rho0phi", replace(below, swave=True), inp)[0]
    ).real
    share = diag["Bs_rho0phi"][3:].sum() / diag["Bs_rho0phi"].sum()
    assert on.obs.f_swave == pytest.approx(share, rel=0.05)
    assert on.br_four_body * (1 - on.obs.f_swave) == pytest.approx(off.br_four_body, rel=1e-12)


def test_single_ckm_channels_stay_cp_symmetric_with_s_wave(inp):
    """One CKM factor in the ρφ part of B0, B− keeps its A_CP = A_T-true = 0 exactly, also with
    random strong phases on every wave and the kT S-wave; the ρ-emitted S-wave (B0 → ρ0 f0,
    B− → ρ− f0) carries a tree, so at B3 (kT S-wave, own strong phases) the full-window A_CP is
    not zero, while in naive factorisation (no strong phase) it still is; there the S-wave
    dilutes the two-CKM A_CP of Bs by its rate share."""
    rng = np.random.default_rng(3)
    phases = tuple(tuple(r) for r in rng.uniform(-np.pi, np.pi, (2, 6)).tolist())
    naive = replace(CFG, swave=True, dynamics="B3", swave_kt=False)
    for cfg in (
        replace(CFG, swave=True, dynamics="B3"),
        naive,
        replace(CFG, swave=True, strong_phases=phases),
    ):
        for name in ("B0_rho0phi", "Bm_rhomphi"):
            o = fb.evaluate(name, cfg, inp).obs
            for v in (o.acp_pwave, o.acp_0, o.acp_para, o.acp_perp, o.a_t1_true_pwave,
                      o.a_t2_true_pwave, o.a_t1_true_ave):  # fmt: skip
                assert abs(v) < 1e-12
    for name in ("B0_rho0phi", "Bm_rhomphi"):
        assert (
            abs(fb.evaluate(name, replace(CFG, swave=True, dynamics="B3"), inp).obs.acp_dir) > 1e-3
        )
        o = fb.evaluate(name, naive, inp).obs
        assert abs(o.acp_dir) < 1e-12 and abs(o.a_t1_true) < 1e-12
    o = fb.evaluate("Bs_rho0phi", naive, inp).obs
    # the naive S-wave has no CP asymmetry of its own: it dilutes A_CP by its share of the rate
    assert o.acp_dir == pytest.approx(o.acp_pwave * (1 - o.f_swave), rel=1e-9)


def _angular_rule(n: int = 8):
    """Product Gauss–Legendre in (cos θ1, cos θ2, φ) split at cos θ = 0 and φ = π/2, π, 3π/2, so
    the sign functions of the T-odd counts are integrated exactly (the integrand is smooth on
    each panel)."""
    c, wc = (
        np.concatenate(v)
        for v in zip(gauss_legendre(-1, 0, n), gauss_legendre(0, 1, n), strict=True)
    )
    panels = [gauss_legendre(k * math.pi / 2, (k + 1) * math.pi / 2, n) for k in range(4)]
    p, wp = (np.concatenate(v) for v in zip(*panels, strict=True))
    c1, c2, ph = np.meshgrid(c, c, p, indexing="ij")
    return c1, c2, ph, np.einsum("i,j,k->ijk", wc, wc, wp)


def test_s_wave_drops_out_of_tpa_counts_and_angular_integral():
    """Adding S-wave amplitudes leaves the T-odd sign counts of A_T^1 (c1c2 sinφ) and A_T^2
    (sin 2φ) unchanged, and their interference with the P-wave integrates to zero over the angles:
    ∫|A|² dΩ = (8π/9) Σ|A_k|² with the S-wave in."""
    rng = np.random.default_rng(7)
    a = rng.normal(size=6) + 1j * rng.normal(size=6)
    p_only = a.copy()
    p_only[3:] = 0
    c1, c2, ph, w = _angular_rule()
    g = angular_functions(c1, c2, ph)
    rate = {k: np.abs(g @ v) ** 2 for k, v in (("full", a), ("p", p_only))}
    assert np.sum(w * rate["full"]) == pytest.approx(
        ANGULAR_NORM * np.sum(np.abs(a) ** 2), rel=1e-12
    )
    for sign in (np.sign(c1 * c2 * np.sin(ph)), np.sign(np.sin(2 * ph))):
        full, p = np.sum(w * sign * rate["full"]), np.sum(w * sign * rate["p"])
        assert full == pytest.approx(p, rel=1e-12, abs=1e-12)
        assert abs(p) > 1e-3  # the count is not trivially zero


def test_flatte_normalisation(inp):
    """With the couplings × 1e-3 the f0 is narrow below the KK̄ threshold: ∫|F_π⁺π⁻|² dω = 2/3
    (the π⁺π⁻ share of ππ) within 1 %; the physical K⁺K⁻ lineshape is zero below threshold."""
    m, g, m_pi, m_k = inp["f0_mass"], inp["f0_g_pipi"] * 1e-3, inp["m_pi"], inp["m_K"]
    g_kk = g * inp["f0_g_KK_ratio"]
    width = g * math.sqrt(1 - 4 * m_pi**2 / m**2)
    w, wt = peaked_gauss_legendre(0.9, 0.985, 400, m, width)
    f = ls.s_wave_amplitude(w, m, g, g_kk, m_pi, m_k, "pipi")
    assert np.sum(wt * np.abs(f) ** 2) == pytest.approx(2 / 3, rel=0.01)
    below = ls.s_wave_amplitude(np.array([0.95, 0.98]), m, 0.165, 0.69, m_pi, m_k, "KK")
    assert np.all(below == 0)


def test_s_wave_grid_convergence(inp):
    """Doubling the mass grid moves the S-wave fraction of Bs → ρ0φ by < 1 %."""
    coarse = FourBodyConfig(swave=True)
    fine = FourBodyConfig(n_pipi=128, n_kk=96, swave=True)
    a = fb.evaluate("Bs_rho0phi", coarse, inp).obs.f_swave
    b = fb.evaluate("Bs_rho0phi", fine, inp).obs.f_swave
    assert a > 0.05 and abs(a / b - 1) < 0.01


def test_swave_bad_input(inp):
    """A non-bool ``swave`` and an unphysical mixing angle or form factor are refused."""
    with pytest.raises(ValueError, match="swave must be True or False"):
        FourBodyConfig(swave=1)
    with pytest.raises(ValueError, match="f0_mixing_deg"):
        fb.evaluate("Bs_rho0phi", CFG, inp.with_values(f0_mixing_deg=200.0))
    with pytest.raises(ValueError, match="f0_F1_0"):
        fb.evaluate("Bs_rho0phi", CFG, inp.with_values(f0_F1_0=-0.1))


def test_s_wave_rate_bookkeeping_and_quasi_two_body_link(inp):
    """br_vs + br_sv + br_ss is the S-wave share of the window rate; the SV rate of Bs divided by
    B(φ → K⁺K⁻) × φ window fraction × ∫_window |F_π⁺π⁻|² is the two-body Γ(B̄s → φ f0) of (Q21)
    at m_f0 within 10 % (the f0 is broad, so p_c and the scalar-emission term's factor y, the
    pair mass, vary across it; 3 % without that term)."""
    cfg = FourBodyConfig(swave=True)
    r = fb.evaluate("Bs_rho0phi", cfg, inp)
    s_sum = r.br_vs + r.br_sv + r.br_ss
    assert s_sum == pytest.approx(r.obs.f_swave * r.br_four_body, rel=1e-12)
    ch = fb.channel("Bs_rho0phi")
    w, wt = fb._pipi_rule(cfg, inp)
    f = ls.s_wave_amplitude(
        w,
        inp["f0_mass"],
        inp["f0_g_pipi"],
        inp["f0_g_pipi"] * inp["f0_g_KK_ratio"],
        inp["m_pi"],
        inp["m_K"],
        "pipi",
    )
    flatte_share = float(np.sum(wt * np.abs(f) ** 2))
    pole = (np.array([inp["f0_mass"]]), np.array([inp["m_phi"]]))
    terms = fb._swave_terms(ch, *pole, inp, cfg) + fb._scalar_emission_terms(ch, *pole, inp, cfg)
    lam_t = fb._weak(ch, inp)[1]
    m_b = inp["m_Bs"]
    p = float(fb.pair_momentum(m_b, np.array([inp["f0_mass"]]), np.array([inp["m_phi"]]))[0])
    gamma = p / (8 * math.pi * m_b**2) * abs(lam_t * terms[1, 0, 4]) ** 2
    two_body = gamma * inp["tau_Bs"] / inp["hbar"]
    assert terms[0, 0, 4] == 0  # φ f0 has no λ_u term at this order
    assert r.br_phi_f0 / flatte_share == pytest.approx(two_body, rel=0.1)


def test_scalar_penguin_emission_of_the_f0(inp):
    """The f0 emitted by O_6, O_8 (§2.18, Q23): the closed form at one point, λ_t only (the
    single-CKM channels stay CP symmetric), linear in the sign convention σ_S (0 removes it),
    A_0 of the stage (LCSR at B1, kT from B2 on); a bad σ_S is refused."""
    ch = fb.channel("Bs_rho0phi")
    w1, w2 = np.array([0.98]), np.array([1.02])
    b3 = FourBodyConfig(dynamics="B3", swave=True)
    t = fb._scalar_emission_terms(ch, w1, w2, inp, b3)
    a = fb.effective_coefficients(inp)
    th = math.radians(inp["f0_mixing_deg"])
    down, up = a["a6"] - a["a8"] / 2, a["a6"] + a["a8"]
    c_s = 2 * 0.98 * inp["f0_fbar_S"] / (inp["m_b_MSbar"] + inp["m_s_MSbar"])
    c_s *= math.cos(th) * down + math.sin(th) / math.sqrt(2) * (up + down)
    a0 = fb.bv_form_factors("Bs_phi", inp, *fb.KT_GRID)["A0"]
    lam = 2 * inp["m_Bs"] * fb.pair_momentum(inp["m_Bs"], w2, w1)[0]
    ref = inp["G_F"] / math.sqrt(2) * c_s * lam * a0
    assert t[1, 0, 4] == pytest.approx(ref, rel=1e-12)
    assert np.count_nonzero(t) == 1
    flipped = fb._scalar_emission_terms(ch, w1, w2, inp, replace(b3, swave_scalar=-1.0))
    assert flipped[1, 0, 4] == -t[1, 0, 4]
    off = fb._scalar_emission_terms(ch, w1, w2, inp, replace(b3, swave_scalar=0.0))
    assert np.all(off == 0)
    b1 = fb._scalar_emission_terms(ch, w1, w2, inp, FourBodyConfig(swave=True))
    assert b1[1, 0, 4] / t[1, 0, 4] == pytest.approx(fb._lcsr_a0(ch, inp) / a0, rel=1e-12)
    for name in ("B0_rho0phi", "Bm_rhomphi"):
        o = fb.evaluate(name, replace(CFG, dynamics="B3", swave=True), inp).obs
        assert abs(o.acp_pwave) < 1e-12 and abs(o.a_t1_true_pwave) < 1e-12 and o.f_swave > 0.5
    with pytest.raises(ValueError, match="swave_scalar"):
        FourBodyConfig(swave_scalar=0.5)
