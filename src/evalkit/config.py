"""The experiment schema: typed dataclasses that a composed Hydra config is validated against.

Hydra composes `conf/` (or a user's experiment file); :func:`validate` merges the result onto these
dataclasses, so a misspelt key or a wrong type fails before any work starts, with the key's full path
and the keys that would have been valid.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

from evalkit.errors import ConfigError
from evalkit.tasks import require_task_name, task_config_keys


@dataclass
class _CommonData:
    """Where the ground truth comes from: a built-in dataset (``name``) or a table (``path``).

    The keys every task reads; a task's own keys (``targets``, ``iou_type``, ...) are declared in
    its registry entry (evalkit/tasks/__init__.py) and added to :data:`DataConfig`.
    """

    name: str | None = None
    test_size: float = 0.25
    seed: int = 0
    path: str | None = None
    id_column: str = "id"
    label_column: str = "label"
    positive_label: Any = None
    train_path: str | None = None
    features: list[str] | None = None
    # one sentence about the data for the report (where it comes from; that it is synthetic)
    description: str | None = None
    # a table of per-item columns to slice by (id + columns), joined to the truth by id; see evalkit/slices
    metadata_path: str | None = None


def _with_task_keys(base: type, where: str, doc: str) -> type:
    """``base`` with the tasks' own keys under ``where`` (``data`` or ``sections``) added as fields.

    One schema holds every task's keys, so any key can be overridden on the command line without
    Hydra's ``+``; evalkit.tasks.check_task_keys refuses a key set for a task that does not read it.
    """
    fields = [(key, declared.type, field(default_factory=declared.fresh_default))
              for key, (declared, _) in task_config_keys(where).items()]
    name = base.__name__.removeprefix("_Common") + "Config"
    return dataclasses.make_dataclass(name, fields, bases=(base,),
                                      namespace={"__doc__": doc, "__module__": __name__})


DataConfig = _with_task_keys(_CommonData, "data", _CommonData.__doc__ or "")


@dataclass
class CurveFileConfig:
    """A learning curve measured elsewhere: a CSV with columns ``n, score[, seed]``."""

    path: str | None = None


@dataclass
class CandidateConfig:
    """A model under evaluation: an estimator fitted here, or a predictions file made elsewhere."""

    estimator: Any = None
    predictions: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    features: list[str] | None = None
    # binary scores: decide positive at score >= threshold (fixed operating point; default 0.5)
    threshold: float | None = None
    # operating_point.choose_on=validation: this candidate's predictions for the validation truth
    predictions_validation: str | None = None
    # predictions candidates: their learning curve, measured where the model was trained
    learning_curve: CurveFileConfig | None = None


@dataclass
class BaselineConfig:
    """A lower bound. Which fields apply depends on ``kind`` (external, rule, simple_ml, human)."""

    kind: str = "external"
    estimator: Any = None
    function: str | None = None
    path: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    source: str | None = None
    features: list[str] | None = None
    tie_rule: str = "expected"
    seed: int = 0
    # human panels (see evalkit/baselines/human.py)
    annotator_column: str = "annotator"
    label_column: str = "label"
    group_column: str | None = None
    groups: dict[str, list[str]] = field(default_factory=dict)
    min_items: int = 10
    best_annotator: bool = False
    # any kind: this baseline's rows define the human-level line (see evalkit/baselines/human_reference.py)
    human_level: bool = False


@dataclass
class StrategyConfig:
    """How an entry's metrics become one number. Fields apply per ``name``."""

    name: str = "average"
    metrics: list[str] | None = None
    weights: list[float] | None = None
    optimize: str | None = None
    constraints: dict[str, str] = field(default_factory=dict)
    metric: str | None = None
    expression: str | None = None
    direction: str = "maximize"


@dataclass
class BootstrapConfig:
    """Paired bootstrap settings; ``resamples: 0`` switches intervals off.

    ``resamples`` is a count or ``auto`` (enough for Holm across the run's comparisons to reach the
    level; evalkit.uncertainty.resolution). Typed ``Any`` because it takes both forms;
    evalkit.confidence.check_settings validates it.
    """

    resamples: Any = "auto"
    level: float = 0.95
    seed: int = 0
    method: str = "multinomial"


