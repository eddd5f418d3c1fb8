"""Benchmark: does the weakest-slice search keep its false discoveries at the stated level, does it find
a planted weak slice, and how fast is it against a naive loop? (a simulation, not a test)

Run from the repository root::

    python benchmarks/slices.py                 # 100 data sets per scenario
    python benchmarks/slices.py --datasets 50   # quicker, coarser

Each data set has 2,000 items and four columns: two categorical (4 and 5 values), two numeric
(searched as quartiles), so up to 17 conditions and 108 conjunctions of two. The best candidate's
per-item error is 0/1 with rate 0.10 everywhere (**null**), or with the rate doubled in the 5% slice
``c1 = 0 & c2 = 0`` (**planted**). ``evalkit.slices.search.search`` tests every slice with at least 30
items (Fisher's exact test, one-sided, slice against the rest) and adjusts by Benjamini-Hochberg.

Printed: under the null, the share of data sets where any slice is reported significant at FDR 0.05
(with every null hypothesis true, the false discovery rate is that share, so it should be at most
0.05), against the same share without adjustment (the naive reading of per-slice p < 0.05); under the
plant, the share of data sets where the planted slice is reported first and significant. Then the
time of one search against a naive loop over the same slices (a boolean mask per slice and
``scipy.stats.fisher_exact`` per slice), with the p-values checked equal.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.slices.conditions import Condition, quantile_conditions
from evalkit.slices.search import search

N_ITEMS = 2000
MIN_ITEMS = 30
FDR = 0.05
BASE_RATE = 0.10


def data_set(seed: int, *, plant: bool) -> tuple[np.ndarray, list[Condition]]:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({"c1": rng.integers(0, 4, N_ITEMS), "c2": rng.integers(0, 5, N_ITEMS),
                          "x": rng.random(N_ITEMS), "z": rng.normal(size=N_ITEMS)})
    inside = ((table["c1"] == 0) & (table["c2"] == 0)).to_numpy()
    rate = np.where(inside & plant, 2 * BASE_RATE, BASE_RATE)
    errors = (rng.random(N_ITEMS) < rate).astype(np.float64)
    conditions = [c for column in table for c in quantile_conditions(column, table[column], 4)]
    return errors, conditions


def naive(errors: np.ndarray, conditions: list[Condition]) -> list[float]:
    """Every slice of up to two conditions, one mask and one scipy Fisher test at a time."""
    n, total = len(errors), int(errors.sum())
    p_values = []
    masks = []
    for c in conditions:
        mask = np.zeros(n, dtype=bool)
        mask[c.items] = True
        masks.append(mask)
    combos = [(i,) for i in range(len(conditions))] + [
        (i, j) for i, j in itertools.combinations(range(len(conditions)), 2)
        if conditions[i].column != conditions[j].column]
    for combo in combos:
        mask = np.logical_and.reduce([masks[k] for k in combo])
        size = int(mask.sum())
        if size < MIN_ITEMS or size == n:
            continue
        if len(combo) == 2 and size in (int(masks[combo[0]].sum()), int(masks[combo[1]].sum())):
            continue
        inside = int(errors[mask].sum())
        table = [[inside, size - inside], [total - inside, n - size - (total - inside)]]
        p_values.append(stats.fisher_exact(table, alternative="greater")[1])
    return p_values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100)
    args = parser.parse_args()

    any_adjusted = any_raw = found_first = 0
    searched = []
    for seed in range(args.datasets):
        errors, conditions = data_set(seed, plant=False)
        result = search(errors, conditions, min_items=MIN_ITEMS, max_conditions=2)
        searched.append(result.n_searched)
        any_adjusted += bool(result.discoveries(FDR))
        any_raw += any(s.p_value <= FDR for s in result.slices)
        errors, conditions = data_set(10_000 + seed, plant=True)
        result = search(errors, conditions, min_items=MIN_ITEMS, max_conditions=2)
        top = result.top(1)[0]
        name = " & ".join(conditions[j].name for j in top.conditions)
        found_first += name == "c1 = 0 & c2 = 0" and top.p_adjusted <= FDR
    k = args.datasets
    share, raw = any_adjusted / k, any_raw / k
    se = (share * (1 - share) / k) ** 0.5
    print(f"{k} data sets of {N_ITEMS} items, {int(np.mean(searched))} slices searched on average "
          f"(min_items {MIN_ITEMS})")
    print(f"null: share with any significant slice, BH at FDR {FDR}: {share:.3f} (± {se:.3f}); "
          f"unadjusted p < {FDR}: {raw:.3f} ({raw / max(share, 1 / k):.0f}× more)")
    print(f"planted (5% slice, error rate doubled): reported first and significant in {found_first / k:.3f}")

    errors, conditions = data_set(0, plant=True)
    start = time.perf_counter()
    repeats = 20
    for _ in range(repeats):
        result = search(errors, conditions, min_items=MIN_ITEMS, max_conditions=2)
    fast = (time.perf_counter() - start) / repeats
    start = time.perf_counter()
    reference = naive(errors, conditions)
    slow = time.perf_counter() - start
    ours = sorted(s.p_value for s in result.slices)
    difference = float(np.max(np.abs(np.array(ours) - np.array(sorted(reference)))))
    print(f"one search: {fast * 1000:.1f} ms against {slow * 1000:.1f} ms for the naive loop "
          f"({slow / fast:.1f}× faster); {len(ours)} slices each, p-values equal to {difference:.1e}")


if __name__ == "__main__":
    main()
