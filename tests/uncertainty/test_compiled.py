"""The compiled bootstrap loops (numba, the ``fast`` extra) give exactly the NumPy code's integers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.tasks.classification.bootstrap import bootstrap_entries
from evalkit.tasks.classification.confusion import confusion_matrices
from evalkit.tasks.classification.item_groups import item_groups
from evalkit.tasks.classification.ranking import _cumulative, ranking_plan
from evalkit.uncertainty import compiled
from evalkit.uncertainty.resampling import _BY_TOP16, _UNDECIDED, Resampler, strata_of

pytest.importorskip("numba")
from evalkit.uncertainty import numba_kernels as kernels


@pytest.fixture
def compiled_from_one_item(monkeypatch):
    """Use the compiled loops for any size (they start at a few hundred thousand items otherwise)."""
    monkeypatch.setattr(compiled, "COMPILED_MIN_ITEMS", 1)
    monkeypatch.delenv("EVALKIT_COMPILED", raising=False)


def test_kernels_are_used_only_when_large_and_not_switched_off(monkeypatch):
    monkeypatch.delenv("EVALKIT_COMPILED", raising=False)
    assert compiled.kernels(compiled.COMPILED_MIN_ITEMS) is kernels
    assert compiled.kernels(compiled.COMPILED_MIN_ITEMS - 1) is None
    monkeypatch.setenv("EVALKIT_COMPILED", "0")
    assert compiled.kernels(10**7) is None


def test_without_numba_the_numpy_code_runs(monkeypatch):
    import sys

    monkeypatch.delenv("EVALKIT_COMPILED", raising=False)
    monkeypatch.setitem(sys.modules, "numba", None)  # what a plain install without the extra sees
    monkeypatch.delitem(sys.modules, "evalkit.uncertainty.numba_kernels")
    monkeypatch.delattr(sys.modules["evalkit.uncertainty"], "numba_kernels")
    compiled._load.cache_clear()
    try:
        assert compiled.kernels(10**7) is None
    finally:
        compiled._load.cache_clear()


def test_table_lookup_equals_take_and_finds_every_undecided_item():
    top16 = np.random.default_rng(0).integers(0, 2**16, 100_003).astype(np.uint16)
    top16[:3] = np.flatnonzero(_BY_TOP16 == _UNDECIDED)[:3]  # certainly some undecided items
    weights, undecided = kernels.table_lookup(top16, _BY_TOP16, _UNDECIDED)
    np.testing.assert_array_equal(weights, np.take(_BY_TOP16, top16))
    np.testing.assert_array_equal(undecided, np.flatnonzero(weights == _UNDECIDED))


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.integers(0, 6), min_size=1, max_size=300),
    codes_seed=st.integers(0, 2**32 - 1),
    share=st.floats(0.0, 1.0),
)
def test_located_balls_equal_a_cumulative_sum_search(weights, codes_seed, share):
    w = np.array(weights, dtype=np.uint8)
    rng = np.random.default_rng(codes_seed)
    assert kernels.total(w) == int(w.sum())
    if w.sum():
        ranks = rng.choice(int(w.sum()), size=max(1, int(share * w.sum())), replace=False)
        np.testing.assert_array_equal(kernels.items_of_balls(w, ranks),
                                      np.searchsorted(np.cumsum(w), ranks, side="right"))
    codes = rng.integers(0, 3, w.size).astype(np.int32)
    chunk_sums = kernels.class_chunk_sums(w[None, :], codes, 3)[0]
    for code in range(3):
        items = np.flatnonzero(codes == code)
        assert chunk_sums[code].sum() == int(w[items].sum())
        total = int(w[items].sum())
        if total:
            ranks = rng.choice(total, size=max(1, int(share * total)), replace=False)
            expected = items[np.searchsorted(np.cumsum(w[items]), ranks, side="right")]
            found = kernels.balls_of_class(w, codes, code, chunk_sums[code], ranks)
            np.testing.assert_array_equal(found, expected)


def test_group_sums_equal_the_reduceat_of_the_grouped_items():
    rng = np.random.default_rng(1)
    of_item = rng.integers(0, 37, 5_000)
    block = rng.poisson(1.0, (3, 5_000)).astype(np.uint8)
    expected = np.stack([np.bincount(of_item, weights=row, minlength=37) for row in block]).astype(np.int32)
    np.testing.assert_array_equal(kernels.group_sums(block, of_item, 37), expected)
    wide = block.astype(np.int32) * 1000  # mapped entries' blocks are int32
    np.testing.assert_array_equal(kernels.group_sums(wide, of_item, 37), expected * 1000)


def test_ranked_counts_equal_the_gathers_cumulative_sums_and_bincount_they_replace():
    rng = np.random.default_rng(4)
    n = 5_000
    positive = rng.random(n) < 0.3
    scores = rng.random(n)
    plan = ranking_plan(positive, scores)
    cells = 2 * positive + (scores > 0.5)
    for block in (rng.poisson(1.0, (3, n)).astype(np.uint8), rng.poisson(1.0, (2, n)).astype(np.int32) * 300):
        wp, wn, tp0, fp0, counts = kernels.ranked_counts(
            block, plan.pos_order, plan.neg_order, cells[plan.pos_order], cells[plan.neg_order], 4)
        expected_wp = np.take(block, plan.pos_order, axis=1)
        expected_wn = np.take(block, plan.neg_order, axis=1)
        for got, expected in ((wp, expected_wp), (wn, expected_wn), (tp0, _cumulative(expected_wp)),
                              (fp0, _cumulative(expected_wn)),
                              (counts, confusion_matrices(cells, 2, block).reshape(len(block), 4))):
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)


def draws(method: str, n: int, y: np.ndarray):
    resampler = Resampler(n_items=n, resamples=11, seed=5, method=method, block_size=4)
    return [(block.copy(), changes) for _, block, changes in
            resampler.stratified_blocks(strata_of(y), compact=True)]


@pytest.mark.parametrize("method", ["multinomial", "poisson"])
def test_resamples_and_their_stratified_form_are_the_same_compiled_or_not(method, monkeypatch,
                                                                           compiled_from_one_item):
    n = 2_345  # not a multiple of the chunk, three classes of unequal size
    y = np.random.default_rng(2).choice(3, n, p=[0.6, 0.3, 0.1])
    fast = draws(method, n, y)
    monkeypatch.setenv("EVALKIT_COMPILED", "0")
    reference = draws(method, n, y)
    assert len(fast) == len(reference) == 3
    for (block, changes), (expected_block, expected_changes) in zip(fast, reference, strict=True):
        np.testing.assert_array_equal(block, expected_block)
        assert changes is not None and changes[0].size > 0  # the correction did something
        for got, expected in zip(changes, expected_changes, strict=True):
            np.testing.assert_array_equal(got, expected)


def test_bootstrap_values_are_identical_compiled_or_not(monkeypatch, compiled_from_one_item):
    rng = np.random.default_rng(3)
    n = 3_000
    y = rng.integers(0, 2, n)
    scores = np.round(np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.25, n), 0, 1), 2)
    coarse = np.round(scores, 1)
    entries = {"tied": ((scores >= 0.5).astype(int), scores), "coarse": ((coarse >= 0.6).astype(int), coarse)}
    assert item_groups([y, scores]) is not None  # the grouped path is exercised
    names = ["accuracy", "roc_auc", "average_precision"]

    def run():
        return bootstrap_entries("binary", names, y, entries, Resampler(n, 40, seed=9), progress=False)

    fast = run()
    monkeypatch.setenv("EVALKIT_COMPILED", "0")
    reference = run()
    for entry, values in reference.items():
        for name, expected in values.items():
            np.testing.assert_array_equal(fast[entry][name], expected, err_msg=f"{entry} {name}")


@pytest.mark.parametrize("names", [["accuracy", "f1", "roc_auc", "average_precision"],
                                   ["roc_auc", "average_precision"], ["average_precision", "log_loss"]])
def test_per_item_bootstrap_values_are_identical_compiled_or_not(names, monkeypatch, compiled_from_one_item):
    # Full-precision scores: every row distinct, nothing to merge, so each resample runs the per-item
    # pass (gathers, cumulative sums and confusion counts in one compiled loop when large).
    rng = np.random.default_rng(6)
    n = 4_000
    y = rng.integers(0, 2, n)
    scores = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.25, n), 0.001, 0.999)
    entries = {"model": ((scores >= 0.5).astype(int), scores)}
    assert item_groups([y, (scores >= 0.5).astype(int), scores]) is None

    def run():
        return bootstrap_entries("binary", names, y, entries, Resampler(n, 30, seed=2), progress=False)

    calls = []
    original = kernels.ranked_counts
    monkeypatch.setattr(kernels, "ranked_counts", lambda *args: calls.append(1) or original(*args))
    fast = run()
    assert calls  # the compiled pass ran
    monkeypatch.setenv("EVALKIT_COMPILED", "0")
    reference = run()
    for name, expected in reference["model"].items():
        assert np.isfinite(expected).all()
        np.testing.assert_array_equal(fast["model"][name], expected, err_msg=name)


def test_a_numba_that_fails_to_load_falls_back_with_one_line_saying_why(monkeypatch, capsys, tmp_path):
    import sys

    # benchmarks/ once held a coverage.py that shadowed the package numba imports: numba's own import
    # then died with an AttributeError, which is not an ImportError.
    (tmp_path / "numba").mkdir()
    (tmp_path / "numba" / "__init__.py").write_text(
        "raise AttributeError(\"module 'coverage' has no attribute 'types'\")\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("EVALKIT_COMPILED", raising=False)
    for name in [m for m in sys.modules if m == "numba" or m.startswith("numba.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(sys.modules, "evalkit.uncertainty.numba_kernels")
    monkeypatch.delattr(sys.modules["evalkit.uncertainty"], "numba_kernels")
    compiled._load.cache_clear()
    try:
        assert compiled.kernels(10**7) is None
    finally:
        compiled._load.cache_clear()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "numba could not be loaded" in err and "same results" in err
