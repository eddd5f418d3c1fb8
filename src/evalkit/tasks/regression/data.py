"""Regression truth and predictions: numeric target columns, read and checked.

The truth is a table with an id column and one target (``data.label_column``) or several
(``data.targets: [x, y, z, ...]``); every other column is a feature. A predictions table has the id
column and, for each target, a column of the same name or ``pred_<name>``. Every target value must be
a finite number: a text cell, an empty cell, NaN or inf is one error naming the file, the column and
how many rows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.config import DataConfig
from evalkit.errors import ConfigError, DataError
from evalkit.evalset import EvalSet, _select_features, truth_ids
from evalkit.predictions import Predictions, align_by_id, row_ids
from evalkit.tables import read_table, require_columns

BUILTIN_DATASETS = ("diabetes",)
PREDICTION_PREFIX = "pred_"


def targets_of(data: DataConfig) -> tuple[str, ...]:
    """The target columns: ``data.targets`` when given, else ``data.label_column``."""
    if data.targets is not None:
        if not data.targets:
            raise ConfigError("data.targets is empty; list the target columns, e.g. [x, y, z], or remove it "
                              "and set data.label_column")
        if len(set(data.targets)) < len(data.targets):
            raise ConfigError(f"data.targets lists a column twice: {list(data.targets)}")
        return tuple(str(t) for t in data.targets)
    return (data.label_column,)


def numeric_columns(table: pd.DataFrame, columns: list[str], *, source: str, what: str) -> np.ndarray:
    """The columns as an ``(n, len(columns))`` float matrix; anything but finite numbers is an error."""
    out = np.empty((len(table), len(columns)))
    for j, column in enumerate(columns):
        values = pd.to_numeric(table[column], errors="coerce")
        text = values.isna() & table[column].notna()
        if text.any():
            raise DataError(f"{source}: column '{column}' has {int(text.sum())} non-numeric value(s) such as "
                            f"{table[column][text].iloc[0]!r}; {what} must be numbers")
        array = values.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(array)
        if bad.any():
            raise DataError(f"{source}: column '{column}' has {int(bad.sum())} empty, NaN or infinite "
                            f"value(s); every row needs a finite number (fill or drop those rows)")
        out[:, j] = array
    return out


def _read(path: Path, data: DataConfig, targets: tuple[str, ...],
          what: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    table = read_table(path, what=what, text_columns=[data.id_column])
    require_columns(table, [data.id_column, *targets], path=path, what=what,
                    hint="set data.id_column and data.targets (or data.label_column) to the names your "
                         "file uses")
    ids = truth_ids(table, data.id_column, path)
    return table, ids, numeric_columns(table, list(targets), source=str(path), what="targets")


def shaped(values: np.ndarray) -> np.ndarray:
    """One target as a vector (what scikit-learn regressors take and give), several as a matrix."""
    return values[:, 0] if values.shape[1] == 1 else values


def load_evalset(data: DataConfig, *, truth_path: Path | None, train_path: Path | None) -> EvalSet:
    """The regression truth named by ``data`` (paths already resolved)."""
    targets = targets_of(data)
    if truth_path is None:
        return _builtin(data)
    table, ids, y = _read(truth_path, data, targets, "truth")
    source = str(truth_path)
    features = _select_features(table.drop(columns=[data.id_column, *targets]), data.features, source)
    train_features = train_y = None
    if train_path is not None:
        train, _, train_values = _read(train_path, data, targets, "train")
        train_features = _select_features(train.drop(columns=[data.id_column, *targets]), data.features,
                                          str(train_path))
        if list(train_features.columns) != list(features.columns):
            raise DataError(f"{train_path}: feature columns differ from the truth file's "
                            f"({list(train_features.columns)[:6]} vs {list(features.columns)[:6]}); "
                            "use the same columns in both")
        train_y = shaped(train_values)
    return EvalSet(task="regression", ids=ids, y=shaped(y), classes=targets, source=source,
                   features=features.set_axis(ids) if features.shape[1] else None,
                   train_features=train_features, train_y=train_y)


def _builtin(data: DataConfig) -> EvalSet:
    if data.name not in BUILTIN_DATASETS:
        given = f"data.name='{data.name}' is not a built-in regression dataset" if data.name else \
            "no ground truth"
        raise ConfigError(f"{given}; for task regression set data.name to one of "
                          f"{', '.join(BUILTIN_DATASETS)}, or data.path to a table with the target column(s)")
    if data.targets is not None:
        raise ConfigError("data.targets does not apply to the built-in dataset 'diabetes' (one target); "
                          "remove it")
    if not 0 < data.test_size < 1:
        raise ConfigError(f"data.test_size={data.test_size} must be between 0 and 1")
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    bunch = load_diabetes(as_frame=True)
    frame: pd.DataFrame = bunch.frame.drop(columns=["target"])
    y = bunch.target.to_numpy(dtype=np.float64)
    source = "built-in dataset 'diabetes' (scikit-learn: disease progression one year after baseline)"
    features = _select_features(frame, data.features, source)
    train_idx, test_idx = train_test_split(np.arange(len(frame)), test_size=data.test_size,
                                           random_state=data.seed)
    test_idx, train_idx = np.sort(test_idx), np.sort(train_idx)
    ids = np.array([str(i) for i in frame.index], dtype=object)
    return EvalSet(task="regression", ids=ids[test_idx], y=y[test_idx], classes=("disease_progression",),
                   source=source, features=features.iloc[test_idx].set_axis(ids[test_idx]),
                   train_features=features.iloc[train_idx].reset_index(drop=True), train_y=y[train_idx])


def fingerprint(evalset: EvalSet) -> str:
    """sha256 of the target names, the ids, then every value's exact bits (float64, little-endian)."""
    digest = hashlib.sha256()
    digest.update(("\t".join(evalset.classes) + "\n").encode())
    digest.update(("\n".join(evalset.ids.tolist()) + "\n").encode())
    digest.update(np.ascontiguousarray(evalset.y, dtype="<f8").tobytes())
    return digest.hexdigest()


