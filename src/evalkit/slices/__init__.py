"""Slices: every entry scored per subgroup of the items, and the weakest subgroups found automatically.

- :mod:`.spec`: the ``slices:`` section of the experiment, checked before any data is read;
- :mod:`.conditions`: the slice columns (truth features, ``data.metadata_path``) and slices as items;
- :mod:`.scoring`: a slice scored with the whole-set machinery (task hooks, strategy, bootstrap);
- :mod:`.search`: the lattice search for slices where the best candidate errs more, with BH-adjusted
  p-values.

:func:`evaluate_slices` puts them together into the ``slices`` block of ``metrics.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evalkit.config import BootstrapConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.evalset import EvalSet, as_keys
from evalkit.metrics.registry import MetricSpec
from evalkit.slices.conditions import Condition, Slice, declared_slices, quantile_conditions
from evalkit.slices.scoring import local_predictions, score_slice
from evalkit.slices.search import search
from evalkit.slices.spec import SliceSpec, parse_slices
from evalkit.strategies import Strategy
from evalkit.tasks import get_task

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SliceSpec", "check_slices", "evaluate_slices", "parse_slices", "read_metadata"]

# Extra metadata rows (ids not in the truth) shown in the note about them.
SHOWN_EXTRA = 5


def check_slices(raw: object, task_name: str) -> SliceSpec | None:
    """The experiment's ``slices:`` section, checked before any data is read (None when absent)."""
    spec = parse_slices(raw)
    if spec is not None and not get_task(task_name).supports_slices:
        raise ConfigError(f"slices: task '{task_name}' cannot be scored per slice yet; remove the slices "
                          "section")
    return spec


def read_metadata(path: Path, id_column: str) -> tuple[pd.DataFrame, str]:
    """A metadata table indexed by item id (as text), and its source for messages."""
    from evalkit.evalset import truth_ids
    from evalkit.tables import read_table, require_columns

    table = read_table(path, what="metadata", text_columns=[id_column])
    require_columns(table, [id_column], path=path, what="metadata",
                    hint="the metadata file needs the truth's id column (data.id_column)")
    ids = truth_ids(table, id_column, path)
    return table.drop(columns=[id_column]).set_axis(ids), str(path)


def metadata_note(metadata: pd.DataFrame | None, ids: np.ndarray, source: str) -> str | None:
    """Say how many metadata rows are for items that are not evaluated (e.g. the train split)."""
    if metadata is None:
        return None
    extra = ~metadata.index.isin(as_keys(ids))
    if not extra.any():
        return None
    shown = [str(i) for i in metadata.index[extra][:SHOWN_EXTRA]]
    return f"{source}: {int(extra.sum())} row(s) for ids not in the truth were ignored (e.g. {shown})"


def _best_errors(entries: Sequence[Entry], best: str | None, evalset: EvalSet) -> np.ndarray | None:
    entry = next((e for e in entries if e.name == best), None)
    if entry is None or entry.predictions is None:
        return None
    return get_task(evalset.task).item_errors(evalset, entry.predictions)


def _error_interval(errors: np.ndarray, level: float) -> list[float]:
    """Wilson for 0/1 errors, else a t interval of the mean."""
    from scipy import stats

    from evalkit.uncertainty.intervals import wilson_interval

    n = len(errors)
    if np.isin(errors, (0.0, 1.0)).all():
        lo, hi = wilson_interval(float(errors.sum()), float(n), level)
        return [float(lo), float(hi)]
    half = stats.t.ppf(0.5 + level / 2, n - 1) * errors.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
    return [float(errors.mean() - half), float(errors.mean() + half)]


