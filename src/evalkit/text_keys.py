"""Vectorised operations on columns of text keys (ids, labels) with Python's exact string semantics.

A million ids read from a file used to go through a Python call per cell (``str.strip``, a regular
expression, a ``type`` check), seconds per column, and then lived as a million Python strings. Here
the cells are pyarrow string arrays from the reader on: they are looked at in bulk, and Python's own
string methods run only on the few cells that need them, so the results are those of the per-cell
code, character for character: the characters ``str.isspace`` accepts are what is stripped, not a
Unicode table that disagrees with it. Ids that are all integers written plainly are matched as int64 numbers.

When a column cannot be handed to pyarrow (a lone surrogate from a badly decoded file), every
function falls back to the per-cell code on object arrays.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

# An integral number written with a zero fraction ('1.0', '-3.00'): the same key as '1', '-3'.
ZERO_FRACTION = re.compile(r"^([+-]?\d+)\.0+$")
# The same rule for ASCII text in RE2 (pyarrow), whose \d would miss the Unicode digits Python's takes.
_ASCII_ZERO_FRACTION = r"^([+-]?[0-9]+)\.0+$"
# Exactly the texts with str(int(k)) == k: no sign but '-', no leading zero, no '-0', ASCII digits.
_PLAIN_INTEGER = r"^(0|-?[1-9][0-9]*)$"
# Every character for which str.isspace() is true (what str.strip() removes), from U+0000 to U+10FFFF;
# pyarrow's own whitespace trim follows Unicode's White_Space, which lacks \x1c-\x1f.
PYTHON_SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                 "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# Below this many known keys a hash lookup is as quick as building a table of numbers.
_NUMBERS_FROM = 1000


def is_all_text(values: np.ndarray) -> bool:
    """Whether every cell of an object array is a ``str`` (no None, numbers or NaN), checked in C.

    >>> is_all_text(np.array(["a", "b"], dtype=object)), is_all_text(np.array(["a", None], dtype=object))
    (True, False)
    """
    from pandas.api.types import infer_dtype

    return len(values) > 0 and infer_dtype(values, skipna=False) == "string"


def as_arrow(values: Any) -> pa.Array | None:
    """Text cells as one pyarrow ``large_string`` array (without a copy when they already are Arrow).

    ``values``: a pyarrow array, a pandas ``str`` column or array, or an object array of ``str``.
    None when a cell is not text (None, NaN, a number) or cannot be UTF-8 (a lone surrogate): the
    caller then takes the per-cell path.
    """
    import pandas as pd
    import pyarrow as pa

    if isinstance(values, pd.Series | pd.Index):
        values = values.array
    if isinstance(values, pa.ChunkedArray | pa.Array):
        arrow = values
    elif hasattr(values, "__arrow_array__"):  # pandas' str and Arrow-backed columns: their own buffers
        try:
            arrow = pa.array(values)
        except (pa.ArrowException, TypeError):
            return None
    else:
        array = np.asarray(values)
        if array.dtype.kind == "U":
            array = array.astype(object)
        if array.dtype != object or not is_all_text(array):
            return None
        try:
            arrow = pa.array(array, type=pa.large_string())
        except (pa.ArrowException, UnicodeError, TypeError):
            return None
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0)
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)) or arrow.null_count:
        return None
    return arrow.cast(pa.large_string())


def _apply_where(values: np.ndarray, mask: np.ndarray, function: Callable[[str], str]) -> np.ndarray:
    out = np.array(values, dtype=object, copy=True)
    where = np.flatnonzero(mask)
    if where.size:
        out[where] = [function(v) for v in out[where]]
    return out


def _replace_where(arrow: pa.Array, mask: np.ndarray, function: Callable[[str], str]) -> pa.Array:
    """``arrow`` with ``function`` applied (in Python) to the cells where ``mask`` is true."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not mask.any():
        return arrow
    new = [function(v) for v in arrow.filter(pa.array(mask)).to_pylist()]
    return pc.replace_with_mask(arrow, pa.array(mask), pa.array(new, type=arrow.type))


def strip_arrow(arrow: pa.Array) -> pa.Array:
    """``str.strip`` of every cell, in one pyarrow kernel trimming exactly :data:`PYTHON_SPACES`."""
    import pyarrow.compute as pc

    return pc.utf8_trim(arrow, characters=PYTHON_SPACES)


def _rewrite_zero_fraction(text: str) -> str:
    match = ZERO_FRACTION.match(text)
    return match.group(1) if match else text


