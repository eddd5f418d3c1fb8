"""Extrapolating a measured learning curve: the score at a larger size, and the labels a target needs.

The measured points are (training-set size, score) pairs, usually several seeds per size. Each curve
family of :mod:`evalkit.learning_curve.families` is fitted by weighted least squares (weights from
the spread across seeds at each size, as in Figueroa et al. 2012); the family is chosen by its error
on the largest measured sizes when fitted without them, because a curve that cannot predict the
points it has not seen cannot be trusted further out. Intervals come from refitting the chosen family
on bootstrap replicates of the points (seeds resampled within each size; residuals when there is one
run per size), so they carry the noise of the measurements, not the choice of family.

The answer is honest about what the curve supports: a target above the fitted asymptote, or one that
needs more than ``max_factor`` times the largest measured size, gets a statement, not a number; so
does a flat or non-monotone curve.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.errors import DataError
from evalkit.learning_curve.families import FAMILIES, CurveFamily

MIN_SIZES = 4


@dataclass(frozen=True)
class CurvePoints:
    """Measured points grouped by size, oriented so that higher is better."""

    sizes: np.ndarray
    runs: tuple[np.ndarray, ...]
    sign: float

    @property
    def means(self) -> np.ndarray:
        return np.array([r.mean() for r in self.runs])

    @property
    def sigmas(self) -> np.ndarray | None:
        """Standard error of each size's mean; None unless every size has at least two runs."""
        if min(len(r) for r in self.runs) < 2:
            return None
        se = np.array([r.std(ddof=1) / np.sqrt(len(r)) for r in self.runs])
        positive = se[se > 0]
        # A size whose seeds all agree would get infinite weight; floor it at the smallest real spread.
        floor = positive.min() if positive.size else 1.0
        return np.maximum(se, floor)


def curve_points(n: Any, score: Any, *, higher_is_better: bool = True, source: str = "curve") -> CurvePoints:
    """Group ``(n, score)`` pairs by size; raises :class:`DataError` on points no curve can be fitted to."""
    n = np.asarray(n, dtype=float)
    score = np.asarray(score, dtype=float)
    if n.shape != score.shape or n.ndim != 1:
        raise DataError(f"{source}: n and score must be two columns of the same length")
    bad = ~np.isfinite(n) | ~np.isfinite(score)
    if bad.any():
        raise DataError(f"{source}: row {int(np.argmax(bad)) + 1} has a missing or infinite n or score; "
                        "remove it or fill it in")
    if (n <= 0).any() or (n != np.round(n)).any():
        raise DataError(f"{source}: n must be a positive whole number of training items "
                        f"(found {n[(n <= 0) | (n != np.round(n))][0]:g})")
    sizes = np.unique(n)
    if sizes.size < MIN_SIZES:
        raise DataError(f"{source}: {sizes.size} distinct size(s) measured; a learning curve needs at least "
                        f"{MIN_SIZES} (e.g. geometric sizes 16, 32, 64, 128, ...)")
    sign = 1.0 if higher_is_better else -1.0
    return CurvePoints(sizes, tuple(sign * score[n == s] for s in sizes), sign)


def _fit(family: CurveFamily, x: np.ndarray, y: np.ndarray, sigma: np.ndarray | None,
         start: np.ndarray | None = None, ceiling: float | None = None) -> np.ndarray | None:
    """Weighted least-squares parameters of ``family`` (natural scale), or None if the fit fails.

    With a ``ceiling`` (the best score possible, e.g. 1 for accuracy) the asymptote is fitted as
    ``ceiling - exp(alpha)``, so no extrapolation promises a score the metric cannot take.
    """
    from scipy.optimize import curve_fit

    natural = np.array(start if start is not None else family.start(x, y), dtype=float)
    theta0 = family.to_free(natural)
    if ceiling is None:
        model = family.free_curve
    else:
        theta0[0] = np.log(max(ceiling - natural[0], 1e-3))

        def model(x_: np.ndarray, *theta: float) -> np.ndarray:
            return family.free_curve(x_, ceiling - np.exp(theta[0]), *theta[1:])

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            theta, _ = curve_fit(model, x, y, p0=theta0, sigma=sigma, maxfev=2000)
    except (RuntimeError, ValueError, OverflowError):
        return None
    if ceiling is not None:
        theta[0] = ceiling - np.exp(theta[0])
    params = family.to_natural(theta)
    return params if np.all(np.isfinite(params)) else None


