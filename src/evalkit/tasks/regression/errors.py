"""Named per-item errors: requirements stated on derived errors (position in cm, angle in degrees).

A user's ``errors:`` section names each error and says how to compute it per item from the truth and
prediction columns::

    errors:
      position_cm: {kind: euclidean, columns: [x, y, z], scale: 100, tolerances: [1, 2]}
      yaw_deg:     {kind: angle, column: yaw, period: 360, tolerances: [5]}
      angle_deg:   {kind: rotation, columns: [qw, qx, qy, qz], tolerances: [5, 10]}
      price:       {kind: absolute, column: price, tolerances: [10]}

Each named error yields ``<name>_mean``, ``_median``, ``_rmse``, ``_max``, ``_p90``, ``_p95`` (lower is
better) and ``<name>_within_<tol>``, the share of items with error <= tol (higher is better).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evalkit.errors import ConfigError, DataError
from evalkit.tasks.regression.metrics import RangedMetricSpec

KINDS = ("absolute", "euclidean", "angle", "rotation")
KEYS = ("kind", "column", "columns", "scale", "period", "tolerances")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Summary statistics of a named error, in this order: (suffix, percentile or None).
QUANTILES: dict[str, float] = {"median": 50.0, "p90": 90.0, "p95": 95.0, "max": 100.0}
SUMMARIES = ("mean", "median", "rmse", "max", "p90", "p95")
# A quaternion whose length is further than this from 1 is normalised and counted, so the caller can
# say so; rounding in files written with ~7 digits stays below it.
UNIT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ErrorSpec:
    """One named per-item error, validated.

    ``columns`` holds one column (absolute, angle), one or more (euclidean), or four quaternion
    components in w, x, y, z order (rotation). ``scale`` multiplies absolute and euclidean errors
    (100 turns metres into cm); ``period`` is the angle kind's full turn (360 for degrees).
    """

    name: str
    kind: str
    columns: tuple[str, ...]
    scale: float = 1.0
    period: float | None = None
    tolerances: tuple[float, ...] = ()

    @property
    def unit_note(self) -> str:
        """The error's unit in words, for metric descriptions."""
        if self.kind == "rotation":
            return "degrees"
        return "the columns' units" + (f" x {self.scale:g}" if self.scale != 1.0 else "")


@dataclass(frozen=True)
class ItemErrors:
    """Per-item errors and how many quaternions had to be normalised (rotation only), per side."""

    errors: np.ndarray
    normalised_truth: int = 0
    normalised_pred: int = 0


def _number(value: object, where: str, *, what: str, fix: str, positive: bool) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(float(value))
    ):
        raise ConfigError(f"{where}: {value!r} is not a finite number; fix: {fix}")
    number = float(value) + 0.0  # -0.0 becomes 0.0, so its metric name reads within_0, not within_-0
    if number < 0 or (positive and number == 0):
        bound = "positive" if positive else "0 or more"
        raise ConfigError(f"{where}: {what} {number:g} is not {bound}; fix: {fix}")
    return number


def tolerance_label(tolerance: float) -> str:
    """How a tolerance reads inside a metric name: integers as integers, else ``p`` for the point.

    >>> tolerance_label(5.0), tolerance_label(0.5), tolerance_label(1e-7)
    ('5', '0p5', '0p0000001')
    """
    return np.format_float_positional(float(tolerance), trim="-").replace(".", "p")


