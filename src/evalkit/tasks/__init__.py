"""Tasks as plug-ins: the registry, the only place that knows which tasks exist.

Each task is a :class:`evalkit.tasks.base.Task` in its own module, imported when a run first asks for
it (so ``--help`` and small commands never load a task's libraries). To add a task: write the module,
add one entry to ``_TASKS`` and a ``conf/task/<name>.yaml``; docs/architecture.md has the steps.

An entry also declares the config keys only that task reads (``data.targets``, ``errors:``):
:mod:`evalkit.config` builds the experiment schema from the common keys and these, so a task brings
its own keys without a line in the config module, and :func:`check_task_keys` refuses a key set for
a task that does not read it.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from evalkit.errors import ConfigError

if TYPE_CHECKING:
    from evalkit.config import RunConfig
    from evalkit.tasks.base import Task


@dataclass(frozen=True)
class ConfigKey:
    """A config key one or more tasks read: its type (as the schema checks it) and its default.

    A mutable default (a dict or list) is copied for every config, as a dataclass default factory.
    """

    type: Any
    default: Any = None

    def fresh_default(self) -> Any:
        """The default as a new plain value (a dict for a mapping), safe to change."""
        return dict(self.default) if isinstance(self.default, Mapping) else copy.deepcopy(self.default)


@dataclass(frozen=True)
class TaskFigure:
    """A figure only this task draws: its file stem, its caption in the reports, and the function that
    draws it from metrics.json and curves.json (``"module:function"``, imported when it is drawn)."""

    name: str
    title: str
    draw: str


@dataclass(frozen=True)
class Registration:
    """Where a task lives (module and the attribute holding its Task), the config keys it adds
    (``data`` under ``data:``, ``sections`` at the top level of the experiment) and the figures only
    it draws (evalkit.plots.render adds them to its catalogue; ``Task.figures`` names them)."""

    module: str
    attribute: str
    data: Mapping[str, ConfigKey] = field(default_factory=dict)
    sections: Mapping[str, ConfigKey] = field(default_factory=dict)
    figures: tuple[TaskFigure, ...] = ()


# Scores to decisions (classification): what wrong predictions cost, and how calibrated the scores are
# (evalkit/tasks/classification/{error_costs,calibration}.py validate the forms, hence Any).
_CLASSIFICATION_SECTIONS = {"costs": ConfigKey(Any), "calibration": ConfigKey(Any)}

_TASKS: dict[str, Registration] = {
    "binary": Registration("evalkit.tasks.classification", "BINARY", sections=_CLASSIFICATION_SECTIONS),
    "multiclass": Registration("evalkit.tasks.classification", "MULTICLASS",
                               sections=_CLASSIFICATION_SECTIONS),
    # label_delimiter separates label names in one label column ("cat|dog")
    "multilabel": Registration("evalkit.tasks.multilabel", "MULTILABEL",
                               data={"label_delimiter": ConfigKey(str, "|")}),
    # iou_type: what is matched, boxes (bbox) or masks (segm)
    "detection": Registration("evalkit.tasks.detection", "DETECTION",
                              data={"iou_type": ConfigKey(str, "bbox")}),
    # targets: several target columns (x, y, z, ...), else data.label_column is the one target;
    # errors: named per-item errors (position in cm, angle in degrees), see tasks/regression/errors.py
    "regression": Registration("evalkit.tasks.regression.task", "REGRESSION",
                               data={"targets": ConfigKey(list[str] | None)},
                               sections={"errors": ConfigKey(dict[str, Any], MappingProxyType({}))},
                               figures=(
        TaskFigure("error_cdf", "Cumulative error distributions: the share of items within each named error",
                   "evalkit.plots.error_cdf:error_cdf_figure"),
        TaskFigure("predicted_actual", "Predicted against actual values, and residuals",
                   "evalkit.plots.predicted_actual:predicted_actual_figure"))),
}
TASK_NAMES: tuple[str, ...] = tuple(_TASKS)


def task_config_keys(where: str) -> dict[str, tuple[ConfigKey, tuple[str, ...]]]:
    """Every task-specific key under ``where`` (``data`` or ``sections``): key -> (its declaration, the
    tasks that read it). Tasks that share a key must declare it alike.

    >>> task_config_keys("data")["targets"][1]
    ('regression',)
    """
    found: dict[str, tuple[ConfigKey, tuple[str, ...]]] = {}
    for name, registration in _TASKS.items():
        for key, declared in getattr(registration, where).items():
            if key in found:
                assert found[key][0] == declared, f"tasks declare {where} key {key!r} differently"
                found[key] = (declared, (*found[key][1], name))
            else:
                found[key] = (declared, (name,))
    return found


def task_figures() -> tuple[TaskFigure, ...]:
    """Every task's own figures, once each (a run draws those its task lists in ``Task.figures``)."""
    found: dict[str, TaskFigure] = {}
    for registration in _TASKS.values():
        found |= {figure.name: figure for figure in registration.figures}
    return tuple(found.values())


def check_task_keys(cfg: RunConfig) -> None:
    """Refuse a task-specific key set to anything but its default in a run of a task that does not read it.

    A key nobody reads would be a setting silently ignored (``errors:`` in a binary run).
    """
    for where, node, prefix in (("data", cfg.data, "data."), ("sections", cfg, "")):
        for key, (declared, owners) in task_config_keys(where).items():
            if cfg.task in owners:
                continue
            value = getattr(node, key)
            if value is not None and value != declared.fresh_default():
                raise ConfigError(f"{prefix}{key}: does not apply to task {cfg.task} (only to "
                                  f"{', '.join(owners)}); remove it")


def require_task_name(name: object) -> None:
    """Raise a config error naming the valid tasks unless ``name`` is one (without importing it)."""
    if not isinstance(name, str) or name not in _TASKS:
        raise ConfigError(f"unknown task '{name}'; valid tasks: {', '.join(TASK_NAMES)}")


@cache
def get_task(name: str) -> Task:
    """The task called ``name``; an unknown name is a config error listing the valid ones.

    >>> get_task("binary").headline_metric
    'accuracy'
    """
    require_task_name(name)
    registration = _TASKS[name]
    task: Task = getattr(importlib.import_module(registration.module), registration.attribute)
    return task
