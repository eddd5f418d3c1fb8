"""Multi-label data: ground truth, predictions and estimator outputs as ``(n_items, n_labels)`` matrices.

Labels of an item are a *set* of label names. A table writes them in one of two layouts:

- *indicator*: one 0/1 column per label, ``label_<name>`` (truth: ``<data.label_column>_<name>``);
- *delimited*: one column (truth: ``data.label_column``, predictions: ``label``) holding the item's label
  names separated by ``data.label_delimiter`` (default ``|``), e.g. ``cat|dog``. An empty cell is an item
  with no label, which is a valid answer in multi-label problems, not missing data.

Predictions add one score column per label, ``score_<name>`` (a probability in [0, 1]; the columns of a
row need not sum to 1), and/or labels in either layout. Labels derived from scores use 0.5 per label.

The label set (``EvalSet.classes``) comes from the truth (and the train split): the indicator columns, or
every name that occurs. In the EvalSet, ``y`` is an int 0/1 matrix with one column per label, in that order.
The single-label loaders' checks (ids, scores) are reused, so the same bad input gets the same message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import make_multilabel_classification
from sklearn.model_selection import train_test_split

from evalkit.config import DataConfig, RunConfig
from evalkit.errors import ConfigError, DataError, EvalkitError
from evalkit.evalset import EvalSet, _natural, _select_features, as_keys, text_match_hint, truth_ids
from evalkit.predictions import PREDICTED_LABEL_COLUMN, Predictions, align_by_id, numeric_scores, row_ids
from evalkit.tables import read_table

SCORE_PREFIX = "score_"
THRESHOLD = 0.5


def _synthetic_multilabel() -> tuple[pd.DataFrame, np.ndarray, tuple[str, ...]]:
    """SYNTHETIC tagging data: 800 documents as counts of 20 words, 6 tags (fixed seed, no download).

    scikit-learn ships no multi-label dataset; ``make_multilabel_classification`` draws each document's
    tags, then its words from the tags' word distributions. About 15% of documents have no tag.
    """
    X, Y = make_multilabel_classification(n_samples=800, n_features=20, n_classes=6, n_labels=2,
                                          allow_unlabeled=True, random_state=0)
    frame = pd.DataFrame(X, columns=[f"w{i}" for i in range(X.shape[1])])
    return frame, Y.astype(np.int64), tuple(f"tag{j}" for j in range(Y.shape[1]))


BUILTIN_MULTILABEL_DATASETS: dict[str, Callable[[], tuple[pd.DataFrame, np.ndarray, tuple[str, ...]]]] = {
    "synthetic_multilabel": _synthetic_multilabel,
}


def check_experiment(cfg: RunConfig) -> None:
    """Config checks for ``task: multilabel`` that need no data."""
    if cfg.data.positive_label is not None:
        raise ConfigError("data.positive_label does not apply to task multilabel (every label is scored "
                          "on its own); remove it")
    if not cfg.data.label_delimiter:
        raise ConfigError("data.label_delimiter is empty; set it to the text between label names, e.g. '|'")


# --- ground truth ---------------------------------------------------------------------------------------


def fingerprint(evalset: EvalSet) -> str:
    """sha256 of the label names (a label without positives is still part of the data), then each item's
    label set by name, so that the fingerprint does not depend on the order of the label columns."""
    sep = "\x1f"  # a character no label name contains
    digest = hashlib.sha256()
    digest.update((sep.join(sorted(evalset.classes)) + "\n").encode())
    for item, row in zip(evalset.ids, evalset.y, strict=True):
        names = sorted(c for c, on in zip(evalset.classes, row, strict=True) if on)
        digest.update(f"{item}\t{sep.join(names)}\n".encode())
    return digest.hexdigest()


def load_evalset(data: DataConfig, *, truth_path: Path | None = None,
                 train_path: Path | None = None) -> EvalSet:
    """The multi-label ground truth named by ``data`` (paths already resolved by the caller)."""
    if truth_path is not None:
        return _from_table(data, truth_path, train_path)
    if data.name not in BUILTIN_MULTILABEL_DATASETS:
        given = f"data.name='{data.name}' is not a built-in multilabel dataset" if data.name else \
            "no ground truth"
        raise ConfigError(f"{given}; for task multilabel set data.name to one of "
                          f"{', '.join(BUILTIN_MULTILABEL_DATASETS)}, or data.path to your truth table")
    if not 0 < data.test_size < 1:
        raise ConfigError(f"data.test_size={data.test_size} must be between 0 and 1")
    frame, Y, classes = BUILTIN_MULTILABEL_DATASETS[data.name]()
    source = f"built-in dataset '{data.name}' (synthetic)"
    features = _select_features(frame, data.features, source)
    # A plain seeded split: scikit-learn cannot stratify on label sets.
    train_idx, test_idx = train_test_split(np.arange(len(frame)), test_size=data.test_size,
                                           random_state=data.seed)
    test_idx, train_idx = np.sort(test_idx), np.sort(train_idx)
    ids = np.array([str(i) for i in frame.index], dtype=object)
    return EvalSet(task="multilabel", ids=ids[test_idx], y=Y[test_idx], classes=classes, source=source,
                   features=features.iloc[test_idx].set_axis(ids[test_idx]),
                   train_features=features.iloc[train_idx].reset_index(drop=True), train_y=Y[train_idx],
                   label_delimiter=data.label_delimiter)


def _read_ids(table: pd.DataFrame, data: DataConfig, path: Path) -> np.ndarray:
    """The truth's item ids; the same guarantees as the single-label truth (present, unique, non-empty)."""
    column = data.id_column
    if column not in table.columns:
        present = ", ".join(map(str, table.columns[:12]))
        raise DataError(f"{path}: the truth file has no column '{column}' (columns present: {present}); "
                        "set data.id_column to the name your file uses")
    return truth_ids(table, column, path)


