"""Benchmark: does extrapolating a learning curve predict the score at the full training size?

Run after installing evalkit::

    python benchmarks/learning_curve.py              # every dataset x learner, 5 seeds per size
    python benchmarks/learning_curve.py --seeds 3 --quick
    python benchmarks/learning_curve.py --curves-cache curves.json   # measure once, then re-extrapolate
    python benchmarks/learning_curve.py --set holdout                # 15 curves kept apart for validation
    python benchmarks/learning_curve.py --set wide                   # 40 curves, 10,000-item test splits

For each scikit-learn dataset and learner it measures a real learning curve (stratified subsets of
the training split at geometric sizes 16 * 2**(k/2) up to the whole split, several seeds per size,
accuracy on a fixed test split), then keeps only the sizes up to 10% (and 25%) of the largest and
predicts the mean score at the largest size three ways, all in this run:

- evalkit's ``extrapolate`` (weighted fits, family chosen on held-out sizes, bootstrap interval);
- "last measured": the score at the largest kept size, i.e. assume the curve is flat from there;
- a plain power law ``a - b * n**(-c)`` fitted to all runs by unweighted least squares.

It prints the mean and median absolute error of each, and how often evalkit's interval holds the
measured score at the largest size (its stated level is 0.95 unless --level says otherwise).

``--set holdout`` measures 15 other curves (three other synthetic sets x five other learners), kept
apart so that a change to the extrapolation is checked on curves it was not tuned on. ``--set wide``
is 40 more (eight synthetic sets x five learners), defined and committed before it was first run: the
two sets above have 12 to 15 curves at a share, and test splits as small as 171 items (one item is
0.006 of accuracy), so their medians move with a single curve; here every test split has 10,000
items and every pool 16,000. Measuring the curves is half the CPU; ``--curves-cache PATH`` stores
them (JSON) on the first run and reads them back on the next, so the extrapolation alone can be
re-run.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_circles,
    make_classification,
    make_gaussian_quantiles,
    make_hastie_10_2,
    make_moons,
)
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from timing import Timing

from evalkit.learning_curve import extrapolate


def datasets(quick: bool):
    yield "digits", *load_digits(return_X_y=True)
    yield "breast_cancer", *load_breast_cancer(return_X_y=True)
    n = 6000 if quick else 20000
    yield "synthetic_20f", *make_classification(n_samples=n, n_features=20, n_informative=8, flip_y=0.05,
                                                 class_sep=0.8, random_state=0)


def holdout_datasets(quick: bool):
    n = 4000 if quick else 10000
    yield "synthetic_10f_3c", *make_classification(n_samples=n, n_features=10, n_informative=5, n_classes=3,
                                                    flip_y=0.02, class_sep=1.0, random_state=1)
    yield "hastie", *make_hastie_10_2(n_samples=n, random_state=2)
    yield "synthetic_40f", *make_classification(n_samples=n, n_features=40, n_informative=6, n_redundant=4,
                                                 flip_y=0.08, class_sep=0.6, random_state=3)


WIDE_POOL, WIDE_TEST = 16_000, 10_000


def wide_datasets(quick: bool):
    n = 6000 if quick else WIDE_POOL + WIDE_TEST
    yield "w_20f", *make_classification(n_samples=n, n_features=20, n_informative=8, flip_y=0.05,
                                         class_sep=0.8, random_state=10)
    yield "w_10f_3c", *make_classification(n_samples=n, n_features=10, n_informative=5, n_classes=3,
                                            flip_y=0.02, class_sep=1.0, random_state=11)
    yield "w_40f", *make_classification(n_samples=n, n_features=40, n_informative=6, n_redundant=4,
                                         flip_y=0.08, class_sep=0.6, random_state=12)
    yield "w_15f_4c", *make_classification(n_samples=n, n_features=15, n_informative=10, n_classes=4,
                                            flip_y=0.03, class_sep=1.2, random_state=13)
    yield "w_hastie", *make_hastie_10_2(n_samples=n, random_state=14)
    yield "w_moons", *make_moons(n_samples=n, noise=0.35, random_state=15)
    yield "w_quantiles", *make_gaussian_quantiles(n_samples=n, n_features=6, n_classes=3, random_state=16)
    yield "w_circles", *make_circles(n_samples=n, noise=0.2, factor=0.5, random_state=17)


WIDE_LEARNERS = {
    "logreg": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "naive_bayes": GaussianNB,
    "tree": lambda: DecisionTreeClassifier(min_samples_leaf=3, random_state=0),
    "knn": lambda: KNeighborsClassifier(5),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=30, min_samples_leaf=2, random_state=0),
}

LEARNERS = {
    "logreg": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "naive_bayes": GaussianNB,
    "tree": lambda: DecisionTreeClassifier(min_samples_leaf=3, random_state=0),
    "knn": lambda: KNeighborsClassifier(5),
}
HOLDOUT_LEARNERS = {
    "lda": LinearDiscriminantAnalysis,
    "ridge": lambda: make_pipeline(StandardScaler(), RidgeClassifier()),
    "knn15": lambda: KNeighborsClassifier(15),
    "tree_depth6": lambda: DecisionTreeClassifier(max_depth=6, random_state=0),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=30, min_samples_leaf=2, random_state=0),
}
SETS = {"benchmark": (datasets, LEARNERS), "holdout": (holdout_datasets, HOLDOUT_LEARNERS),
        "wide": (wide_datasets, WIDE_LEARNERS)}
# Each set's test split: a share of the data, or a whole number of items.
TEST_SIZE = {"benchmark": 0.3, "holdout": 0.3, "wide": WIDE_TEST}


def measure(x, y, make_model, seeds: int, test_size: float | int = 0.3) -> tuple[np.ndarray, np.ndarray]:
    x_pool, x_test, y_pool, y_test = train_test_split(x, y, test_size=test_size, stratify=y,
                                                      random_state=0)
    n_max = len(y_pool)
    sizes = sorted({int(16 * 2 ** (k / 2)) for k in range(40) if 16 * 2 ** (k / 2) < n_max} | {n_max})
    n_out, s_out = [], []
    for size in sizes:
        for seed in range(seeds if size < n_max else 1):
            if size < n_max:
                idx, _ = train_test_split(np.arange(n_max), train_size=size, stratify=y_pool,
                                          random_state=seed)
            else:
                idx = np.arange(n_max)
            if len(np.unique(y_pool[idx])) < 2:
                continue
            model = make_model().fit(x_pool[idx], y_pool[idx])
            n_out.append(size)
            s_out.append(float((model.predict(x_test) == y_test).mean()))
    return np.array(n_out, dtype=float), np.array(s_out)


def plain_power_law(n: np.ndarray, s: np.ndarray, at: float) -> float:
    scale = n.max()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, _ = curve_fit(lambda x, a, b, c: a - b * x ** (-c), n / scale, s, p0=[s.max(), 0.1, 0.5],
                             maxfev=20000)
        return float(p[0] - p[1] * (at / scale) ** (-p[2]))
    except RuntimeError:
        return float(s[n == n.max()].mean())


def measured_curves(which: str, seeds: int, quick: bool, cache: Path | None) -> dict[str, dict]:
    """Every curve of the set, ``{case: {"n": [...], "score": [...]}}``: from ``cache`` when it holds this
    set with these settings, else measured (and written to ``cache``)."""
    settings = {"set": which, "seeds": seeds, "quick": quick}
    if cache is not None and cache.is_file():
        stored = json.loads(cache.read_text())
        if stored.get("settings") == settings:
            return stored["curves"]
        raise SystemExit(f"{cache}: holds curves measured with {stored.get('settings')}, not {settings}; "
                         "give another --curves-cache path")
    from joblib import Parallel, delayed

    make_sets, learners = SETS[which]
    test_size = 0.3 if quick else TEST_SIZE[which]
    cases = [(f"{name}/{learner}", x, y, make_model) for name, x, y in make_sets(quick)
             for learner, make_model in learners.items()]
    # One curve per core: the curves are independent, and the wide set's 40 take minutes one by one.
    measured = Parallel(n_jobs=-1)(delayed(measure)(x, y, make_model, seeds, test_size)
                                   for _, x, y, make_model in cases)
    curves = {case: {"n": n.tolist(), "score": s.tolist()}
              for (case, *_), (n, s) in zip(cases, measured, strict=True)}
    if cache is not None:
        cache.write_text(json.dumps({"settings": settings, "curves": curves}))
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="a smaller synthetic set")
    parser.add_argument("--set", choices=sorted(SETS), default="benchmark",
                        help="the README's 20 curves, 15 others kept apart for validation, or 40 "
                             "with large test splits")
    parser.add_argument("--curves-cache", type=Path, default=None, metavar="PATH",
                        help="read the measured curves from PATH, or measure and write them there")
    args = parser.parse_args()
    clock = Timing.start()
    curves = measured_curves(args.set, args.seeds, args.quick, args.curves_cache)
    measuring = clock.stop()
    clock = Timing.start()
    rows = []
    for case, curve in curves.items():
        n, s = np.array(curve["n"]), np.array(curve["score"])
        n_max = n.max()
        truth = float(s[n == n_max].mean())
        for share in (0.10, 0.25):
            keep = n <= share * n_max
            if len(np.unique(n[keep])) < 4:
                continue
            out = extrapolate(n[keep], s[keep], at=[n_max], level=args.level, resamples=args.resamples,
                              max_factor=1e9, best_possible=1.0)
            p = out["predictions"][0]
            last = float(s[n == n[keep].max()].mean())
            rows.append({"case": case, "share": share, "truth": truth,
                         "evalkit": p.get("score", last), "reliable": out["reliable"],
                         "low": p.get("low", np.nan), "high": p.get("high", np.nan), "last": last,
                         **{k: np.nan if p.get(k) is None else p[k] for k in ("run_low", "run_high")},
                         "power_law": plain_power_law(n[keep], s[keep], n_max)})
    header = ("case", "kept", "measured", "evalkit", "interval", "last", "pow.law")
    print("{:<28} {:>5} {:>9} {:>8} {:>17} {:>7} {:>8}".format(*header))
    for r in rows:
        print(f"{r['case']:<28} {r['share']:>5.0%} {r['truth']:>9.4f} {r['evalkit']:>8.4f} "
              f"[{r['low']:.4f}, {r['high']:.4f}] {r['last']:>7.4f} {r['power_law']:>8.4f}"
              f"{'' if r['reliable'] else '  (unreliable)'}")
    print()
    for share in (0.10, 0.25):
        sub = [r for r in rows if r["share"] == share]
        if not sub:
            continue
        print(f"fitted on sizes up to {share:.0%} of the largest, predicting the largest "
              f"({len(sub)} curves):")
        for method in ("evalkit", "last", "power_law"):
            err = np.array([abs(r[method] - r["truth"]) for r in sub])
            print(f"  {method:<10} mean abs error {err.mean():.4f}   median {np.median(err):.4f}")
        closer = sum(abs(r["evalkit"] - r["truth"]) < abs(r["power_law"] - r["truth"]) for r in sub)
        print(f"  evalkit closer than the plain power law on {closer} of {len(sub)} curves")
        covered = [r["low"] <= r["truth"] <= r["high"] for r in sub if np.isfinite(r["low"])]
        print(f"  evalkit interval coverage {np.mean(covered):.2f} of {len(covered)} "
              f"(stated {args.level:.2f}): the curve's interval (its expected score at that size)")
        one = [r["run_low"] <= r["truth"] <= r["run_high"] for r in sub if np.isfinite(r["run_low"])]
        print(f"  evalkit interval coverage {np.mean(one):.2f} of {len(one)} "
              f"(stated {args.level:.2f}): one model's interval (what is measured here: one fit)")
    took = clock.stop()
    print(f"\nmeasuring the curves: {measuring.cpu:.0f} s of CPU ({measuring.wall:.0f} s wall); "
          f"extrapolating: {took.cpu:.0f} s of CPU ({took.wall:.0f} s wall)")


if __name__ == "__main__":
    main()
