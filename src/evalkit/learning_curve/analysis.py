"""A run's learning curves: measure (or read) them, extrapolate each, and state labels, money and gaps.

Called by the runner after the entries are scored and compared, because the targets come from the
run: the strategy's constraint thresholds (on that metric's own curve), the strongest baseline's
score and the human level (on the single-number curve), and ``learning_curve.targets``. The result
is the ``learning_curves`` block of ``metrics.json``; the report, the figure and
``learning_curve.csv`` are made from it alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.config import RunConfig
from evalkit.entry import Entry
from evalkit.errors import DataError
from evalkit.evalset import EvalSet
from evalkit.learning_curve.budget import target_sentence, with_cost
from evalkit.learning_curve.diagnosis import diagnose
from evalkit.learning_curve.extrapolate import extrapolate
from evalkit.learning_curve.measure import CurveSource, measure_curves
from evalkit.learning_curve.settings import MIN_SIZES, measured_sizes, selected_entries
from evalkit.metrics.registry import MetricSpec
from evalkit.strategies import Strategy

SCORE = "score"
# The fitted curve and its band are drawn from the smallest size to this many times the largest:
# as far as extrapolate answers at all (its max_factor).
BAND_FACTOR = 10.0
BAND_POINTS = 36
LOWER_OPS = ("<=", "<")
UPPER_OPS = (">=", ">")


def score_metric(strategy: Strategy) -> str:
    """What the single number is called on a curve's axis: the metric it is, or ``score``."""
    described = strategy.describe()
    for key in ("optimize", "metric"):
        if isinstance(described.get(key), str):
            return described[key]
    metrics = described.get("metrics") or []
    return metrics[0] if len(metrics) == 1 else SCORE


def _bounded(strategy: Strategy, registry: Mapping[str, MetricSpec]) -> bool:
    """Whether the single number lives in [0, 1] (a formula may leave it)."""
    if strategy.name == "formula":
        return False
    # A single-metric score is that metric (satisficing's constraints, latency among them, do not enter it).
    named = score_metric(strategy)
    if named in registry:
        return registry[named].bounded
    return all(registry[m].bounded for m in strategy.metrics_used if m in registry)


def run_targets(strategy: Strategy, registry: Mapping[str, MetricSpec], entries: Sequence[Entry],
                strongest: str | None, human: Mapping[str, Any] | None,
                extra: Sequence[float]) -> list[dict[str, Any]]:
    """Every target of the run: ``{"curve", "value", "sources"}``, one per curve and value.

    A constraint ``recall >= 0.95`` is a target on the recall curve; a cost (latency) or a
    constraint against the metric's direction (``recall <= 0.5``) is none. The strongest baseline,
    the human level and ``extra`` are targets on the single-number curve.
    """
    found: dict[tuple[str, float], list[str]] = {}
    score_name = score_metric(strategy)
    for constraint in getattr(strategy, "constraints", ()):
        spec = registry.get(constraint.metric)
        if spec is None or spec.needs == "declared":
            continue
        if constraint.op not in (UPPER_OPS if spec.higher_is_better else LOWER_OPS):
            continue
        curve = SCORE if constraint.metric == score_name else constraint.metric
        found.setdefault((curve, float(constraint.threshold)), []).append(f"constraint {constraint}")
    by_name = {e.name: e for e in entries}
    if strongest is not None and by_name.get(strongest) is not None and by_name[strongest].score is not None:
        found.setdefault((SCORE, float(by_name[strongest].score)), []).append(  # type: ignore[arg-type]
            f"strongest baseline {strongest}")
    if human is not None and human.get("score") is not None:
        found.setdefault((SCORE, float(human["score"])), []).append(f"human level {human['name']}")
    for value in extra:
        found.setdefault((SCORE, float(value)), []).append("learning_curve.targets")
    return [{"curve": curve, "value": value, "sources": sources} for (curve, value), sources in found.items()]


