"""The fixed COCO detection evaluation settings, written once, in the exact float form pycocotools uses.

The thresholds come from ``np.linspace`` (not ``np.arange``) because that is how COCOeval builds them:
comparisons such as ``iou >= 0.75`` and ``recall >= 0.01 * r`` must see the very same doubles.
"""

from __future__ import annotations

import numpy as np

IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
MAX_DETS = (1, 10, 100)
AREA_LABELS = ("all", "small", "medium", "large")
# Closed intervals: an object of area exactly 32**2 is both small and medium, as in COCOeval.
AREA_RANGES = np.array([[0**2, 1e5**2], [0**2, 32**2], [32**2, 96**2], [96**2, 1e5**2]], dtype=np.float64)

STAT_NAMES = ("mAP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")
IOU_TYPES = ("bbox", "segm")

N_IOU = len(IOU_THRESHOLDS)
N_RECALL = len(RECALL_THRESHOLDS)
N_AREA = len(AREA_RANGES)
