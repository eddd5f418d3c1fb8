"""Exact, vectorised COCO detection evaluation: the numbers of pycocotools' COCOeval, without its loops.

``prepare`` matches detections to ground truth once per image; ``summarize`` turns the matching into
the 12 COCO stats, optionally with integer image weights, so an image-level bootstrap resample costs a
re-weighting, not a re-matching. ``summarize_many`` does many resamples at once in bounded memory.

Weights reproduce COCOeval run on a dataset where image i appears ``weights[i]`` times, the copies
listed one after another where image i stood (so equal-score ties resolve as they would there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.detection.accumulate import Curves, build_curves, precision_recall
from evalkit.detection.matching import match
from evalkit.detection.params import STAT_NAMES
from evalkit.detection.stats import DetectionStats, per_class_ap, summary_stats
from evalkit.detection.tables import DetectionTable, GroundTruthTable, detection_table, ground_truth_table


@dataclass(frozen=True, eq=False)
class Prepared:
    """A matched dataset, ready to summarise any number of times (images in sorted-id order)."""

    iou_type: str
    image_ids: tuple
    category_ids: tuple
    category_names: tuple[str, ...]
    warnings: tuple[str, ...]
    curves: Curves

    @property
    def n_images(self) -> int:
        """Number of images; the length of an ``image_weights`` vector."""
        return len(self.image_ids)


def prepare(gt: dict, dets: list[dict], iou_type: str = "bbox", *, gt_source: str = "ground truth",
            dets_source: str = "results") -> Prepared:
    """Validate parsed COCO ground truth and results and match them once.

    Raises ``evalkit.errors.DataError`` naming ``gt_source``/``dets_source``, the field and the fix.
    """
    gt_table = ground_truth_table(gt, iou_type, gt_source)
    dt_table = detection_table(dets, gt_table, gt.get("images"), iou_type, dets_source)
    return prepare_tables(gt_table, dt_table, iou_type)


def prepare_tables(gt: GroundTruthTable, dt: DetectionTable, iou_type: str = "bbox") -> Prepared:
    """``prepare`` for tables already validated (e.g. by ``evalkit.detection.loading``)."""
    matching = match(gt, dt)
    curves = build_curves(matching, dt.img, dt.cat, dt.score, dt.area, gt.img, gt.cat,
                          len(gt.image_ids), len(gt.category_ids))
    return Prepared(iou_type=iou_type, image_ids=gt.image_ids, category_ids=gt.category_ids,
                    category_names=gt.category_names, warnings=gt.warnings, curves=curves)


def _weights(prepared: Prepared, weights: np.ndarray, ndim: int) -> np.ndarray:
    w = np.asarray(weights)
    if w.ndim != ndim or w.shape[-1] != prepared.n_images:
        raise ValueError(f"weights must have shape {'(R, ' if ndim == 2 else '('}{prepared.n_images}), "
                         f"one count per image in prepared.image_ids order; got {w.shape}")
    if w.dtype.kind not in "iub" and not np.array_equal(w, np.round(w)):
        raise ValueError("weights must be whole numbers (how many times each image is drawn)")
    if (w < 0).any():
        raise ValueError("weights must be >= 0")
    return w.astype(np.float64)


def accumulate(prepared: Prepared, image_weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """COCOeval's ``eval['precision']`` at maxDets=100, (T, R, K, A), and the six reported recalls (6, T, K).

    -1 marks a category without counted ground truth in that area range, as in COCOeval.
    """
    w = (np.ones((1, prepared.n_images)) if image_weights is None
         else _weights(prepared, image_weights, 1)[None, :])
    ((precision, recall),) = precision_recall(prepared.curves, w)
    return precision[0], recall[0]


def stats_of(prepared: Prepared, precision: np.ndarray, recall: np.ndarray) -> DetectionStats:
    """The 12 COCO stats and per-class AP from :func:`accumulate`'s arrays."""
    return DetectionStats.from_arrays(summary_stats(precision, recall), per_class_ap(precision[:, :, :, 0]),
                                      prepared.category_names)


def summarize(prepared: Prepared, image_weights: np.ndarray | None = None) -> DetectionStats:
    """The 12 COCO stats and per-class AP; with ``image_weights``, as if image i appeared that many times."""
    return stats_of(prepared, *accumulate(prepared, image_weights))


def summarize_many(prepared: Prepared, weights: np.ndarray, *, per_class: bool = False) -> np.ndarray:
    """Stats for each row of ``weights`` (R, n_images): an (R, 12) array, columns in ``STAT_NAMES`` order.

    With ``per_class=True`` the array is (R, 12 + K), the last K columns being per-class AP in
    ``prepared.category_names`` order. Rows are processed in blocks so memory stays bounded.
    """
    w = _weights(prepared, weights, 2)
    n_cols = len(STAT_NAMES) + (len(prepared.category_ids) if per_class else 0)
    out = np.empty((len(w), n_cols))
    row = 0
    for precision, recall in precision_recall(prepared.curves, w):
        for p, r in zip(precision, recall, strict=True):
            out[row, : len(STAT_NAMES)] = summary_stats(p, r)
            if per_class:
                out[row, len(STAT_NAMES):] = per_class_ap(p[:, :, :, 0])
            row += 1
    return out