def fit_curve(points: Sequence[tuple[float, int, float]], targets: Sequence[float], *, higher_is_better: bool,
              best_possible: float | None, level: float, resamples: int, source: str,
              worst_possible: float | None = None) -> dict[str, Any]:
    """Extrapolate one measured curve: the fit, a band for the figure, and one answer per target.

    ``points`` are ``(n, seed, value)``. A curve that cannot be fitted (fewer than four sizes, no
    curve fits) gets ``status`` saying why, and no numbers.
    """
    n = np.array([p[0] for p in points], dtype=float)
    values = np.array([p[2] for p in points], dtype=float)
    if np.unique(n).size < MIN_SIZES:
        return {"status": f"{np.unique(n).size} distinct size(s) measured; a curve needs at least "
                          f"{MIN_SIZES}",
                "targets": [{"target": t, "status": "no curve"} for t in targets]}
    grid = np.geomspace(n.min(), BAND_FACTOR * n.max(), BAND_POINTS)
    try:
        answer = extrapolate(n, values, at=list(grid), targets=list(targets),
                             higher_is_better=higher_is_better, level=level, resamples=resamples, seed=0,
                             max_factor=BAND_FACTOR, best_possible=best_possible,
                             worst_possible=worst_possible, source=source)
    except DataError as exc:
        return {"status": f"no fit: {exc}",
                "targets": [{"target": t, "status": "no curve"} for t in targets]}
    band = [[p["n"], p["score"], p["low"], p["high"]]
            for p in answer.pop("predictions") if p["status"] == "ok"]
    return {"status": None, "fit": answer, "band": band, "targets": answer.pop("targets")}


def _read_curve_file(path: Path) -> list[tuple[float, int, float]]:
    """A predictions candidate's curve file (``n, score[, seed]``) as points."""
    import pandas as pd

    from evalkit.learning_curve.command import read_curve

    n, score = read_curve(path)
    seeds = [0] * len(n)
    frame = pd.read_csv(path)
    if "seed" in frame.columns:
        seeds = pd.to_numeric(frame["seed"], errors="coerce").fillna(0).astype(int).tolist()
    return [(float(a), int(s), float(b)) for a, s, b in zip(n, seeds, score, strict=True)]


def learning_curves(cfg: RunConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec], strategy: Strategy,
                    entries: Sequence[Entry], *, strongest: str | None, human: Mapping[str, Any] | None,
                    intervals: Mapping[str, Mapping[str, list[float]]],
                    resolve: Callable[[str, str], Path], progress: bool | None = None) -> dict[str, Any]:
    """The run's ``learning_curves`` block (see the module docstring)."""
    lc, cost = cfg.learning_curve, cfg.label_cost
    by_name = {e.name: e for e in entries}
    names = [n for n in selected_entries(cfg) if n in by_name]
    notes: list[str] = []
    sources = []
    for name in names:
        spec = cfg.candidates.get(name)
        if spec is not None and spec.estimator is not None:
            sources.append(CurveSource(name, "candidate", spec.estimator, spec.features))
        elif spec is None:
            baseline = cfg.baselines[name]
            sources.append(CurveSource(name, "baseline", baseline.estimator, baseline.features))
    has_train = (evalset.train_y is not None and evalset.train_features is not None
                 and evalset.features is not None)
    if sources and not has_train:
        notes.append(f"no train split with features: the curves of {', '.join(s.name for s in sources)} "
                     "cannot be measured; set data.train_path")
        sources = []
    sizes: list[int] = []
    if sources:
        assert evalset.train_y is not None
        sizes = measured_sizes(len(evalset.train_y), lc.sizes, lc.min_size)
        if len(sizes) < MIN_SIZES:
            notes.append(f"the train split ({len(evalset.train_y)} items) allows only {len(sizes)} size(s) "
                         f"from min_size {lc.min_size}; a curve needs {MIN_SIZES}: lower "
                         "learning_curve.min_size")
            sources = []
    # Only the strategy's own metrics per fit: each metric costs scikit-learn's input checks, and the
    # other metrics have no target to extrapolate to.
    used = {m: registry[m] for m in strategy.metrics_used
            if m in registry and registry[m].needs != "declared"}
    measured = measure_curves(sources, evalset, used, strategy, sizes, lc.seeds, n_jobs=lc.n_jobs,
                              progress=progress)

    score_name = score_metric(strategy)
    targets = run_targets(strategy, registry, entries, strongest, human, lc.targets)
    per_curve: dict[str, list[float]] = {SCORE: []}
    for t in targets:
        per_curve.setdefault(t["curve"], []).append(t["value"])
    metrics = [m for m in per_curve if m != SCORE]
    higher = {SCORE: strategy.higher_is_better} | {m: registry[m].higher_is_better for m in metrics}
    bounded = {SCORE: _bounded(strategy, registry)} | {m: registry[m].bounded for m in metrics}

    points: dict[str, dict[str, list[tuple[float, int, float]]]] = {}
    for row in measured.rows:
        for curve in per_curve:
            value = row.get(curve)
            if value is not None and math.isfinite(value):
                point = (row["n"], row["seed"], value)
                points.setdefault(row["entry"], {}).setdefault(curve, []).append(point)
    origin: dict[str, str] = {s.name: "measured" for s in sources}
    for name in names:
        spec = cfg.candidates.get(name)
        if spec is not None and spec.learning_curve is not None and spec.learning_curve.path:
            path = resolve(spec.learning_curve.path, f"candidates.{name}.learning_curve.path")
            points[name] = {SCORE: _read_curve_file(path)}
            origin[name] = str(path)

    block_entries: dict[str, Any] = {}
    lines: list[str] = []
    for name in names:
        if name not in origin:
            continue
        entry = by_name[name]
        curves = {}
        for curve, values in per_curve.items():
            pts = sorted(points.get(name, {}).get(curve, []))
            if not pts and curve != SCORE:
                continue
            best = (1.0 if higher[curve] else 0.0) if bounded[curve] else None
            worst = None if best is None else 1.0 - best
            fitted = fit_curve(pts, values, higher_is_better=higher[curve], best_possible=best,
                               worst_possible=worst,
                               level=lc.level, resamples=lc.resamples,
                               source=f"learning curve of {name} ({curve})")
            if cost.per_item is not None:
                fitted["targets"] = [with_cost(t, cost.per_item, cost.overhead, cost.currency)
                                     for t in fitted["targets"]]
            metric = score_name if curve == SCORE else curve
            curves[curve] = {"metric": metric, "higher_is_better": higher[curve],
                             "points": [list(p) for p in pts], **fitted}
            if entry.role == "candidate":
                lines += [target_sentence(name, metric, t) for t in fitted["targets"]]
        failures = measured.failures.get(name, [])
        block_entries[name] = {"role": entry.role, "kind": entry.kind, "source": origin[name],
                               "failed_fits": len(failures), "failure": failures[0] if failures else None,
                               "curves": curves}
        if failures:
            notes.append(f"{name}: {len(failures)} fit(s) failed and are left out of its curve; the first: "
                         f"{failures[0]}")

    diagnoses = _diagnoses(block_entries, measured.train, by_name, intervals, strongest, human,
                           strategy.higher_is_better)
    return {
        "settings": {"sizes": sizes, "seeds": lc.seeds, "min_size": lc.min_size, "resamples": lc.resamples,
                     "level": lc.level,
                     "train_size": None if evalset.train_y is None else len(evalset.train_y),
                     "stratified": bool(sources) and _stratified(evalset)},
        "score_metric": score_name,
        "targets": targets,
        "label_cost": None if cost.per_item is None else {
            "per_item": cost.per_item, "currency": cost.currency, "overhead": cost.overhead},
        "entries": block_entries, "lines": lines, "diagnosis": diagnoses, "notes": notes,
    }


