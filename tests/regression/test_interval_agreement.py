"""Agreement of numeric panels: ICC against Shrout & Fleiss (1979) and a least-squares reimplementation,
Krippendorff's interval alpha against the coincidence-matrix definition, and the invariances both owe.

Shrout & Fleiss (1979), Table 2: six targets rated by four judges,

    target   J1  J2  J3  J4
    1         9   2   5   8
    2         6   1   3   2
    3         8   4   6   8
    4         7   1   2   6
    5        10   5   6   9
    6         6   2   4   7

with published ICC(1,1) = .17, ICC(2,1) = .29, ICC(3,1) = .71.
"""

from __future__ import annotations

import contextlib
import doctest
import itertools
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import evalkit.tasks.regression.agreement as agreement_module
from evalkit.errors import DataError
from evalkit.tasks.regression.agreement import (
    icc_from_table,
    interval_agreement,
    interval_agreement_by_column,
)

SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
                          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)


def long_format(table: np.ndarray, raters: list[str] | None = None) -> tuple[np.ndarray, ...]:
    """(items, annotators, values) with one row per cell; NaN cells are left out (not measured)."""
    n, k = table.shape
    raters = raters or [f"j{j}" for j in range(k)]
    rows = [(i, raters[j], table[i, j]) for i in range(n) for j in range(k) if not np.isnan(table[i, j])]
    items, who, values = zip(*rows, strict=True)
    return np.array(items), np.array(who), np.array(values, dtype=float)


# --------------------------------------------------------------------------------------------------
# second implementations, written from the definitions and sharing no code with the module


def _rss(design: np.ndarray, y: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.sum((y - design @ coef) ** 2))


def icc_by_variance_components(table: np.ndarray) -> dict[str, float]:
    """ICCs as ratios of variance components, the sums of squares read off least-squares model fits."""
    n, k = table.shape
    y = table.ravel()
    item_dummies = np.kron(np.eye(n), np.ones((k, 1)))
    rater_dummies = np.kron(np.ones((n, 1)), np.eye(k))
    ones = np.ones((n * k, 1))
    rss_mean = _rss(ones, y)
    rss_items = _rss(item_dummies, y)
    rss_raters = _rss(rater_dummies, y)
    rss_both = _rss(np.hstack([item_dummies, rater_dummies]), y)
    ms_items = (rss_mean - rss_items) / (n - 1)
    ms_raters = (rss_mean - rss_raters) / (k - 1)
    ms_error = rss_both / ((n - 1) * (k - 1))
    ms_within = rss_items / (n * (k - 1))
    var_items = (ms_items - ms_error) / k  # expected mean squares of the two-way model
    var_raters = (ms_raters - ms_error) / n
    return {
        "icc_1_1": ((ms_items - ms_within) / k) / ((ms_items - ms_within) / k + ms_within),
        "icc_2_1": var_items / (var_items + var_raters + ms_error),
        "icc_3_1": var_items / (var_items + ms_error),
    }


def alpha_by_coincidences(units: list[list[float]]) -> float:
    """Krippendorff's alpha, interval metric, from the coincidence matrix of pairable values.

    Each unit with m >= 2 values adds 1/(m-1) to o[c, k] for every ordered pair of its values;
    D_o = sum o[c,k] (c-k)^2 / n and D_e = sum n_c n_k (c-k)^2 / (n (n-1)), alpha = 1 - D_o / D_e.
    """
    units = [u for u in units if len(u) >= 2]
    domain = sorted({v for u in units for v in u})
    index = {v: i for i, v in enumerate(domain)}
    o = np.zeros((len(domain), len(domain)))
    for u in units:
        for a, b in itertools.permutations(range(len(u)), 2):
            o[index[u[a]], index[u[b]]] += 1.0 / (len(u) - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    delta2 = (np.array(domain)[:, None] - np.array(domain)[None, :]) ** 2
    d_o = float(np.sum(o * delta2)) / n
    d_e = float(np.sum(np.outer(n_c, n_c) * delta2)) / (n * (n - 1))
    return 1.0 - d_o / d_e


def units_of(table: np.ndarray) -> list[list[float]]:
    return [[float(v) for v in row if not np.isnan(v)] for row in table]


# --------------------------------------------------------------------------------------------------
# ICC


def test_icc_reproduces_shrout_and_fleiss_table_2_to_the_published_two_decimals():
    iccs = icc_from_table(SHROUT_FLEISS)
    assert round(iccs["icc_1_1"], 2) == 0.17
    assert round(iccs["icc_2_1"], 2) == 0.29
    assert round(iccs["icc_3_1"], 2) == 0.71


def test_icc_equals_the_variance_components_of_a_least_squares_fit_on_shrout_and_fleiss():
    assert icc_from_table(SHROUT_FLEISS) == pytest.approx(icc_by_variance_components(SHROUT_FLEISS),
                                                          rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 12), st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_icc_equals_the_variance_components_on_random_tables(n, k, seed):
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(n, 1)) * rng.uniform(0, 3) + rng.normal(size=(1, k)) + rng.normal(size=(n, k))
    assert icc_from_table(table) == pytest.approx(icc_by_variance_components(table), rel=1e-9, abs=1e-12)


