"""Confidence for a run: intervals for every entry and significance of the best candidate's lead.

One paired bootstrap (``evalkit.uncertainty``) over the evaluated items: every entry with per-item
predictions is scored on the *same* resamples, so differences are paired. On top of it:
- an interval for every metric and for the strategy score (percentile; Wilson where a proportion
  sits at 0 or 1, a score interval where a ranking metric's bootstrap cannot vary, so no interval
  has zero width; see ``_score_interval`` for the score); resamples where a metric is undefined are
  left out and counted in the notes, as are intervals resting on fewer than 10 positives;
- for satisficing, each candidate's share of resamples that meet every constraint ("feasible but
  fragile" below 95%);
- the best candidate against every other entry: the difference in the score and in each metric the
  strategy uses, with its interval, a p-value (paired bootstrap; exact McNemar for accuracy, also
  when accuracy is the score), Holm–Bonferroni across all comparisons of the run (a score that is
  one metric is tested once), and a verdict.

Entries without per-item data (external numbers, the mean of annotators) get no bootstrap interval;
cost metrics (latency) are measured once and enter the score as constants. An entry that covers
only some items (a human panel) is compared with the best candidate on the items both have.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evalkit.config import BootstrapConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.evalset import EvalSet
from evalkit.metrics.registry import MetricSpec
from evalkit.strategies import Strategy
from evalkit.strategies.average import Average
from evalkit.tasks import get_task
from evalkit.uncertainty import (
    Resampler,
    holm_adjust,
    mcnemar_exact,
    metric_interval,
    paired_comparison,
    satisficing_share,
    verdict,
)
from evalkit.uncertainty.resolution import AUTO, AUTO_MAX, AUTO_MIN, HEADROOM, auto_resamples, unresolvable

FRAGILE_BELOW = 0.95
METHODS = ("multinomial", "poisson")


@dataclass
class Assessment:
    """What the bootstrap says about a run (written to ``metrics.json`` and the report)."""

    settings: dict[str, Any]
    intervals: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    interval_methods: dict[str, dict[str, str]] = field(default_factory=dict)
    feasible_share: dict[str, float] = field(default_factory=dict)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What `compare` needs to test entries of different jobs as this run would (saved as resamples.npz).
    resampled: dict[str, ResampledEntry] = field(default_factory=dict)


@dataclass
class ResampledEntry:
    """One entry's bootstrap as the significance tests read it: what a run saves for ``compare``.

    ``values``: per-resample values of the metrics its strategy uses; ``score_values``: the strategy
    score per resample (None if unscored); ``metrics``/``score``: the point estimates; ``correct``:
    per-item correctness (for the exact McNemar test of accuracy; None without labels for every item);
    ``covered``: the items it covers when only some (a human panel), else None.
    """

    name: str
    metrics: dict[str, float | None]
    score: float | None
    values: dict[str, np.ndarray]
    score_values: np.ndarray | None = None
    correct: np.ndarray | None = None
    covered: np.ndarray | None = None


def check_settings(cfg: BootstrapConfig) -> None:
    resamples = cfg.resamples
    if resamples != AUTO and (not isinstance(resamples, int) or isinstance(resamples, bool)):
        raise ConfigError(f"config key 'bootstrap.resamples' has the wrong type: {resamples!r} is not a "
                          "count; give auto (the default), a count such as 2000, or 0 to switch it off")
    if resamples != AUTO and resamples < 0:
        raise ConfigError(f"bootstrap.resamples={resamples} must be auto, 0 (off) or a positive count")
    if not 0 < cfg.level < 1:
        raise ConfigError(f"bootstrap.level={cfg.level} must be between 0 and 1, e.g. 0.95")
    if cfg.method not in METHODS:
        raise ConfigError(f"bootstrap.method='{cfg.method}' is not one of {', '.join(METHODS)}")


def _with_constants(values: Mapping[str, np.ndarray], metrics: Mapping[str, float | None],
                    resamples: int) -> dict[str, np.ndarray]:
    """Per-resample values plus the entry's other metrics (e.g. latency) as constants."""
    full = dict(values)
    for name, value in metrics.items():
        if name not in full and value is not None:
            full[name] = np.full(resamples, float(value))
    return full


