"""Running an experiment: config in, ranked entries and a verdict out. No output files here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from evalkit.baselines import check_baseline, run_baseline
from evalkit.baselines.human_reference import complete as complete_human_rows
from evalkit.candidates import check_candidate, run_candidate
from evalkit.comparison import Comparison, compare
from evalkit.confidence import Assessment, assess, check_settings
from evalkit.config import RunConfig, name_problem
from evalkit.entry import Entry
from evalkit.errors import ConfigError, DataError
from evalkit.evalset import EvalSet
from evalkit.measurement import fragile_constraints
from evalkit.metrics.registry import MetricSpec, metric_registry
from evalkit.paths import PathResolver
from evalkit.strategies import Strategy, build_strategy
from evalkit.tasks import get_task

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
    label_review: LabelReview | None = None


def run_experiment(cfg: RunConfig, paths: PathResolver, *, progress: bool | None = None) -> RunResult:
    """Validate everything, then load data, produce every entry, score and compare them.

    All config checks run before any data is read or any model is fitted, so a typo costs nothing.
    """
    started = datetime.now(UTC).isoformat(timespec="seconds")
    task = get_task(cfg.task)
    registry = metric_registry(cfg.task, cfg.cost_metrics, config=cfg)
    strategy = build_strategy(cfg.strategy, registry, cfg.task)
    check_settings(cfg.bootstrap)
    if not cfg.candidates:
        raise ConfigError("no candidates: add at least one under 'candidates:'")
    # The task's own rules first: they say what applies at all (no estimators for detection, ...).
    task.check_experiment(cfg)
    for name, candidate in cfg.candidates.items():
        check_candidate(name, candidate, registry)
    for name, baseline in cfg.baselines.items():
        check_baseline(name, baseline, registry)
    if cfg.label_review.enabled:
        from evalkit.label_review.evidence import check as check_label_review

        check_label_review(cfg)

    data = cfg.data
    evalset = task.load_evalset(
        data,
        truth_path=paths.resolve(data.path, "data.path") if data.path else None,
        train_path=paths.resolve(data.train_path, "data.train_path") if data.train_path else None)

    jobs = [("candidate", n) for n in cfg.candidates] + [("baseline", n) for n in cfg.baselines]
    if cfg.select is not None:
        unknown = sorted(set(cfg.select) - {name for _, name in jobs})
        if unknown:
            raise ConfigError(f"select: no candidate or baseline named {unknown}; "
                              f"names: {', '.join(name for _, name in jobs)}")
        jobs = [(role, name) for role, name in jobs if name in cfg.select]
    entries: list[Entry] = []
    # tqdm hides itself when stderr is not a terminal (disable=None), so logs and CI stay clean.
    disable = None if progress is None else not progress
    for role, name in tqdm(jobs, desc="evaluating", unit="entry", disable=disable, leave=False):
        if role == "candidate":
            entries.append(run_candidate(name, cfg.candidates[name], evalset, registry, paths.resolve,
                                         data.id_column))
        else:
            entries.extend(run_baseline(name, cfg.baselines[name], evalset, registry, paths.resolve,
                                        data.id_column))
    # Best annotators and same-item (paired) human/candidate numbers need the strategy and every entry.
    entries = complete_human_rows(entries, cfg.baselines, strategy, evalset, registry)
    check_generated_names(entries)
    for entry in entries:  # e.g. per-class AP (and the labels map leaves out), for metrics.json
        if entry.predictions is not None:
            entry.details |= task.entry_details(evalset, entry.predictions)
    for entry in entries:
        entry.outcome = strategy.evaluate(entry.metrics, require_all=entry.role == "candidate")
        fragile = fragile_constraints(getattr(strategy, "constraints", ()), entry.metrics,
                                      entry.details.get("measured") or {}, feasible=entry.outcome.feasible)
        if fragile:
            entry.details["fragile_constraints"] = fragile
    comparison = compare(entries, strategy)
    assessment = assess(entries, evalset, registry, strategy, comparison.best, cfg.bootstrap,
                        progress=progress)
    review = None
    if cfg.label_review.enabled:  # off by default: it rescores the run twice
        from evalkit.label_review.review import review_labels

        review = review_labels(cfg, entries, evalset, registry, strategy, comparison, assessment)
    return RunResult(cfg, evalset, registry, strategy, entries, comparison, started, assessment, review)


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
