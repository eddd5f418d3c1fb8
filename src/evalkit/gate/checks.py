"""The gate's checks: pure functions from a run record and a reference to a list of :class:`Check`.

Direction always comes from the record (``metric_directions``, ``strategy.higher_is_better``), and a
regression is measured in it: a drop for higher-is-better metrics, a rise for lower-is-better ones.
Fail-closed throughout: a value that is missing, null or NaN, an unknown or changed direction, other
data or another strategy fails with a reason, instead of passing for want of evidence.

With ``significance: true`` a regression beyond tolerance fails only when the run's whole interval
(``ci`` in metrics.json) is past the tolerance; the reference value is taken as fixed, so the
interval of the change is ``[lo - ref, hi - ref]``. A regression the interval does not confirm is a
warning. Values without an interval (latency, external baselines) fall back to the point check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evalkit.errors import ConfigError
from evalkit.gate.check import EPS, FAIL, PASS, WARN, Check
from evalkit.gate.fmt import fmt, fmt_signed
from evalkit.gate.recompute import Unrecomputable, agrees, expected_direction, recompute
from evalkit.gate.reference import Reference, definition
from evalkit.gate.rules import HUMAN, SCORE, BaselineRule, GateRules, MetricRule, canonical_rules
from evalkit.gate.slices import check_slices
from evalkit.strategies.satisficing import canonical_description, describe_constraints

RUN = "run"  # the subject of checks about the run as a whole (data, strategy, rules)


@dataclass(frozen=True)
class GateResult:
    """Every check, in order, plus notes that explain without judging."""

    checks: tuple[Check, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status == WARN]

    @property
    def passed(self) -> bool:
        return not self.failed


def check_run(record: Mapping[str, Any], reference: Reference, *,
              allow_data_change: bool = False) -> GateResult:
    """Apply the reference's rules to the run ``record`` (a metrics.json document)."""
    checks = [check_data(record, reference, allow_data_change=allow_data_change),
              check_definition(record, reference), check_strategy(record, reference),
              check_score_direction(record), check_rules_current(record, reference)]
    if reference.rules.beat_all:
        checks += check_baselines_present(record, reference)
    for subject, run_entry, ref_entry, selection in _gated(record, reference):
        checks += selection
        if run_entry is not None:
            checks += check_candidate(subject, run_entry, ref_entry, record, reference)
    if reference.rules.slices is not None:
        checks += check_slices(record, reference.rules.slices, reference.slices, reference.best)
    notes = []
    unscored = [e["name"] for e in _entries(record).values()
                if e.get("role") == "baseline" and _number(e.get("score", _ABSENT))[0] is None]
    if reference.rules.beat_all and unscored:
        notes.append(f"must_beat all compares with the baselines that have a score, as the leaderboard does; "
                     f"without one: {', '.join(unscored)}")
    return GateResult(tuple(checks), tuple(notes))


# --- the run as a whole -------------------------------------------------------------------------------

def check_data(record: Mapping[str, Any], reference: Reference, *, allow_data_change: bool) -> Check:
    """The run must be on the reference's data (same fingerprint) unless a change is allowed."""
    data = record.get("data") or {}
    run_fp, ref_fp = data.get("fingerprint"), reference.data.get("fingerprint")
    if isinstance(run_fp, str) and run_fp and run_fp == ref_fp:
        return Check(RUN, "data", PASS, f"same data as the reference ({data.get('n_items')} items, "
                                         f"fingerprint {run_fp[:12]})")
    if not isinstance(run_fp, str) or not run_fp:
        problem = "the run has no data fingerprint, so its data cannot be matched with the reference's"
    elif not isinstance(ref_fp, str) or not ref_fp:
        problem = "the reference has no data fingerprint, so the run's data cannot be matched with it"
    else:
        problem = (f"the run's data differ from the reference's: {data.get('n_items')} items, fingerprint "
                   f"{run_fp[:12]} (reference: {reference.data.get('n_items')} items, {ref_fp[:12]})")
    if allow_data_change:
        return Check(RUN, "data", WARN, f"{problem}; allowed by --allow-data-change")
    return Check(RUN, "data", FAIL, f"{problem}; metrics on other data are not comparable. If the change "
                                    "is intended, pass --allow-data-change or accept the run with --update")


