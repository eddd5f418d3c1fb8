"""Resamples: deterministic for a seed, independent of blocking, same in weight and index form."""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pytest
from scipy.stats import binom, chisquare, multinomial, poisson

from evalkit.errors import ConfigError
from evalkit.uncertainty import Resampler
from evalkit.uncertainty.resampling import (
    _BY_TOP16,
    _THRESHOLDS,
    _block_sums,
    _items_of_balls,
    multinomial_weights,
    poisson_weights,
    strata_of,
)


def all_weights(rs: Resampler, compact: bool = False) -> np.ndarray:
    return np.concatenate([w for _, w in rs.blocks(compact=compact)])


@pytest.mark.parametrize("method", ["multinomial", "poisson"])
def test_same_seed_same_resamples_other_seed_other(method):
    a = all_weights(Resampler(50, 20, seed=123, method=method))
    b = all_weights(Resampler(50, 20, seed=123, method=method))
    c = all_weights(Resampler(50, 20, seed=124, method=method))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("method", ["multinomial", "poisson"])
def test_resample_r_does_not_depend_on_block_size(method):
    reference = all_weights(Resampler(30, 25, seed=5, method=method, block_size=25))
    for block_size in (1, 4, 7):
        rs = Resampler(30, 25, seed=5, method=method, block_size=block_size)
        starts = [start for start, _ in rs.blocks()]
        assert starts == list(range(0, 25, block_size))
        np.testing.assert_array_equal(all_weights(rs), reference)


@pytest.mark.parametrize("method", ["multinomial", "poisson"])
def test_index_form_counts_to_weight_form(method):
    rs = Resampler(40, 10, seed=9, method=method, block_size=3)
    blocks = all_weights(rs)
    for r in range(10):
        np.testing.assert_array_equal(np.bincount(rs.indices(r), minlength=40), rs.weights(r))
        np.testing.assert_array_equal(rs.weights(r), blocks[r])


def test_multinomial_is_n_draws_and_compact_blocks_are_uint8():
    rs = Resampler(1000, 12, seed=0)
    w = all_weights(rs, compact=True)
    assert w.dtype == np.uint8
    assert (w.sum(axis=1, dtype=np.int64) == 1000).all()
    np.testing.assert_array_equal(w, all_weights(rs))
    assert all_weights(rs).dtype == np.int32


def test_compact_block_widens_instead_of_wrapping(monkeypatch):
    rs = Resampler(3, 2, seed=0)
    monkeypatch.setattr(
        Resampler, "_counts", lambda self, r: np.array([300, 0, 1]) if r else np.array([1, 1, 1])
    )
    w = all_weights(rs, compact=True)
    assert w.dtype == np.int32
    np.testing.assert_array_equal(w, [[1, 1, 1], [300, 0, 1]])


def test_default_block_bounds_memory():
    rs = Resampler(1_000_000, 1000, seed=0)
    assert rs.rows_per_block * rs.n_items <= 2**23


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_items": 0}, "n_items=0"),
        ({"resamples": 0}, "resamples=0"),
        ({"seed": -1}, "seed=-1"),
        ({"method": "jackknife"}, "method='jackknife'"),
        ({"block_size": 0}, "block_size=0"),
    ],
)
def test_invalid_settings_are_config_errors(kwargs, match):
    args = {"n_items": 10, "resamples": 5, "seed": 0} | kwargs
    with pytest.raises(ConfigError, match=match):
        Resampler(**args)


def test_resample_out_of_range():
    with pytest.raises(IndexError, match="out of range"):
        Resampler(5, 3, seed=0).weights(3)


def test_poisson_thresholds_are_the_cdf_in_units_of_2_pow_64():
    cdf = [sum(math.exp(-1) / math.factorial(j) for j in range(k + 1)) for k in range(12)]
    np.testing.assert_allclose(_THRESHOLDS[:12].astype(float) / 2.0**64, cdf, rtol=1e-15)
    assert int(_THRESHOLDS[-1]) == 2**64 - 1 and np.all(np.diff(_THRESHOLDS.astype(object)) >= 0)


def test_top16_table_settles_a_bin_only_when_no_threshold_falls_inside():
    low = np.arange(2**16, dtype=np.uint64) << np.uint64(48)
    high = low | np.uint64(2**48 - 1)
    at_low = np.searchsorted(_THRESHOLDS, low, side="right")
    at_high = np.searchsorted(_THRESHOLDS, high, side="right")
    settled = _BY_TOP16 != 255
    np.testing.assert_array_equal(_BY_TOP16[settled], at_low[settled])
    np.testing.assert_array_equal(at_low[settled], at_high[settled])
    assert 0 < (~settled).sum() < 30