def drop_zero_fraction_arrow(arrow: pa.Array) -> pa.Array:
    """Stripped keys with ``1.0``, ``-3.00`` written as ``1``, ``-3`` (:data:`ZERO_FRACTION`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # Only a key ending in '0' and holding a '.' can carry a zero fraction.
    mask = np.asarray(pc.and_(pc.ends_with(arrow, "0"), pc.match_substring(arrow, ".")))
    if not mask.any():
        return arrow
    candidates = arrow.filter(pa.array(mask))
    # ASCII cells (a whole column of '1.0' labels) by RE2 in C; the rest by Python's own \d.
    rewritten = pc.replace_substring_regex(candidates, _ASCII_ZERO_FRACTION, r"\1")
    unicode = ~np.asarray(pc.string_is_ascii(candidates))
    rewritten = _replace_where(rewritten, unicode, _rewrite_zero_fraction)
    return pc.replace_with_mask(arrow, pa.array(mask), rewritten)


def normalise_arrow(arrow: pa.Array) -> pa.Array:
    """Text keys as they are matched: stripped, and an integral ``1.0`` written ``1``."""
    return drop_zero_fraction_arrow(strip_arrow(arrow))


def strip_text(values: np.ndarray) -> np.ndarray:
    """``[v.strip() for v in values]`` for an object array of ``str``, as an object array.

    Only cells whose first or last character is whitespace (``str.isspace``) are touched.

    >>> strip_text(np.array([" a", "b ", "c"], dtype=object)).tolist()
    ['a', 'b', 'c']
    """
    arrow = as_arrow(values)
    if arrow is None:
        return _apply_where(values, np.ones(len(values), dtype=bool), str.strip)
    return strip_arrow(arrow).to_numpy(zero_copy_only=False)


def drop_zero_fraction(values: np.ndarray) -> np.ndarray:
    """Stripped text keys with ``1.0``, ``-3.00`` written as ``1``, ``-3`` (:data:`ZERO_FRACTION`).

    >>> drop_zero_fraction(np.array(["1.0", "10", "1.05", "x.0"], dtype=object)).tolist()
    ['1', '10', '1.05', 'x.0']
    """
    arrow = as_arrow(values)
    if arrow is None:
        mask = np.array([v.endswith("0") and "." in v for v in values], dtype=bool)
        return _apply_where(values, mask, _rewrite_zero_fraction)
    return drop_zero_fraction_arrow(arrow).to_numpy(zero_copy_only=False)


def integer_text(values: np.ndarray) -> np.ndarray:
    """An integer array as decimal text (``str(int(v))`` of every cell), as an object array.

    >>> integer_text(np.array([7, -12, 0])).tolist()
    ['7', '-12', '0']
    """
    return integer_arrow(values).to_numpy(zero_copy_only=False)


def integer_arrow(values: np.ndarray) -> pa.Array:
    """An integer array as decimal text (``str(int(v))`` of every cell), as a pyarrow array."""
    import pyarrow as pa

    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.large_string())


def plain_integers(arrow: pa.Array) -> np.ndarray | None:
    """The keys as int64 when every one is an integer written plainly (``str(int(k)) == k``), else None.

    Two such keys are equal exactly when their numbers are, so lookups may use the numbers.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(arrow) or not pc.all(pc.match_substring_regex(arrow, _PLAIN_INTEGER)).as_py():
        return None
    try:
        return pc.cast(arrow, pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, ValueError, OverflowError):  # beyond int64
        return None


def integer_keys(keys: np.ndarray) -> np.ndarray | None:
    """The keys as int64 when every one is an integer written plainly (``str(int(k)) == k``), else None.

    Two such keys are equal exactly when their numbers are, so lookups may use the numbers; ``007``,
    ``+7``, ``7.0`` or `` 7`` are not written plainly and send the caller back to text.

    >>> integer_keys(np.array(["7", "-12"], dtype=object)).tolist()
    [7, -12]
    >>> integer_keys(np.array(["007", "7"], dtype=object)) is None
    True
    """
    arrow = as_arrow(keys)
    return None if arrow is None else plain_integers(arrow)


