"""The detection task: COCO boxes or masks; the items are images (see :mod:`evalkit.detection_data`).

A detector is matched once (:mod:`evalkit.detection.matching`); its 12 COCO numbers, per-category AP,
PR curves and every bootstrap resample (image weights) are read off that matching. There are no
per-item labels or scores: ``Predictions.detections`` carries the matching.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit import detection_data
from evalkit.config import BaselineConfig, DataConfig, RunConfig
from evalkit.detection import params
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.human_rows import HumanRow
from evalkit.metrics import registry as metric_specs
from evalkit.metrics.compute import MetricValues, detection_metrics
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions
from evalkit.tasks.base import ItemIdentity, ResampledValues, Task, Vocabulary
from evalkit.uncertainty.detection import detection_bootstrap
from evalkit.uncertainty.resampling import Resampler

# A second annotator's boxes, scored like one more detector (baselines/human_detection.py).
ANNOTATOR = HumanRow(
    "annotator",
    paired_how="each candidate scored on the images the annotator covered",
    paired_short="the annotator's images",
    summary="annotator: {path}, scored like a detector on {coverage[items]} of {coverage[of]} images")


class DetectionTask(Task):
    name = "detection"
    vocabulary = Vocabulary(items="images", class_="category", classes="categories", positives="objects",
                            per_class_title=("Per-category AP (IoU .50:.95, all areas, 100 detections "
                                             "per image)"),
                            per_class_axis="AP (IoU .50:.95)")
    headline_metric = "mAP"
    map_metric = "mAP"
    supports_estimators = False
    # A slice is a set of images, re-matched as its own annotation file; its columns are the images'
    # fields (or data.metadata_path's per-image table). No per-image error: no weakest-slice search.
    supports_slices = True
    # No gold class to question, but duplicate images are worth listing (label_review.enabled).
    lists_duplicates = True
    slice_columns_source = "the fields of the COCO truth's images records"
    pair_complete_annotators = False
    # No true negatives: no ROC curve and no confusion matrix of labels.
    figures = ("pr_curves", "per_class_ap")
    coco_curves = True
    human_rows = (ANNOTATOR,)

    def check_experiment(self, cfg: RunConfig) -> None:
        detection_data.check_experiment(cfg)

    def metrics(self, cfg: RunConfig | None = None) -> dict[str, MetricSpec]:
        return dict(metric_specs.DETECTION)

    def load_evalset(self, data: DataConfig, *, truth_path: Path | None, train_path: Path | None) -> EvalSet:
        return detection_data.load_evalset(data, truth_path=truth_path)

    def predictions_from_file(self, path: Path, evalset: EvalSet, *, id_column: str) -> Predictions:
        return detection_data.predictions_from_file(path, evalset)

    def predictions_from_table(self, table: pd.DataFrame, evalset: EvalSet, *, source: str,
                               id_column: str = "id") -> Predictions:
        return detection_data.predictions_from_output(table, evalset, source=source)

    def predictions_from_output(self, output: object, evalset: EvalSet, *, source: str) -> Predictions:
        return detection_data.predictions_from_output(output, evalset, source=source)

    def restrict(self, predictions: Predictions, evalset: EvalSet, items: np.ndarray) -> Predictions:
        """Detections are re-matched on those images alone."""
        return detection_data.restrict_predictions(predictions, evalset, items)

    def item_identity(self, evalset: EvalSet) -> ItemIdentity:
        """Images with the same sha256 of their record's file_name, width and height (the id aside); gold
        compared as a hash of each image's boxes."""
        truth = detection_data.truth_of(evalset)
        table = pd.DataFrame({"image_hash": detection_data.image_hashes(truth)})
        compared = "images with the same sha256 of their record's file_name, width and height"
        return ItemIdentity(table, compared, detection_data.box_hashes(truth), gold_words="gold boxes")

    def subset(self, evalset: EvalSet, items: np.ndarray) -> EvalSet:
        """The images at ``items`` alone, as if the annotation file listed only them."""
        import dataclasses

        return dataclasses.replace(evalset, ids=evalset.ids[items], y=evalset.y[items],
                                   detection=detection_data.subset_truth(detection_data.truth_of(evalset),
                                                                         items))

    def subset_predictions(self, predictions: Predictions, evalset: EvalSet,
                           items: np.ndarray) -> Predictions | None:
        """Detections on those images, matched against ``subset``'s truth (COCOeval on those images)."""
        return detection_data.subset_predictions(predictions, evalset, items)

    def slice_columns(self, evalset: EvalSet) -> pd.DataFrame:
        """The images' fields (width, height, any custom field with one scalar per image)."""
        return detection_data.image_fields(detection_data.truth_of(evalset))

    def rule_arguments(self, evalset: EvalSet, features: Callable[[], pd.DataFrame]) -> tuple[Any, ...]:
        """A detection rule gets the truth's images and categories (there is no feature table)."""
        return detection_data.rule_arguments(evalset)

    def compute_metrics(self, registry: Mapping[str, MetricSpec], evalset: EvalSet,
                        predictions: Predictions) -> MetricValues:
        assert predictions.detections is not None
        return detection_metrics(registry, predictions.detections.stats)

    def entry_details(self, evalset: EvalSet, predictions: Predictions) -> dict[str, object]:
        """AP .50:.95 per category (area all, 100 detections); null where the category has no object."""
        if predictions.detections is None:
            return {}
        per_category = predictions.detections.stats.per_class
        return {"per_class": {name: (None if ap < 0 else ap) for name, ap in per_category.items()}}

    def fingerprint(self, evalset: EvalSet) -> str:
        assert evalset.detection is not None
        return evalset.detection.fingerprint()

    def data_summary(self, evalset: EvalSet) -> dict[str, Any]:
        return detection_data.data_summary(evalset) | {"coco_params": coco_params()}

    def run_human(self, name: str, cfg: BaselineConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec],
                  resolve: Callable[[str, str], Path], id_column: str) -> list[Entry]:
        """A second annotator's COCO file, scored like a detector."""
        from evalkit.baselines import human_detection

        return [human_detection.run(name, cfg, evalset, registry, resolve)]

    def resampled_values(self, entries: Iterable[Entry], evalset: EvalSet,
                         registry: Mapping[str, MetricSpec], strategy_metrics: Iterable[str],
                         resampler: Resampler, *, progress: bool | None = None) -> ResampledValues:
        """The COCO numbers of every entry with detections, on the shared image resamples.

        Only numbers defined on the full data are kept (an undefined APs stays without an interval).
        """
        entries = list(entries)
        matched = {e.name: (e.predictions.detections.prepared, e.predictions.item_index) for e in entries
                   if e.predictions is not None and e.predictions.detections is not None}
        values = detection_bootstrap(matched, resampler, progress=progress)
        metrics = {e.name: e.metrics for e in entries}
        return {name: {m: v for m, v in own.items() if metrics[name].get(m) is not None}
                for name, own in values.items()}

    def restricted_values(self, best: Entry, items: np.ndarray, names: list[str], evalset: EvalSet,
                          registry: Mapping[str, MetricSpec],
                          resampler: Resampler) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """Re-matched on those images, then resampled with the same weights."""
        assert best.predictions is not None
        own = detection_data.restrict_predictions(best.predictions, evalset, items).detections
        assert own is not None
        arrays = detection_bootstrap({best.name: (own.prepared, items)}, resampler)[best.name]
        stats = own.stats.as_dict()
        arrays = {m: arrays[m] for m in names if stats[m] >= 0}
        return arrays, {m: stats[m] for m in arrays}

    def excluded_classes_note(self, excluded: int, total: int, shown: str) -> str:
        return (f"{excluded} of {total} categories have no ground-truth object ({shown}): their AP is "
                "undefined (null in per_class), and COCO's mean AP leaves them out instead of counting them "
                "as 0")

    def curve_record(self, entries: Iterable[Entry], evalset: EvalSet, *, registry: Mapping[str, MetricSpec],
                     max_points: int) -> dict[str, Any]:
        from evalkit.curves import detection_curve_record

        return detection_curve_record(entries, evalset)


def coco_params() -> dict[str, Any]:
    """The COCO evaluation settings the detection numbers were computed with (the gate compares them)."""
    def span(values: Any) -> dict[str, Any]:
        return {"from": float(values[0]), "to": float(values[-1]), "count": len(values)}

    return {"iou_thresholds": span(params.IOU_THRESHOLDS),
            "recall_thresholds": span(params.RECALL_THRESHOLDS), "max_dets": list(params.MAX_DETS),
            "area_ranges": dict(zip(params.AREA_LABELS, params.AREA_RANGES.tolist(), strict=True))}


DETECTION = DetectionTask()