def check_definition(record: Mapping[str, Any], reference: Reference) -> Check:
    """What defines the numbers (task, classes, positive label, IoU type, COCO parameters, metric
    definitions) must be the reference's: the same data scored another way gives other numbers."""
    run_definition = definition(record)
    if run_definition == reference.definition:
        return Check(RUN, "definition", PASS, f"the numbers are defined as in the reference "
                                              f"({_describe_definition(run_definition)})")
    changed = sorted(k for k in run_definition.keys() | reference.definition.keys()
                     if run_definition.get(k) != reference.definition.get(k))
    details = "; ".join(f"{k}: {_brief(reference.definition.get(k))} → {_brief(run_definition.get(k))}"
                        for k in changed)
    return Check(RUN, "definition", FAIL, f"what defines the numbers changed ({details}); values defined "
                                          "differently cannot be compared. If the change is intended, accept "
                                          "the run as the new reference: `python -m evalkit gate RUN_DIR "
                                          "--reference REFERENCE --update`")


def _describe_definition(d: Mapping[str, Any]) -> str:
    parts = [f"task {d.get('task')}"]
    if d.get("positive_label") is not None:
        parts.append(f"positive label {d.get('positive_label')!r}")
    if d.get("iou_type") is not None:
        parts.append(f"IoU type {d.get('iou_type')}")
    return ", ".join(parts)


