"""CKM matrix from the Wolfenstein parameters."""

from __future__ import annotations

import numpy as np
import pytest

from paperzoo.pqcd.ckm import ckm_matrix, weak_factors


def test_unitary_and_wolfenstein_leading_terms():
    v = ckm_matrix(0.225, 0.826, 0.159, 0.348)
    assert np.allclose(v @ v.conj().T, np.eye(3), atol=1e-15)
    assert abs(v[0, 1]) / np.sqrt(1 - abs(v[0, 2]) ** 2) == pytest.approx(
        0.225, rel=1e-12
    )  # s12 = λ
    assert abs(v[1, 2]) == pytest.approx(0.826 * 0.225**2, rel=1e-3)
    lu, lt = weak_factors(v, "d")
    # ρ̄ + iη̄ = −V_ud V_ub*/(V_cd V_cb*) exactly in this parametrisation
    ratio = -v[0, 0] * np.conj(v[0, 2]) / (v[1, 0] * np.conj(v[1, 2]))
    assert ratio == pytest.approx(0.159 + 0.348j, abs=1e-12)
    assert abs(lt) == pytest.approx(abs(v[2, 2] * v[2, 0]), rel=1e-14)
    assert lu == pytest.approx(v[0, 2] * np.conj(v[0, 0]))


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="λ"):
        ckm_matrix(1.2, 0.8, 0.1, 0.3)
    with pytest.raises(ValueError, match="not finite"):
        ckm_matrix(0.22, float("nan"), 0.1, 0.3)
    with pytest.raises(ValueError, match="'d' or 's'"):
        weak_factors(np.eye(3), "b")
