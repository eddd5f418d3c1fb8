"""What a run offers as evidence about its gold labels, and which of it is admissible.

Only **out-of-sample** scores count: a model that saw an item's gold label while fitting agrees with it
for that reason alone. Estimator candidates (and ``simple_ml`` baselines) are fitted on the train split
and score the held-out evaluated items, so their scores qualify; a predictions file is taken to come from
a model that never saw the evaluated items (the review says so); a ``simple_ml`` dummy fitted on the
evaluated labels themselves (no train split) does not qualify. By default the candidates count; a rule or
``simple_ml`` baseline counts only when named in ``label_review.entries`` (a weak baseline's scores would
dilute the average). Entries that give labels only, or cover only some items, contribute nothing.

Panels: every label of every human baseline (or those in ``label_review.panels``), from every annotator,
``min_items`` or not; an annotator is identified by panel and name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.baselines.human import HumanEntry
from evalkit.config import RunConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.evalset import EvalSet
from evalkit.label_review.ranking import PanelVotes, average_probabilities
from evalkit.tasks import TASK_NAMES, get_task

SCORING_BASELINE_KINDS = ("rule", "simple_ml")
WHY = {
    "estimator": "fitted on the train split, scored on the held-out evaluated items",
    "simple_ml": "fitted on the train split, scored on the held-out evaluated items",
    "predictions": "a predictions file, taken as made by a model that never saw the evaluated items",
    "rule": "a rule's scores: nothing fitted on the evaluated items",
}


@dataclass(frozen=True)
class Evidence:
    """The admissible evidence: per-entry probabilities, their average, the panels' votes, and who gave it."""

    sources: dict[str, np.ndarray] = field(default_factory=dict)
    contributors: list[dict[str, str]] = field(default_factory=list)
    not_used: list[dict[str, str]] = field(default_factory=list)
    votes: PanelVotes | None = None
    panels: list[dict[str, Any]] = field(default_factory=list)

    @property
    def probabilities(self) -> np.ndarray | None:
        """The contributing entries' mean probabilities (floored), or None without any."""
        return average_probabilities(list(self.sources.values())) if self.sources else None

    def missing(self) -> str | None:
        """One line saying what evidence is missing, or None when there is some."""
        if self.sources or self.votes is not None:
            return None
        reasons = "; ".join(f"{u['name']}: {u['why']}" for u in self.not_used)
        return ("no evidence about the gold labels: no entry gives out-of-sample scores on every evaluated "
                "item " + (f"({reasons}) " if reasons else "")
                + "and no human panel voted; add a candidate with scores (an estimator with predict_proba, "
                  "or a predictions file with score columns) or a human baseline (kind: human)")


def check(cfg: RunConfig) -> None:
    """The label_review config, checked before any data is read."""
    review = cfg.label_review
    if not review.enabled:
        return
    task = get_task(cfg.task)
    if not task.reviews_labels and not task.lists_duplicates:
        able = [name for name in TASK_NAMES if get_task(name).reviews_labels]
        duplicates = [name for name in TASK_NAMES if get_task(name).lists_duplicates]
        raise ConfigError(f"label_review.enabled: task '{cfg.task}' has no single gold class per item to "
                          f"review; label review applies to {', '.join(able)} (duplicates only: "
                          f"{', '.join(duplicates)}): set label_review.enabled=false")
    if isinstance(review.top, bool) or review.top < 1:
        raise ConfigError(f"label_review.top={review.top} must be a positive number of items to show, "
                          "e.g. 20")
    for name in review.entries or []:
        if name in cfg.candidates:
            continue
        baseline = cfg.baselines.get(name)
        if baseline is None:
            raise ConfigError(f"label_review.entries: no candidate or baseline named '{name}'; names: "
                              f"{', '.join([*cfg.candidates, *cfg.baselines])}")
        if baseline.kind == "human":
            raise ConfigError(f"label_review.entries: '{name}' is a human panel; list it under "
                              "label_review.panels (its votes count there)")
        if baseline.kind not in SCORING_BASELINE_KINDS:
            raise ConfigError(f"label_review.entries: '{name}' is an {baseline.kind} baseline with no "
                              "per-item scores; name candidates or rule/simple_ml baselines")
    for name in review.panels or []:
        baseline = cfg.baselines.get(name)
        if baseline is None or baseline.kind != "human":
            humans = [n for n, b in cfg.baselines.items() if b.kind == "human"]
            raise ConfigError(f"label_review.panels: '{name}' is not a human baseline; human baselines: "
                              f"{', '.join(humans) or 'none (add one with kind: human)'}")