def _label_columns(columns: Iterable[object], column: str, prefix: str, *, exclude: str,
                   source: object) -> tuple[str, list[str]]:
    """Which layout a table uses: ``("indicator", [prefix+name, ...])`` or ``("delimited", [column])``."""
    names = [str(c) for c in columns]
    indicator = [c for c in names if c.startswith(prefix) and len(c) > len(prefix) and c != exclude]
    if indicator and column in names:
        raise DataError(f"{source}: has both a '{column}' column and '{prefix}<name>' columns; keep one "
                        "layout (one 0/1 column per label, or one column of label names)")
    if indicator:
        return "indicator", indicator
    if column in names:
        return "delimited", [column]
    return "none", []


def _indicator_matrix(table: pd.DataFrame, columns: Sequence[str], source: object) -> np.ndarray:
    """0/1 columns as an int matrix; empty or other values are an error naming the column."""
    out = np.zeros((len(table), len(columns)), dtype=np.int64)
    for j, name in enumerate(columns):
        raw = table[name]
        if raw.isna().any():
            raise DataError(f"{source}: column '{name}' has {int(raw.isna().sum())} empty value(s); "
                            "mark each label 1 (present) or 0 (absent) on every row")
        values = pd.to_numeric(raw, errors="coerce")
        bad = ~values.isin([0, 1])
        if bad.any():
            example = raw[bad].iloc[0]
            example = example.item() if isinstance(example, np.generic) else example  # 2, not np.int64(2)
            raise DataError(f"{source}: column '{name}' has value(s) other than 0 and 1, e.g. "
                            f"{example!r}; mark each label 1 (present) or 0 (absent)")
        out[:, j] = values.to_numpy(dtype=np.int64)
    return out


