"""The gate's rules: the ``gate:`` config section, validated into typed, immutable rules.

The same rules come from two places: a run's ``metrics.json`` (what the experiment's config says
now, used by ``--update``) and a reference file (what was agreed, used by every check). Both go
through :func:`parse_rules`, so a reference edited by hand is held to the same schema.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.config import GateConfig, GateMetricRule
from evalkit.errors import ConfigError
from evalkit.gate.slices import SliceRules, parse_slice_rules

BEST = "best"
ALL = "all"
SCORE = "score"  # the strategy score's key in rules, intervals (``ci``) and check names
HUMAN = "human"  # the run's top-level ``human_level``, usable in must_beat and within


@dataclass(frozen=True)
class MetricRule:
    """Tolerances for one metric, or for the strategy score when ``metric`` is ``score``."""

    metric: str
    max_regression: float | None = None
    max_relative_regression: float | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class BaselineRule:
    """Compare the gated candidate's score with another entry's (or with human level).

    ``beat``: better by more than ``amount`` (a margin). ``within``: at most ``amount`` worse.
    """

    name: str
    kind: str
    amount: float


@dataclass(frozen=True)
class GateRules:
    """Validated rules. ``candidates`` is None for the best candidate, else the names to gate."""

    candidates: tuple[str, ...] | None
    score: MetricRule
    metrics: tuple[MetricRule, ...]
    beat_all: bool
    margin: float
    baselines: tuple[BaselineRule, ...]
    significance: bool
    slices: SliceRules | None = None


def load_gate_config(raw: Any, *, where: str) -> GateConfig:
    """``raw`` (a dict) checked against the :class:`GateConfig` schema; ``where`` prefixes errors.

    Read as plain data, never through OmegaConf: rules come from a reference file or a run's
    metrics.json, and resolving a ``${oc.env:...}`` found there would copy a secret into the gate's
    messages and outputs. A string like that is just a wrong value here.
    """
    fields = _plain_fields(raw, GateConfig, where)
    score = _metric_fields(fields.get("score", {}), f"{where}.score")
    metrics = _mapping(fields.get("metrics", {}), f"{where}.metrics")
    within = _mapping(fields.get("within", {}), f"{where}.within")
    significance = fields.get("significance", False)
    if not isinstance(significance, bool):
        raise ConfigError(f"{where}.significance: expected true or false, got {significance!r}")
    return GateConfig(
        candidates=fields.get("candidates", BEST),
        score=score,
        metrics={name: _metric_fields(rule, f"{where}.metrics.{name}") for name, rule in metrics.items()},
        must_beat=fields.get("must_beat"),
        margin=_plain_number(fields.get("margin", 0.0), f"{where}.margin"),
        within={name: _plain_number(v, f"{where}.within.{name}") for name, v in within.items()},
        significance=significance, slices=_slices_fields(fields.get("slices"), f"{where}.slices"))


def _slices_fields(raw: Any, where: str) -> dict[str, Any] | None:
    """``gate.slices`` checked, with every default filled in (the canonical form a reference stores)."""
    rules = parse_slice_rules(raw, where=where)
    return None if rules is None else dataclasses.asdict(rules) | {"must_beat": list(rules.must_beat)}


def _plain_fields(raw: Any, schema: type, where: str) -> dict[str, Any]:
    """``raw``'s keys, each one a field of the dataclass ``schema`` (else a ConfigError listing them)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping of gate rules, got {type(raw).__name__}")
    valid = [f.name for f in dataclasses.fields(schema)]
    for key in raw:
        if key not in valid:
            raise ConfigError(f"{where}: unknown key {str(key)!r}; valid keys here: {', '.join(valid)}")
    return dict(raw)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and k for k in value):
        raise ConfigError(f"{where}: expected a mapping from names to rules, got {type(value).__name__}")
    return dict(value)


def _metric_fields(raw: Any, where: str) -> GateMetricRule:
    fields = _plain_fields(raw, GateMetricRule, where)
    return GateMetricRule(**{k: None if v is None else _plain_number(v, f"{where}.{k}")
                             for k, v in fields.items()})


def _plain_number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    try:
        return float(value)
    except OverflowError:  # an integer too large for a float
        raise ConfigError(f"{where}: expected a number, got an integer of {value.bit_length()} bits"
                          ) from None


