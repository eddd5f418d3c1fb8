"""``evalkit compare``: merge the run directories of a sweep into one leaderboard.

Scale-out stays with Hydra's launchers (joblib, submitit for Slurm, Ray): each job evaluates some
entries (``select=[...]``) and writes its own run directory; this command re-scores the union with the
runs' shared strategy and writes one ``metrics.json``, ``leaderboard.csv``, ``report.md`` and the figures.
Runs must share task, strategy and data fingerprint, or their numbers are not comparable.

Each entry keeps the interval its own job computed (the resamples are the same for a given seed and
data), and the merged record states the jobs' bootstrap settings when they agree. Significance across
jobs comes from each job's ``resamples.npz`` (:mod:`evalkit.resamples_file`): with the same settings and
data every job drew the same resamples, so the best candidate is tested against every entry, with Holm
across all of them, exactly as one run of all the entries would (:func:`cross_job_significance`). An
entry that covers only some items (a human panel) is tested only within its own job: that needs the best
candidate's predictions on those items.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit.comparison import compare
from evalkit.confidence import ResampledEntry, compare_best, significance_summary
from evalkit.config import StrategyConfig
from evalkit.entry import Entry
from evalkit.errors import DataError
from evalkit.metrics.registry import MetricSpec, metric_registry
from evalkit.plots.render import CURVES_FILE, read_curves
from evalkit.record_check import check_curves, check_record
from evalkit.record_io import METRICS_FILE, json_safe, read_record
from evalkit.resamples_file import RESAMPLES_FILE, read_resamples
from evalkit.results import STANDARD_KEYS, build_record
from evalkit.strategies import Strategy, build_strategy
from evalkit.verdict import state as state_verdict


def find_runs(paths: list[Path]) -> list[Path]:
    """Run directories among ``paths``: each path is a run directory or a folder of them (a sweep)."""
    runs: list[Path] = []
    for path in paths:
        if (path / METRICS_FILE).is_file():
            runs.append(path)
        elif path.is_dir():
            runs.extend(sorted(p.parent for p in path.glob(f"*/{METRICS_FILE}")))
        else:
            raise DataError(f"{path}: not a directory; give run directories or a multirun sweep directory")
    if not runs:
        raise DataError(f"no {METRICS_FILE} found under {', '.join(map(str, paths))}; "
                        "point at completed run directories")
    return runs


def checked_record(run: Path) -> dict[str, Any]:
    """The run's ``metrics.json``, with the shape merging and drawing read checked (DataError if not)."""
    record = read_record(run)
    check_record(record, run / METRICS_FILE)
    unknown = set(record["strategy"]) - {f.name for f in fields(StrategyConfig)} - {"higher_is_better"}
    if unknown:
        raise DataError(f"{run / METRICS_FILE}: strategy has unknown key(s) {sorted(unknown)}; fix: re-run "
                        "the experiment to rewrite it, or restore the file")
    for key in ("data",):
        if not isinstance(record.get(key), dict):
            raise DataError(f"{run / METRICS_FILE}: '{key}' is missing or not an object; fix: re-run the "
                            "experiment to rewrite it, or restore the file")
    return record


def checked_curves(run: Path) -> dict[str, Any] | None:
    """The run's ``curves.json`` (None if it saved none), with its shape checked."""
    curves = read_curves(run)
    if curves is not None:
        check_curves(curves, run / CURVES_FILE)
    return curves


