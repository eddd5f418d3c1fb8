"""Detection runs list duplicate images: records with the same sha256 of file_name, width and height (the
id aside) are one picture twice, and copies whose boxes differ are counted as conflicting gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.config import DataConfig, validate
from evalkit.errors import ConfigError
from evalkit.label_review.evidence import check
from evalkit.label_review.review import duplicates_block, review_labels
from evalkit.tasks import get_task

BOX = {"category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0}


def evalset_of(tmp_path: Path):
    images = [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
              {"id": 2, "file_name": "b.jpg", "width": 640, "height": 480},
              {"id": 3, "file_name": "a.jpg", "width": 640, "height": 480},   # image 1 again
              {"id": 4, "file_name": "b.jpg", "width": 640, "height": 480},   # image 2 again, other boxes
              {"id": 5, "file_name": "a.jpg", "width": 320, "height": 240},   # a.jpg resized: another picture
              {"id": 6, "width": 640, "height": 480}, {"id": 7, "width": 640, "height": 480}]  # no file name
    annotations = [{"id": k + 1, "image_id": image, **BOX} for k, image in enumerate([1, 2, 3, 4, 6, 7])]
    annotations[3]["bbox"] = [11, 10, 20, 20]
    truth = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "cat"}]}
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    path = tmp_path / "truth.json"
    return get_task("detection").load_evalset(DataConfig(path="truth.json"), truth_path=path, train_path=None)


def test_copies_of_an_image_record_are_grouped_and_differing_boxes_are_counted(tmp_path):
    block = duplicates_block(evalset_of(tmp_path))
    duplicates = block["duplicates"]
    assert duplicates["examples"] == [["1", "3"], ["2", "4"]]
    assert duplicates["groups"] == 2 and duplicates["items"] == 4 and duplicates["conflicting_gold"] == 1
    assert "sha256 of their record's file_name, width and height" in duplicates["compared"]
    assert duplicates["gold_words"] == "gold boxes"  # what the report says differs
    assert block["leakage"] == {"note": "no train split: leakage not checked"}


def test_a_detection_review_lists_duplicates_only_and_says_why_there_is_no_review_list(tmp_path):
    from evalkit.report import markdown_table
    from evalkit.report_label_review import label_review_section

    cfg = validate({"task": "detection", "data": {"path": "truth.json"}, "label_review": {"enabled": True}})
    check(cfg)  # allowed: detection lists duplicate images
    review = review_labels(cfg, [], evalset_of(tmp_path), {}, None, None, None)  # type: ignore[arg-type]
    assert review.csv.startswith("rank,id,gold,suggested") and review.csv.count("\n") == 1
    section = "\n".join(label_review_section({"label_review": review.record}, markdown_table))
    assert "No review: task detection has no single gold class per item" in section
    assert ("Duplicates: 4 evaluated item(s) in 2 group(s) of images with the same sha256 of their record's "
            "file_name, width and height, 1 group(s) with different gold boxes (e.g. 1, 3; 2, 4)") in section


def test_label_review_is_still_refused_where_there_is_nothing_to_list():
    cfg = validate({"task": "regression", "data": {"path": "t.csv"}, "label_review": {"enabled": True}})
    with pytest.raises(ConfigError, match=r"binary, multiclass, multilabel \(duplicates only: detection\)"):
        check(cfg)
