"""Benchmark: vectorised paired bootstrap of the regression metrics against the naive loop.

Run after installing evalkit (``pip install -e .``)::

    python benchmarks/regression_bootstrap.py      # 1,000,000 items, 3 predictions, 1,000 resamples
    python benchmarks/regression_bootstrap.py --items 100000 --resamples 200

Every single-target metric (evalkit.tasks.regression.metrics) is bootstrapped for each prediction on
the same resamples, block by block from evalkit's Resampler, as the pipeline would. The naive way (for
each resample, expand the arrays with ``np.repeat`` and call the point metrics) is timed on the first
``--naive`` resamples of one prediction only and extrapolated linearly to all resamples and predictions;
the output says so. The two are also checked against each other on those resamples (to 1e-9).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from timing import Timing

from evalkit.tasks.regression.metrics import REGRESSION_METRICS, regression_metric
from evalkit.tasks.regression.resampled import RegressionPlans
from evalkit.uncertainty.resampling import Resampler

METRICS = list(REGRESSION_METRICS)
QUANTILE_METRICS = ["median_ae", "max_error"]


def make_data(n: int, seed: int, models: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """A skewed positive target (prices) and predictions with different noise and bias."""
    rng = np.random.default_rng(seed)
    y = rng.lognormal(3.0, 0.5, n)
    preds = [y * rng.lognormal(0.05 * k, 0.1 + 0.05 * k, n) + rng.normal(0, 1 + k, n) for k in range(models)]
    return y, preds


def fast_values(names: list[str], y: np.ndarray, preds: list[np.ndarray],
                resampler: Resampler) -> tuple[list[dict[str, np.ndarray]], Timing]:
    """All predictions on the same blocks: each block generated once and evaluated for every prediction."""
    clock = Timing.start()
    plans = RegressionPlans(names, y, preds)  # the sorts for the quantile metrics happen here, timed
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in preds]
    for _, W in resampler.blocks(compact=True, prefetch=True):
        for k, values in enumerate(plans(W)):
            parts[k].append(values)
    out = [{m: np.concatenate([b[m] for b in blocks]) for m in names} for blocks in parts]
    return out, clock.stop()


def naive_values(y: np.ndarray, p: np.ndarray, resampler: Resampler, count: int) -> tuple[dict, Timing]:
    clock = Timing.start()
    out = {m: np.empty(count) for m in METRICS}
    for r in range(count):
        w = resampler.weights(r)
        yr, pr = np.repeat(y, w), np.repeat(p, w)
        for m in METRICS:
            out[m][r] = regression_metric(m, yr, pr)
    return out, clock.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--naive", type=int, default=5, help="resamples timed in the naive loop")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    y, preds = make_data(args.items, args.seed, args.models)
    resampler = Resampler(args.items, args.resamples, seed=args.seed)
    print(f"items {args.items:,}, predictions {args.models}, resamples {args.resamples:,}, "
          f"{resampler.rows_per_block} resamples per block")
    print(f"metrics {', '.join(METRICS)}")
    print(f"cpus {os.cpu_count()}, load average at start {os.getloadavg()[0]:.2f}")

    clock = Timing.start()
    for _ in resampler.blocks(compact=True):
        pass
    generation = clock.stop()
    fast, fast_time = fast_values(METRICS, y, preds, resampler)
    linear = [m for m in METRICS if m not in QUANTILE_METRICS]
    _, linear_time = fast_values(linear, y, preds, resampler)
    naive, naive_time = naive_values(y, preds[0], resampler, args.naive)
    scale = args.resamples * args.models / args.naive

    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(f"{'':58s}{'wall s':>10s}{'cpu s':>10s}")
    rows = [
        (f"fast, all metrics, {args.models} x {args.resamples} resamples", fast_time),
        ("  generating the resamples alone (no prefetch)", generation),
        (f"fast, without {' and '.join(QUANTILE_METRICS)}", linear_time),
        (f"naive, measured on {args.naive} resamples of 1 prediction", naive_time),
        (f"naive, extrapolated x{scale:g} to {args.models} x {args.resamples}",
         Timing(naive_time.wall * scale, naive_time.cpu * scale)),
    ]
    for label, t in rows:
        print(f"{label:58s}{t.wall:10.2f}{t.cpu:10.2f}")
    print(f"speed-up: {naive_time.wall * scale / fast_time.wall:.1f}x wall-clock "
          f"(naive time extrapolated linearly from {args.naive} resamples; target: all in under 60 s)")
    print(f"the quantile metrics ({', '.join(QUANTILE_METRICS)}) add "
          f"{fast_time.wall - linear_time.wall:.1f} s wall of the {fast_time.wall:.1f} s")

    worst = max(float(np.max(np.abs(fast[0][m][: args.naive] - naive[m]) / np.maximum(1.0, np.abs(naive[m]))))
                for m in METRICS)
    print(f"largest relative |fast - naive| over the {args.naive} shared resamples: {worst:.2e}")
    if worst > 1e-9:
        raise SystemExit("fast and naive bootstrap disagree")


if __name__ == "__main__":
    main()
