"""The eval set: ground truth aligned by item id, plus features and a train split when there are any.

Ids and labels are matched as text (:func:`as_keys`): ``001`` and ``1`` are different ids, ``NA`` is a
label like any other, and only the integral ``1.0`` (how pandas writes an integer column with a gap)
is read as ``1``. Labels are encoded as integer codes into ``classes``. For a binary task the codes
are 0 (negative) and 1 (positive), so metric code never has to know which label the user calls positive.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd
from sklearn import datasets as sk_datasets
from sklearn.model_selection import train_test_split

from evalkit import text_keys
from evalkit.config import DataConfig
from evalkit.errors import ConfigError, DataError
from evalkit.tables import read_table, require_columns

if TYPE_CHECKING:
    import pyarrow as pa

    from evalkit.detection_data import DetectionTruth

# Item ids as text: pandas' Arrow-backed ``str`` array when read from a table (a few bytes per id, no
# Python object each), an object array of ``str`` otherwise. Both index, iterate and compare alike.
Keys: TypeAlias = "np.ndarray | pd.arrays.ArrowStringArray"

BUILTIN_DATASETS = {
    "breast_cancer": sk_datasets.load_breast_cancer,
    "iris": sk_datasets.load_iris,
    "wine": sk_datasets.load_wine,
    "digits": sk_datasets.load_digits,
}


@dataclass(frozen=True)
class EvalSet:
    """Ground truth for the evaluated items, in a fixed order that every entry is aligned to."""

    task: str
    ids: Keys
    y: np.ndarray
    classes: tuple[str, ...]
    source: str
    features: pd.DataFrame | None = None
    train_features: pd.DataFrame | None = None
    train_y: np.ndarray | None = None
    # multilabel only: how label names are separated in one label column (see evalkit/multilabel_data.py)
    label_delimiter: str = "|"
    # detection only: the COCO ground truth; the items are its images (see evalkit/detection_data.py)
    detection: DetectionTruth | None = None
    # Every column of the truth besides id and label, in item order, whether or not data.features selects
    # it: a per-item cost column (costs: ... {column: amount}) need not be a feature.
    truth_columns: pd.DataFrame | None = None

    @property
    def n_items(self) -> int:
        return len(self.ids)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @cached_property
    def id_index(self) -> text_keys.KeyIndex:
        """The ids ready for bulk lookups, built once and reused for every predictions file."""
        return text_keys.KeyIndex(self.ids)

    def encode(self, keys: Any, *, source: str, field: str) -> np.ndarray:
        """Map label keys (text, as :func:`match_keys` gives them) to class codes; unknown labels are an
        error naming a few."""
        codes = text_keys.positions(keys, np.array(self.classes, dtype=object))
        bad = codes < 0
        if bad.any():
            unknown = sorted(set(text_keys.as_text(text_keys.take_where(keys, bad))))
            raise DataError(f"{source}: column '{field}' has {int(bad.sum())} label(s) outside the truth's "
                            f"label set {list(self.classes)}: {unknown[:5]}; use the truth's label values"
                            + text_match_hint(unknown, self.classes, "labels"))
        return codes


def label_fingerprint(evalset: EvalSet) -> str:
    """sha256 of the evaluated ids and their labels (one label per item), so that a reference made on
    other data won't match; each task's ``Task.fingerprint`` says what its items' truth is."""
    if len(evalset.ids) != len(evalset.y):
        raise ValueError("ids and labels differ in length")
    ids = text_keys.as_arrow(evalset.ids)
    if ids is not None and all(isinstance(c, str) for c in evalset.classes):
        import pyarrow as pa
        import pyarrow.compute as pc

        labels = pa.array(list(evalset.classes), type=pa.large_string()).take(pa.array(evalset.y))
        tab, newline, empty = (pa.scalar(c, pa.large_string()) for c in ("\t", "\n", ""))
        lines = pc.binary_join_element_wise(pc.binary_join_element_wise(ids, labels, tab), empty, newline)
        return hashlib.sha256(_text_bytes(lines)).hexdigest()
    labels = np.array(evalset.classes, dtype=object)[evalset.y]
    # One update of the whole text hashes the same bytes as one update per item (sha256 streams).
    return hashlib.sha256("".join(map("{}\t{}\n".format, evalset.ids, labels)).encode()).hexdigest()


