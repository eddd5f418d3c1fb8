"""Per-image, per-category greedy matching of detections to ground truth, as COCOeval.evaluateImg does it.

COCOeval walks each (image, category) in a Python triple loop. We run the same greedy rule for every
(image, category), area range and IoU threshold at once, stepping only over the detection rank
(at most 100 steps): the r-th detection of every image-category pair takes its turn together, since
different pairs never compete for the same ground truth.

The greedy rule, per detection in score order (ties keep file order): among the ground truths it may
still take (unmatched, or crowd, which can absorb any number of detections) with IoU >= threshold,
prefer a non-ignored one; within a kind take the highest IoU, and on equal IoU the one listed last.
A detection matched to an ignored ground truth (crowd, or outside the area range) is ignored; an
unmatched detection whose own area is outside the range is ignored too; everything else is a true or
false positive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.detection.iou import box_iou_pairs, mask_iou_pairs
from evalkit.detection.params import AREA_RANGES, IOU_THRESHOLDS, MAX_DETS
from evalkit.detection.tables import DetectionTable, GroundTruthTable

TP, FP, IGNORED = 1, 0, -1


@dataclass(frozen=True)
class Matching:
    """Outcome of matching, for the detections COCOeval keeps (top ``MAX_DETS[-1]`` per image-category).

    ``det`` indexes the DetectionTable; ``rank`` is the detection's place in its image-category list
    (by score, ties in file order). Only "candidates", detections that reach the lowest IoU threshold
    with some ground truth, can be matched: ``candidate_status[a, t, j]`` is TP, FP or IGNORED for the
    j-th candidate (in ``det`` order), area range ``a`` and IoU threshold ``t``. Every other detection
    is a false positive inside area range ``a`` (``det_in_range[a, i]``) and ignored outside it.
    ``gt_counted[a, g]`` says whether ground truth ``g`` counts towards recall in area range ``a``.
    """

    det: np.ndarray
    rank: np.ndarray
    candidate: np.ndarray
    candidate_status: np.ndarray
    det_in_range: np.ndarray
    gt_counted: np.ndarray

    def status(self, idx: np.ndarray) -> np.ndarray:
        """(A, T, len(idx)) int8 status of the kept detections ``idx`` (positions in ``det``)."""
        out = np.where(self.det_in_range[:, idx], FP, IGNORED).astype(np.int8)[:, None, :]
        out = out.repeat(len(IOU_THRESHOLDS), axis=1)
        is_cand = self.candidate[idx]
        out[:, :, is_cand] = self.candidate_status[:, :, np.cumsum(self.candidate)[idx[is_cand]] - 1]
        return out


def in_area_ranges(area: np.ndarray) -> np.ndarray:
    """(A, n) bool: inside each closed area range, the test COCOeval applies to gts and dets alike."""
    return ~((area[None, :] < AREA_RANGES[:, :1]) | (area[None, :] > AREA_RANGES[:, 1:]))


def _kept_detections(dt: DetectionTable, n_categories: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Group by (image, category); inside a group, score descending, ties in file order (a stable sort).
    key = dt.img * n_categories + dt.cat
    order = np.lexsort((np.arange(len(key)), -dt.score, key))
    skey = key[order]
    rank = np.arange(len(order)) - np.searchsorted(skey, skey, side="left")
    keep = rank < MAX_DETS[-1]
    return order[keep], rank[keep], skey[keep]


def _pairs(det_key: np.ndarray, gt: GroundTruthTable, n_categories: int):
    # Every (detection, ground truth) pair of the same image and category, detection-major.
    gkey = gt.img * n_categories + gt.cat
    g_order = np.argsort(gkey, kind="stable")
    gs = np.searchsorted(gkey[g_order], det_key, side="left")
    ng = np.searchsorted(gkey[g_order], det_key, side="right") - gs
    pair_det = np.repeat(np.arange(len(det_key)), ng)
    first = np.cumsum(ng) - ng
    pair_gt = g_order[gs[pair_det] + np.arange(len(pair_det)) - first[pair_det]]
    return pair_det, pair_gt, ng


def _ious(dt: DetectionTable, gt: GroundTruthTable, det: np.ndarray, det_key: np.ndarray,
          pair_det: np.ndarray, pair_gt: np.ndarray, ng: np.ndarray) -> np.ndarray:
    if gt.segm is None:
        return box_iou_pairs(dt.box[det[pair_det]], gt.box[pair_gt], gt.crowd[pair_gt])
    # A group's pairs are one contiguous det x gt block; it starts at its first detection's pairs.
    group_first = np.flatnonzero(np.r_[True, det_key[1:] != det_key[:-1]] & (ng > 0))
    starts = (np.cumsum(ng) - ng)[group_first]
    return mask_iou_pairs(dt.segm, gt.segm, gt.crowd, det[pair_det], pair_gt, starts, ng[group_first])


def match(gt: GroundTruthTable, dt: DetectionTable) -> Matching:
    """Match detections to ground truth for every area range and IoU threshold (see module docstring)."""
    n_cat = len(gt.category_ids)
    det, rank, det_key = _kept_detections(dt, n_cat)
    gt_counted = in_area_ranges(gt.area) & ~gt.crowd[None, :]
    det_in_range = in_area_ranges(dt.area[det])
    n_area, n_iou = len(AREA_RANGES), len(IOU_THRESHOLDS)

    pair_det, pair_gt, ng = _pairs(det_key, gt, n_cat)
    iou = _ious(dt, gt, det, det_key, pair_det, pair_gt, ng)
    cand = iou >= IOU_THRESHOLDS[0]
    pair_det, pair_gt, iou = pair_det[cand], pair_gt[cand], iou[cand]

    # Within a detection, order its candidates by (IoU, file order): "best" is then simply "last".
    order = np.lexsort((pair_gt, iou, pair_det, rank[pair_det]))
    pair_det, pair_gt, iou = pair_det[order], pair_gt[order], iou[order]
    det_start = np.flatnonzero(np.r_[True, pair_det[1:] != pair_det[:-1]])[: len(pair_det)]
    n_per_det = np.diff(np.r_[det_start, len(pair_det)])
    pos = np.arange(len(pair_det)) - np.repeat(det_start, n_per_det)
    big = int(n_per_det.max(initial=0)) + 1  # a key >= big means "a non-ignored gt was available"

    # Candidate detections, numbered in det order (which is also their order in the pairs' sort key).
    candidate = np.zeros(len(det), dtype=bool)
    candidate[pair_det] = True
    cand_no = np.cumsum(candidate) - 1
    matched_gt = np.full((n_area, n_iou, int(candidate.sum())), -1, dtype=np.int64)
    taken = np.zeros((n_area, n_iou, len(gt.img)), dtype=bool)
    # One step per detection rank: the r-th detections of all image-category groups go together.
    step_rank = rank[pair_det[det_start]]
    step_starts = np.flatnonzero(np.r_[True, step_rank[1:] != step_rank[:-1]])[: len(step_rank)]
    step_ends = np.append(step_starts[1:], len(step_rank))[: len(step_starts)]
    det_bounds = np.r_[det_start, len(pair_det)]
    thr = IOU_THRESHOLDS[None, :, None]
    for s_det, e_det in zip(step_starts.tolist(), step_ends.tolist(), strict=True):
        s, e = det_bounds[s_det], det_bounds[e_det]
        g = pair_gt[s:e]
        free = ~taken[:, :, g] | gt.crowd[g]
        key = np.where(free & (iou[s:e] >= thr), gt_counted[:, None, g] * big + pos[s:e] + 1, 0)
        seg = det_start[s_det:e_det] - s
        best = np.maximum.reduceat(key, seg, axis=2)
        a_i, t_i, d_i = np.nonzero(best)
        chosen = g[seg[d_i] + best[a_i, t_i, d_i] % big - 1]
        taken[a_i, t_i, chosen] = True
        matched_gt[a_i, t_i, cand_no[pair_det[s + seg[d_i]]]] = chosen

    in_range = det_in_range[:, candidate]
    status = np.where(in_range, FP, IGNORED).astype(np.int8)[:, None, :].repeat(n_iou, axis=1)
    a_i, t_i, c_i = np.nonzero(matched_gt >= 0)
    status[a_i, t_i, c_i] = np.where(gt_counted[a_i, matched_gt[a_i, t_i, c_i]], TP, IGNORED)
    return Matching(det=det, rank=rank, candidate=candidate, candidate_status=status,
                    det_in_range=det_in_range, gt_counted=gt_counted)