def _label_sets(column: pd.Series, delimiter: str) -> list[frozenset[str]]:
    """Each cell's label names; an empty cell is an item without labels.

    Names are matched as text like single labels (:func:`evalkit.evalset.as_keys`): ``NA`` is a name.
    """
    present = column.notna().to_numpy()
    cells = np.full(len(column), "", dtype=object)
    if present.any():
        cells[present] = as_keys(column[present])
    return [frozenset(as_keys(n for n in cell.split(delimiter) if n.strip())) for cell in cells]


def _matrix(sets: Sequence[frozenset[str]], classes: Sequence[str]) -> np.ndarray:
    position = {c: j for j, c in enumerate(classes)}
    out = np.zeros((len(sets), len(classes)), dtype=np.int64)
    for i, names in enumerate(sets):
        out[i, [position[n] for n in names]] = 1
    return out


# (features, ids, label names if the indicator layout is used, indicator matrix or label sets)
_Truth = tuple[pd.DataFrame, np.ndarray, tuple[str, ...] | None, np.ndarray | list[frozenset[str]]]


def _read_truth(path: Path, data: DataConfig, what: str) -> _Truth:
    """Read a truth (or train) table in either label layout."""
    table = read_table(path, what=what, text_columns=[data.id_column, data.label_column])
    ids = _read_ids(table, data, path)
    prefix = f"{data.label_column}_"
    layout, columns = _label_columns(table.columns, data.label_column, prefix, exclude=data.id_column,
                                     source=path)
    if layout == "none":
        present = ", ".join(map(str, table.columns[:12]))
        raise DataError(f"{path}: the {what} file has no label columns (columns present: {present}); "
                        f"give one 0/1 column per label named '{prefix}<name>', or one column "
                        f"'{data.label_column}' of label names separated by '{data.label_delimiter}' "
                        "(see data.label_column, data.label_delimiter)")
    features = table.drop(columns=[data.id_column, *columns])
    if layout == "indicator":
        names = tuple(c[len(prefix):] for c in columns)
        return features, ids, names, _indicator_matrix(table, columns, path)
    return features, ids, None, _label_sets(table[data.label_column], data.label_delimiter)


def _from_table(data: DataConfig, truth_path: Path, train_path: Path | None) -> EvalSet:
    features, ids, names, labels = _read_truth(truth_path, data, "truth")
    train = _read_truth(train_path, data, "train") if train_path is not None else None
    if names is not None:
        classes = names
        if train is not None and train[2] != names:
            raise DataError(f"{train_path}: label columns differ from the truth file's "
                            f"({list(train[2] or [])[:6]} vs {list(names)[:6]}); use the same labels in both")
    else:
        if train is not None and train[2] is not None:
            raise DataError(f"{train_path}: uses one 0/1 column per label but the truth file uses the "
                            f"'{data.label_column}' column; write both files the same way")
        occurring = set().union(*labels, *(train[3] if train is not None else []))
        classes = tuple(sorted(occurring, key=_natural))
    if not classes:
        raise DataError(f"{truth_path}: no item has a label, so there is no label to score; check "
                        f"data.label_delimiter ('{data.label_delimiter}') and column '{data.label_column}'")
    y = labels if isinstance(labels, np.ndarray) else _matrix(labels, classes)
    source = str(truth_path)
    selected = _select_features(features, data.features, source)
    test_features = selected.set_axis(ids) if selected.shape[1] else None
    train_features = train_y = None
    if train is not None:
        train_features = _select_features(train[0], data.features, str(train_path))
        if test_features is not None and list(train_features.columns) != list(test_features.columns):
            raise DataError(f"{train_path}: feature columns differ from the truth file's "
                            f"({list(train_features.columns)[:6]} vs {list(test_features.columns)[:6]}); "
                            "use the same columns in both")
        train_y = train[3] if isinstance(train[3], np.ndarray) else _matrix(train[3], classes)
    return EvalSet(task="multilabel", ids=ids, y=y, classes=classes, source=source, features=test_features,
                   train_features=train_features, train_y=train_y, label_delimiter=data.label_delimiter)


# --- predictions ----------------------------------------------------------------------------------------