def _choose(points: CurvePoints, x: np.ndarray, sigma: np.ndarray | None = None,
            ceiling: float | None = None) -> tuple[CurveFamily, dict[str, float | None]]:
    """The family with the smallest error on the held-out largest sizes (pow3 when too few sizes)."""
    k = len(x)
    held = 2 if k >= 6 else 1 if k == 5 else 0
    if held == 0:
        return FAMILIES["pow3"], {}
    y = points.means
    sigma = points.sigmas if sigma is None else sigma
    errors: dict[str, float | None] = {}
    for name, family in FAMILIES.items():
        train = slice(0, k - held)
        if k - held <= family.n_params:
            errors[name] = None
            continue
        params = _fit(family, x[train], y[train], None if sigma is None else sigma[train], ceiling=ceiling)
        if params is None:
            errors[name] = None
            continue
        errors[name] = float(np.mean(np.abs(family.curve(x[k - held:], *params) - y[k - held:])))
    usable = {n: e for n, e in errors.items() if e is not None}
    if not usable:
        return FAMILIES["pow3"], errors
    # The inverse power law is the default; another family must predict the held-out sizes clearly
    # better (by a quarter) to replace it, since a better fit of one or two points is weak evidence.
    best = min(usable, key=lambda n: usable[n])
    if "pow3" in usable and usable[best] > 0.75 * usable["pow3"]:
        best = "pow3"
    return FAMILIES[best], errors


def _reliability(points: CurvePoints) -> str | None:
    """Why the curve cannot support an extrapolation (flat or not rising), or None."""
    from scipy.stats import spearmanr

    means = points.means
    rise = means[-1] - means[0]
    noise = np.median(points.sigmas) if points.sigmas is not None else 0.0
    if rise <= max(2 * noise, 1e-9):
        return ("the curve is flat or falling (the score at the largest size is not clearly above the "
                "smallest): more labels of this kind are not shown to help")
    rho = spearmanr(points.sizes, means).statistic
    if rho < 0.6:
        return (f"the curve is not monotone (Spearman rho {rho:.2f} between size and score): "
                "the fit is unreliable")
    return None


def _replicates(points: CurvePoints, fitted: np.ndarray, rng: np.random.Generator,
                resamples: int) -> list[np.ndarray]:
    """Bootstrap replicates of the per-size means."""
    if min(len(r) for r in points.runs) >= 2:
        # The bootstrap mean of k runs varies (k-1)/k as much as the mean itself; with the 3-5 seeds
        # of a typical curve that shrinks every interval, so each replicate is widened back.
        means = points.means
        inflate = np.array([np.sqrt(len(r) / (len(r) - 1)) for r in points.runs])
        return [means + inflate * (np.array([rng.choice(r, size=len(r)).mean() for r in points.runs]) - means)
                for _ in range(resamples)]
    residuals = points.means - fitted
    return [fitted + rng.choice(residuals, size=len(residuals)) for _ in range(resamples)]


def _quantiles(values: np.ndarray, level: float) -> tuple[float, float]:
    """Order-statistic percentile interval; exact for values that may be infinite."""
    alpha = (1 - level) / 2
    return (float(np.quantile(values, alpha, method="lower")),
            float(np.quantile(values, 1 - alpha, method="higher")))


