"""Benchmark: does the label review find planted label errors, and do a panel's votes add precision?

Run after installing evalkit (``pip install -e .``) and, for the reference column, cleanlab
(``pip install "cleanlab>=2.8"``; without it that column is skipped with a note)::

    python benchmarks/label_review.py                 # breast_cancer and digits, 1%, 3%, 10%, 2 seeds
    python benchmarks/label_review.py --seeds 1 --datasets digits

For each data set, error rate and seed: the given labels are the true ones with ``rate`` of the items
switched to another class at random (the planted errors). Three candidates (scaled logistic regression,
a random forest, scaled k-NN) give out-of-sample probabilities by 5-fold ``cross_val_predict`` on the
noisy labels; a simulated panel of 10 annotators labels every item three times, each vote the TRUE label
with probability 0.85 and another class otherwise. Then, against the planted errors:

- ``candidates``: evalkit's review on the candidates' mean probabilities alone;
- ``+ panel``: the same with the panel's votes;
- ``candidates@panel``: the candidates-only ranking cut to as many items as ``+ panel`` flagged: the
  panel adds precision when ``+ panel`` beats it at the same number of flags;
- ``cleanlab``: ``cleanlab.filter.find_label_issues`` on the same mean probabilities (its defaults,
  ranked by self-confidence), cut to as many flags as ``candidates`` flagged (its own count beside);
- ``cleanlab@panel``: the same cut to as many flags as ``+ panel`` flagged.

Precision and recall of the flagged lists are averaged over the seeds; ``flags`` is the mean number of
flagged items. ``P@planted`` ranks every item instead, and is the precision of the top ``planted`` items
(as many as there are errors): evalkit's ranking score (1 - the probability of the given label, with
or without the votes) beside cleanlab's ``rank.get_label_quality_scores`` (self-confidence), so the
rankings are compared at one count whatever each method flags.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from evalkit.label_review.ranking import PanelVotes, average_probabilities, find_suspects

DATASETS = {"breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits}
RATES = (0.01, 0.03, 0.10)
ANNOTATORS, VOTES_PER_ITEM, ANNOTATOR_ACCURACY = 10, 3, 0.85


def plant_errors(y: np.ndarray, rate: float, n_classes: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Labels with ``rate`` of the items switched to another class, and the switched positions."""
    planted = rng.choice(len(y), size=max(1, round(rate * len(y))), replace=False)
    noisy = y.copy()
    noisy[planted] = (y[planted] + rng.integers(1, n_classes, size=len(planted))) % n_classes
    return noisy, np.sort(planted)


def simulate_panel(y_true: np.ndarray, n_classes: int, rng: np.random.Generator) -> PanelVotes:
    """Three votes per item by distinct annotators, each the true label with probability 0.85."""
    n = len(y_true)
    annotators = np.stack([rng.choice(ANNOTATORS, size=VOTES_PER_ITEM, replace=False) for _ in range(n)])
    items = np.repeat(np.arange(n), VOTES_PER_ITEM)
    truth = y_true[items]
    right = rng.random(len(items)) < ANNOTATOR_ACCURACY
    wrong = (truth + rng.integers(1, n_classes, size=len(items))) % n_classes
    return PanelVotes(item=items, annotator=annotators.ravel(), label=np.where(right, truth, wrong))


def candidate_probabilities(X: np.ndarray, y: np.ndarray, seed: int) -> list[np.ndarray]:
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    models = [make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
              RandomForestClassifier(n_estimators=50, random_state=seed, n_jobs=1),
              make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=10))]
    return [cross_val_predict(m, X, y, cv=folds, method="predict_proba") for m in models]


def precision_recall(flagged: np.ndarray, planted: np.ndarray) -> tuple[float, float]:
    hits = len(np.intersect1d(flagged, planted))
    return (hits / len(flagged) if len(flagged) else float("nan")), hits / len(planted)


def top_precision(score: np.ndarray, planted: np.ndarray) -> float:
    """Precision of the ``len(planted)`` highest-scored items (ties broken by position)."""
    top = np.lexsort((np.arange(len(score)), -score))[:len(planted)]
    return len(np.intersect1d(top, planted)) / len(planted)


def cleanlab_ranked(noisy: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """cleanlab's flagged items (ranked) and its per-item label quality (lower = more suspect)."""
    try:
        from cleanlab.filter import find_label_issues
        from cleanlab.rank import get_label_quality_scores
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        issues = find_label_issues(noisy, probs, return_indices_ranked_by="self_confidence")
        quality = get_label_quality_scores(noisy, probs, method="self_confidence")
    return np.asarray(issues), np.asarray(quality)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    args = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    have_cleanlab = True
    print(f"{'data set':<14} {'rate':>5} {'planted':>7}  {'method':<17} {'flags':>6} {'precision':>9} "
          f"{'recall':>6} {'P@planted':>9}")
    for name in args.datasets:
        X, y = DATASETS[name](return_X_y=True)
        n_classes = int(y.max()) + 1
        for rate in RATES:
            results: dict[str, list[tuple[float, ...]]] = {}
            cleanlab_own: list[int] = []
            for seed in range(args.seeds):
                rng = np.random.default_rng(1000 * seed + int(rate * 1000))
                noisy, planted = plant_errors(y, rate, n_classes, rng)
                votes = simulate_panel(y, n_classes, rng)
                sources = candidate_probabilities(X, noisy, seed)
                probs = average_probabilities(sources)
                alone, panel = find_suspects(probs, noisy), find_suspects(probs, noisy, votes)
                for method, found in (("candidates", alone), ("+ panel", panel)):
                    own = (len(found.order), *precision_recall(found.order, planted),
                           top_precision(found.score, planted))
                    results.setdefault(method, []).append(own)
                with_panel = panel.order
                cut = np.lexsort((np.arange(len(noisy)), -alone.score))[:len(with_panel)]
                results.setdefault("candidates@panel", []).append(
                    (len(cut), *precision_recall(cut, planted), top_precision(alone.score, planted)))
                # cleanlab on the very same scores, unfloored (its own input), cut to the same number of flags
                reference = cleanlab_ranked(noisy, np.mean(np.stack(sources), axis=0))
                if reference is None:
                    have_cleanlab = False
                    continue
                issues, quality = reference
                cleanlab_own.append(len(issues))
                for method, count in (("cleanlab", len(alone.order)), ("cleanlab@panel", len(with_panel))):
                    cut = issues[:count]
                    results.setdefault(method, []).append((len(cut), *precision_recall(cut, planted),
                                                           top_precision(-quality, planted)))
            planted_count = max(1, round(rate * len(y)))
            for method, values in results.items():
                flags, precision, recall, at_planted = np.nanmean(np.array(values), axis=0)
                own = f"  (cleanlab's own count: {np.mean(cleanlab_own):.1f})" if method == "cleanlab" else ""
                print(f"{name:<14} {rate:>5.0%} {planted_count:>7}  {method:<17} {flags:>6.1f} "
                      f"{precision:>9.3f} {recall:>6.3f} {at_planted:>9.3f}{own}", flush=True)
    if not have_cleanlab:
        print("note: cleanlab is not installed (pip install 'cleanlab>=2.8'): its reference rows are skipped")
    print(f"{args.seeds} seed(s); {time.perf_counter() - started:.0f} s wall, "
          f"{time.process_time() - cpu:.0f} s CPU")


if __name__ == "__main__":
    main()
