"""Running an experiment: config in, ranked entries and a verdict out. No output files here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from evalkit.baselines import check_baseline, run_baseline
from evalkit.baselines.human_reference import complete as complete_human_rows
from evalkit.baselines.human_reference import human_level
from evalkit.candidates import check_candidate, run_candidate
from evalkit.comparison import Comparison, compare
from evalkit.confidence import Assessment, assess, check_settings
from evalkit.config import RunConfig, name_problem
from evalkit.entry import Entry
from evalkit.errors import ConfigError, DataError
from evalkit.evalset import EvalSet
from evalkit.learning_curve.settings import check_settings as check_curve_settings
from evalkit.measurement import fragile_constraints
from evalkit.metrics.registry import MetricSpec, metric_registry
from evalkit.paths import PathResolver
from evalkit.slices import check_slices, evaluate_slices, metadata_note, read_metadata
from evalkit.slices.conditions import slice_table
from evalkit.strategies import Strategy, build_strategy
from evalkit.tasks import check_task_keys, get_task

if TYPE_CHECKING:
    from evalkit.label_review.review import LabelReview


@dataclass
class RunResult:
    """Everything a run found, ready to be written, printed, plotted or gated."""

    config: RunConfig
    evalset: EvalSet
    registry: dict[str, MetricSpec]
    strategy: Strategy
    entries: list[Entry]
    comparison: Comparison
    started: str
    assessment: Assessment | None = None
    # the ``slices`` block of metrics.json (evalkit.slices), when the experiment declares slices
    slices: dict[str, Any] | None = None
    # metrics.json's learning_curves block (evalkit/learning_curve/analysis.py); None when not enabled
    learning_curves: dict[str, Any] | None = None
    # the label review (evalkit.label_review), when label_review.enabled
    label_review: LabelReview | None = None


def run_experiment(cfg: RunConfig, paths: PathResolver, *, progress: bool | None = None,
                   warn: Callable[[str], None] | None = None) -> RunResult:
    """Validate everything, then load data, produce every entry, score and compare them.

    All config checks run before any data is read or any model is fitted, so a typo costs nothing.
    ``warn`` hears what the user should know before the bootstrap runs (a resample count too small for
    the run's comparisons).
    """
    started = datetime.now(UTC).isoformat(timespec="seconds")
    task = get_task(cfg.task)
    registry = metric_registry(cfg.task, cfg.cost_metrics, config=cfg)
    strategy = build_strategy(cfg.strategy, registry, cfg.task)
    check_settings(cfg.bootstrap)
    check_curve_settings(cfg)
    if not cfg.candidates:
        raise ConfigError("no candidates: add at least one under 'candidates:'")
    # The task's own rules first: they say what applies at all (no estimators for detection, ...).
    check_task_keys(cfg)
    task.check_experiment(cfg)
    task.check_operating_point(cfg, registry, strategy)
    for name, candidate in cfg.candidates.items():
        check_candidate(name, candidate, registry)
    for name, baseline in cfg.baselines.items():
        check_baseline(name, baseline, registry)
    slice_spec = check_slices(cfg.slices, cfg.task)
    if cfg.data.metadata_path and slice_spec is None:
        raise ConfigError("data.metadata_path is set but there is no slices: section to use it; add slices "
                          "(e.g. slices: [{column: site}]) or remove data.metadata_path")
    if cfg.label_review.enabled:
        from evalkit.label_review.evidence import check as check_label_review

        check_label_review(cfg)

    data = cfg.data
    # tqdm hides itself when stderr is not a terminal (disable=None), so logs and CI stay clean.
    disable = None if progress is None else not progress
    # One step, but reading ten million rows takes a while: the bar says what the wait is for.
    with tqdm(total=1, desc="reading the truth", unit="file", disable=disable, leave=False) as bar:
        evalset = task.load_evalset(
            data,
            truth_path=paths.resolve(data.path, "data.path") if data.path else None,
            train_path=paths.resolve(data.train_path, "data.train_path") if data.train_path else None)
        bar.update()
    slice_columns = slice_notes = None
    if slice_spec is not None:
        # Read and joined before any model is fitted, so a wrong column or id costs nothing.
        metadata, source = (
            read_metadata(paths.resolve(data.metadata_path, "data.metadata_path"), data.id_column)
            if data.metadata_path else (None, "data.metadata_path"))
        slice_columns = slice_table(evalset.ids, task.slice_columns(evalset), metadata, slice_spec.columns,
                                    metadata_source=source, features_source=task.slice_columns_source)
        slice_notes = [n for n in [metadata_note(metadata, evalset.ids, source)] if n]

    jobs = [("candidate", n) for n in cfg.candidates] + [("baseline", n) for n in cfg.baselines]
    if cfg.select is not None:
        unknown = sorted(set(cfg.select) - {name for _, name in jobs})
        if unknown:
            raise ConfigError(f"select: no candidate or baseline named {unknown}; "
                              f"names: {', '.join(name for _, name in jobs)}")
        jobs = [(role, name) for role, name in jobs if name in cfg.select]
    entries: list[Entry] = []
    bar = tqdm(jobs, desc="evaluating", unit="entry", disable=disable, leave=False)
    for role, name in bar:
        bar.set_postfix_str(name, refresh=False)  # reading a large predictions file is the slow part
        if role == "candidate":
            entries.append(run_candidate(name, cfg.candidates[name], evalset, registry, paths.resolve,
                                         data.id_column))
        else:
            entries.extend(run_baseline(name, cfg.baselines[name], evalset, registry, paths.resolve,
                                        data.id_column))
    # Scores become labels at each entry's operating point before anything reads the labels.
    task.apply_operating_points(entries, evalset, registry, strategy, cfg, paths.resolve)
    # Best annotators and same-item (paired) human/candidate numbers need the strategy and every entry.
    entries = complete_human_rows(entries, cfg.baselines, strategy, evalset, registry)
    check_generated_names(entries)
    for entry in entries:  # e.g. per-class AP (and the labels map leaves out), for metrics.json
        if entry.predictions is not None:
            entry.details |= task.entry_details(evalset, entry.predictions)
    for entry in entries:
        entry.outcome = strategy.evaluate(entry.metrics, require_all=entry.role == "candidate")
        no_point = (entry.details.get("operating_point") or {}).get("infeasible")
        if no_point:  # no threshold met the constraints on the choosing data: infeasible, with the reason
            entry.outcome = replace(entry.outcome, feasible=False,
                                    violations=(*entry.outcome.violations, f"operating point: {no_point}"))
        fragile = fragile_constraints(getattr(strategy, "constraints", ()), entry.metrics,
                                      entry.details.get("measured") or {}, feasible=entry.outcome.feasible)
        if fragile:
            entry.details["fragile_constraints"] = fragile
    comparison = compare(entries, strategy)
    assessment = assess(entries, evalset, registry, strategy, comparison.best, cfg.bootstrap,
                        progress=progress, warn=warn)
    slices = None
    if slice_spec is not None:
        assert slice_columns is not None and slice_notes is not None
        slices = evaluate_slices(slice_spec, slice_columns, entries, evalset, registry, strategy,
                                 comparison.ranking, comparison.best, cfg.bootstrap, notes=slice_notes)
    curves = None
    if cfg.learning_curve.enabled:
        from evalkit.learning_curve.analysis import learning_curves

        curves = learning_curves(cfg, evalset, registry, strategy, entries,
                                 strongest=comparison.strongest_baseline,
                                 human=human_level(entries, strategy.higher_is_better),
                                 intervals=assessment.intervals if assessment is not None else {},
                                 resolve=paths.resolve, progress=progress)
    review = None
    if cfg.label_review.enabled:  # off by default: it rescores the run twice
        from evalkit.label_review.review import review_labels

        review = review_labels(cfg, entries, evalset, registry, strategy, comparison, assessment)
    return RunResult(cfg, evalset, registry, strategy, entries, comparison, started, assessment,
                     slices=slices, learning_curves=curves, label_review=review)


def check_generated_names(entries: list[Entry]) -> None:
    """Every entry name is usable and unique, rows generated from data included.

    The config's names are checked before any work (config.check_entry_names); a human panel's row
    names also hold group values read from its annotations file, which only now are known.
    """
    seen: dict[str, Entry] = {}
    for entry in entries:
        problem = name_problem(entry.name)
        if problem is not None:
            raise DataError(f"entry {entry.name!r}: the name {problem}; it comes from the group values of a "
                            "human panel's annotations file: fix them there, or set the baseline's groups")
        if entry.name in seen:
            other = seen[entry.name]
            raise ConfigError(f"two entries are named '{entry.name}' (a {other.kind} {other.role} and a "
                              f"{entry.kind} {entry.role}); entry names must be unique: rename one")
        seen[entry.name] = entry
