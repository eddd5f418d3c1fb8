"""Vectorised operations on columns of text keys (ids, labels) with Python's exact string semantics.

A million ids read from a file used to go through a Python call per cell (``str.strip``, a regular
expression, a ``type`` check), seconds per column. Here the cells are looked at in bulk through
pyarrow, and Python's own string methods run only on the few cells that need them, so the results
are those of the per-cell code, character for character: ``str.isspace`` decides what is stripped,
not a Unicode table that might disagree with it. Pure functions: arrays in, arrays out.

When a column cannot be handed to pyarrow (a lone surrogate from a badly decoded file), every
function falls back to the per-cell code.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

# An integral number written with a zero fraction ('1.0', '-3.00'): the same key as '1', '-3'.
ZERO_FRACTION = re.compile(r"^([+-]?\d+)\.0+$")


def is_all_text(values: np.ndarray) -> bool:
    """Whether every cell of an object array is a ``str`` (no None, numbers or NaN), checked in C.

    >>> is_all_text(np.array(["a", "b"], dtype=object)), is_all_text(np.array(["a", None], dtype=object))
    (True, False)
    """
    from pandas.api.types import infer_dtype

    return len(values) > 0 and infer_dtype(values, skipna=False) == "string"


def _arrow(values: np.ndarray):
    import pyarrow as pa

    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowException, UnicodeError, TypeError):
        return None


def _apply_where(values: np.ndarray, mask: np.ndarray, function: Callable[[str], str]) -> np.ndarray:
    out = np.array(values, dtype=object, copy=True)
    where = np.flatnonzero(mask)
    if where.size:
        out[where] = [function(v) for v in out[where]]
    return out


def strip_text(values: np.ndarray) -> np.ndarray:
    """``[v.strip() for v in values]`` for an object array of ``str``, as an object array.

    Only cells whose first or last character is whitespace (``str.isspace``) are touched.

    >>> strip_text(np.array([" a", "b ", "c"], dtype=object)).tolist()
    ['a', 'b', 'c']
    """
    import pyarrow.compute as pc

    arrow = _arrow(values)
    if arrow is None:
        return _apply_where(values, np.ones(len(values), dtype=bool), str.strip)
    ends = [pc.utf8_slice_codeunits(arrow, 0, 1), pc.utf8_slice_codeunits(arrow, -1)]
    characters = {c for end in ends for c in pc.unique(end).to_pylist()}
    spaces = sorted(c for c in characters if c and c.isspace())
    if not spaces:
        return np.array(values, dtype=object, copy=True)  # a new array, as in every other case
    mask = np.zeros(len(values), dtype=bool)
    for end in ends:
        mask |= np.asarray(pc.is_in(end, value_set=_arrow(np.array(spaces, dtype=object))))
    return _apply_where(values, mask, str.strip)


def drop_zero_fraction(values: np.ndarray) -> np.ndarray:
    """Stripped text keys with ``1.0``, ``-3.00`` written as ``1``, ``-3`` (:data:`ZERO_FRACTION`).

    >>> drop_zero_fraction(np.array(["1.0", "10", "1.05", "x.0"], dtype=object)).tolist()
    ['1', '10', '1.05', 'x.0']
    """
    import pyarrow.compute as pc

    arrow = _arrow(values)
    if arrow is None:
        mask = np.array([v.endswith("0") and "." in v for v in values], dtype=bool)
    else:
        # Only a key ending in '0' and holding a '.' can carry a zero fraction.
        mask = np.asarray(pc.and_(pc.ends_with(arrow, "0"), pc.match_substring(arrow, ".")))

    def rewrite(text: str) -> str:
        match = ZERO_FRACTION.match(text)
        return match.group(1) if match else text

    return _apply_where(values, mask, rewrite)


def integer_text(values: np.ndarray) -> np.ndarray:
    """An integer array as decimal text (``str(int(v))`` of every cell), as an object array.

    >>> integer_text(np.array([7, -12, 0])).tolist()
    ['7', '-12', '0']
    """
    import pyarrow as pa

    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string()).to_numpy(zero_copy_only=False)


def positions(keys: np.ndarray, known: np.ndarray) -> np.ndarray:
    """For each key, its position in ``known`` (whose keys are distinct), or -1 when absent.

    >>> positions(np.array(["b", "z", "a"], dtype=object), np.array(["a", "b"], dtype=object)).tolist()
    [1, -1, 0]
    """
    import pandas as pd

    if len(keys) == len(known) and np.array_equal(keys, known):
        return np.arange(len(keys))  # already in the truth's order: the usual case, no hashing
    if len(known) > 1000:
        numbers = integer_keys(known)
        wanted = integer_keys(keys) if numbers is not None else None
        if numbers is not None and wanted is not None:
            # Ids such as 0..N written plainly: int64 arithmetic beats hashing a million Python strings.
            low, span = int(numbers.min()), int(numbers.max()) - int(numbers.min()) + 1
            if span <= 4 * len(numbers):  # dense ids: a direct-address table
                table = np.full(span, -1, dtype=np.int64)
                table[numbers - low] = np.arange(len(numbers))
                inside = (wanted >= low) & (wanted < low + span)
                out = np.full(len(wanted), -1, dtype=np.int64)
                out[inside] = table[wanted[inside] - low]
                return out
            order = np.argsort(numbers, kind="stable")
            at = np.minimum(np.searchsorted(numbers[order], wanted), len(order) - 1)
            return np.where(numbers[order][at] == wanted, order[at], -1)
    # Object-dtype indexes hash the keys in C; pandas' default (Arrow) strings would fall back to Python.
    return pd.Index(known, dtype=object).get_indexer(pd.Index(keys, dtype=object))


def duplicated(keys: np.ndarray) -> np.ndarray:
    """True for every key seen before it (pandas' ``duplicated(keep='first')``).

    >>> duplicated(np.array(["a", "b", "a"], dtype=object)).tolist()
    [False, False, True]
    """
    import pandas as pd

    return pd.Series(keys, dtype=object).duplicated().to_numpy()


def integer_keys(keys: np.ndarray) -> np.ndarray | None:
    """The keys as int64 when every one is an integer written plainly (``str(int(k)) == k``), else None.

    Two such keys are equal exactly when their numbers are, so lookups may use the numbers; ``007``,
    ``+7``, ``7.0`` or `` 7`` are not written plainly and send the caller back to text.

    >>> integer_keys(np.array(["7", "-12"], dtype=object)).tolist()
    [7, -12]
    >>> integer_keys(np.array(["007", "7"], dtype=object)) is None
    True
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = _arrow(keys)
    if arrow is None or arrow.null_count:
        return None
    try:
        numbers = pc.cast(arrow, pa.int64())
    except (pa.ArrowException, ValueError, OverflowError):
        return None
    if not pc.all(pc.equal(pc.cast(numbers, pa.string()), arrow)).as_py():
        return None
    return numbers.to_numpy(zero_copy_only=False)
