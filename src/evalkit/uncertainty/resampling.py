"""Bootstrap resamples as item weights, reproducible for a seed and generated in bounded blocks.

A resample is a vector of non-negative integer weights, one per item: the number of times the item
is drawn. Drawing ``n`` indices with replacement and counting them (``multinomial``) is exactly the
classic bootstrap; ``poisson`` draws each weight independently from Poisson(1) (the "Poisson
bootstrap"), so the resample size varies around ``n``.

Drawing the weights is most of the cost of a bootstrap at a million items, so both methods use a
table sampler (see :func:`poisson_weights`): Poisson(1) weights from 16 random bits per item, and
multinomial counts from those by an exact correction (:func:`multinomial_weights`).

ROC AUC uses the *stratified* form of each resample (:meth:`Resampler.stratified_weights`): the
same draws, thinned or topped up within each true class to the class's size, so that it is
exactly the stratified bootstrap (multinomial within class, whatever ``method``) and stays paired
with the plain resample, from which it differs by about ``sqrt(n)`` draws.

Resample ``r`` is generated from its own random stream, ``SeedSequence(seed, spawn_key=(r,))``, so it
is the same whatever the block size and whichever entries (candidates, baselines) are evaluated on
it. That is what makes comparisons paired: every entry sees the same resamples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Literal

import numpy as np

from evalkit.errors import ConfigError
from evalkit.uncertainty.compiled import kernels

Method = Literal["multinomial", "poisson"]
METHODS: tuple[str, ...] = ("multinomial", "poisson")


def _poisson_thresholds() -> np.ndarray:
    # P(Poisson(1) <= k) to 60 digits, so floor(. * 2**64) is exact. Stop at the first threshold
    # equal to 2**64 - 1: the tail beyond it, below 2**-64, goes to the last weight.
    with localcontext() as ctx:
        ctx.prec = 60
        term = Decimal(-1).exp()
        cdf = term
        thresholds = [int(cdf * 2**64)]
        k = 0
        while thresholds[-1] < 2**64 - 1:
            k += 1
            term /= k
            cdf += term
            thresholds.append(min(int(cdf * 2**64), 2**64 - 1))
    return np.array(thresholds, dtype=np.uint64)


def _top16_table(thresholds: np.ndarray) -> np.ndarray:
    # For the 16-bit bin [b * 2**48, (b + 1) * 2**48): the weight if no threshold lies inside it.
    low = np.arange(2**16, dtype=np.uint64) << np.uint64(48)
    high = low | np.uint64(2**48 - 1)
    at_low = np.searchsorted(thresholds, low, side="right")
    at_high = np.searchsorted(thresholds, high, side="right")
    return np.where(at_low == at_high, at_low, 255).astype(np.uint8)


# Poisson(1) by inversion of a 64-bit uniform U: the weight is #{k : U >= _THRESHOLDS[k]}, where
# _THRESHOLDS[k] = floor(P(Poisson(1) <= k) * 2**64); each probability is within 2**-64 of the
# exact one (finer than a float64 sampler's 2**-53). The top 16 bits of U settle the weight except in the few
# 16-bit bins that contain a threshold (marked 255 in _BY_TOP16); only those draw 48 more bits.
_THRESHOLDS = _poisson_thresholds()
_BY_TOP16 = _top16_table(_THRESHOLDS)
_UNDECIDED = 255

# A block holds at most this many weights (resamples x items), 8 MiB as uint8 and 32 MiB as int32,
# so memory stays bounded whatever the number of resamples.
DEFAULT_BLOCK_ELEMENTS = 2**23
# Cumulative sums of weights are taken in int32: keep any plausible resample total far below 2**31.
MAX_ITEMS = 2**30


def poisson_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent Poisson(1) weights as uint8, several times faster than ``rng.poisson``.

    Uses the generator's raw bits: 16 per item, plus 48 more for the ~2e-4 of items whose top 16
    bits do not settle the weight.
    """
    raw = rng.bit_generator.random_raw(-(-n // 4))
    # Explicit little-endian so the 16-bit draws are the same on every platform (a no-op on x86/ARM).
    top16 = raw.astype("<u8", copy=False).view("<u2")[:n]
    compiled = kernels(n)
    if compiled is not None:
        weights, undecided = compiled.table_lookup(top16, _BY_TOP16, _UNDECIDED)
    else:
        weights = np.take(_BY_TOP16, top16)  # np.take skips fancy indexing's conversion to intp
        undecided = np.flatnonzero(weights == _UNDECIDED)
    if undecided.size:
        low48 = rng.bit_generator.random_raw(undecided.size) >> np.uint64(16)
        u = (top16[undecided].astype(np.uint64) << np.uint64(48)) | low48
        weights[undecided] = np.searchsorted(_THRESHOLDS, u, side="right")
    return weights


def multinomial_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    """Counts of ``n`` indices drawn uniformly with replacement from ``n`` items (uint8 if they fit).

    Exact (up to the 2**-64 rounding of the Poisson table), by Poissonization: Poisson(1) weights
    are ``S`` balls thrown uniformly at the items, with ``S`` random. Removing ``S - n`` of those
    balls uniformly without replacement, or throwing ``n - S`` more, leaves exactly ``n`` balls
    thrown uniformly: multinomial counts. The correction touches about ``sqrt(n)`` balls, so this
    costs about a Poisson draw instead of ``n`` bounded integers and a bincount.
    """
    return _correct_total(rng, poisson_weights(rng, n), n)


def _correct_total(rng: np.random.Generator, weights: np.ndarray, target: int) -> np.ndarray:
    """Remove or add balls uniformly at random until ``weights`` sums to ``target``.

    Given its total, a vector of multinomial or Poisson counts is ``total`` balls thrown uniformly
    at the items; removing balls uniformly without replacement, or throwing more uniformly, leaves
    ``target`` balls thrown uniformly: multinomial counts of ``target`` draws.
    """
    n = weights.shape[0]
    compiled = kernels(n)
    if compiled is not None:
        total = int(compiled.total(weights))
    else:
        block_sums = _block_sums(weights)
        total = int(block_sums.sum())
    if total > target:
        ranks = rng.choice(total, size=total - target, replace=False)
        if compiled is not None:
            items = compiled.items_of_balls(weights, ranks)
        else:
            items = _items_of_balls(weights, block_sums, ranks)
        np.subtract.at(weights, items, 1)
    elif total < target:
        items, extra = np.unique(rng.integers(0, n, size=target - total), return_counts=True)
        if int(weights[items].max()) + int(extra.max()) > np.iinfo(np.uint8).max:  # never in practice
            weights = weights.astype(np.int32)
        weights[items] += extra.astype(weights.dtype)
    return weights


_BALL_BLOCK = 128


def _block_sums(weights: np.ndarray) -> np.ndarray:
    """Sums of consecutive blocks of ``_BALL_BLOCK`` weights (the last block may be shorter)."""
    full = weights.shape[0] // _BALL_BLOCK
    sums = weights[: full * _BALL_BLOCK].reshape(full, _BALL_BLOCK).sum(axis=1, dtype=np.int64)
    if weights.shape[0] % _BALL_BLOCK:
        sums = np.append(sums, weights[full * _BALL_BLOCK :].sum(dtype=np.int64))
    return sums


def _items_of_balls(weights: np.ndarray, block_sums: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The item holding ball ``r`` (0-based, balls numbered item by item) for each rank ``r``.

    Equal to ``np.searchsorted(np.cumsum(weights), ranks, side="right")`` without a cumulative
    sum over all items: the block sums locate each ball's block, and only the blocks holding a
    ball are scanned; a few hundred balls touch a few hundred blocks, not the million items.
    """
    n = weights.shape[0]
    block_end = np.cumsum(block_sums)
    block = np.searchsorted(block_end, ranks, side="right")
    within = ranks - (block_end[block] - block_sums[block])
    # Past the last item the index repeats it: the running count is already above `within` there.
    items = np.minimum(block[:, None] * _BALL_BLOCK + np.arange(_BALL_BLOCK), n - 1)
    running = np.cumsum(weights[items], axis=1, dtype=np.int64)
    # Within its block, the ball belongs to the first item whose running count exceeds `within`.
    return block * _BALL_BLOCK + (running <= within[:, None]).sum(axis=1)


# The random stream of the stratified correction of resample r is SeedSequence(seed, spawn_key=(r, 1)).
STRATIFY_STREAM = 1

# The item indices of each stratum (true class), see strata_of.
Strata = tuple[np.ndarray, ...]
# (rows, items, deltas): sparse changes of a block of weights, see Resampler.stratify_changes.
Changes = tuple[np.ndarray, np.ndarray, np.ndarray]


def strata_of(y_true: np.ndarray) -> Strata:
    """The items of each class present in ``y_true``, in class order: the strata of the bootstrap."""
    y = np.asarray(y_true)
    return tuple(np.flatnonzero(y == c) for c in np.unique(y))


@dataclass(frozen=True)
class Resampler:
    """The bootstrap resamples of ``n_items`` items, shared by every entry evaluated on them.

    Parameters
    ----------
    n_items : int
        Number of items (rows of ``y_true``).
    resamples : int
        Number of bootstrap resamples ``R``.
    seed : int
        Non-negative seed; the same seed gives the same resamples.
    method : {"multinomial", "poisson"}, default="multinomial"
        ``multinomial``: ``n_items`` indices drawn uniformly with replacement (the classic bootstrap).
        ``poisson``: each weight drawn independently from Poisson(1).
    block_size : int or None, default=None
        Resamples per block; by default as many as fit in ``DEFAULT_BLOCK_ELEMENTS`` weights.

    Examples
    --------
    >>> rs = Resampler(n_items=5, resamples=3, seed=0)
    >>> [w.shape for _, w in rs.blocks()]
    [(3, 5)]
    >>> int(rs.weights(0).sum())
    5
    """

    n_items: int
    resamples: int
    seed: int
    method: Method = "multinomial"
    block_size: int | None = None

    def __post_init__(self) -> None:
        for field, value, low in (("n_items", self.n_items, 1), ("resamples", self.resamples, 1)):
            if not isinstance(value, int | np.integer) or value < low:
                raise ConfigError(f"{field}={value!r} is not valid. It should be an integer >= {low}.")
        if self.n_items > MAX_ITEMS:
            raise ConfigError(f"n_items={self.n_items} is too large. It should be at most {MAX_ITEMS}.")
        if not isinstance(self.seed, int | np.integer) or self.seed < 0:
            raise ConfigError(f"seed={self.seed!r} is not valid. It should be a non-negative integer.")
        if self.method not in METHODS:
            raise ConfigError(f"method={self.method!r} is not valid. It should be one of {list(METHODS)}.")
        if self.block_size is not None and (
            not isinstance(self.block_size, int | np.integer) or self.block_size < 1
        ):
            raise ConfigError(f"block_size={self.block_size!r} is not valid. It should be an integer >= 1.")

    @property
    def rows_per_block(self) -> int:
        """Resamples per block."""
        if self.block_size is not None:
            return min(int(self.block_size), self.resamples)
        return max(1, min(self.resamples, DEFAULT_BLOCK_ELEMENTS // self.n_items))

    def _rng(self, r: int) -> np.random.Generator:
        if not 0 <= r < self.resamples:
            raise IndexError(f"resample {r} is out of range; there are {self.resamples} resamples.")
        # Equal to SeedSequence(seed).spawn(resamples)[r]: an independent stream per resample.
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(self.seed), spawn_key=(r,))))

    def _counts(self, r: int) -> np.ndarray:
        sample = multinomial_weights if self.method == "multinomial" else poisson_weights
        return sample(self._rng(r), self.n_items)

    def weights(self, r: int) -> np.ndarray:
        """Weights of resample ``r``: int32 array of shape ``(n_items,)``, the count of each item."""
        return self._counts(r).astype(np.int32)

    def indices(self, r: int) -> np.ndarray:
        """Resample ``r`` in index form: each item repeated by its weight, in item order.

        ``np.bincount(indices(r), minlength=n_items)`` equals ``weights(r)``, so calling a metric on
        ``y[indices(r)]`` is the reference for weight ``r``. For ``multinomial`` this multiset has
        the distribution of ``n_items`` indices drawn with replacement (only their order differs,
        and none of the metrics depends on order).
        """
        return np.repeat(np.arange(self.n_items), self._counts(r))

    def _stratify_rng(self, r: int) -> np.random.Generator:
        # Its own stream, so resample r's stratified form does not depend on the blocking either.
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(int(self.seed), spawn_key=(r, STRATIFY_STREAM)))
        )

    def stratify_changes(self, start: int, block: np.ndarray, strata: Strata) -> Changes:
        """What turns resamples ``start, start + 1, ...`` (the rows of ``block``) into their stratified form.

        Returns ``(rows, items, deltas)``: adding ``deltas[k]`` to ``block[rows[k], items[k]]`` for
        every ``k`` (pairs may repeat) gives :meth:`stratify`. In a stratum that drew too many balls,
        ``excess`` of them are chosen uniformly without replacement (ranks among the stratum's
        balls) and removed; a stratum that drew too few gets uniform draws of its items. Only the
        random numbers are drawn row by row, each row from its own stream; the rest is array work.
        """
        b = block.shape[0]
        rngs = [self._stratify_rng(start + i) for i in range(b)]
        rows_out, items_out, deltas_out = [], [], []
        compiled = kernels(block.shape[1])
        if compiled is not None:
            # Items in no stratum get a code of their own, which no stratum's sums include.
            codes = np.full(block.shape[1], len(strata), dtype=np.int32)
            for code, items in enumerate(strata):
                codes[items] = code
            chunk_sums = compiled.class_chunk_sums(block, codes, len(strata))
            stratum_totals = chunk_sums.sum(axis=2)
        for code, items in enumerate(strata):
            m = items.size
            if compiled is not None:
                totals = stratum_totals[:, code]
            else:
                counts = np.take(block, items, axis=1)
                totals = counts.sum(axis=1, dtype=np.int64)
            removed: list[tuple[int, np.ndarray]] = []
            added: list[tuple[int, np.ndarray]] = []
            for i, rng in enumerate(rngs):
                total = int(totals[i])
                if total > m:
                    removed.append((i, rng.choice(total, size=total - m, replace=False)))
                elif total < m:
                    added.append((i, rng.integers(0, m, size=m - total)))
            if removed and compiled is not None:
                rows_out.append(np.concatenate([np.full(r.size, i) for i, r in removed]))
                items_out.append(np.concatenate([
                    compiled.balls_of_class(block[i], codes, code, chunk_sums[i, code], r)
                    for i, r in removed]))
                deltas_out.append(np.full(rows_out[-1].size, -1, dtype=np.int32))
            elif removed:
                # Only the rows that remove balls need their running counts.
                rows = np.array([i for i, _ in removed])
                balls = counts[rows].ravel()
                starts = np.concatenate([[0], np.cumsum(totals[rows])[:-1]])
                ranks = np.concatenate([starts[j] + r for j, (_, r) in enumerate(removed)])
                at = _items_of_balls(balls, _block_sums(balls), ranks)
                rows_out.append(rows[at // m])
                items_out.append(items[at % m])
                deltas_out.append(np.full(at.size, -1, dtype=np.int32))
            if added:
                rows_out.append(np.concatenate([np.full(picks.size, i) for i, picks in added]))
                items_out.append(items[np.concatenate([picks for _, picks in added])])
                deltas_out.append(np.ones(rows_out[-1].size, dtype=np.int32))
        if not rows_out:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        return (np.concatenate(rows_out).astype(np.int64), np.concatenate(items_out).astype(np.int64),
                np.concatenate(deltas_out))

    def _stratify_rows(self, start: int, block: np.ndarray, strata: Strata) -> np.ndarray:
        out = block.astype(np.int32)
        rows, items, deltas = self.stratify_changes(start, block, strata)
        np.add.at(out, (rows, items), deltas)
        if block.dtype == np.uint8 and out.max(initial=0) <= np.iinfo(np.uint8).max:
            return out.astype(np.uint8)
        return out

    def stratified_weights(self, r: int, strata: Strata) -> np.ndarray:
        """Resample ``r`` made stratified: each stratum drawn as many times as it has items.

        Within each stratum (the items of one true class, see :func:`strata_of`), the balls of
        ``weights(r)`` that fell there are thinned or topped up uniformly at random to the stratum's
        size. Given its total, a stratum's share of a multinomial resample is a multinomial over its
        items, so the result is exactly the stratified bootstrap (``n_c`` draws with replacement
        within each class), whatever ``method`` is, and it differs from ``weights(r)`` by only
        about ``sqrt(n)`` draws: metrics taken on the two forms of resample ``r`` stay paired.
        """
        return self._stratify_rows(r, self.weights(r)[None, :], strata)[0]

    def stratified_indices(self, r: int, strata: Strata) -> np.ndarray:
        """:meth:`stratified_weights` in index form, like :meth:`indices`."""
        return np.repeat(np.arange(self.n_items), self.stratified_weights(r, strata))

    def stratify(self, start: int, block: np.ndarray, strata: Strata) -> np.ndarray:
        """The stratified form of ``block`` (resamples ``start, start + 1, ...``), row by row."""
        return self._stratify_rows(start, block, strata)

    def block(self, start: int, *, compact: bool = False) -> np.ndarray:
        """Weights of resamples ``start .. start + rows_per_block - 1`` (fewer at the end).

        Shape ``(rows, n_items)``; row ``i`` is resample ``start + i``. The dtype is int32, or with
        ``compact=True`` uint8 unless a count exceeds 255 (then int32). A count above 255 needs
        about 255 draws of one item, so in practice compact blocks are uint8, which makes the
        gathers of the ranking metrics four times cheaper; mind that uint8 arithmetic wraps.
        """
        stop = min(start + self.rows_per_block, self.resamples)
        block = np.empty((stop - start, self.n_items), dtype=np.uint8 if compact else np.int32)
        for i, r in enumerate(range(start, stop)):
            counts = self._counts(r)
            # Assignment into a narrower integer type wraps silently, so widen first if needed.
            if np.can_cast(counts.dtype, block.dtype):
                block[i] = counts
            else:
                block = block.astype(np.int32)
                block[i] = counts
        return block

    def blocks(self, *, compact: bool = False, prefetch: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(start, W)`` for consecutive blocks, ``W = self.block(start, compact=compact)``.

        With ``prefetch=True`` a background thread generates the next block while the caller works
        on the current one. NumPy releases the GIL in much of that work, so on two or more free
        cores generation partly overlaps with evaluation; the blocks are the same either way.
        """
        def prepare(start: int) -> tuple[np.ndarray, Changes | None]:
            return self.block(start, compact=compact), None

        for start, block, _ in self._prepared(prepare, prefetch):
            yield start, block

    def stratified_blocks(
        self, strata: Strata | None, *, compact: bool = False, prefetch: bool = False
    ) -> Iterator[tuple[int, np.ndarray, Changes | None]]:
        """Like :meth:`blocks`, with each block's :meth:`stratify_changes` (None without ``strata``).

        The changes are made in the background thread too, so with ``prefetch`` both the draws and
        their stratified corrections overlap with the caller's evaluation of the previous block.
        """
        def prepare(start: int) -> tuple[np.ndarray, Changes | None]:
            block = self.block(start, compact=compact)
            return block, None if strata is None else self.stratify_changes(start, block, strata)

        yield from self._prepared(prepare, prefetch)

    def _prepared(
        self, prepare: Callable[[int], tuple[np.ndarray, Changes | None]], prefetch: bool
    ) -> Iterator[tuple[int, np.ndarray, Changes | None]]:
        starts = range(0, self.resamples, self.rows_per_block)
        if not prefetch:
            for start in starts:
                yield start, *prepare(start)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="evalkit-resample") as pool:
            pending = pool.submit(prepare, starts[0])
            for i, start in enumerate(starts):
                prepared = pending.result()
                if i + 1 < len(starts):
                    pending = pool.submit(prepare, starts[i + 1])
                yield start, *prepared