def _columns(name: str, kind: str, raw: Mapping[str, object]) -> tuple[str, ...]:
    where = f"errors.{name}"
    if "column" in raw and "columns" in raw:
        raise ConfigError(f"{where}: give either column or columns, not both; fix: keep one of them")
    given = raw.get("columns", raw.get("column"))
    if given is None:
        example = {"euclidean": "columns: [x, y, z]", "rotation": "columns: [qw, qx, qy, qz]"}.get(
            kind, "column: y"
        )
        raise ConfigError(f"{where}: no column given; fix: add e.g. {example}")
    columns = (given,) if isinstance(given, str) else given
    if not isinstance(columns, Sequence) or not all(isinstance(c, str) and c for c in columns):
        raise ConfigError(f"{where}.columns: {given!r} is not a list of column names; fix: e.g. [x, y, z]")
    columns = tuple(columns)
    if len(set(columns)) != len(columns):
        raise ConfigError(
            f"{where}.columns: {list(columns)} names a column twice; fix: list each column once"
        )
    expected = {"absolute": "exactly 1", "angle": "exactly 1", "rotation": "exactly 4 (w, x, y, z)"}.get(kind)
    ok = len(columns) >= 1 if kind == "euclidean" else len(columns) == (4 if kind == "rotation" else 1)
    if not ok:
        fix = {
            "rotation": "list the quaternion's components in w, x, y, z order, e.g. [qw, qx, qy, qz]",
            "euclidean": "list the coordinates, e.g. [x, y, z]",
        }.get(kind, "name one column, e.g. column: y")
        raise ConfigError(
            f"{where}.columns: kind {kind} needs {expected or 'at least 1'} column(s), got "
            f"{len(columns)}; fix: {fix}"
        )
    return columns


def parse_error_spec(name: object, raw: object) -> ErrorSpec:
    """One entry of the ``errors:`` section as an :class:`ErrorSpec`, or a one-line ConfigError.

    >>> parse_error_spec("yaw_deg", {"kind": "angle", "column": "yaw", "period": 360, "tolerances": [5]})
    ErrorSpec(name='yaw_deg', kind='angle', columns=('yaw',), scale=1.0, period=360.0, tolerances=(5.0,))
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ConfigError(
            f"errors.{name}: the name is not an identifier; fix: use letters, digits and _ "
            "only, not starting with a digit (e.g. position_cm), so metric names stay usable "
            "in formulas and constraints"
        )
    where = f"errors.{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: {raw!r} is not a mapping; fix: e.g. {{kind: absolute, column: y}}")
    unknown = [k for k in raw if k not in KEYS]
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key; fix: use only {', '.join(KEYS)}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}.kind: {kind!r} is not a known kind; fix: use one of {', '.join(KINDS)}")
    columns = _columns(name, str(kind), raw)
    scale = 1.0
    if "scale" in raw:
        if kind not in ("absolute", "euclidean"):
            raise ConfigError(
                f"{where}.scale: kind {kind} takes no scale (its error is in "
                f"{'degrees' if kind == 'rotation' else 'the period units'}); fix: remove scale"
            )
        scale = _number(
            raw["scale"],
            f"{where}.scale",
            what="scale",
            positive=True,
            fix="give a positive factor, e.g. scale: 100 for metres to cm",
        )
    period = None
    if kind == "angle":
        if "period" not in raw:
            raise ConfigError(
                f"{where}.period: missing; fix: give the full turn in the column's units, "
                "e.g. period: 360 for degrees"
            )
        period = _number(
            raw["period"],
            f"{where}.period",
            what="period",
            positive=True,
            fix="give the full turn in the column's units, e.g. 360 for degrees",
        )
    elif "period" in raw:
        raise ConfigError(f"{where}.period: only kind angle takes a period; fix: remove period")
    given = raw.get("tolerances", [])
    if isinstance(given, str) or not isinstance(given, Sequence):
        raise ConfigError(f"{where}.tolerances: {given!r} is not a list; fix: e.g. tolerances: [1, 2]")
    tolerances = tuple(
        _number(
            t,
            f"{where}.tolerances[{i}]",
            what="tolerance",
            positive=False,
            fix="give errors as numbers 0 or more in the error's units, e.g. tolerances: [1, 2.5]",
        )
        for i, t in enumerate(given)
    )
    labels = [tolerance_label(t) for t in tolerances]
    if len(set(labels)) != len(labels):
        twice = next(label for label in labels if labels.count(label) > 1)
        raise ConfigError(
            f"{where}.tolerances: {twice.replace('p', '.')} is listed twice; fix: list each tolerance once"
        )
    return ErrorSpec(name, str(kind), columns, scale, period, tolerances)


def parse_error_specs(section: object) -> dict[str, ErrorSpec]:
    """The whole ``errors:`` section, validated, by name (empty for a missing section)."""
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise ConfigError(
            f"errors: {section!r} is not a mapping of names to errors; fix: e.g. "
            "errors: {price: {kind: absolute, column: price}}"
        )
    # Metric names cannot collide between errors: every suffix is a summary name or within_<digits...>,
    # so name_suffix identifies both parts.
    return {str(name): parse_error_spec(name, raw) for name, raw in section.items()}


def _possessive(side: str) -> str:
    return f"{side}'" if side.endswith("s") else f"{side}'s"


def _stack(spec: ErrorSpec, values: Mapping[str, np.ndarray], side: str) -> np.ndarray:
    """The spec's columns from one side as a float64 ``(n, k)`` array, with bad values named."""
    missing = [c for c in spec.columns if c not in values]
    if missing:
        raise DataError(
            f"errors.{spec.name}: the {side} has no column '{missing[0]}'; fix: add it or name an "
            f"existing column (the {side} has: {', '.join(map(str, values)) or 'none'})"
        )
    try:
        stacked = np.column_stack([np.asarray(values[c], dtype=np.float64) for c in spec.columns])
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"errors.{spec.name}: the {_possessive(side)} columns {', '.join(spec.columns)} are not "
            f"numeric 1-d arrays of one length ({exc}); fix: give numbers only"
        ) from None
    if spec.kind != "rotation":
        bad = ~np.isfinite(stacked).all(axis=1)
        if bad.any():
            raise DataError(
                f"errors.{spec.name}: the {side} has {int(bad.sum())} row(s) with NaN or infinite "
                f"values in {', '.join(spec.columns)}; fix: remove or fill those rows"
            )
    return stacked


