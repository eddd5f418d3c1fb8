"""The metrics the bootstrap computes, per task, and the checks on the data they receive.

Each name is defined by a scikit-learn call (the reference the tests hold us to, to 1e-9):

====================  ===========================================================================
binary                scikit-learn reference
====================  ===========================================================================
accuracy              ``accuracy_score``
balanced_accuracy     ``balanced_accuracy_score``
precision             ``precision_score(pos_label=1, zero_division=np.nan)``
recall                ``recall_score(pos_label=1, zero_division=np.nan)``
f1                    ``f1_score(pos_label=1, zero_division=np.nan)``
roc_auc               ``roc_auc_score``
average_precision     ``average_precision_score``
log_loss              ``log_loss(labels=[0, 1])``
brier                 ``brier_score_loss``
====================  ===========================================================================

====================  ===========================================================================
multiclass (k)        scikit-learn reference, with ``labels=range(k)``
====================  ===========================================================================
accuracy              ``accuracy_score``
balanced_accuracy     ``balanced_accuracy_score``
precision_macro       ``precision_score(average="macro", zero_division=np.nan)``
recall_macro          ``recall_score(average="macro", zero_division=np.nan)``
f1_macro              ``f1_score(average="macro", zero_division=np.nan)``
f1_weighted           ``f1_score(average="weighted", zero_division=np.nan)``
roc_auc_ovr           ``roc_auc_score(multi_class="ovr", average="macro")``
log_loss              ``log_loss``
====================  ===========================================================================

Defined by the experiment, not by scikit-learn (for both tasks; see their modules):

====================  ===========================================================================
expected_cost         ``costs:``, mean cost per item (:mod:`.error_costs`)
ece, brier_*          ``calibration:``, binned forecasts (:mod:`.calibration`)
recall_of_<class>     multiclass, named by the strategy: one class's precision, recall or F1
                      (:mod:`.class_metrics`; scikit-learn's ``average=None`` value of that class)
====================  ===========================================================================

Where scikit-learn raises or returns NaN on a resample (one class only for a ROC AUC, nothing
predicted positive for precision), the value is NaN; so is average precision without a positive,
where scikit-learn warns and returns 0.0. Scores are converted to float64 first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from evalkit.errors import ConfigError, DataError
from evalkit.tasks.classification import class_metrics
from evalkit.tasks.classification.calibration import CALIBRATION_METRICS, Binning
from evalkit.tasks.classification.error_costs import ErrorCosts

Task = Literal["binary", "multiclass"]
TASKS: tuple[str, ...] = ("binary", "multiclass")

# How the bootstrap may fall back to Wilson intervals (see evalkit.uncertainty.intervals):
# "ratio" is one ratio of counts, "per_class" an average of per-class ratios, None neither.
Proportion = Literal["ratio", "per_class"] | None


@dataclass(frozen=True)
class MetricSpec:
    """What a metric needs and how it is computed.

    ``family`` is ``confusion`` (from weighted confusion counts), ``ranking`` (from one sort of the
    scores), ``loss`` (a weighted mean of per-item losses), ``cost`` (a weighted mean of per-item error
    costs) or ``calibration`` (weighted sums per bin of forecasts).
    """

    needs: Literal["labels", "scores"]
    family: Literal["confusion", "ranking", "loss", "cost", "calibration"]
    proportion: Proportion = None


@dataclass(frozen=True)
class MetricSettings:
    """What the experiment-defined metrics need besides the predictions.

    ``amounts`` holds each per-item cost column, one value per row of the entry being scored (see
    :meth:`rows` for entries whose rows are pseudo-items).
    """

    costs: ErrorCosts | None = None
    binning: Binning | None = None
    amounts: Mapping[str, np.ndarray] = field(default_factory=dict)
    # The class names, in code order, for the per-class metrics (recall_of_<class>).
    classes: tuple[str, ...] = ()

    def rows(self, item_index: np.ndarray) -> MetricSettings:
        """The settings for rows that stand for the items ``item_index``."""
        return replace(self, amounts={c: v[item_index] for c, v in self.amounts.items()})


# Experiment-defined metrics, the same for both tasks (kept out of METRICS: they have no scikit-learn
# reference and need MetricSettings).
CONFIGURED: dict[str, MetricSpec] = {
    "expected_cost": MetricSpec("labels", "cost"),
    **{name: MetricSpec("scores", "calibration") for name in CALIBRATION_METRICS},
}


# Any multiclass recall_of_<class> (precision, f1): a ratio of confusion counts of that class.
PER_CLASS = MetricSpec("labels", "confusion")

METRICS: dict[str, dict[str, MetricSpec]] = {
    "binary": {
        "accuracy": MetricSpec("labels", "confusion", "ratio"),
        "balanced_accuracy": MetricSpec("labels", "confusion", "per_class"),
        "precision": MetricSpec("labels", "confusion", "ratio"),
        "recall": MetricSpec("labels", "confusion", "ratio"),
        "f1": MetricSpec("labels", "confusion", "ratio"),
        "roc_auc": MetricSpec("scores", "ranking"),
        "average_precision": MetricSpec("scores", "ranking"),
        "log_loss": MetricSpec("scores", "loss"),
        "brier": MetricSpec("scores", "loss"),
    },
    "multiclass": {
        "accuracy": MetricSpec("labels", "confusion", "ratio"),
        "balanced_accuracy": MetricSpec("labels", "confusion", "per_class"),
        "precision_macro": MetricSpec("labels", "confusion", "per_class"),
        "recall_macro": MetricSpec("labels", "confusion", "per_class"),
        "f1_macro": MetricSpec("labels", "confusion", "per_class"),
        "f1_weighted": MetricSpec("labels", "confusion", "per_class"),
        "roc_auc_ovr": MetricSpec("scores", "ranking"),
        "log_loss": MetricSpec("scores", "loss"),
    },
}


def metric_spec(task: str, name: str) -> MetricSpec:
    """The spec of metric ``name`` for ``task``; unknown names fail with the list of known ones."""
    if task not in METRICS:
        raise ConfigError(f"task={task!r} is not valid. It should be one of {list(TASKS)}.")
    spec = METRICS[task].get(name) or CONFIGURED.get(name)
    if spec is None and task == "multiclass" and class_metrics.parse(name) is not None:
        spec = PER_CLASS
    if spec is None:
        raise ConfigError(
            f"metric {name!r} has no bootstrap for task {task!r}. Known metrics: {sorted(METRICS[task])}."
        )
    return spec


@dataclass(frozen=True)
class TaskData:
    """Validated arrays of one entry: ``y_true`` and ``labels`` as int64, ``scores`` as float64."""

    task: str
    n_classes: int
    y_true: np.ndarray
    labels: np.ndarray | None
    scores: np.ndarray | None

    @property
    def n_items(self) -> int:
        return int(self.y_true.shape[0])


def validate(
    task: str,
    metric_names: list[str] | tuple[str, ...],
    y_true: np.ndarray,
    labels: np.ndarray | None,
    scores: np.ndarray | None,
    n_classes: int | None = None,
) -> TaskData:
    """Check one entry's arrays against the task conventions and what ``metric_names`` need."""
    specs = {name: metric_spec(task, name) for name in metric_names}
    y = _as_int_vector(y_true, "y_true")
    n = y.shape[0]
    s = None
    if scores is not None:
        s = np.asarray(scores, dtype=np.float64)
        if not np.all(np.isfinite(s)):
            raise DataError("scores contains NaN or infinite values; scores should be probabilities.")
    k = _n_classes(task, y, labels, s, n_classes)
    if y.size and (y.min() < 0 or y.max() >= k):
        raise DataError(f"y_true contains values outside 0..{k - 1}, the classes of the {task} task.")
    lab = None
    if labels is not None:
        lab = _as_int_vector(labels, "labels")
        if lab.shape[0] != n:
            raise DataError(f"labels has {lab.shape[0]} items but y_true has {n}.")
        if lab.min() < 0 or lab.max() >= k:
            raise DataError(f"labels contains values outside 0..{k - 1}, the classes of the {task} task.")
    if s is not None:
        _check_scores(task, s, n, k)
    for name, spec in specs.items():
        if spec.needs == "labels" and lab is None:
            raise DataError(f"metric {name!r} needs predicted labels, but labels is None.")
        if spec.needs == "scores" and s is None:
            raise DataError(f"metric {name!r} needs predicted scores, but scores is None.")
    if "roc_auc_ovr" in specs and k < 3:
        # scikit-learn's one-vs-rest AUC raises for two columns; two classes are the binary task.
        raise ConfigError(
            "roc_auc_ovr needs at least 3 classes; with 2 classes use the binary task's roc_auc."
        )
    return TaskData(task, k, y, lab, s)