def _stratified(evalset: EvalSet) -> bool:
    from evalkit.tasks import get_task

    assert evalset.train_y is not None
    return get_task(evalset.task).curve_strata(evalset.train_y) is not None


def _diagnoses(block: Mapping[str, Any], train: Mapping[str, Mapping[str, Any]], by_name: Mapping[str, Entry],
               intervals: Mapping[str, Mapping[str, list[float]]], strongest: str | None,
               human: Mapping[str, Any] | None, higher_is_better: bool) -> list[dict[str, Any]]:
    """Item 7's line per estimator candidate that has a training score."""
    if human is not None and human.get("score") is not None:
        reference = {"name": human["name"], "score": human["score"],
                     "ci": _usable((intervals.get(human["name"]) or {}).get(SCORE)), "what": "human level"}
    elif strongest is not None and by_name[strongest].score is not None:
        reference = {"name": strongest, "score": by_name[strongest].score,
                     "ci": _usable((intervals.get(strongest) or {}).get(SCORE)), "what": "strongest baseline"}
    else:
        return []
    out = []
    for name, info in block.items():
        entry = by_name[name]
        if entry.role != "candidate" or entry.kind != "estimator" or name not in train:
            continue
        if entry.score is None or train[name]["score"] is None:
            continue
        ci = _usable((intervals.get(name) or {}).get(SCORE))
        answer = next((t for t in info["curves"].get(SCORE, {}).get("targets", [])
                       if t.get("target") == reference["score"]), None)
        out.append(diagnose(name, train_score=train[name]["score"], evaluated=entry.score,
                            evaluated_ci=None if ci is None else (ci[0], ci[1]),
                            reference=reference, higher_is_better=higher_is_better, labels=answer))
    return out


def _usable(interval: Sequence[float | None] | None) -> list[float] | None:
    """A two-sided interval with both bounds, or None (an external number has none)."""
    if not interval or any(v is None for v in interval):
        return None
    return [float(v) for v in interval]  # type: ignore[arg-type]
