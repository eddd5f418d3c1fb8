"""COCO detection evaluation: an exact, vectorised re-implementation of pycocotools' COCOeval.

``fast`` (prepare / summarize / summarize_many) is what evalkit uses; ``reference`` wraps pycocotools
itself, for checks; ``loading`` reads and validates COCO JSON files.
"""

from evalkit.detection.fast import Prepared, prepare, prepare_tables, summarize, summarize_many
from evalkit.detection.loading import load_and_prepare, load_coco
from evalkit.detection.params import STAT_NAMES
from evalkit.detection.stats import DetectionStats

__all__ = ["STAT_NAMES", "DetectionStats", "Prepared", "load_and_prepare", "load_coco", "prepare",
           "prepare_tables", "summarize", "summarize_many"]
