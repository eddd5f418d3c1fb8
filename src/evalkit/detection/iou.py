"""Intersection over union of detection/ground-truth pairs, bit-for-bit as pycocotools computes it.

For a crowd ground truth the "union" is the detection's own area (COCO's crowd rule: a detection
inside a crowd region is fully covered by it). The box formula repeats the operation order of
pycocotools' C ``bbIou`` so that every IoU, and so every threshold comparison, is the same double.
"""

from __future__ import annotations

import numpy as np


def box_iou_pairs(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """IoU of row-aligned pairs: ``dt[i]`` with ``gt[i]`` (xywh boxes), ``crowd[i]`` for the gt."""
    dx, dy, dw, dh = dt.T
    gx, gy, gw, gh = gt.T
    w = np.minimum(dw + dx, gw + gx) - np.maximum(dx, gx)
    h = np.minimum(dh + dy, gh + gy) - np.maximum(dy, gy)
    inter = w * h
    da = dw * dh
    union = np.where(crowd, da, da + gw * gh - inter)
    overlap = (w > 0) & (h > 0)
    out = np.zeros(len(inter))
    np.divide(inter, union, out=out, where=overlap)
    return out


def mask_iou_pairs(dt_rles: list, gt_rles: list, crowd: np.ndarray, dt_idx: np.ndarray, gt_idx: np.ndarray,
                   block_starts: np.ndarray, block_gts: np.ndarray) -> np.ndarray:
    """IoU of pairs of RLE masks, computed one (image, category) block at a time.

    Pairs come as full dt x gt blocks (dt-major), block ``b`` starting at ``block_starts[b]`` with
    ``block_gts[b]`` ground truths; each block is one ``pycocotools.mask.iou`` call.
    """
    from pycocotools import mask as mask_utils

    out = np.zeros(len(dt_idx))
    ends = np.append(block_starts[1:], len(dt_idx))
    for s, e, n in zip(block_starts.tolist(), ends.tolist(), block_gts.tolist(), strict=True):
        d = dt_idx[s:e:n]
        g = gt_idx[s:s + n]
        ious = mask_utils.iou([dt_rles[i] for i in d], [gt_rles[j] for j in g], crowd[g].astype(np.uint8))
        out[s:e] = np.asarray(ious, dtype=np.float64).reshape(-1)
    return out