def _text_bytes(lines: pa.Array) -> memoryview:
    """The UTF-8 bytes of every cell of a ``large_string`` array, one after the other: its data buffer
    between the first and the last offset (what ``"".join(cells).encode()`` would give)."""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])] if data is not None else memoryview(b"")


_ZERO_FRACTION = text_keys.ZERO_FRACTION
# Integral floats up to this size convert to int exactly (beyond it, neighbouring integers share a float).
_EXACT_INT = 2.0 ** 53


def as_keys(values: pd.Series | np.ndarray | Iterable[object]) -> np.ndarray:
    """Ids or labels as the text they are matched by.

    Text is kept as written (leading zeros, case, ``NA``), except that an integral number written with a
    zero fraction loses it: pandas writes an integer column with an empty cell as ``1.0``. Numbers (from
    Parquet, the YAML config or a rule function) are written the same way, so ``1``, ``1.0`` and ``"1"``
    agree while ``"01"`` and ``"1"`` do not; booleans are ``True``/``False``.

    >>> as_keys(["001", "1", "1.0", "NA", 2.0, 7, True]).tolist()
    ['001', '1', '1', 'NA', '2', '7', 'True']
    """
    keys = match_keys(values)
    if isinstance(keys, np.ndarray):
        return keys if keys.dtype == object else text_keys.integer_text(keys)
    return keys.to_numpy(zero_copy_only=False)


def match_keys(values: pd.Series | np.ndarray | Iterable[object]) -> pa.Array | np.ndarray:
    """Ids or labels as :func:`as_keys` matches them, in bulk form: no Python object per cell.

    Text comes back as a pyarrow ``large_string`` array, an integer column as its int64 numbers (each
    stands for its decimal text, which :mod:`evalkit.text_keys` lookups know), and anything else (mixed
    types, floats, text pyarrow cannot hold) as :func:`as_keys`' object array.
    """
    import pyarrow as pa

    numpy_ints = isinstance(values, pd.Series | np.ndarray) and isinstance(values.dtype, np.dtype) \
        and values.dtype.kind == "i"
    if numpy_ints:
        return np.asarray(values, dtype=np.int64)  # integer ids from Parquet or a rule: no text at all
    if isinstance(values, pd.Series | pd.Index | np.ndarray | pa.Array | pa.ChunkedArray
                  | pd.api.extensions.ExtensionArray):
        arrow = text_keys.as_arrow(values)
        if arrow is not None:
            # All text (ids read from a file): the same rule as _key, vectorised, a million ids in C.
            return text_keys.normalise_arrow(arrow)
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values.astype(object)
    return np.array([_key(v) for v in series], dtype=object)


def key_array(keys: pa.Array | np.ndarray) -> Keys:
    """Keys from :func:`match_keys` as an eval set holds its ids: text, Arrow-backed when possible."""
    import pyarrow as pa

    if isinstance(keys, np.ndarray) and keys.dtype.kind == "i":
        keys = text_keys.integer_arrow(keys)
    if isinstance(keys, pa.Array | pa.ChunkedArray):
        return pd.array(keys, dtype="str")
    return keys


def _key(value: object) -> str:
    if isinstance(value, str):
        text = value.strip()
        match = _ZERO_FRACTION.match(text)
        return match.group(1) if match else text
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if number.is_integer() and abs(number) < _EXACT_INT:
            return str(int(number))
        return repr(number)
    return str(value)


def as_names(values: pd.Series | np.ndarray | Iterable[object]) -> np.ndarray:
    """Annotator and group names as text, exactly: ``1`` and ``1.0`` are two people, unlike labels."""
    return np.array([v.strip() if isinstance(v, str) else str(v) for v in values], dtype=object)


def _number(key: str) -> float | None:
    try:
        return float(key)
    except ValueError:
        return None


