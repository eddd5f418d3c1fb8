"""Comparison: rank entries by the strategy's score, pick the best candidate, find the lower bound.

Ranking rule (deterministic, documented in the README): entries with a score come first; among
them feasible before infeasible; then by score in the strategy's direction; exact ties are broken
by name, alphabetically. The *strongest baseline* (the lower bound) is the best-ranked non-human
baseline with a score among the feasible ones (or among all scored non-human baselines when none is
feasible, which the verdict says). People's rows (``kind: human``, rows flagged ``human_level``, an
annotator ceiling) are a reference the model is compared with, not a bound it must clear: they never
set the lower bound, and ``beats_all_baselines`` is about the non-human baselines
(:mod:`evalkit.verdict` states the human level on its own line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from evalkit.entry import Entry
from evalkit.strategies.base import Strategy


@dataclass(frozen=True)
class Comparison:
    """The ranking of a run, its best candidate and lower bound.

    ``verdict`` is one line from the scores alone; ``metrics.json`` states the full verdict (ties,
    significance after Holm, fragile feasibility, the human level) made by :mod:`evalkit.verdict`.
    """

    ranking: tuple[str, ...]
    best: str | None
    strongest_baseline: str | None
    margin: float | None
    beats_all_baselines: bool | None
    verdict: str
    notes: tuple[str, ...] = field(default=())


def is_human_entry(entry: Entry) -> bool:
    """People's rows: a human panel's rows, a row flagged ``human_level``, an annotator ceiling."""
    flagged = bool(entry.details.get("human_level_flagged"))
    return entry.kind == "human" or flagged or "ceiling" in entry.details


def rank(entries: Sequence[Entry], higher_is_better: bool) -> list[Entry]:
    """Entries in leaderboard order (see the module docstring for the rule)."""
    def key(entry: Entry) -> tuple[int, int, float, str]:
        score = entry.score
        if score is None:
            return (1, 1, 0.0, entry.name)
        return (0, 0 if entry.feasible else 1, -score if higher_is_better else score, entry.name)
    return sorted(entries, key=key)


def improvement(a: float, b: float, higher_is_better: bool) -> float:
    """How much ``a`` is better than ``b`` (positive = better), in the score's own units."""
    return a - b if higher_is_better else b - a


def compare(entries: Sequence[Entry], strategy: Strategy) -> Comparison:
    """Rank the entries and state the verdict."""
    ranked = rank(entries, strategy.higher_is_better)
    scored = [e for e in ranked if e.score is not None]
    candidates = [e for e in scored if e.role == "candidate"]
    baselines = [e for e in scored if e.role == "baseline" and not is_human_entry(e)]
    notes: list[str] = []
    feasible_candidates = [e for e in candidates if e.feasible]
    best = feasible_candidates[0] if feasible_candidates else None
    feasible_baselines = [e for e in baselines if e.feasible]
    if baselines and not feasible_baselines:
        notes.append("no non-human baseline satisfies the constraints; "
                     "the lower bound is the best-scoring one")
    strongest = (feasible_baselines or baselines or [None])[0]
    unscored = [e.name for e in ranked if e.score is None]
    if unscored:
        notes.append(f"no score (see the reasons in the report): {', '.join(unscored)}")
    metric = _score_label(strategy)
    if best is None:
        reason = "no candidate satisfies every constraint" if candidates else "no candidate has a score"
        return Comparison(tuple(e.name for e in ranked), None, strongest and strongest.name, None, None,
                          f"No best candidate: {reason}.", tuple(notes))
    assert best.score is not None
    if strongest is None:
        return Comparison(tuple(e.name for e in ranked), best.name, None, None, None,
                          f"Best: {best.name} ({metric} {best.score:.4f}); no baseline has a score to "
                          "compare with (people are a reference, not a lower bound).", tuple(notes))
    assert strongest.score is not None
    margin = improvement(best.score, strongest.score, strategy.higher_is_better)
    beaten = [b for b in baselines if improvement(best.score, b.score, strategy.higher_is_better) > 0]
    beats_all = len(beaten) == len(baselines)
    tail = "beats every baseline" if beats_all else \
        f"does NOT beat {', '.join(b.name for b in baselines if b not in beaten)}"
    verdict = (f"Best: {best.name} ({metric} {best.score:.4f}); strongest baseline {strongest.name} "
               f"({strongest.score:.4f}); margin {margin:+.4f}; {tail}.")
    return Comparison(tuple(e.name for e in ranked), best.name, strongest.name, margin, beats_all, verdict,
                      tuple(notes))


def _score_label(strategy: Strategy) -> str:
    description = strategy.describe()
    if description["name"] == "satisficing":
        return str(description["optimize"])
    if description["name"] == "map":
        return str(description["metric"])
    return f"{description['name']} score"
