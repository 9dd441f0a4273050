"""The scipy ``solve_ivp`` TOV baseline: same interface as ``tov.solve_tov``, checked input."""

from __future__ import annotations

import numpy as np
import pytest

from paperzoo.neutronstar.baselines import scipy_tov
from paperzoo.neutronstar.crust import sly_full
from paperzoo.neutronstar.tov import StarSolution


@pytest.fixture(scope="module")
def sly():
    return sly_full(n_points=300)


def test_a_batch_is_the_stars_one_by_one(sly):
    pcs = np.array([20.0, 150.0])
    batch = scipy_tov.solve_tov(sly, pcs, rtol=1e-6)
    assert isinstance(batch, StarSolution) and batch.mass.shape == (2,)
    for i, pc in enumerate(pcs):
        single = scipy_tov.solve_tov(sly, pc, rtol=1e-6)
        assert [v[0] for v in single] == [v[i] for v in batch]
    assert 0.5 < batch.mass[0] < batch.mass[1] < 2.1 and 9.0 < batch.radius[1] < 13.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"central_pressure": []}, "central_pressure: must be a non-empty 1-D array"),
        ({"central_pressure": [[10.0]]}, "central_pressure: must be a non-empty 1-D array"),
        ({"central_pressure": 1e9}, "central_pressure: .* outside the table range"),
        ({"central_pressure": 10.0, "rtol": 0.0}, "rtol must lie in"),
    ],
)
def test_bad_input(sly, kwargs, match):
    with pytest.raises(ValueError, match=match):
        scipy_tov.solve_tov(sly, **kwargs)


@pytest.mark.slow  # tovextravaganza: ~0.1 s a star on an idle core, integrating to r = 100 km
def test_tovextravaganza_baseline_agrees_or_is_reported_missing(fake_builder):
    from paperzoo.neutronstar.baselines import tovextravaganza_tov

    eos = fake_builder(700.0)
    if not tovextravaganza_tov.available():
        with pytest.raises(ImportError, match="bench"):
            tovextravaganza_tov.solver(eos)
        return
    theirs = tovextravaganza_tov.solve_tov(eos, [120.0])
    ref = scipy_tov.solve_tov(eos, [120.0], rtol=1e-10)
    np.testing.assert_allclose(theirs.mass, ref.mass, rtol=2e-3)
    np.testing.assert_allclose(theirs.radius, ref.radius, rtol=2e-3)
    np.testing.assert_allclose(theirs.tidal_deformability, ref.tidal_deformability, rtol=1e-2)
