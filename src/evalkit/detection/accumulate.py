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

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from evalkit.detection.matching import IGNORED, TP, Matching
from evalkit.detection.params import MAX_DETS, N_AREA, N_IOU, N_RECALL, RECALL_THRESHOLDS

if TYPE_CHECKING:
    from scipy import sparse

# (area index, maxDets) of each recall COCO reports: AR1, AR10, AR100, ARs, ARm, ARl.
RECALL_SETTINGS = ((0, MAX_DETS[0]), (0, MAX_DETS[1]), (0, MAX_DETS[2]), (1, MAX_DETS[2]), (2, MAX_DETS[2]),
                   (3, MAX_DETS[2]))
# Recalls at fewer than 100 detections need their own TP counts; the others are read off the curves.
_SPARSE_RECALL = tuple(s for s, (_, m) in enumerate(RECALL_SETTINGS) if m < MAX_DETS[-1])
_EPS = np.spacing(1)
_BLOCK_ELEMENTS = 3_000_000  # resamples x curve elements per block: bounds memory to a few hundred MB
_SPARSE_BLOCKS = 4  # sparse products run on this many blocks at once (they amortise better over rows)


@dataclass(frozen=True, eq=False)
class Curves:
    """Everything accumulation needs, built once per dataset; weights only enter in ``precision_recall``.

    "Interesting" detections (``int_*``) are those with a possible match, plus any detection tied in
    score with one of them in the same image and category. They are sorted as COCOeval sorts each
    category: by category, score descending, image, rank.
    """

    n_images: int
    n_categories: int
    counts_t: sparse.csr_matrix  # (K*A | S*K*T | A*n_int, n_images): counted gts, TPs, background FPs
    int_img: np.ndarray
    int_cat: np.ndarray
    int_status: np.ndarray  # (A, T, n_int)
    int_cat_first: np.ndarray  # index of the first interesting detection of the same category
    int_unit_first: np.ndarray  # index of the first member of its tie unit
    int_tied: np.ndarray  # member of a tie unit of two or more
    tied_images: np.ndarray  # images holding a tie unit, each image once
    _layouts: dict = field(default_factory=dict, repr=False)


def build_curves(match: Matching, det_img: np.ndarray, det_cat: np.ndarray, det_score: np.ndarray,
                 det_area: np.ndarray, gt_img: np.ndarray, gt_cat: np.ndarray, n_images: int,
                 n_categories: int) -> Curves:
    """Condense a Matching into per-image counts and the interesting-detection table."""
    K, T, A = n_categories, N_IOU, N_AREA
    img, cat, score = det_img[match.det], det_cat[match.det], det_score[match.det]
    order = np.lexsort((match.rank, img, -score, cat))
    img, cat, score, rank = img[order], cat[order], score[order], match.rank[order]
    candidate, in_range = match.candidate[order], match.det_in_range[:, order]
    n = len(order)

    # Tie units: same category, image and score; contiguous in this order.
    new_unit = (cat[1:] != cat[:-1]) | (img[1:] != img[:-1]) | (score[1:] != score[:-1])
    unit = np.cumsum(np.r_[True, new_unit]) - 1
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
    # True positives per sparse recall setting: (setting, category, threshold).
    base = K * A
    # Only candidates can be true positives (their status is stored in det order; map to this order).
    cand_sorted = np.flatnonzero(candidate)
    cand_status = match.candidate_status[:, :, (np.cumsum(match.candidate) - 1)[order[cand_sorted]]]
    tp_a, tp_t, tp_j = np.nonzero(cand_status == TP)
    tp_d = cand_sorted[tp_j]
    for i, s in enumerate(_SPARSE_RECALL):
        a, m = RECALL_SETTINGS[s]
        sel = (tp_a == a) & (rank[tp_d] < m)
        rows.append(img[tp_d[sel]])
        cols.append(base + (i * K + cat[tp_d[sel]]) * T + tp_t[sel])
    base += len(_SPARSE_RECALL) * K * T
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
    from scipy import sparse  # imported here: the metric registry imports this package, `--help` too

    counts_t = sparse.csr_matrix((np.ones(len(r)), (c, r)), shape=(base, n_images))
    counts_t.sum_duplicates()

    int_unit = unit[int_pos]
    return Curves(
        n_images=n_images,
        n_categories=K,
        counts_t=counts_t,
        int_img=img[int_pos],
        int_cat=int_cat,
        int_status=match.status(order[int_pos]),
        int_cat_first=np.searchsorted(int_cat, int_cat, side="left"),
        int_unit_first=np.searchsorted(int_unit, int_unit, side="left"),
        int_tied=(tied := np.bincount(unit, minlength=n_units)[int_unit] > 1),
        tied_images=np.unique(img[int_pos][tied]),
    )


