"""``resamples.npz``: each entry's bootstrap values, saved beside ``metrics.json`` for ``evalkit compare``.

Jobs that share the bootstrap settings (resamples, seed, method) and the evaluated items draw the same
resamples: resample ``r``'s weights depend only on the seed, ``r`` and the number of items
(:class:`evalkit.uncertainty.resampling.Resampler`), and the items are in the eval set's order, which the
data fingerprint pins. So the values saved here let ``compare`` pair entries of different jobs resample by
resample and test them exactly as one run would (:func:`evalkit.confidence.compare_best`).

The file is data only (NumPy arrays, no pickles; read with ``allow_pickle=False``):

- ``names`` (E,) entry names, ``metrics`` (M,) metric names;
- ``values`` (E, M, R) float64 and ``has_value`` (E, M): per-resample values of the strategy's metrics;
- ``estimates`` (E, M) the point values, ``score_values`` (E, R), ``score`` (E,), ``has_score`` (E,);
- ``correct`` (E, ceil(n/8)) packed per-item correctness and ``has_correct`` (E,), for exact McNemar;
- ``covered_counts`` (E,) (-1: every item) and ``covered`` (concatenated item indices) for panels.

``metrics.json`` names the file under ``resamples_file`` with the data fingerprint and bootstrap settings,
so ``compare`` can refuse a file that does not belong to its record.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.confidence import ResampledEntry
from evalkit.errors import DataError

RESAMPLES_FILE = "resamples.npz"


def resamples_npz(entries: Iterable[ResampledEntry], n_items: int) -> bytes:
    """The ``.npz`` bytes of ``entries`` (all with the same number of resamples)."""
    entries = list(entries)
    metrics = sorted({m for e in entries for m in e.values})
    lengths = {a.shape[0] for e in entries for a in e.values.values()}
    if len(lengths) > 1:
        raise DataError(f"entries were bootstrapped with different numbers of resamples: {sorted(lengths)}")
    R = lengths.pop() if lengths else 0
    E, M = len(entries), len(metrics)
    values = np.full((E, M, R), np.nan)
    has_value = np.zeros((E, M), dtype=bool)
    estimates = np.full((E, M), np.nan)
    score_values = np.full((E, R), np.nan)
    has_score = np.zeros(E, dtype=bool)
    score = np.full(E, np.nan)
    correct = np.zeros((E, -(-n_items // 8)), dtype=np.uint8)
    has_correct = np.zeros(E, dtype=bool)
    covered_counts = np.full(E, -1, dtype=np.int64)
    covered: list[np.ndarray] = []
    for i, entry in enumerate(entries):
        for j, metric in enumerate(metrics):
            if metric in entry.values:
                values[i, j] = entry.values[metric]
                has_value[i, j] = True
                estimates[i, j] = float(entry.metrics[metric])  # type: ignore[arg-type]
        if entry.score_values is not None:
            score_values[i], has_score[i] = entry.score_values, True
        if entry.score is not None:
            score[i] = entry.score
        if entry.correct is not None:
            correct[i], has_correct[i] = np.packbits(entry.correct.astype(bool)), True
        if entry.covered is not None:
            covered_counts[i] = entry.covered.size
            covered.append(entry.covered.astype(np.int64))
    buffer = io.BytesIO()
    np.savez(buffer, names=np.array([e.name for e in entries], dtype=str),
             metrics=np.array(metrics, dtype=str), values=values, has_value=has_value, estimates=estimates,
             score_values=score_values, has_score=has_score, score=score, correct=correct,
             has_correct=has_correct, n_items=np.int64(n_items), covered_counts=covered_counts,
             covered=np.concatenate(covered) if covered else np.zeros(0, dtype=np.int64))
    return buffer.getvalue()


def record_field(entries: Iterable[str], fingerprint: str, n_items: int,
                 bootstrap: Mapping[str, Any]) -> dict[str, Any]:
    """What ``metrics.json`` says about its ``resamples.npz`` (checked by :func:`read_resamples`)."""
    return {"file": RESAMPLES_FILE, "entries": list(entries), "data_fingerprint": fingerprint,
            "n_items": n_items, "bootstrap": dict(bootstrap)}


_ARRAYS = ("names", "metrics", "values", "has_value", "estimates", "score_values", "has_score", "score",
           "correct", "has_correct", "n_items", "covered_counts", "covered")


def read_resamples(run: Path, record: Mapping[str, Any]) -> dict[str, ResampledEntry]:
    """The entries saved in ``run/resamples.npz``, checked against the run's ``metrics.json`` ``record``."""
    path = Path(run) / RESAMPLES_FILE
    field = record.get("resamples_file")
    fix = "re-run that job to rewrite it"
    if not isinstance(field, dict):
        raise DataError(f"{run / 'metrics.json'}: no 'resamples_file' (made by an older evalkit or without a "
                        f"bootstrap); {fix}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in _ARRAYS}
    except FileNotFoundError:
        raise DataError(f"{path}: missing, but metrics.json names it; {fix}") from None
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: not a readable evalkit resamples file ({exc}); {fix}") from None
    names, metrics = arrays["names"].tolist(), arrays["metrics"].tolist()
    E, M = len(names), len(metrics)
    bootstrap = record.get("bootstrap")
    R = int(bootstrap.get("resamples", -1)) if isinstance(bootstrap, dict) else -1
    n = int(arrays["n_items"])
    expected = {"values": (E, M, R), "has_value": (E, M), "estimates": (E, M), "score_values": (E, R),
                "has_score": (E,), "score": (E,), "correct": (E, -(-n // 8)), "has_correct": (E,),
                "covered_counts": (E,)}
    wrong = [k for k, shape in expected.items() if arrays[k].shape != shape]
    if wrong or names != field.get("entries") or n != field.get("n_items") \
            or field.get("bootstrap") != record.get("bootstrap") \
            or field.get("data_fingerprint") != record.get("data", {}).get("fingerprint"):
        raise DataError(f"{path}: does not match its metrics.json (entries, items, bootstrap settings or "
                        f"array shapes {wrong}); {fix}")
    ends = np.cumsum(np.maximum(arrays["covered_counts"], 0))
    if arrays["covered"].shape != (int(ends[-1]) if E else 0,):
        raise DataError(f"{path}: its covered items do not add up; {fix}")
    out = {}
    for i, name in enumerate(names):
        count = int(arrays["covered_counts"][i])
        present = [j for j in range(M) if arrays["has_value"][i, j]]
        packed = arrays["correct"][i]
        correct = np.unpackbits(packed, count=n).astype(bool) if arrays["has_correct"][i] else None
        out[name] = ResampledEntry(
            name=name,
            metrics={metrics[j]: float(arrays["estimates"][i, j]) for j in present},
            score=None if np.isnan(arrays["score"][i]) else float(arrays["score"][i]),
            values={metrics[j]: arrays["values"][i, j] for j in present},
            score_values=arrays["score_values"][i] if arrays["has_score"][i] else None,
            correct=correct,
            covered=None if count < 0 else arrays["covered"][int(ends[i]) - count : int(ends[i])])
    return out
