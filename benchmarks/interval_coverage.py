"""Benchmark: do evalkit's 95% intervals cover the true value 95% of the time? (a simulation, not a test)

Run from the repository root::

    python benchmarks/interval_coverage.py                      # both scenarios, 200 data sets each
    python benchmarks/interval_coverage.py --datasets 100       # quicker, coarser
    python benchmarks/interval_coverage.py --scenario rare      # one scenario

Two binary classifiers score items drawn from a known distribution: the logit of a model's score
is ``Normal(0, 1) + shift * y + offset``; the weaker model's noise shares a correlation of 0.6 with
the stronger one's, so their comparison is paired as on real data. Labels are the scores
thresholded at 0.5. The true value of each metric (and of each difference between the models) is
its value on one huge sample (2,000,000 items) of the same distribution.

Each simulated data set is evaluated exactly as ``evalkit run`` does: ``evalkit.confidence.assess``
(the function the runner calls) with the default bootstrap (1,000 resamples, level 0.95) and an
average strategy over the four metrics, so every interval and paired difference comes from the
runner's own code path. Coverage is the share of data sets whose interval contains the true value,
printed with its binomial standard error; "zero width" counts intervals with lower == upper on data
that has both classes.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from evalkit.confidence import assess
from evalkit.config import BootstrapConfig, StrategyConfig
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import metric_registry
from evalkit.predictions import Predictions
from evalkit.strategies import build_strategy

METRICS = ["accuracy", "f1", "roc_auc", "average_precision"]
DIFFERENCES = ["accuracy", "roc_auc"]
REGISTRY = metric_registry("binary")
POPULATION = 2_000_000
CORRELATION = 0.6


@dataclass(frozen=True)
class Scenario:
    name: str
    n: int
    positives: float
    strong_shift: float = 2.0
    weak_shift: float = 1.5
    # The offset puts the 0.5 threshold where both models predict some positives.
    offset: float = 0.0


SCENARIOS = [
    Scenario("balanced", n=200, positives=0.5, offset=-1.0),
    Scenario("rare positives", n=1000, positives=0.02, strong_shift=2.5, weak_shift=2.0, offset=-2.0),
]


def draw(s: Scenario, n: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Truth and the two models' scores for ``n`` items."""
    y = (rng.random(n) < s.positives).astype(np.int64)
    shared, own = rng.normal(size=n), rng.normal(size=n)
    noise = {"strong": shared, "weak": CORRELATION * shared + np.sqrt(1 - CORRELATION**2) * own}
    shift = {"strong": s.strong_shift, "weak": s.weak_shift}
    return y, {m: 1 / (1 + np.exp(-(noise[m] + shift[m] * y + s.offset))) for m in noise}


def values(y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    labels = (scores >= 0.5).astype(np.int64)
    return {"accuracy": skm.accuracy_score(y, labels), "f1": skm.f1_score(y, labels),
            "roc_auc": skm.roc_auc_score(y, scores),
            "average_precision": skm.average_precision_score(y, scores)}


def truth(s: Scenario, seed: int) -> dict[str, dict[str, float]]:
    y, scores = draw(s, POPULATION, np.random.default_rng(seed))
    return {m: values(y, sc) for m, sc in scores.items()}


def one_dataset(s: Scenario, rng: np.random.Generator, cfg: BootstrapConfig, strategy):
    y, scores = draw(s, s.n, rng)
    evalset = EvalSet(task="binary", ids=np.array([str(i) for i in range(s.n)], dtype=object), y=y,
                      classes=("0", "1"), source="simulation")
    entries = []
    for name, sc in scores.items():
        predictions = Predictions((sc >= 0.5).astype(np.int64), sc)
        entry = Entry(name=name, role="candidate", kind="predictions",
                      metrics=compute_metrics(REGISTRY, evalset, predictions).values, predictions=predictions)
        entry.outcome = strategy.evaluate(entry.metrics)
        entries.append(entry)
    return y, assess(entries, evalset, REGISTRY, strategy, "strong", cfg, progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=200, help="simulated data sets per scenario")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", choices=[s.name.split()[0] for s in SCENARIOS],
                        help="run one scenario only (e.g. two processes on two cores)")
    args = parser.parse_args()
    cfg = BootstrapConfig(resamples=args.resamples, level=0.95, seed=0)
    strategy = build_strategy(StrategyConfig(name="average", metrics=METRICS), REGISTRY, "binary")
    clock = time.perf_counter()
    print(f"{args.datasets} data sets per scenario, {args.resamples} resamples, level 0.95; "
          "coverage +- standard error (target 0.95)")
    print(f"{'scenario':16s}{'interval':32s}{'coverage':>16s}{'mean width':>12s}{'zero width':>12s}")
    for k, scenario in enumerate(SCENARIOS):
        if args.scenario and not scenario.name.startswith(args.scenario):
            continue
        true = truth(scenario, seed=10_000 + k)
        targets = {f"strong {m}": ("strong", m, true["strong"][m]) for m in METRICS}
        targets |= {f"weak {m}": ("weak", m, true["weak"][m]) for m in METRICS}
        targets |= {f"difference in {m}": ("diff", m, true["strong"][m] - true["weak"][m])
                    for m in DIFFERENCES}
        hits = {key: 0 for key in targets}
        widths: dict[str, list[float]] = {key: [] for key in targets}
        zero = {key: 0 for key in targets}
        rng = np.random.default_rng(args.seed + k)
        for _ in range(args.datasets):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y, result = one_dataset(scenario, rng, cfg, strategy)
            both_classes = 0 < y.sum() < y.size
            diffs = {c["metric"]: c["ci"] for c in result.comparisons if c["b"] == "weak"}
            for key, (who, metric, value) in targets.items():
                lower, upper = diffs[metric] if who == "diff" else result.intervals[who][metric]
                hits[key] += bool(lower <= value <= upper)
                widths[key].append(upper - lower)
                zero[key] += bool(both_classes and upper == lower)
        label = f"{scenario.name} (n={scenario.n}, {scenario.positives:.0%} pos.)"
        print(label)
        for key, (_, _, value) in targets.items():
            p = hits[key] / args.datasets
            se = np.sqrt(p * (1 - p) / args.datasets)
            print(f"{'':16s}{key + f' (true {value:.3f})':32s}{f'{p:.3f} +- {se:.3f}':>16s}"
                  f"{np.mean(widths[key]):12.3f}{zero[key]:12d}")
    print(f"runtime {time.perf_counter() - clock:.0f} s")


if __name__ == "__main__":
    main()
