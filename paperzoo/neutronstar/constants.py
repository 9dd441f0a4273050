"""Physical constants of the PDM equations (CODATA 2018).

Natural units ħ = c = 1 are used inside the equation modules: every quantity is a power of MeV
(densities MeV³, pressures MeV⁴). The public API converts to fm⁻³ and MeV fm⁻³ with ``HBARC3``.
The TOV solver's gravitational units live beside it in ``tov.py``; the PDM inputs in ``config.py``.
"""

from __future__ import annotations

HBARC = 197.3269804  # ħc [MeV fm], CODATA 2018
HBARC3 = HBARC**3  # 1 fm⁻³ = HBARC3 MeV³ and 1 MeV fm⁻³ = HBARC3 MeV⁴

M_ELECTRON = 0.51099895000  # [MeV], CODATA 2018
M_MUON = 105.6583755  # [MeV], CODATA 2018
