"""Shared fixtures: a cheap stand-in for the PDM EOS builder (SLy softened as m0 rises)."""

from __future__ import annotations

from functools import lru_cache

import pytest

from paperzoo.neutronstar.crust import glue_crust, sly_full
from paperzoo.neutronstar.tov import TabulatedEOS


@lru_cache(maxsize=1)
def _sly() -> TabulatedEOS:
    return sly_full(n_points=300)


def fake_build_eos(m0: float, *, softening: float = 1.0, n_match: float = 0.08) -> TabulatedEOS:
    """SLy with P scaled by 1 − softening·(m0 − 500)/2000: softer (smaller R) as m0 rises."""
    if not 0 < m0 < 939:
        raise ValueError(f"m0 must lie in (0, 939) MeV, got {m0!r}")
    base = _sly()
    scale = 1.0 - softening * (m0 - 500.0) / 2000.0
    core = TabulatedEOS(base.energy_density, base.pressure * scale, base.baryon_density)
    return glue_crust(core, n_match)


@pytest.fixture
def fake_builder():
    return fake_build_eos