def _brief(value: Any) -> str:
    """A changed definition value for a one-line message: short values whole, long ones summarized."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def check_score_direction(record: Mapping[str, Any]) -> Check:
    """``higher_is_better`` must follow from the strategy's definition: a flipped flag would turn every
    regression of the score into an improvement."""
    strategy = record.get("strategy")
    if not isinstance(strategy, Mapping):
        return Check(RUN, "score direction", FAIL, "the run records no strategy, so its score cannot be "
                                                   "checked")
    try:
        expected = expected_direction(strategy, record.get("metric_directions") or {})
    except Unrecomputable as exc:
        return Check(RUN, "score direction", FAIL, f"{exc}, so the run's scores cannot be recomputed; re-run "
                                                   "the experiment to rewrite its metrics.json")
    recorded, better = strategy.get("higher_is_better"), "higher" if expected else "lower"
    if recorded is not expected:
        return Check(RUN, "score direction", FAIL, f"the run records higher_is_better {recorded!r}, but its "
                                                   f"strategy makes {better} scores better; the record was "
                                                   "altered: re-run the experiment")
    return Check(RUN, "score direction", PASS, f"{better} scores are better, as the strategy defines")


def check_baselines_present(record: Mapping[str, Any], reference: Reference) -> list[Check]:
    """``must_beat: all``: every baseline of the reference that had a score must still have one, or
    "beats every baseline" would pass by removing the baselines it does not beat."""
    entries = _entries(record)
    checks = []
    for name, accepted in reference.baselines.items():
        if accepted.get("ceiling") or _number(accepted.get("score", _ABSENT))[0] is None:
            continue  # never compared under must_beat all
        entry = entries.get(name)
        if entry is None or entry.get("role") != "baseline":
            problem = "is not in this run" if entry is None else f"is a {entry.get('role')} in this run"
            checks.append(Check(RUN, f"baseline {name}", FAIL,
                                f"baseline '{name}' of the reference {problem}, so must_beat all cannot "
                                "compare with it; restore it, or accept its removal with --update"))
        elif _number(entry.get("score", _ABSENT))[0] is None:
            reason = entry.get("score_reason")
            checks.append(Check(RUN, f"baseline {name}", FAIL,
                                f"baseline '{name}' had a score in the reference but has none in this run"
                                f"{f' ({reason})' if reason else ''}, so must_beat all cannot compare with "
                                "it; fix it, or accept the change with --update"))
    if not checks:
        checks.append(Check(RUN, "baselines", PASS, f"every baseline of the reference is in the run "
                                                    f"({len(reference.baselines)})"))
    return checks


def check_recomputed(subject: str, entry: Mapping[str, Any], record: Mapping[str, Any], *,
                     where: str = "the run") -> Check | None:
    """The entry's stored score and feasibility must follow from its metrics under the recorded strategy.

    None when they do (the caller decides whether that is worth a passing check).
    """
    strategy = record.get("strategy")
    name = entry.get("name")
    require_all = entry.get("role") == "candidate"
    try:
        if not isinstance(strategy, Mapping):
            raise Unrecomputable(f"{where} records no strategy")
        expected = recompute(strategy, record.get("metric_directions") or {}, entry.get("metrics"),
                             require_all=require_all)
    except Unrecomputable as exc:
        return Check(subject, "score recomputed", FAIL,
                     f"{name}'s score cannot be recomputed from its metrics: {exc}")
    stored = entry.get("score", _ABSENT)
    problems = []
    if not agrees(None if stored is _ABSENT else stored, expected.score):
        problems.append(f"its stored score {_show_raw(stored)} is not {_show_raw(expected.score)}, what the "
                        "strategy gives for its metrics")
    point = entry.get("operating_point")
    # No threshold met the constraints on the choosing data: infeasible whatever its (fallback) metrics say.
    no_point = isinstance(point, Mapping) and bool(point.get("infeasible"))
    expected_feasible = expected.feasible and not no_point
    if require_all and entry.get("feasible") is not expected_feasible:
        stored_as = "feasible" if entry.get("feasible") is True else "infeasible"
        problems.append(f"it is stored as {stored_as} but its metrics make it "
                        f"{'feasible' if expected_feasible else 'infeasible'}")
    if not problems:
        return None
    fix = "re-run the experiment" if where == "the run" else "rewrite the reference from a run with --update"
    return Check(subject, "score recomputed", FAIL, f"{name} in {where}: {'; '.join(problems)}; the record "
                                                    "was altered or is incomplete, so it cannot be trusted: "
                                                    f"{fix}")


def _show_raw(value: Any) -> str:
    if value is _ABSENT or value is None:
        return "null"
    return fmt(value) if isinstance(value, float) else repr(value)


def check_strategy(record: Mapping[str, Any], reference: Reference) -> Check:
    """The single number must be defined as when the reference was accepted, or it is not comparable."""
    run_strategy = record.get("strategy")
    # Compared in the stored form, so a reference written when thresholds were text still matches.
    if isinstance(run_strategy, Mapping) and isinstance(reference.strategy, Mapping) and \
            canonical_description(run_strategy) == canonical_description(reference.strategy):
        return Check(RUN, "strategy", PASS, f"strategy unchanged ({_describe_strategy(reference.strategy)})")
    if not isinstance(run_strategy, Mapping):
        return Check(RUN, "strategy", FAIL, "the run records no strategy, so its score cannot be compared")
    changed = sorted(k for k in run_strategy.keys() | reference.strategy.keys()
                     if run_strategy.get(k) != reference.strategy.get(k))
    details = "; ".join(f"{k}: {reference.strategy.get(k)!r} → {run_strategy.get(k)!r}" for k in changed)
    return Check(RUN, "strategy", FAIL, f"the strategy changed ({details}); a score defined differently "
                                        "cannot be compared. Accept the new definition with --update")


def check_rules_current(record: Mapping[str, Any], reference: Reference) -> Check:
    """Warn when the experiment's ``gate:`` config no longer matches the rules stored in the reference."""
    raw = record.get("gate")
    if raw is None:
        return Check(RUN, "gate rules", PASS, "the run records no gate rules; the reference's rules apply")
    try:
        current = canonical_rules(raw, where="the run's gate rules")
    except ConfigError as exc:
        return Check(RUN, "gate rules", WARN, f"{exc}; the reference's rules apply")
    if current == reference.gate:
        return Check(RUN, "gate rules", PASS, "the experiment's gate rules are the reference's")
    changed = sorted(k for k in current.keys() | reference.gate.keys()
                     if current.get(k) != reference.gate.get(k))
    return Check(RUN, "gate rules", WARN, f"the experiment's gate rules differ from the reference's in "
                                          f"{', '.join(changed)}; the reference's rules apply until you "
                                          "accept the new ones with --update")


