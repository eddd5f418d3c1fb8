"""Benchmark: does a threshold chosen on validation data keep its constraint on the test data?

Run from the repository root::

    python benchmarks/operating_point.py                  # 25,000 items, 200 splits
    python benchmarks/operating_point.py --splits 50      # quicker, coarser

A pool of scores from two overlapping distributions (positives ``Beta(4, 2)``, negatives ``Beta(2, 4)``,
half of the items positive, like a balanced review-sentiment set) is split at random into a validation
half and a test half, many times. On each split the threshold is chosen on the validation half to
maximise precision subject to recall >= 0.95, three ways:

- naive: the threshold that just meets recall >= 0.95 on the validation half (``confidence: null``);
- population bound: the recall constraint must hold at its one-sided 95% Wilson lower bound on the
  validation half (what ``confidence: 0.95`` means under ``cross_fit``);
- test-set bound: it must hold at the one-sided 95% *prediction* bound for a test set of the test
  half's size (``prediction_bound``; what ``confidence: 0.95`` means under ``validation``).

Each threshold is then applied to the test half. Printed: the share of splits whose test half misses
recall >= 0.95 under each choice (with its binomial standard error), each share against the naive one,
and the precision on the test half that each bound gives up against the naive choice.

The Wilson bound is a statement about the recall of the population the validation half was drawn
from. The test half is a second sample of the same size, so its recall scatters around that value as
much again: with the bound just met, about 1 - Phi(1.645 / sqrt(2)) ~ 12% of test halves still fall
short. The prediction bound counts both samples' noise, so about 5% should.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from evalkit.tasks.classification.operating_point import Condition, Rule, choose_threshold, metrics_at

TARGET = 0.95


def pool(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(np.int64)
    scores = np.where(y == 1, rng.beta(4, 2, n), rng.beta(2, 4, n))
    return y, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=25_000)
    parser.add_argument("--splits", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    y, scores = pool(args.items, args.seed)
    objective, constraint = (("precision", 1.0, False),), (Condition("recall", ">=", TARGET),)
    confident = Rule(objective, constraint, confidence=0.95)
    test_items = args.items - args.items // 2
    # name -> (rule, judged_items): None keeps the population bound.
    rules = {"naive": (Rule(objective, constraint), None),
             "population bound": (confident, None),
             "test-set bound": (confident, float(test_items))}
    missed = {name: 0 for name in rules}
    precision: dict[str, list[float]] = {name: [] for name in rules}
    recall: dict[str, list[float]] = {name: [] for name in rules}
    rng = np.random.default_rng(args.seed + 1)
    start = time.perf_counter()
    for _ in range(args.splits):
        order = rng.permutation(args.items)
        val, test = order[: args.items // 2], order[args.items // 2:]
        for name, (rule, judged) in rules.items():
            choice = choose_threshold(y[val], scores[val], rule, judged_items=judged)
            assert choice.threshold is not None, choice.reason
            at = metrics_at(y[test], scores[test] >= choice.threshold)
            missed[name] += at["recall"] < TARGET
            precision[name].append(at["precision"])
            recall[name].append(at["recall"])
    elapsed = time.perf_counter() - start
    print(f"{args.items:,} items (half positive), {args.splits} random validation/test halves, "
          f"constraint recall >= {TARGET}, objective precision ({elapsed:.1f} s wall)")
    naive_share, naive_precision = missed["naive"] / args.splits, float(np.mean(precision["naive"]))
    for name in rules:
        share = missed[name] / args.splits
        se = math.sqrt(share * (1 - share) / args.splits)
        mean_precision = float(np.mean(precision[name]))
        given_up = naive_precision - mean_precision
        against = f"{share / naive_share:.2f}x the naive share" if naive_share and name != "naive" else ""
        print(f"  {name:16s}: test half misses the constraint in {share:6.1%} of splits (± {se:.1%})",
              against)
        print(f"  {'':16s}  mean test recall {np.mean(recall[name]):.4f}, precision {mean_precision:.4f}"
              + (f", {given_up:.4f} given up ({given_up / naive_precision:.1%})" if name != "naive" else ""))


if __name__ == "__main__":
    main()
