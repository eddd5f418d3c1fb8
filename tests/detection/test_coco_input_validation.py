"""COCO files that pycocotools would evaluate wrongly, or crash on, are refused through the real CLI.

Each case damages one field of a valid truth, results file or annotator file and expects exit 2 with one
``evalkit: error:`` line naming the file, the record's field and the fix, and no metrics.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from coco_experiments import detection_experiment, write_json
from coco_synth import make_dataset

from tests.conftest import run_experiment_file

NAN, INF = float("nan"), float("inf")


def run(root: Path, *overrides: str):
    """The experiment in ``root`` as ``evalkit run`` runs it (minus Hydra's composition, which does not
    touch the COCO files); ``overrides`` are ``key.path=value`` settings written into the file."""
    if overrides:
        config = yaml.safe_load((root / "exp.yaml").read_text())
        for override in overrides:
            key, value = override.split("=", 1)
            *parents, leaf = key.split(".")
            node = config
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        (root / "exp.yaml").write_text(yaml.safe_dump(config))
    return run_experiment_file(root / "exp.yaml", root / "run")


def assert_refused(result, root: Path, *fragments: str) -> None:
    assert result.code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evalkit: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "fix:" in lines[0]
    assert not (root / "run" / "metrics.json").exists()


@pytest.fixture
def experiment(tmp_path: Path) -> tuple[Path, dict, list[dict]]:
    root, gt, dets = detection_experiment(tmp_path)
    # Only the two candidates: every case is about one file, and the rule and annotator would add time.
    config = yaml.safe_load((root / "exp.yaml").read_text())
    config["baselines"] = {"second": config["baselines"]["second"]}
    (root / "exp.yaml").write_text(yaml.safe_dump(config))
    return root, gt, dets


def set_bbox(record: dict, k: int, value: object) -> None:
    record["bbox"] = [*record["bbox"][:k], value, *record["bbox"][k + 1:]]


def two_images_past_int64(gt: dict) -> None:
    # The case: ids 2**63 + 1 and 2**63 + 2 became one float and merged the two images.
    first, second = sorted(im["id"] for im in gt["images"])[:2]
    for old, new in ((first, 2**63 + 1), (second, 2**63 + 2)):
        for image in gt["images"]:
            if image["id"] == old:
                image["id"] = new
        for annotation in gt["annotations"]:
            if annotation["image_id"] == old:
                annotation["image_id"] = new


TRUTH_CASES: dict[str, tuple[Callable[[dict], None], tuple[str, ...]]] = {
    "image ids past int64": (two_images_past_int64, ("images[", "].id", "int64")),
    "image id read as a float (>= 2**64)": (lambda gt: gt["images"][0].update(id=2**64 + 5),
                                            ("images[0].id", "float", "int64")),
    "NaN box x": (lambda gt: set_bbox(gt["annotations"][3], 0, NAN), ("annotations[3].bbox", "NaN")),
    "NaN box y": (lambda gt: set_bbox(gt["annotations"][3], 1, NAN), ("annotations[3].bbox", "NaN")),
    "infinite width": (lambda gt: set_bbox(gt["annotations"][4], 2, INF),
                       ("annotations[4].bbox", "infinite")),
    "x + width overflows": (lambda gt: set_bbox(gt["annotations"][4], 0, 1.7e308) or
                            set_bbox(gt["annotations"][4], 2, 1.7e308), ("annotations[4].bbox", "overflow")),
    "NaN area": (lambda gt: gt["annotations"][2].update(area=NAN), ("annotations[2].area", "finite")),
    "negative area": (lambda gt: gt["annotations"][2].update(area=-5.0), ("annotations[2].area", ">= 0")),
    "iscrowd 2": (lambda gt: gt["annotations"][1].update(iscrowd=2), ("annotations[1].iscrowd", "0 or 1")),
    "repeated category id": (lambda gt: gt["categories"][1].update(id=gt["categories"][0]["id"]),
                             ("categories[1].id", "categories[0]", "unique id")),
    "mixed str/int image ids": (lambda gt: gt["images"][2].update(id="img-2"),
                                ("images[*].id mixes strings", "images[2].id", "same JSON type")),
    "list-valued image id": (lambda gt: gt["images"][0].update(id=[gt["images"][0]["id"]]),
                             ("images[0].id", "list", "int64")),
    "list-valued annotation image_id": (lambda gt: gt["annotations"][0].update(image_id=[1, 2]),
                                        ("annotations[0].image_id", "[1, 2]")),
    "boolean category id": (lambda gt: gt["annotations"][5].update(category_id=True),
                            ("annotations[5].category_id", "bool")),
    "list-valued area": (lambda gt: gt["annotations"][0].update(area=[10.0]),
                         ("annotations[0].area", "not a number")),
    "list-valued category name": (lambda gt: gt["categories"][0].update(name=["cat"]),
                                  ("categories[0].name", "string")),
    "integer beyond any float": (lambda gt: gt["annotations"][0].update(area=10**400),
                                 ("annotations[0].area", "not a number")),
}


@pytest.mark.parametrize("case", TRUTH_CASES)
def test_a_damaged_truth_is_refused_naming_the_field(experiment, case):
    root, gt, _ = experiment
    change, fragments = TRUTH_CASES[case]
    change(gt)
    write_json(root / "truth.json", gt)
    assert_refused(run(root), root, "truth.json", *fragments)


RESULT_CASES: dict[str, tuple[Callable[[list[dict]], None], tuple[str, ...]]] = {
    "image id past int64": (lambda d: d[3].update(image_id=2**63), ("results[3].image_id", "int64")),
    "image id as a float": (lambda d: d[3].update(image_id=float(d[3]["image_id"])),
                            ("results[3].image_id", "float", "int64")),
    "NaN box x": (lambda d: set_bbox(d[3], 0, NAN), ("results[3].bbox", "NaN")),
    "infinite width": (lambda d: set_bbox(d[6], 2, INF), ("results[6].bbox", "infinite")),
    "list-valued score": (lambda d: d[3].update(score=[0.5]), ("results[3].score", "not a number")),
    "list-valued image id": (lambda d: d[3].update(image_id=[d[3]["image_id"]]),
                             ("results[3].image_id", "list")),
    "dict-valued category id": (lambda d: d[2].update(category_id={"id": 3}),
                                ("results[2].category_id", "dict")),
    "box as a string of four characters": (lambda d: d[1].update(bbox="1234"), ("results[1].bbox", "'1234'")),
    "ragged box": (lambda d: d[1].update(bbox=[1, [2, 3], 4, 5]), ("results[1].bbox", "not a number")),
}


@pytest.mark.parametrize("case", RESULT_CASES)
def test_a_damaged_results_file_is_refused_naming_the_field(experiment, case):
    root, _, dets = experiment
    change, fragments = RESULT_CASES[case]
    bad = [dict(d) for d in dets]
    change(bad)
    write_json(root / "results" / "bad.json", bad)
    assert_refused(run(root, "candidates.strong.predictions=results/bad.json"), root, "bad.json", *fragments)


ANNOTATOR_CASES: dict[str, tuple[Callable[[dict], None], tuple[str, ...]]] = {
    "image id past int64": (lambda a: a["images"][0].update(id=2**63), ("images[0].id", "int64")),
    "image id as a float": (lambda a: a["images"][1].update(id=float(a["images"][1]["id"])),
                            ("images[1].id", "float", "int64")),
    "annotation image id as a list": (lambda a: a["annotations"][0].update(image_id=[1]),
                                      ("annotations[0].image_id", "list")),
    "category id as a list": (lambda a: a["categories"][0].update(id=[3]), ("categories[0].id", "list")),
    "NaN box y": (lambda a: set_bbox(a["annotations"][2], 1, NAN), ("annotations[2].bbox", "NaN")),
    "infinite height": (lambda a: set_bbox(a["annotations"][2], 3, INF), ("annotations[2].bbox", "infinite")),
    "category id past int64": (lambda a: a["annotations"][1].update(category_id=-(2**63) - 1),
                               ("annotations[1].category_id", "int64")),
}


@pytest.mark.parametrize("case", ANNOTATOR_CASES)
def test_a_damaged_annotator_file_is_refused_naming_the_field(experiment, case):
    root, *_ = experiment
    change, fragments = ANNOTATOR_CASES[case]
    annotator = json.loads((root / "human" / "second.json").read_text())
    change(annotator)
    write_json(root / "human" / "second.json", annotator)
    assert_refused(run(root), root, "second.json", *fragments)


@pytest.mark.parametrize("where", ["truth.json", "results/strong.json", "human/second.json"])
def test_deeply_nested_json_is_one_line_not_a_traceback(experiment, where):
    root, *_ = experiment
    (root / where).write_text("[" * 100_000 + "]" * 100_000)
    assert_refused(run(root), root, Path(where).name, "malformed JSON")


def test_nesting_below_the_parser_limit_is_refused_at_the_field(experiment):
    root, gt, _ = experiment
    nested: list = [1.0]
    for _ in range(900):
        nested = [nested]
    gt["annotations"][0]["area"] = nested
    write_json(root / "truth.json", gt)
    assert_refused(run(root), root, "truth.json", "annotations[0].area", "not a number")


# --- masks -------------------------------------------------------------------------------------------


@pytest.fixture
def segm_experiment(tmp_path: Path) -> tuple[Path, dict, list[dict]]:
    gt, dets = make_dataset(3, n_images=8, segm=True)
    write_json(tmp_path / "truth.json", gt)
    write_json(tmp_path / "masks.json", dets)
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump({
        "task": "detection", "data": {"path": "truth.json", "iou_type": "segm"},
        "candidates": {"masker": {"predictions": "masks.json"}}, "strategy": {"name": "map"},
        "bootstrap": {"resamples": 0}}))
    return tmp_path, gt, dets


def first_rle(dets: list[dict]) -> int:
    return next(i for i, d in enumerate(dets) if isinstance(d["segmentation"], dict))


MASK_RESULT_CASES: dict[str, tuple[Callable[[dict], None], tuple[str, ...]]] = {
    "garbage counts": (lambda s: s.update(counts="not an RLE ~~~"), ("not a valid compressed RLE",)),
    "truncated counts": (lambda s: s.update(counts=s["counts"][: len(s["counts"]) // 2]), ("add up to",)),
    "size not the image's": (lambda s: s.update(size=[s["size"][0] + 1, s["size"][1]]),
                             ("'size' is", "the image is [300, 400]")),
    "uncompressed counts not summing to h*w": (lambda s: s.update(counts=[5, 10, 5]), ("add up to 20",)),
    "negative uncompressed counts": (lambda s: s.update(counts=[120_000, -1, 1]), ("non-negative",)),
    "counts of the wrong type": (lambda s: s.update(counts=12), ("'counts' is 12",)),
}


@pytest.mark.parametrize("case", MASK_RESULT_CASES)
def test_a_malformed_rle_in_results_is_refused(segm_experiment, case):
    root, _, dets = segm_experiment
    change, fragments = MASK_RESULT_CASES[case]
    i = first_rle(dets)
    change(dets[i]["segmentation"])
    write_json(root / "masks.json", dets)
    assert_refused(run(root), root, "masks.json", f"results[{i}].segmentation", *fragments)


@pytest.mark.parametrize(("polygons", "fragment"), [
    ([[10.0, 10.0, 50.0, 10.0, 50.0]], "5 coordinates"),
    ([[10.0, 10.0, 50.0, 10.0]], "4 coordinates"),
    ([[10.0, 10.0, 50.0, 10.0, NAN, 40.0]], "finite numbers"),
    ([[[10.0, 10.0, 50.0, 10.0, 50.0, 40.0]]], "flat list"),
])
def test_a_malformed_polygon_in_the_truth_is_refused(segm_experiment, polygons, fragment):
    root, gt, _ = segm_experiment
    gt["annotations"][2]["segmentation"] = polygons
    write_json(root / "truth.json", gt)
    assert_refused(run(root), root, "truth.json", "annotations[2].segmentation", fragment)


def test_an_rle_in_the_truth_must_have_the_image_size(segm_experiment):
    from pycocotools import mask as mask_utils

    root, gt, _ = segm_experiment
    rle = mask_utils.frPyObjects(gt["annotations"][0]["segmentation"], 200, 400)[0]
    gt["annotations"][0]["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode()}
    write_json(root / "truth.json", gt)
    assert_refused(run(root), root, "truth.json", "annotations[0].segmentation", "'size' is [200, 400]")


def test_segm_needs_integer_image_sizes(segm_experiment):
    root, gt, _ = segm_experiment
    gt["images"][1]["height"] = 300.5
    write_json(root / "truth.json", gt)
    assert_refused(run(root), root, "truth.json", "images[1]", "positive integers")


def test_a_valid_rle_of_the_image_size_is_accepted(segm_experiment):
    # The checks must not refuse what pycocotools writes itself: compressed RLE strings of the image size.
    from pycocotools import mask as mask_utils

    from evalkit.detection.reference import reference_stats

    root, gt, dets = segm_experiment
    for annotation in gt["annotations"][:5]:
        rle = mask_utils.merge(mask_utils.frPyObjects(annotation["segmentation"], 300, 400))
        annotation["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode()}
    write_json(root / "truth.json", gt)
    result = run(root)
    assert result.code == 0, result.stderr
    record = json.loads((root / "run" / "metrics.json").read_text())
    assert record["entries"][0]["metrics"]["mAP"] == pytest.approx(reference_stats(gt, dets, "segm")["mAP"],
                                                                     abs=1e-12)