@dataclass
class ValidationDataConfig:
    """The validation truth an operating point is chosen on (``choose_on: validation``)."""

    path: str | None = None


@dataclass
class OperatingPointConfig:
    """How a scoring entry's threshold is chosen (evalkit/tasks/classification/operating_point.py).

    ``fixed`` keeps 0.5 (or a candidate's ``threshold``); ``cross_fit`` chooses per fold on the other
    folds of the evaluated items; ``validation`` chooses on ``validation.path`` and the candidates'
    ``predictions_validation``. ``confidence``: a constraint counts as met only at its one-sided
    Wilson bound (null: at its point value).
    """

    choose_on: str = "fixed"
    folds: int = 5
    confidence: float | None = 0.95
    seed: int = 0
    validation: ValidationDataConfig = field(default_factory=ValidationDataConfig)


@dataclass
class LearningCurveConfig:
    """Learning curves measured in the run (see evalkit/learning_curve/settings.py for the rules).

    ``sizes`` None means geometric sizes ``min_size * 2**(k/2)`` up to the whole train split;
    ``entries`` None means every estimator candidate and simple_ml baseline (and every predictions
    candidate with a ``learning_curve`` file); ``targets`` are extra target scores.
    """

    enabled: bool = False
    sizes: list[int] | None = None
    seeds: int = 3
    targets: list[float] = field(default_factory=list)
    min_size: int = 16
    entries: list[str] | None = None
    resamples: int = 200
    level: float = 0.95
    n_jobs: int = 1


@dataclass
class LabelCostConfig:
    """What one more label costs: ``per_item`` in ``currency``, plus an ``overhead`` share (0.1 = 10%)."""

    per_item: float | None = None
    currency: str = ""
    overhead: float = 0.0


@dataclass
class GateMetricRule:
    """Tolerances for one metric (or the strategy score) in ``evalkit gate``.

    A regression is measured in the metric's own direction (a drop for higher-is-better metrics, a
    rise for lower-is-better ones), so tolerances are never negative and the sign is never the user's
    job. ``max_regression`` is absolute, ``max_relative_regression`` a fraction of the reference value;
    ``min``/``max`` bound the run's value itself.
    """

    max_regression: float | None = None
    max_relative_regression: float | None = None
    min: float | None = None
    max: float | None = None


@dataclass
class GateConfig:
    """Rules for ``evalkit gate`` (README.md, "Use in CI"); copied into the reference file when it is written.

    ``candidates`` is ``best`` or a list of candidate names; ``must_beat`` is ``all``, a list of entry
    names (``human`` = the run's human level) or a mapping name -> margin; ``within`` maps a name to
    how far below it the gated candidate's score may be. Typed ``Any`` where a field takes several
    forms; evalkit.gate.rules validates those forms.
    """

    candidates: Any = "best"
    score: GateMetricRule = field(default_factory=GateMetricRule)
    metrics: dict[str, GateMetricRule] = field(default_factory=dict)
    must_beat: Any = None
    margin: float = 0.0
    within: dict[str, float] = field(default_factory=dict)
    significance: bool = False
    # per-slice rules {min_items, max_regression, must_beat, significance}; see evalkit/gate/slices.py
    slices: Any = None


@dataclass
class LabelReviewConfig:
    """Suspect labels (``evalkit.label_review``): off unless ``enabled``.

    ``top`` items are shown in the report (``label_review.csv`` lists every flagged item); ``entries``
    names the entries whose out-of-sample scores count (default: every candidate that gives scores;
    rule and simple_ml baselines only when named); ``panels`` names the human baselines whose votes
    count (default: all).
    """

    enabled: bool = False
    top: int = 20
    entries: list[str] | None = None
    panels: list[str] | None = None