class KeyIndex:
    """Distinct known keys (a truth's ids, a label set), for looking other keys up in bulk.

    Built once per eval set and reused for every predictions file. Plainly written integer ids are
    kept as numbers: a direct-address table when they are dense, else a sorted copy; any other text
    is hashed by pyarrow. Keys that pyarrow cannot hold fall back to pandas' object hashing.
    """

    def __init__(self, known: Any) -> None:
        self.size = len(known)
        self.arrow = as_arrow(known)
        self.objects = np.asarray(known, dtype=object) if self.arrow is None else None
        numbers = None
        if self.arrow is not None and self.size >= _NUMBERS_FROM:
            numbers = plain_integers(self.arrow)
        # Whether the keys are matched as numbers; the numbers themselves live on only in the table.
        self.by_number = numbers is not None
        self._table: tuple[int, np.ndarray] | None = None
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None
        if numbers is not None:
            low, span = int(numbers.min()), int(numbers.max()) - int(numbers.min()) + 1
            if span <= 4 * self.size:
                # int32 positions when they fit: the table is the one array the size of the ids kept
                table = np.full(span, -1, dtype=np.int32 if self.size < 2**31 else np.int64)
                table[numbers - low] = np.arange(self.size)
                self._table = (low, table)
            else:
                order = np.argsort(numbers, kind="stable")
                self._sorted = (numbers[order], order)

    def positions(self, keys: Any) -> np.ndarray:
        """For each key, its position among the known keys, or -1 when absent (int64).

        ``keys``: text (pyarrow, pandas ``str`` or an object array of ``str``) or int64 numbers, which
        stand for their decimal text.
        """
        import pandas as pd
        import pyarrow.compute as pc

        keys = keys.to_numpy() if isinstance(keys, pd.Series) and keys.dtype.kind == "i" else keys
        numeric = isinstance(keys, np.ndarray) and keys.dtype.kind == "i"
        if numeric and self.by_number:
            return self._number_positions(np.asarray(keys, dtype=np.int64))
        arrow = integer_arrow(keys) if numeric else as_arrow(keys)
        if arrow is None or self.arrow is None:
            objects = as_text(keys if arrow is None else arrow)
            known = self.objects if self.objects is not None else as_text(self.arrow)
            if len(objects) == len(known) and np.array_equal(objects, known):
                return np.arange(len(objects))
            # Object-dtype indexes hash the keys in C (pandas' Arrow strings would fall back to Python).
            return pd.Index(known, dtype=object).get_indexer(pd.Index(objects, dtype=object))
        if len(arrow) == self.size and arrow.equals(self.arrow):
            return np.arange(self.size)  # already in the truth's order: the usual case, no hashing
        if self.by_number:
            wanted = plain_integers(arrow)
            if wanted is not None:
                return self._number_positions(wanted)
        found = pc.index_in(arrow, value_set=self.arrow)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    def _number_positions(self, wanted: np.ndarray) -> np.ndarray:
        if self._table is not None:
            low, table = self._table
            inside = (wanted >= low) & (wanted < low + len(table))
            out = np.full(len(wanted), -1, dtype=np.int64)
            out[inside] = table[wanted[inside] - low]  # int32 widened to int64
            return out
        assert self._sorted is not None
        numbers, order = self._sorted
        at = np.minimum(np.searchsorted(numbers, wanted), len(order) - 1)
        return np.where(numbers[at] == wanted, order[at], -1)


def positions(keys: Any, known: Any) -> np.ndarray:
    """For each key, its position in ``known`` (whose keys are distinct), or -1 when absent.

    >>> positions(np.array(["b", "z", "a"], dtype=object), np.array(["a", "b"], dtype=object)).tolist()
    [1, -1, 0]
    """
    return KeyIndex(known).positions(keys)


def duplicated(keys: Any) -> np.ndarray:
    """True for every key seen before it (pandas' ``duplicated(keep='first')``).

    >>> duplicated(np.array(["a", "b", "a"], dtype=object)).tolist()
    [False, False, True]
    """
    import pandas as pd

    if isinstance(keys, np.ndarray) and keys.dtype.kind == "i":
        numbers = keys
    else:
        arrow = as_arrow(keys)
        if arrow is None:
            return pd.Series(np.asarray(keys, dtype=object), dtype=object).duplicated().to_numpy()
        numbers = plain_integers(arrow)
        if numbers is None:
            return pd.Series(pd.array(arrow, dtype="str")).duplicated().to_numpy()
    out = np.zeros(len(numbers), dtype=bool)
    if not len(numbers):
        return out
    low, span = int(numbers.min()), int(numbers.max()) - int(numbers.min()) + 1
    if span <= 4 * len(numbers) and np.bincount(numbers - low, minlength=span).max() <= 1:
        return out  # dense ids counted without a sort: the usual answer, none repeated
    # A stable sort puts each repeat right after its first occurrence.
    order = np.argsort(numbers, kind="stable")
    repeat = numbers[order][1:] == numbers[order][:-1]
    out[order[1:][repeat]] = True
    return out


def as_text(keys: Any) -> np.ndarray:
    """Keys in any of the forms above as an object array of ``str`` (for messages and small sets)."""
    import pyarrow as pa

    if isinstance(keys, pa.Array | pa.ChunkedArray):
        return keys.to_numpy(zero_copy_only=False)
    if isinstance(keys, np.ndarray) and keys.dtype.kind == "i":
        return integer_text(keys)
    return np.asarray(keys, dtype=object)


def take_where(keys: Any, mask: np.ndarray) -> Any:
    """The keys where ``mask`` is true, in the keys' own form."""
    import pyarrow as pa

    if isinstance(keys, pa.Array | pa.ChunkedArray):
        return keys.filter(pa.array(mask))
    return keys[mask]


def distinct(keys: Any) -> np.ndarray:
    """The distinct keys as an object array of ``str``, in order of first appearance."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(keys, pa.Array | pa.ChunkedArray):
        return pc.unique(keys).to_numpy(zero_copy_only=False)
    if isinstance(keys, np.ndarray) and keys.dtype.kind == "i":
        return integer_text(pd.unique(keys))
    return pd.unique(np.asarray(keys, dtype=object))
