"""Operating points: the threshold a binary scoring model would ship with, chosen honestly.

One sort of the scores gives the confusion counts (tp, fp, fn, tn) at every distinct threshold
(:func:`sweep`); every threshold metric is a function of those count arrays (:data:`COUNT_METRICS`),
so an objective or a constraint on any of them is judged at all thresholds at once. A threshold
``t`` predicts positive when ``score >= t``; the candidates are the distinct scores themselves, so the
chosen threshold reproduces the choosing data's decisions exactly and is never a sentinel.

With a ``confidence``, a constraint counts as met only when its one-sided **Wilson** bound holds on the
choosing data (the lower bound for ``>=``, the upper for ``<=``). Wilson rather than Clopper-Pearson:
its coverage is close to the stated level (Clopper-Pearson's is above it, so it gives up more
precision than asked for), and it is closed-form, so it is computed for thousands of thresholds in one
vectorised step without SciPy. Only metrics that are a proportion of counts have such a bound
(:data:`PROPORTIONS`); F1 and balanced accuracy are refused under a confidence.

**Which recall the bound is about.** Wilson's bound on the choosing set's ``k`` of ``n`` bounds the
*population* proportion ``p``. But under ``validation`` a threshold is judged on a separate set (the
test items), whose proportion ``p2 = k2 / n2`` scatters around ``p`` too: with the population bound
just met, ``p2`` falls short whenever it lands more than about ``z * sqrt(p (1 - p) / n2)`` below
``p``, which for ``n2 = n`` happens in ``1 - Phi(z / sqrt(2))`` (12% at ``z = 1.645``) of test sets,
not 5%. The test set's proportion is what the leaderboard shows, so there the bound is a *prediction*
bound for it (:func:`prediction_bound`, ``judged_items`` in :func:`choose_threshold`): the two
proportions are independent binomials with the same ``p``, so ``p_hat - p2`` has variance
``p (1 - p) (1 / n + 1 / n2)``, and the score test of ``p2 < L`` evaluates that variance at the
boundary ``p = L``. Solving ``(p_hat - L)^2 = z^2 L (1 - L) (1 / n + 1 / n2)`` for ``L`` is Wilson's
equation with ``n`` replaced by the effective size ``n n2 / (n + n2)``: the same closed form, widened
by the judged set's own sampling noise, and the population bound again as ``n2`` grows. ``n2`` must
not peek at the judged set's labels or scores, so it is the choosing set's trials scaled by the ratio
of the item counts (``judged_items / choosing items``), the expected number of trials at the same
threshold.

Under ``cross_fit`` the bound stays the population's: the pooled held-out decisions an entry is
judged on are the choosing items themselves (each item chooses in every fold but its own), so the
pooled recall is close to the choosing folds' recall and only the spread of the fold thresholds adds
noise. Simulated (300 runs of 400 items, 5 folds, precision subject to recall >= 0.9): the naive
choice misses on the pooled items in 57% of runs, Wilson at 0.95 in none and at 0.8 in 1%, so the
population bound already over-covers there and widening it would only give up precision.

**Expected cost** is a threshold metric too, but not a function of the four counts alone: a per-item
cost column, or a multiclass cost matrix under one-vs-rest decisions (the "rest" label is the
highest-scoring other class, so a miss costs the cell of *that* class), make each item's cost its own.
So every item carries what it costs if the threshold calls it positive and if it calls it negative
(:class:`ItemCosts`); the sweep's cumulative sums of ``weight * (if_positive - if_negative)`` give the
total cost at every threshold in the same single pass, and the binary unit-cost form is the special case
``fp * c_fp + fn * c_fn``. Under a confidence, a constraint on the mean cost is judged at a one-sided
normal (central limit) bound, ``mean +- z * sd * sqrt(1/n [+ 1/n2])``, with the per-item costs'
standard deviation at that threshold from the same sums of squares (:func:`cost_bound`): an
approximation, not an exact bound like Wilson's, and poor for few items or heavy-tailed amounts.

Pure functions: arrays in, numbers out. ``choose_threshold`` picks on one set of items,
``cross_fit`` picks on the other folds for each fold and pools the held-out decisions, and
``resampled_cross_fit`` repeats the cross-fitted choice on bootstrap resamples.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from evalkit.errors import ConfigError, DataError

Counts = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
CountMetric = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (undefined, never silently 0 or 1)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


# Every threshold metric as a function of the count arrays; one more (expected_cost) is one more line.
COUNT_METRICS: dict[str, CountMetric] = {
    "precision": lambda tp, fp, fn, tn: _ratio(tp, tp + fp),
    "recall": lambda tp, fp, fn, tn: _ratio(tp, tp + fn),
    "specificity": lambda tp, fp, fn, tn: _ratio(tn, tn + fp),
    "fpr": lambda tp, fp, fn, tn: _ratio(fp, fp + tn),
    "accuracy": lambda tp, fp, fn, tn: _ratio(tp + tn, tp + fp + fn + tn),
    "f1": lambda tp, fp, fn, tn: _ratio(2 * tp, 2 * tp + fp + fn),
    "balanced_accuracy": lambda tp, fp, fn, tn: (_ratio(tp, tp + fn) + _ratio(tn, tn + fp)) / 2,
}

# Metrics that are a proportion successes / trials of the counts: these have a one-sided bound.
PROPORTIONS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                                tuple[np.ndarray, np.ndarray]]] = {
    "precision": lambda tp, fp, fn, tn: (tp, tp + fp),
    "recall": lambda tp, fp, fn, tn: (tp, tp + fn),
    "specificity": lambda tp, fp, fn, tn: (tn, tn + fp),
    "fpr": lambda tp, fp, fn, tn: (fp, fp + tn),
    "accuracy": lambda tp, fp, fn, tn: (tp + tn, tp + fp + fn + tn),
}

# Mean cost per item: needs each item's costs (ItemCosts), so it is not in COUNT_METRICS.
EXPECTED_COST = "expected_cost"
THRESHOLD_METRICS = (*COUNT_METRICS, EXPECTED_COST)

_OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
}
# The default threshold of a fixed operating point; ties between equally good thresholds go to the one
# nearest it, so a choice that cannot tell thresholds apart changes today's decisions the least.
DEFAULT_THRESHOLD = 0.5
# Each fold must hold at least this many items of either class: with fewer, a fold's held-out recall
# (or specificity) moves in steps of a third or more, and the other folds' choice rests on few items.
MIN_FOLD_ITEMS_PER_CLASS = 3


@dataclass(frozen=True)
class ItemCosts:
    """What each item costs when the threshold decides it positive, and when it decides it negative.

    Binary unit costs ``{false_positive: 1, false_negative: 5}``: a negative item costs 1 if positive, 0
    if negative; a positive item 0 and 5.

    >>> ItemCosts(np.array([1.0, 0.0]), np.array([0.0, 5.0])).take(np.array([False, True])).if_negative
    array([5.])
    """

    if_positive: np.ndarray
    if_negative: np.ndarray

    def take(self, rows: np.ndarray) -> ItemCosts:
        """The costs of some items (a boolean mask or indices)."""
        return ItemCosts(self.if_positive[rows], self.if_negative[rows])

    def of(self, decided_positive: np.ndarray) -> np.ndarray:
        """Each item's cost under given yes/no decisions."""
        return np.where(np.asarray(decided_positive, dtype=bool), self.if_positive, self.if_negative)


