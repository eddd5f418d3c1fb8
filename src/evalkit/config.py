"""The experiment schema: typed dataclasses that a composed Hydra config is validated against.

Hydra composes `conf/` (or a user's experiment file); :func:`validate` merges the result onto these
dataclasses, so a misspelt key or a wrong type fails before any work starts, with the key's full path
and the keys that would have been valid.
"""

from __future__ import annotations

import dataclasses
import typing
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

from evalkit.errors import ConfigError
from evalkit.tasks import require_task_name


@dataclass
class DataConfig:
    """Where the ground truth comes from: a built-in dataset (``name``) or a table (``path``)."""

    name: str | None = None
    test_size: float = 0.25
    seed: int = 0
    path: str | None = None
    id_column: str = "id"
    label_column: str = "label"
    positive_label: Any = None
    train_path: str | None = None
    features: list[str] | None = None
    # multilabel: separates label names in one label column ("cat|dog"); see evalkit/multilabel_data.py
    label_delimiter: str = "|"
    # detection: what is matched, boxes (bbox) or masks (segm); see evalkit/detection_data.py
    iou_type: str = "bbox"
    # regression: several target columns (x, y, z, ...); one target is data.label_column
    targets: list[str] | None = None
    # one sentence about the data for the report (where it comes from; that it is synthetic)
    description: str | None = None


@dataclass
class CandidateConfig:
    """A model under evaluation: an estimator fitted here, or a predictions file made elsewhere."""

    estimator: Any = None
    predictions: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    features: list[str] | None = None


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
    """Paired bootstrap settings; ``resamples: 0`` switches intervals off."""

    resamples: int = 1000
    level: float = 0.95
    seed: int = 0
    method: str = "multinomial"


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
    """Rules for ``evalkit gate`` (docs/gate.md); copied into the reference file when it is written.

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
class RunConfig:
    """One experiment: the task, the data, the entries and the strategy that ranks them."""

    task: str = "binary"
    data: DataConfig = field(default_factory=DataConfig)
    candidates: dict[str, CandidateConfig] = field(default_factory=dict)
    baselines: dict[str, BaselineConfig] = field(default_factory=dict)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    cost_metrics: dict[str, str] = field(default_factory=dict)
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    # regression: named per-item errors (position in cm, angle in degrees); see evalkit/tasks/regression
    errors: dict[str, Any] = field(default_factory=dict)
    # Run only these entries (candidate or baseline config names); None runs all. With a Hydra sweep
    # (`-m select=[a],[b]`) this gives one job per candidate, merged by `evalkit compare`.
    select: list[str] | None = None
    # Suspect gold labels: a review list and whether the verdict survives it (evalkit/label_review)
    label_review: LabelReviewConfig = field(default_factory=LabelReviewConfig)


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


def validate(cfg: DictConfig | dict) -> RunConfig:
    """Check a composed config against the schema and return it as typed dataclasses.

    Raises :class:`ConfigError` naming the key, what was wrong and what would be valid.

    >>> validate({"task": "binary", "data": {"name": "breast_cancer"}}).data.test_size
    0.25
    """
    schema = OmegaConf.structured(RunConfig)
    try:
        merged = OmegaConf.merge(schema, cfg)
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
    return result


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
