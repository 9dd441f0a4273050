"""The f0(980) S-wave in kT factorisation (docs/pqcd.md §2.19): the B → f0 form factor is the
B → π integral (Q13) with the f0 DAs, the non-factorisable S-wave emission has the longitudinal
kernel and numerators with the f0 DAs and a strong phase, and the four-body amplitudes combine
them with the channel's Wilson coefficients; bad inputs are refused."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from paperzoo.pqcd import fourbody as fb
from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.kt import bpi_form_factor, bs_form_factor
from paperzoo.pqcd.nonfact import scalar_nonfactorisable

INP = load_inputs()
B3 = FourBodyConfig(n_pipi=32, n_kk=24, dynamics="B3", swave=True)


def test_scalar_form_factor_is_the_pion_integral_with_f0_das():
    """Twist 3 (B_1 = B_3 = 0): the pion's (Q13) with f_π → f̄_S, m0 → m_f0 and η3 = 0 minus its
    twist-2 part (m0 → 0) to 1e-10; the twist-2 part is linear in B_1, B_3; 16² × 24² is within
    1 % of 32² × 40²; with B_1 = −0.78 the odd twist-2 DA adds to F (it is weighted at small x)."""
    common = {"f_pi": INP["f0_fbar_S"], "eta3_pi": 0.0, "omega3_pi": 0.0}
    pion = bpi_form_factor(INP, 24, 32, m0_pi=INP["f0_mass"], **common)
    pion_tw2 = bpi_form_factor(INP, 24, 32, m0_pi=1e-12, **common)
    tw3 = bs_form_factor("B_f0", INP, 24, 32, f0_B1=0.0, f0_B3=0.0)
    assert tw3 == pytest.approx(pion - pion_tw2, rel=1e-10)
    f = {b: bs_form_factor("B_f0", INP, 24, 32, f0_B1=b, f0_B3=0.0) for b in (-1.0, 1.0)}
    assert 0.5 * (f[1.0] + f[-1.0]) == pytest.approx(tw3, rel=1e-10)
    full = bs_form_factor("Bs_f0", INP)
    assert bs_form_factor("Bs_f0", INP, 16, 24) == pytest.approx(full, rel=0.01)
    assert full > bs_form_factor("Bs_f0", INP, f0_B1=0.0, f0_B3=0.0) > 0
    value, weighted = bs_form_factor("Bs_f0", INP, 16, 24, wilson=True)
    c2_bar = weighted[1] / value  # C̄_2 of the kernel: between C_2(m_b) and C_2(1 GeV)
    assert INP["C2"] < c2_bar < 1.25


def test_scalar_nonfactorisable_emission():
    """M̂_S: LR = −LL (symmetric emitted DA), a strong phase, within 5 % from 12 × 16 to 16 × 20;
    with B_1 = B_3 = 0 only the twist-3 terms are left and they are ∝ r_S = m_f0/m_B (m_f0 enters
    nowhere else)."""
    coarse = scalar_nonfactorisable("Bs_f0", "rho", INP, 12, 16)
    fine = scalar_nonfactorisable("Bs_f0", "rho", INP, 16, 20)
    assert fine["LR"] == pytest.approx(-fine["LL"], rel=1e-12)
    assert abs(fine["LL"].imag) > 0.3 * abs(fine["LL"])
    assert abs(coarse["LL"] - fine["LL"]) < 0.05 * abs(fine["LL"])
    tw3 = {
        m: scalar_nonfactorisable("B_f0", "phi", INP, 8, 10, f0_B1=0.0, f0_B3=0.0, f0_mass=m)["LL"]
        for m in (0.5, 1.0)
    }
    assert tw3[1.0] == pytest.approx(2 * tw3[0.5], rel=1e-10) and abs(tw3[1.0]) > 0
    with pytest.raises(ValueError, match="emitted meson"):
        scalar_nonfactorisable("Bs_f0", "K", INP, 8, 10)
    with pytest.raises(ValueError, match="f0_B1"):
        scalar_nonfactorisable("Bs_f0", "rho", INP, 8, 10, f0_B1=5.0)
    for bad in (
        lambda: bs_form_factor("Bs_phi", INP),
        lambda: scalar_nonfactorisable("Bs_phi", "rho"),
    ):
        with pytest.raises(ValueError, match="B → S set"):
            bad()


def test_swave_coefficients_in_the_amplitudes():
    """At B3 the ρ0-emitted S-wave of B0 is c_j(C̄_i)F^{kT} + Σ C M̂_S with the channel's
    coefficients (tree a_2 with C_2 M̂_S^LL); ``swave_kt=False`` gives the naive c_j(m_b) F_1;
    below B3 the naive one is used; the S-wave gets a strong phase of its own."""
    ch = fb.channel("B0_rho0phi")
    sw = next(s for s in ch.swaves if s.emitted == "rho")
    tree, peng = fb.swave_coefficients(ch, sw, B3, INP)
    f_kt, c_f = fb._kt_scalar("B_f0", INP)
    a2_bar = c_f[0] / f_kt + c_f[1] / f_kt / 3  # a_2 = C̄_1 + C̄_2/N_c
    m = fb._nonfact_scalar("B_f0", "rho", INP)
    assert tree == pytest.approx(a2_bar * f_kt + m[2][1], rel=1e-12)  # ∫C_2(t) dM̂^LL
    assert abs(tree.imag) > 0.1 * abs(tree) and peng != 0
    naive = fb.swave_coefficients(ch, sw, replace(B3, swave_kt=False), INP)
    a = fb.effective_coefficients(INP)
    assert naive[0] == pytest.approx(a["a2"] * INP["f0_F1_0"], rel=1e-12)
    assert fb.swave_coefficients(ch, sw, replace(B3, dynamics="B2"), INP) == naive
    with pytest.raises(ValueError, match="swave_kt"):
        FourBodyConfig(swave_kt=1)


def test_kt_swave_moves_only_the_s_wave_rows():
    """The kT S-wave changes the S-wave rows of M and not the P-wave block (bit for bit)."""
    for name in ("Bs_rho0phi", "B0_rho0phi"):
        kt, _ = fb.interference_matrices(name, B3, INP)
        naive, _ = fb.interference_matrices(name, replace(B3, swave_kt=False), INP)
        assert np.array_equal(kt[:3, :3], naive[:3, :3])
        assert not np.allclose(kt[3:5, 3:5], naive[3:5, 3:5], rtol=0.01, atol=0)
