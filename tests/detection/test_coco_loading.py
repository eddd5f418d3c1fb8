"""Bad COCO files fail with a DataError that names the file, the field and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from coco_synth import make_dataset

from evalkit.detection import summarize
from evalkit.detection.loading import load_and_prepare, load_coco
from evalkit.detection.reference import reference_stats
from evalkit.errors import DataError


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, dict, list]:
    gt, dets = make_dataset(0, n_images=6, big_image=False)
    return write(tmp_path, "gt.json", gt), write(tmp_path, "res.json", dets), gt, dets


def expect(gt_path: Path, res_path: Path, *fragments: str) -> None:
    with pytest.raises(DataError) as info:
        load_coco(gt_path, res_path)
    message = str(info.value)
    assert "\n" not in message and "fix:" in message
    for fragment in fragments:
        assert fragment in message, message


def test_good_files_load_and_evaluate(files) -> None:
    gt_path, res_path, gt, dets = files
    stats = summarize(load_and_prepare(gt_path, res_path))
    assert stats.mAP == reference_stats(gt, dets)["mAP"]


def test_malformed_json(files, tmp_path) -> None:
    gt_path, _, _, _ = files
    expect(gt_path, write(tmp_path, "bad.json", '[{"image_id": 1,'), "bad.json", "malformed JSON")


def test_empty_file_is_called_empty_not_malformed(files, tmp_path) -> None:
    expect(write(tmp_path, "bad_gt.json", ""), files[1], "bad_gt.json", "the file is empty")


def test_missing_file(files, tmp_path) -> None:
    expect(files[0], tmp_path / "nope.json", "nope.json", "cannot read")


def test_empty_results(files, tmp_path) -> None:
    expect(files[0], write(tmp_path, "empty.json", []), "empty.json", "no detections")


def test_results_not_a_list(files, tmp_path) -> None:
    expect(files[0], write(tmp_path, "obj.json", {"annotations": []}), "obj.json", "top level is dict")


def test_unknown_image_ids_are_counted_and_shown(files, tmp_path) -> None:
    gt_path, _, _, dets = files
    bad = [*dets, {**dets[0], "image_id": 99999}, {**dets[0], "image_id": 88888}]
    expect(gt_path, write(tmp_path, "r.json", bad), "r.json", "2 of", "99999", "88888")


def test_unknown_category_ids(files, tmp_path) -> None:
    gt_path, _, _, dets = files
    bad = [{**d, "category_id": 555} if i < 3 else d for i, d in enumerate(dets)]
    expect(gt_path, write(tmp_path, "r.json", bad), "3 of", "555", "category ids")


def test_image_ids_as_strings_in_results(files, tmp_path) -> None:
    gt_path, _, _, dets = files
    bad = [{**d, "image_id": str(d["image_id"])} for d in dets]
    expect(gt_path, write(tmp_path, "r.json", bad), "image_id", "str here but int", "same JSON type")


@pytest.mark.parametrize("box", [[1, 1, 0, 5], [1, 1, 5, -2]])
def test_non_positive_box_size(files, tmp_path, box) -> None:
    gt_path, _, _, dets = files
    bad = [*dets[:2], {**dets[2], "bbox": box}, *dets[3:]]
    expect(gt_path, write(tmp_path, "r.json", bad), "results[2].bbox", "width, height > 0")


def test_box_with_three_numbers(files, tmp_path) -> None:
    gt_path, _, _, dets = files
    bad = [{**dets[0], "bbox": [1, 2, 3]}, *dets[1:]]
    expect(gt_path, write(tmp_path, "r.json", bad), "results[0].bbox", "[x, y, width, height]")


@pytest.mark.parametrize(("score", "fragment"), [("0.5", "not a number"), (None, "not a number")])
def test_non_numeric_score(files, tmp_path, score, fragment) -> None:
    gt_path, _, _, dets = files
    bad = [*dets[:4], {**dets[4], "score": score}, *dets[5:]]
    expect(gt_path, write(tmp_path, "r.json", bad), "results[4].score", fragment)


def test_nan_score(files, tmp_path) -> None:
    gt_path, _, _, dets = files
    text = json.dumps(dets).replace(f'"score": {json.dumps(dets[1]["score"])}', '"score": NaN', 1)
    path = write(tmp_path, "r.json", text)
    # Python's json writes NaN; orjson refuses to parse it: either way the user hears about it.
    with pytest.raises(DataError, match=r"r\.json.*(NaN|malformed)"):
        load_coco(gt_path, path)


@pytest.mark.parametrize("key", ["image_id", "category_id", "score", "bbox"])
def test_missing_result_key(files, tmp_path, key) -> None:
    gt_path, _, _, dets = files
    bad = [*dets[:1], {k: v for k, v in dets[1].items() if k != key}, *dets[2:]]
    expect(gt_path, write(tmp_path, "r.json", bad), f"results[1] has no '{key}'")


@pytest.mark.parametrize("key", ["area", "iscrowd", "bbox", "category_id"])
def test_missing_annotation_key(files, tmp_path, key) -> None:
    _, res_path, gt, _ = files
    anns = [{k: v for k, v in a.items() if k != key} if i == 2 else a
            for i, a in enumerate(gt["annotations"])]
    expect(write(tmp_path, "g.json", {**gt, "annotations": anns}), res_path, "g.json",
           f"annotations[2] has no '{key}'")


def test_missing_section(files, tmp_path) -> None:
    _, res_path, gt, _ = files
    expect(write(tmp_path, "g.json", {k: v for k, v in gt.items() if k != "categories"}), res_path,
           "g.json", "'categories' is missing")


def test_repeated_annotation_ids_are_renumbered(files, tmp_path) -> None:
    _, res_path, gt, dets = files
    anns = [{**a, "id": 1 + i // 2} for i, a in enumerate(gt["annotations"])]
    loaded = load_coco(write(tmp_path, "g.json", {**gt, "annotations": anns}), res_path)
    assert "repeated ids" in loaded.warnings[0]
    assert len({a["id"] for a in loaded.gt["annotations"]}) == len(anns)
    assert summarize(load_and_prepare(tmp_path / "g.json", res_path)).mAP == reference_stats(gt, dets)["mAP"]


def test_annotation_id_zero_is_renumbered_with_a_warning(files, tmp_path) -> None:
    _, res_path, gt, dets = files
    anns = [{**a, "id": a["id"] - 1} for a in gt["annotations"]]  # ids 0..N-1
    gt_path = write(tmp_path, "g.json", {**gt, "annotations": anns})
    loaded = load_coco(gt_path, res_path)
    assert len(loaded.warnings) == 1 and "g.json" in loaded.warnings[0] and "renumbered" in loaded.warnings[0]
    assert [a["id"] for a in loaded.gt["annotations"]] == list(range(1, len(anns) + 1))
    # Our result is the correct one, i.e. pycocotools' on the renumbered file (pycocotools on the raw
    # file would count the id-0 match as a false positive).
    prepared = load_and_prepare(gt_path, res_path)
    assert prepared.warnings == loaded.warnings
    assert summarize(prepared).mAP == reference_stats(loaded.gt, dets)["mAP"]
    assert summarize(prepared).mAP != reference_stats({**gt, "annotations": anns}, dets)["mAP"]
