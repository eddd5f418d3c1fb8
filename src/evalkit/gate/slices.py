"""Gating per slice: ``gate.slices: {min_items, max_regression, must_beat, significance}``.

The reference stores each declared slice's scores (``slices`` in the reference file, from the accepted
run's ``metrics.json``). For the run's best candidate, each slice with at least ``min_items`` items:
- its score may not regress by more than ``max_regression`` against the same candidate's score on the
  same slice in the reference (the reference's best candidate's, when the name changed);
- it must be better than each entry of ``must_beat`` on the slice (``human``: the human-level row).
With ``significance: true`` a failure stands only when the slice's evidence confirms it (the score's
interval past the tolerance; the paired comparison saying the other entry is better); otherwise it is
a warning. A slice of the reference that the run no longer has fails (fail-closed); a slice the
reference does not have warns (accept it with ``--update``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.errors import ConfigError
from evalkit.gate.check import EPS, FAIL, PASS, WARN, Check

KEYS = ("min_items", "max_regression", "must_beat", "significance")
HUMAN = "human"


@dataclass(frozen=True)
class SliceRules:
    min_items: int = 30
    max_regression: float = 0.0
    must_beat: tuple[str, ...] = ()
    significance: bool = False


def parse_slice_rules(raw: Any, *, where: str) -> SliceRules | None:
    """``gate.slices`` checked: None when absent; unknown keys and wrong values are ConfigErrors.

    >>> parse_slice_rules({"min_items": 50, "must_beat": ["rule"]}, where="gate.slices").must_beat
    ('rule',)
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping like {{min_items: 50, max_regression: 0.02}}, "
                          f"got {raw!r}")
    unknown = [str(k) for k in raw if k not in KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid keys here: {', '.join(KEYS)}")
    min_items = raw.get("min_items", 30)
    if isinstance(min_items, bool) or not isinstance(min_items, int) or min_items < 1:
        raise ConfigError(f"{where}.min_items={min_items!r} must be an integer >= 1")
    tolerance = raw.get("max_regression", 0.0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not 0 <= tolerance < math.inf:
        raise ConfigError(f"{where}.max_regression={tolerance!r} must be a number >= 0")
    beat = raw.get("must_beat") or []
    if isinstance(beat, str):
        beat = [beat]
    if not isinstance(beat, list) or not all(isinstance(b, str) and b for b in beat):
        raise ConfigError(f"{where}.must_beat={beat!r} must be a list of entry names (or human)")
    significance = raw.get("significance", False)
    if not isinstance(significance, bool):
        raise ConfigError(f"{where}.significance: expected true or false, got {significance!r}")
    return SliceRules(min_items, float(tolerance), tuple(beat), significance)


def reference_slices(record: Mapping[str, Any]) -> dict[str, Any]:
    """What a reference keeps of a run's slices: per slice, its size and each entry's score."""
    block = record.get("slices") or {}
    out: dict[str, Any] = {}
    for declared in block.get("declared") or []:
        for piece in declared.get("slices") or []:
            out[f"{declared['slicing']}: {piece['name']}"] = {
                "n_items": piece["n_items"],
                "scores": {name: row.get("score") for name, row in (piece.get("entries") or {}).items()}}
    return out


def _run_slices(record: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    block = record.get("slices") or {}
    return {f"{d['slicing']}: {p['name']}": p
            for d in block.get("declared") or [] for p in d.get("slices") or []}


def _better(a: float, b: float, higher: bool) -> bool:
    return a > b + EPS if higher else a < b - EPS


def check_slices(record: Mapping[str, Any], rules: SliceRules, stored: Mapping[str, Any],
                 ref_best: str | None) -> list[Check]:
    """Every per-slice check of the run ``record`` against the reference's ``stored`` slices."""
    higher = bool((record.get("strategy") or {}).get("higher_is_better", True))
    run = _run_slices(record)
    best = (record.get("slices") or {}).get("best") or record.get("best")
    human = (record.get("human_level") or {}).get("name")
    checks: list[Check] = []
    if best is None:
        return [Check("run", "slices", FAIL, "the run has no best candidate, so no slice can be gated")]
    if not run and not stored:
        return [Check("run", "slices", FAIL, "gate.slices is set but neither the run nor the reference has "
                      "slices; add a slices: section to the experiment, or remove gate.slices")]
    for key in sorted(set(run) - set(stored)):
        checks.append(Check(f"slice {key}", "present in reference", WARN,
                            "a new slice, not in the reference: accept it with --update"))
    for key, ref in stored.items():
        subject = f"slice {key}"
        piece = run.get(key)
        if piece is None:
            checks.append(Check(subject, "present", FAIL, "the slice is in the reference but not in this "
                                  "run (a changed slices: section or data); fix it, or accept with --update"))
            continue
        if piece["n_items"] < rules.min_items:
            checks.append(Check(subject, "min_items", PASS, f"not gated: {piece['n_items']} items, fewer "
                                  f"than min_items {rules.min_items}"))
            continue
        row = (piece.get("entries") or {}).get(best or "") or {}
        value = row.get("score")
        scores = ref.get("scores") or {}
        ref_value = scores.get(best) if best in scores else scores.get(ref_best or "")
        if value is None or ref_value is None:
            # Undefined then and now (precision where nothing is predicted positive) is no regression;
            # a score lost since the reference fails, and one gained has nothing to be compared with.
            both = value is None and ref_value is None
            status, how = ((PASS, "undefined here and in the reference") if both
                           else (FAIL, "undefined here, defined in the reference") if value is None
                           else (WARN, "no score in the reference to compare with; accept with --update"))
            checks.append(Check(subject, "score", status, f"{best}'s score on this slice: {how}"))
            continue
        drop = (ref_value - value) if higher else (value - ref_value)
        status, message = PASS, f"{best} {value:.4f} vs reference {ref_value:.4f}"
        if drop > rules.max_regression + EPS:
            status = FAIL
            bounds = (row.get("ci") or {}).get("score")
            if rules.significance:
                worst_case = None if not bounds or bounds[0] is None else (
                    ref_value - bounds[1] if higher else bounds[0] - ref_value)
                if worst_case is None or worst_case <= rules.max_regression + EPS:
                    status = WARN
            message += (f": regressed by {drop:.4f} > {rules.max_regression:g}"
                        + (" (not confirmed by the interval)" if status == WARN else ""))
        checks.append(Check(subject, "max_regression", status, message, value, ref_value,
                            f"<= {rules.max_regression:g}"))
        for other in rules.must_beat:
            name = human if other == HUMAN else other
            theirs = ((piece.get("entries") or {}).get(name or "") or {}).get("score")
            rule = f"beats {other}"
            if theirs is None:
                checks.append(Check(subject, rule, FAIL, f"{other} has no score on this slice"))
                continue
            if _better(value, theirs, higher):
                checks.append(Check(subject, rule, PASS, f"{best} {value:.4f} vs {name} {theirs:.4f}"))
                continue
            verdict = next((c.get("verdict") for c in piece.get("comparisons") or []
                            if c.get("b") == name and c.get("metric") == "score"), None)
            confirmed = verdict == "worse"
            status = FAIL if not rules.significance or confirmed else WARN
            checks.append(Check(subject, rule, status,
                                  f"{best} {value:.4f} does not beat {name} {theirs:.4f}"
                                  + ("" if status == FAIL else " (not distinguishable on this slice)")))
    return checks
