"""Precision and recall from matched detections, for one dataset or many weighted copies of it at once.

COCOeval.accumulate sorts each category's detections by score (ties: image order, then rank in the
image), takes cumulative true/false positive counts, and reads the precision envelope at 101 recall
thresholds. We get identical doubles without walking the sorted list per resample:

* the precision envelope at recall threshold r is the largest precision at the end of any run of
  true positives whose recall reaches r (precision rises inside a TP run and falls inside an FP run);
* ignored detections change no count, so they are left out;
* an image repeated w times is the same as its detections counted w times, except where two of its
  detections share a score: the copies then interleave (A, B, A, B ...), so such "tie units" that hold
  a possible match are laid out copy by copy (count 0 or 1 per copy) instead of weighted;
* detections with no ground truth above the lowest IoU threshold are false positives in every curve
  (or ignored, by their area), so their weighted counts between two interesting detections come from
  one sparse product per block of resamples instead of from every curve.

Counts are integers held in float64, so every cumulative sum is exact whatever its order; precision
and recall are then formed with the same operations, in the same order, as COCOeval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import sparse

from evalkit.detection.matching import FP, TP, Matching, in_area_ranges
from evalkit.detection.params import MAX_DETS, N_AREA, N_IOU, N_RECALL, RECALL_THRESHOLDS

# (area index, maxDets) of each recall COCO reports: AR1, AR10, AR100, ARs, ARm, ARl.
RECALL_SETTINGS = ((0, MAX_DETS[0]), (0, MAX_DETS[1]), (0, MAX_DETS[2]), (1, MAX_DETS[2]), (2, MAX_DETS[2]),
                   (3, MAX_DETS[2]))
_EPS = np.spacing(1)
_BLOCK_ELEMENTS = 3_000_000  # resamples x curve elements per block: bounds memory to a few hundred MB


@dataclass(frozen=True, eq=False)
class Curves:
    """Everything accumulation needs, built once per dataset; weights only enter in ``precision_recall``.

    "Interesting" detections (``int_*``) are those with a possible match, plus any detection tied in
    score with one of them in the same image and category. They are sorted as COCOeval sorts each
    category: by category, score descending, image, rank.
    """

    n_images: int
    n_categories: int
    counts_t: sparse.csr_matrix  # (K*A | 6*K*T | A*n_int, n_images): counted gts, TPs, background FPs
    int_img: np.ndarray
    int_cat: np.ndarray
    int_status: np.ndarray  # (A, T, n_int)
    int_cat_first: np.ndarray  # index of the first interesting detection of the same category
    int_unit_first: np.ndarray  # index of the first member of its tie unit
    int_tied: np.ndarray  # member of a tie unit of two or more
    _layouts: dict = field(default_factory=dict, repr=False)


def build_curves(match: Matching, det_img: np.ndarray, det_cat: np.ndarray, det_score: np.ndarray,
                 det_area: np.ndarray, gt_img: np.ndarray, gt_cat: np.ndarray, n_images: int,
                 n_categories: int) -> Curves:
    """Condense a Matching into per-image counts and the interesting-detection table."""
    K, T, A = n_categories, N_IOU, N_AREA
    img, cat, score = det_img[match.det], det_cat[match.det], det_score[match.det]
    order = np.lexsort((match.rank, img, -score, cat))
    img, cat, score, rank = img[order], cat[order], score[order], match.rank[order]
    status, candidate = match.status[:, :, order], match.candidate[order]
    in_range = in_area_ranges(det_area[match.det][order])
    n = len(order)

    # Tie units: same category, image and score; contiguous in this order.
    unit = np.cumsum(np.r_[True, (cat[1:] != cat[:-1]) | (img[1:] != img[:-1]) | (score[1:] != score[:-1])]) - 1
    unit = unit[:n]
    n_units = int(unit[-1]) + 1 if n else 0
    interesting = (np.bincount(unit, weights=candidate, minlength=n_units) > 0)[unit]
    int_pos = np.flatnonzero(interesting)
    n_int = len(int_pos)
    int_cat = cat[int_pos]

    rows, cols = [], []
    # Ground truths counted towards recall, per (category, area).
    g_a, g_i = np.nonzero(match.gt_counted)
    rows.append(gt_img[g_i])
    cols.append(gt_cat[g_i] * A + g_a)
    # True positives per recall setting: (setting, category, threshold).
    base = K * A
    for s, (a, m) in enumerate(RECALL_SETTINGS):
        t_i, d_i = np.nonzero((status[a] == TP) & (rank < m)[None, :])
        rows.append(img[d_i])
        cols.append(base + (s * K + cat[d_i]) * T + t_i)
    base += len(RECALL_SETTINGS) * K * T
    # Background false positives per area, in the segment just before each interesting detection of
    # their category (those after the last one precede no true positive, so never matter).
    nxt = np.cumsum(interesting) - interesting
    bg = ~interesting & (nxt < n_int)
    bg[bg] = int_cat[nxt[bg]] == cat[bg]
    for a in range(A):
        d_i = np.flatnonzero(bg & in_range[a])
        rows.append(img[d_i])
        cols.append(base + a * n_int + nxt[d_i])
    base += A * n_int
    r, c = np.concatenate(rows), np.concatenate(cols)
    counts_t = sparse.csr_matrix((np.ones(len(r)), (c, r)), shape=(base, n_images))
    counts_t.sum_duplicates()

    int_unit = unit[int_pos]
    return Curves(
        n_images=n_images,
        n_categories=K,
        counts_t=counts_t,
        int_img=img[int_pos],
        int_cat=int_cat,
        int_status=np.ascontiguousarray(status[:, :, int_pos]),
        int_cat_first=np.searchsorted(int_cat, int_cat, side="left"),
        int_unit_first=np.searchsorted(int_unit, int_unit, side="left"),
        int_tied=np.bincount(unit, minlength=n_units)[int_unit] > 1,
    )


@dataclass(frozen=True)
class _Layout:
    """Curve elements when tie units are laid out in ``copies`` copies."""

    el_int: np.ndarray  # interesting detection of each element
    el_copy: np.ndarray  # copy number, -1 for a weighted (untied) element
    flat_el: np.ndarray  # non-ignored elements of every curve, curve-major; curve = (a*T + t)*K + k
    flat_tp: np.ndarray
    tp_at: np.ndarray  # positions in flat of the true positives
    tp_curve_first: np.ndarray  # position in flat of the first element of that TP's curve
    tp_curve: np.ndarray
    tp_int: np.ndarray
    tp_area: np.ndarray


def _layout(curves: Curves, copies: int) -> _Layout:
    if copies in curves._layouts:
        return curves._layouts[copies]
    n_int = len(curves.int_img)
    reps = np.where(curves.int_tied, copies, 1)
    el_int = np.repeat(np.arange(n_int), reps)
    el_copy = np.arange(len(el_int)) - np.repeat(np.cumsum(reps) - reps, reps)
    # Copy-major inside a tie unit (A0 B0 A1 B1 ...), as w consecutive copies of the image list them.
    order = np.lexsort((el_int, el_copy, curves.int_unit_first[el_int]))
    el_int = el_int[order]
    el_copy = np.where(curves.int_tied[el_int], el_copy[order], -1)

    st = curves.int_status[:, :, el_int]
    a_i, t_i, flat_el = np.nonzero(st != -1)  # C order: by (a, t), then element (category-sorted)
    flat_tp = st[a_i, t_i, flat_el] == TP
    curve = (a_i * N_IOU + t_i) * curves.n_categories + curves.int_cat[el_int[flat_el]]
    is_first = np.r_[True, curve[1:] != curve[:-1]][: len(curve)]
    curve_first = np.maximum.accumulate(np.where(is_first, np.arange(len(curve)), 0))
    tp_at = np.flatnonzero(flat_tp)
    layout = _Layout(
        el_int=el_int, el_copy=el_copy, flat_el=flat_el, flat_tp=flat_tp, tp_at=tp_at,
        tp_curve_first=curve_first[tp_at], tp_curve=curve[tp_at], tp_int=el_int[flat_el[tp_at]],
        tp_area=a_i[tp_at],
    )
    curves._layouts[copies] = layout
    return layout


def precision_recall(curves: Curves, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COCOeval's precision at maxDets=100 and the six reported recalls, for each row of ``weights``.

    ``weights`` (R, n_images) holds non-negative integer counts per image, as float64. Returns
    ``precision`` (R, T, 101, K, A) and ``recall`` (R, 6, T, K), -1 where a category has no counted
    ground truth in that area range.
    """
    n_flat = max(len(_layout(curves, 1).flat_el), 1)
    block = max(1, _BLOCK_ELEMENTS // n_flat)
    parts = [_block(curves, weights[s:s + block]) for s in range(0, len(weights), block)]
    return np.concatenate([p for p, _ in parts]), np.concatenate([r for _, r in parts])


def _block(curves: Curves, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    B, K, T, A = len(w), curves.n_categories, N_IOU, N_AREA
    S = len(RECALL_SETTINGS)
    summed = np.asarray(curves.counts_t @ w.T).T  # (B, columns), exact: integer sums in float64
    npig = summed[:, : K * A].reshape(B, K, A)
    tps = summed[:, K * A: K * A + S * K * T].reshape(B, S, K, T)
    n_int = len(curves.int_img)
    bg = summed[:, K * A + S * K * T:].reshape(B, A, n_int)

    with np.errstate(divide="ignore", invalid="ignore"):
        rec = tps / npig[:, :, [a for a, _ in RECALL_SETTINGS]].transpose(0, 2, 1)[:, :, :, None]
    recall = np.where(npig[:, :, [a for a, _ in RECALL_SETTINGS]].transpose(0, 2, 1)[:, :, :, None] > 0, rec, -1.0)
    recall = recall.transpose(0, 1, 3, 2)  # (B, S, T, K)

    n_curves = A * T * K
    q = np.zeros((B, n_curves, N_RECALL))
    lay = _layout(curves, int(w.max(initial=0)))
    if len(lay.tp_at):
        q = _envelope(curves, lay, w, npig, bg, n_curves)
    precision = q.reshape(B, A, T, K, N_RECALL).transpose(0, 2, 4, 3, 1)
    precision = np.where(npig[:, None, None, :, :] > 0, precision, -1.0)
    return precision, recall


def _envelope(curves: Curves, lay: _Layout, w: np.ndarray, npig: np.ndarray, bg: np.ndarray,
              n_curves: int) -> np.ndarray:
    B = len(w)
    counts = w[:, curves.int_img[lay.el_int]]
    tied = lay.el_copy >= 0
    counts[:, tied] = counts[:, tied] > lay.el_copy[tied]
    c = counts[:, lay.flat_el]
    tp = c * lay.flat_tp
    ctp = np.zeros((B, c.shape[1] + 1))
    cfp = np.zeros((B, c.shape[1] + 1))
    np.cumsum(tp, axis=1, out=ctp[:, 1:])
    np.cumsum(c - tp, axis=1, out=cfp[:, 1:])
    cbg = np.zeros(bg.shape[:2] + (bg.shape[2] + 1,))
    np.cumsum(bg, axis=2, out=cbg[:, :, 1:])

    at, first = lay.tp_at + 1, lay.tp_curve_first
    n_tp = ctp[:, at] - ctp[:, first]
    n_fp = (cfp[:, at] - cfp[:, first]
            + cbg[:, lay.tp_area, lay.tp_int + 1] - cbg[:, lay.tp_area, curves.int_cat_first[lay.tp_int]])
    with np.errstate(divide="ignore", invalid="ignore"):
        pr = n_tp / (n_fp + n_tp + _EPS)  # the operation order of COCOeval, for identical doubles
        rc = n_tp / npig[:, curves.int_cat[lay.tp_int], lay.tp_area]
    # Bucket b = how many recall thresholds a TP's recall reaches; the envelope at threshold r is the
    # best precision in buckets > r. Keys rise along each row, so equal keys are contiguous.
    bucket = np.searchsorted(RECALL_THRESHOLDS, rc, side="right")
    width = N_RECALL + 1
    key = (lay.tp_curve * width + bucket + (np.arange(B) * (n_curves * width))[:, None]).ravel()
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    best = np.zeros(B * n_curves * width)
    best[key[starts]] = np.maximum.reduceat(pr.ravel(), starts)
    best = best.reshape(B, n_curves, width)
    return np.maximum.accumulate(best[:, :, :0:-1], axis=2)[:, :, ::-1]
