"""Extrapolating a measured learning curve: the score at a larger size, and the labels a target needs.

The measured points are (training-set size, score) pairs, usually several seeds per size. Each curve
family of :mod:`evalkit.learning_curve.families` is fitted by weighted least squares (weights from
the spread across seeds at each size, as in Figueroa et al. 2012); the family is chosen by its error
on the largest measured sizes when fitted without them, because a curve that cannot predict the
points it has not seen cannot be trusted further out. The weights come from a spread smoothed across
sizes (:func:`run_spread`), not from each size's own three to five seeds. Intervals come from
refitting on bootstrap replicates of the runs (every run redrawn around its size's mean with the
smoothed spread; residuals when there is one run per size), each replicate estimating its weights
and choosing its family again, so they carry the noise of the measurements, of the weights and of
the choice of family. The error of a family whose shape is wrong past the data comes from backtests
on the curve itself (:func:`horizon_errors`): each replicate's gain beyond the data is widened by a
share as large as the family missed by when it was fitted on the smaller sizes only.

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
# The optimizer's budget of curve evaluations per fit. With analytic gradients a fit converges in a few
# dozen; one still going after 300 is crawling along a degenerate valley (pow4 with d and c growing
# together) and would fail at any budget: the old 2,000 spent most of the demo's time on such fits.
MAX_CALLS = 300


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
        """Standard error of each size's mean, from :func:`run_spread`; None unless every size has at
        least two runs."""
        spread = run_spread(self.sizes, self.runs)
        if spread is None:
            return None
        return spread / np.sqrt([len(r) for r in self.runs])


def run_spread(sizes: np.ndarray, runs: tuple[np.ndarray, ...], at: np.ndarray | None = None,
               ) -> np.ndarray | None:
    """The run-to-run standard deviation at each size (or at the sizes ``at``), smoothed across sizes
    (None with one run per size).

    Three to five seeds estimate a size's variance badly: with three, the sample variance is below
    a third of the true one about one time in ten. Weights 1/s² from such estimates let the luckiest
    size dominate the fit, and a bootstrap that resamples those same seeds barely moves it, so the
    intervals were too narrow (0.88 coverage at a stated 0.95). Instead one line through every size's
    log variance against log n borrows strength across sizes (a variance function, as in Carroll and
    Ruppert, *Transformation and Weighting in Regression*, 1988). Each log variance is first corrected
    for its bias, E[log s²] = log σ² + ψ(ν/2) − log(ν/2) with ν = runs − 1, and weighted by the
    inverse of its variance ψ'(ν/2). Sizes whose runs all agree (a deterministic fit on the whole
    split) say nothing about the spread and get the line's value.

    Runs whose spread halves with every fourfold size keep that slope; the level is raised by the
    bias correction (three runs: a factor exp(0.577 / 2) = 1.33 on the standard deviation):

    >>> sizes = np.array([16.0, 64.0, 256.0, 1024.0])
    >>> runs = tuple(np.array([0.5 - d, 0.5, 0.5 + d]) for d in (0.08, 0.04, 0.02, 0.01))
    >>> np.round(run_spread(sizes, runs), 4).tolist()
    [0.1068, 0.0534, 0.0267, 0.0133]
    """
    from scipy.special import digamma, polygamma

    counts = np.array([len(r) for r in runs])
    if counts.min() < 2:
        return None
    var = np.array([r.var(ddof=1) for r in runs])
    ok = var > 0
    if not ok.any():
        return None
    half = (counts[ok] - 1) / 2
    log_var = np.log(var[ok]) - (digamma(half) - np.log(half))
    precision = 1 / polygamma(1, half)
    log_n = np.log(sizes[ok])
    if ok.sum() >= 3 and np.ptp(log_n) > 0:
        slope, intercept = np.polyfit(log_n, log_var, 1, w=np.sqrt(precision))
        # A spread that grows fast with n, or falls faster than 1/n, is noise in the line, not the data.
        slope = float(np.clip(slope, -2.0, 1.0))
        intercept = float(np.average(log_var - slope * log_n, weights=precision))
    else:
        slope, intercept = 0.0, float(np.average(log_var, weights=precision))
    return np.exp(0.5 * (intercept + slope * np.log(sizes if at is None else at)))


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
        model, gradient = family.free_curve, family.free_gradient
    else:
        theta0[0] = np.log(max(ceiling - natural[0], 1e-3))

        def model(x_: np.ndarray, *theta: float) -> np.ndarray:
            return family.free_curve(x_, ceiling - np.exp(theta[0]), *theta[1:])

        def gradient(x_: np.ndarray, *theta: float) -> np.ndarray:
            columns = family.free_gradient(x_, ceiling - np.exp(theta[0]), *theta[1:])
            columns[:, 0] *= -np.exp(theta[0])
            return columns

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            theta, _ = curve_fit(model, x, y, p0=theta0, sigma=sigma, jac=gradient, maxfev=MAX_CALLS)
    except (RuntimeError, ValueError, OverflowError):
        return None
    if ceiling is not None:
        theta[0] = ceiling - np.exp(theta[0])
    params = family.to_natural(theta)
    return params if np.all(np.isfinite(params)) else None


def _choose(points: CurvePoints, x: np.ndarray, sigma: np.ndarray | None = None,
            ceiling: float | None = None, starts: dict[str, np.ndarray] | None = None,
            ) -> tuple[CurveFamily, dict[str, float | None], dict[str, np.ndarray]]:
    """The family with the smallest error on the held-out largest sizes (pow3 when too few sizes),
    every family's held-out error, and the parameters of those held-out fits.

    ``starts`` (the held-out fits of the measured points) start a bootstrap replicate's fits near
    their answer: a few optimizer steps instead of a search from the generic guess.
    """
    k = len(x)
    held = 2 if k >= 6 else 1 if k == 5 else 0
    if held == 0:
        return FAMILIES["pow3"], {}, {}
    y = points.means
    sigma = points.sigmas if sigma is None else sigma
    errors: dict[str, float | None] = {}
    fitted: dict[str, np.ndarray] = {}
    for name, family in FAMILIES.items():
        train = slice(0, k - held)
        if k - held <= family.n_params:
            errors[name] = None
            continue
        params = _fit(family, x[train], y[train], None if sigma is None else sigma[train],
                      start=(starts or {}).get(name), ceiling=ceiling)
        if params is None:
            errors[name] = None
            continue
        fitted[name] = params
        errors[name] = float(np.mean(np.abs(family.curve(x[k - held:], *params) - y[k - held:])))
    usable = {n: e for n, e in errors.items() if e is not None}
    if not usable:
        return FAMILIES["pow3"], errors, fitted
    # The inverse power law is the default; another family must predict the held-out sizes clearly
    # better (by a quarter) to replace it, since a better fit of one or two points is weak evidence.
    best = min(usable, key=lambda n: usable[n])
    if "pow3" in usable and usable[best] > 0.75 * usable["pow3"]:
        best = "pow3"
    return FAMILIES[best], errors, fitted


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


def _replicates(points: CurvePoints, fitted: np.ndarray, n_params: int, rng: np.random.Generator,
                resamples: int) -> list[CurvePoints]:
    """Bootstrap replicates of the measured runs.

    With several runs per size, every run is redrawn around its size's mean with the smoothed spread
    of :func:`run_spread` times a deviation drawn from all sizes' standardised deviations, pooled;
    each replicate then estimates its own spread (the fit's weights) again, so the intervals carry
    the uncertainty of the weights too. The spread is widened when the means scatter around the fitted
    curve more than that spread explains (a reduced chi-square above one: lack of fit). With one run
    per size, the residuals from the fitted curve are resampled.
    """
    means = points.means
    spread = run_spread(points.sizes, points.runs)
    if spread is None:
        residuals = (means - fitted) * np.sqrt(len(means) / max(len(means) - n_params, 1))
        return [dataclasses.replace(points, runs=tuple(np.array([v]) for v in
                                                       fitted + rng.choice(residuals, size=len(residuals))))
                for _ in range(resamples)]
    counts = np.array([len(r) for r in points.runs])
    se = spread / np.sqrt(counts)
    dof = len(means) - n_params
    chi2 = float(np.sum(((means - fitted) / se) ** 2))
    spread = spread * np.sqrt(max(1.0, chi2 / dof)) if dof > 0 else spread
    pooled = np.concatenate([(r - r.mean()) / s * np.sqrt(len(r) / (len(r) - 1))
                             for r, s in zip(points.runs, spread, strict=True) if r.std() > 0])
    pooled = pooled / np.sqrt(np.mean(pooled ** 2)) if pooled.size >= 2 and np.any(pooled) else None
    out = []
    for _ in range(resamples):
        draws = (rng.choice(pooled, size=int(counts.sum())) if pooled is not None
                 else rng.standard_normal(int(counts.sum())))
        parts = np.split(draws, np.cumsum(counts)[:-1])
        out.append(dataclasses.replace(points, runs=tuple(m + s * d for m, s, d in
                                                          zip(means, spread, parts, strict=True))))
    return out


@dataclass(frozen=True)
class HorizonErrors:
    """How far the chosen family, fitted on the smaller measured sizes only, missed the larger ones.

    ``log_ratio[i]`` is how far (log of the size ratio) backtest ``i`` reached beyond its last fitted
    size, ``relative[i]`` its error as a share of the gain it predicted over that reach, and
    ``origin[i]`` the index of that last fitted size.
    """

    log_ratio: np.ndarray
    relative: np.ndarray
    origin: np.ndarray

    def scale(self, ratio: float) -> float:
        """The spread (a standard deviation) of the relative error of a prediction ``ratio`` times
        beyond the data; 0.0 when no backtest reached about that far.

        Backtests within a factor √2 of ``ratio`` count (the longest ones when ``ratio`` is beyond all
        of them), from the later half of the forecast origins when they have any: the prediction asked
        for starts from the last measured size, where the curve bends less than at its start. The
        spread is the median absolute share times 1.4826 (a normal's standard deviation) because a
        share divides by a predicted gain that can be small, and one such share would otherwise set the
        width of every interval.

        >>> HorizonErrors(np.log([2.0, 2.0, 8.0]), np.array([0.1, -0.1, 0.5]), np.array([3, 4, 3])).scale(2)
        0.14826
        """
        if ratio <= 1 or self.relative.size == 0:
            return 0.0
        half_step = 0.5 * np.log(2)
        near = np.abs(self.log_ratio - np.log(ratio)) <= half_step
        if not near.any():
            near = self.log_ratio >= self.log_ratio.max() - half_step
        late = near & (self.origin >= np.median(self.origin))
        chosen = self.relative[late if late.any() else near]
        return float(1.4826 * np.median(np.abs(chosen)))


def horizon_errors(points: CurvePoints, x: np.ndarray, family: CurveFamily,
                   ceiling: float | None = None) -> HorizonErrors:
    """Backtests of the extrapolation on the measured curve itself (rolling forecast origins).

    Refitted on the sizes up to each origin, the family predicts every larger measured size; an
    error is kept as a share of the gain predicted from the origin, and only where that gain stands
    clear of the measurement noise (twice the standard error of the mean there), so that a flat
    stretch does not turn noise into a huge share. The bootstrap refits carry the noise of the
    measurements and the choice of family, not the error of a family whose shape is wrong past the
    data (curves that still steepen, or bend over sooner); these shares measure that error on the
    curve's own range, as empirical prediction intervals do (Williams and Goodman, JASA 1971).
    """
    y, sigma = points.means, points.sigmas
    smallest = max(MIN_SIZES, family.n_params + 1)
    ratios, shares, origins = [], [], []
    for origin in range(smallest - 1, len(x) - 1):
        fit_to = slice(0, origin + 1)
        params = _fit(family, x[fit_to], y[fit_to], None if sigma is None else sigma[fit_to],
                      ceiling=ceiling)
        if params is None:
            continue
        ahead = x[origin + 1:]
        predicted = family.curve(ahead, *params)
        gain = predicted - family.curve(x[origin:origin + 1], *params)[0]
        noise = 2 * sigma[origin + 1:] if sigma is not None else np.zeros(ahead.size)
        clear = gain > np.maximum(noise, 1e-9)
        ratios.extend(np.log(ahead[clear] / x[origin]))
        shares.extend((y[origin + 1:][clear] - predicted[clear]) / gain[clear])
        origins.extend([origin] * int(clear.sum()))
    return HorizonErrors(np.array(ratios, dtype=float), np.array(shares, dtype=float),
                         np.array(origins, dtype=int))


def _labels_for(goal: float, family: CurveFamily, params: np.ndarray, share: float) -> float:
    """The size (in units of the largest measured one) at which the curve reaches ``goal`` when its
    gain beyond the data is off by ``share`` of itself, as in the predictions' intervals; inf when
    that curve never gains (share at or below -1)."""
    if share <= -1:
        return float("inf")
    start = float(family.curve(np.array([1.0]), *params)[0])
    return float(family.inverse((goal + share * start) / (1 + share), params))


def _quantiles(values: np.ndarray, level: float) -> tuple[float, float]:
    """Order-statistic percentile interval; exact for values that may be infinite."""
    alpha = (1 - level) / 2
    return (float(np.quantile(values, alpha, method="lower")),
            float(np.quantile(values, 1 - alpha, method="higher")))


def extrapolate(n: Any, score: Any, *, at: list[float] | tuple[float, ...] = (),
                targets: list[float] | tuple[float, ...] = (), higher_is_better: bool = True,
                level: float = 0.95, resamples: int = 200, seed: int = 0, max_factor: float = 10.0,
                best_possible: float | None = None, worst_possible: float | None = None,
                source: str = "curve") -> dict[str, Any]:
    """Fit a learning curve and answer: the score at sizes ``at``, the labels each target needs.

    ``best_possible`` (1.0 for accuracy, 0.0 for an error rate) keeps the fitted asymptote within
    what the score can reach; ``worst_possible`` (0.0 for recall) keeps the intervals above what it
    cannot fall below, which a steep start's band would otherwise cross. Returns a JSON-ready dict:
    the chosen family and its parameters (n in units of the largest measured size) with their
    intervals (``param_intervals``: that family refitted to every bootstrap replicate), the held-out
    error of every family, whether the curve is reliable, ``predictions`` (one per size in ``at``:
    the curve's interval ``low``/``high``, one model's ``run_low``/``run_high``, None with one run
    per size, and the backtests' ``shape_error``) and ``targets`` (one per target score: ``labels``
    in all with an interval, ``more`` beyond the largest measured size, or a ``status`` that says
    why there is no number).

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
    floor = -np.inf if worst_possible is None else points.sign * float(worst_possible)
    if ceiling is not None and points.means.max() > ceiling:
        raise DataError(f"{source}: a measured score is better than the best possible value "
                        f"{best_possible:g}; check --best-possible")
    if np.isfinite(floor) and points.means.min() < floor:
        raise DataError(f"{source}: a measured score is worse than the worst possible value "
                        f"{worst_possible:g}; check --worst-possible")
    family, heldout, heldout_fits = _choose(points, x, ceiling=ceiling)
    params = _fit(family, x, points.means, points.sigmas, ceiling=ceiling)
    if params is None:
        raise DataError(f"{source}: no {family.name} curve ({family.formula}) fits these points; check that "
                        "the scores rise with n")
    unreliable = _reliability(points)
    rng = np.random.default_rng(seed)
    # Each replicate chooses its family again, so the intervals carry the uncertainty of that choice.
    replicates: list[tuple[CurveFamily, np.ndarray, np.ndarray | None]] = []
    # The reported family's parameters in every replicate, for their intervals: a parameter means
    # something only within its family, so a replicate that chose another one refits this one too.
    own_params: list[np.ndarray] = []
    for replicate in _replicates(points, family.curve(x, *params), family.n_params, rng, resamples):
        sigma = replicate.sigmas
        chosen, _, _ = _choose(replicate, x, sigma=sigma, ceiling=ceiling, starts=heldout_fits)
        p = _fit(chosen, x, replicate.means, sigma, start=params if chosen is family else None,
                 ceiling=ceiling)
        if p is not None:
            replicates.append((chosen, p, replicate.runs if sigma is not None else None))
        own = p if chosen is family else _fit(family, x, replicate.means, sigma, start=params,
                                              ceiling=ceiling)
        if own is not None:
            own_params.append(own)
    sign = points.sign
    current = float(points.means[-1])
    backtests = horizon_errors(points, x, family, ceiling)
    # Each replicate's run-to-run spread at every size asked about (its own line through its runs),
    # replicates x sizes; None with one run per size, where the spread is not known.
    asked = np.array([float(size) for size in at])
    spreads = (np.array([run_spread(points.sizes, runs, at=asked) for _, _, runs in replicates])
               if replicates and asked.size and all(runs is not None for _, _, runs in replicates) else None)
    top = np.inf if ceiling is None else ceiling

    # One draw per replicate for every size asked about, so that a replicate stays one smooth curve
    # (the figure's band is drawn from these sizes).
    shape_draws, run_draws = rng.standard_normal((2, len(replicates)))
    predictions = []
    for i, size in enumerate(at):
        entry: dict[str, Any] = {"n": float(size)}
        if size > max_factor * n_ref:
            entry["status"] = (f"beyond the measured range: {size:g} is more than {max_factor:g}x the "
                               f"largest measured size ({n_ref:g}); measure larger sizes first")
        elif unreliable:
            entry["status"] = unreliable
        else:
            here = np.array([size / n_ref, 1.0])
            point = float(family.curve(here[:1], *params)[0])
            ends = np.array([f.curve(here, *p) for f, p, _ in replicates])
            shape = backtests.scale(size / n_ref)
            reps = ends[:, 0]
            if size > n_ref:
                # Each replicate's predicted gain beyond the data, off by a share of itself as large as
                # the backtests missed by; kept between the fitted score at the largest measured size
                # (the families never fall) and the best possible score.
                gain = ends[:, 0] - ends[:, 1]
                reps = np.maximum(reps + shape * gain * shape_draws, ends[:, 1])
            reps = np.clip(reps, floor, top)
            low, high = _quantiles(reps, level)
            # One model trained on `size` items scatters around the curve by the run-to-run spread there.
            if spreads is not None:
                one = np.clip(reps + spreads[:, i] * run_draws, floor, top)
                run_low, run_high = sorted(sign * v for v in _quantiles(one, level))
            else:
                run_low = run_high = None  # one run per size: the run-to-run spread is not known
            low, high = sorted((sign * low, sign * high))
            entry |= {"status": "ok", "score": sign * point, "low": low, "high": high,
                      "run_low": run_low, "run_high": run_high, "shape_error": shape}
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
            shares = backtests.scale(needed / n_ref) * rng.standard_normal(len(replicates))
            reps = np.array([_labels_for(goal, f, p, share) * n_ref
                             for (f, p, _), share in zip(replicates, shares, strict=True)])
            if not np.isfinite(needed):
                entry["status"] = (f"beyond the fitted asymptote: the curve levels off at "
                                   f"{sign * params[0]:.4g}, short of {target:g}")
            elif needed > max_factor * n_ref:
                entry["status"] = (f"beyond what the curve supports: it would need about {needed:,.0f} "
                                   f"labels, more than {max_factor:g}x the largest measured size ({n_ref:g})")
            else:
                low, high = _quantiles(reps, level)
                bounded = np.isfinite(high) and high <= max_factor * n_ref
                # The fitted curve may pass the target a little before the largest size while that
                # size's measured mean is still short of it: no fewer labels than are in hand, as the
                # interval and "more" already say.
                entry |= {"status": "ok", "labels": max(needed, n_ref), "low": max(low, n_ref),
                          "high": high if bounded else None, "more": max(needed - n_ref, 0.0),
                          "more_low": max(low - n_ref, 0.0), "more_high": high - n_ref if bounded else None}
        answers.append(entry)

    names = {"pow3": "abc", "pow4": "abcd", "exp3": "abc"}[family.name]
    described = {k: float(v) for k, v in zip(names, params, strict=True)}
    described["a"] *= sign
    intervals = {}
    if own_params:
        table = np.array(own_params)
        for j, k in enumerate(names):
            low, high = _quantiles(table[:, j], level)
            intervals[k] = sorted((sign * low, sign * high)) if k == "a" else [low, high]
    return {
        # A loss is fitted flipped (higher is better); the parameters are reported for the loss itself,
        # so its formula rises towards a from above: a + b * ...
        "family": family.name,
        "formula": (family.formula if sign > 0 else family.formula.replace("a - b", "a + b", 1))
        + "  (n in units of the largest measured size)",
        "params": described, "param_intervals": intervals, "param_resamples": len(own_params),
        "asymptote": sign * float(params[0]), "heldout_error": heldout,
        "sizes": points.sizes.tolist(), "runs_per_size": [len(r) for r in points.runs],
        "largest_size": n_ref, "current_score": sign * current, "reliable": unreliable is None,
        "reliability_note": unreliable, "level": level, "resamples": len(replicates),
        "predictions": predictions, "targets": answers,
    }