def _describe_strategy(strategy: Mapping[str, Any]) -> str:
    if strategy.get("name") == "satisficing":
        constraints = describe_constraints(strategy.get("constraints") or {})
        subject_to = f" subject to {constraints}" if constraints else ""
        return f"satisficing: {strategy.get('optimize')}{subject_to}"
    return str(strategy.get("name"))


# --- which candidates are gated ---------------------------------------------------------------------

def _gated(record: Mapping[str, Any], reference: Reference) -> list[tuple[str, Any, Any, list[Check]]]:
    """(subject, run entry or None, reference entry or None, checks about the selection itself)."""
    entries = _entries(record)
    if reference.rules.candidates is None:
        run_best, ref_best = record.get("best"), reference.best
        if run_best not in entries:
            # The verdict's first line says why there is no best; the others are detail for a person.
            lines = str(record.get("verdict") or "").splitlines()
            verdict = lines[0] if lines else "no candidate is feasible with a score"
            return [("best", None, None, [Check("best", "exists", FAIL, f"this run has no best candidate: "
                                                 f"{verdict}")])]
        selection = []
        if ref_best is not None and ref_best != run_best:
            selection.append(Check("best", "identity", WARN, f"the best candidate changed from {ref_best} to "
                                                             f"{run_best}; {run_best} is compared with "
                                                             f"{ref_best}'s accepted values"))
        ref_entry = reference.candidates.get(ref_best) if ref_best is not None else None
        return [("best", entries[run_best], ref_entry, selection)]
    gated = []
    for name in reference.rules.candidates:
        entry = entries.get(name)
        if entry is None or entry.get("role") != "candidate":
            problem = "is not in this run" if entry is None else f"is a {entry.get('role')} in this run"
            missing = Check(name, "exists", FAIL, f"gated candidate '{name}' {problem}; restore it, or "
                                                  "change gate.candidates and --update")
            gated.append((name, None, None, [missing]))
        else:
            gated.append((name, entry, reference.candidates.get(name), []))
    return gated