@dataclass(frozen=True)
class _Layout:
    """The curves' structure when each tie unit is laid out ``copies`` times.

    Only the last true positive of each run of true positives ("run end") can hold the precision
    envelope, so curves are reduced to their run ends. ``increments`` maps per-block features (image
    weights, then copy indicators ``weight > copy`` for images with tie units) to each run end's
    increase in TP count (first half of the columns) and in interesting-FP count (second half) since
    the previous run end of its curve.
    """

    increments: sparse.csr_matrix  # (2 * n_runs, n_features)
    run_curve: np.ndarray  # curve id of each run end; run ends of one curve are contiguous
    run_bg_hi: np.ndarray  # flat index into cumulative background FPs (B, A * (n_int + 1)) at the run end
    curve_start: np.ndarray  # index of each non-empty curve's first run end
    curve_len: np.ndarray
    curve_bg_lo: np.ndarray  # flat index of the cumulative background FPs before the curve's category
    curve_npig: np.ndarray  # flat index into npig (B, K * A)


def _layout(curves: Curves, copies: int) -> _Layout:
    if copies in curves._layouts:
        return curves._layouts[copies]
    K, n_int = curves.n_categories, len(curves.int_img)
    reps = np.where(curves.int_tied, copies, 1)
    el_int = np.repeat(np.arange(n_int), reps)
    el_copy = np.arange(len(el_int)) - np.repeat(np.cumsum(reps) - reps, reps)
    # Copy-major inside a tie unit (A0 B0 A1 B1 ...), as w consecutive copies of the image list them.
    order = np.lexsort((el_int, el_copy, curves.int_unit_first[el_int]))
    el_int, el_copy = el_int[order], el_copy[order]
    tied = curves.int_tied[el_int]
    img = curves.int_img[el_int]
    slot = np.searchsorted(curves.tied_images, img)
    feature = np.where(tied, curves.n_images + slot * copies + el_copy, img)

    # Non-ignored elements of every curve, curve-major (C order of nonzero): curve = (a*T + t)*K + k.
    st = curves.int_status[:, :, el_int]
    a_i, t_i, e_i = np.nonzero(st != IGNORED)
    is_tp = st[a_i, t_i, e_i] == TP
    curve = (a_i * N_IOU + t_i) * K + curves.int_cat[el_int[e_i]]
    # Structural background FPs (any image) before each interesting detection, cumulated per area.
    bg_offset = curves.counts_t.shape[0] - N_AREA * n_int
    bg_struct = np.diff(curves.counts_t.indptr)[bg_offset:].reshape(N_AREA, n_int)
    bg_cum = np.cumsum(bg_struct, axis=1)[a_i, el_int[e_i]]
    last_in_curve = np.r_[curve[1:] != curve[:-1], True][: len(curve)]
    nxt = np.minimum(np.arange(1, len(curve) + 1), max(len(curve) - 1, 0))
    run_end = is_tp & (last_in_curve | ~is_tp[nxt] | (bg_cum[nxt] != bg_cum))

    # Each element feeds the next run end of its curve; elements after the last one feed nothing.
    ends = np.flatnonzero(run_end)
    seg = np.cumsum(run_end) - run_end
    keep = seg < len(ends)
    keep[keep] = curve[ends[seg[keep]]] == curve[keep]
    col = seg[keep] + np.where(is_tp[keep], 0, len(ends))
    from scipy import sparse

    increments = sparse.csr_matrix((np.ones(len(col)), (col, feature[e_i[keep]])),
                                   shape=(2 * len(ends), curves.n_images + len(curves.tied_images) * copies))
    increments.sum_duplicates()

    run_curve = curve[ends]
    run_int, run_area = el_int[e_i[ends]], a_i[ends]
    curve_start = np.flatnonzero(np.r_[True, run_curve[1:] != run_curve[:-1]][: len(ends)])
    c_int, c_area = run_int[curve_start], run_area[curve_start]
    layout = _Layout(
        increments=increments,
        run_curve=run_curve,
        run_bg_hi=run_area * (n_int + 1) + run_int + 1,
        curve_start=curve_start,
        curve_len=np.diff(np.r_[curve_start, len(ends)]),
        curve_bg_lo=c_area * (n_int + 1) + curves.int_cat_first[c_int],
        curve_npig=curves.int_cat[c_int] * N_AREA + c_area,
    )
    curves._layouts[copies] = layout
    return layout


