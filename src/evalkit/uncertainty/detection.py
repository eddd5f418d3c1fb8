"""Image-level paired bootstrap of the COCO numbers: resample images, never re-match.

A resample is a vector of image weights from the shared :class:`Resampler`, so every detector (and a
human annotator's boxes) is scored on the same resampled images: differences are paired. Each entry
was matched once (:mod:`evalkit.detection.matching`); :func:`evalkit.detection.summarize_many` reads
all 12 numbers of a block of resamples off that matching, as if each image appeared ``weight`` times.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from tqdm.auto import tqdm

from evalkit.detection.fast import Prepared, summarize_many
from evalkit.detection.params import STAT_NAMES
from evalkit.uncertainty.resampling import Resampler

# Resamples per call of summarize_many: large enough to amortise its sparse products, small enough
# for a progress bar that moves.
ROWS_PER_STEP = 100
# Below this many image-evaluations (resamples x images x entries) the bootstrap is quick; no bar.
PROGRESS_MIN_WORK = 10**7

# An entry: its matching, and the positions of its images among the eval set's (None: every image).
DetectionEntry = tuple[Prepared, np.ndarray | None]


def detection_bootstrap(entries: Mapping[str, DetectionEntry], resampler: Resampler, *,
                        progress: bool | None = None) -> dict[str, dict[str, np.ndarray]]:
    """``{entry: {stat: values over resamples}}`` for the 12 COCO numbers; NaN where undefined.

    COCOeval's -1 ("no counted ground truth in this setting", e.g. a resample without small objects)
    becomes NaN, so intervals count it as undefined instead of averaging a -1 in.
    """
    R = resampler.resamples
    out = {name: np.empty((R, len(STAT_NAMES))) for name in entries}
    work = R * resampler.n_items * max(1, len(entries))
    show = progress if progress is not None else work >= PROGRESS_MIN_WORK
    with tqdm(total=R * len(entries), desc="bootstrap (images)", unit="resample", leave=False,
              disable=None if show else True) as bar:
        for start, block in resampler.blocks():
            for step in range(0, len(block), ROWS_PER_STEP):
                weights = block[step:step + ROWS_PER_STEP]
                rows = slice(start + step, start + step + len(weights))
                for name, (prepared, positions) in entries.items():
                    own = weights if positions is None else weights[:, positions]
                    out[name][rows] = summarize_many(prepared, own)
                    bar.update(len(weights))
    return {name: {stat: np.where(values[:, j] < 0, np.nan, values[:, j])
                   for j, stat in enumerate(STAT_NAMES)} for name, values in out.items()}
