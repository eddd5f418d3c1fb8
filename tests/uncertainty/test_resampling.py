"""Resamples: deterministic for a seed, independent of blocking, same in weight and index form."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.errors import ConfigError
from evalkit.uncertainty import Resampler


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
    assert w.dtype == np.uint16
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
