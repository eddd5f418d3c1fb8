"""Metrics of one named class in a multiclass task: ``precision_of_<class>``, ``recall_of_<class>``,
``f1_of_<class>``, and the one-vs-rest decisions an operating point makes for that class.

Why this spelling: a metric name must be a key in a Hydra override
(``strategy.constraints.recall_of_setosa=">= 0.9"``) and a name in a formula, so it can hold only
letters, digits, ``_`` and ``-``: ``recall@setosa`` would be read as a Hydra package and
``recall[setosa]`` does not parse. ``_of_`` appears in no other metric name, so the split is unambiguous
(``precision_macro`` stays the macro average; a class called ``macro`` is ``precision_of_macro``).

The metrics exist when the experiment's strategy names them (the registry is built before the data is
read, so the class names are checked once the truth is loaded, and a name that is not a class is
refused with the list of classes). Each equals scikit-learn's per-class value,
``precision_score(y, labels, labels=[c], average=None)[0]`` and likewise for recall and F1, with NaN
where the class is never predicted (precision) or never true (recall).

Pure functions: names in, names out; arrays in, numbers out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from evalkit.errors import ConfigError

if TYPE_CHECKING:
    from evalkit.config import StrategyConfig

SEPARATOR = "_of_"
# The one-vs-rest threshold metrics that have a per-class form in scikit-learn.
BASES = ("precision", "recall", "f1")


def parse(name: str) -> tuple[str, str] | None:
    """``(base, class)`` of a per-class metric name, None for any other name.

    >>> parse("recall_of_virginica"), parse("recall_macro")
    (('recall', 'virginica'), None)
    """
    base, sep, cls = name.partition(SEPARATOR)
    return (base, cls) if sep and base in BASES and cls else None


def metric_name(base: str, cls: str) -> str:
    """The per-class metric name: ``metric_name("recall", "setosa") == "recall_of_setosa"``."""
    return f"{base}{SEPARATOR}{cls}"


def named_in(strategy: StrategyConfig) -> list[str]:
    """The per-class metric names a strategy config mentions (optimize, constraints, metrics, metric)."""
    mentioned: list[str] = []
    mentioned += [strategy.optimize] if strategy.optimize else []
    mentioned += list(strategy.constraints or {})
    mentioned += list(strategy.metrics or [])
    mentioned += [strategy.metric] if strategy.metric else []
    return list(dict.fromkeys(m for m in mentioned if isinstance(m, str) and parse(m) is not None))


def class_index(name: str, classes: Sequence[str]) -> int:
    """The code of the class a per-class metric names; ConfigError listing the classes when none matches."""
    parsed = parse(name)
    assert parsed is not None, name
    cls = parsed[1]
    if cls not in classes:
        raise ConfigError(f"metric {name}: the truth has no class '{cls}'; its classes are "
                          f"{', '.join(classes)} (e.g. {metric_name(parsed[0], classes[0])})")
    return list(classes).index(cls)


def per_class_values(names: Iterable[str], classes: Sequence[str], cm: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class metrics from confusion matrices ``cm`` (b, k, k; rows true, columns predicted).

    >>> cm = np.array([[[3, 1], [2, 4]]], dtype=float)
    >>> {n: v.tolist() for n, v in per_class_values(["recall_of_b", "precision_of_b"], "ab", cm).items()}
    {'recall_of_b': [0.6666666666666666], 'precision_of_b': [0.8]}
    """
    out: dict[str, np.ndarray] = {}
    for name in names:
        parsed = parse(name)
        assert parsed is not None, name
        c = class_index(name, classes)
        tp = cm[:, c, c]
        true, predicted = cm[:, c, :].sum(axis=1), cm[:, :, c].sum(axis=1)
        num, den = {"precision": (tp, predicted), "recall": (tp, true),
                    "f1": (2.0 * tp, true + predicted)}[parsed[0]]
        value = np.full(tp.shape, np.nan)
        np.divide(num, den, out=value, where=den > 0)
        out[name] = value
    return out


def one_vs_rest_labels(scores: np.ndarray, index: int, chosen: np.ndarray) -> np.ndarray:
    """Labels when class ``index`` is predicted where ``chosen`` (its score cleared the threshold) and the
    highest-scoring *other* class elsewhere.

    >>> one_vs_rest_labels(np.array([[0.5, 0.3, 0.2], [0.6, 0.1, 0.3]]), 1, np.array([True, False])).tolist()
    [1, 0]
    """
    others = np.array(scores, dtype=np.float64, copy=True)
    others[:, index] = -np.inf
    return np.where(np.asarray(chosen, dtype=bool), index, np.argmax(others, axis=1)).astype(np.int64)