def _unit_quaternions(q: np.ndarray, spec: ErrorSpec, side: str) -> tuple[np.ndarray, int]:
    norm = np.sqrt(np.einsum("ij,ij->i", q, q))
    bad = ~np.isfinite(q).all(axis=1) | ~np.isfinite(norm) | (norm == 0)
    if bad.any():
        raise DataError(
            f"errors.{spec.name}: the {_possessive(side)} quaternions ({', '.join(spec.columns)}) have zero "
            f"length or NaN/infinite components in {int(bad.sum())} row(s); fix: give a unit "
            "quaternion (w, x, y, z) for every item"
        )
    return q / norm[:, None], int(np.count_nonzero(np.abs(norm - 1) > UNIT_TOLERANCE))


def rotation_angle_deg(q_true: np.ndarray, q_pred: np.ndarray) -> np.ndarray:
    """Angle in degrees, in [0, 180], of the rotation between unit quaternions (rows w, x, y, z).

    ``2 * atan2(|v|, |w|)`` of the relative rotation ``conj(q_true) * q_pred``, which equals
    ``2 * arccos(|<q_true, q_pred>|)`` but keeps full relative precision for tiny angles, where arccos
    of a number next to 1 loses everything below ~1e-6 degrees. ``|w|`` makes q and -q (the same
    rotation) give the same angle.
    """
    w1, v1 = q_true[:, 0], q_true[:, 1:]
    w2, v2 = q_pred[:, 0], q_pred[:, 1:]
    w = w1 * w2 + np.einsum("ij,ij->i", v1, v2)
    v = w1[:, None] * v2 - w2[:, None] * v1 - np.cross(v1, v2)
    return np.degrees(2 * np.arctan2(np.sqrt(np.einsum("ij,ij->i", v, v)), np.abs(w)))


def compute_item_errors(
    spec: ErrorSpec, truth: Mapping[str, np.ndarray], pred: Mapping[str, np.ndarray]
) -> ItemErrors:
    """Per-item errors of ``spec`` and, for rotations, how many quaternions were not unit length.

    ``truth`` and ``pred`` map column names to 1-d arrays aligned item by item.
    """
    t, p = _stack(spec, truth, "truth"), _stack(spec, pred, "predictions")
    if t.shape != p.shape:
        raise DataError(
            f"errors.{spec.name}: truth has {t.shape[0]} rows and predictions {p.shape[0]}; "
            "fix: align the predictions with the truth, one row per item"
        )
    if spec.kind == "absolute":
        return ItemErrors(np.abs(p[:, 0] - t[:, 0]) * spec.scale)
    if spec.kind == "euclidean":
        diff = p - t
        return ItemErrors(np.sqrt(np.einsum("ij,ij->i", diff, diff)) * spec.scale)
    if spec.kind == "angle":
        period = float(spec.period)  # type: ignore[arg-type]  # validated: angle has a period
        turned = np.mod(p[:, 0] - t[:, 0], period)
        return ItemErrors(np.minimum(turned, period - turned))
    qt, normalised_truth = _unit_quaternions(t, spec, "truth")
    qp, normalised_pred = _unit_quaternions(p, spec, "predictions")
    return ItemErrors(rotation_angle_deg(qt, qp), normalised_truth, normalised_pred)


