"""The cached EOS → M–R evaluations the claims read: exact JSON round trip, failures recorded."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from paperzoo.core.registry import Scale
from paperzoo.neutronstar import experiments
from paperzoo.neutronstar.scan import evaluate_eos


def test_curve_survives_json_exactly(fake_builder):
    curve, _ = evaluate_eos(fake_builder(700.0), n_stars=10)
    back = experiments.curve_from_json(json.loads(json.dumps(experiments.curve_to_json(curve))))
    for f in dataclasses.fields(curve):
        a, b = getattr(curve, f.name), getattr(back, f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b and type(a) is type(b)
    assert back.radius_at(0.77) == curve.radius_at(0.77)


def test_a_failed_build_is_cached_and_raised_again():
    args = (950.0, 57.7, 0.5, "css", Scale.SMOKE)
    with pytest.raises(ValueError, match="m0 must lie in"):
        experiments.evaluated(*args)
    assert experiments.eos_evaluation.cached(*args)
    assert "m0 must lie in" in experiments.eos_evaluation(*args)["error"]
