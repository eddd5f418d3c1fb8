"""Checks on COCO segmentations (polygons and run-length encodings) before pycocotools sees them.

pycocotools trusts its input: an odd-length polygon, a run-length encoding whose counts do not add up to
the image's pixels, or a ``size`` other than the image's is rasterised or intersected anyway (reading
past the counts, or comparing masks of different shapes), and a malformed compressed string is decoded
into garbage. Each check here returns what is wrong as text, or None when the segmentation is sound, so
that the caller can name the file and the record.
"""

from __future__ import annotations

import reprlib
from typing import Any

import numpy as np

# pycocotools stores run lengths as 32-bit unsigned integers, so no image may have 2**32 pixels or more.
MAX_PIXELS = 2**32 - 1
_MAX_TOKEN = 12  # characters of one compressed count: 60 bits, far beyond any 32-bit count


def compressed_counts(counts: str | bytes) -> np.ndarray | None:
    """The run lengths of a compressed COCO RLE string (pycocotools' ``rleFrString``), or None if malformed.

    Each count is written in 5-bit groups as characters from 48 ('0'); bit 0x20 says another group
    follows and bit 0x10 of the last group is the sign. From the fourth count on, a count is stored as
    the difference to the count two places before.
    """
    raw = np.frombuffer(counts.encode("ascii", "replace") if isinstance(counts, str) else bytes(counts),
                        dtype=np.uint8).astype(np.int64) - 48
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64)
    if (raw < 0).any() or (raw > 63).any() or raw[-1] & 0x20:
        return None
    ends = np.flatnonzero((raw & 0x20) == 0)
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts + 1
    if lengths.max() > _MAX_TOKEN:
        return None
    token = np.repeat(np.arange(len(ends)), lengths)
    position = np.arange(raw.size) - starts[token]
    values = np.zeros(len(ends), dtype=np.int64)
    np.add.at(values, token, (raw & 0x1F) << (5 * position))
    negative = (raw[ends] & 0x10) != 0
    values[negative] -= np.left_shift(np.int64(1), 5 * lengths[negative])
    counts_out = values.copy()
    # Undo the delta coding per parity chain: counts[m] = x[m] + counts[m - 2] for m > 2.
    for parity in (0, 1):
        first = 2 if parity == 0 else 1
        if len(values) > first:
            counts_out[first::2] = np.cumsum(values[first::2])
    return counts_out


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def polygon_problem(segmentation: list) -> str | None:
    """What is wrong with a polygon list ``[[x1, y1, x2, y2, ...], ...]``, or None."""
    for k, polygon in enumerate(segmentation):
        # One numpy conversion per polygon keeps this cheap on COCO-sized files (tens of thousands).
        try:
            coordinates = np.array(polygon) if isinstance(polygon, list) else None
        except (ValueError, TypeError, OverflowError, RecursionError):
            coordinates = None
        if coordinates is None or coordinates.ndim != 1 or coordinates.dtype.kind not in "iuf" \
                or not np.isfinite(coordinates.astype(np.float64)).all():
            return f"polygon {k} is not a flat list of finite numbers"
        if len(polygon) % 2 or len(polygon) < 6:
            return (f"polygon {k} has {len(polygon)} coordinates; a polygon is an even number of them "
                    "(x, y pairs), at least 3 points")
    return None


def rle_problem(segmentation: dict, height: int, width: int) -> str | None:
    """What is wrong with an RLE ``{'size': [h, w], 'counts': ...}`` on a ``height`` x ``width`` image."""
    size = segmentation.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(_is_int(v) for v in size)):
        return f"'size' is {short_repr(size)}, not [height, width]"
    if [int(size[0]), int(size[1])] != [height, width]:
        return f"'size' is {size} but the image is [{height}, {width}] (height, width)"
    counts = segmentation.get("counts")
    if isinstance(counts, list):
        if not all(_is_int(c) and c >= 0 for c in counts):
            return "'counts' holds something other than non-negative integers"
        runs = np.array(counts, dtype=np.int64) if counts else np.zeros(0, dtype=np.int64)
        if (runs > MAX_PIXELS).any():
            return "'counts' holds a run longer than any image"
    elif isinstance(counts, str | bytes):
        decoded = compressed_counts(counts)
        if decoded is None or (decoded < 0).any() or (decoded > MAX_PIXELS).any():
            return "'counts' is not a valid compressed RLE string"
        runs = decoded
    else:
        return f"'counts' is {short_repr(counts)}, neither a list of run lengths nor a compressed string"
    total = int(runs.sum())
    if total != height * width:
        return f"the run lengths add up to {total} pixels, not height x width = {height * width}"
    return None


def short_repr(value: Any) -> str:
    """A short one-line repr for error messages: a deeply nested or huge value is elided, not printed."""
    return _REPR.repr(value)


def _repr() -> reprlib.Repr:
    r = reprlib.Repr()  # attributes, not keywords: Repr takes keywords only from Python 3.12
    r.maxlevel, r.maxlist, r.maxdict, r.maxstring, r.maxother, r.maxlong = 2, 4, 4, 40, 40, 40
    return r


_REPR = _repr()
