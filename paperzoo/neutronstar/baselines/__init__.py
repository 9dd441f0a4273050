"""The baseline the TOV solver is benchmarked against: scipy ``solve_ivp``, one star at a time."""

from paperzoo.neutronstar.baselines.scipy_tov import solve_tov

__all__ = ["solve_tov"]
