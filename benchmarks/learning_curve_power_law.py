"""Benchmark: do the extrapolation's intervals hold a known truth at their stated rate?

Run after installing evalkit::

    python benchmarks/learning_curve_power_law.py               # 200 curves, 200 refits each
    python benchmarks/learning_curve_power_law.py --curves 10 --resamples 50

Real curves (``benchmarks/learning_curve.py``) only give one measured score at the largest size;
here the truth is known. Every curve is an inverse power law ``a - b * n**(-c)`` with its own
parameters (a from 0.80 to 0.97, c from 0.3 to 0.8, b so that 16 items score about 0.3 below a),
measured at sizes 16 * 2**(k/2) up to 16,000 with three seeds per size and a run-to-run spread that
shrinks with n as a test-set proportion's does (0.03 at 16 items). Keeping the sizes up to 10% (or
25%) of 16,000, it asks for the score at 16,000 and for the labels that reach the true score at four
times the largest kept size, and counts how often each interval holds the truth: the score, the
labels, and the fitted parameters (``a``, ``c``; ``b`` is reported in units of the largest kept size).
"""

from __future__ import annotations

import argparse

import numpy as np
from joblib import Parallel, delayed
from timing import Timing

from evalkit.learning_curve import extrapolate

LARGEST = 16_000


def one_curve(index: int, share: float, level: float, resamples: int) -> dict[str, bool | None]:
    rng = np.random.default_rng(10_000 + index)
    a, c = rng.uniform(0.80, 0.97), rng.uniform(0.3, 0.8)
    b = 0.3 * 16 ** c
    sizes = np.unique(np.round(16 * 2 ** (np.arange(30) / 2)))
    sizes = sizes[sizes <= share * LARGEST]
    n = np.repeat(sizes, 3)
    score = a - b * n ** -c + rng.normal(0, 0.03 * (n / 16) ** -0.35)
    kept = sizes[-1]
    goal_n = 4 * kept
    goal = a - b * goal_n ** -c
    out = extrapolate(n, score, at=[LARGEST], targets=[goal], level=level, resamples=resamples,
                      seed=index, best_possible=1.0, max_factor=1e9)
    p, t = out["predictions"][0], out["targets"][0]
    truth = a - b * LARGEST ** -c
    held: dict[str, bool | None] = {
        "score": p["low"] <= truth <= p["high"] if p["status"] == "ok" else None,
        "labels": (t["low"] <= goal_n <= (np.inf if t["high"] is None else t["high"])
                   if t["status"] == "ok" else None),
    }
    if out["family"] == "pow3":
        params = {"a": a, "b": b * kept ** -c, "c": c}
        for name, value in params.items():
            low, high = out["param_intervals"][name]
            held[name] = low <= value <= high
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=200)
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--resamples", type=int, default=200)
    args = parser.parse_args()
    clock = Timing.start()
    for share in (0.10, 0.25):
        rows = Parallel(n_jobs=-1)(delayed(one_curve)(i, share, args.level, args.resamples)
                                   for i in range(args.curves))
        print(f"fitted on sizes up to {share:.0%} of {LARGEST:,}, {args.curves} power laws "
              f"(stated {args.level:.2f}):")
        for key in ("score", "labels", "a", "b", "c"):
            answered = [r[key] for r in rows if r.get(key) is not None]
            rate = f"{np.mean(answered):.2f}" if answered else "-"
            print(f"  {key:<7} interval holds the truth {rate} of {len(answered)}")
    took = clock.stop()
    print(f"\n{took.wall:.0f} s wall")


if __name__ == "__main__":
    main()
