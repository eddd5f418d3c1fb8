"""Make evalkit's SYNTHETIC object-detection demo: no real images, no real detectors.

Everything here is drawn from a simple random scene model with a fixed seed:

- ``truth.json``: COCO ground truth for 150 fake images (5 COCO categories, crowd boxes, small, medium
  and large objects);
- ``detections/{two_stage,one_stage,one_stage_int8,tiny}.json``: COCO results files of four simulated
  detectors of clearly different quality (``one_stage_int8`` is a perturbed copy of ``one_stage``);
- ``human/second_annotator.json``: a simulated second annotator, as a COCO annotation file;
- ``rules.py``: a rule baseline (one "prior box" per image and category) whose numbers are measured
  here on a separate synthetic "train" draw of 500 more images from the same scene model.

Run: ``python make_detection_demo.py [OUT_DIR]`` (default: this script's folder). The output is
byte-identical from run to run; ``generate(out_dir)`` does the same from Python. Each output has its
own random stream (``STREAMS``), so retuning one detector leaves the other files unchanged; append new
streams at the end of ``STREAMS``, never in the middle.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20240611
STREAMS = ("truth", "train", "two_stage", "one_stage", "one_stage_int8", "tiny", "second_annotator")

N_IMAGES = 150
N_TRAIN_IMAGES = 500
MEAN_OBJECTS = 5.0  # Poisson mean per image
MAX_OBJECTS = 15
IMAGE_SIZES = ((640, 480), (480, 640), (800, 600), (1024, 768))  # (width, height)
CENTRE_SD = (0.2, 0.15)  # spread of relative object centres around the category's mean (x, y)
# A share of objects are framed subjects: centre, log-size and log-aspect spread around the category's usual
# place and size (photos are framed; this is what the prior-box rule can exploit).
MAIN_SUBJECT_RATE = 0.35
MAIN_SUBJECT_SD = (0.025, 0.025, 0.08, 0.08)  # centre x, centre y, log size, log aspect
CROWD_RATE_LARGE = 0.12  # share of large objects marked iscrowd (about 2% of all objects)
MAX_DETS = 100  # per image, as COCOeval's largest maxDets

CATEGORIES = (
    {"id": 1, "name": "person", "supercategory": "person"},
    {"id": 2, "name": "bicycle", "supercategory": "vehicle"},
    {"id": 3, "name": "car", "supercategory": "vehicle"},
    {"id": 10, "name": "traffic light", "supercategory": "outdoor"},
    {"id": 18, "name": "dog", "supercategory": "animal"},
)
# Scene model per category: share of objects, range of sqrt(box area) in px (log-uniform),
# median aspect h/w, mean relative centre (x, y).
SCENE = {
    "person": (0.42, 10.0, 360.0, 2.4, 0.50, 0.58),
    "bicycle": (0.13, 12.0, 300.0, 0.75, 0.50, 0.66),
    "car": (0.26, 12.0, 420.0, 0.62, 0.50, 0.64),
    "traffic light": (0.07, 8.0, 130.0, 2.3, 0.52, 0.30),
    "dog": (0.12, 12.0, 300.0, 0.85, 0.50, 0.70),
}


@dataclass(frozen=True)
class Detector:
    recall: float  # detection probability for large objects
    size50: float  # sqrt(area) in px at which the detection probability is half of ``recall``
    jitter: float  # relative box noise for large objects (grows for small ones)
    score_bias: float  # score = sigmoid(bias + gain * (IoU - 0.7) + noise)
    score_gain: float
    score_noise: float
    wrong_class: float  # probability that a detection gets another category
    duplicate: float  # probability of an extra, looser, lower-scored box on the same object
    false_pos: float  # Poisson mean of background false positives per image
    fp_score: float  # scale of background false-positive scores


DETECTORS = {
    "two_stage": Detector(0.93, 13.0, 0.048, 1.2, 9.0, 0.55, 0.025, 0.05, 1.5, 0.45),
    "one_stage": Detector(0.91, 18.0, 0.058, 1.0, 8.0, 0.65, 0.035, 0.08, 2.0, 0.50),
    "tiny": Detector(0.85, 30.0, 0.090, 0.6, 6.0, 0.85, 0.070, 0.12, 4.0, 0.60),
}
# one_stage_int8 = one_stage with quantisation noise: extra relative box noise, score noise, and a few
# detections lost near the score floor.
INT8_BOX_NOISE = 0.022
INT8_SCORE_NOISE = 0.04
INT8_DROP_BELOW = 0.08
# Second annotator: relative edge noise (plus px), miss rates, wrong-class rate, extra boxes per image.
HUMAN_EDGE_NOISE = 0.028
HUMAN_EDGE_NOISE_PX = 0.6
HUMAN_MISS = 0.04
HUMAN_MISS_SMALL = 0.12
HUMAN_WRONG_CLASS = 0.02
HUMAN_EXTRA = 0.08

OUTPUTS = (
    "truth.json",
    "detections/two_stage.json",
    "detections/one_stage.json",
    "detections/one_stage_int8.json",
    "detections/tiny.json",
    "human/second_annotator.json",
    "rules.py",
)

CAT_IDS = np.array([c["id"] for c in CATEGORIES])
CAT_SHARE = np.array([SCENE[c["name"]][0] for c in CATEGORIES])
CAT_SHARE = CAT_SHARE / CAT_SHARE.sum()


# --------------------------------------------------------------------------------------------------
# helpers


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":")) + "\n"


def _clip_box(x: float, y: float, w: float, h: float, width: int, height: int) -> list[float]:
    """Clip to the image and round to 0.1 px, keeping width and height > 0."""
    x1, y1 = min(max(x, 0.0), width - 1.0), min(max(y, 0.0), height - 1.0)
    x2, y2 = min(max(x + w, x1 + 1.0), float(width)), min(max(y + h, y1 + 1.0), float(height))
    x1, y1, x2, y2 = (round(float(v), 1) for v in (x1, y1, x2, y2))
    return [x1, y1, round(max(x2 - x1, 0.1), 1), round(max(y2 - y1, 0.1), 1)]


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _score(x: float) -> float:
    return round(min(max(float(x), 0.001), 1.0), 3)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


def _other_category(rng: np.random.Generator, cat: int) -> int:
    keep = np.not_equal(CAT_IDS, cat)
    p = CAT_SHARE[keep] / CAT_SHARE[keep].sum()
    return int(rng.choice(CAT_IDS[keep], p=p))


# --------------------------------------------------------------------------------------------------
# scenes


def draw_scene(rng: np.random.Generator, n_images: int, first_id: int = 1000, id_step: int = 7,
               ) -> tuple[list[dict], list[dict]]:
    """Images and annotations (COCO dicts) from the scene model."""
    images: list[dict] = []
    annotations: list[dict] = []
    for k in range(n_images):
        width, height = IMAGE_SIZES[int(rng.integers(len(IMAGE_SIZES)))]
        image_id = first_id + id_step * k
        images.append({"id": image_id, "width": width, "height": height,
                       "file_name": f"synthetic_{image_id:06d}.jpg"})
        for _ in range(min(int(rng.poisson(MEAN_OBJECTS)), MAX_OBJECTS)):
            c = int(rng.choice(len(CATEGORIES), p=CAT_SHARE))
            _, s_lo, s_hi, aspect, mx, my = SCENE[CATEGORIES[c]["name"]]
            if rng.random() < MAIN_SUBJECT_RATE:  # framed subject: near the usual place, usual size
                scale = float(np.exp(rng.normal(0.0, MAIN_SUBJECT_SD[2])))
                side = float(np.sqrt(s_lo * s_hi)) * width / 640.0 * scale
                sd_x, sd_y, sd_aspect = MAIN_SUBJECT_SD[0], MAIN_SUBJECT_SD[1], MAIN_SUBJECT_SD[3]
            else:  # anything else: log-uniform size, spread out
                side = float(np.exp(rng.uniform(np.log(s_lo), np.log(s_hi))))
                sd_x, sd_y, sd_aspect = CENTRE_SD[0], CENTRE_SD[1], 0.25
            ratio = aspect * float(np.exp(rng.normal(0.0, sd_aspect)))  # h / w
            w, h = min(side / np.sqrt(ratio), width * 0.98), min(side * np.sqrt(ratio), height * 0.98)
            cx = float(np.clip(rng.normal(mx, sd_x), 0.0, 1.0)) * width
            cy = float(np.clip(rng.normal(my, sd_y), 0.0, 1.0)) * height
            x = float(np.clip(cx - w / 2, 0.0, width - w))
            y = float(np.clip(cy - h / 2, 0.0, height - h))
            bbox = _clip_box(x, y, w, h, width, height)
            box_area = bbox[2] * bbox[3]
            crowd = int(box_area > 96.0**2 and rng.random() < CROWD_RATE_LARGE)
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": int(CATEGORIES[c]["id"]),
                "bbox": bbox, "area": round(box_area * float(rng.uniform(0.55, 0.95)), 1), "iscrowd": crowd,
            })
    return images, annotations


def measure_priors(images: list[dict], annotations: list[dict]) -> dict[str, dict[str, float]]:
    """Per category: mean relative centre, median relative size, share of (non-crowd) objects."""
    size = {im["id"]: (im["width"], im["height"]) for im in images}
    anns = [a for a in annotations if not a["iscrowd"]]
    priors = {}
    for cat in CATEGORIES:
        rel = []
        for a in anns:
            if a["category_id"] == cat["id"]:
                (x, y, w, h), (iw, ih) = a["bbox"], size[a["image_id"]]
                rel.append(((x + w / 2) / iw, (y + h / 2) / ih, w / iw, h / ih))
        r = np.array(rel)
        priors[cat["name"]] = {
            "cx": round(float(r[:, 0].mean()), 4), "cy": round(float(r[:, 1].mean()), 4),
            "w": round(float(np.median(r[:, 2])), 4), "h": round(float(np.median(r[:, 3])), 4),
            "share": round(len(rel) / len(anns), 4),
        }
    return priors


# --------------------------------------------------------------------------------------------------
# simulated detectors and annotator


def _jitter(rng: np.random.Generator, bbox: list[float], sigma: float) -> tuple[float, ...]:
    x, y, w, h = bbox
    d = rng.normal(0.0, sigma, 4)
    w2, h2 = w * float(np.exp(d[2])), h * float(np.exp(d[3]))
    cx, cy = x + w / 2 + d[0] * w, y + h / 2 + d[1] * h
    return cx - w2 / 2, cy - h2 / 2, w2, h2


def simulate_detector(rng: np.random.Generator, det: Detector, images: list[dict],
                      annotations: list[dict]) -> list[dict]:
    by_image: dict[int, list[dict]] = {im["id"]: [] for im in images}
    for a in annotations:
        by_image[a["image_id"]].append(a)
    results: list[dict] = []
    for im in images:
        width, height = im["width"], im["height"]
        out: list[dict] = []

        def add(cat: int, box: tuple[float, ...], score: float, _im: dict = im, _out: list = out) -> None:
            _out.append({"image_id": _im["id"], "category_id": int(cat),
                         "bbox": _clip_box(*box, _im["width"], _im["height"]), "score": _score(score)})

        for a in by_image[im["id"]]:
            side = float(np.sqrt(a["bbox"][2] * a["bbox"][3]))
            p = det.recall / (1.0 + (det.size50 / side) ** 2.5)
            if rng.random() >= p:
                continue
            sigma = det.jitter * (1.0 + 24.0 / side)
            box = _jitter(rng, a["bbox"], sigma)
            iou = _iou(_clip_box(*box, width, height), a["bbox"])
            score = _sigmoid(det.score_bias + det.score_gain * (iou - 0.7) + rng.normal(0.0, det.score_noise))
            cat = a["category_id"]
            if rng.random() < det.wrong_class:
                cat, score = _other_category(rng, cat), score * float(rng.uniform(0.4, 0.9))
            add(cat, box, score)
            if rng.random() < det.duplicate:
                add(cat, _jitter(rng, a["bbox"], 2.5 * sigma), score * float(rng.uniform(0.3, 0.8)))
        for _ in range(int(rng.poisson(det.false_pos))):
            side = float(np.exp(rng.uniform(np.log(8.0), np.log(300.0))))
            ratio = float(np.exp(rng.normal(0.0, 0.6)))
            w, h = side / np.sqrt(ratio), side * np.sqrt(ratio)
            x, y = rng.uniform(0, width) - w / 2, rng.uniform(0, height) - h / 2
            cat = int(rng.choice(CAT_IDS, p=CAT_SHARE))
            add(cat, (x, y, w, h), det.fp_score * float(rng.beta(1.5, 5.0)))
        out.sort(key=lambda d: -d["score"])  # stable: keeps draw order among ties
        results.extend(out[:MAX_DETS])
    return [results[i] for i in rng.permutation(len(results))]


def quantise(rng: np.random.Generator, detections: list[dict], images: list[dict]) -> list[dict]:
    """A perturbed copy of a results list: what an int8 build of the same detector would return."""
    size = {im["id"]: (im["width"], im["height"]) for im in images}
    out = []
    for d in detections:
        score = float(d["score"]) + rng.normal(0.0, INT8_SCORE_NOISE)
        box = _jitter(rng, d["bbox"], INT8_BOX_NOISE)
        if score < INT8_DROP_BELOW and rng.random() < 0.5:
            continue
        out.append({"image_id": d["image_id"], "category_id": d["category_id"],
                    "bbox": _clip_box(*box, *size[d["image_id"]]), "score": _score(score)})
    return [out[i] for i in rng.permutation(len(out))]


def second_annotator(rng: np.random.Generator, images: list[dict], annotations: list[dict]) -> list[dict]:
    size = {im["id"]: (im["width"], im["height"]) for im in images}
    boxes: list[tuple[int, int, list[float]]] = []
    for a in annotations:
        if a["iscrowd"]:
            continue
        x, y, w, h = a["bbox"]
        if rng.random() < (HUMAN_MISS_SMALL if a["area"] < 32.0**2 else HUMAN_MISS):
            continue
        e = rng.normal(0.0, 1.0, 4) * (HUMAN_EDGE_NOISE * np.array([w, h, w, h]) + HUMAN_EDGE_NOISE_PX)
        x1, y1, x2, y2 = x + e[0], y + e[1], x + w + e[2], y + h + e[3]
        cat = a["category_id"]
        if rng.random() < HUMAN_WRONG_CLASS:
            cat = _other_category(rng, cat)
        boxes.append((a["image_id"], cat, _clip_box(x1, y1, x2 - x1, y2 - y1, *size[a["image_id"]])))
    for im in images:
        for _ in range(int(rng.poisson(HUMAN_EXTRA))):
            side = float(np.exp(rng.uniform(np.log(10.0), np.log(150.0))))
            x, y = rng.uniform(0, im["width"] - side), rng.uniform(0, im["height"] - side)
            cat = int(rng.choice(CAT_IDS, p=CAT_SHARE))
            boxes.append((im["id"], cat, _clip_box(x, y, side, side, im["width"], im["height"])))
    boxes.sort(key=lambda b: b[0])  # stable: extra boxes go after the image's redrawn ones
    return [{"id": i + 1, "image_id": image_id, "category_id": cat, "bbox": bbox,
             "area": round(bbox[2] * bbox[3], 1), "iscrowd": 0}
            for i, (image_id, cat, bbox) in enumerate(boxes)]


# --------------------------------------------------------------------------------------------------
# rules.py

RULES_TEMPLATE = '''\
"""Rule baseline for the SYNTHETIC detection demo: one per-category "prior box" per image.