def score_metric(strategy: Strategy) -> tuple[str, bool] | None:
    """The metric the strategy's score *is*, and whether it enters as ``1 - value``; None if none.

    Satisficing and map score an entry by one metric; an average of a single metric is that metric
    (or one minus it, for a bounded lower-is-better metric). Its interval is the score's, and a test
    of the score is a test of that metric: it is made once.
    """
    if strategy.name in ("satisficing", "map"):
        return strategy.metrics_used[0], False
    if isinstance(strategy, Average) and len(strategy.metrics_used) == 1:
        return strategy.metrics_used[0], strategy.flipped[0]
    return None


def _score_interval(strategy: Strategy, score: np.ndarray, intervals: Mapping[str, list[float]],
                    methods: Mapping[str, str], level: float) -> tuple[list[float], str | None]:
    """The score's interval and, when it is not the score's own percentile interval, how it was made.

    A score that is one metric takes that metric's interval (Wilson at 0 or 1 included). An average
    of several metrics takes the percentile interval of its bootstrap values, unless a component's
    bootstrap could not vary and got a Wilson or score interval instead: then the bootstrap of the
    score misses that component's uncertainty, and the score's interval is the weighted average of
    the components' bounds, which is conservative (errors of the components do not all line up).
    """
    single = score_metric(strategy)
    if single is not None and single[0] in intervals:
        metric, flipped = single
        lo, hi = intervals[metric]
        return ([1 - hi, 1 - lo] if flipped else [lo, hi]), methods.get(metric)
    used = strategy.metrics_used
    degenerate = any(m in methods for m in used)
    if isinstance(strategy, Average) and degenerate and all(m in intervals for m in used):
        weights = np.asarray(strategy.weights, dtype=np.float64)
        bounds = [(1 - intervals[m][1], 1 - intervals[m][0]) if flip else tuple(intervals[m])
                  for m, flip in zip(used, strategy.flipped, strict=True)]
        lows, highs = np.asarray(bounds, dtype=np.float64).T
        return [float(weights @ lows / weights.sum()), float(weights @ highs / weights.sum())], "combined"
    lo, hi = np.nanquantile(score, [(1 - level) / 2, (1 + level) / 2])
    return [float(lo), float(hi)], None


def _score(strategy: Strategy, values: Mapping[str, np.ndarray]) -> np.ndarray | None:
    if not set(strategy.metrics_used[:1]) <= set(values):
        return None
    try:
        return strategy.score_values(values)
    except KeyError:  # a metric the score needs has no value for this entry
        return None


def planned_comparisons(entries: list[Entry], registry: Mapping[str, MetricSpec], strategy: Strategy,
                        best: str | None) -> int:
    """How many paired tests the run will make (what Holm divides by), counted before the bootstrap.

    The same rule as the tests themselves: the best candidate against every other entry with per-item
    predictions, on the score (when both have one and it is made of per-item metrics) and on each other
    metric the strategy uses that both report and that is not a declared cost.
    """
    by_name = {e.name: e for e in entries}
    if best is None or best not in by_name or by_name[best].predictions is None:
        return 0
    top = by_name[best]
    single = score_metric(strategy)
    tested = [m for m in strategy.metrics_used if (single is None or m != single[0])
              and m in registry and registry[m].needs != "declared"]
    per_item_score = strategy.name != "satisficing" or all(
        m in registry and registry[m].needs != "declared" for m in strategy.metrics_used[:1])
    count = 0
    for other in entries:
        if other.name == best or other.predictions is None:
            continue
        count += int(per_item_score and top.score is not None and other.score is not None)
        count += sum(1 for m in tested if top.metrics.get(m) is not None and other.metrics.get(m) is not None)
    return count


