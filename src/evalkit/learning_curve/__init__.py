"""Learning curves: how the score grows with labelled data, and how many labels a target needs."""

from evalkit.learning_curve.extrapolate import curve_points, extrapolate

__all__ = ["curve_points", "extrapolate"]
