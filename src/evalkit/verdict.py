"""The run's verdict: two or three lines a person reads in five seconds, and the facts they state.

The verdict is made from ``metrics.json`` itself (entries, the best candidate's Holm-adjusted
comparisons, feasible shares, the human level), so a run, a merged record and the report all say the
same thing. It reads:

1. the best candidate, its score (and interval), candidates tied with it on exactly the same score,
   whether its feasibility is fragile, and the lower bound it is measured against;
2. every non-human baseline: beaten or not, and whether distinguishably after Holm; infeasible
   baselines that score above the lower bound, and why they do not set it;
3. the human level, as a reference the model is compared with (not a bound it must clear).

Human rows (``kind: human``, rows flagged ``human_level``, best-annotator ceilings) never set the
lower bound: :func:`evalkit.comparison.compare` leaves them out, and the gate's ``must_beat: human``
reads ``human_level``, which is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalkit.confidence import FRAGILE_BELOW, resolution_note
from evalkit.tasks import get_task

BETTER, NOT_DISTINGUISHABLE, WORSE = "better", "not distinguishable", "worse"


def is_human(entry: Mapping[str, Any]) -> bool:
    """A person's row (or a published human number flagged ``human_level``), or an annotator ceiling."""
    return (entry.get("kind") == "human" or bool(entry.get("human_level_flagged"))
            or bool(entry.get("ceiling")))


def _better(a: float, b: float, higher_is_better: bool) -> float:
    return a - b if higher_is_better else b - a


def _fmt(value: float) -> str:
    return f"{value:.4f}" if abs(value) < 1000 else f"{value:.4g}"