def extrapolate(n: Any, score: Any, *, at: list[float] | tuple[float, ...] = (),
                targets: list[float] | tuple[float, ...] = (), higher_is_better: bool = True,
                level: float = 0.95, resamples: int = 200, seed: int = 0, max_factor: float = 10.0,
                best_possible: float | None = None, source: str = "curve") -> dict[str, Any]:
    """Fit a learning curve and answer: the score at sizes ``at``, the labels each target needs.

    ``best_possible`` (1.0 for accuracy, 0.0 for an error rate) keeps the fitted asymptote within
    what the score can reach. Returns a JSON-ready dict: the chosen family and its parameters (sizes
    in items), the held-out error of every family, whether the curve is reliable, ``predictions``
    (one per size in ``at``)
    and ``targets`` (one per target score: ``labels`` in all with an interval, ``more`` beyond the
    largest measured size, or a ``status`` that says why there is no number).

    >>> n = [100, 200, 400, 800, 1600, 3200]
    >>> s = [0.9 - 0.5 * k ** -0.5 for k in n]
    >>> out = extrapolate(n, s, targets=[0.895])
    >>> out["family"], round(out["targets"][0]["labels"])
    ('pow3', 10000)
    """
    points = curve_points(n, score, higher_is_better=higher_is_better, source=source)
    if not 0 < level < 1:
        raise DataError(f"{source}: level {level} must be between 0 and 1 (e.g. 0.95)")
    n_ref = float(points.sizes[-1])
    x = points.sizes / n_ref
    ceiling = None if best_possible is None else points.sign * float(best_possible)
    if ceiling is not None and points.means.max() > ceiling:
        raise DataError(f"{source}: a measured score is better than the best possible value "
                        f"{best_possible:g}; check --best-possible")
    family, heldout = _choose(points, x, ceiling=ceiling)
    params = _fit(family, x, points.means, points.sigmas, ceiling=ceiling)
    if params is None:
        raise DataError(f"{source}: no {family.name} curve ({family.formula}) fits these points; check that "
                        "the scores rise with n")
    unreliable = _reliability(points)
    rng = np.random.default_rng(seed)
    # Each replicate chooses its family again, so the intervals carry the uncertainty of that choice.
    replicates: list[tuple[CurveFamily, np.ndarray]] = []
    for y in _replicates(points, family.curve(x, *params), rng, resamples):
        chosen, _ = _choose(dataclasses.replace(points, runs=tuple(np.array([v]) for v in y)), x,
                            sigma=points.sigmas, ceiling=ceiling)
        p = _fit(chosen, x, y, points.sigmas, start=params if chosen is family else None, ceiling=ceiling)
        if p is not None:
            replicates.append((chosen, p))
    sign = points.sign
    current = float(points.means[-1])

    predictions = []
    for size in at:
        entry: dict[str, Any] = {"n": float(size)}
        if size > max_factor * n_ref:
            entry["status"] = (f"beyond the measured range: {size:g} is more than {max_factor:g}x the "
                               f"largest measured size ({n_ref:g}); measure larger sizes first")
        elif unreliable:
            entry["status"] = unreliable
        else:
            point = float(family.curve(np.array([size / n_ref]), *params)[0])
            reps = np.array([f.curve(np.array([size / n_ref]), *p)[0] for f, p in replicates])
            low, high = _quantiles(reps, level)
            low, high = sorted((sign * low, sign * high))
            entry |= {"status": "ok", "score": sign * point, "low": low, "high": high}
        predictions.append(entry)

    answers = []
    for target in targets:
        goal = sign * float(target)
        entry = {"target": float(target)}
        if goal <= current:
            entry |= {"status": "reached", "labels": n_ref, "more": 0.0}
        elif unreliable:
            entry["status"] = unreliable
        else:
            needed = float(family.inverse(goal, params) * n_ref)
            reps = np.array([f.inverse(goal, p) * n_ref for f, p in replicates])
            if not np.isfinite(needed):
                entry["status"] = (f"beyond the fitted asymptote: the curve levels off at "
                                   f"{sign * params[0]:.4g}, short of {target:g}")
            elif needed > max_factor * n_ref:
                entry["status"] = (f"beyond what the curve supports: it would need about {needed:,.0f} "
                                   f"labels, more than {max_factor:g}x the largest measured size ({n_ref:g})")
            else:
                low, high = _quantiles(reps, level)
                bounded = np.isfinite(high) and high <= max_factor * n_ref
                entry |= {"status": "ok", "labels": needed, "low": max(low, n_ref),
                          "high": high if bounded else None, "more": max(needed - n_ref, 0.0),
                          "more_low": max(low - n_ref, 0.0), "more_high": high - n_ref if bounded else None}
        answers.append(entry)

    names = {"pow3": "abc", "pow4": "abcd", "exp3": "abc"}[family.name]
    described = {k: float(v) for k, v in zip(names, params, strict=True)}
    described["a"] *= sign
    return {
        "family": family.name, "formula": family.formula + "  (n in units of the largest measured size)",
        "params": described, "asymptote": sign * float(params[0]), "heldout_error": heldout,
        "sizes": points.sizes.tolist(), "runs_per_size": [len(r) for r in points.runs],
        "largest_size": n_ref, "current_score": sign * current, "reliable": unreliable is None,
        "reliability_note": unreliable, "level": level, "resamples": len(replicates),
        "predictions": predictions, "targets": answers,
    }