def test_interval_agreement_reports_both_iccs_from_long_format_data():
    result = interval_agreement(*long_format(SHROUT_FLEISS))
    assert result["icc_2_1"]["value"] == pytest.approx(icc_from_table(SHROUT_FLEISS)["icc_2_1"])
    assert result["icc_3_1"]["value"] == pytest.approx(icc_from_table(SHROUT_FLEISS)["icc_3_1"])
    assert result["icc_2_1"] | {"value": None} == {
        "value": None, "form": agreement_module.ICC_FORMS["icc_2_1"], "items": 6, "items_left_out": 0,
        "annotators": 4}


def test_a_biased_annotator_lowers_absolute_agreement_but_not_consistency():
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 10, 50)
    table = np.column_stack([truth + rng.normal(0, 1, 50), truth + rng.normal(0, 1, 50) + 8.0])
    result = interval_agreement(*long_format(table))
    assert result["icc_3_1"]["value"] > 0.95
    assert result["icc_2_1"]["value"] < result["icc_3_1"]["value"] - 0.1


def test_icc_uses_only_items_rated_by_every_annotator_and_says_how_many_were_left_out():
    table = SHROUT_FLEISS.copy()
    extra = np.array([[3.0, np.nan, 4.0, 5.0], [np.nan, np.nan, 1.0, np.nan]])
    result = interval_agreement(*long_format(np.vstack([table, extra])))
    for name in ("icc_2_1", "icc_3_1"):
        assert result[name]["value"] == pytest.approx(icc_from_table(table)[name])
        assert (result[name]["items"], result[name]["items_left_out"]) == (6, 2)
        assert "6 of 8 items" in result[name]["note"]


def test_nan_values_are_missing_measurements():
    table = np.vstack([SHROUT_FLEISS, [[1.0, np.nan, 2.0, 3.0]]])
    items, who, values = long_format(np.vstack([SHROUT_FLEISS, [[1.0, 0.0, 2.0, 3.0]]]))
    values[-3] = np.nan  # item 6, judge j1
    assert interval_agreement(items, who, values) == interval_agreement(*long_format(table))


@pytest.mark.parametrize(("table", "note"), [
    (SHROUT_FLEISS[:, :1], "needs at least two annotators"),
    (SHROUT_FLEISS[:1], "needs at least two items rated by all 4 annotators, found 1"),
    (np.full((5, 3), 2.5), "undefined: every value is the same"),
])
def test_icc_is_nan_with_a_reason_when_not_computable(table, note):
    result = interval_agreement(*long_format(table))
    assert np.isnan(result["icc_2_1"]["value"])
    assert result["icc_2_1"]["note"] == note


def test_consistency_is_undefined_when_annotators_differ_only_by_a_constant_and_items_not_at_all():
    table = np.tile([1.0, 3.0, 4.0], (5, 1))  # every item gets the same three values
    result = interval_agreement(*long_format(table))
    assert np.isnan(result["icc_3_1"]["value"])
    assert result["icc_3_1"]["note"].startswith("undefined")
    assert result["icc_2_1"]["value"] == pytest.approx(0.0)  # ms_items = ms_error = 0: no agreement


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha (interval)


def test_alpha_equals_the_coincidence_matrix_definition_on_shrout_and_fleiss():
    result = interval_agreement(*long_format(SHROUT_FLEISS))["krippendorff_alpha"]
    assert result["value"] == pytest.approx(alpha_by_coincidences(units_of(SHROUT_FLEISS)), rel=1e-12)
    assert (result["items"], result["level"], result["computed_by"]) == (6, "interval", "krippendorff")


def test_alpha_uses_every_item_with_two_values_and_skips_single_values():
    table = np.array([[1.0, 1.5, np.nan], [3.0, np.nan, 2.0], [np.nan, 5.0, 6.0], [7.0, 8.0, 7.5],
                      [9.0, np.nan, np.nan]])  # the last item has one value: not pairable
    result = interval_agreement(*long_format(table))["krippendorff_alpha"]
    assert result["value"] == pytest.approx(alpha_by_coincidences(units_of(table)), rel=1e-12)
    assert result["items"] == 4


@contextlib.contextmanager
def package_budget(cells: int) -> Iterator[None]:
    """Route alpha through the krippendorff package (large budget) or the sums of squares (budget 0)."""
    saved = agreement_module.PACKAGE_CELL_BUDGET
    agreement_module.PACKAGE_CELL_BUDGET = cells
    try:
        yield
    finally:
        agreement_module.PACKAGE_CELL_BUDGET = saved


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 10), st.integers(2, 4), st.floats(0.0, 0.5), st.integers(0, 2**32 - 1),
       st.sampled_from([(10**9, "krippendorff"), (0, "sums of squares")]))