def prediction_columns(table: pd.DataFrame, targets: tuple[str, ...], source: str) -> list[str]:
    """For each target, the table's column that predicts it: the target's name or ``pred_<name>``."""
    found, missing = [], []
    for target in targets:
        for name in (target, PREDICTION_PREFIX + target):
            if name in table.columns:
                found.append(name)
                break
        else:
            missing.append(target)
    if missing:
        raise DataError(f"{source}: no prediction column for target(s) {missing}; name each column as the "
                        f"truth does ({', '.join(targets)}) or {PREDICTION_PREFIX}<target>")
    return found


def predictions_from_table(table: pd.DataFrame, evalset: EvalSet, *, source: str,
                           id_column: str = "id") -> Predictions:
    """A predictions table aligned to the truth's items, one value per target."""
    aligned = align_by_id(table, evalset, source=source, id_column=id_column)
    columns = prediction_columns(aligned, evalset.classes, source)
    values = numeric_columns(aligned, columns, source=source, what="predictions")
    return Predictions(labels=None, scores=None, values=shaped(values))


def predictions_from_output(output: object, evalset: EvalSet, *, source: str) -> Predictions:
    """A rule's return value: a DataFrame read like a predictions file (its index or an ``id`` column
    gives the ids), or an array of values in the order of the feature rows."""
    if isinstance(output, pd.DataFrame):
        table = output if "id" in output.columns else output.assign(id=row_ids(output, evalset))
        return predictions_from_table(table, evalset, source=source)
    try:
        values = np.asarray(output, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{source}: returned {type(output).__name__}, not numbers; return one value per "
                        "feature row (a matrix for several targets) or a DataFrame with the target "
                        "columns") from None
    expected = (evalset.n_items,) if len(evalset.classes) == 1 else (evalset.n_items, len(evalset.classes))
    if values.shape != expected:
        raise DataError(f"{source}: returned shape {values.shape}; return shape {expected} (one row per "
                        f"feature row, columns {', '.join(evalset.classes)}) or a DataFrame")
    if not np.isfinite(values).all():
        raise DataError(f"{source}: returned {int((~np.isfinite(values)).sum())} NaN or infinite value(s); "
                        "every prediction must be a finite number")
    return Predictions(labels=None, scores=None, values=values)
