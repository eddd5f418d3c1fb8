"""pycocotools' COCOeval, wrapped once: named results instead of printed ones and stats by position.

This is the reference that ``evalkit.detection.fast`` must equal; it is slow (Python loops per image).
"""

from __future__ import annotations

import contextlib
import copy
import io

import numpy as np

from evalkit.detection.params import STAT_NAMES
from evalkit.detection.stats import per_class_ap
from evalkit.detection.tables import check_iou_type


def reference_eval(gt: dict, dets: list[dict], iou_type: str = "bbox"):
    """Run COCOeval (evaluate, accumulate, summarize) silently and return the COCOeval object.

    Inputs are deep-copied first: ``COCO.loadRes`` and ``COCOeval`` write into the records they get.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    check_iou_type(iou_type)
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(copy.deepcopy(dets))
        ev = COCOeval(coco_gt, coco_dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def reference_stats(gt: dict, dets: list[dict], iou_type: str = "bbox") -> dict[str, float]:
    """The 12 COCO stats by name (``mAP`` ... ``ARl``) plus ``AP/<category name>`` per category.

    Per-category AP is the mean of COCOeval's precision over IoU and recall thresholds at area 'all',
    maxDets=100, left out (-1) for a category without ground truth, as in the overall mAP.
    """
    ev = reference_eval(gt, dets, iou_type)
    out = {name: float(v) for name, v in zip(STAT_NAMES, ev.stats, strict=True)}
    names = {c["id"]: str(c["name"]) for c in gt["categories"]}
    ap = per_class_ap(np.asarray(ev.eval["precision"])[:, :, :, 0, -1])
    out.update({f"AP/{names[k]}": float(v) for k, v in zip(ev.params.catIds, ap, strict=True)})
    return out
