"""The task interface: what a task (binary, multiclass, multilabel, detection, ...) gives the pipeline.

The pipeline — config, runner, candidates, baselines, strategies, comparison, confidence, results,
report, plots, gate — never names a task. It asks the run's :class:`Task` (from
:func:`evalkit.tasks.get_task`) how to read the truth and the predictions, which metrics exist, what
the bootstrap resamples, which curves and per-class tables there are, and how a human panel's answers
are scored. A task module never imports the runner, the report or the gate.

Hooks with a default here are optional; the others every task implements. Adding a task is one
module (or folder) under ``evalkit/tasks/``, one line in the registry and one ``conf/task/`` file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.human_rows import LABEL_PANEL_ROWS, HumanRow

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from evalkit.config import BaselineConfig, DataConfig, RunConfig
    from evalkit.entry import Entry
    from evalkit.evalset import EvalSet
    from evalkit.metrics.compute import MetricValues
    from evalkit.metrics.registry import MetricSpec
    from evalkit.predictions import Predictions
    from evalkit.strategies.base import Strategy
    from evalkit.uncertainty.intervals import ProportionCounts, RankCounts
    from evalkit.uncertainty.resampling import Resampler

# Per-resample metric values of each entry: entry name -> metric -> (resamples,) array.
ResampledValues = dict[str, dict[str, "np.ndarray"]]


@dataclass(frozen=True)
class ItemIdentity:
    """What label review compares to find duplicate items (``Task.item_identity``)."""

    # per item (rows in item order), the values that make two items the same; None: nothing to compare
    table: pd.DataFrame | None
    # what is compared, in words, for the report ("identical feature rows")
    compared: str
    # per item, its gold as a comparable value (a label, a label row, a hash of an image's boxes)
    gold: np.ndarray
    # what differs when duplicates disagree, in words, for the report
    gold_words: str = "gold labels"


@dataclass(frozen=True)
class Vocabulary:
    """How reports and figures name a task's things (items are images in detection, classes categories)."""

    items: str = "items"
    class_: str = "label"
    classes: str = "labels"
    positives: str = "positives"
    per_class_title: str = "Per-label average precision"
    per_class_axis: str = "average precision"