def _entries(record: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {e["name"]: e for e in record.get("entries") or [] if isinstance(e, Mapping) and "name" in e}


# --- one gated candidate ----------------------------------------------------------------------------

def check_candidate(subject: str, entry: Mapping[str, Any], ref_entry: Mapping[str, Any] | None,
                    record: Mapping[str, Any], reference: Reference) -> list[Check]:
    """Feasibility, the score, every gated metric and every baseline rule, for one gated candidate."""
    rules = reference.rules
    recomputed = [check_recomputed(subject, entry, record)]
    if ref_entry is not None:
        ref_record = {"strategy": reference.strategy, "metric_directions": reference.metric_directions}
        accepted = {"role": "candidate", "name": _name_of(ref_entry, reference)} | ref_entry
        recomputed.append(check_recomputed(subject, accepted, ref_record, where="the reference"))
    checks = [c for c in recomputed if c is not None]
    if not checks:
        checks.append(Check(subject, "score recomputed", PASS, f"{entry.get('name')}'s score and feasibility "
                                                               "follow from its metrics"))
    checks.append(check_feasible(subject, entry, ref_entry))
    higher = (record.get("strategy") or {}).get("higher_is_better")
    ref_score = ref_entry.get("score", _ABSENT) if ref_entry is not None else _ABSENT
    checks += check_metric(subject, rules.score, value=entry.get("score", _ABSENT), reference=ref_score,
                           higher_is_better=higher if isinstance(higher, bool) else None,
                           interval=_interval(entry, SCORE), significance=rules.significance)
    directions = record.get("metric_directions") or {}
    for rule in rules.metrics:
        metric = rule.metric
        direction, ref_direction = directions.get(metric), reference.metric_directions.get(metric)
        if direction is not None and ref_direction is not None and direction != ref_direction:
            checks.append(Check(subject, f"{metric} direction", FAIL,
                                f"{metric} is {direction}-is-better in the run but {ref_direction}-is-better "
                                "in the reference; values cannot be compared. Accept with --update"))
            continue
        ref_metrics = (ref_entry.get("metrics") or {}) if ref_entry is not None else {}
        checks += check_metric(subject, rule, value=(entry.get("metrics") or {}).get(metric, _ABSENT),
                               reference=ref_metrics.get(metric, _ABSENT),
                               higher_is_better=_higher(direction or ref_direction),
                               interval=_interval(entry, metric), significance=rules.significance)
    checks += check_baselines(subject, entry, record, rules)
    return checks


def check_feasible(subject: str, entry: Mapping[str, Any], ref_entry: Mapping[str, Any] | None) -> Check:
    """A gated candidate that became infeasible (a satisficing constraint now fails) fails the gate."""
    if entry.get("feasible") is True:
        return Check(subject, "feasible", PASS, f"{entry.get('name')} satisfies every constraint")
    violations = "; ".join(entry.get("violations") or []) or "no reason recorded"
    if ref_entry is not None and ref_entry.get("feasible") is False:
        return Check(subject, "feasible", WARN, f"{entry.get('name')} is infeasible ({violations}), as it "
                                                "already was in the reference")
    return Check(subject, "feasible", FAIL, f"{entry.get('name')} became infeasible: {violations}")


_ABSENT = object()  # a key that is not there at all, told apart from an explicit null


def _number(value: Any) -> tuple[float | None, str]:
    """``(value, "")`` for a finite number, else ``(None, why)``: fail-closed input for every check."""
    if value is _ABSENT:
        return None, "is not reported"
    if value is None:
        return None, "is null"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"is not a number ({value!r})"
    if math.isnan(value):
        return None, "is NaN"
    if math.isinf(value):
        return None, f"is {value}"
    return float(value), ""


def _higher(direction: Any) -> bool | None:
    return {"higher": True, "lower": False}.get(direction) if isinstance(direction, str) else None


def _interval(entry: Mapping[str, Any], key: str) -> tuple[float, float] | None:
    """The run's interval for ``key`` from ``ci``, or None when absent or unusable."""
    ci = entry.get("ci")
    bounds = ci.get(key) if isinstance(ci, Mapping) else None
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        return None
    lo, hi = (_number(b)[0] for b in bounds)
    if lo is None or hi is None or lo > hi:
        return None
    return lo, hi


def check_metric(subject: str, rule: MetricRule, *, value: Any, reference: Any, higher_is_better: bool | None,
                 interval: tuple[float, float] | None = None, significance: bool = False) -> list[Check]:
    """Every rule set on ``rule`` for one metric (or the score), each as its own check.

    ``value``/``reference`` are raw JSON values (may be null, NaN or absent); the checks fail closed.
    """
    checks = []
    for kind in ("max_regression", "max_relative_regression"):
        tolerance = getattr(rule, kind)
        if tolerance is not None:
            checks.append(_regression(subject, rule.metric, kind, tolerance, value, reference,
                                      higher_is_better, interval, significance))
    if rule.min is not None:
        checks.append(_bound(subject, rule.metric, "min", rule.min, value))
    if rule.max is not None:
        checks.append(_bound(subject, rule.metric, "max", rule.max, value))
    return checks


def _regression(subject: str, metric: str, kind: str, tolerance: float, raw_value: Any, raw_ref: Any,
                higher: bool | None, interval: tuple[float, float] | None, significance: bool) -> Check:
    rule = f"{metric} {kind}"
    value, why = _number(raw_value)
    if value is None:
        return Check(subject, rule, FAIL, f"{metric} {why} in the run; a gated value must be present")
    ref, ref_why = _number(raw_ref)
    if ref is None:
        return Check(subject, rule, FAIL, f"{metric} {ref_why} in the reference, so a regression cannot be "
                                          f"ruled out; accept a run that reports it with --update", value)
    if higher is None:
        return Check(subject, rule, FAIL, f"the direction of {metric} is unknown (not in the run's "
                                          "metric_directions), so a regression cannot be measured",
                     value, ref)
    worse = "drop" if higher else "rise"
    if kind == "max_relative_regression":
        allowed = tolerance * abs(ref)  # a reference of 0 allows no regression at all
        limit = f"{worse} ≤ {tolerance:g} × reference = {fmt(allowed)}"
    else:
        allowed = tolerance
        limit = f"{worse} ≤ {tolerance:g}"
    regression = ref - value if higher else value - ref
    change = f"{metric} {fmt(ref)} → {fmt(value)} ({fmt_signed(value - ref)})"
    if regression <= allowed + EPS:
        verdict = "no regression" if regression <= 0 else f"a {worse} of {fmt(regression)}, within {limit}"
        return Check(subject, rule, PASS, f"{change}: {verdict}", value, ref, limit)
    beyond = f"{change}: a {worse} of {fmt(regression)}, beyond {limit}"
    if not significance:
        return Check(subject, rule, FAIL, beyond, value, ref, limit)
    if interval is None:
        return Check(subject, rule, FAIL, f"{beyond} (no interval for {metric} in the run: point check)",
                     value, ref, limit)
    lo, hi = interval
    # The least regression the interval allows: the reference is fixed, the run's value is uncertain.
    least = ref - hi if higher else lo - ref
    shown = f"interval of the change [{fmt_signed(lo - ref)}, {fmt_signed(hi - ref)}]"
    if least > allowed + EPS:
        return Check(subject, rule, FAIL, f"{beyond}; the whole {shown} is past the tolerance",
                     value, ref, limit)
    return Check(subject, rule, WARN, f"{beyond}, but the {shown} reaches within the tolerance: not "
                                      "significant", value, ref, limit)


def _bound(subject: str, metric: str, kind: str, bound: float, raw_value: Any) -> Check:
    rule = f"{metric} {kind}"
    limit = f"{'≥' if kind == 'min' else '≤'} {bound:g}"
    value, why = _number(raw_value)
    if value is None:
        return Check(subject, rule, FAIL, f"{metric} {why} in the run; a gated value must be present",
                     limit=limit)
    ok = value >= bound - EPS if kind == "min" else value <= bound + EPS
    text = f"{metric} = {fmt(value)}, {'meets' if ok else 'violates'} {metric} {limit}"
    return Check(subject, rule, PASS if ok else FAIL, text, value, None, limit)


# --- baselines and human level ----------------------------------------------------------------------

def check_baselines(subject: str, entry: Mapping[str, Any], record: Mapping[str, Any],
                    rules: GateRules) -> list[Check]:
    """``must_beat`` and ``within``: the gated candidate's score against other entries' scores.

    ``must_beat: all`` means every baseline with a score that is not an optimistic ceiling, as the
    leaderboard's "beats every baseline" does (check_run notes the others); a baseline named explicitly
    without a score fails.
    """
    entries = _entries(record)
    baseline_rules = list(rules.baselines)
    if rules.beat_all:
        # An optimistic ceiling (best_annotator) is not a lower bound, as on the leaderboard.
        baselines = [e for e in entries.values() if e.get("role") == "baseline" and "ceiling" not in e]
        scored = [e for e in baselines if _number(e.get("score", _ABSENT))[0] is not None]
        if not scored:
            return [Check(subject, "must_beat all", FAIL, "this run has no baseline with a score to beat")]
        baseline_rules = [BaselineRule(e["name"], "beat", rules.margin) for e in scored] + baseline_rules
    higher = (record.get("strategy") or {}).get("higher_is_better")
    return [_baseline(subject, entry, rule, entries, record, higher if isinstance(higher, bool) else None)
            for rule in baseline_rules]


def _baseline(subject: str, entry: Mapping[str, Any], rule: BaselineRule,
              entries: Mapping[str, Mapping[str, Any]], record: Mapping[str, Any],
              higher: bool | None) -> Check:
    name = f"{'must_beat' if rule.kind == 'beat' else 'within'} {rule.name}"
    if rule.name == HUMAN and HUMAN not in entries:
        human = record.get("human_level")
        if not isinstance(human, Mapping):
            return Check(subject, name, FAIL, f"the rules compare with '{HUMAN}', but this run has no "
                                              "human_level; add a human baseline (kind: human) to the "
                                              f"experiment, or remove '{HUMAN}' from the gate rules and "
                                              "--update")
        label, raw_other = f"human level ({human.get('name', '?')})", human.get("score", _ABSENT)
        row = human.get("name")
        source = entries.get(row) if isinstance(row, str) else None  # the row human_level copies
        if source is not None:
            tampered = check_recomputed(subject, source, record)
            if tampered is None and not agrees(raw_other, _number(source.get("score", _ABSENT))[0]):
                tampered = Check(subject, name, FAIL,
                                 f"human_level's score {_show_raw(raw_other)} is not the score of its row "
                                 f"{source.get('name')}; the record was altered: re-run the experiment")
            if tampered is not None:
                return Check(subject, name, FAIL, tampered.message)
    elif rule.name not in entries:
        return Check(subject, name, FAIL, f"'{rule.name}' is not in this run; restore it, or change the gate "
                                          "rules and --update")
    else:
        label, raw_other = rule.name, entries[rule.name].get("score", _ABSENT)
        tampered = check_recomputed(subject, entries[rule.name], record)
        if tampered is not None:
            return Check(subject, name, FAIL, tampered.message)
    score, why = _number(entry.get("score", _ABSENT))
    if score is None:
        return Check(subject, name, FAIL, f"{entry.get('name')}'s score {why}")
    other, other_why = _number(raw_other)
    if other is None:
        reason = entries.get(rule.name, {}).get("score_reason")
        because = f" ({reason})" if reason else ""
        return Check(subject, name, FAIL, f"{label}'s score {other_why}{because}, so it cannot be compared")
    if higher is None:
        return Check(subject, name, FAIL, "the run's strategy has no higher_is_better, so scores cannot be "
                                          "compared")
    gain = score - other if higher else other - score  # positive: the candidate is better
    pair = f"{entry.get('name')} {fmt(score)} vs {label} {fmt(other)}"
    if rule.kind == "beat":
        ok = gain > rule.amount + EPS
        need = f"better by more than {rule.amount:g}" if rule.amount else "better"
        limit = f"better by > {rule.amount:g}"
    else:
        ok = gain >= -rule.amount - EPS
        need = f"at most {rule.amount:g} worse"
        limit = f"worse by ≤ {rule.amount:g}"
    how = f"better by {fmt(gain)}" if gain >= 0 else f"worse by {fmt(-gain)}"
    return Check(subject, name, PASS if ok else FAIL, f"{pair}: {how}; required: {need}", score, other, limit)


def _name_of(ref_entry: Mapping[str, Any], reference: Reference) -> str:
    return next((n for n, e in reference.candidates.items() if e is ref_entry), "?")
