"""Benchmark: does a threshold chosen on validation data keep its constraint on the test data?

Run from the repository root::

    python benchmarks/operating_point.py                  # 25,000 items, 200 splits
    python benchmarks/operating_point.py --splits 50      # quicker, coarser

A pool of scores from two overlapping distributions (positives ``Beta(4, 2)``, negatives ``Beta(2, 4)``,
half of the items positive, like a balanced review-sentiment set) is split at random into a validation
half and a test half, many times. On each split the threshold is chosen on the validation half to
maximise precision subject to recall >= 0.95, two ways:

- naive: the threshold that just meets recall >= 0.95 on the validation half (``confidence: null``);
- confident: the recall constraint must hold at its one-sided 95% Wilson lower bound (``confidence: 0.95``),
  evalkit's ``operating_point`` rule.

Each threshold is then applied to the test half. Printed: the share of splits whose test half misses
recall >= 0.95 under each choice (with its binomial standard error), the ratio of the two, and the
precision on the test half that the confident choice gives up.

The Wilson bound is a statement about the recall of the population the validation half was drawn
from. The test half is a second sample of the same size, so its recall scatters around that value as
much again: with the bound just met, about 1 - Phi(1.645 / sqrt(2)) ~ 12% of test halves still fall
short. A third line shows ``confidence: 0.99``, which covers the test half's own noise as well.
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
    rules = {"naive": Rule((("precision", 1.0, False),), (Condition("recall", ">=", TARGET),)),
             "confident": Rule((("precision", 1.0, False),), (Condition("recall", ">=", TARGET),),
                               confidence=0.95),
             "confident (0.99)": Rule((("precision", 1.0, False),), (Condition("recall", ">=", TARGET),),
                                      confidence=0.99)}
    missed = {name: 0 for name in rules}
    precision = {name: [] for name in rules}
    recall = {name: [] for name in rules}
    rng = np.random.default_rng(args.seed + 1)
    start = time.perf_counter()
    for _ in range(args.splits):
        order = rng.permutation(args.items)
        val, test = order[: args.items // 2], order[args.items // 2:]
        for name, rule in rules.items():
            choice = choose_threshold(y[val], scores[val], rule)
            assert choice.threshold is not None, choice.reason
            at = metrics_at(y[test], scores[test] >= choice.threshold)
            missed[name] += at["recall"] < TARGET
            precision[name].append(at["precision"])
            recall[name].append(at["recall"])
    elapsed = time.perf_counter() - start
    print(f"{args.items:,} items (half positive), {args.splits} random validation/test halves, "
          f"constraint recall >= {TARGET}, objective precision ({elapsed:.1f} s)")
    for name in rules:
        share = missed[name] / args.splits
        se = math.sqrt(share * (1 - share) / args.splits)
        print(f"  {name:16s}: test half misses the constraint in {share:6.1%} of splits (± {se:.1%}); "
              f"mean test recall {np.mean(recall[name]):.4f}, precision {np.mean(precision[name]):.4f}")
    naive, confident = missed["naive"] / args.splits, missed["confident"] / args.splits
    ratio = confident / naive if naive else math.nan
    given_up = np.mean(precision["naive"]) - np.mean(precision["confident"])
    print(f"confident / naive miss share: {ratio:.2f}x; precision given up: {given_up:.4f} "
          f"({given_up / np.mean(precision['naive']):.1%} of the naive choice's)")


if __name__ == "__main__":
    main()