def written_differently(given: Iterable[str], known: Iterable[str]) -> tuple[str, str] | None:
    """A given key that equals a known one only as a number (``'001'`` vs ``'1'``), else None."""
    by_value: dict[float, str] = {}
    for key in known:
        number = _number(key)
        if number is not None:
            by_value.setdefault(number, key)
    for key in given:
        number = _number(key)
        if number is not None and by_value.get(number, key) != key:
            return key, by_value[number]
    return None


def text_match_hint(given: Iterable[str], known: Iterable[str], what: str = "ids and labels") -> str:
    """For an error about unknown ids or labels: say when one differs from a known one only in writing."""
    pair = written_differently(given, known)
    if pair is None:
        return ""
    return (f" ('{pair[0]}' is not '{pair[1]}': {what} are matched as text, so write them exactly as "
            "the truth does)")


def binary_classes(keys: np.ndarray, positive_label: object, source: str) -> tuple[str, ...]:
    """The negative and the positive label (codes 0 and 1), from the data and ``data.positive_label``."""
    present = sorted(set(keys))
    if len(present) > 2:
        raise DataError(f"{source}: task 'binary' but the labels have {len(present)} values "
                        f"({present[:6]}); set task: multiclass")
    if positive_label is None:
        if set(present) <= {"0", "1"}:
            return ("0", "1")
        if set(present) <= {"False", "True"}:
            return ("False", "True")
        raise ConfigError(f"{source}: labels are {present}; set data.positive_label to one of them")
    positive = str(as_keys([positive_label])[0])
    if positive not in present:
        raise ConfigError(f"data.positive_label={positive_label!r} is not a label of {source}; "
                          f"it should be one of {present}{text_match_hint([positive], present, 'labels')}")
    others = [k for k in present if k != positive]
    return (others[0] if others else f"not {positive}", positive)


def _natural(key: str) -> tuple[int, float, str]:
    """Sort numeric labels numerically, then text labels alphabetically.

    ``nan`` is a text label here: a NaN sort key would make the class order depend on set order. Ties
    in value (``1``, ``1e0``) are broken by the text, so the order never depends on the input's.
    """
    number = _number(key)
    if number is None or math.isnan(number):
        return (1, 0.0, key)
    return (0, number, key)


# How a task turns the label values it finds into its classes: (the distinct label keys,
# data.positive_label, source).
ClassesOf = Callable[[np.ndarray, object, str], tuple[str, ...]]


def sorted_classes(keys: np.ndarray, positive_label: object, source: str) -> tuple[str, ...]:
    """Every label value, numbers in numeric order first, then text (multiclass)."""
    return tuple(sorted(set(keys), key=_natural))


def load_evalset(task: str, data: DataConfig, *, truth_path: Path | None = None,
                 train_path: Path | None = None) -> EvalSet:
    """Load the ground truth named by ``data`` for ``task`` (paths already resolved by the caller)."""
    from evalkit.tasks import get_task  # the registry; tasks build on this module

    return get_task(task).load_evalset(data, truth_path=truth_path, train_path=train_path)


def load_labelled(task: str, data: DataConfig, classes_of: ClassesOf, *, truth_path: Path | None,
                  train_path: Path | None) -> EvalSet:
    """A single-label eval set from a table (``truth_path``) or a built-in dataset (``data.name``)."""
    if truth_path is not None:
        return _from_table(task, data, classes_of, truth_path, train_path)
    if data.name is None:
        raise ConfigError("no ground truth: set data.name to a built-in dataset "
                          f"({', '.join(BUILTIN_DATASETS)}) or data.path to a truth table")
    return _builtin(task, data, classes_of)


