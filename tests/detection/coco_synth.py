"""Small synthetic COCO datasets for the detection tests, built in code (no files, no network).

They are shaped to hit every branch of COCOeval: crowd boxes, objects in every area range and on the
range boundaries (area exactly 32**2 and 96**2), a category without ground truth, a category without
anything, images without detections or without ground truth, score ties inside and across images,
and one image with more than 100 detections.
"""

from __future__ import annotations

import numpy as np

CATEGORY_NAMES = ("cat", "dog", "car", "ghost", "empty")  # "ghost": detections only; "empty": nothing
TOL = 1e-12  # how close to pycocotools every stat must be (in practice they are bit-identical)


def make_dataset(seed: int, n_images: int = 24, score_decimals: int | None = 2, segm: bool = False,
                 crowd_rate: float = 0.08, big_image: bool = True) -> tuple[dict, list[dict]]:
    """Return (ground truth dict, results list). ``score_decimals=None`` gives distinct scores."""
    rng = np.random.default_rng(seed)
    cat_ids = [3, 7, 11, 12, 20]
    images = [{"id": int(10 + 3 * i), "width": 400, "height": 300, "file_name": f"{i}.jpg"}
              for i in range(n_images)]
    anns: list[dict] = []
    dets: list[dict] = []

    def box(cx: float, cy: float, w: float, h: float) -> list[float]:
        return [round(float(v), 2) for v in (cx - w / 2, cy - h / 2, w, h)]

    for k, im in enumerate(images):
        n_gt = 0 if k % 7 == 3 else int(rng.integers(1, 7))
        for _ in range(n_gt):
            cat = cat_ids[int(rng.integers(0, 3))]
            side = float(np.exp(rng.uniform(np.log(8), np.log(200))))
            w, h = side * float(np.exp(rng.normal(0, 0.3))), side * float(np.exp(rng.normal(0, 0.3)))
            w, h = min(w, 380.0), min(h, 280.0)
            cx, cy = float(rng.uniform(w / 2 + 1, 399 - w / 2)), float(rng.uniform(h / 2 + 1, 299 - h / 2))
            area = w * h * float(rng.uniform(0.6, 1.0))
            roll = rng.random()
            if roll < 0.06:
                area = 32.0**2  # on the small/medium boundary: in both ranges
            elif roll < 0.12:
                area = 96.0**2
            crowd = int(rng.random() < crowd_rate)
            ann = {"id": len(anns) + 1, "image_id": im["id"], "category_id": cat, "bbox": box(cx, cy, w, h),
                   "area": round(area, 2), "iscrowd": crowd}
            if segm:
                ann["segmentation"] = [_polygon(rng, cx, cy, w, h)]
            anns.append(ann)
            # Detections near this object: duplicates, shifted boxes, wrong class now and then.
            if k % 5 == 2:
                continue  # some images get no detections at all
            for _ in range(int(rng.integers(0, 4))):
                j = rng.normal(0, 0.15, 4)
                dcat = cat if rng.random() > 0.1 else cat_ids[int(rng.integers(0, 4))]
                dets.append(_det(rng, im["id"], dcat, cx + j[0] * w, cy + j[1] * h, w * np.exp(j[2]),
                                 h * np.exp(j[3]), segm, float(rng.uniform(0.2, 1.0))))
        if k % 5 == 2:
            continue
        n_bg = 130 if (big_image and k == 1) else int(rng.integers(0, 8))
        for _ in range(n_bg):
            w, h = float(rng.uniform(5, 150)), float(rng.uniform(5, 150))
            cx, cy = float(rng.uniform(w / 2 + 1, 399 - w / 2)), float(rng.uniform(h / 2 + 1, 299 - h / 2))
            dets.append(_det(rng, im["id"], cat_ids[int(rng.integers(0, 4))], cx, cy, w, h, segm,
                             float(rng.uniform(0.0, 0.7))))

    order = rng.permutation(len(dets))
    dets = [dets[i] for i in order]
    if score_decimals is None:
        # Distinct scores: a random permutation of evenly spaced values.
        for d, s in zip(dets, rng.permutation(len(dets)), strict=True):
            d["score"] = float((s + 1) / (len(dets) + 1))
    else:
        for d in dets:
            d["score"] = round(float(d["score"]), score_decimals)
    cats = [{"id": c, "name": n, "supercategory": "thing"}
            for c, n in zip(cat_ids, CATEGORY_NAMES, strict=True)]
    return {"images": images, "annotations": anns, "categories": cats}, dets


def _det(rng: np.random.Generator, image_id: int, cat: int, cx: float, cy: float, w: float, h: float,
         segm: bool, score: float) -> dict:
    w, h = max(float(w), 1.0), max(float(h), 1.0)
    x, y = max(float(cx - w / 2), 0.0), max(float(cy - h / 2), 0.0)
    d = {"image_id": image_id, "category_id": cat, "score": score,
         "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]}
    if segm:
        from pycocotools import mask as mask_utils

        rle = mask_utils.merge(mask_utils.frPyObjects([_polygon(rng, cx, cy, w, h)], 300, 400))
        rle["counts"] = rle["counts"].decode("ascii")
        d = {k: v for k, v in d.items() if k != "bbox"}
        d["segmentation"] = rle
    return d


def _polygon(rng: np.random.Generator, cx: float, cy: float, w: float, h: float) -> list[float]:
    # An irregular octagon inside the box, so mask IoU differs from box IoU.
    ang = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    r = rng.uniform(0.7, 1.0, 8)
    xs = np.clip(cx + r * np.cos(ang) * w / 2, 0, 399)
    ys = np.clip(cy + r * np.sin(ang) * h / 2, 0, 299)
    return [round(float(v), 2) for xy in zip(xs, ys, strict=True) for v in xy]


def duplicate_images(gt: dict, dets: list[dict], weights: np.ndarray) -> tuple[dict, list[dict]]:
    """The dataset in which the i-th image (sorted by id) appears ``weights[i]`` times, copies adjacent.

    Copies get fresh ids that sort where the original stood; annotations are renumbered 1..N. Each
    copy's detections keep their relative file order, so ties resolve as in the original.
    """
    order = sorted(im["id"] for im in gt["images"])
    by_id = {im["id"]: im for im in gt["images"]}
    new_ids: dict = {}
    images = []
    for old, w in zip(order, weights, strict=True):
        new_ids[old] = [len(images) + c + 1 for c in range(int(w))]
        images += [{**by_id[old], "id": nid} for nid in new_ids[old]]
    anns = []
    for a in gt["annotations"]:
        for nid in new_ids[a["image_id"]]:
            anns.append({**a, "image_id": nid, "id": len(anns) + 1})
    new_dets = [{**d, "image_id": nid} for d in dets for nid in new_ids[d["image_id"]]]
    return {**gt, "images": images, "annotations": anns}, new_dets