def resolve_resamples(cfg: BootstrapConfig, comparisons: int) -> tuple[int, str | None, str | None]:
    """The resample count to draw, how ``auto`` chose it (or None), and what a fixed count cannot resolve.

    >>> resolve_resamples(BootstrapConfig(resamples="auto"), 28)[:2]
    (2240, 'auto: max(1000, ceil(4 x 28 comparisons / 0.05)), at most 20000')
    >>> resolve_resamples(BootstrapConfig(resamples=200), 28)[2][:40]
    'with 200 resamples and 28 paired compari'
    """
    if cfg.resamples == AUTO:
        count = auto_resamples(comparisons, cfg.level)
        rule = (f"auto: max({AUTO_MIN}, ceil({2 * HEADROOM} x {comparisons} comparisons / "
                f"{1 - cfg.level:.2g})), at most {AUTO_MAX}")
        return count, rule, unresolvable(comparisons, cfg.level, count)
    return int(cfg.resamples), None, unresolvable(comparisons, cfg.level, int(cfg.resamples))


def assess(entries: list[Entry], evalset: EvalSet, registry: Mapping[str, MetricSpec], strategy: Strategy,
           best: str | None, cfg: BootstrapConfig, *, progress: bool | None = None,
           warn: Callable[[str], None] | None = None) -> Assessment | None:
    """Bootstrap every entry with per-item predictions; None when ``cfg.resamples`` is 0.

    ``resamples: auto`` is resolved here, from the comparisons the run will make; ``warn`` hears,
    before any resample is drawn, when the count cannot resolve them (see :func:`resolve_resamples`).
    """
    if cfg.resamples == 0:
        return None
    task, level = get_task(evalset.task), cfg.level
    R, rule, problem = resolve_resamples(cfg, planned_comparisons(entries, registry, strategy, best))
    if problem is not None and warn is not None:
        warn(f"bootstrap: {problem}")
    resampler = Resampler(evalset.n_items, R, cfg.seed, cfg.method)
    settings = {"resamples": R, "level": level, "seed": cfg.seed, "method": cfg.method}
    result = Assessment(settings=settings | ({"resamples_rule": rule} if rule else {}))
    by_name = {e.name: e for e in entries}
    values = task.resampled_values(entries, evalset, registry, strategy.metrics_used, resampler,
                                   progress=progress)
    no_data = [e.name for e in entries if e.name not in values]
    if no_data:
        result.notes.append(f"no interval for {', '.join(no_data)}: no per-item predictions "
                            "(external numbers, annotator means)")
    scores: dict[str, np.ndarray] = {}
    undefined: dict[str, list[str]] = defaultdict(list)
    for name, own in values.items():
        entry = by_name[name]
        preds = entry.predictions
        assert preds is not None
        y_rows = preds.truth(evalset)
        intervals, methods = {}, {}
        for metric, array in own.items():
            counts, ranking = task.interval_aids(metric, y_rows, preds.labels, evalset.n_classes)
            interval = metric_interval(array, level, estimate=float(entry.metrics[metric]), counts=counts,
                                       ranking=ranking)
            intervals[metric] = [interval.lower, interval.upper]
            if interval.method != "percentile":
                methods[metric] = interval.method
            if interval.n_undefined:
                undefined[name].append(f"{metric} on {interval.n_undefined}")
        full = _with_constants(own, entry.metrics, R)
        score = _score(strategy, full) if entry.score is not None else None
        if score is not None:
            scores[name] = score
            intervals["score"], how = _score_interval(strategy, score, intervals, methods, level)
            if how is not None:
                methods["score"] = how
        if strategy.name == "satisficing" and entry.role == "candidate":
            constraints = [(c.metric, c.op, c.threshold) for c in getattr(strategy, "constraints", ())]
            # A constrained metric undefined on these items (recall on a slice without positives) fails
            # every resample, as it fails the estimate: fail-closed, like the strategy.
            result.feasible_share[name] = (satisficing_share(full, constraints)
                                           if all(m in full for m, _, _ in constraints) else 0.0)
        result.intervals[name] = intervals
        if methods:
            result.interval_methods[name] = methods
    for name, which in undefined.items():
        result.notes.append(f"{name}: left out of the intervals as undefined there (e.g. no positive drawn): "
                            f"{', '.join(which)} of {R} resamples")
    result.notes += task.interval_notes(evalset, result.intervals)
    result.resampled = {name: _resampled_entry(by_name[name], own, scores.get(name), evalset)
                        for name, own in values.items()}
    if best is not None and best in values:
        def restricted(items: np.ndarray, names: list[str]) -> tuple[dict[str, np.ndarray], dict[str, float]]:
            return _restricted(by_name[best], items, names, evalset, strategy, resampler, registry)

        result.comparisons = compare_best(result.resampled[best],
                                          [result.resampled[n] for n in values if n != best],
                                          evalset.n_items, registry, strategy, level, restricted=restricted)
        left_out = [f"{c['b']} ({c['metric']}: {R - c['resamples']})" for c in result.comparisons
                    if c["resamples"] < R]
        if left_out:
            result.notes.append(f"paired differences with {best} leave out resamples where either value is "
                                f"undefined: {', '.join(left_out)} of {R}")
    elif best is not None:
        result.notes.append(f"no significance tests: the best candidate {best} has no per-item predictions")
    return result


