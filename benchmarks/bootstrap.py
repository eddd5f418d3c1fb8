"""Benchmark: vectorized paired bootstrap against the naive loop (resample indices, call sklearn).

Run after installing evalkit (``pip install -e .``)::

    python benchmarks/bootstrap.py            # 1,000 resamples of 1,000,000 items
    python benchmarks/bootstrap.py --items 100000 --resamples 200

The fast path is timed on all resamples. The naive loop is timed on the first ``--naive``
resamples only (it takes about a second per resample at a million items) and extrapolated
linearly per resample; the output says so. The two are also checked against each other on those
resamples: the values to 1e-9, and the percentile intervals computed from them.
"""

from __future__ import annotations

import argparse
import os
import warnings

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score
from timing import Timing

from evalkit.tasks.classification.bootstrap import bootstrap_metric_values
from evalkit.uncertainty import Resampler, percentile_interval
from evalkit.uncertainty.resampling import strata_of

METRICS = ["accuracy", "f1", "roc_auc", "average_precision"]


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binary truth (30% positive), continuous probabilities from a noisy logit, labels at 0.5."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int64)
    logit = rng.normal(0.0, 1.0, n) + 1.2 * (2 * y - 1)
    scores = 1.0 / (1.0 + np.exp(-logit))
    labels = (scores >= 0.5).astype(np.int64)
    return y, labels, scores


def naive_values(y, labels, scores, resampler: Resampler, count: int) -> tuple[dict[str, np.ndarray], Timing]:
    """The straightforward loop on the first ``count`` resamples, and its timing."""
    out = {name: np.empty(count) for name in METRICS}
    clock = Timing.start()
    strata = strata_of(y)
    for r in range(count):
        idx = resampler.indices(r)  # the same resample as the fast path's row r
        yr, lr, sr = y[idx], labels[idx], scores[idx]
        out["accuracy"][r] = accuracy_score(yr, lr)
        out["f1"][r] = f1_score(yr, lr, zero_division=np.nan)
        out["average_precision"][r] = average_precision_score(yr, sr)
        within = resampler.stratified_indices(r, strata)  # ROC AUC: resample r drawn within class
        out["roc_auc"][r] = roc_auc_score(y[within], scores[within])
    return out, clock.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--naive", type=int, default=10, help="resamples timed in the naive loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--level", type=float, default=0.95)
    args = parser.parse_args()

    y, labels, scores = make_data(args.items, args.seed)
    resampler = Resampler(args.items, args.resamples, seed=args.seed)
    print(f"items {args.items:,}, resamples {args.resamples:,}, metrics {', '.join(METRICS)}")
    print(f"cpus {os.cpu_count()}, load average at start {os.getloadavg()[0]:.2f}")

    clock = Timing.start()
    for _ in resampler.blocks(compact=True):
        pass
    generation = clock.stop()

    clock = Timing.start()
    fast = bootstrap_metric_values("binary", METRICS, y, labels, scores, resampler, progress=False)
    fast_time = clock.stop()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's undefined-metric warnings; none expected here
        naive, naive_time = naive_values(y, labels, scores, resampler, args.naive)
    scale = args.resamples / args.naive

    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(f"{'':44s}{'wall s':>10s}{'cpu s':>10s}")
    rows = [
        (f"fast, all {args.resamples} resamples", fast_time),
        ("  of which generating the resamples (alone)", generation),
        (f"naive, measured on {args.naive} resamples", naive_time),
        (
            f"naive, extrapolated x{scale:g} to {args.resamples}",
            Timing(naive_time.wall * scale, naive_time.cpu * scale),
        ),
    ]
    for label, t in rows:
        print(f"{label:44s}{t.wall:10.2f}{t.cpu:10.2f}")
    print(
        f"per resample: fast {1e3 * fast_time.wall / args.resamples:.1f} ms wall, "
        f"naive {1e3 * naive_time.wall / args.naive:.0f} ms wall"
    )
    print(
        f"speed-up: {naive_time.wall * scale / fast_time.wall:.1f}x wall-clock, "
        f"{naive_time.cpu * scale / fast_time.cpu:.1f}x CPU time  (target: at least 50x)"
    )
    print("  (the naive time is extrapolated linearly from the resamples above; the fast path")
    print("   generates the next block of resamples on a second thread while evaluating one)")

    worst = max(float(np.max(np.abs(fast[m][: args.naive] - naive[m]))) for m in METRICS)
    print(f"largest |fast - naive| over the {args.naive} shared resamples: {worst:.2e}")
    same_intervals = all(
        np.allclose(
            percentile_interval(fast[m][: args.naive], args.level)[:2],
            percentile_interval(naive[m], args.level)[:2],
            rtol=0,
            atol=1e-9,
        )
        for m in METRICS
    )
    print(f"percentile intervals on those resamples equal to 1e-9: {same_intervals}")
    for m in METRICS:
        lower, upper, _ = percentile_interval(fast[m], args.level)
        print(f"  {m:18s} {args.level:.0%} interval over all resamples [{lower:.5f}, {upper:.5f}]")
    if worst > 1e-9 or not same_intervals:
        raise SystemExit("fast and naive bootstrap disagree")


if __name__ == "__main__":
    main()
