"""Compiled loops of the bootstrap at a million items: the same integers as the NumPy code, faster.

Imported only through :mod:`evalkit.uncertainty.compiled`, which checks that numba is installed and
that the work is large enough. Each kernel is a plain loop with exactly the result of a NumPy
expression named in its docstring (tests/uncertainty/test_compiled.py checks each against it); they
release the GIL, so the thread that draws resamples and the one that evaluates them run on two cores.
Compiled code is cached on disk (``cache=True``): the first run on a machine compiles for a few
seconds, later runs load it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTIONS = {"cache": True, "nogil": True, "boundscheck": False}
# Items per chunk when looking for balls: a chunk's sum is one vectorised loop without branches, and
# only the chunks that hold a wanted ball are scanned item by item.
_CHUNK = 64


@njit(**_OPTIONS)
def table_lookup(top16, table, undecided_mark):  # pragma: no cover - compiled
    """``np.take(table, top16)`` and ``np.flatnonzero(result == undecided_mark)``."""
    n = top16.shape[0]
    out = np.empty(n, dtype=np.uint8)
    undecided = np.empty(n, dtype=np.int64)
    count = 0
    for j in range(n):
        value = table[top16[j]]
        out[j] = value
        if value == undecided_mark:
            undecided[count] = j
            count += 1
    return out, undecided[:count].copy()


@njit(**_OPTIONS)
def total(weights):  # pragma: no cover - compiled
    """``weights.sum(dtype=np.int64)``."""
    out = 0
    for j in range(weights.shape[0]):
        out += np.int64(weights[j])
    return out


@njit(**_OPTIONS)
def items_of_balls(weights, ranks):  # pragma: no cover - compiled
    """``np.searchsorted(np.cumsum(weights), ranks, side="right")``: the item holding each ball.

    Balls are numbered item by item from 0; ``ranks`` are distinct and below the total.
    """
    order = np.argsort(ranks)
    wanted = ranks.shape[0]
    out = np.empty(wanted, dtype=np.int64)
    n = weights.shape[0]
    k = 0
    running = 0
    start = 0
    while start < n and k < wanted:
        stop = min(n, start + _CHUNK)
        part = 0
        for j in range(start, stop):
            part += np.int64(weights[j])
        # Scan item by item only the chunks that hold a wanted ball.
        if ranks[order[k]] < running + part:
            for j in range(start, stop):
                running += weights[j]
                while k < wanted and ranks[order[k]] < running:
                    out[order[k]] = j
                    k += 1
        else:
            running += part
        start = stop
    return out


@njit(**_OPTIONS)
def group_sums(block, of_item, n_groups):  # pragma: no cover - compiled
    """``np.add.reduceat(block[:, order], starts, axis=1)``: each row's weights summed per group, int32."""
    rows, n = block.shape
    out = np.zeros((rows, n_groups), dtype=np.int32)
    for r in range(rows):
        for j in range(n):
            out[r, of_item[j]] += block[r, j]
    return out


@njit(**_OPTIONS)
def class_chunk_sums(block, codes, n_classes):  # pragma: no cover - compiled
    """Each row's weights summed per class and per run of ``_CHUNK`` items: int64 ``(rows, classes, chunks)``.

    Summed over the last axis, each row's total per class; :func:`balls_of_class` uses the runs to
    skip the items before a wanted ball.
    """
    rows, n = block.shape
    chunks = (n + _CHUNK - 1) // _CHUNK
    full = n // _CHUNK
    out = np.zeros((rows, n_classes, chunks), dtype=np.int64)
    for r in range(rows):
        row = block[r]
        for c in range(n_classes):
            sums = out[r, c]
            # A fixed trip count and no branch let LLVM vectorise the sum.
            for chunk in range(full):
                base = chunk * _CHUNK
                part = np.int64(0)
                for j in range(_CHUNK):
                    part += np.int64(row[base + j]) * (codes[base + j] == c)
                sums[chunk] = part
            if full < chunks:
                part = np.int64(0)
                for j in range(full * _CHUNK, n):
                    part += np.int64(row[j]) * (codes[j] == c)
                sums[full] = part
    return out


@njit(**_OPTIONS)
def balls_of_class(weights, codes, code, chunk_sums, ranks):  # pragma: no cover - compiled
    """The item holding each ball ``ranks[k]`` among the balls of class ``code``, numbered item by item.

    ``chunk_sums`` is this row's and class's row of :func:`class_chunk_sums`; ``ranks`` are distinct
    and below the class's total. Equal to ``items[np.searchsorted(np.cumsum(weights[items]), ranks,
    side="right")]`` with ``items = np.flatnonzero(codes == code)``.
    """
    order = np.argsort(ranks)
    wanted = ranks.shape[0]
    out = np.empty(wanted, dtype=np.int64)
    n = weights.shape[0]
    k = 0
    running = 0
    for chunk in range(chunk_sums.shape[0]):
        if k == wanted:
            break
        if ranks[order[k]] >= running + chunk_sums[chunk]:
            running += chunk_sums[chunk]
            continue
        for j in range(chunk * _CHUNK, min(n, (chunk + 1) * _CHUNK)):
            if codes[j] == code:
                running += weights[j]
                while k < wanted and ranks[order[k]] < running:
                    out[order[k]] = j
                    k += 1
    return out


@njit(**_OPTIONS)
def _gathered_cumulative(row, order, cells, gathered, cumulative, cell_sums):  # pragma: no cover - compiled
    """``gathered = row[order]``, ``cumulative`` its running sum after a leading 0 (int32), and each
    weight added to ``cell_sums`` at its cell: one class's share of :func:`ranked_counts`."""
    running = np.int32(0)
    cumulative[0] = 0
    for j in range(order.shape[0]):
        w = row[order[j]]
        gathered[j] = w
        running += np.int32(w)
        cumulative[j + 1] = running
        cell_sums[cells[j]] += w


@njit(**_OPTIONS)
def ranked_counts(block, pos_order, neg_order, pos_cells, neg_cells, n_cells):  # pragma: no cover - compiled
    """One pass over each row's items in score order, for the per-item ranking metrics:

    - ``wp = block[:, pos_order]``, ``wn = block[:, neg_order]`` (the block's dtype);
    - ``tp0``, ``fp0``: their cumulative sums along the row with a leading 0, int32
      (``ranking._cumulative``);
    - ``counts``: ``np.bincount(cells, weights=row, minlength=n_cells)`` of each row, float64, with
      ``pos_cells = cells[pos_order]`` and ``neg_cells = cells[neg_order]`` (the confusion cells).

    The gathers, cumulative sums and the confusion count of an entry whose scores are all distinct
    were four passes over a million items each per resample; here they are one.
    """
    rows = block.shape[0]
    wp = np.empty((rows, pos_order.shape[0]), dtype=block.dtype)
    wn = np.empty((rows, neg_order.shape[0]), dtype=block.dtype)
    tp0 = np.empty((rows, pos_order.shape[0] + 1), dtype=np.int32)
    fp0 = np.empty((rows, neg_order.shape[0] + 1), dtype=np.int32)
    counts = np.zeros((rows, n_cells), dtype=np.float64)
    cell_sums = np.zeros(n_cells, dtype=np.int64)
    for r in range(rows):
        cell_sums[:] = 0
        _gathered_cumulative(block[r], pos_order, pos_cells, wp[r], tp0[r], cell_sums)
        _gathered_cumulative(block[r], neg_order, neg_cells, wn[r], fp0[r], cell_sums)
        for c in range(n_cells):
            counts[r, c] = cell_sums[c]
    return wp, wn, tp0, fp0, counts