class Task:
    """One kind of prediction problem. Subclasses set ``name`` and implement the hooks."""

    name: str = ""
    vocabulary: Vocabulary = Vocabulary()
    # The metric an average strategy uses when none is named, and map's default metric (None: no default).
    headline_metric: str = "accuracy"
    map_metric: str | None = None
    # Whether entries can be scikit-learn estimators fitted here (detection results come from files).
    supports_estimators: bool = True
    # Whether a human panel's label is a set of labels per row (multilabel) rather than one label.
    label_sets: bool = False
    # Whether an annotator who answered every item is also compared on the same items (paired) with
    # the candidates; detection compares such an annotator on the leaderboard itself.
    pair_complete_annotators: bool = True
    # The figures the task draws besides the common ones (names in evalkit.plots.render.FIGURES, or its
    # own declared in its registry entry)
    # (leaderboard, satisficing, metrics) from metrics.json and curves.json.
    figures: tuple[str, ...] = ("pr_curves", "roc_curves", "confusion")
    # Whether curves.json holds COCO precision-recall curves (per IoU) rather than per-class curves.
    coco_curves: bool = False
    # Whether entries can be scored per slice of the items (``slices:``, see evalkit/slices): the task
    # implements ``subset`` and ``restrict`` for it.
    supports_slices: bool = True
    # Where ``slice_columns`` come from, for the message about a slice column that does not exist.
    slice_columns_source: str = "the truth's feature columns"
    # What ``item_errors`` measures, for the weakest-slice report.
    item_error_name: str = "error"
    # The kinds of rows a human baseline gives (see evalkit.human_rows), in the order reports list them.
    human_rows: tuple[HumanRow, ...] = LABEL_PANEL_ROWS

    def human_row(self, name: str) -> HumanRow | None:
        """The human row kind called ``name`` (``None`` for one this task does not make)."""
        return next((row for row in self.human_rows if row.name == name), None)
    # Whether each item has one gold class that label review (evalkit.label_review) can question: the
    # task then gives class probabilities (class_probabilities) and panels' votes are class codes.
    reviews_labels: bool = False
    # Whether label review can at least list duplicate items (item_identity) when it has no gold class to
    # question (detection: duplicate images); tasks that review labels list duplicates anyway.
    lists_duplicates: bool = False
    # Whether each label of an item's label set is reviewed as its own binary problem (multi-label):
    # class_probabilities then gives each label's probability, and panels' votes are 0/1 label vectors.
    reviews_per_label: bool = False

    # --- config -------------------------------------------------------------------------------
    def check_experiment(self, cfg: RunConfig) -> None:
        """The task's own config rules, checked before any data is read (default: none)."""

    def metrics(self, cfg: RunConfig | None = None) -> dict[str, MetricSpec]:
        """The task's metric registry: name -> direction, range, what it needs, how it is computed.

        ``cfg`` is the experiment, for tasks whose metrics depend on it (regression's named errors);
        without it, the metrics every experiment of the task has.
        """
        raise NotImplementedError

    # --- truth and predictions ----------------------------------------------------------------
    def load_evalset(self, data: DataConfig, *, truth_path: Path | None,
                     train_path: Path | None) -> EvalSet:
        """The ground truth named by ``data`` (paths already resolved)."""
        raise NotImplementedError

    def predictions_from_table(self, table: pd.DataFrame, evalset: EvalSet, *, source: str,
                               id_column: str = "id") -> Predictions:
        """A predictions table checked against the truth and aligned to its item order."""
        raise NotImplementedError

    def predictions_from_file(self, path: Path, evalset: EvalSet, *, id_column: str) -> Predictions:
        """A predictions file (CSV/Parquet table by default) as aligned predictions."""
        from evalkit.predictions import PREDICTED_LABEL_COLUMN
        from evalkit.tables import read_table

        table = read_table(path, what="predictions", text_columns=[id_column, "id", PREDICTED_LABEL_COLUMN])
        return self.predictions_from_table(table, evalset, source=str(path), id_column=id_column)

    def predictions_from_output(self, output: object, evalset: EvalSet, *, source: str) -> Predictions:
        """What a rule function returned, as predictions."""
        raise NotImplementedError

    def restrict(self, predictions: Predictions, evalset: EvalSet, items: np.ndarray) -> Predictions:
        """A full-set entry's predictions on the items at positions ``items`` only (for paired numbers)."""
        from evalkit.predictions import Predictions

        return Predictions(labels=None if predictions.labels is None else predictions.labels[items],
                           scores=None if predictions.scores is None else predictions.scores[items],
                           item_index=items)

    def subset(self, evalset: EvalSet, items: np.ndarray) -> EvalSet:
        """The eval set of the items at positions ``items`` alone (a slice scored as its own eval set)."""
        import dataclasses

        features = None if evalset.features is None else evalset.features.iloc[items]
        return dataclasses.replace(evalset, ids=evalset.ids[items], y=evalset.y[items], features=features)

    def subset_predictions(self, predictions: Predictions, evalset: EvalSet,
                           items: np.ndarray) -> Predictions | None:
        """An entry's predictions on the items at (sorted) positions ``items``, indexed within them (to go
        with ``subset``); None when the entry has no row there.

        A full-set entry goes through ``restrict``; rows that stand for weighted pseudo-items (a panel's
        subset) keep those of the slice's items, re-numbered.
        """
        import dataclasses

        import numpy as np

        if predictions.item_index is None:
            restricted = self.restrict(predictions, evalset, items)
            return dataclasses.replace(restricted, item_index=None,
                                       labels_from_scores=predictions.labels_from_scores)
        rows = np.isin(predictions.item_index, items)
        if not rows.any():
            return None
        take: dict[str, Any] = {}
        for name in ("labels", "scores", "values", "weight"):
            array = getattr(predictions, name)
            take[name] = None if array is None else array[rows]
        local = np.searchsorted(items, predictions.item_index[rows])
        return dataclasses.replace(predictions, item_index=local, **take)

    def slice_columns(self, evalset: EvalSet) -> pd.DataFrame | None:
        """The per-item columns ``slices:`` can name besides ``data.metadata_path``'s, in item order
        (default: the truth's feature columns)."""
        return evalset.features

    def item_errors(self, evalset: EvalSet, predictions: Predictions) -> np.ndarray | None:
        """Each item's error for a full-set entry (the weakest-slice search compares their means), or None
        when the task has no per-item error for these predictions (default: none)."""
        return None

    def rule_arguments(self, evalset: EvalSet, features: Callable[[], pd.DataFrame]) -> tuple[Any, ...]:
        """The arguments a rule baseline's function is called with (default: the feature table)."""
        return (features(),)

    def fit_predict(self, estimator: Any, evalset: EvalSet, X_train: pd.DataFrame, y_train: np.ndarray,
                    X_eval: pd.DataFrame) -> Predictions:
        """Fit ``estimator`` on the train split and predict the eval set (exceptions propagate)."""
        raise NotImplementedError

    def estimator_hint(self) -> str:
        """Appended to an estimator's failure message (e.g. which estimators fit this task)."""
        return ""

    def check_fitted(self, predictions: Predictions, evalset: EvalSet, *, where: str) -> None:
        """Checks of what a fitted estimator predicted (default: none)."""

    def curve_strata(self, y_train: np.ndarray) -> np.ndarray | None:
        """One stratum per train item for a learning curve's subsets, or None for plain random subsets.

        Classification stratifies by class, so a small subset keeps the class shares (and every class).
        """
        return None

    # --- operating points ---------------------------------------------------------------------
    def check_operating_point(self, cfg: RunConfig, registry: Mapping[str, MetricSpec],
                              strategy: Strategy) -> None:
        """Refuse operating-point settings before any data is read (default: only the fixed default)."""
        from evalkit.errors import ConfigError

        set_here = [f"candidates.{name}.threshold" for name, c in cfg.candidates.items()
                    if c.threshold is not None]
        if cfg.operating_point.choose_on != "fixed":
            set_here.insert(0, f"operating_point.choose_on={cfg.operating_point.choose_on}")
        if set_here:
            raise ConfigError(f"{set_here[0]}: operating points (thresholds on scores) apply to binary and "
                              f"multiclass tasks, not to task '{self.name}'; remove it")

    def apply_operating_points(self, entries: list[Entry], evalset: EvalSet,
                               registry: Mapping[str, MetricSpec], strategy: Strategy, cfg: RunConfig,
                               resolve: Callable[[str, str], Path]) -> None:
        """Turn scoring entries' scores into labels at their operating point, in place (default: none)."""

    def item_identity(self, evalset: EvalSet) -> ItemIdentity:
        """What makes two evaluated items the same, for label review's duplicates (default: identical
        feature rows; gold compared as the labels)."""
        return ItemIdentity(evalset.features, "identical feature rows", evalset.y)

    def class_probabilities(self, predictions: Predictions, evalset: EvalSet) -> np.ndarray | None:
        """An (items, classes) matrix of class probabilities for label review; None without scores
        (default: None, for tasks whose items have no single gold class)."""
        return None

    # --- metrics ------------------------------------------------------------------------------
    def compute_metrics(self, registry: Mapping[str, MetricSpec], evalset: EvalSet,
                        predictions: Predictions) -> MetricValues:
        """Every computable metric of ``registry`` for these predictions."""
        from evalkit.metrics.compute import label_score_metrics

        return label_score_metrics(registry, evalset, predictions)

    def entry_details(self, evalset: EvalSet, predictions: Predictions) -> dict[str, object]:
        """Extra per-entry fields for metrics.json, such as per-class AP (default: none)."""
        return {}

    def fingerprint(self, evalset: EvalSet) -> str:
        """sha256 of the evaluated items and their truth: the gate and ``compare`` refuse numbers made on
        other data (default: ids and one label each)."""
        from evalkit.evalset import label_fingerprint

        return label_fingerprint(evalset)

    def data_summary(self, evalset: EvalSet) -> dict[str, Any]:
        """Task-specific fields of metrics.json's ``data`` block (default: none)."""
        return {}

    # --- human panels -------------------------------------------------------------------------
    def run_human(self, name: str, cfg: BaselineConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec],
                  resolve: Callable[[str, str], Path], id_column: str) -> list[Entry]:
        """A human panel's leaderboard rows (default: annotators' labels per item, see baselines.human)."""
        from evalkit.baselines import human

        return human.run(name, cfg, evalset, registry, resolve, id_column)

    # --- uncertainty --------------------------------------------------------------------------
    def resampled_values(self, entries: Iterable[Entry], evalset: EvalSet,
                         registry: Mapping[str, MetricSpec], strategy_metrics: Iterable[str],
                         resampler: Resampler, *, progress: bool | None = None) -> ResampledValues:
        """Every entry's metric values on the shared resamples (entries without per-item data left out)."""
        raise NotImplementedError

    def restricted_values(self, best: Entry, items: np.ndarray, names: list[str], evalset: EvalSet,
                          registry: Mapping[str, MetricSpec],
                          resampler: Resampler) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """The best entry's resampled values and estimates on a subset of items, paired with the rest."""
        raise NotImplementedError

    def interval_aids(self, metric: str, y_rows: np.ndarray, labels: np.ndarray | None,
                      n_classes: int) -> tuple[ProportionCounts | None, tuple[str, RankCounts] | None]:
        """Counts that let an interval fall back when the bootstrap cannot vary (default: none)."""
        return None, None

    def interval_notes(self, evalset: EvalSet,
                       intervals: Mapping[str, Mapping[str, list[float]]]) -> list[str]:
        """Caveats about the intervals that depend on the data (default: none)."""
        return []

    # --- report -------------------------------------------------------------------------------
    def excluded_classes_note(self, excluded: int, total: int, shown: str) -> str:
        """The caveat when some classes have no positive in the truth (their AP is undefined, not 0)."""
        return (f"{excluded} of {total} labels have no positive item in the truth ({shown}): their average "
                "precision is undefined (null in per_class), and map and map_weighted leave them out "
                "instead of counting them as 0")

    # --- curves -------------------------------------------------------------------------------
    def curve_record(self, entries: Iterable[Entry], evalset: EvalSet, *, registry: Mapping[str, MetricSpec],
                     max_points: int) -> dict[str, Any]:
        """The ``curves.json`` document (default: no curves, with a note saying so)."""
        from evalkit.curves import FORMAT

        return {"format": FORMAT, "task": self.name, "classes": list(evalset.classes), "curve_classes": [],
                "entries": {}, "note": f"no curves for task '{self.name}' yet"}