GENERATED by make_detection_demo.py -- do not edit; rerun the generator instead.

For every (image, category) it predicts the category's typical box: mean relative centre and median
relative width/height, scaled by the image's width/height, with score = the category's share of
objects. The numbers were measured on a separate synthetic "train" draw ({n_train} images) from the
same scene model as truth.json. It ignores the image content, so it is a floor, not a detector.
"""

import pandas as pd

# category name: relative centre (cx, cy), relative size (w, h), share of objects
PRIORS = {{
{priors}
}}

COLUMNS = ["image_id", "category_id", "x", "y", "w", "h", "score"]


def prior_boxes(images: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    """One row per (image, known category): image_id, category_id, x, y, w, h, score.

    ``images`` is indexed by image id with columns width and height; ``categories`` is indexed by
    category id with column name. Categories whose name is not in PRIORS get no box.
    """
    rows = []
    for image_id, width, height in zip(images.index, images["width"], images["height"], strict=True):
        for category_id, name in zip(categories.index, categories["name"], strict=True):
            prior = PRIORS.get(name)
            if prior is None:
                continue
            w, h = prior["w"] * float(width), prior["h"] * float(height)
            x = min(max(prior["cx"] * float(width) - w / 2, 0.0), float(width) - w)
            y = min(max(prior["cy"] * float(height) - h / 2, 0.0), float(height) - h)
            rows.append((image_id, category_id, x, y, w, h, prior["share"]))
    return pd.DataFrame(rows, columns=COLUMNS)
'''


def render_rules(priors: dict[str, dict[str, float]]) -> str:
    lines = [
        f'    "{name}": {{"cx": {p["cx"]:.4f}, "cy": {p["cy"]:.4f}, "w": {p["w"]:.4f}, '
        f'"h": {p["h"]:.4f}, "share": {p["share"]:.4f}}},'
        for name, p in priors.items()
    ]
    return RULES_TEMPLATE.format(n_train=N_TRAIN_IMAGES, priors="\n".join(lines))


# --------------------------------------------------------------------------------------------------


def generate(out_dir: Path) -> None:
    """Write every file in OUTPUTS under ``out_dir``."""
    out_dir = Path(out_dir)
    seeds = np.random.SeedSequence(SEED).spawn(len(STREAMS))
    rngs = {name: np.random.default_rng(seed) for name, seed in zip(STREAMS, seeds, strict=True)}
    categories = [dict(c) for c in CATEGORIES]
    images, annotations = draw_scene(rngs["truth"], N_IMAGES)
    missing = {c["id"] for c in CATEGORIES} - {a["category_id"] for a in annotations}
    assert not missing, f"categories without ground truth: {missing}"
    train_images, train_annotations = draw_scene(rngs["train"], N_TRAIN_IMAGES, first_id=1)

    files: dict[str, str] = {}
    files["truth.json"] = _dumps({
        "info": {"description": "SYNTHETIC detection demo for evalkit — not real images or real detectors; "
                                "made by make_detection_demo.py",
                 "version": "1.0", "seed": SEED, "contributor": "evalkit"},
        "images": images, "annotations": annotations, "categories": categories,
    })
    detections = {name: simulate_detector(rngs[name], det, images, annotations)
                  for name, det in DETECTORS.items()}
    detections["one_stage_int8"] = quantise(rngs["one_stage_int8"], detections["one_stage"], images)
    for name in ("two_stage", "one_stage", "one_stage_int8", "tiny"):
        files[f"detections/{name}.json"] = _dumps(detections[name])
    files["human/second_annotator.json"] = _dumps({
        "info": {"description": "SYNTHETIC simulated second annotator for the evalkit detection demo — "
                                "ground truth redrawn with jitter, misses, wrong classes and extra boxes; "
                                "made by make_detection_demo.py",
                 "version": "1.0", "seed": SEED, "contributor": "evalkit"},
        "images": images, "annotations": second_annotator(rngs["second_annotator"], images, annotations),
        "categories": categories,
    })
    files["rules.py"] = render_rules(measure_priors(train_images, train_annotations))
    assert set(files) == set(OUTPUTS)
    for rel in OUTPUTS:
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel].encode("utf-8"))


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