def test_poisson_weights_follow_poisson_1():
    w = poisson_weights(np.random.default_rng(2024), 2_000_000)
    observed = np.bincount(w, minlength=8)[:8]
    observed[7] += (w >= 8).sum()
    expected = poisson.pmf(np.arange(8), 1.0)
    expected[7] = poisson.sf(6, 1.0)
    assert chisquare(observed, expected * w.size).pvalue > 1e-4


def test_multinomial_weights_follow_the_multinomial_for_three_items():
    # Three items: Poissonization needs large corrections (S ~ Poisson(3)), the hardest case.
    rs = Resampler(3, 6_000, seed=99)
    w = all_weights(rs)
    assert (w.sum(axis=1) == 3).all()
    outcomes = [c for c in product(range(4), repeat=3) if sum(c) == 3]
    observed = np.array([np.all(w == c, axis=1).sum() for c in outcomes])
    expected = np.array([multinomial.pmf(c, 3, [1 / 3] * 3) for c in outcomes]) * w.shape[0]
    assert chisquare(observed, expected).pvalue > 1e-4


def test_multinomial_weights_have_binomial_marginals():
    n = 1000  # several blocks of balls, removal and addition both exercised
    w = all_weights(Resampler(n, 300, seed=5))
    assert (w.sum(axis=1) == n).all()
    observed = np.bincount(w.ravel(), minlength=6)[:6]
    observed[5] += (w >= 6).sum()
    expected = binom.pmf(np.arange(6), n, 1 / n)
    expected[5] = binom.sf(4, n, 1 / n)
    assert chisquare(observed, expected * w.size).pvalue > 1e-4


@pytest.mark.parametrize("n", [1, 7, 127, 128, 129, 5000])
def test_items_of_balls_equals_searchsorted_on_the_cumulative_sum(n):
    rng = np.random.default_rng(n)
    for _ in range(10):
        w = poisson_weights(rng, n)
        total = int(w.sum())
        if total == 0:
            continue
        ranks = rng.choice(total, size=min(total, 40), replace=False)
        expected = np.searchsorted(np.cumsum(w), ranks, side="right")
        np.testing.assert_array_equal(_items_of_balls(w, _block_sums(w), ranks), expected)


def test_multinomial_total_is_exact_for_any_size():
    rng = np.random.default_rng(1)
    for n in (1, 2, 50, 129, 10_001):
        assert int(multinomial_weights(rng, n).sum()) == n


@pytest.mark.parametrize("method", ["multinomial", "poisson"])
def test_stratified_resamples_keep_every_class_count_and_stay_close_to_the_plain_ones(method):
    y = np.array([1] * 3 + [0] * 40 + [2] * 17)
    strata = strata_of(y)
    rs = Resampler(60, 300, seed=4, method=method, block_size=7)
    plain = all_weights(rs)
    stratified = np.concatenate([rs.stratify(start, block, strata)
                                 for start, block in rs.blocks(compact=True)])
    for items in strata:
        assert (stratified[:, items].sum(axis=1) == items.size).all()
    # Row r is resample r made stratified, whatever the blocking, in weight and index form.
    for r in (0, 123, 299):
        np.testing.assert_array_equal(rs.stratified_weights(r, strata), stratified[r])
        indices = rs.stratified_indices(r, strata)
        np.testing.assert_array_equal(np.bincount(indices, minlength=60), stratified[r])
    # Only the draws needed to fix the class totals move, so both forms of resample r stay paired.
    moved = np.abs(stratified.astype(int) - plain).sum(axis=1)
    needed = sum(np.abs(plain[:, items].sum(axis=1) - items.size) for items in strata)
    np.testing.assert_array_equal(moved, needed)


def test_stratified_weights_are_multinomial_within_each_class():
    # Three items in a class of their own: their counts must follow Multinomial(3, 1/3 each).
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 1])
    strata = strata_of(y)
    rs = Resampler(10, 6_000, seed=8)
    w = np.concatenate([rs.stratify(start, block, strata) for start, block in rs.blocks()])[:, :3]
    outcomes = [c for c in product(range(4), repeat=3) if sum(c) == 3]
    observed = np.array([np.all(w == c, axis=1).sum() for c in outcomes])
    expected = np.array([multinomial.pmf(c, 3, [1 / 3] * 3) for c in outcomes]) * w.shape[0]
    assert chisquare(observed, expected).pvalue > 1e-4