def canonical_rules(raw: Any, *, where: str) -> dict[str, Any]:
    """The rules with every default filled in: the form stored in a reference and compared."""
    return dataclasses.asdict(load_gate_config(raw, where=where))


def parse_rules(raw: Any, *, where: str) -> GateRules:
    """Validate a ``gate:`` section and return :class:`GateRules`.

    ``where`` names the source in messages (e.g. ``results/reference.json: gate``).

    >>> parse_rules({"metrics": {"recall": {"min": 0.9}}}, where="gate").metrics[0].min
    0.9
    """
    cfg = load_gate_config(raw, where=where)
    candidates = _candidates(cfg.candidates, where)
    score = _metric_rule(SCORE, cfg.score, f"{where}.score", allow_empty=True)
    if score.max_regression is None and score.max_relative_regression is None:
        # The single number is always gated; without a tolerance it may not regress at all.
        score = dataclasses.replace(score, max_regression=0.0)
    metrics = []
    for name, rule in cfg.metrics.items():
        if name == SCORE:
            raise ConfigError(f"{where}.metrics.score: the strategy score has its own rule; move it to "
                              f"{where}.score")
        metrics.append(_metric_rule(str(name), rule, f"{where}.metrics.{name}", allow_empty=False))
    margin = _amount(cfg.margin, f"{where}.margin")
    beat_all, beat = _must_beat(cfg.must_beat, margin, where)
    within = [BaselineRule(str(n), "within", _amount(v, f"{where}.within.{n}"))
              for n, v in cfg.within.items()]
    return GateRules(candidates, score, tuple(metrics), beat_all, margin, tuple(beat + within),
                     bool(cfg.significance), parse_slice_rules(cfg.slices, where=f"{where}.slices"))


def _candidates(value: Any, where: str) -> tuple[str, ...] | None:
    if value == BEST:
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        if len(set(value)) != len(value):
            raise ConfigError(f"{where}.candidates: a candidate is listed twice: {value}")
        return tuple(value)
    raise ConfigError(f"{where}.candidates: expected 'best' or a non-empty list of candidate names, "
                      f"got {value!r}")


def _metric_rule(name: str, rule: GateMetricRule, where: str, *, allow_empty: bool) -> MetricRule:
    fields = {f: getattr(rule, f) for f in ("max_regression", "max_relative_regression", "min", "max")}
    for key, value in fields.items():
        if value is not None and not math.isfinite(value):
            raise ConfigError(f"{where}.{key}: must be a finite number, got {value}")
    for key in ("max_regression", "max_relative_regression"):
        if fields[key] is not None and fields[key] < 0:
            raise ConfigError(f"{where}.{key}: must be >= 0, got {fields[key]:g}; a regression is measured "
                              "in the metric's own direction, so the tolerance is never negative")
    if fields["min"] is not None and fields["max"] is not None and fields["min"] > fields["max"]:
        raise ConfigError(f"{where}: min {fields['min']:g} is above max {fields['max']:g}; no value can pass")
    if not allow_empty and all(v is None for v in fields.values()):
        raise ConfigError(f"{where}: no rule; set at least one of max_regression, max_relative_regression, "
                          "min, max (or remove the metric)")
    return MetricRule(name, **fields)


def _amount(value: Any, where: str) -> float:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 53:
        value = math.inf  # too large to be a margin (and math.isfinite would overflow on a huge integer)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{where}: expected a number >= 0 (in the score's own direction), got {value!r}")
    return float(value)


def _must_beat(value: Any, margin: float, where: str) -> tuple[bool, list[BaselineRule]]:
    key = f"{where}.must_beat"
    if value is None:
        return False, []
    if value == ALL:
        return True, []
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        if ALL in value:
            raise ConfigError(f"{key}: write `must_beat: all`, not a list containing 'all'")
        return False, [BaselineRule(v, "beat", margin) for v in dict.fromkeys(value)]
    if isinstance(value, Mapping):
        return False, [BaselineRule(str(n), "beat", _amount(m, f"{key}.{n}")) for n, m in value.items()]
    raise ConfigError(f"{key}: expected 'all', a list of entry names, or a mapping name: margin; "
                      f"got {value!r}")