def _restricted(best: Entry, items: np.ndarray, names: list[str], evalset: EvalSet, strategy: Strategy,
                resampler: Resampler,
                registry: Mapping[str, MetricSpec]) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The best candidate's bootstrap values and estimates on a subset of items (paired with it)."""
    arrays, estimates = get_task(evalset.task).restricted_values(best, items, names, evalset, registry,
                                                                 resampler)
    arrays = _with_constants(arrays, best.metrics, resampler.resamples)
    score = _score(strategy, arrays)
    if score is not None:
        arrays["score"] = score
        estimates["score"] = float(strategy.score_values(
            _with_constants({m: np.array([v]) for m, v in estimates.items()}, best.metrics, 1))[0])
    return arrays, estimates


def _resampled_entry(entry: Entry, values: dict[str, np.ndarray], score: np.ndarray | None,
                     evalset: EvalSet) -> ResampledEntry:
    preds = entry.predictions
    assert preds is not None
    correct = None
    if preds.item_index is None and preds.labels is not None and np.ndim(evalset.y) == 1:
        correct = np.asarray(preds.labels) == evalset.y
    covered = np.unique(preds.item_index) if preds.item_index is not None else None
    return ResampledEntry(name=entry.name, metrics=dict(entry.metrics), score=entry.score,
                          values=dict(values), score_values=score, correct=correct, covered=covered)


