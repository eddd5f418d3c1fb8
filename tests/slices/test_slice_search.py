"""The weakest-slice search: a planted weak slice comes out on top; with none planted, no discovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.slices.conditions import Condition, quantile_conditions
from evalkit.slices.search import benjamini_hochberg, search


def planted(seed: int, *, planted_rate: float | None, n: int = 4000, base: float = 0.1,
            continuous: bool = False) -> tuple[np.ndarray, list[Condition]]:
    """Items with two categorical columns and a numeric one; errors at ``base``, doubled (or set to
    ``planted_rate``) in the 5% slice c1 = 0 & c2 = 0."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({"c1": rng.integers(0, 4, n), "c2": rng.integers(0, 5, n), "x": rng.random(n)})
    inside = ((table.c1 == 0) & (table.c2 == 0)).to_numpy()
    if continuous:
        errors = rng.exponential(1.0, n) * np.where(inside & (planted_rate is not None), 2.0, 1.0)
    else:
        rate = np.where(inside & (planted_rate is not None), planted_rate or 0.0, base)
        errors = (rng.random(n) < rate).astype(float)
    conditions = [c for column in table for c in quantile_conditions(column, table[column], 4)]
    return errors, conditions


def names(result, conditions, k):
    return [" & ".join(conditions[j].name for j in s.conditions) for s in result.top(k)]


@pytest.mark.parametrize("continuous", [False, True])
def test_a_planted_weak_slice_of_five_percent_is_found_at_the_top(continuous):
    errors, conditions = planted(0, planted_rate=0.2, continuous=continuous)
    result = search(errors, conditions, min_items=30, max_conditions=2)
    assert names(result, conditions, 1) == ["c1 = 0 & c2 = 0"]
    top = result.top(1)[0]
    assert top.p_adjusted <= 0.05 and top.error > 1.5 * top.rest_error
    assert result.test.startswith("Welch" if continuous else "Fisher")


@pytest.mark.parametrize("seed", [1, 2])
def test_without_a_planted_slice_nothing_is_reported_significant(seed):
    errors, conditions = planted(seed, planted_rate=None)
    result = search(errors, conditions, min_items=30, max_conditions=2)
    assert result.n_searched > 50
    assert result.discoveries(0.05) == []


def test_every_conjunction_with_enough_items_is_searched_and_none_twice():
    # a: 2 values, b: 2 values, 40 items, the 4 cells have 10 items each.
    a = Condition("a", "= 0", np.arange(20)), Condition("a", "= 1", np.arange(20, 40))
    b = Condition("b", "= 0", np.arange(0, 40, 2)), Condition("b", "= 1", np.arange(1, 40, 2))
    errors = np.zeros(40)
    assert search(errors, [*a, *b], min_items=10, max_conditions=2).n_searched == 4 + 4
    assert search(errors, [*a, *b], min_items=11, max_conditions=2).n_searched == 4  # cells pruned
    # a condition on the same column twice is never a conjunction
    same = [Condition("a", "< 30", np.arange(30)), Condition("a", "> 5", np.arange(6, 40))]
    assert search(errors, same, min_items=1, max_conditions=2).n_searched == 2


def test_a_zero_one_error_gets_fishers_exact_test_one_sided():
    errors = np.array([1.0] * 8 + [0.0] * 12 + [1.0] * 5 + [0.0] * 35)
    result = search(errors, [Condition("s", "= in", np.arange(20))], min_items=5)
    table = [[8, 12], [5, 35]]
    fisher = stats.fisher_exact(table, alternative="greater")[1]
    assert result.slices[0].p_value == pytest.approx(fisher, rel=1e-9)


def test_benjamini_hochberg_matches_the_step_up_rule():
    rng = np.random.default_rng(3)
    p = rng.random(50) ** 3
    adjusted = benjamini_hochberg(p)
    m = len(p)
    for alpha in (0.01, 0.05, 0.2):
        ranked = np.sort(p)
        passing = np.flatnonzero(ranked <= alpha * np.arange(1, m + 1) / m)
        expected = set(np.flatnonzero(p <= ranked[passing[-1]])) if len(passing) else set()
        assert set(np.flatnonzero(adjusted <= alpha)) == expected