def _join(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _score_tests(record: Mapping[str, Any]) -> dict[str, str]:
    """The Holm-adjusted verdict of the best candidate's score against each entry it was tested with."""
    rows = record.get("comparisons") or []
    return {row["b"]: row["verdict"] for row in rows if row.get("metric") == "score"}


def _score_label(strategy: Mapping[str, Any]) -> str:
    if strategy.get("name") == "satisficing":
        return str(strategy.get("optimize"))
    if strategy.get("name") == "map":
        return str(strategy.get("metric"))
    return f"{strategy.get('name')} score"


def verdict_detail(record: Mapping[str, Any]) -> dict[str, Any]:
    """The facts the verdict states, from a ``metrics.json`` record (entries in rank order).

    Keys: ``best``, ``score``, ``score_label``, ``score_interval``, ``tied_with`` (candidates with exactly
    the best score, first by name), ``fragile`` (feasible candidates meeting every constraint in under
    :data:`~evalkit.confidence.FRAGILE_BELOW` of resamples: name → share), ``lower_bound`` (name, score,
    kind, feasible, margin), ``baselines`` (one object per scored non-human baseline: name, score,
    feasible, ``outcome`` beaten/tied/not beaten, ``test`` better/not distinguishable/worse/null),
    ``above_lower_bound_infeasible``, ``unscored_baselines``, ``human_level`` (name, score, outcome,
    test), ``tested`` (whether significance tests were run), ``resolution`` (the note when too few
    resamples make every bootstrap test 'not distinguishable', else null) and ``items`` (what the
    evaluated items are called).

    >>> record = {"task": "binary", "strategy": {"name": "average", "higher_is_better": True}, "best": "a",
    ...           "strongest_baseline": "rule", "entries": [
    ...     {"name": "a", "role": "candidate", "kind": "estimator", "score": 0.9, "feasible": True},
    ...     {"name": "b", "role": "candidate", "kind": "estimator", "score": 0.9, "feasible": True},
    ...     {"name": "rule", "role": "baseline", "kind": "rule", "score": 0.8, "feasible": True}]}
    >>> detail = verdict_detail(record)
    >>> detail["tied_with"], detail["baselines"][0]["outcome"]
    (['b'], 'beaten')
    """
    strategy = record["strategy"]
    higher = bool(strategy.get("higher_is_better", True))
    entries = list(record["entries"])
    by_name = {e["name"]: e for e in entries}
    tests = _score_tests(record)
    settings = record.get("bootstrap") or {}
    comparisons = record.get("comparisons") or []
    resolution = resolution_note(comparisons, settings["level"], settings["resamples"]) \
        if comparisons and settings else None
    best = by_name.get(record.get("best") or "")
    detail: dict[str, Any] = {
        "best": None, "score": None, "score_label": _score_label(strategy), "score_interval": None,
        "tied_with": [], "fragile": {}, "lower_bound": None, "baselines": [],
        "above_lower_bound_infeasible": [], "unscored_baselines": [], "human_level": None,
        "tested": bool(comparisons), "resolution": resolution, "items": _items_word(record),
    }
    detail["fragile"] = {e["name"]: e["feasible_share"] for e in entries
                         if e["role"] == "candidate" and e.get("feasible")
                         and e.get("feasible_share") is not None and e["feasible_share"] < FRAGILE_BELOW}
    detail["unscored_baselines"] = [e["name"] for e in entries
                                    if e["role"] == "baseline" and not is_human(e) and e.get("score") is None]
    if best is None or best.get("score") is None:
        detail["no_best_reason"] = _no_best_reason(entries)
        return detail
    score = float(best["score"])
    detail |= {"best": best["name"], "score": score,
               "score_interval": (best.get("ci") or {}).get("score") or None}
    detail["tied_with"] = [e["name"] for e in entries
                           if e["role"] == "candidate" and e["name"] != best["name"] and e.get("feasible")
                           and e.get("score") is not None and float(e["score"]) == score]
    for entry in entries:
        if entry["role"] != "baseline" or is_human(entry) or entry.get("score") is None:
            continue
        gain = _better(score, float(entry["score"]), higher)
        detail["baselines"].append({
            "name": entry["name"], "score": entry["score"], "kind": entry["kind"],
            "feasible": bool(entry.get("feasible")),
            "outcome": "beaten" if gain > 0 else "tied" if gain == 0 else "not beaten",
            "test": tests.get(entry["name"])})
    strongest = by_name.get(record.get("strongest_baseline") or "")
    if strongest is not None and strongest.get("score") is not None and not is_human(strongest):
        bound = float(strongest["score"])
        detail["lower_bound"] = {"name": strongest["name"], "score": bound, "kind": strongest["kind"],
                                 "feasible": bool(strongest.get("feasible")),
                                 "margin": _better(score, bound, higher)}
        if strongest.get("feasible"):
            detail["above_lower_bound_infeasible"] = [
                b["name"] for b in detail["baselines"]
                if not b["feasible"] and _better(float(b["score"]), bound, higher) > 0]
    human = record.get("human_level")
    if isinstance(human, Mapping) and human.get("score") is not None:
        gain = _better(score, float(human["score"]), higher)
        coverage = human.get("coverage") or None
        detail["human_level"] = {
            "name": human.get("name"), "score": human["score"], "feasible": human.get("feasible"),
            "coverage": coverage,
            "outcome": "exceeded" if gain > 0 else "matched" if gain == 0 else "not reached",
            "test": tests.get(str(human.get("name")))}
    return detail


def _items_word(record: Mapping[str, Any]) -> str:
    """What the evaluated items are called (images in detection)."""
    return get_task(str(record["task"])).vocabulary.items


def _no_best_reason(entries: Sequence[Mapping[str, Any]]) -> str:
    candidates = [e for e in entries if e["role"] == "candidate"]
    if any(e.get("score") is not None for e in candidates):
        return "no candidate satisfies every constraint"
    return "no candidate has a score"


def _tested(outcome_names: Sequence[Mapping[str, Any]]) -> str:
    """``distinguishably: a, b; not distinguishably: c; untested: d`` for a group of baselines
    (untested: no per-item predictions to resample, e.g. a stated number)."""
    groups: dict[str, list[str]] = {}
    for b in outcome_names:
        key = {BETTER: "distinguishably", WORSE: "distinguishably",
               NOT_DISTINGUISHABLE: "not distinguishably"}.get(b["test"], "untested")
        groups.setdefault(key, []).append(b["name"])
    order = ("distinguishably", "not distinguishably", "untested")
    return "; ".join(f"{k}: {', '.join(groups[k])}" for k in order if k in groups)


def verdict_lines(detail: Mapping[str, Any]) -> list[str]:
    """Two or three lines from :func:`verdict_detail`: the best, the baselines, the human level.

    >>> verdict_lines({"best": None, "no_best_reason": "no candidate has a score", "human_level": None})
    ['No best candidate: no candidate has a score.']
    """
    if detail["best"] is None:
        return [f"No best candidate: {detail['no_best_reason']}.", *_human_line(detail)]
    return [_best_line(detail), _baselines_line(detail), *_human_line(detail)]


def _best_line(detail: Mapping[str, Any]) -> str:
    score, label, best = detail["score"], detail["score_label"], detail["best"]
    interval = detail.get("score_interval")
    shown = f"{label} {_fmt(score)}" + (f" [{interval[0]:.3f}, {interval[1]:.3f}]"
                                        if interval and interval[0] is not None else "")
    parts = [f"Best: {best} ({shown})"]
    if detail["tied_with"]:
        parts.append(f"{_join([best, *detail['tied_with']])} tie at {_fmt(score)}; {best} first by name")
    fragile = {n: s for n, s in detail["fragile"].items() if n in (best, *detail["tied_with"])}
    if fragile:
        parts.append("fragile: " + ", ".join(f"{n} feasible in only {s:.0%} of resamples"
                                             for n, s in fragile.items()))
    bound = detail["lower_bound"]
    if bound is not None:
        why = " (a stated bound, not a model)" if bound["kind"] == "external" else ""
        if not bound["feasible"]:
            why += " (no non-human baseline meets the constraints, so the best-scoring one)"
        parts.append(f"lower bound {bound['name']} {_fmt(bound['score'])}{why}, "
                     f"margin {bound['margin']:+.4f}")
    else:
        parts.append("no non-human baseline has a score to set a lower bound")
    return "; ".join(parts) + "."


def _baselines_line(detail: Mapping[str, Any]) -> str:
    baselines = detail["baselines"]
    if not baselines:
        return "Baselines: none with a score besides people" + (
            f" ({', '.join(detail['unscored_baselines'])} without a score)." if detail["unscored_baselines"]
            else ".")
    beaten = [b for b in baselines if b["outcome"] == "beaten"]
    tied = [b for b in baselines if b["outcome"] == "tied"]
    lost = [b for b in baselines if b["outcome"] == "not beaten"]
    parts = [f"beats {len(beaten)} of {len(baselines)}" + (f" ({_tested(beaten)})" if beaten else "")]
    if tied:
        parts.append(f"ties with {', '.join(b['name'] for b in tied)}")
    if lost:
        parts.append(f"does NOT beat {', '.join(b['name'] for b in lost)}"
                     + (f" ({_tested(lost)})" if any(b["test"] for b in lost) else ""))
    text = "Baselines: " + "; ".join(parts)
    above = detail["above_lower_bound_infeasible"]
    if above:
        verb = "scores" if len(above) == 1 else "score"
        text += f"; {_join(above)} {verb} above the lower bound but fail the constraints"
    if detail["unscored_baselines"]:
        text += f"; no score: {', '.join(detail['unscored_baselines'])}"
    if not detail["tested"]:
        text += "; no significance tests (bootstrap off or no per-item predictions)"
    elif detail["resolution"] and any(b["test"] == NOT_DISTINGUISHABLE for b in baselines):
        text += "; too few resamples for Holm to tell them apart (see Significance)"
    return text + "."


def _human_line(detail: Mapping[str, Any]) -> list[str]:
    human = detail.get("human_level")
    if not human:
        return []
    coverage = human.get("coverage") or {}
    items = detail.get("items", "items")
    partial = coverage.get("of") and coverage.get("items") != coverage["of"]
    over = f" on {coverage['items']} of {coverage['of']} {items}" if partial else ""
    infeasible = " (infeasible)" if human.get("feasible") is False else ""
    head = (f"Human level (a reference, not a bound): {human['name']} {_fmt(human['score'])}"
            f"{over}{infeasible}")
    if detail["best"] is None:
        return [head + "."]
    test = {BETTER: "distinguishably", WORSE: "distinguishably",
            NOT_DISTINGUISHABLE: "not distinguishably"}.get(human["test"], "not tested")
    if human["test"] == NOT_DISTINGUISHABLE and detail.get("resolution"):
        test += ", too few resamples to tell"
    return [f"{head} — {human['outcome']} by {detail['best']} ({test})."]


def state(record: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The verdict string (its lines joined by newlines) and its ``verdict_detail`` for ``metrics.json``."""
    detail = verdict_detail(record)
    lines = verdict_lines(detail)
    return "\n".join(lines), detail | {"lines": lines}
