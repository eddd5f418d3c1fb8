"""COCO-scale benchmark: pycocotools vs faster-coco-eval vs evalkit, end to end (load + evaluate).

Run: ``PYTHONPATH=. python benchmarks/coco.py``. The workload is generated deterministically (seeded)
and written to a temporary directory, so every tool reads the same JSON files from disk.
"""

from __future__ import annotations

import numpy as np

N_IMAGES = 5000
N_CATEGORIES = 80
MAX_DETS = 100


def make_workload(seed: int = 0, n_images: int = N_IMAGES) -> tuple[dict, list[dict]]:
    """Return a synthetic ground truth dict and results list shaped like COCO val (~7 boxes per image).

    Detections are jittered copies of ground-truth boxes (so IoUs spread over all thresholds) plus
    background false positives; scores are rounded to 3 decimals, as many result writers do, so that
    score ties (the hard case for exactness) are frequent.
    """
    rng = np.random.default_rng(seed)
    cat_ids = np.arange(1, N_CATEGORIES + 1) + np.arange(N_CATEGORIES) // 10  # gaps, like COCO ids
    cat_p = 1.0 / np.arange(1, N_CATEGORIES + 1) ** 0.8
    cat_p /= cat_p.sum()
    widths = rng.integers(320, 641, n_images)
    heights = rng.integers(240, 481, n_images)
    images = [
        {"id": int(i), "width": int(w), "height": int(h), "file_name": f"{i:012d}.jpg"}
        for i, w, h in zip(range(1, n_images + 1), widths, heights, strict=True)
    ]
    categories = [{"id": int(c), "name": f"class_{c}", "supercategory": "thing"} for c in cat_ids]

    n_gt = rng.poisson(7.2, n_images)
    gt_img = np.repeat(np.arange(n_images), n_gt)
    g = len(gt_img)
    gt_cat = rng.choice(N_CATEGORIES, g, p=cat_p)
    side = np.exp(rng.uniform(np.log(6), np.log(300), g))
    aspect = np.exp(rng.normal(0, 0.4, g))
    gw = np.minimum(side * aspect, widths[gt_img] - 1)
    gh = np.minimum(side / aspect, heights[gt_img] - 1)
    gx = rng.uniform(0, 1, g) * (widths[gt_img] - gw)
    gy = rng.uniform(0, 1, g) * (heights[gt_img] - gh)
    crowd = rng.random(g) < 0.01
    # Annotated area is the mask area, a little below the box area, as in real COCO.
    area = gw * gh * rng.uniform(0.5, 0.95, g)
    annotations = [
        {
            "id": int(k + 1), "image_id": int(i + 1), "category_id": int(cat_ids[c]),
            "bbox": [round(float(x), 2), round(float(y), 2), round(float(w), 2), round(float(h), 2)],
            "area": round(float(a), 2), "iscrowd": int(cr),
        }
        for k, (i, c, x, y, w, h, a, cr) in enumerate(
            zip(gt_img, gt_cat, gx, gy, gw, gh, area, crowd, strict=True)
        )
    ]

    # Detections near ground truth: 0-3 per object, jitter shrinking with score.
    n_near = rng.choice(4, g, p=[0.1, 0.45, 0.3, 0.15])
    src = np.repeat(np.arange(g), n_near)
    quality = rng.beta(2, 1.2, len(src))
    jit = (1.0 - quality)[:, None] * rng.normal(0, 0.35, (len(src), 4))
    dx = gx[src] + jit[:, 0] * gw[src]
    dy = gy[src] + jit[:, 1] * gh[src]
    dw = gw[src] * np.exp(jit[:, 2])
    dh = gh[src] * np.exp(jit[:, 3])
    near_cat = np.where(rng.random(len(src)) < 0.08, rng.choice(N_CATEGORIES, len(src), p=cat_p), gt_cat[src])
    near_score = np.clip(quality * 0.9 + rng.normal(0, 0.1, len(src)), 0.001, 1.0)
    # Background false positives up to ~72 detections per image, low scores.
    n_bg = np.maximum(0, rng.poisson(72, n_images) - np.bincount(gt_img[src], minlength=n_images))
    bg_img = np.repeat(np.arange(n_images), n_bg)
    b = len(bg_img)
    bs = np.exp(rng.uniform(np.log(4), np.log(250), b))
    bw = np.minimum(bs * np.exp(rng.normal(0, 0.4, b)), widths[bg_img] - 1)
    bh = np.minimum(bs * np.exp(rng.normal(0, 0.4, b)), heights[bg_img] - 1)
    bx = rng.uniform(0, 1, b) * (widths[bg_img] - bw)
    by = rng.uniform(0, 1, b) * (heights[bg_img] - bh)
    bg_score = rng.beta(1, 6, b)

    d_img = np.concatenate([gt_img[src], bg_img])
    d_cat = np.concatenate([near_cat, rng.choice(N_CATEGORIES, b, p=cat_p)])
    boxes = np.stack([np.concatenate(v) for v in ((dx, bx), (dy, by), (dw, bw), (dh, bh))], axis=1)
    score = np.round(np.maximum(np.concatenate([near_score, bg_score]), 0.001), 3)
    # Keep each image's top MAX_DETS, then shuffle the file order as a real writer might.
    order = np.lexsort((-score, d_img))
    rank = np.arange(len(order)) - np.searchsorted(d_img[order], d_img[order])
    keep = order[rank < MAX_DETS]
    keep = keep[rng.permutation(len(keep))]
    boxes = np.round(np.maximum(boxes[keep], 0.5), 2)
    dets = [
        {"image_id": int(i + 1), "category_id": int(cat_ids[c]), "bbox": [float(v) for v in bb],
         "score": float(s)}
        for i, c, bb, s in zip(d_img[keep], d_cat[keep], boxes.tolist(), score[keep], strict=True)
    ]
    return {"images": images, "annotations": annotations, "categories": categories}, dets
