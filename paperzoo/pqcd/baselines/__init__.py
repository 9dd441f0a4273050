"""Baselines of the pqcd system: a plain ``scipy.integrate.nquad`` of the same integrals."""