@dataclass(frozen=True)
class Sweep:
    """Confusion counts at every distinct score taken as threshold, highest threshold first; with item
    costs, also the weighted sum of the per-item costs (and of their squares) at each threshold."""

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray
    cost_sum: np.ndarray | None = None
    cost_squares: np.ndarray | None = None

    @property
    def counts(self) -> Counts:
        return self.tp, self.fp, self.fn, self.tn

    @property
    def items(self) -> np.ndarray:
        """The (weighted) number of items, at every threshold."""
        return self.tp + self.fp + self.fn + self.tn

    def metric(self, name: str) -> np.ndarray:
        """``name``'s value at every threshold (NaN where undefined)."""
        if name == EXPECTED_COST:
            if self.cost_sum is None:
                raise ValueError("expected_cost needs the items' costs: pass costs= to sweep()")
            return _ratio(self.cost_sum, self.items)
        return COUNT_METRICS[name](*self.counts)


def sweep(y_true: np.ndarray, scores: np.ndarray, weight: np.ndarray | None = None,
          costs: ItemCosts | None = None) -> Sweep:
    """Counts at each distinct score ``t`` for the decisions ``score >= t`` (``weight``: row multiplicities;
    ``costs``: each item's cost either way, for ``expected_cost``).

    >>> s = sweep(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.4, 0.1]))
    >>> s.thresholds.tolist(), s.tp.tolist(), s.fp.tolist()
    ([0.9, 0.8, 0.4, 0.1], [1.0, 1.0, 2.0, 2.0], [0.0, 1.0, 1.0, 2.0])
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    w = np.ones(len(s)) if weight is None else np.asarray(weight, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s, y, w = s[order], y[order], w[order]
    tp_cum, fp_cum = np.cumsum(w * y), np.cumsum(w * ~y)
    # The last row of each run of equal scores holds the counts for "score >= that value".
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1] if len(s) else np.array([], dtype=np.int64)
    tp, fp = tp_cum[last], fp_cum[last]
    positives, negatives = (tp_cum[-1], fp_cum[-1]) if len(s) else (0.0, 0.0)
    cost_sum = cost_squares = None
    if costs is not None:
        a = np.asarray(costs.if_positive, dtype=np.float64)[order]
        b = np.asarray(costs.if_negative, dtype=np.float64)[order]
        # Every item above the threshold costs a, every other b: all-negative plus the switched ones.
        cost_sum = (w * b).sum() + np.cumsum(w * (a - b))[last]
        cost_squares = (w * b * b).sum() + np.cumsum(w * (a * a - b * b))[last]
    return Sweep(s[last], tp, fp, positives - tp, negatives - fp, cost_sum, cost_squares)


def wilson_bound(successes: np.ndarray, trials: np.ndarray, confidence: float, *, lower: bool) -> np.ndarray:
    """The one-sided Wilson score bound of a proportion at ``confidence`` (NaN where there are no trials).

    >>> round(float(wilson_bound(np.array(95.0), np.array(100.0), 0.95, lower=True)), 4)
    0.9008
    """
    k, n = np.asarray(successes, dtype=np.float64), np.asarray(trials, dtype=np.float64)
    z = NormalDist().inv_cdf(confidence)
    p = _ratio(k, n)
    safe_n = np.where(n > 0, n, 1.0)
    centre = p + z * z / (2 * safe_n)
    half = z * np.sqrt(np.maximum(p * (1 - p), 0) / safe_n + z * z / (4 * safe_n * safe_n))
    return (centre - half if lower else centre + half) / (1 + z * z / safe_n)


def prediction_bound(successes: np.ndarray, trials: np.ndarray, confidence: float, *, lower: bool,
                     judged_ratio: float) -> np.ndarray:
    """One-sided bound at ``confidence`` on the proportion *in a judged set* with ``judged_ratio`` times
    the choosing set's trials, given ``successes`` of ``trials`` on the choosing set (module docstring).

    Wilson's bound at the effective size ``n n2 / (n + n2)``, ``n2 = judged_ratio * n``: for a judged set
    as large as the choosing one, the bound of half as many trials.

    >>> half = wilson_bound(np.array(47.5), np.array(50.0), 0.95, lower=True)
    >>> bool(prediction_bound(np.array(95.0), np.array(100.0), 0.95, lower=True, judged_ratio=1.0) == half)
    True
    """
    k, n = np.asarray(successes, dtype=np.float64), np.asarray(trials, dtype=np.float64)
    effective = n * judged_ratio / (1.0 + judged_ratio)
    return wilson_bound(_ratio(k, n) * effective, effective, confidence, lower=lower)


def cost_bound(table: Sweep, confidence: float, *, upper: bool,
               judged_ratio: float | None = None) -> np.ndarray:
    """One-sided normal bound at ``confidence`` on the mean cost at every threshold (NaN without items).

    ``mean + z * sd / sqrt(n)`` (``upper``) with ``sd`` the per-item costs' standard deviation at that
    threshold; with ``judged_ratio`` the variance also counts a judged set of ``judged_ratio * n`` items,
    as :func:`prediction_bound` does for a proportion. A central-limit approximation: it assumes enough
    items for the mean to be near normal, which heavy-tailed per-item amounts can need many of.

    >>> costs = ItemCosts(np.array([1.0, 0.0]), np.array([0.0, 5.0]))
    >>> t = sweep(np.array([0, 1]), np.array([0.2, 0.8]), costs=costs)
    >>> bool(cost_bound(t, 0.95, upper=True)[-1] > t.metric("expected_cost")[-1])
    True
    """
    if table.cost_sum is None or table.cost_squares is None:
        raise ValueError("a cost bound needs the items' costs: pass costs= to sweep()")
    n = table.items
    mean = _ratio(table.cost_sum, n)
    variance = np.maximum(_ratio(table.cost_squares, n) - mean * mean, 0.0)
    safe_n = np.where(n > 0, n, 1.0)
    scale = 1.0 / safe_n if judged_ratio is None else (1.0 + 1.0 / judged_ratio) / safe_n
    z = NormalDist().inv_cdf(confidence)
    half = z * np.sqrt(variance * scale)
    return mean + half if upper else mean - half


@dataclass(frozen=True)
class Condition:
    """A constraint on a threshold metric: ``metric op value``."""

    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Rule:
    """What an operating point optimises and must meet.

    ``objective`` is (metric, weight, flipped) terms: the weighted mean of the metrics (a flipped one as
    ``1 - value``), maximised when ``higher_is_better``. Terms on metrics without a threshold (roc_auc,
    latency) are the same at every threshold and are left out by the caller. ``reason`` says, for the
    record, where the objective came from when it is not the strategy's own (costs set, no constraint).
    """

    objective: tuple[tuple[str, float, bool], ...]
    constraints: tuple[Condition, ...]
    higher_is_better: bool = True
    confidence: float | None = None
    reason: str | None = None

    @property
    def needs_costs(self) -> bool:
        """Whether the objective or a constraint is the expected cost (the items' costs must be given)."""
        return any(m == EXPECTED_COST for m, _, _ in self.objective) or \
            any(c.metric == EXPECTED_COST for c in self.constraints)

    def check(self) -> None:
        """Every metric must be a threshold metric; under a confidence every constraint a proportion or
        the expected cost (a mean, bounded by :func:`cost_bound`)."""
        for metric, _, _ in self.objective:
            if metric not in THRESHOLD_METRICS:
                raise ConfigError(f"operating_point: the objective's metric '{metric}' has no threshold "
                                  f"form; threshold metrics: {', '.join(THRESHOLD_METRICS)}")
        for condition in self.constraints:
            if condition.metric not in THRESHOLD_METRICS:
                raise ConfigError(f"operating_point: the constraint on '{condition.metric}' is not a "
                                  f"threshold metric; threshold metrics: {', '.join(THRESHOLD_METRICS)}")
            if self.confidence is not None and condition.metric not in PROPORTIONS \
                    and condition.metric != EXPECTED_COST:
                raise ConfigError(f"operating_point.confidence: '{condition.metric}' is not a proportion of "
                                  f"counts, so it has no confidence bound; constrain one of "
                                  f"{', '.join(PROPORTIONS)}, {EXPECTED_COST} or set "
                                  "operating_point.confidence: null")


@dataclass(frozen=True)
class Choice:
    """The chosen threshold with its metrics on the choosing data, or why none qualifies."""

    threshold: float | None
    reason: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return self.threshold is not None


def constraint_values(condition: Condition, table: Sweep, confidence: float | None,
                      judged_ratio: float | None = None) -> np.ndarray:
    """What a constraint is judged on at each threshold: the metric, or its one-sided bound (on the
    population, or with ``judged_ratio`` on a judged set that many times the choosing set's size)."""
    if confidence is None:
        return table.metric(condition.metric)
    lower = condition.op in (">=", ">")
    if condition.metric == EXPECTED_COST:
        return cost_bound(table, confidence, upper=not lower, judged_ratio=judged_ratio)
    successes, trials = PROPORTIONS[condition.metric](*table.counts)
    if judged_ratio is None:
        return wilson_bound(successes, trials, confidence, lower=lower)
    return prediction_bound(successes, trials, confidence, lower=lower, judged_ratio=judged_ratio)


def objective_values(rule: Rule, table: Sweep) -> np.ndarray:
    """The rule's objective at each threshold, oriented so that larger is better."""
    n = len(table.thresholds)
    if not rule.objective:
        return np.zeros(n)
    total = np.zeros(n)
    for metric, weight, flipped in rule.objective:
        value = table.metric(metric)
        total = total + weight * ((1.0 - value) if flipped else value)
    total = total / sum(w for _, w, _ in rule.objective)
    return total if rule.higher_is_better else -total


def choose_threshold(y_true: np.ndarray, scores: np.ndarray, rule: Rule,
                     weight: np.ndarray | None = None, *, judged_items: float | None = None,
                     costs: ItemCosts | None = None) -> Choice:
    """The threshold that optimises ``rule``'s objective among those meeting its constraints.

    Ties go to the threshold nearest 0.5. A rule on ``expected_cost`` needs ``costs`` (each item's
    cost either way, aligned with ``y_true``). No threshold meeting every constraint gives a Choice without
    a threshold and with the reason (the best each constraint can reach). Under a confidence, the
    bound is the population's (Wilson) unless ``judged_items`` gives the size of a separate set the
    threshold will be judged on: then it is :func:`prediction_bound` for that set.

    >>> y, s = np.array([1, 1, 1, 0, 1, 0, 0, 0]), np.linspace(0.9, 0.2, 8)
    >>> rule = Rule((("precision", 1.0, False),), (Condition("recall", ">=", 1.0),))
    >>> choose_threshold(y, s, rule).threshold
    0.5
    """
    if rule.needs_costs and costs is None:
        raise ValueError("the rule is on expected_cost: pass the items' costs (costs=ItemCosts(...))")
    table = sweep(y_true, scores, weight, costs)
    counts = table.counts
    ratio = _judged_ratio(rule, counts, judged_items)
    ok = np.ones(len(table.thresholds), dtype=bool)
    judged: list[tuple[Condition, np.ndarray]] = []
    for condition in rule.constraints:
        values = constraint_values(condition, table, rule.confidence, ratio)
        judged.append((condition, values))
        with np.errstate(invalid="ignore"):
            ok &= np.nan_to_num(_OPERATORS[condition.op](values, condition.value), nan=False).astype(bool)
    if not ok.any():
        return Choice(None, _infeasible_reason(judged, table, rule.confidence, ratio))
    goal = objective_values(rule, table)
    goal = np.where(ok & np.isfinite(goal), goal, -np.inf)
    best = goal.max()
    if not np.isfinite(best):
        return Choice(None, "the objective is undefined at every threshold that meets the constraints")
    tied = np.flatnonzero(goal >= best - 1e-12)
    pick = tied[np.argmin(np.abs(table.thresholds[tied] - DEFAULT_THRESHOLD))]
    at = scalar_metrics(*(float(c[pick]) for c in counts))
    if table.cost_sum is not None:
        at[EXPECTED_COST] = float(table.metric(EXPECTED_COST)[pick])
    return Choice(float(table.thresholds[pick]), None, at)


def _judged_ratio(rule: Rule, counts: Counts, judged_items: float | None) -> float | None:
    """How many times the choosing set's size the judged set is (None: the bound is the population's)."""
    if rule.confidence is None or judged_items is None or not len(counts[0]):
        return None
    choosing = float(counts[0][-1] + counts[1][-1] + counts[2][-1] + counts[3][-1])
    return float(judged_items) / choosing if choosing > 0 else None


def scalar_metrics(tp: float, fp: float, fn: float, tn: float) -> dict[str, float]:
    """Every count metric at one point, in plain floats (NaN where undefined): the arrays' formulas
    without their per-call overhead, which dominates when the bootstrap re-chooses thousands of times."""
    def ratio(num: float, den: float) -> float:
        return num / den if den > 0 else math.nan

    recall, specificity = ratio(tp, tp + fn), ratio(tn, tn + fp)
    return {"precision": ratio(tp, tp + fp), "recall": recall, "specificity": specificity,
            "fpr": ratio(fp, fp + tn), "accuracy": ratio(tp + tn, tp + fp + fn + tn),
            "f1": ratio(2 * tp, 2 * tp + fp + fn), "balanced_accuracy": (recall + specificity) / 2}


def _infeasible_reason(judged: Sequence[tuple[Condition, np.ndarray]], table: Sweep,
                       confidence: float | None, ratio: float | None = None) -> str:
    counts, thresholds = table.counts, table.thresholds
    what = "" if confidence is None else f" at {confidence:g} confidence"
    if confidence is not None and ratio is not None:
        what += f" (bounding a judged set {ratio:.3g}x the choosing data's size)"
    parts = []
    for condition, values in judged:
        finite = values[np.isfinite(values)]
        if not len(finite):
            parts.append(f"{condition.metric} is undefined at every threshold")
            continue
        lower = condition.op in (">=", ">")
        reach = finite.max() if lower else finite.min()
        text = f"{condition.metric}{'' if confidence is None else ' (bound)'} reaches at " \
               f"{'most' if lower else 'least'} {reach:.4g}"
        if confidence is not None:
            point = table.metric(condition.metric)
            point = point[np.isfinite(point)]
            best_point = point.max() if lower else point.min()
            trials = (table.items if condition.metric == EXPECTED_COST
                      else PROPORTIONS[condition.metric](*counts)[1])
            text += f" (point value {'up to' if lower else 'down to'} {best_point:.4g}, on at most " \
                    f"{trials.max():g} items"
            text += "; more items or a lower confidence are needed)" if (
                (best_point >= condition.value) if lower else (best_point <= condition.value)) else ")"
        parts.append(text)
    return (f"no threshold meets {', '.join(str(c) for c, _ in judged)}{what} on the choosing data "
            f"({len(thresholds)} thresholds tried; " + "; ".join(parts) + ")")


def stratified_folds(y_true: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Each item's fold (0..folds-1), every class spread evenly over the folds, seeded.

    >>> np.bincount(stratified_folds(np.array([0] * 6 + [1] * 4), 2, seed=0)).tolist()
    [5, 5]
    """
    y = np.asarray(y_true)
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(y), dtype=np.int64)
    offset = 0
    for value in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == value))
        # Continuing the round-robin across classes keeps fold sizes within one of each other.
        assignment[members] = (np.arange(len(members)) + offset) % folds
        offset += len(members)
    return assignment


def check_folds(y_true: np.ndarray, folds: int, *, where: str = "operating_point.folds") -> None:
    """DataError when a fold would hold too few items of a class to choose on; says how many folds fit."""
    y = np.asarray(y_true).astype(bool)
    for name, count in (("positive", int(y.sum())), ("negative", int((~y).sum()))):
        per_fold = count // folds
        if per_fold < MIN_FOLD_ITEMS_PER_CLASS:
            fit = count // MIN_FOLD_ITEMS_PER_CLASS
            fix = (f"set {where} to {fit} or fewer" if fit >= 2 else
                   "use operating_point.choose_on: validation (a separate validation set) or fixed")
            raise DataError(f"{where}: {count} {name} item(s) over {folds} folds leave {per_fold} per fold, "
                            f"fewer than {MIN_FOLD_ITEMS_PER_CLASS} to choose a threshold on; {fix}")


@dataclass(frozen=True)
class CrossFit:
    """Cross-fitted decisions: each fold judged by a threshold chosen on the other folds."""

    labels: np.ndarray | None
    fold_of: np.ndarray
    fold_thresholds: tuple[float | None, ...]
    reason: str | None = None

    @property
    def feasible(self) -> bool:
        return self.labels is not None

    @property
    def spread(self) -> float | None:
        """max - min of the fold thresholds (None when a fold had none)."""
        chosen = [t for t in self.fold_thresholds if t is not None]
        if not chosen or len(chosen) < len(self.fold_thresholds):
            return None
        return float(max(chosen) - min(chosen))


def cross_fit(y_true: np.ndarray, scores: np.ndarray, rule: Rule, *, folds: int, seed: int,
              weight: np.ndarray | None = None, fold_of: np.ndarray | None = None,
              costs: ItemCosts | None = None) -> CrossFit:
    """For each fold, choose on the other folds and decide this fold's items; pool the decisions.

    ``weight`` (multiplicities) lets a bootstrap resample reuse the same fold of each original item,
    so a duplicated item never sits on both sides. A fold whose choosing data admits no threshold makes
    the whole result infeasible, with that fold's reason. A confident constraint uses the population
    bound here: the pooled held-out items are the choosing items themselves (module docstring).
    """
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    if fold_of is None:
        fold_of = stratified_folds(y, folds, seed)
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float64)
    labels = np.zeros(len(y), dtype=np.int64)
    thresholds: list[float | None] = []
    reason = None
    for fold in range(folds):
        held = fold_of == fold
        if costs is None:
            choice = choose_threshold(y[~held], s[~held], rule, w[~held])
        else:
            choice = choose_threshold(y[~held], s[~held], rule, w[~held], costs=costs.take(~held))
        thresholds.append(choice.threshold)
        if choice.threshold is None:
            reason = reason or f"fold {fold + 1} of {folds}: {choice.reason}"
            continue
        labels[held] = s[held] >= choice.threshold
    return CrossFit(None if reason else labels, fold_of, tuple(thresholds), reason)


def metrics_at(y_true: np.ndarray, labels: np.ndarray, weight: np.ndarray | None = None) -> dict[str, float]:
    """Every count metric of given decisions (NaN where undefined)."""
    y, pred = np.asarray(y_true).astype(bool), np.asarray(labels).astype(bool)
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float64)
    return scalar_metrics(float((w * (y & pred)).sum()), float((w * (~y & pred)).sum()),
                          float((w * (y & ~pred)).sum()), float((w * (~y & ~pred)).sum()))


@dataclass(frozen=True)
class Resampled:
    """The cross-fitted choice re-run on bootstrap resamples."""

    resamples: int
    feasible_share: float
    constraints_met_share: float
    threshold_quantiles: tuple[float, float] | None
    metric_values: dict[str, np.ndarray]


def resampled_cross_fit(y_true: np.ndarray, scores: np.ndarray, rule: Rule, *, folds: int, seed: int,
                        resamples: int, level: float = 0.95, costs: ItemCosts | None = None) -> Resampled:
    """Re-run the whole cross-fitted selection on ``resamples`` bootstrap resamples of the items.

    Each resample draws item multiplicities; items keep their fold, thresholds are re-chosen in every
    fold, and the pooled held-out decisions are judged on the resample. ``constraints_met_share`` is the
    share of resamples where a threshold was found in every fold and the pooled decisions meet every
    constraint (point values): the feasibility share with the threshold's own uncertainty in it.
    """
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    fold_of = stratified_folds(y, folds, seed)
    rng = np.random.default_rng([seed, 0x0B])
    n = len(y)
    chosen: list[float] = []
    feasible = met = 0
    names = (*COUNT_METRICS, EXPECTED_COST) if costs is not None else tuple(COUNT_METRICS)
    values: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(resamples):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        result = cross_fit(y, s, rule, folds=folds, seed=seed, weight=w, fold_of=fold_of, costs=costs)
        if not result.feasible:
            for name in values:
                values[name].append(math.nan)
            continue
        feasible += 1
        chosen.extend(t for t in result.fold_thresholds if t is not None)
        assert result.labels is not None
        at = metrics_at(y, result.labels, w)
        if costs is not None:
            at[EXPECTED_COST] = float(np.average(costs.of(result.labels), weights=w))
        for name in values:
            values[name].append(at[name])
        if all(bool(_OPERATORS[c.op](np.array(at[c.metric]), c.value)) for c in rule.constraints):
            met += 1
    tail = (1 - level) / 2
    quantiles = (float(np.quantile(chosen, tail)), float(np.quantile(chosen, 1 - tail))) if chosen else None
    return Resampled(resamples, feasible / resamples if resamples else math.nan,
                     met / resamples if resamples else math.nan, quantiles,
                     {k: np.asarray(v) for k, v in values.items()})
