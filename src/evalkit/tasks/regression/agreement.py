"""Agreement of annotators who give numbers (interval data): how far a panel's measurements agree.

The numeric counterpart of :mod:`evalkit.agreement` (labels). Three statistics:

- **ICC(2,1)**, two-way random effects, *absolute agreement*, single rater (Shrout & Fleiss 1979;
  McGraw & Wong 1996 call it ICC(A,1)). An annotator who is consistently 1 cm off lowers it: the
  number to quote when the panel's values are used as measurements.
- **ICC(3,1)**, two-way mixed, *consistency*, single rater (McGraw & Wong's ICC(C,1)): a constant
  offset per annotator does not count. The gap between the two says how much of the disagreement is
  bias rather than noise.
- **Krippendorff's alpha** at interval level, which allows missing values, so it uses every item
  with two or more values. Small panels go through the ``krippendorff`` package; its coincidence
  matrix is (distinct values)^2, which measured values make prohibitive (150 items x 2 annotators
  take ~1 s, 2000 x 3 would need 536 GiB), so larger ones use the exact sums-of-squares form of the
  same definition (``computed_by`` says which).

Both ICCs come from the two-way ANOVA mean squares of the complete (items x annotators) table, so
they use only the items that every annotator rated; the result says how many items that is and how
many were left out. ICC(1,1) (one-way random) is returned by :func:`icc_from_table` for reference.

Inputs are parallel arrays with one row per (item, annotator): item ids, annotator ids and a number.
A NaN value is a missing measurement (its row is dropped). Each statistic is a plain dict
for metrics.json: ``value`` (NaN when not computable, with a ``note`` saying why) and the facts needed
to read it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from evalkit.errors import DataError

ICC_FORMS = {
    "icc_1_1": "ICC(1,1): one-way random effects, absolute agreement, single rater",
    "icc_2_1": "ICC(2,1) = ICC(A,1): two-way random effects, absolute agreement, single rater",
    "icc_3_1": "ICC(3,1) = ICC(C,1): two-way mixed effects, consistency, single rater",
}


def icc_from_table(table: np.ndarray) -> dict[str, float]:
    """ICC(1,1), ICC(2,1) and ICC(3,1) of a complete (items x annotators) table, from the ANOVA mean squares.

    NaN where the denominator is zero (no variance at all) or the table has fewer than 2 rows or columns.

    >>> r = icc_from_table(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))  # rater 2 = rater 1 + 1
    >>> round(r["icc_3_1"], 6), round(r["icc_2_1"], 4)
    (1.0, 0.8889)
    """
    table = np.asarray(table, dtype=np.float64)
    n, k = table.shape
    nan = {name: float("nan") for name in ICC_FORMS}
    if n < 2 or k < 2:
        return nan
    grand = table.mean()
    item_means, rater_means = table.mean(axis=1), table.mean(axis=0)
    ss_items = k * float(np.sum((item_means - grand) ** 2))
    ss_raters = n * float(np.sum((rater_means - grand) ** 2))
    residual = table - item_means[:, None] - rater_means[None, :] + grand
    ss_error = float(np.sum(residual**2))
    ms_items = ss_items / (n - 1)
    ms_raters = ss_raters / (k - 1)
    ms_error = ss_error / ((n - 1) * (k - 1))
    ms_within = (ss_raters + ss_error) / (n * (k - 1))  # one-way model: raters' effects are noise
    return {
        "icc_1_1": _ratio(ms_items - ms_within, ms_items + (k - 1) * ms_within),
        "icc_2_1": _ratio(ms_items - ms_error,
                          ms_items + (k - 1) * ms_error + k * (ms_raters - ms_error) / n),
        "icc_3_1": _ratio(ms_items - ms_error, ms_items + (k - 1) * ms_error),
    }


def _ratio(numerator: float, denominator: float) -> float:
    # A zero denominator here means every value is equal (or equal within each item for ICC(3,1)):
    # agreement is then undefined, not perfect.
    if not denominator > 0 or not np.isfinite(denominator):
        return float("nan")
    return numerator / denominator


def interval_agreement(items: np.ndarray, annotators: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    """ICC(2,1), ICC(3,1) and Krippendorff's interval alpha of one numeric panel (long format).

    Returns ``{"icc_2_1": {...}, "icc_3_1": {...}, "krippendorff_alpha": {...}}``; each inner dict has
    ``value`` (NaN when not computable, then with a ``note``) and ``items`` (items used). The ICCs
    also give ``items_left_out`` (rated by only some annotators) and ``annotators``.

    >>> items = np.repeat([1, 2, 3], 2)
    >>> r = interval_agreement(items, np.array(["a", "b"] * 3), np.array([1.0, 1.1, 2.0, 2.0, 3.0, 3.2]))
    >>> round(r["icc_2_1"]["value"], 3), r["icc_2_1"]["items"], round(r["krippendorff_alpha"]["value"], 3)
    (0.992, 3, 0.99)
    """
    item_codes, rater_codes, values, n_items, rater_names = _codes(items, annotators, values)
    k = len(rater_names)
    iccs = _iccs(item_codes, rater_codes, values, n_items, k)
    return {**iccs, "krippendorff_alpha": _interval_alpha(item_codes, values, n_items)}


def interval_agreement_by_column(items: np.ndarray, annotators: np.ndarray,
                                 values: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """:func:`interval_agreement` for each target column (e.g. a pose's ``x``, ``y``, ``z``), keyed by name.

    >>> items, who = np.repeat([1, 2, 3], 2), np.array(["a", "b"] * 3)
    >>> r = interval_agreement_by_column(items, who, {"x": np.array([1.0, 1.1, 2.0, 2.0, 3.0, 3.2]),
    ...                                               "y": np.array([0.0, 0.0, 1.0, 1.0, 2.0, 2.0])})
    >>> list(r), r["y"]["icc_2_1"]["value"]
    (['x', 'y'], 1.0)
    """
    return {name: interval_agreement(items, annotators, column) for name, column in values.items()}


def _codes(items: np.ndarray, annotators: np.ndarray, values: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
    """Validated integer codes for items and annotators, and float values, with NaN rows dropped."""
    items, annotators = np.asarray(items), np.asarray(annotators)
    if not (len(items) == len(annotators) == len(values)):
        raise DataError(f"panel columns differ in length: {len(items)} items, {len(annotators)} annotators, "
                        f"{len(values)} values; give one row per (item, annotator)")
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError("panel values are not numeric: give one number per (item, annotator) row, "
                        "or leave it empty for a missing measurement") from None
    if np.isinf(values).any():
        raise DataError(f"panel values contain {int(np.isinf(values).sum())} infinite number(s): "
                        "give finite measurements, or leave them empty for missing")
    present = ~np.isnan(values)
    items, annotators, values = items[present], annotators[present], values[present]
    item_ids, item_codes = np.unique(items, return_inverse=True)
    rater_names, rater_codes = np.unique(annotators, return_inverse=True)
    pair = item_codes.astype(np.int64) * max(len(rater_names), 1) + rater_codes
    unique_pairs, counts = np.unique(pair, return_counts=True)
    if (counts > 1).any():
        first = int(unique_pairs[np.argmax(counts > 1)])
        item = item_ids[first // len(rater_names)].item()
        rater = rater_names[first % len(rater_names)].item()
        raise DataError(f"annotator {rater!r} gave item {item!r} more than one value "
                        f"({int((counts > 1).sum())} (item, annotator) pair(s) repeat): "
                        "keep one value per item and annotator")
    return item_codes, rater_codes, values, len(item_ids), rater_names


def _iccs(item_codes: np.ndarray, rater_codes: np.ndarray, values: np.ndarray, n_items: int,
          k: int) -> dict[str, dict[str, Any]]:
    table = np.full((n_items, k), np.nan)
    table[item_codes, rater_codes] = values
    complete = ~np.isnan(table).any(axis=1)
    n = int(complete.sum())
    facts = {"items": n, "items_left_out": n_items - n, "annotators": k}
    results = {name: {"value": float("nan"), "form": ICC_FORMS[name], **facts}
               for name in ("icc_2_1", "icc_3_1")}
    if k < 2 or n < 2:
        note = "needs at least two annotators" if k < 2 else \
            f"needs at least two items rated by all {k} annotators, found {n}"
        for result in results.values():
            result["note"] = note
        return results
    iccs = icc_from_table(table[complete])
    for name, result in results.items():
        result["value"] = iccs[name]
        if np.isnan(iccs[name]):
            result["note"] = ("undefined: every value is the same" if name == "icc_2_1" else
                              "undefined: no variance left once each annotator's mean is removed")
        elif n < n_items:
            result["note"] = (f"over the {n} of {n_items} items rated by all {k} annotators, as the "
                              "two-way ANOVA needs a complete table")
    return results


def _interval_alpha(item_codes: np.ndarray, values: np.ndarray, n_items: int) -> dict[str, Any]:
    per_item = np.bincount(item_codes, minlength=n_items)
    pairable = per_item[item_codes] >= 2
    n_pairable = int((per_item >= 2).sum())
    result: dict[str, Any] = {"value": float("nan"), "items": n_pairable, "level": "interval"}
    if n_pairable == 0:
        return result | {"note": "no item has two or more values"}
    domain, value_codes = np.unique(values[pairable], return_inverse=True)
    if len(domain) < 2:
        return result | {"note": "undefined: every value is the same"}
    _, row = np.unique(item_codes[pairable], return_inverse=True)
    if n_pairable * len(domain) ** 2 <= PACKAGE_CELL_BUDGET:
        value, result["computed_by"] = _alpha_by_package(row, value_codes, domain, n_pairable), "krippendorff"
    else:
        value, result["computed_by"] = _alpha_by_sums_of_squares(row, values[pairable]), "sums of squares"
    result["value"] = value
    if not np.isfinite(value):
        result["note"] = "undefined: no variance among the pairable values"
    return result


# The package builds (items x values x values) arrays: with measured (continuous) values nearly every
# value is distinct, so that is cubic in the panel's size (150 items x 2 annotators: ~1 s; 2000 x 3:
# 536 GiB). Above this many cells the exact closed form below is used instead; the tests hold the two
# equal to each other and to the coincidence-matrix definition.
PACKAGE_CELL_BUDGET = 2_000_000


def _alpha_by_package(row: np.ndarray, value_codes: np.ndarray, domain: np.ndarray, n_rows: int) -> float:
    import krippendorff

    # An (items x distinct values) count table rather than the package's (annotators x items) matrix,
    # which the package would expand to annotators x items x values booleans first.
    counts = np.zeros((n_rows, len(domain)), dtype=np.int64)
    np.add.at(counts, (row, value_codes), 1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        return float(krippendorff.alpha(value_counts=counts, value_domain=domain,
                                        level_of_measurement="interval"))


def _alpha_by_sums_of_squares(row: np.ndarray, values: np.ndarray) -> float:
    """Interval alpha in O(values): with squared differences, the coincidence sums reduce to sums of squares.

    Over all ordered pairs in a unit of m values, sum (v_i - v_j)^2 = 2 m SS_unit, so
    D_o = (1/n) sum_u 2 m_u SS_u / (m_u - 1) and D_e = 2 SS_total / (n - 1).
    """
    n = len(values)
    m = np.bincount(row).astype(np.float64)
    unit_mean = np.bincount(row, weights=values) / m
    ss_unit = np.bincount(row, weights=(values - unit_mean[row]) ** 2)
    ss_total = float(np.sum((values - values.mean()) ** 2))
    if not ss_total > 0:
        return float("nan")
    observed = float(np.sum(2.0 * m * ss_unit / (m - 1.0))) / n
    expected = 2.0 * ss_total / (n - 1)
    return 1.0 - observed / expected