def item_errors(
    spec: ErrorSpec, truth: Mapping[str, np.ndarray], pred: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Per-item errors of ``spec`` (see :func:`compute_item_errors` for the normalisation counts).

    >>> spec = parse_error_spec("yaw_deg", {"kind": "angle", "column": "yaw", "period": 360})
    >>> item_errors(spec, {"yaw": np.array([359.0, 10.0])}, {"yaw": np.array([1.0, 190.0])})
    array([  2., 180.])
    """
    return compute_item_errors(spec, truth, pred).errors


def error_metric_names(spec: ErrorSpec) -> list[str]:
    """The metric names ``spec`` yields, summaries first, then one share per tolerance."""
    return [f"{spec.name}_{s}" for s in SUMMARIES] + [
        f"{spec.name}_within_{tolerance_label(t)}" for t in spec.tolerances
    ]


def error_metric_specs(specs: Mapping[str, ErrorSpec] | Sequence[ErrorSpec]) -> dict[str, RangedMetricSpec]:
    """Registry entries for every metric the named errors yield (direction, range, description)."""
    out: dict[str, RangedMetricSpec] = {}
    for spec in specs.values() if isinstance(specs, Mapping) else specs:
        for suffix in SUMMARIES:
            name = f"{spec.name}_{suffix}"
            out[name] = RangedMetricSpec(
                name,
                False,
                "errors",
                False,
                None,
                low=0.0,
                high=math.inf,
                description=f"{suffix} of the per-item {spec.kind} error {spec.name}, in {spec.unit_note}",
            )
        for t in spec.tolerances:
            name = f"{spec.name}_within_{tolerance_label(t)}"
            out[name] = RangedMetricSpec(
                name,
                True,
                "errors",
                True,
                None,
                low=0.0,
                high=1.0,
                description=f"share of items whose {spec.name} error is <= {t:g}",
            )
    return out


def error_metrics(spec: ErrorSpec, errors: np.ndarray) -> dict[str, float]:
    """The metrics of one named error from its per-item errors; quantiles as ``np.percentile``.

    >>> spec = parse_error_spec("price", {"kind": "absolute", "column": "p", "tolerances": [1, 0.5]})
    >>> error_metrics(spec, np.array([0.0, 1.0, 3.0]))["price_within_0p5"]
    0.3333333333333333
    """
    e = np.asarray(errors, dtype=np.float64)
    if e.ndim != 1 or e.size == 0:
        raise DataError(
            f"errors.{spec.name}: need a non-empty 1-d array of per-item errors, got shape {e.shape}"
        )
    out = {f"{spec.name}_mean": float(np.mean(e)), f"{spec.name}_rmse": float(np.sqrt(np.mean(e * e)))}
    for suffix, q in QUANTILES.items():
        out[f"{spec.name}_{suffix}"] = float(np.percentile(e, q))
    for t in spec.tolerances:
        out[f"{spec.name}_within_{tolerance_label(t)}"] = float(np.count_nonzero(e <= t) / e.size)
    return {name: out[name] for name in error_metric_names(spec)}


@dataclass(frozen=True)
class NamedErrorMetric(RangedMetricSpec):
    """A summary of a named per-item error (``position_cm_p95``); ``error`` says which and how."""

    error: ErrorSpec | None = None


def error_specs(registry: Mapping[str, object]) -> dict[str, ErrorSpec]:
    """The named errors behind the registry's error metrics, by name."""
    return {spec.error.name: spec.error for spec in registry.values()
            if isinstance(spec, NamedErrorMetric) and spec.error is not None}
