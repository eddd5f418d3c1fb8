"""Small detection experiments built by the tests: a COCO truth, results files, a rule, a second annotator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from coco_synth import make_dataset

HUMAN_IMAGES = 15  # the second annotator labels the first 15 images only

RULE = '''
import pandas as pd


def centre_boxes(images, categories):
    """One box in the middle half of every image, for every category, score 0.5."""
    rows = [{"image_id": image_id, "category_id": category_id, "x": width / 4, "y": height / 4,
             "w": width / 2, "h": height / 2, "score": 0.5}
            for image_id, width, height in zip(images.index, images["width"], images["height"])
            for category_id in categories.index]
    return pd.DataFrame(rows)
'''


def centre_box_results(gt: dict) -> list[dict]:
    """What ``centre_boxes`` returns, as COCO results (the expected input of pycocotools)."""
    return [{"image_id": im["id"], "category_id": c["id"], "score": 0.5,
             "bbox": [im["width"] / 4, im["height"] / 4, im["width"] / 2, im["height"] / 2]}
            for im in sorted(gt["images"], key=lambda im: im["id"]) for c in sorted(gt["categories"],
                                                                                    key=lambda c: c["id"])]


def worse_copy(dets: list[dict]) -> list[dict]:
    """A second detector: the same boxes with scores scrambled by a fixed pattern (so a worse ranking)."""
    return [{**d, "score": round((d["score"] * 7 + (i % 5) * 0.13) % 1.0 + 0.001, 3)}
            for i, d in enumerate(dets)]


def annotator_file(gt: dict, n_images: int = HUMAN_IMAGES) -> dict:
    """A second annotator who redrew every box of the first ``n_images`` images, 1.5 px to the right."""
    images = sorted(gt["images"], key=lambda im: im["id"])[:n_images]
    ids = {im["id"] for im in images}
    annotations = [{**a, "bbox": [a["bbox"][0] + 1.5, *a["bbox"][1:]]} for a in gt["annotations"]
                   if a["image_id"] in ids]
    return {"images": images, "annotations": annotations, "categories": gt["categories"]}


def restricted_truth(gt: dict, image_ids: set) -> dict:
    """The truth reduced to ``image_ids``: what COCOeval sees when only those images are evaluated."""
    return {**gt, "images": [im for im in gt["images"] if im["id"] in image_ids],
            "annotations": [a for a in gt["annotations"] if a["image_id"] in image_ids]}


def as_results(annotation_file: dict) -> list[dict]:
    return [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0}
            for a in annotation_file["annotations"]]


def write_json(path: Path, content: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))
    return path


def detection_experiment(root: Path, *, seed: int = 0, resamples: int = 0,
                         config: dict[str, Any] | None = None) -> tuple[Path, dict, list[dict]]:
    """Write truth.json, two detectors' results, a rule, an annotator file and exp.yaml under ``root``.

    Returns (root, truth, detections of candidate 'strong').
    """
    gt, dets = make_dataset(seed)
    write_json(root / "truth.json", gt)
    write_json(root / "results" / "strong.json", dets)
    write_json(root / "results" / "weak.json", worse_copy(dets))
    write_json(root / "human" / "second.json", annotator_file(gt))
    (root / "rules.py").write_text(RULE)
    experiment: dict[str, Any] = {
        "task": "detection",
        "data": {"path": "truth.json"},
        "candidates": {"strong": {"predictions": "results/strong.json", "metrics": {"latency_ms": 40.0}},
                       "weak": {"predictions": "results/weak.json", "metrics": {"latency_ms": 10.0}}},
        "baselines": {"centre": {"kind": "rule", "function": "rules.py:centre_boxes"},
                      "second": {"kind": "human", "path": "human/second.json"},
                      "published": {"kind": "external", "metrics": {"mAP": 0.05}, "source": "a paper"}},
        "strategy": {"name": "map"},
        "bootstrap": {"resamples": resamples},
    }
    experiment.update(config or {})
    (root / "exp.yaml").write_text(yaml.safe_dump(experiment, sort_keys=False))
    return root, gt, dets
