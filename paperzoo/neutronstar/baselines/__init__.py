"""Baselines of the TOV solver: scipy ``solve_ivp`` per star (``scipy_tov``) and the optional
PyPI ``tovextravaganza`` per star (``tovextravaganza_tov``), both with ``solve_tov``'s interface."""

from paperzoo.neutronstar.baselines.scipy_tov import solve_tov

__all__ = ["solve_tov"]