def precision_recall(curves: Curves, weights: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """COCOeval's precision at maxDets=100 and the six reported recalls, by blocks of ``weights`` rows.

    ``weights`` (R, n_images) holds non-negative integer counts per image, as float64. Yields, for
    consecutive blocks of rows, ``precision`` (B, T, 101, K, A) and ``recall`` (B, 6, T, K), -1 where a
    category has no counted ground truth in that area range. Blocks keep memory bounded: the caller
    reduces each block before asking for the next.
    """
    per_row = len(_layout(curves, 1).run_curve) + curves.n_categories * N_AREA * N_IOU * N_RECALL
    block = max(1, _BLOCK_ELEMENTS // per_row)
    K, T, A = curves.n_categories, N_IOU, N_AREA
    n_sparse = len(_SPARSE_RECALL) * K * T
    for start in range(0, len(weights), block * _SPARSE_BLOCKS):
        w = weights[start:start + block * _SPARSE_BLOCKS]
        summed = (curves.counts_t @ w.T).T  # (B, columns), exact: integer sums in float64
        copies = int(w[:, curves.tied_images].max(initial=0))
        lay = _layout(curves, copies)
        copy_drawn = (w[:, curves.tied_images, None] > np.arange(copies)).reshape(len(w), -1)
        inc = (lay.increments @ np.hstack([w, copy_drawn]).T).T
        for s in range(0, len(w), block):
            part = summed[s:s + block]
            npig = part[:, : K * A]
            sparse_tp = part[:, K * A: K * A + n_sparse].reshape(-1, len(_SPARSE_RECALL), K, T)
            bg = part[:, K * A + n_sparse:].reshape(len(part), A, -1)
            yield _block(lay, inc[s:s + block], npig, sparse_tp, bg, K)


def _block(lay: _Layout, inc: np.ndarray, npig: np.ndarray, sparse_tp: np.ndarray, bg: np.ndarray,
           K: int) -> tuple[np.ndarray, np.ndarray]:
    B, T, A = len(npig), N_IOU, N_AREA
    n_curves = A * T * K
    q, curve_tp = _envelope(lay, inc, npig, bg, n_curves)

    tp = np.empty((B, len(RECALL_SETTINGS), K, T))
    tp[:, list(_SPARSE_RECALL)] = sparse_tp
    curve_tp = curve_tp.reshape(B, A, T, K).transpose(0, 1, 3, 2)
    for s, (a, _) in enumerate(RECALL_SETTINGS):
        if s not in _SPARSE_RECALL:
            tp[:, s] = curve_tp[:, a]
    setting_npig = npig.reshape(B, K, A)[:, :, [a for a, _ in RECALL_SETTINGS]].transpose(0, 2, 1)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(setting_npig > 0, tp / setting_npig, -1.0).transpose(0, 1, 3, 2)  # (B, S, T, K)

    # Curves without counted ground truth read -1. The result is a strided view, not a copy: the
    # stats select from it in C order, the order in which COCOeval averages.
    undefined = np.broadcast_to((npig == 0).reshape(B, 1, K, A).transpose(0, 3, 1, 2), (B, A, T, K))
    q.transpose(0, 2, 1)[undefined.reshape(B, n_curves)] = -1.0
    return q.reshape(B, N_RECALL, A, T, K).transpose(0, 3, 1, 4, 2), recall


def _envelope(lay: _Layout, inc: np.ndarray, npig: np.ndarray, bg: np.ndarray,
              n_curves: int) -> tuple[np.ndarray, np.ndarray]:
    """Precision envelope (B, R, n_curves) and total TPs per curve (B, n_curves)."""
    B = len(npig)
    # best[b, j, c]: the best precision of curve c among run ends reaching exactly N_RECALL - j thresholds.
    # Curves sit on the contiguous last axis so that the running max below is one vectorised pass.
    best = np.zeros((B, N_RECALL, n_curves))
    curve_tp = np.zeros((B, n_curves))
    n_runs = len(lay.run_curve)
    if n_runs:
        inc = inc.reshape(B, 2, n_runs)
        cum = np.cumsum(inc, axis=2)
        ctp, cfp = cum[:, 0], cum[:, 1]
        cbg = np.zeros((B, bg.shape[1], bg.shape[2] + 1))
        np.cumsum(bg, axis=2, out=cbg[:, :, 1:])
        cbg = cbg.reshape(B, -1)
        # Counts restart at each curve: subtract what the cumulative sums held before its first run end.
        # All terms are whole numbers in float64, so the regrouping changes no bit.
        cs, cl = lay.curve_start, lay.curve_len
        n_tp = ctp - np.repeat(ctp[:, cs] - inc[:, 0, cs], cl, axis=1)
        last = cs + cl - 1  # a curve's last TP always ends a run, so its count is the curve's total
        curve_tp[:, lay.run_curve[last]] = n_tp[:, last]
        fp_before = cfp[:, cs] - inc[:, 1, cs] + cbg[:, lay.curve_bg_lo]
        n_fp = cfp + cbg[:, lay.run_bg_hi]
        n_fp -= np.repeat(fp_before, cl, axis=1)
        # A curve without counted ground truth is reported as -1 later; dividing by 1 keeps it finite.
        npig_run = np.repeat(np.maximum(npig[:, lay.curve_npig], 1), cl, axis=1)
        n_fp += n_tp
        n_fp += _EPS
        pr = np.divide(n_tp, n_fp, out=n_fp)  # (fp + tp) + eps, COCOeval's operation order: same doubles
        rc = np.divide(n_tp, npig_run, out=npig_run)
        # The envelope at threshold r is the best precision among run ends reaching more than r
        # thresholds. Run ends of a curve are in recall order, so equal keys are contiguous.
        key = N_RECALL - _thresholds_reached(rc)
        key *= n_curves
        key += lay.run_curve + (np.arange(B) * (N_RECALL * n_curves))[:, None]
        key = key.ravel()
        starts = np.r_[0, np.flatnonzero(key[1:] != key[:-1]) + 1]
        best.ravel()[key[starts]] = np.maximum.reduceat(pr.ravel(), starts)
    np.maximum.accumulate(best, axis=1, out=best)
    return best[:, ::-1, :], curve_tp  # threshold r reads j = N_RECALL - 1 - r


def _thresholds_reached(rc: np.ndarray) -> np.ndarray:
    """How many recall thresholds are <= rc, for rc in [0, 1]: ``searchsorted(..., 'right')``, faster.

    Thresholds are r/100 to within an ulp, so unless 100 * rc is within 1e-6 of a whole number the
    answer is floor(100 * rc) + 1; the few values that close are settled by exact comparison.
    """
    x = rc * (N_RECALL - 1)
    out = x.astype(np.int64) + 1
    near = np.abs(x - np.rint(x)) < 1e-6
    out[near] = np.searchsorted(RECALL_THRESHOLDS, rc[near], side="right")
    return out
