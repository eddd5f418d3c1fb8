"""Human baselines for detection: a second annotator's boxes, scored against the truth like a detector.

The file (``path:``) is a COCO results file (every score 1) or a COCO annotation file. The row is named
``<baseline>/annotator``. An annotation file whose ``images`` list only some of the truth's images is
scored on those images only (``coverage``), and the candidates are scored on the same images for the
report's same-image comparison (:func:`evalkit.baselines.human_reference.complete`).

Agreement statistics (kappa, alpha) are for labels; for boxes, the annotator's own COCO numbers against
the truth are the estimate of annotation noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from evalkit import detection_data
from evalkit.baselines.human import HumanEntry
from evalkit.candidates import file_fingerprint
from evalkit.config import BaselineConfig
from evalkit.evalset import EvalSet
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import MetricSpec

ROW = "annotator"


def run(name: str, cfg: BaselineConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec],
        resolve: Callable[[str, str], Path]) -> HumanEntry:
    """One leaderboard row for the annotator's file."""
    assert cfg.path is not None
    path = resolve(cfg.path, f"baselines.{name}.path")
    predictions = detection_data.predictions_from_file(path, evalset, allow_annotations=True)
    computed = compute_metrics(registry, evalset, predictions)
    items = predictions.covered_items(evalset.n_items)
    details = {"baseline": name, "path": str(path), "fingerprint": file_fingerprint(path),
               "coverage": {"items": items, "of": evalset.n_items, "share": items / evalset.n_items}}
    return HumanEntry(name=f"{name}/{ROW}", role="baseline", kind="human", metrics=computed.values,
                      notes=computed.notes, predictions=predictions, details=details, baseline=name, row=ROW)
