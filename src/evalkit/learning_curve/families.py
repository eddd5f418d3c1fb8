"""Monotone saturating curve families for learning curves: score as a function of training-set size.

Every family rises towards an asymptote ``a`` (scores are oriented so that higher is better; the
caller flips lower-is-better metrics). Sizes enter as ``x = n / n_ref`` with ``n_ref`` the largest
measured size, so every parameter is of order one and the fits are well conditioned.

- ``pow3``, the inverse power law ``a - b * x**(-c)`` (Figueroa et al. 2012): the default;
- ``pow4``, ``a - b * (x + d)**(-c)``: bends later at small sizes, where pow3 is often too steep;
- ``exp3``, ``a - b * exp(-c * x)``: saturates faster than any power law, the optimist's curve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Params = Sequence[float]


@dataclass(frozen=True)
class CurveFamily:
    """One family: its formula, where a fit starts, which parameters must be positive, and its inverse
    (the size for a score).

    Positive parameters are fitted as their logarithms (:meth:`free_curve`), so a fit needs no bounds
    and runs with Levenberg-Marquardt, several times faster than a bounded solver: the bootstrap
    refits each curve hundreds of times.
    """

    name: str
    formula: str
    curve: Callable[..., np.ndarray]
    start: Callable[[np.ndarray, np.ndarray], list[float]]
    positive: tuple[bool, ...]
    inverse: Callable[[float, Params], float]
    gradient: Callable[..., np.ndarray]

    @property
    def n_params(self) -> int:
        return len(self.positive)

    def to_free(self, params: Params) -> np.ndarray:
        return np.array([np.log(max(p, 1e-9)) if pos else p
                         for p, pos in zip(params, self.positive, strict=True)])

    def to_natural(self, theta: Params) -> np.ndarray:
        # A diverged fit overflows here; the caller rejects the non-finite parameters, so no warning.
        with np.errstate(over="ignore"):
            return np.array([np.exp(t) if pos else t for t, pos in zip(theta, self.positive, strict=True)])

    def free_curve(self, x: np.ndarray, *theta: float) -> np.ndarray:
        # Scalars straight into the curve, no array built: the optimizer calls this about a million
        # times in one run's bootstrap refits.
        return self.curve(x, *[np.exp(t) if pos else t for t, pos in zip(theta, self.positive, strict=True)])

    def free_gradient(self, x: np.ndarray, *theta: float) -> np.ndarray:
        """The curve's derivatives by the free parameters, one column each (the chain rule through
        ``exp``): handed to the optimizer, it needs no finite differences, a third of the calls."""
        natural = [np.exp(t) if pos else t for t, pos in zip(theta, self.positive, strict=True)]
        columns = self.gradient(x, *natural)
        for j, pos in enumerate(self.positive):
            if pos:
                columns[:, j] *= natural[j]
        return columns


def _pow3(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a - b * np.power(x, -c)


def _pow3_gradient(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    power = np.power(x, -c)
    return np.column_stack([np.ones_like(x), -power, b * power * np.log(x)])


def _pow3_inverse(target: float, p: Params) -> float:
    a, b, c = p
    if target >= a:
        return float("inf")
    return float((b / (a - target)) ** (1.0 / c)) if b > 0 else 0.0


def _pow4(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    return a - b * np.power(x + d, -c)


def _pow4_gradient(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    power = np.power(x + d, -c)
    return np.column_stack([np.ones_like(x), -power, b * power * np.log(x + d), b * c * power / (x + d)])


def _pow4_inverse(target: float, p: Params) -> float:
    a, b, c, d = p
    if target >= a:
        return float("inf")
    return max(float((b / (a - target)) ** (1.0 / c)) - d, 0.0) if b > 0 else 0.0


def _exp3(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a - b * np.exp(-c * x)


def _exp3_gradient(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    decay = np.exp(-c * x)
    return np.column_stack([np.ones_like(x), -decay, b * x * decay])


def _exp3_inverse(target: float, p: Params) -> float:
    a, b, c = p
    if target >= a:
        return float("inf")
    if b <= 0 or a - target >= b:
        return 0.0
    return float(-np.log((a - target) / b) / c)


def _start(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """A guess at the asymptote and the gap from the first to the last point."""
    top = float(np.max(y))
    gap = max(top - float(np.min(y)), 1e-3)
    return top + 0.1 * gap, gap


FAMILIES: dict[str, CurveFamily] = {
    "pow3": CurveFamily(
        "pow3", "a - b * n^(-c)", _pow3,
        lambda x, y: [_start(x, y)[0], _start(x, y)[1] * float(np.min(x)) ** 0.5, 0.5],
        (False, True, True), _pow3_inverse, _pow3_gradient),
    "pow4": CurveFamily(
        "pow4", "a - b * (n + d)^(-c)", _pow4,
        lambda x, y: [_start(x, y)[0], _start(x, y)[1] * float(np.min(x)) ** 0.5, 0.5, 0.01],
        (False, True, True, True), _pow4_inverse, _pow4_gradient),
    "exp3": CurveFamily(
        "exp3", "a - b * exp(-c * n)", _exp3,
        lambda x, y: [_start(x, y)[0], _start(x, y)[1] * 2.0, 1.0 / max(float(np.median(x)), 1e-6)],
        (False, True, True), _exp3_inverse, _exp3_gradient),
}