@dataclass
class _CommonRun:
    """One experiment: the task, the data, the entries and the strategy that ranks them.

    The sections every task reads; a task's own sections (``errors:``, ``costs:``) are declared in its
    registry entry (evalkit/tasks/__init__.py) and added to :data:`RunConfig`.
    """

    task: str = "binary"
    data: DataConfig = field(default_factory=DataConfig)
    candidates: dict[str, CandidateConfig] = field(default_factory=dict)
    baselines: dict[str, BaselineConfig] = field(default_factory=dict)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    cost_metrics: dict[str, str] = field(default_factory=dict)
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    operating_point: OperatingPointConfig = field(default_factory=OperatingPointConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    learning_curve: LearningCurveConfig = field(default_factory=LearningCurveConfig)
    label_cost: LabelCostConfig = field(default_factory=LabelCostConfig)
    # per-slice scores and the weakest slices found automatically; evalkit.slices.spec validates the forms
    slices: Any = None
    # Run only these entries (candidate or baseline config names); None runs all. With a Hydra sweep
    # (`-m select=[a],[b]`) this gives one job per candidate, merged by `evalkit compare`.
    select: list[str] | None = None
    # Draw the figures (PNG and SVG) into plots/. false for the jobs of a large sweep: `evalkit compare`
    # draws the merged run's, and `evalkit plot RUN` draws any run's later from its saved data.
    figures: bool = True
    # Suspect gold labels: a review list and whether the verdict survives it (evalkit/label_review)
    label_review: LabelReviewConfig = field(default_factory=LabelReviewConfig)


RunConfig = _with_task_keys(_CommonRun, "sections", _CommonRun.__doc__ or "")


def defaults_node() -> dict[str, Any]:
    """Every schema key with its default, as a plain dict.

    Composed first under every experiment, so each key exists in the composed config and can be
    overridden from the command line without Hydra's ``+`` prefix. Plain (not structured) on
    purpose: type checks happen in :func:`validate`, which gives evalkit's own error messages.
    """
    node = OmegaConf.to_container(OmegaConf.structured(RunConfig))
    assert isinstance(node, dict)
    return node


def _valid_keys(path: list[str]) -> list[str]:
    """The field names valid at ``path`` (a key path into RunConfig), for error messages."""
    node: Any = RunConfig
    for part in path:
        if dataclasses.is_dataclass(node):
            hints = typing.get_type_hints(node)
            if part not in hints:
                return []
            node = hints[part]
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        else:
            return []
    return [f.name for f in dataclasses.fields(node)] if dataclasses.is_dataclass(node) else []


@functools.cache
def _schema() -> DictConfig:
    # Built once per process: building it walks every dataclass (a fifth of validating), and merge
    # copies it rather than changing it.
    return OmegaConf.structured(RunConfig)


def validate(cfg: DictConfig | dict) -> RunConfig:
    """Check a composed config against the schema and return it as typed dataclasses.

    Raises :class:`ConfigError` naming the key, what was wrong and what would be valid.

    >>> validate({"task": "binary", "data": {"name": "breast_cancer"}}).data.test_size
    0.25
    """
    try:
        merged = OmegaConf.merge(_schema(), cfg)
        result = OmegaConf.to_object(merged)
    except ConfigKeyError as exc:
        key = str(getattr(exc, "full_key", "") or "")
        parts = [p for p in key.split(".") if p]
        valid = _valid_keys(parts[:-1])
        hint = f"; valid keys here: {', '.join(valid)}" if valid else ""
        raise ConfigError(f"unknown config key '{key}'{hint}") from None
    except ValidationError as exc:
        key = getattr(exc, "full_key", "") or "?"
        msg = str(exc).splitlines()[0]
        raise ConfigError(f"config key '{key}' has the wrong type: {msg}") from None
    except OmegaConfBaseException as exc:
        raise ConfigError(f"invalid config: {str(exc).splitlines()[0]}") from None
    assert isinstance(result, RunConfig)
    require_task_name(result.task)
    check_entry_names(result)
    check_operating_point(result)
    return result


CHOOSE_ON = ("fixed", "cross_fit", "validation")


def check_operating_point(cfg: RunConfig) -> None:
    """The ``operating_point`` values and the candidates' ``threshold``/``predictions_validation``.

    >>> check_operating_point(validate({"operating_point": {"choose_on": "cross_fit"}}))
    """
    point = cfg.operating_point
    if point.choose_on not in CHOOSE_ON:
        raise ConfigError(f"operating_point.choose_on={point.choose_on!r} is not valid; use one of "
                          f"{', '.join(CHOOSE_ON)}")
    if isinstance(point.folds, bool) or point.folds < 2:
        raise ConfigError(f"operating_point.folds={point.folds!r} must be an integer >= 2")
    if point.confidence is not None and not 0.5 <= point.confidence < 1:
        raise ConfigError(f"operating_point.confidence={point.confidence!r} must be in [0.5, 1) (e.g. 0.95), "
                          "or null to judge constraints at their point value")
    if point.seed < 0:
        raise ConfigError(f"operating_point.seed={point.seed!r} must be a non-negative integer")
    validating = point.choose_on == "validation"
    if validating and not point.validation.path:
        raise ConfigError("operating_point.choose_on=validation needs operating_point.validation.path "
                          "(a truth table of validation items)")
    if not validating and point.validation.path:
        raise ConfigError(f"operating_point.validation.path is only read with choose_on: validation "
                          f"(choose_on is {point.choose_on}); remove it or set choose_on: validation")
    for name, candidate in cfg.candidates.items():
        where = f"candidates.{name}"
        if candidate.threshold is not None and not 0 <= candidate.threshold <= 1:
            raise ConfigError(f"{where}.threshold={candidate.threshold!r} must be in [0, 1] (scores are "
                              "probabilities)")
        if candidate.predictions_validation is not None and not validating:
            raise ConfigError(f"{where}.predictions_validation is only read with operating_point.choose_on: "
                              f"validation (it is {point.choose_on}); remove it or set choose_on: validation")
        if candidate.predictions_validation is not None and candidate.predictions is None:
            raise ConfigError(f"{where}.predictions_validation: an estimator candidate predicts the "
                              "validation file itself; remove predictions_validation")


def name_problem(name: object) -> str | None:
    r"""Why ``name`` cannot name an entry (or a part of one), or None when it can.

    Names end up in terminal tables, Markdown, CSV and XML: a newline or another control character
    would break a row or inject a heading, and XML cannot even carry some of them.

    >>> name_problem("logreg") is None, name_problem("two\nlines")
    (True, "contains the control character '\\n'")
    """
    if not isinstance(name, str) or not name.strip():
        return "is empty"
    for char in name:
        if unicodedata.category(char) in _CONTROL_CATEGORIES:
            return f"contains the control character {char!r}"
    return None


# Cc: C0/C1 controls (newline, tab, escape, ...); Zl/Zp: the Unicode line and paragraph separators.
_CONTROL_CATEGORIES = ("Cc", "Zl", "Zp")


def check_entry_names(cfg: RunConfig) -> None:
    """Entry names must be unique across candidates, baselines and the rows baselines generate.

    Every output finds an entry by its name (ranks, intervals, comparisons, the gate); two entries of
    one name would share a row. A human panel ``P`` generates rows ``P/<row>`` and ``P/<group>/<row>``
    (``P/majority_vote``, ``P/crowd/mean_annotator``, ``P/best_annotator``, a detection annotator's
    ``P/annotator``), so no other name may begin with ``P/``. Checked before any data is read.
    """
    sections = {"candidates": list(cfg.candidates), "baselines": list(cfg.baselines)}
    for section, names in sections.items():
        for name in names:
            problem = name_problem(name)
            if problem is not None:
                raise ConfigError(f"{section}.{name!r}: the entry name {problem}; rename it (names appear in "
                                  "tables, reports and CI outputs)")
    for name, baseline in cfg.baselines.items():
        for group in baseline.groups:
            problem = name_problem(group)
            if problem is not None:
                raise ConfigError(f"baselines.{name}.groups.{group!r}: the group name {problem}; rename it "
                                  "(it becomes part of the row names)")
    for name in cfg.candidates:
        if name in cfg.baselines:
            raise ConfigError(f"candidates.{name} and baselines.{name}: a candidate and a baseline are both "
                              f"named '{name}'; entry names must be unique across candidates and baselines "
                              "(the leaderboard, the comparisons and the gate find entries by name); "
                              "rename one")
    panels = [name for name, baseline in cfg.baselines.items() if baseline.kind == "human"]
    for panel in panels:
        for section, names in sections.items():
            for name in names:
                if name != panel and name.startswith(f"{panel}/"):
                    raise ConfigError(f"{section}.{name}: the name collides with the rows of the human "
                                      f"baseline baselines.{panel}, which are named {panel}/... (e.g. "
                                      f"{panel}/majority_vote, {panel}/mean_annotator); rename one")