def merge_records(records: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """One record from several runs of the same experiment (first occurrence of a name wins)."""
    first_path, first = records[0]
    for path, record in records[1:]:
        for key, what in (("task", "task"), ("strategy", "strategy"), (("data", "fingerprint"), "data")):
            mine = record[key[0]].get(key[1]) if isinstance(key, tuple) else record[key]
            theirs = first[key[0]].get(key[1]) if isinstance(key, tuple) else first[key]
            if mine != theirs:
                raise DataError(f"{path}: its {what} differs from {first_path}'s ({mine!r} vs {theirs!r}); "
                                "only runs of the same experiment on the same data can be merged")
    task = first["task"]
    registry, strategy = _registry_and_strategy(records)
    entries: dict[str, Entry] = {}
    for _, record in records:
        for row in record["entries"]:
            if row["name"] in entries:
                continue
            entry = Entry(name=row["name"], role=row["role"], kind=row["kind"], metrics=row["metrics"],
                          notes=row.get("metric_notes", {}),
                          details={k: v for k, v in row.items() if k not in STANDARD_KEYS})
            entry.outcome = strategy.evaluate(entry.metrics, require_all=entry.role == "candidate")
            entries[entry.name] = entry
    merged = build_record(task=task, data=first["data"], entries=list(entries.values()),
                          comparison=compare(list(entries.values()), strategy), strategy=strategy,
                          registry=registry, created=datetime.now(UTC).isoformat(timespec="seconds"))
    merged["merged_from"] = [str(p) for p, _ in records]
    definitions = _metric_definitions(records)
    if definitions:
        merged["metric_definitions"] = definitions
    merged["notes"] = list(merged.get("notes") or []) + _unmerged_notes(records)
    # e.g. "jobs of this sweep run in parallel": every job says it, the merged report says it once.
    timing = list(dict.fromkeys(n for _, r in records for n in r.get("measurement_notes") or []))
    if timing:
        merged["measurement_notes"] = timing
    return merged | merged_bootstrap([record for _, record in records])


# Blocks of a job's record that describe that job's entries together (per-slice comparisons with its
# best candidate, its learning curves, its label review): recomputing them needs the predictions.
_PER_JOB_BLOCKS = {"slices": "slice tables", "learning_curves": "learning curves",
                   "label_review": "label reviews"}


def _metric_definitions(records: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """The experiment-defined metrics' definitions (named errors, costs, calibration bins), which the
    gate compares with its reference's; jobs that define one metric differently are not one experiment."""
    found: dict[str, tuple[Path, Any]] = {}
    for path, record in records:
        for metric, definition in (record.get("metric_definitions") or {}).items():
            if metric in found and found[metric][1] != definition:
                raise DataError(f"{path}: metric {metric!r} is defined differently than in "
                                f"{found[metric][0]} ({definition!r} vs {found[metric][1]!r}); only runs of "
                                "the same experiment can be merged")
            found.setdefault(metric, (path, definition))
    return {metric: definition for metric, (_, definition) in found.items()}


def _unmerged_notes(records: list[tuple[Path, dict[str, Any]]]) -> list[str]:
    """Say which per-job blocks the merged record leaves out, and where they are."""
    notes = []
    for block, what in _PER_JOB_BLOCKS.items():
        jobs = [str(path) for path, record in records if record.get(block)]
        if jobs:
            notes.append(f"{what} are computed per job and not merged here: see the report of "
                         + ", ".join(jobs))
    return notes


def _registry_and_strategy(
        records: list[tuple[Path, dict[str, Any]]]) -> tuple[dict[str, MetricSpec], Strategy]:
    first = records[0][1]
    task = first["task"]
    declared = {m: d for r in records for m, d in r[1]["metric_directions"].items()}
    builtin = metric_registry(task)
    registry = metric_registry(task, {m: d for m, d in declared.items() if m not in builtin})
    description = {k: v for k, v in first["strategy"].items() if k != "higher_is_better"}
    return registry, build_strategy(StrategyConfig(**description), registry, task)


def cross_job_significance(records: list[tuple[Path, dict[str, Any]]],
                           merged: dict[str, Any]) -> tuple[dict[str, Any], dict[str, ResampledEntry]]:
    """The merged record's significance tests from the jobs' saved resamples, and the union of those.

    Returns the fields to update (``comparisons``, ``significance``, ``uncertainty_notes``, the verdict)
    and every saved entry (first occurrence of a name wins, as for metrics). When the jobs' bootstrap
    settings differ, or a job saved no resamples, nothing is tested and a note says why in one line.
    """
    settings = merged.get("bootstrap")
    if not isinstance(settings, dict):
        return {}, {}
    missing = [str(path) for path, record in records if "resamples_file" not in record]
    if missing:
        return {"uncertainty_notes": [
            f"no significance tests across jobs: {', '.join(missing)} saved no {RESAMPLES_FILE} (an older "
            "evalkit); re-run those jobs, or run the entries in one job"]}, {}
    saved: dict[str, ResampledEntry] = {}
    common = int(settings["resamples"])
    for path, record in records:
        for name, entry in read_resamples(path, record).items():
            saved.setdefault(name, _first_resamples(entry, common))
    best = merged.get("best")
    if best not in saved:
        why = "has no per-item predictions" if best is not None else "does not exist"
        return {"uncertainty_notes": [f"no significance tests: the best candidate {best} {why}"]}, saved
    registry, strategy = _registry_and_strategy(records)
    order = [row["name"] for row in merged["entries"] if row["name"] in saved and row["name"] != best]
    others = [saved[name] for name in order]
    n_items = int(merged["data"]["n_items"])
    comparisons = compare_best(saved[best], others, n_items, registry, strategy, float(settings["level"]))
    notes = [f"significance across jobs: {best} is tested against every entry on the same resamples, "
             f"saved by each job ({RESAMPLES_FILE}), with Holm across all {len(comparisons)} comparisons"]
    partial = [o.name for o in others if o.covered is not None and len(o.covered) < n_items]
    if partial:
        notes.append(f"{', '.join(partial)} cover only some items: tested against {best} only when run in "
                     "its job (that needs its predictions on those items)")
    R = int(settings["resamples"])
    left_out = [f"{c['b']} ({c['metric']}: {R - c['resamples']})" for c in comparisons if c["resamples"] < R]
    if left_out:
        notes.append(f"paired differences with {best} leave out resamples where either value is undefined: "
                     f"{', '.join(left_out)} of {R}")
    update = json_safe({"comparisons": comparisons,
                        "significance": significance_summary(comparisons, float(settings["level"]), R),
                        "uncertainty_notes": notes})
    verdict_line, detail = state_verdict(merged | update)
    return update | {"verdict": verdict_line, "verdict_detail": detail}, saved


def _first_resamples(entry: ResampledEntry, count: int) -> ResampledEntry:
    """The entry's values on its first ``count`` resamples (the ones every job drew)."""
    return replace(entry, values={m: v[:count] for m, v in entry.values.items()},
                   score_values=None if entry.score_values is None else entry.score_values[:count])


def merged_bootstrap(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The merged record's ``bootstrap`` settings and ``uncertainty_notes``, from the jobs' own.

    Each entry keeps the interval its job computed (``ci`` rides along with the entry), so the merged
    record states the settings those intervals were made with when every job agrees, and says that
    significance stays per job. Jobs with different settings (or some without intervals) get no
    shared setting: a note names them instead of one legend that would be wrong for some entries.

    >>> merged_bootstrap([{"bootstrap": None}, {"bootstrap": None}])
    {'bootstrap': None}
    """
    settings = [record.get("bootstrap") for record in records]
    if all(s is None for s in settings):
        return {"bootstrap": None}
    per_job = ("each entry's interval is the one its own job computed; significance tests against the best "
               "candidate stay per job (they need both entries' predictions in one job), so the merged "
               "report has none: run the entries in one job to test them")
    if all(s == settings[0] for s in settings):
        return {"bootstrap": settings[0], "uncertainty_notes": [per_job]}
    if all(s is not None and _drawn_alike(s) == _drawn_alike(settings[0]) for s in settings):
        # Resample r depends only on the seed, r, the method and the items, so jobs that drew different
        # numbers of resamples (bootstrap.resamples: auto sizes each job by its own comparisons) share
        # their first min(R) resamples: the tests across jobs use those.
        counts = [int(s["resamples"]) for s in settings]
        common = min(counts)
        rule = (f"the first {common} resamples, which every job drew (the jobs drew "
                f"{', '.join(str(c) for c in counts)}); each entry's interval is its own job's")
        return {"bootstrap": settings[0] | {"resamples": common, "resamples_rule": rule},
                "uncertainty_notes": [per_job]}
    described = "; ".join(f"job {i + 1}: " + (_settings_text(s) if s else "no bootstrap")
                          for i, s in enumerate(settings))
    return {"bootstrap": None, "interval_settings_differ": True,
            "uncertainty_notes": [per_job, f"the jobs' bootstrap settings differ ({described}): intervals "
                                           "of different jobs are not made alike; re-run with one setting"]}


def _drawn_alike(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings that decide which resamples a job draws and how it reads them (not how many)."""
    return {k: v for k, v in settings.items() if k not in ("resamples", "resamples_rule")}


def _settings_text(settings: dict[str, Any]) -> str:
    return ", ".join(f"{k} {settings[k]}" for k in ("resamples", "level", "seed", "method") if k in settings)


def merge_curves(documents: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The union of the runs' ``curves.json`` entries (first occurrence of a name wins, as for metrics).

    None when no run saved curve data; the merged figures that need it are then skipped, saying why.
    """
    saved = [d for d in documents if d is not None]
    if not saved:
        return None
    entries: dict[str, Any] = {}
    for document in saved:
        for name, data in document["entries"].items():
            entries.setdefault(name, data)
    return saved[0] | {"entries": entries}