def test_alpha_equals_the_coincidence_definition_with_missing_values(n, k, missing, seed, route):
    rng = np.random.default_rng(seed)
    table = np.round(rng.normal(size=(n, 1)) * 2 + rng.normal(size=(n, k)), 1)
    table[rng.random((n, k)) < missing] = np.nan
    assume(not np.isnan(table).all())
    units = [u for u in units_of(table) if len(u) >= 2]
    with package_budget(route[0]):
        result = interval_agreement(*long_format(table))["krippendorff_alpha"]
    if not units or len({v for u in units for v in u}) < 2:
        assert np.isnan(result["value"])
        return
    assert result["value"] == pytest.approx(alpha_by_coincidences(units), rel=1e-9, abs=1e-12)
    assert (result["items"], result["computed_by"]) == (len(units), route[1])


def test_large_panels_of_measured_values_use_the_sums_of_squares_and_agree_with_the_package():
    rng = np.random.default_rng(5)
    table = rng.normal(size=(150, 1)) * 3 + rng.normal(size=(150, 2))  # 300 distinct values
    table[:10, 1] = np.nan
    result = interval_agreement(*long_format(table))["krippendorff_alpha"]
    assert result["computed_by"] == "sums of squares"
    with package_budget(10**12):
        by_package = interval_agreement(*long_format(table))["krippendorff_alpha"]
    assert by_package["computed_by"] == "krippendorff"
    assert result["value"] == pytest.approx(by_package["value"], rel=1e-12)
    assert result["items"] == by_package["items"] == 140


def test_alpha_is_nan_with_a_reason_when_no_item_has_two_values():
    result = interval_agreement(np.array([1, 2]), np.array(["a", "b"]), np.array([1.0, 2.0]))
    assert np.isnan(result["krippendorff_alpha"]["value"])
    assert result["krippendorff_alpha"]["note"] == "no item has two or more values"


# --------------------------------------------------------------------------------------------------
# invariances

PANELS = st.tuples(st.integers(2, 8), st.integers(2, 4), st.integers(0, 2**32 - 1))


def random_panel(n: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Quarter units keep every sum exact, so shifted values stay exactly as distinct as before.
    return (rng.integers(-40, 40, size=(n, 1)) + rng.integers(-8, 8, size=(n, k))) / 4.0


def statistics(result: dict) -> list[float]:
    return [result[name]["value"] for name in ("icc_2_1", "icc_3_1", "krippendorff_alpha")]


@settings(max_examples=60, deadline=None)
@given(PANELS, st.integers(-1000, 1000))
def test_agreement_is_unchanged_by_adding_a_constant_to_every_value(panel, shift):
    items, who, values = long_format(random_panel(*panel))
    before, after = interval_agreement(items, who, values), interval_agreement(items, who, values + shift)
    assert statistics(after) == pytest.approx(statistics(before), rel=1e-9, abs=1e-9, nan_ok=True)


@settings(max_examples=60, deadline=None)
@given(PANELS, st.randoms(use_true_random=False))
def test_agreement_is_unchanged_by_relabelling_annotators_and_reordering_rows(panel, shuffler):
    table = random_panel(*panel)
    names = [f"r{j}" for j in range(table.shape[1])]
    renamed = names[:]
    shuffler.shuffle(renamed)
    items, who, values = long_format(table, names)
    items2, who2, values2 = long_format(table, [f"x{name}" for name in renamed])
    order = list(range(len(items2)))
    shuffler.shuffle(order)
    before = interval_agreement(items, who, values)
    after = interval_agreement(items2[order], who2[order], values2[order])
    assert statistics(after) == pytest.approx(statistics(before), rel=1e-9, abs=1e-12, nan_ok=True)


# --------------------------------------------------------------------------------------------------
# several targets, and bad input


def test_by_column_gives_each_target_its_own_agreement():
    items, who, x = long_format(SHROUT_FLEISS)
    y = x * 0.01 + (who == "j0") * 5.0  # j0 is far off on y only
    result = interval_agreement_by_column(items, who, {"x": x, "y": y})
    assert list(result) == ["x", "y"]
    assert result["x"] == interval_agreement(items, who, x)
    assert result["y"]["icc_2_1"]["value"] < 0.1 < result["x"]["icc_2_1"]["value"]


def test_two_values_from_one_annotator_for_one_item_are_rejected():
    with pytest.raises(DataError, match=r"annotator 'a' gave item 1 more than one value \(1 \(item, annot"):
        interval_agreement(np.array([1, 1, 2, 2, 1]), np.array(["a", "b", "a", "b", "a"]),
                           np.array([1.0, 2.0, 3.0, 4.0, 1.5]))


def test_infinite_or_non_numeric_values_are_rejected_with_the_fix():
    items, who = np.array([1, 1]), np.array(["a", "b"])
    with pytest.raises(DataError, match="infinite number"):
        interval_agreement(items, who, np.array([1.0, np.inf]))
    with pytest.raises(DataError, match="not numeric"):
        interval_agreement(items, who, np.array(["1.0", "left"], dtype=object))
    with pytest.raises(DataError, match="differ in length"):
        interval_agreement(items, who, np.array([1.0]))


def test_the_module_examples_hold():
    assert doctest.testmod(agreement_module).failed == 0
