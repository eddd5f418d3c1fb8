"""COCO-scale benchmark: pycocotools vs faster-coco-eval vs evalkit, end to end (load + evaluate).

Run: ``pip install -e ".[benchmarks]"`` (adds faster-coco-eval), then ``python benchmarks/coco.py``. The
workload is generated deterministically (seeded) and written to a temporary directory, so every tool
reads the same JSON files from disk.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile

import numpy as np
from timing import Timing

from evalkit.detection.params import STAT_NAMES

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


def _time(fn, repeat: int) -> tuple[float, float, object]:
    """Best wall and best CPU time over ``repeat`` runs, and the result (see ``Timing.best_of``)."""
    took, out = Timing.best_of(fn, repeat)
    return took.wall, took.cpu, out


def write_workload(folder: str, gt: dict, dets: list[dict]) -> tuple[str, str]:
    """Write the ground truth and the results as COCO JSON files in ``folder``; their paths."""
    gt_path, res_path = os.path.join(folder, "gt.json"), os.path.join(folder, "results.json")
    for path, document in ((gt_path, gt), (res_path, dets)):
        with open(path, "w") as f:
            json.dump(document, f)
    return gt_path, res_path


def run_cocoapi(tool: str, gt_path: str, res_path: str) -> np.ndarray:
    """End to end with ``tool``'s COCO API: load, loadRes, evaluate, accumulate, summarize.

    ``tool`` is "pycocotools" (the reference) or "faster-coco-eval" (its C++ re-implementation).
    """
    if tool == "pycocotools":
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    else:
        from faster_coco_eval import COCO
        from faster_coco_eval import COCOeval_faster as COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        ev = COCOeval(gt, gt.loadRes(res_path), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats, dtype=np.float64)


def run_evalkit(gt_path: str, res_path: str) -> np.ndarray:
    """End to end with evalkit: load + validate, match once, summarise."""
    from evalkit.detection import summarize
    from evalkit.detection.loading import load_and_prepare

    return np.array(list(summarize(load_and_prepare(gt_path, res_path)).as_dict().values()))


def main(n_resamples: int = 200, repeat: int = 3, seed: int = 0) -> None:
    """Generate the workload, time the three tools and the bootstrap, check exactness, print a table."""
    from evalkit.detection import prepare_tables, summarize, summarize_many
    from evalkit.detection.loading import load_coco

    try:
        import faster_coco_eval  # noqa: F401
    except ImportError:
        raise SystemExit("benchmarks/coco.py times faster-coco-eval too: "
                         "pip install -e '.[benchmarks]'") from None

    gt, dets = make_workload(seed)
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
    print(f"workload: {len(gt['images'])} images, {len(gt['categories'])} categories, "
          f"{len(gt['annotations'])} gt boxes ({sum(a['iscrowd'] for a in gt['annotations'])} crowd), "
          f"{len(dets)} detections")
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, res_path = write_workload(tmp, gt, dets)
        del gt, dets

        t_pct = _time(lambda: run_cocoapi("pycocotools", gt_path, res_path), 1)
        t_fce = _time(lambda: run_cocoapi("faster-coco-eval", gt_path, res_path), repeat)
        t_ek = _time(lambda: run_evalkit(gt_path, res_path), repeat)
        t_load = _time(lambda: load_coco(gt_path, res_path), repeat)
        files = t_load[2]
        t_eval = _time(lambda: (p := prepare_tables(files.gt_table, files.results_table), summarize(p)),
                       repeat)
        prepared = t_eval[2][0]
        rng = np.random.default_rng(seed)
        n = prepared.n_images
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples)
        t_boot = _time(lambda: summarize_many(prepared, weights), 2)
    s_pct, s_fce, s_ek, boot = t_pct[2], t_fce[2], t_ek[2], t_boot[2]

    print(f"\nend to end (load + evaluate), best of {repeat} (pycocotools: 1 run)     wall s    cpu s")
    for name, t in (("pycocotools", t_pct), ("faster-coco-eval", t_fce), ("evalkit", t_ek),
                    ("  evalkit load + validate", t_load), ("  evalkit match + summarise", t_eval)):
        print(f"  {name:64s} {t[0]:7.2f}  {t[1]:7.2f}")
    print(f"  evalkit speed-up (wall): {t_pct[0] / t_ek[0]:.1f}x vs pycocotools, "
          f"{t_fce[0] / t_ek[0]:.2f}x vs faster-coco-eval")
    print(f"\nbootstrap: {n_resamples} image-level resamples: {t_boot[0]:.2f} s wall, {t_boot[1]:.2f} s cpu "
          f"({1000 * t_boot[1] / n_resamples:.1f} ms cpu each); target < 3x one evaluation")
    print(f"  vs one end-to-end evaluation:        {t_boot[0] / t_ek[0]:.2f}x wall, "
          f"{t_boot[1] / t_ek[1]:.2f}x cpu")
    print(f"  vs one evaluation of loaded files:   {t_boot[0] / t_eval[0]:.2f}x wall, "
          f"{t_boot[1] / t_eval[1]:.2f}x cpu")
    print(f"  bootstrap mAP: mean {boot[:, 0].mean():.4f}, 95% interval "
          f"[{np.quantile(boot[:, 0], 0.025):.4f}, {np.quantile(boot[:, 0], 0.975):.4f}]")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    diff = np.abs(s_ek - s_pct)
    print(f"\nexactness: max |evalkit - pycocotools| over the 12 stats = {diff.max():.3g} "
          f"({'bit-identical' if (s_ek == s_pct).all() else 'NOT bit-identical'}); "
          f"faster-coco-eval vs pycocotools = {np.abs(s_fce - s_pct).max():.3g}")
    for name, a, b in zip(STAT_NAMES, s_pct, s_ek, strict=True):
        print(f"  {name:6s} pycocotools {a:.16f}  evalkit {b:.16f}")
    if diff.max() > 1e-12:
        raise SystemExit("evalkit differs from pycocotools")


if __name__ == "__main__":
    main()
