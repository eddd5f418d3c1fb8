"""Detection runs sliced by image fields: each slice's 12 COCO numbers are pycocotools' COCOeval on that
slice's images alone, its intervals those of a run on an annotation file listing only them, and a slice
column that is not an image field is refused with the fields there are."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from coco_experiments import worse_copy
from coco_synth import TOL, make_dataset

from evalkit import detection_data
from evalkit.confidence import assess
from evalkit.config import BootstrapConfig, DataConfig, StrategyConfig
from evalkit.detection import STAT_NAMES
from evalkit.detection.reference import reference_stats
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.metrics.registry import metric_registry
from evalkit.slices.conditions import declared_slices, slice_table
from evalkit.slices.scoring import score_slice
from evalkit.slices.spec import DeclaredSlice
from evalkit.strategies import build_strategy
from evalkit.tasks import get_task

TASK = get_task("detection")
BOOTSTRAP = BootstrapConfig(resamples=50, seed=5)
ANNOTATED = 14  # the second annotator's file lists the first 14 images only


def dataset() -> tuple[dict, list[dict], dict]:
    """24 images with a custom ``site`` field (and a nested one that cannot be sliced by), two detectors'
    results and a second annotator who saw the first images only."""
    gt, dets = make_dataset(4, n_images=24)
    for k, image in enumerate(gt["images"]):
        image["site"] = "north" if k % 3 else "south"
        image["tags"] = ["outdoor"]
    kept = {im["id"] for im in gt["images"][:ANNOTATED]}
    annotator = {"images": gt["images"][:ANNOTATED], "categories": gt["categories"],
                 "annotations": [a for a in gt["annotations"] if a["image_id"] in kept and a["id"] % 4]}
    return gt, dets, annotator


def only_images(gt: dict, dets: list[dict], image_ids: set) -> tuple[dict, list[dict]]:
    """The annotation file and results as if they listed only ``image_ids`` (what pycocotools gets)."""
    sub = {**gt, "images": [im for im in gt["images"] if im["id"] in image_ids],
           "annotations": [a for a in gt["annotations"] if a["image_id"] in image_ids]}
    return sub, [d for d in dets if d["image_id"] in image_ids]


def run_on(root: Path, gt: dict, a: list[dict], b: list[dict], annotator: dict):
    """The eval set and scored entries of ``gt`` (detectors ``a`` and ``b`` and the second annotator), as
    a run has them."""
    root.mkdir(parents=True, exist_ok=True)
    for name, document in {"truth": gt, "a": a, "b": b, "human": annotator}.items():
        (root / f"{name}.json").write_text(json.dumps(document))
    evalset = TASK.load_evalset(DataConfig(path="truth.json"), truth_path=root / "truth.json",
                                train_path=None)
    registry = metric_registry("detection")
    strategy = build_strategy(StrategyConfig(name="map", metric="mAP"), registry, "detection")
    entries = []
    for name, role, kind in (("a", "candidate", "predictions"), ("b", "candidate", "predictions"),
                             ("human", "baseline", "human")):
        predictions = detection_data.predictions_from_file(root / f"{name}.json", evalset,
                                                           allow_annotations=kind == "human")
        metrics = TASK.compute_metrics(registry, evalset, predictions).values
        entry = Entry(name, role, kind, metrics, predictions=predictions)
        entry.outcome = strategy.evaluate(metrics, require_all=role == "candidate")
        entries.append(entry)
    return evalset, entries, registry, strategy


@pytest.fixture(scope="module")
def sliced(tmp_path_factory: pytest.TempPathFactory):
    gt, dets, annotator = dataset()
    root = tmp_path_factory.mktemp("detection_slices")
    evalset, entries, registry, strategy = run_on(root / "all", gt, dets, worse_copy(dets), annotator)
    table = slice_table(evalset.ids, TASK.slice_columns(evalset), None, ["site"],
                        features_source=TASK.slice_columns_source)
    pieces, outside = declared_slices(DeclaredSlice(("site",)), table)
    assert outside == 0
    records = {p.name: (p, score_slice(p, entries, evalset, registry, strategy, "a", BOOTSTRAP, 5))
               for p in pieces}
    return gt, dets, annotator, evalset, records, root


def test_the_image_fields_are_the_slice_columns_and_nested_fields_are_left_out(sliced):
    _, _, _, evalset, records, _ = sliced
    columns = TASK.slice_columns(evalset)
    assert list(columns.columns) == ["width", "height", "file_name", "site"]
    assert sorted(records) == ["site = north", "site = south"]
    assert records["site = south"][0].n_items == 8


def test_each_slice_has_pycocotools_numbers_on_its_images_alone(sliced):
    gt, dets, annotator, evalset, records, _ = sliced
    for piece, record in records.values():
        image_ids = {int(i) for i in evalset.ids[piece.items]}
        for name, results in (("a", dets), ("b", worse_copy(dets))):
            expected = reference_stats(*only_images(gt, results, image_ids))
            got = record["entries"][name]["metrics"]
            for stat in STAT_NAMES:
                assert abs(got[stat] - expected[stat]) <= TOL, (piece.name, name, stat)
        # the second annotator is scored on the slice's images it annotated, as a detector with score 1
        seen = image_ids & {im["id"] for im in annotator["images"]}
        boxes = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0}
                 for a in annotator["annotations"]]
        expected = reference_stats(*only_images(gt, boxes, seen))
        assert record["entries"]["human"]["covered_items"] == len(seen)
        assert abs(record["entries"]["human"]["metrics"]["mAP"] - expected["mAP"]) <= TOL


def test_slice_intervals_and_comparisons_are_those_of_a_run_on_the_slice_images(sliced):
    gt, dets, annotator, evalset, records, root = sliced
    piece, record = records["site = north"]
    image_ids = {int(i) for i in evalset.ids[piece.items]}
    sub_gt, _ = only_images(gt, dets, image_ids)
    sub_annotator = {**annotator, "images": [im for im in annotator["images"] if im["id"] in image_ids]}
    sub_annotator["annotations"] = [a for a in annotator["annotations"] if a["image_id"] in image_ids]
    a, b = (only_images(gt, results, image_ids)[1] for results in (dets, worse_copy(dets)))
    alone, entries, registry, strategy = run_on(root / "north", sub_gt, a, b, sub_annotator)
    whole = assess(entries, alone, registry, strategy, "a", BOOTSTRAP)
    assert whole is not None and record["tested"]
    for name in ("a", "b", "human"):
        assert record["entries"][name]["ci"]["mAP"] == pytest.approx(whole.intervals[name]["mAP"], abs=1e-12)
    assert record["comparisons"] == whole.comparisons
    assert {c["b"] for c in record["comparisons"]} == {"b", "human"}


def test_a_slice_column_that_is_not_an_image_field_lists_the_fields(sliced):
    evalset = sliced[3]
    with pytest.raises(ConfigError) as error:
        slice_table(evalset.ids, TASK.slice_columns(evalset), None, ["weather"],
                    features_source=TASK.slice_columns_source)
    message = str(error.value)
    assert "['weather'] not found" in message and "width, height, file_name, site" in message
    assert "images records" in message


def test_a_per_image_table_joined_by_image_id_slices_too(sliced):
    import pandas as pd

    evalset = sliced[3]
    metadata = pd.DataFrame({"camera": np.where(np.arange(evalset.n_items) < 10, "old", "new")},
                            index=pd.Index(evalset.ids, dtype=object))
    table = slice_table(evalset.ids, TASK.slice_columns(evalset), metadata, ["camera", "width"])
    pieces, _ = declared_slices(DeclaredSlice(("camera",)), table)
    assert {p.name: p.n_items for p in pieces} == {"camera = new": 14, "camera = old": 10}