def gather(cfg: RunConfig, entries: Sequence[Entry], evalset: EvalSet) -> Evidence:
    """The admissible evidence among a run's entries (see the module docstring)."""
    review = cfg.label_review
    task = get_task(evalset.task)
    sources: dict[str, np.ndarray] = {}
    contributors: list[dict[str, str]] = []
    not_used: list[dict[str, str]] = []
    for entry in entries:
        if entry.kind == "human" or entry.kind == "external":
            continue
        named = review.entries is not None and entry.name in review.entries
        wanted = named or (review.entries is None and entry.role == "candidate")
        why_not = _inadmissible(entry, evalset)
        probs = None
        if why_not is None:
            assert entry.predictions is not None
            probs = task.class_probabilities(entry.predictions, evalset)
            if probs is None:
                why_not = "gives labels only, no scores"
        if why_not is None and not wanted:
            why_not = ("not named in label_review.entries" if review.entries is not None
                       else "a baseline: name it in label_review.entries to count its scores")
        if why_not is not None:
            not_used.append({"name": entry.name, "why": why_not})
            continue
        assert probs is not None
        sources[entry.name] = np.asarray(probs, dtype=np.float64)
        contributors.append({"name": entry.name, "role": entry.role, "kind": entry.kind,
                             "why": WHY.get(entry.kind, "out-of-sample scores")})
    votes, panels = _votes(cfg, entries)
    return Evidence(sources, contributors, not_used, votes, panels)


def _inadmissible(entry: Entry, evalset: EvalSet) -> str | None:
    if "fitted_on" in entry.details:
        return "fitted on the evaluated labels themselves (in-sample)"
    predictions = entry.predictions
    if predictions is None:
        return "no per-item predictions"
    if predictions.item_index is not None:
        return f"covers only {predictions.covered_items(evalset.n_items)} of {evalset.n_items} items"
    return None


def _votes(cfg: RunConfig, entries: Sequence[Entry]) -> tuple[PanelVotes | None, list[dict[str, Any]]]:
    wanted = cfg.label_review.panels
    frames: list[pd.DataFrame] = []
    for entry in entries:
        if not isinstance(entry, HumanEntry) or entry.votes is None:
            continue
        if wanted is not None and entry.baseline not in wanted:
            continue
        frames.append(entry.votes.assign(panel=entry.baseline))
    if not frames:
        return None, []
    # A panel's groups may pool the same annotators twice (expert, and experts = expert + senior).
    table = pd.concat(frames, ignore_index=True).drop_duplicates(["panel", "item", "annotator"])
    panels = [{"name": str(name), "annotators": int(rows["annotator"].nunique()), "votes": len(rows),
               "items": int(rows["item"].nunique())} for name, rows in table.groupby("panel", sort=True)]
    who = pd.Series(list(zip(table["panel"], table["annotator"], strict=True)), dtype=object)
    codes, _ = pd.factorize(who)
    labels = table["label"].to_numpy()
    # A multi-label panel's vote is a 0/1 vector over the labels: one row per vote.
    label = (np.vstack(labels).astype(np.int64) if len(labels) and np.ndim(labels[0]) == 1
             else labels.astype(np.int64))
    return PanelVotes(item=table["item"].to_numpy(dtype=np.int64), annotator=codes.astype(np.int64),
                      label=label), panels