def _builtin(task: str, data: DataConfig, classes_of: ClassesOf) -> EvalSet:
    if data.name not in BUILTIN_DATASETS:
        raise ConfigError(f"unknown built-in dataset data.name='{data.name}'; "
                          f"valid: {', '.join(BUILTIN_DATASETS)} (or set data.path to your own table)")
    if not 0 < data.test_size < 1:
        raise ConfigError(f"data.test_size={data.test_size} must be between 0 and 1")
    bunch = BUILTIN_DATASETS[data.name](as_frame=True)
    frame: pd.DataFrame = bunch.frame.drop(columns=["target"])
    labels = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    keys = as_keys(labels)
    source = f"built-in dataset '{data.name}'"
    classes = classes_of(keys, data.positive_label, source)
    features = _select_features(frame, data.features, source)
    train_idx, test_idx = train_test_split(np.arange(len(frame)), test_size=data.test_size,
                                           random_state=data.seed, stratify=keys)
    test_idx, train_idx = np.sort(test_idx), np.sort(train_idx)
    y = _codes(classes, keys)
    ids = np.array([str(i) for i in frame.index], dtype=object)
    test_features = features.iloc[test_idx].set_axis(ids[test_idx])
    return EvalSet(task=task, ids=ids[test_idx], y=y[test_idx], classes=classes, source=source,
                   features=test_features, train_features=features.iloc[train_idx].reset_index(drop=True),
                   train_y=y[train_idx], truth_columns=frame.iloc[test_idx].set_axis(ids[test_idx]))


def _codes(classes: tuple[str, ...], keys: Any) -> np.ndarray:
    codes = text_keys.positions(keys, np.array(classes, dtype=object))
    assert (codes >= 0).all()  # the classes were made from these keys
    return codes.astype(np.int64)


def _select_features(frame: pd.DataFrame, wanted: list[str] | None, source: str) -> pd.DataFrame:
    if wanted is None:
        return frame
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ConfigError(f"{source}: data.features names columns that do not exist: {missing}")
    return frame[list(wanted)]


def truth_ids(table: pd.DataFrame, column: str, path: Path) -> Keys:
    """A truth table's item ids as keys: every row has one, and none appears twice."""
    if table[column].isna().any():
        raise DataError(f"{path}: column '{column}' has empty ids; every row needs an id")
    keys = match_keys(table[column])
    duplicated = text_keys.duplicated(keys)
    if duplicated.any():
        repeated = pd.unique(text_keys.as_text(text_keys.take_where(keys, duplicated)))
        raise DataError(f"{path}: column '{column}' has {int(duplicated.sum())} duplicate id(s), "
                        f"e.g. {list(repeated[:5])}; each item must appear once")
    return key_array(keys)


def _read_labelled(path: Path, data: DataConfig, what: str) -> tuple[pd.DataFrame, Keys, Any]:
    table = read_table(path, what=what, text_columns=[data.id_column, data.label_column], arrow_text=True)
    require_columns(table, [data.id_column, data.label_column], path=path, what=what,
                    hint="set data.id_column / data.label_column to the names your file uses")
    ids = truth_ids(table, data.id_column, path)
    if table[data.label_column].isna().any():
        n = int(table[data.label_column].isna().sum())
        raise DataError(f"{path}: column '{data.label_column}' has {n} empty label(s); "
                        "fill or drop those rows")
    labels = match_keys(table[data.label_column])
    # The ids and labels are kept as keys; the table keeps the other columns only.
    return table.drop(columns=[data.id_column, data.label_column]), ids, labels


def _from_table(task: str, data: DataConfig, classes_of: ClassesOf, truth_path: Path,
                train_path: Path | None) -> EvalSet:
    feature_frame, ids, keys = _read_labelled(truth_path, data, "truth")
    source = str(truth_path)
    # The label values present (classes_of looks at no more than that set): a million labels are a few.
    present = text_keys.distinct(keys)
    train = None
    if train_path is not None:
        train = _read_labelled(train_path, data, "train")
        present = np.concatenate([present, text_keys.distinct(train[2])])
    classes = classes_of(present, data.positive_label, source)
    features = _select_features(feature_frame, data.features, source)
    features = features.set_axis(ids) if features.shape[1] else None
    train_features = train_y = None
    if train is not None:
        train_table, _, train_keys = train
        train_features = _select_features(train_table, data.features, str(train_path))
        if features is not None and list(train_features.columns) != list(features.columns):
            raise DataError(f"{train_path}: feature columns differ from the truth file's "
                            f"({list(train_features.columns)[:6]} vs {list(features.columns)[:6]}); "
                            "use the same columns in both")
        train_y = _codes(classes, train_keys)
    return EvalSet(task=task, ids=ids, y=_codes(classes, keys), classes=classes, source=source,
                   features=features, train_features=train_features, train_y=train_y,
                   truth_columns=feature_frame.set_axis(ids))
