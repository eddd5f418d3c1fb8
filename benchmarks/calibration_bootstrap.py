"""Benchmark: the paired bootstrap of the calibration metrics and expected_cost against the naive loop.

Run after installing evalkit (``pip install -e .``)::

    python benchmarks/calibration_bootstrap.py                # 100,000 items, 3 entries, 1,000 resamples
    python benchmarks/calibration_bootstrap.py --items 50000 --resamples 200

``ece``, the three Brier-decomposition terms and ``expected_cost`` (per-item false-negative costs from a
column) are bootstrapped for several binary entries on the same resamples, as a run does
(``bootstrap_entries``: weighted sums per bin and per item, block by block). The naive way (for each
resample, draw the indices, take the resampled arrays and compute the point values) is timed on the first
``--naive`` resamples of one entry and extrapolated linearly to all resamples and entries; the output says
so. The two are checked against each other on those resamples (to 1e-9).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from evalkit.tasks.classification.bootstrap import bootstrap_entries
from evalkit.tasks.classification.calibration import CALIBRATION_METRICS, Binning, point_values
from evalkit.tasks.classification.catalog import MetricSettings
from evalkit.tasks.classification.error_costs import item_costs, parse_costs
from evalkit.uncertainty.resampling import Resampler

NAMES = [*CALIBRATION_METRICS, "expected_cost"]


def make_data(n: int, seed: int, entries: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Truth drawn from known probabilities; entries that sharpen or flatten them; an amount per item."""
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 3, n)
    y = (rng.random(n) < p).astype(np.int64)
    logit = np.log(p / (1 - p))
    scores = [1 / (1 + np.exp(-(0.5 + 0.5 * k) * logit)) for k in range(entries)]
    return y, rng.gamma(2.0, 50.0, n), scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=3)
    parser.add_argument("--naive", type=int, default=20, help="resamples timed in the naive loop")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    y, amount, scores = make_data(args.items, args.seed, args.entries)
    costs = parse_costs({"false_positive": 1, "false_negative": {"column": "amount"}}, binary=True)
    binning = Binning(15)
    settings = MetricSettings(costs=costs, binning=binning, amounts={"amount": amount})
    resampler = Resampler(args.items, args.resamples, seed=args.seed)
    entries = {f"entry{k}": ((s >= 0.5).astype(np.int64), s) for k, s in enumerate(scores)}

    wall, cpu = time.perf_counter(), time.process_time()
    fast = bootstrap_entries("binary", NAMES, y, entries, resampler, settings=settings)
    fast_wall, fast_cpu = time.perf_counter() - wall, time.process_time() - cpu

    labels, s = entries["entry0"]
    wall, cpu = time.perf_counter(), time.process_time()
    worst = 0.0
    for r in range(args.naive):
        idx = resampler.indices(r)
        naive = point_values(y[idx], s[idx], binning, CALIBRATION_METRICS)
        per_item = item_costs(costs, y[idx], labels[idx], {"amount": amount[idx]})
        naive["expected_cost"] = float(np.mean(per_item))
        worst = max(worst, *(abs(naive[m] - fast["entry0"][m][r]) for m in NAMES))
    scale = args.resamples * args.entries / args.naive
    naive_wall = (time.perf_counter() - wall) * scale
    naive_cpu = (time.process_time() - cpu) * scale

    print(f"{args.items:,} items, {args.entries} entries, {args.resamples:,} resamples; "
          f"metrics: {', '.join(NAMES)}")
    print(f"vectorised (bootstrap_entries): {fast_wall:.2f} s wall, {fast_cpu:.2f} s CPU")
    print(f"naive (indices, then point values), timed on {args.naive} resamples of one entry and "
          f"extrapolated: {naive_wall:.1f} s wall, {naive_cpu:.1f} s CPU")
    print(f"ratio: {naive_wall / fast_wall:.1f}x wall, {naive_cpu / fast_cpu:.1f}x CPU; "
          f"largest difference on the shared resamples: {worst:.1e}")
    if worst > 1e-9:
        raise SystemExit("the vectorised and naive values differ by more than 1e-9")


if __name__ == "__main__":
    main()
