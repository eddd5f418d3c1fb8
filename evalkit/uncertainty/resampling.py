"""Bootstrap resamples as item weights, reproducible for a seed and generated in bounded blocks.

A resample is a vector of non-negative integer weights, one per item: the number of times the item
is drawn. Drawing ``n`` indices with replacement and counting them (``multinomial``) is exactly the
classic bootstrap; ``poisson`` draws each weight independently from Poisson(1), which is cheaper to
reason about for streams but lets the resample size vary.

Resample ``r`` is generated from its own random stream, ``SeedSequence(seed, spawn_key=(r,))``, so it
is the same whatever the block size and whichever entries (candidates, baselines) are evaluated on
it. That is what makes comparisons paired: every entry sees the same resamples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.errors import ConfigError

Method = Literal["multinomial", "poisson"]
METHODS: tuple[str, ...] = ("multinomial", "poisson")

# A block holds at most this many weights (resamples x items), 8 MiB as uint8 and 32 MiB as int32,
# so memory stays bounded whatever the number of resamples.
DEFAULT_BLOCK_ELEMENTS = 2**23
# Cumulative sums of weights are taken in int32: keep any plausible resample total far below 2**31.
MAX_ITEMS = 2**30


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
        rng = self._rng(r)
        if self.method == "multinomial":
            return np.bincount(rng.integers(0, self.n_items, size=self.n_items), minlength=self.n_items)
        return rng.poisson(1.0, size=self.n_items)

    def weights(self, r: int) -> np.ndarray:
        """Weights of resample ``r``: int32 array of shape ``(n_items,)``, the count of each item."""
        return self._counts(r).astype(np.int32)

    def indices(self, r: int) -> np.ndarray:
        """Resample ``r`` in index form: the items drawn, with repetition.

        For ``multinomial`` these are the draws themselves, in the order drawn; for ``poisson`` each
        item repeated by its weight. Either way ``np.bincount(indices(r), minlength=n_items)`` equals
        ``weights(r)``, so calling a metric on ``y[indices(r)]`` is the reference for weight ``r``.
        """
        if self.method == "multinomial":
            return self._rng(r).integers(0, self.n_items, size=self.n_items)
        return np.repeat(np.arange(self.n_items), self._counts(r))

    def blocks(self, *, compact: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(start, W)`` for consecutive blocks of resamples.

        ``W`` has shape ``(rows, n_items)``; row ``i`` is resample ``start + i``. Its dtype is int32,
        or with ``compact=True`` the smallest unsigned type holding the block's largest count (uint8
        in practice, since a count above 255 needs about 255 draws of one item). Compact blocks make
        the gathers of the ranking metrics four times cheaper; mind that uint8 arithmetic wraps.
        """
        rows = self.rows_per_block
        for start in range(0, self.resamples, rows):
            stop = min(start + rows, self.resamples)
            block = np.empty((stop - start, self.n_items), dtype=np.uint8 if compact else np.int32)
            for i, r in enumerate(range(start, stop)):
                counts = self._counts(r)
                # Assignment into a narrower integer type wraps silently, so widen first if needed.
                top = int(counts.max())
                if top > np.iinfo(block.dtype).max:
                    block = block.astype(np.uint16 if top <= np.iinfo(np.uint16).max else np.int32)
                block[i] = counts
            yield start, block