def _weakest(spec: SliceSpec, table: pd.DataFrame, errors: np.ndarray, entries: Sequence[Entry],
             evalset: EvalSet, registry: Mapping[str, MetricSpec], best: str,
             level: float) -> dict[str, Any]:
    assert spec.search is not None
    task = get_task(evalset.task)
    conditions: list[Condition] = []
    skipped = []
    for column in spec.search_columns:
        found = quantile_conditions(column, table[column], spec.search.quantiles)
        if found:
            conditions += found
        else:
            skipped.append(column)
    result = search(errors, conditions, min_items=spec.min_items, max_conditions=spec.search.max_conditions)
    best_entry = next(e for e in entries if e.name == best)
    assert best_entry.predictions is not None
    top = []
    for found in result.top(spec.search.top):
        parts = tuple(conditions[j] for j in found.conditions)
        items = parts[0].items
        for part in parts[1:]:
            items = np.intersect1d(items, part.items)
        sub = task.subset(evalset, items)
        local = local_predictions(best_entry.predictions, evalset, items)
        assert local is not None
        metrics = task.compute_metrics(registry, sub, local).values
        top.append({"name": Slice(parts, items).name,
                    "conditions": [{"column": c.column, "test": c.text} for c in parts],
                    "n_items": found.n_items, "error": found.error,
                    "error_ci": _error_interval(errors[items], level), "rest_error": found.rest_error,
                    "p_value": found.p_value, "p_adjusted": found.p_adjusted,
                    "significant": found.p_adjusted <= spec.search.fdr,
                    "metrics": {m: v for m, v in metrics.items() if v is not None}})
    return {"entry": best, "error": task.item_error_name, "overall_error": float(errors.mean()),
            "test": result.test, "adjustment": "Benjamini-Hochberg", "fdr": spec.search.fdr,
            "columns": list(spec.search_columns), "columns_skipped": skipped,
            "conditions": result.n_conditions, "max_conditions": spec.search.max_conditions,
            "searched": result.n_searched, "significant": len(result.discoveries(spec.search.fdr)),
            "top": top}


def reference_rows(entries: Sequence[Entry], ranking: Sequence[str], best: str | None,
                   higher_is_better: bool) -> dict[str, str | None]:
    """The rows a slice table sets side by side, each with per-item predictions: the best candidate, the
    strongest baseline that has them (the run's lower bound may be a stated number) and the human level."""
    from evalkit.baselines.human_reference import human_level
    from evalkit.comparison import is_human_entry

    by_name = {e.name: e for e in entries}
    baseline = next((n for n in ranking if by_name[n].role == "baseline" and not is_human_entry(by_name[n])
                     and by_name[n].predictions is not None and by_name[n].score is not None), None)
    human = human_level(entries, higher_is_better)
    human_name = human["name"] if human and by_name[human["name"]].predictions is not None else None
    return {"best": best, "baseline": baseline, "human": human_name}


def evaluate_slices(spec: SliceSpec, table: pd.DataFrame, entries: Sequence[Entry], evalset: EvalSet,
                    registry: Mapping[str, MetricSpec], strategy: Strategy, ranking: Sequence[str],
                    best: str | None, bootstrap: BootstrapConfig, *,
                    notes: Sequence[str] = ()) -> dict[str, Any]:
    """The ``slices`` block of ``metrics.json``: each declared slicing's slices scored, and the search.

    ``table`` holds the slice columns in the eval set's item order (:func:`.conditions.slice_table`);
    ``ranking`` is the run's (best first), which picks the strongest baseline shown beside the best.
    """
    from evalkit.confidence import score_metric

    # A score that is one metric (satisficing, map) would give two identical tables: the score's is kept.
    single = score_metric(strategy)
    metrics = [m for m in strategy.metrics_used if registry[m].needs != "declared"
               and (single is None or m != single[0])]
    directions = {"score": strategy.higher_is_better} | {m: registry[m].higher_is_better for m in metrics}
    block: dict[str, Any] = {"min_items": spec.min_items, "metrics": ["score", *metrics],
                             "score_is": None if single is None else single[0],
                             "higher_is_better": directions,
                             **reference_rows(entries, ranking, best, strategy.higher_is_better),
                             "declared": [], "search": None, "notes": list(notes)}
    for declared in spec.declared:
        slices, outside = declared_slices(declared, table)
        record = {"slicing": declared.name, "columns": list(declared.columns),
                  "bins": {c: list(e) for c, e in declared.bins.items()}, "items_in_no_slice": outside,
                  "slices": [score_slice(s, entries, evalset, registry, strategy, best, bootstrap,
                                         spec.min_items) for s in slices]}
        block["declared"].append(record)
        if outside:
            block["notes"].append(f"{declared.name}: {outside} item(s) fall in no slice (outside the bins "
                                  "or a missing value)")
    if spec.search is not None:
        errors = _best_errors(entries, best, evalset)
        if best is None:
            block["notes"].append("no weakest-slice search: the run has no best candidate")
        elif errors is None:
            block["notes"].append(f"no weakest-slice search: the best candidate {best} has no per-item "
                                  "error (it needs labels or single-target values for every item; a "
                                  "detector is scored on images as a whole)")
        else:
            block["search"] = _weakest(spec, table, errors, entries, evalset, registry, best, bootstrap.level)
    return block