def _as_int_vector(values: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise DataError(f"{name} should be a non-empty 1-d array, got shape {arr.shape}.")
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    integral_floats = arr.dtype.kind == "f" and bool(np.all(arr == np.round(arr)))
    if arr.dtype.kind not in "iu" and not integral_floats:
        raise DataError(f"{name} should hold integer class indices, got dtype {arr.dtype}.")
    return arr.astype(np.int64)


def _n_classes(
    task: str, y: np.ndarray, labels: np.ndarray | None, scores: np.ndarray | None, n_classes: int | None
) -> int:
    if task == "binary":
        if n_classes not in (None, 2):
            raise ConfigError(
                f"n_classes={n_classes} is not valid for the binary task. It should be 2 or None."
            )
        return 2
    if task != "multiclass":
        raise ConfigError(f"task={task!r} is not valid. It should be one of {list(TASKS)}.")
    if scores is not None:
        if scores.ndim != 2:
            raise DataError(f"multiclass scores should have shape (n, k), got {scores.shape}.")
        if n_classes is not None and n_classes != scores.shape[1]:
            raise DataError(f"scores has {scores.shape[1]} columns but n_classes={n_classes}.")
        return int(scores.shape[1])
    if n_classes is None:
        # labels=range(k) in the reference needs k; guessing it from the data would change the
        # macro averages whenever a class is absent.
        raise ConfigError("the multiclass task needs n_classes when scores is None.")
    if n_classes < 2:
        raise ConfigError(f"n_classes={n_classes} is not valid. It should be at least 2.")
    return int(n_classes)


def _check_scores(task: str, s: np.ndarray, n: int, k: int) -> None:
    if task == "binary" and s.ndim != 1:
        raise DataError(f"binary scores should be a 1-d array of P(class 1), got shape {s.shape}.")
    if s.shape[0] != n:
        raise DataError(f"scores has {s.shape[0]} items but y_true has {n}.")
    if s.min() < 0 or s.max() > 1:
        raise DataError(f"scores should be probabilities in [0, 1], got values in [{s.min()}, {s.max()}].")
    if task == "multiclass":
        sums = s.sum(axis=1)
        # Same tolerance as scikit-learn's multiclass roc_auc_score check (np.allclose).
        if not np.allclose(sums, 1.0):
            worst = int(np.argmax(np.abs(sums - 1.0)))
            raise DataError(f"multiclass scores rows should sum to 1; row {worst} sums to {sums[worst]}.")
