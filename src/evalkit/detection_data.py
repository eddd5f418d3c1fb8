"""Object detection in a run: a COCO annotation file as the eval set, COCO results files as predictions.

The eval set's *items are images*, in sorted image-id order (COCOeval's ``params.imgIds``), so an
image-level bootstrap resample is a vector of image weights shared by every entry. Each entry's
detections are validated against the truth and matched once (:mod:`evalkit.detection`); metrics and
every bootstrap resample are then read off that matching.

Inputs:

- truth (``data.path``): a COCO annotation file; ``data.iou_type`` is ``bbox`` or ``segm``;
- candidates (``predictions:``): COCO results files, a list of ``{image_id, category_id, bbox | segmentation,
  score}``; an image without results is an image where the detector found nothing;
- a rule baseline: a function ``fn(images, categories)`` of two DataFrames (the annotation file's images,
  indexed by image id, and its categories, indexed by category id) returning COCO results, as a list of
  dicts or a DataFrame with ``image_id, category_id, score`` and ``bbox`` or ``x, y, w, h``;
- a human baseline (``path:``): a second annotator's boxes, as a results file with score 1 or as a COCO
  annotation file. An annotation file whose ``images`` list only some of the truth's images covers
  only those: the row is scored on them, and candidates are compared with it on the same images.

Annotation ids that are 0 or repeated are renumbered (pycocotools silently mis-scores both) and the
run says so; everything else pycocotools would silently drop or mis-score is refused with a message
naming the file, the field and the fix (see :mod:`evalkit.detection.tables`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.config import DataConfig, RunConfig
from evalkit.detection.fast import Prepared, accumulate, prepare_tables, stats_of
from evalkit.detection.loading import read_json
from evalkit.detection.params import IOU_TYPES
from evalkit.detection.segmentation import short_repr
from evalkit.detection.stats import DetectionStats
from evalkit.detection.tables import (
    DetectionTable,
    GroundTruthTable,
    checked_ids,
    column,
    detection_table,
    ground_truth_table,
    renumber_annotation_ids,
)
from evalkit.errors import ConfigError, DataError
from evalkit.evalset import EvalSet
from evalkit.predictions import Predictions

RESULT_KEYS = ("image_id", "category_id", "score")
BOX_COLUMNS = ("x", "y", "w", "h")


@dataclass(frozen=True, eq=False)
class DetectionTruth:
    """The parsed annotation file: its evaluated part as arrays, plus what rules and masks need."""

    table: GroundTruthTable
    images: list[dict]
    categories: list[dict]
    iou_type: str

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.table.warnings

    def fingerprint(self) -> str:
        """sha256 of the images, categories and every annotation that counts, independent of file order."""
        t = self.table
        digest = hashlib.sha256()
        digest.update(f"{self.iou_type}\n".encode())
        digest.update(("\t".join(map(str, t.image_ids)) + "\n").encode())
        digest.update(("\t".join(f"{c}={n}" for c, n in zip(t.category_ids, t.category_names, strict=True))
                       + "\n").encode())
        rows = np.column_stack([t.img, t.cat, t.box, t.area, t.crowd]).astype(np.float64)
        order = np.lexsort(rows.T[::-1])
        digest.update(np.ascontiguousarray(rows[order]).tobytes())
        if t.segm is not None:
            for i in order.tolist():
                counts = t.segm[i]["counts"]
                digest.update(counts if isinstance(counts, bytes) else str(counts).encode())
        return digest.hexdigest()


@dataclass(frozen=True, eq=False)
class Detections:
    """One entry's detections: the validated results (indexed into the whole truth) and their matching
    on the images the entry covers (all of them, or a human annotator's subset)."""

    table: DetectionTable
    prepared: Prepared

    @cached_property
    def accumulated(self) -> tuple[np.ndarray, np.ndarray]:
        """COCOeval's precision (T, R, K, A) and recall arrays, computed once for stats and curves."""
        return accumulate(self.prepared)

    @cached_property
    def stats(self) -> DetectionStats:
        """The 12 COCO numbers and per-category AP."""
        return stats_of(self.prepared, *self.accumulated)


# --- config checks ----------------------------------------------------------------------------------


def check_experiment(cfg: RunConfig) -> None:
    """Config checks for ``task: detection`` that need no data."""
    if cfg.data.iou_type not in IOU_TYPES:
        raise ConfigError(f"data.iou_type='{cfg.data.iou_type}' is not one of {', '.join(IOU_TYPES)}")
    for key in ("positive_label", "train_path", "features"):
        if getattr(cfg.data, key) is not None:
            raise ConfigError(f"data.{key} does not apply to task detection (the truth is a COCO annotation "
                              "file, the candidates are COCO results files); remove it")
    for name, candidate in cfg.candidates.items():
        if candidate.estimator is not None:
            raise ConfigError(f"candidates.{name}: task detection evaluates COCO results files; replace "
                              "'estimator' with 'predictions: path/to/results.json'")
    for name, baseline in cfg.baselines.items():
        if baseline.kind == "simple_ml":
            raise ConfigError(f"baselines.{name}: kind simple_ml does not apply to task detection (there is "
                              "no feature table to fit a scikit-learn model on); use kind: rule (e.g. a "
                              "per-category prior box) or kind: external (a published mAP)")
        if baseline.kind == "human" and (baseline.group_column or baseline.groups or baseline.best_annotator):
            raise ConfigError(f"baselines.{name}: a detection human baseline is one annotator's COCO file; "
                              "groups and best_annotator apply to label panels; add one baseline per "
                              "annotator file instead")


# --- ground truth ------------------------------------------------------------------------------------


def load_evalset(data: DataConfig, *, truth_path: Path | None) -> EvalSet:
    """The images of a COCO annotation file as the eval set (``y``: counted objects per image)."""
    if truth_path is None:
        raise ConfigError("task detection needs data.path: a COCO annotation JSON file (try the built-in "
                          "example: python -m evalkit run +experiment=detection_demo)")
    source = str(truth_path)
    gt = read_json(truth_path)
    table = ground_truth_table(gt, data.iou_type, source)
    if table.warnings:
        gt = renumber_annotation_ids(gt)
    truth = DetectionTruth(table=table, images=list(gt["images"]), categories=list(gt["categories"]),
                           iou_type=data.iou_type)
    n = len(table.image_ids)
    counted = np.bincount(table.img[~table.crowd], minlength=n).astype(np.int64)
    return EvalSet(task="detection", ids=np.array([str(i) for i in table.image_ids], dtype=object),
                   y=counted, classes=table.category_names, source=source, detection=truth)


def truth_of(evalset: EvalSet) -> DetectionTruth:
    if evalset.detection is None:
        raise ValueError("not a detection eval set")
    return evalset.detection


def images_frame(truth: DetectionTruth) -> pd.DataFrame:
    """The annotation file's images (every field it gives), indexed by image id in evaluation order."""
    frame = pd.DataFrame(truth.images).drop_duplicates("id").set_index("id")
    return frame.loc[list(truth.table.image_ids)]


def image_fields(truth: DetectionTruth) -> pd.DataFrame:
    """The images' fields that hold one scalar per image (``width``, ``height``, ``file_name``, a custom
    field), in evaluation order: what a detection run can be sliced by. Lists and mappings are left out.

    >>> from evalkit.detection.tables import ground_truth_table
    >>> gt = {"images": [{"id": 1, "width": 640, "site": "A", "tags": ["x"]}], "annotations": [],
    ...       "categories": [{"id": 1, "name": "cat"}]}
    >>> truth = DetectionTruth(ground_truth_table(gt, "bbox", "t"), gt["images"], gt["categories"], "bbox")
    >>> list(image_fields(truth).columns)
    ['width', 'site']
    """
    frame = images_frame(truth)
    scalar = [c for c in frame.columns
              if not frame[c].map(lambda v: isinstance(v, list | dict | tuple)).any()]
    return frame[scalar].reset_index(drop=True)


# The fields of a COCO image record that say which picture it is: the file and its size in pixels.
IMAGE_KEY_FIELDS = ("file_name", "width", "height")


def image_hashes(truth: DetectionTruth) -> np.ndarray:
    """Per image (evaluation order), sha256 of its record's ``file_name``, ``width`` and ``height`` as JSON
    (``{"file_name": ..., "height": ..., "width": ...}``, keys sorted; the id is left out, as duplicates
    differ in it). An image without a ``file_name`` cannot be compared: its key is unique (its id).

    >>> from evalkit.detection.tables import ground_truth_table
    >>> images = [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 3},
    ...           {"id": 2, "file_name": "a.jpg", "width": 4, "height": 3},
    ...           {"id": 3, "width": 4, "height": 3}]
    >>> gt = {"images": images, "annotations": [], "categories": [{"id": 1, "name": "cat"}]}
    >>> truth = DetectionTruth(ground_truth_table(gt, "bbox", "t"), images, [], "bbox")
    >>> keys = image_hashes(truth)
    >>> keys[0] == keys[1], keys[2]
    (True, 'no file_name: image 3')
    """
    import json

    by_id = {im.get("id"): im for im in truth.images}
    out = []
    for image_id in truth.table.image_ids:
        record = by_id[image_id]
        if record.get("file_name") in (None, ""):
            out.append(f"no file_name: image {image_id}")
            continue
        key = json.dumps({f: record.get(f) for f in IMAGE_KEY_FIELDS}, sort_keys=True, default=str)
        out.append(hashlib.sha256(key.encode()).hexdigest())
    return np.array(out, dtype=object)


def box_hashes(truth: DetectionTruth) -> np.ndarray:
    """Per image, sha256 of its ground-truth annotations (category id, box, crowd flag), in a fixed order:
    two copies of one picture with different boxes have different gold."""
    t = truth.table
    rows = np.column_stack([t.img, t.cat, t.box, t.crowd]).astype(np.float64)
    rows = rows[np.lexsort(rows.T[::-1])]
    out = []
    for i in range(len(t.image_ids)):
        own = np.ascontiguousarray(rows[rows[:, 0] == i, 1:])
        out.append(hashlib.sha256(own.tobytes()).hexdigest())
    return np.array(out, dtype=object)


def categories_frame(truth: DetectionTruth) -> pd.DataFrame:
    """The annotation file's categories, indexed by category id."""
    return pd.DataFrame(truth.categories).set_index("id").sort_index()


# --- predictions ---------------------------------------------------------------------------------------


def _matched(truth: DetectionTruth, table: DetectionTable, positions: np.ndarray | None) -> Predictions:
    """Predictions holding ``table`` matched on all images, or only on the images at ``positions``."""
    if positions is None or len(positions) == len(truth.table.image_ids):
        prepared = prepare_tables(truth.table, table, truth.iou_type)
        return Predictions(labels=None, scores=None, detections=Detections(table, prepared))
    return Predictions(labels=None, scores=None, item_index=positions,
                       detections=Detections(table, restricted(truth, table, positions)))


def _ground_truth_on(gt: GroundTruthTable, positions: np.ndarray) -> tuple[GroundTruthTable, np.ndarray]:
    """The ground truth reduced to the images at sorted ``positions`` (image indices renumbered), and the
    map from old image index to new (-1: dropped)."""
    remap = np.full(len(gt.image_ids), -1, dtype=np.int64)
    remap[positions] = np.arange(len(positions))
    keep = remap[gt.img] >= 0
    kept = np.flatnonzero(keep)
    image_ids = tuple(gt.image_ids[p] for p in positions.tolist())
    sub_gt = replace(gt, image_ids=image_ids, image_index={v: i for i, v in enumerate(image_ids)},
                     img=remap[gt.img[keep]], cat=gt.cat[keep], box=gt.box[keep], area=gt.area[keep],
                     crowd=gt.crowd[keep], segm=None if gt.segm is None else [gt.segm[i] for i in kept])
    return sub_gt, remap


def _detections_on(table: DetectionTable, remap: np.ndarray) -> DetectionTable:
    """The detections on the kept images, in file order (which decides score ties), images renumbered."""
    on = remap[table.img] >= 0
    return DetectionTable(img=remap[table.img[on]], cat=table.cat[on], box=table.box[on],
                          area=table.area[on], score=table.score[on],
                          segm=None if table.segm is None else [table.segm[i] for i in np.flatnonzero(on)])


def restricted(truth: DetectionTruth, table: DetectionTable, positions: np.ndarray) -> Prepared:
    """``table`` matched against the truth reduced to the images at sorted ``positions``.

    Equal to COCOeval run on an annotation file that lists only those images: annotations and results
    keep their file order (which decides ties), image indices are renumbered.
    """
    sub_gt, remap = _ground_truth_on(truth.table, positions)
    return prepare_tables(sub_gt, _detections_on(table, remap), truth.iou_type)


def subset_truth(truth: DetectionTruth, positions: np.ndarray) -> DetectionTruth:
    """The truth of the images at sorted ``positions`` alone, as if the annotation file listed only them
    (every category kept, as COCOeval keeps the file's categories)."""
    sub_gt, _ = _ground_truth_on(truth.table, positions)
    kept = set(sub_gt.image_ids)
    images = [im for im in truth.images if im.get("id") in kept]
    return DetectionTruth(table=sub_gt, images=images, categories=truth.categories, iou_type=truth.iou_type)


def subset_predictions(predictions: Predictions, evalset: EvalSet,
                       positions: np.ndarray) -> Predictions | None:
    """An entry's detections on the images at sorted ``positions``, indexed within them and matched
    against :func:`subset_truth` (a slice scored as its own eval set); None when the entry covers none
    of them. An entry that covers some images (a second annotator) keeps those among ``positions``."""
    assert predictions.detections is not None
    truth = truth_of(evalset)
    remap = np.full(len(truth.table.image_ids), -1, dtype=np.int64)
    remap[positions] = np.arange(len(positions))
    sub_truth = subset_truth(truth, positions)
    table = _detections_on(predictions.detections.table, remap)
    if predictions.item_index is None:
        return _matched(sub_truth, table, None)
    covered = remap[predictions.item_index]
    covered = np.sort(covered[covered >= 0])
    if len(covered) == 0:
        return None
    return _matched(sub_truth, table, covered)


def restrict_predictions(predictions: Predictions, evalset: EvalSet, positions: np.ndarray) -> Predictions:
    """A full-set entry's detections re-matched on the images at ``positions`` only (for paired numbers)."""
    assert predictions.detections is not None
    return _matched(truth_of(evalset), predictions.detections.table, positions)


def predictions_from_file(path: Path, evalset: EvalSet, *, allow_annotations: bool = False) -> Predictions:
    """A COCO results file (or, with ``allow_annotations``, an annotation file) as matched predictions."""
    truth = truth_of(evalset)
    source = str(path)
    document = read_json(path)
    positions = None
    if isinstance(document, dict) and "annotations" in document:
        if not allow_annotations:
            raise DataError(f"{source}: this is a COCO annotation file, but a candidate's predictions are a "
                            "COCO results file (a list of {image_id, category_id, bbox, score}); fix: point "
                            "'predictions' at the detector's results")
        records, positions = _annotations_as_results(document, truth, source)
    else:
        records = document
    table = detection_table(records, truth.table, truth.images, truth.iou_type, source,
                            "results" if positions is None else "annotations")
    return _matched(truth, table, positions)


def _annotations_as_results(document: dict, truth: DetectionTruth,
                            source: str) -> tuple[list[dict], np.ndarray]:
    """A second annotator's annotation file as results with score 1, and the images it covers."""
    for key in ("images", "annotations"):
        if not isinstance(document.get(key), list):
            raise DataError(f"{source}: '{key}' is missing or not a list; fix: a COCO annotation file has "
                            "'images' and 'annotations' lists")
    names = dict(zip(truth.table.category_ids, truth.table.category_names, strict=True))
    categories = document.get("categories") or []
    if not isinstance(categories, list):
        raise DataError(f"{source}: 'categories' is {type(categories).__name__}, not a list; fix: list the "
                        "truth's categories, or leave 'categories' out")
    category_ids = checked_ids(column(categories, "id", source, "categories"), source, "categories", "id")
    for category, category_id in zip(categories, category_ids, strict=True):
        known = names.get(category_id)
        if known is not None and str(category.get("name")) != known:
            raise DataError(f"{source}: category id {category_id} is {short_repr(category.get('name'))} here "
                            f"but '{known}' in the truth; fix: use the truth's category ids")
    listed = (checked_ids(column(document["images"], "id", source, "images"), source, "images", "id")
              + checked_ids(column(document["annotations"], "image_id", source, "annotations"), source,
                            "annotations", "image_id"))
    index = truth.table.image_index
    unknown = list(dict.fromkeys(i for i in listed if i not in index))
    if unknown:
        raise DataError(f"{source}: {len(unknown)} image id(s) not in the truth (e.g. "
                        f"{short_repr(unknown[:3])}); fix: annotate the truth's images, with the same ids "
                        "and id type")
    positions = np.unique(np.fromiter((index[i] for i in listed), dtype=np.int64, count=len(listed)))
    keys = ("image_id", "category_id", "bbox", *(("segmentation",) if truth.iou_type == "segm" else ()))
    records = []
    for i, annotation in enumerate(document["annotations"]):
        if not isinstance(annotation, dict):
            raise DataError(f"{source}: annotations[{i}] is not an object; fix: make every annotation a JSON "
                            "object")
        records.append({k: annotation[k] for k in keys if k in annotation} | {"score": 1.0})
    return records, positions


def predictions_from_output(output: object, evalset: EvalSet, *, source: str) -> Predictions:
    """A rule function's return value: COCO result dicts, or a DataFrame of them."""
    truth = truth_of(evalset)
    if isinstance(output, pd.DataFrame):
        records = _records_from_frame(output, source)
    elif isinstance(output, list | tuple) and all(isinstance(r, dict) for r in output):
        records = list(output)
    else:
        raise DataError(f"{source}: returned {type(output).__name__}; fix: return a list of COCO result "
                        "dicts, or a DataFrame with image_id, category_id, score and bbox or x, y, w, h")
    table = detection_table(records, truth.table, truth.images, truth.iou_type, source)
    return _matched(truth, table, None)


def _records_from_frame(frame: pd.DataFrame, source: str) -> list[dict]:
    box = ["bbox"] if "bbox" in frame.columns else list(BOX_COLUMNS)
    missing = [c for c in (*RESULT_KEYS, *box) if c not in frame.columns]
    if missing:
        raise DataError(f"{source}: the returned DataFrame has no column(s) {missing}; fix: return "
                        "image_id, category_id, score and bbox (or x, y, w, h)")
    # Python numbers, not numpy scalars: ids then compare (and print) exactly as they do from JSON.
    columns = {k: frame[k].tolist() for k in RESULT_KEYS}
    columns["bbox"] = (frame["bbox"].map(list).tolist() if box == ["bbox"]
                       else frame[list(BOX_COLUMNS)].to_numpy(dtype=np.float64).tolist())
    if "segmentation" in frame.columns:
        columns["segmentation"] = frame["segmentation"].tolist()
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def rule_arguments(evalset: EvalSet) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a detection rule is called with: the images and the categories of the truth."""
    truth = truth_of(evalset)
    return images_frame(truth), categories_frame(truth)


# --- what metrics.json and the report record ---------------------------------------------------------


def data_summary(evalset: EvalSet) -> dict[str, Any]:
    """Detection facts for ``metrics.json``'s ``data``: objects per category, warnings."""
    truth = truth_of(evalset)
    t = truth.table
    counted = np.bincount(t.cat[~t.crowd], minlength=len(t.category_ids))
    objects = dict(zip(t.category_names, counted.tolist(), strict=True))
    return {"iou_type": truth.iou_type, "n_objects": int(counted.sum()), "n_crowd": int(t.crowd.sum()),
            "label_positives": objects,
            "labels_without_positives": [c for c, n in objects.items() if n == 0],
            "warnings": list(truth.warnings)}
