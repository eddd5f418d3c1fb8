"""The weakest slices, found by an exact search over conjunctions of column conditions.

Every conjunction of up to ``max_conditions`` conditions on different columns (a categorical value, a
numeric quantile bin) with at least ``min_items`` items is tested: is the model's mean per-item error
on the slice higher than on the items outside it? Errors that are 0 or 1 (a wrong label) get Fisher's
exact test, one-sided (the hypergeometric tail); other errors (absolute error, a share of wrong labels)
Welch's t-test, one-sided. The p-values of all tested slices are adjusted together by
Benjamini-Hochberg, so the share of reported slices that are false discoveries is controlled at ``fdr``.

The search is a lattice walk with exact pruning: a conjunction is never larger than any of its parts,
so only conditions (and pairs) that have ``min_items`` items are extended; a conjunction with the same
items as one of its parts adds nothing and is skipped. Counts come from boolean matrix products, so a
level is one product, not a loop over slices. (SliceLine, Sagadeeva & Boehm 2021, searches the same
lattice with a score that mixes size and error; evalkit needs p-values that can be adjusted, so it
tests each slice instead of scoring it.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evalkit.slices.conditions import Condition


@dataclass(frozen=True)
class FoundSlice:
    """A searched slice: its conditions (indices into the searched conditions) and its test."""

    conditions: tuple[int, ...]
    n_items: int
    error: float
    rest_error: float
    p_value: float
    p_adjusted: float = 1.0


@dataclass(frozen=True)
class SearchResult:
    """Every tested slice (in search order), how many there were, and the test used."""

    slices: tuple[FoundSlice, ...]
    n_conditions: int
    test: str

    @property
    def n_searched(self) -> int:
        return len(self.slices)

    def discoveries(self, fdr: float) -> list[FoundSlice]:
        return [s for s in self.slices if s.p_adjusted <= fdr]

    def top(self, k: int) -> list[FoundSlice]:
        """The ``k`` weakest: smallest adjusted p-value, then the largest excess error, then the largest."""
        ordered = sorted(self.slices, key=lambda s: (s.p_adjusted, s.p_value, -(s.error - s.rest_error),
                                                     -s.n_items, s.conditions))
        return ordered[:k]


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (monotone, capped at 1), in the input order.

    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03])).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def _p_values(size: np.ndarray, total: np.ndarray, squares: np.ndarray, n: int, all_total: float,
              all_squares: float, binary: bool) -> np.ndarray:
    """One-sided p-values: the slice's mean error is above the rest's."""
    from scipy import stats

    if binary:
        # P(at least this many errors in the slice) when the errors fall on the items at random.
        return np.clip(stats.hypergeom.sf(np.rint(total) - 1, n, round(all_total), size), 0.0, 1.0)
    rest = n - size
    mean_in, mean_out = total / size, (all_total - total) / rest
    var_in = np.maximum(squares - size * mean_in**2, 0.0) / np.maximum(size - 1, 1)
    var_out = np.maximum((all_squares - squares) - rest * mean_out**2, 0.0) / np.maximum(rest - 1, 1)
    se2_in, se2_out = var_in / size, var_out / rest
    se = np.sqrt(se2_in + se2_out)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (mean_in - mean_out) / se
        dof = (se2_in + se2_out) ** 2 / (se2_in**2 / np.maximum(size - 1, 1)
                                         + se2_out**2 / np.maximum(rest - 1, 1))
    p = stats.t.sf(t, dof)
    # No spread on either side: a higher mean is certain, an equal or lower one is no evidence.
    flat = ~np.isfinite(p)
    p[flat] = np.where(mean_in[flat] > mean_out[flat], 0.0, 1.0)
    return p


def search(errors: np.ndarray, conditions: Sequence[Condition], *, min_items: int,
           max_conditions: int = 2) -> SearchResult:
    """Test every conjunction of up to ``max_conditions`` conditions on different columns that has at
    least ``min_items`` items and leaves at least one item outside.

    >>> import numpy as np
    >>> from evalkit.slices.conditions import Condition
    >>> errs = np.array([1.0] * 10 + [0.0] * 30)
    >>> conds = [Condition("a", "= x", np.arange(10)), Condition("a", "= y", np.arange(10, 40))]
    >>> search(errs, conds, min_items=5).n_searched
    2
    """
    errors = np.asarray(errors, dtype=np.float64)
    n = len(errors)
    binary = bool(np.isin(errors, (0.0, 1.0)).all())
    columns = np.array([c.column for c in conditions], dtype=object)
    member = np.zeros((n, len(conditions)), dtype=bool)
    for j, condition in enumerate(conditions):
        member[condition.items, j] = True
    sizes = member.sum(axis=0)
    all_total, all_squares = float(errors.sum()), float((errors**2).sum())
    found: list[tuple[tuple[int, ...], int, float, float]] = []

    def keep(sets: np.ndarray, combos: list[tuple[int, ...]]) -> tuple[np.ndarray, list[tuple[int, ...]]]:
        size = sets.sum(axis=0)
        ok = (size >= min_items) & (size < n)
        totals, squares = errors @ sets, (errors**2) @ sets
        for j in np.flatnonzero(ok):
            found.append((combos[j], int(size[j]), float(totals[j]), float(squares[j])))
        return sets[:, ok], [combos[j] for j in np.flatnonzero(ok)]

    level_sets, level = keep(member, [(j,) for j in range(len(conditions))])
    for _ in range(1, max_conditions):
        if not level:
            break
        # Extend each surviving conjunction by a later condition on another column.
        counts = level_sets.T.astype(np.int64) @ member.astype(np.int64)
        parent_sizes = level_sets.sum(axis=0)
        new_sets, new_combos = [], []
        for i, combo in enumerate(level):
            used = set(columns[list(combo)])
            for j in np.flatnonzero(counts[i] >= min_items):
                if j <= combo[-1] or columns[j] in used:
                    continue
                size = counts[i, j]
                if size == parent_sizes[i] or size == sizes[j]:
                    continue  # the same items as a part: nothing new
                new_sets.append(level_sets[:, i] & member[:, j])
                new_combos.append((*combo, int(j)))
        if not new_combos:
            break
        level_sets, level = keep(np.column_stack(new_sets), new_combos)
    if not found:
        return SearchResult((), len(conditions), "Fisher exact" if binary else "Welch t")
    combos, size, total, squares = zip(*found, strict=True)
    size_a, total_a, squares_a = np.array(size, dtype=np.float64), np.array(total), np.array(squares)
    p = _p_values(size_a, total_a, squares_a, n, all_total, all_squares, binary)
    adjusted = benjamini_hochberg(p)
    rest = n - size_a
    slices = tuple(FoundSlice(combo, int(s), float(t / s), float((all_total - t) / r), float(pv), float(pa))
                   for combo, s, t, r, pv, pa in zip(combos, size_a, total_a, rest, p, adjusted, strict=True))
    return SearchResult(slices, len(conditions),
                        "Fisher exact, one-sided" if binary else "Welch t, one-sided")