def _shown(names: Sequence[str], k: int = 8) -> str:
    return "[" + ", ".join(map(repr, names[:k])) + (", ..." if len(names) > k else "") + "]"


def _unknown_names(given: Sequence[str], evalset: EvalSet, source: str, what: str) -> None:
    """Refuse label names the truth does not have; ``what`` says where they were found."""
    known = set(evalset.classes)
    unknown = sorted({n for n in given if n not in known}, key=_natural)
    if unknown:
        raise DataError(f"{source}: {what} that are not in the truth: {_shown(unknown, 5)}; use the "
                        f"truth's label names {_shown(evalset.classes)}"
                        + text_match_hint(unknown, evalset.classes, "label names"))


def _score_matrix(table: pd.DataFrame, evalset: EvalSet, source: str) -> np.ndarray | None:
    present = [str(c) for c in table.columns if str(c).startswith(SCORE_PREFIX)]
    if not present:
        return None
    _unknown_names([c[len(SCORE_PREFIX):] for c in present], evalset, source, "score column(s) for label(s)")
    names = [f"{SCORE_PREFIX}{c}" for c in evalset.classes]
    missing = [n for n in names if n not in present]
    if missing:
        raise DataError(f"{source}: score columns missing for {len(missing)} label(s): {_shown(missing, 5)}; "
                        "give one score_<label> column per label")
    return np.column_stack([numeric_scores(table, n, source) for n in names])


def predicted_label_matrix(table: pd.DataFrame, evalset: EvalSet, source: str) -> np.ndarray | None:
    """The label sets of a table as an (rows, labels) 0/1 matrix, from either layout; None without labels."""
    prefix = f"{PREDICTED_LABEL_COLUMN}_"
    layout, columns = _label_columns(table.columns, PREDICTED_LABEL_COLUMN, prefix, exclude="",
                                     source=source)
    if layout == "none":
        return None
    if layout == "indicator":
        _unknown_names([c[len(prefix):] for c in columns], evalset, source, "label column(s) for label(s)")
        names = [f"{prefix}{c}" for c in evalset.classes]
        missing = [n for n in names if n not in columns]
        if missing:
            raise DataError(f"{source}: label columns missing for {len(missing)} label(s): "
                            f"{_shown(missing, 5)}; give one 0/1 label_<label> column per label")
        return _indicator_matrix(table, names, source)
    sets = _label_sets(table[PREDICTED_LABEL_COLUMN], evalset.label_delimiter)
    _unknown_names(sorted(set().union(*sets)), evalset, source,
                   f"column '{PREDICTED_LABEL_COLUMN}' has label name(s)")
    return _matrix(sets, evalset.classes)


def predictions_from_table(table: pd.DataFrame, evalset: EvalSet, *, source: str,
                           id_column: str = "id") -> Predictions:
    """Validate a multi-label predictions table and align it to the eval set's items and labels."""
    aligned = align_by_id(table, evalset, source=source, id_column=id_column)
    scores = _score_matrix(aligned, evalset, source)
    labels = predicted_label_matrix(aligned, evalset, source)
    if labels is None and scores is None:
        first = evalset.classes[0]
        raise DataError(f"{source}: no prediction columns; add one score column per label "
                        f"('{SCORE_PREFIX}{first}', ...) and/or labels: 0/1 columns ('label_{first}', ...) "
                        f"or a 'label' column of names separated by '{evalset.label_delimiter}'")
    if labels is None:
        assert scores is not None
        return Predictions(labels=labels_from_scores(scores), scores=scores, labels_from_scores=True)
    return Predictions(labels=labels, scores=scores)


def labels_from_scores(scores: np.ndarray) -> np.ndarray:
    """Each label on its own: present when its score is at least 0.5."""
    return (scores >= THRESHOLD).astype(np.int64)