def validate_against_run(rules: GateRules, record: Mapping[str, Any], *, where: str) -> None:
    """Check that every name the rules use exists in the run, before a reference is written.

    A reference whose rules name a candidate, metric or baseline the run lacks could never pass, so
    ``--update`` refuses it (ConfigError). The gate itself reports such gaps as failed checks.
    """
    entries = {e.get("name"): e for e in record.get("entries", []) if isinstance(e, Mapping)}
    candidates = [n for n, e in entries.items() if e.get("role") == "candidate"]
    for name in rules.candidates or ():
        if name not in candidates:
            raise ConfigError(f"{where}.candidates: '{name}' is not a candidate of this run; "
                              f"candidates: {', '.join(candidates) or '(none)'}")
    known = set(record.get("metric_directions") or {})
    for rule in rules.metrics:
        if rule.metric not in known:
            raise ConfigError(f"{where}.metrics.{rule.metric}: no entry of this run reports '{rule.metric}'; "
                              f"metrics of this run: {', '.join(sorted(known)) or '(none)'}")
    for rule in rules.baselines:
        field_name = "must_beat" if rule.kind == "beat" else "within"
        if rule.name == HUMAN and HUMAN not in entries:
            if not isinstance(record.get("human_level"), Mapping):
                raise ConfigError(f"{where}.{field_name}: '{HUMAN}' needs the run's human_level, which this "
                                  "run does not have; add a human baseline (kind: human) to the experiment, "
                                  f"or remove '{HUMAN}' from {field_name}")
        elif rule.name not in entries:
            baselines = [n for n, e in entries.items() if e.get("role") == "baseline"]
            raise ConfigError(f"{where}.{field_name}: '{rule.name}' is not an entry of this run; "
                              f"baselines: {', '.join(baselines) or '(none)'}")


NO_RULES_HINT = ("add a gate: section to the experiment, e.g. score: {max_regression: 0.01}, metrics: "
                 "{recall: {min: 0.9}}, must_beat: all (conf/gate/default.yaml shows the format), re-run, "
                 "then --update again")


def is_score_only(rules: GateRules) -> bool:
    """True when the rules gate nothing but the score, at tolerance 0: what an empty ``gate:`` means."""
    score = rules.score
    return (not rules.metrics and not rules.baselines and not rules.beat_all and score.min is None
            and score.max is None and score.max_relative_regression is None and score.max_regression == 0)


def describe_rules(rules: GateRules, directions: Mapping[str, str] | None = None,
                   higher_is_better: bool | None = None) -> list[str]:
    """The rules as the gate will apply them, one line per rule, named like the checks they become.

    ``directions`` (a run's ``metric_directions``) and ``higher_is_better`` (its strategy's) turn
    "regression" into "drop" or "rise".

    >>> describe_rules(parse_rules({}, where="gate"), higher_is_better=True)
    ['candidates: the best candidate', 'score max_regression: drop ≤ 0', 'significance: off (point checks)']
    """
    def worse(metric: str) -> str:
        higher = higher_is_better if metric == SCORE else {"higher": True, "lower": False}.get(
            (directions or {}).get(metric, ""))
        return "regression" if higher is None else ("drop" if higher else "rise")

    gated = "the best candidate" if rules.candidates is None else ", ".join(rules.candidates)
    lines = [f"candidates: {gated}"]
    for rule in (rules.score, *rules.metrics):
        if rule.max_regression is not None:
            lines.append(f"{rule.metric} max_regression: {worse(rule.metric)} ≤ {rule.max_regression:g}")
        if rule.max_relative_regression is not None:
            lines.append(f"{rule.metric} max_relative_regression: {worse(rule.metric)} ≤ "
                         f"{rule.max_relative_regression:g} × reference")
        if rule.min is not None:
            lines.append(f"{rule.metric} min: ≥ {rule.min:g}")
        if rule.max is not None:
            lines.append(f"{rule.metric} max: ≤ {rule.max:g}")
    if rules.beat_all:
        lines.append(f"must_beat all: score better than every baseline by more than {rules.margin:g}")
    for baseline in rules.baselines:
        lines.append(f"must_beat {baseline.name}: score better by more than {baseline.amount:g}"
                     if baseline.kind == "beat" else
                     f"within {baseline.name}: score at most {baseline.amount:g} worse")
    lines.append("significance: " + ("on (a regression fails only when its interval confirms it)"
                                     if rules.significance else "off (point checks)"))
    return lines
