"""The 12 COCO summary numbers and per-class AP, read off precision/recall arrays as COCOeval does.

All are higher-is-better scores in [0, 1]; -1 means "undefined" (no counted ground truth anywhere in
that setting), and -1 entries of the arrays are left out of every mean, exactly as in COCOeval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.detection.params import IOU_THRESHOLDS, STAT_NAMES


@dataclass(frozen=True)
class DetectionStats:
    """COCO detection summary: AP over IoU .50:.95 and at .50/.75, per area, and AR at 1/10/100 dets."""

    mAP: float
    AP50: float
    AP75: float
    APs: float
    APm: float
    APl: float
    AR1: float
    AR10: float
    AR100: float
    ARs: float
    ARm: float
    ARl: float
    per_class: dict[str, float]  # AP .50:.95 per category name, -1 without ground truth

    def as_dict(self) -> dict[str, float]:
        """The 12 summary stats by name, in COCO's order."""
        return {name: getattr(self, name) for name in STAT_NAMES}

    @classmethod
    def from_arrays(cls, values: np.ndarray, per_class: np.ndarray, names: tuple[str, ...]) -> DetectionStats:
        """Build from a (12,) stats row and a (K,) per-class AP row."""
        return cls(**{n: float(v) for n, v in zip(STAT_NAMES, values, strict=True)},
                   per_class={n: float(v) for n, v in zip(names, per_class, strict=True)})


def _mean_valid(s: np.ndarray) -> float:
    # Boolean selection flattens in C order, so np.mean sums the same values in the same order as COCOeval.
    valid = s[s > -1]
    return float(np.mean(valid)) if len(valid) else -1.0


def summary_stats(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """The 12 stats from ``precision`` (T, R, K, A) at maxDets=100 and ``recall`` (6, T, K).

    ``recall`` rows are the settings of AR1, AR10, AR100, ARs, ARm, ARl.
    """
    t50 = np.flatnonzero(IOU_THRESHOLDS == 0.5)
    t75 = np.flatnonzero(IOU_THRESHOLDS == 0.75)
    out = [
        _mean_valid(precision[:, :, :, 0]),
        _mean_valid(precision[t50][:, :, :, 0]),
        _mean_valid(precision[t75][:, :, :, 0]),
        _mean_valid(precision[:, :, :, 1]),
        _mean_valid(precision[:, :, :, 2]),
        _mean_valid(precision[:, :, :, 3]),
    ]
    out += [_mean_valid(recall[s]) for s in range(6)]
    return np.array(out)


def per_class_ap(precision_all: np.ndarray) -> np.ndarray:
    """AP .50:.95 per category from ``precision_all`` (T, R, K) at area 'all', maxDets=100 (-1: undefined)."""
    return np.array([_mean_valid(precision_all[:, :, k]) for k in range(precision_all.shape[2])])