def _with_score(entry: ResampledEntry) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The entry's per-resample values and estimates, the strategy score's included when it has one."""
    values = dict(entry.values)
    estimates = {m: float(entry.metrics[m]) for m in entry.values}  # type: ignore[arg-type]
    if entry.score_values is not None:
        values["score"] = entry.score_values
    if entry.score is not None:
        estimates["score"] = float(entry.score)
    return values, estimates


Restricted = Callable[[np.ndarray, list[str]], tuple[dict[str, np.ndarray], dict[str, float]]]


def compare_best(best: ResampledEntry, others: list[ResampledEntry], n_items: int,
                 registry: Mapping[str, MetricSpec], strategy: Strategy, level: float, *,
                 restricted: Restricted | None = None) -> list[dict[str, Any]]:
    """The best candidate against every other entry: paired differences, p-values, Holm, verdicts.

    Everything comes from the entries' saved bootstrap (the same resamples for all), so ``compare`` can
    test entries of different jobs exactly as one run would. An entry covering only some items needs the
    best candidate re-scored on those items (``restricted``: only the run that holds its predictions
    can); without it such an entry is not compared.
    """
    per_item_score = all(registry[m].needs != "declared" for m in strategy.metrics_used[:1]) \
        if strategy.name == "satisficing" else True
    rows: list[dict[str, Any]] = []
    for other in others:
        covered = other.covered
        partial = covered is not None and len(covered) < n_items
        if partial and restricted is None:
            continue
        # When the score *is* one metric (satisficing, map, an average of one metric), testing both would
        # count one quantity twice in Holm.
        single = score_metric(strategy)
        tested = [m for m in strategy.metrics_used if single is None or m != single[0]]
        shared = [m for m in tested if m in best.values and m in other.values]
        if partial:
            assert covered is not None and restricted is not None
            a_values, a_estimates = restricted(covered, sorted(best.values))
        else:
            a_values, a_estimates = _with_score(best)
        b_values, b_estimates = _with_score(other)
        both_scored = per_item_score and "score" in a_values and "score" in b_values
        metrics = (["score"] if both_scored else []) + shared
        items = len(covered) if partial and covered is not None else n_items
        for metric in metrics:
            comparison = paired_comparison(a_values[metric], b_values[metric], level,
                                           estimate_a=a_estimates[metric], estimate_b=b_estimates[metric])
            p_value, test, a_higher = comparison.p_value, "paired bootstrap", comparison.a_higher
            quantity = single[0] if metric == "score" and single is not None else metric
            if (quantity == "accuracy" and not partial and best.correct is not None
                    and other.correct is not None):
                # McNemar reads only which items each got right, so correctness stands in for labels.
                mc = mcnemar_exact(np.ones(n_items, dtype=bool), best.correct, other.correct)
                p_value, test = mc.p_value, "exact McNemar"
                a_higher = None if mc.a_only == mc.b_only else mc.a_only > mc.b_only
            higher = strategy.higher_is_better if metric == "score" else registry[metric].higher_is_better
            rows.append({"a": best.name, "b": other.name, "metric": metric, "diff": comparison.difference,
                         "ci": [comparison.lower, comparison.upper], "p_value": p_value, "test": test,
                         "items": items, "resamples": comparison.n_resamples, "_a_higher": a_higher,
                         "_higher": higher})
    if not rows:
        return rows
    p_values = np.array([r["p_value"] if r["p_value"] == r["p_value"] else 1.0 for r in rows])
    adjusted = holm_adjust(p_values)
    for row, p_adj in zip(rows, adjusted, strict=True):
        row["p_adjusted"] = float(p_adj)
        row["verdict"] = verdict(float(p_adj), row.pop("_a_higher"), alpha=1 - level,
                                 higher_is_better=row.pop("_higher"))
    return rows


def resolution_note(comparisons: list[dict[str, Any]], level: float, resamples: int) -> str | None:
    """Say so when too few resamples make every paired-bootstrap test 'not distinguishable' after Holm.

    A paired bootstrap cannot give a p-value below 2 / (R + 1); Holm multiplies the smallest by the
    number of comparisons m, so with m * 2 / (R + 1) above 1 - level no bootstrap-tested difference
    can be called real, however large.

    >>> resolution_note([{"test": "paired bootstrap"}] * 10, 0.95, 100)[:40]
    'with 100 resamples and 10 paired compari'
    """
    if not any(r["test"] == "paired bootstrap" for r in comparisons):
        return None
    return unresolvable(len(comparisons), level, resamples)


def significance_summary(comparisons: list[dict[str, Any]], level: float,
                         resamples: int | None = None) -> str | None:
    """One line: against whom the best candidate's score lead is real, and against whom it is noise."""
    score_rows = [r for r in comparisons if r["metric"] == "score"]
    if not score_rows:
        return None
    best = score_rows[0]["a"]
    groups: dict[str, list[str]] = defaultdict(list)
    for row in score_rows:
        groups[row["verdict"]].append(row["b"])
    parts = []
    if groups.get("better"):
        parts.append(f"distinguishably better than {', '.join(groups['better'])}")
    if groups.get("not distinguishable"):
        parts.append(f"not distinguishable from {', '.join(groups['not distinguishable'])}")
    if groups.get("worse"):
        parts.append(f"worse than {', '.join(groups['worse'])}")
    note = resolution_note(comparisons, level, resamples) if resamples else None
    return (f"Significance ({level:.0%}, paired bootstrap, Holm-adjusted): {best} is "
            + "; ".join(parts) + "." + (f" Caution: {note}." if note else ""))
