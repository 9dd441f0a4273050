"""Claim criteria judge synthetic numbers as their docstrings say."""

from __future__ import annotations

from paperzoo.pqcd import repro


def _m(key, value):
    return {key: value, f"{key}_lo": 0.0, f"{key}_hi": 0.0}


def test_band_criterion():
    judge = repro._band_criterion("acp_dir", 21.8, 18.5, 24.5, "A_CP")
    assert judge([_m("acp_dir", 0.20)]).status == "reproduced"
    assert judge([_m("acp_dir", 0.12)]).status == "partial"
    zero = judge([_m("acp_dir", 0.0)])
    assert zero.status == "not reproduced" and "no strong phase" in zero.reason
    small = judge([_m("acp_dir", 0.0218)])
    assert small.status == "not reproduced" and "sign agrees, size 0.10" in small.reason
    flipped = judge([_m("acp_dir", -0.218)])
    assert flipped.status == "not reproduced" and "opposite sign, size 1.00" in flipped.reason
    p_wave = repro._band_criterion("acp_pwave", 21.8, 18.5, 24.5, "A_CP")
    run = _m("acp_pwave", 0.20) | {"acp_dir": 0.15, "f_swave": 0.25}
    verdict = p_wave([run])
    assert verdict.status == "reproduced"
    assert "S-wave fraction 25.0 % in the rate): 15 %" in verdict.reason


def test_br_and_symmetry_criteria():
    base = {k: 1e-7 for k in ("br_extracted", "br_extracted_lo", "br_extracted_hi")}
    r = base | _m("br_two_body", 2.9e-7) | {"pdg_br": 2.7e-7, "pdg_br_error": 0.76e-7}
    r |= {"f_swave": 0.25, "pdg_br_phi_f0": 1.12e-6} | _m("br_phi_f0", 1.4e-7)
    r |= _m("b2_br_two_body", 2.0e-7) | _m("b1_br_two_body", 6.0e-7) | {"b2_scale": 0.8}
    verdict = repro.br_criterion([r])
    assert verdict.status == "reproduced" and "stage B2" in verdict.reason
    assert "stage B1 (naive factorisation, LCSR): 6 " in verdict.reason
    assert "ratio 0.74" in verdict.reason
    assert "S-wave fraction of the window 25.0 %" in verdict.reason
    assert "φf0(→π⁺π⁻)) 1.4 −0 +0 ×10⁻⁷ against PDG 2026 11.2 ×10⁻⁷, ratio 0.12" in verdict.reason
    assert "P-wave four-body window ÷ B(ρ)B(φ): 0.75 ×10⁻⁷" in verdict.reason
    assert repro.br_criterion([r | {"br_two_body": 5.0e-7}]).status == "partial"
    assert repro.br_criterion([r | {"br_two_body": 9.0e-7}]).status == "not reproduced"
    ok = {"max_abs_model": 0.0, "max_abs_probe": 1e-17, "probe_bs_acp": 0.1, "probe_b0_fake": 0.2}
    assert repro.symmetry_criterion([ok]).status == "reproduced"
    assert repro.symmetry_criterion([ok | {"max_abs_probe": 1e-3}]).status == "partial"