def predictions_from_output(output: object, evalset: EvalSet, *, source: str) -> Predictions:
    """Predictions from a rule function's return value, for task multilabel.

    Accepted: a DataFrame read like a predictions file (its index, or an ``id`` column, gives the ids); an
    ``(n_items, n_labels)`` 0/1 array in the order of the feature rows and of the truth's labels; or one
    entry per feature row holding that row's label names (a delimited string or a list/set of names).
    """
    if isinstance(output, pd.DataFrame):
        table = output if "id" in output.columns else output.assign(id=row_ids(output, evalset))
        return predictions_from_table(table, evalset, source=source)
    values = np.asarray(output, dtype=object) if not isinstance(output, np.ndarray) else output
    shape = (evalset.n_items, evalset.n_classes)
    if values.ndim == 2 and values.shape == shape:
        table = pd.DataFrame(values, columns=[f"label_{c}" for c in evalset.classes]).assign(id=evalset.ids)
        return predictions_from_table(table, evalset, source=source)
    if values.ndim == 1 and len(values) == evalset.n_items:
        cells = [v if isinstance(v, str) or _is_missing(v) else evalset.label_delimiter.join(map(str, v))
                 for v in values]
        table = pd.DataFrame({"id": evalset.ids, PREDICTED_LABEL_COLUMN: cells})
        return predictions_from_table(table, evalset, source=source)
    raise DataError(f"{source}: returned shape {values.shape}; return an {shape} 0/1 array, one label set "
                    "per feature row, or a DataFrame with score_<label> / label_<label> columns")


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


# --- estimator outputs ----------------------------------------------------------------------------------


def scores_from_proba(proba: Any, classes: Any, *, n_items: int, n_labels: int) -> np.ndarray:
    """An estimator's ``predict_proba`` on a label matrix as an ``(n_items, n_labels)`` score matrix.

    Multi-output estimators (MultiOutputClassifier, forests, k-NN, DummyClassifier) return one
    ``(n_items, n_classes_j)`` array per label, with ``classes_[j]`` naming its columns: the score is the
    column of class 1, or 0 for a label that had no positive in the training data. Others
    (ClassifierChain, OneVsRestClassifier, MLPClassifier) return the matrix itself.

    >>> p = [np.array([[0.8, 0.2], [0.4, 0.6]]), np.array([[1.0], [1.0]])]
    >>> scores_from_proba(p, [np.array([0, 1]), np.array([0])], n_items=2, n_labels=2).tolist()
    [[0.2, 0.0], [0.6, 0.0]]
    """
    if isinstance(proba, list):
        if len(proba) != n_labels or classes is None or len(classes) != n_labels:
            raise EvalkitError(f"predict_proba gave {len(proba)} outputs for {n_labels} labels; fit the "
                               "estimator on the full label matrix")
        out = np.zeros((n_items, n_labels))
        for j, (column_proba, column_classes) in enumerate(zip(proba, classes, strict=True)):
            where = np.flatnonzero(np.asarray(column_classes) == 1)
            if where.size:
                out[:, j] = np.asarray(column_proba, dtype=np.float64)[:, where[0]]
        return out
    matrix = np.asarray(proba, dtype=np.float64)
    if matrix.shape != (n_items, n_labels):
        raise EvalkitError(f"predict_proba gave shape {matrix.shape}, not (n_items, n_labels) = "
                           f"{(n_items, n_labels)}; use an estimator that predicts a label matrix")
    return matrix


def check_predicted_labels(labels: np.ndarray, evalset: EvalSet, *, where: str) -> None:
    """An estimator's ``predict`` must give a 0/1 matrix with one column per label."""
    shape = (evalset.n_items, evalset.n_classes)
    if labels.shape != shape or not np.isin(labels, (0, 1)).all():
        raise EvalkitError(f"{where}: the estimator predicts {labels.shape} values, not an {shape} 0/1 label "
                           "matrix; for task multilabel use an estimator fitted on the label matrix, e.g. "
                           "sklearn.multioutput.MultiOutputClassifier")
