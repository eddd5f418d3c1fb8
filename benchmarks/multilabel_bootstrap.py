"""Benchmark: the multilabel bootstrap in blocks against resampled indices + scikit-learn.

Run after installing evalkit (``pip install -e .``)::

    python benchmarks/multilabel_bootstrap.py           # 20,000 items x 50 labels x 1,000 resamples
    python benchmarks/multilabel_bootstrap.py --full    # 100,000 items x 50 labels x 1,000 resamples
    python benchmarks/multilabel_bootstrap.py --items 5000 --labels 20 --resamples 200

The AP family (``map``, ``map_weighted``, ``map_micro``) of one entry is bootstrapped block by block from
evalkit's Resampler, as a run does (plan built once, then every block). The naive way — for each resample,
expand the matrices with the resample's indices and call scikit-learn's ``average_precision_score`` three
times — is timed on the first ``--naive`` resamples only and scaled linearly to all resamples; the output
says so. Both are compared on those resamples (to 1e-9). ``--labels-metrics`` adds the label metrics
(F1, precision, recall, Hamming loss, subset accuracy) to both sides.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from timing import Timing

from evalkit.metrics.multilabel_resampled import MultilabelPlan
from evalkit.uncertainty.resampling import Resampler

AP_FAMILY = ("map", "map_weighted", "map_micro")
LABEL_METRICS = ("f1_micro", "f1_macro", "precision_micro", "recall_micro", "hamming_loss", "subset_accuracy")


def make_data(n: int, n_labels: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels of varied frequency (1% to 30%), informative scores with ties (3 decimals), labels at 0.6."""
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, n_labels)) < rng.uniform(0.01, 0.3, n_labels)).astype(np.int8)
    S = np.round(0.3 * Y + rng.random((n, n_labels)), 3)
    return Y, (S >= 0.6).astype(np.int8), S


def naive(names: tuple[str, ...], Y: np.ndarray, P: np.ndarray, S: np.ndarray, rows: np.ndarray) -> dict:
    """scikit-learn on the expanded resample, with evalkit's conventions (labels without positives out)."""
    import sklearn.metrics as skm

    y, p, s = Y[rows], P[rows], S[rows]
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keep = y.sum(axis=0) > 0
        calls = {
            "map": lambda: skm.average_precision_score(y[:, keep], s[:, keep], average="macro"),
            "map_weighted": lambda: skm.average_precision_score(y, s, average="weighted"),
            "map_micro": lambda: skm.average_precision_score(y, s, average="micro"),
            "f1_micro": lambda: skm.f1_score(y, p, average="micro", zero_division=np.nan),
            "f1_macro": lambda: skm.f1_score(y, p, average="macro", zero_division=np.nan),
            "precision_micro": lambda: skm.precision_score(y, p, average="micro", zero_division=np.nan),
            "recall_micro": lambda: skm.recall_score(y, p, average="micro", zero_division=np.nan),
            "hamming_loss": lambda: skm.hamming_loss(y, p),
            "subset_accuracy": lambda: skm.accuracy_score(y, p),
        }
        for name in names:
            out[name] = float(calls[name]())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--labels", type=int, default=50)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--naive", type=int, default=5, help="resamples timed the naive way (then scaled)")
    parser.add_argument("--full", action="store_true", help="the issue's size: 100,000 items, 50 labels")
    parser.add_argument("--labels-metrics", action="store_true", help="also the label metrics (F1, ...)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.full:
        args.items, args.labels = 100_000, 50
    names = AP_FAMILY + (LABEL_METRICS if args.labels_metrics else ())
    Y, P, S = make_data(args.items, args.labels, args.seed)
    resampler = Resampler(args.items, args.resamples, seed=args.seed)
    print(f"{args.items:,} items x {args.labels} labels x {args.resamples:,} resamples; "
          f"metrics: {', '.join(names)}")

    clock = Timing.start()
    plan = MultilabelPlan(names, Y, labels=P, scores=S)
    plan_time = clock.stop()
    clock = Timing.start()
    values = {m: np.empty(args.resamples) for m in names}
    for start, block in resampler.blocks(compact=True, prefetch=True):
        for name, got in plan.values(block).items():
            values[name][start : start + block.shape[0]] = got
    blocks_time = clock.stop()
    total = Timing(plan_time.wall + blocks_time.wall, plan_time.cpu + blocks_time.cpu)
    print(f"  evalkit blocks:  plan {plan_time.wall:6.2f} s, resamples {blocks_time.wall:7.2f} s wall "
          f"({total.cpu:.2f} s CPU), {1000 * blocks_time.wall / args.resamples:.1f} ms per resample")

    k = min(args.naive, args.resamples)
    clock = Timing.start()
    worst = 0.0
    for r in range(k):
        reference = naive(names, Y, P, S, resampler.indices(r))
        for name in names:
            worst = max(worst, abs(reference[name] - values[name][r]))
    naive_time = clock.stop()
    scale = args.resamples / k
    naive_wall, naive_cpu = naive_time.wall * scale, naive_time.cpu * scale
    print(f"  naive (indices + scikit-learn): {naive_time.wall:.2f} s for {k} resamples, scaled x{scale:g} "
          f"to {naive_wall:7.1f} s wall ({naive_cpu:.1f} s CPU)")
    print(f"  ratio naive / evalkit: {naive_wall / total.wall:.1f}x wall, {naive_cpu / total.cpu:.1f}x CPU; "
          f"largest difference on the {k} compared resamples: {worst:.1e}")
    if worst > 1e-9:
        raise SystemExit(f"values differ from scikit-learn by {worst:.2e} (more than 1e-9)")


if __name__ == "__main__":
    main()
