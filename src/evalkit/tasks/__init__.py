"""Tasks as plug-ins: the registry, the only place that knows which tasks exist.

Each task is a :class:`evalkit.tasks.base.Task` in its own module, imported when a run first asks for
it (so ``--help`` and small commands never load a task's libraries). To add a task: write the module,
add one line to ``_TASKS`` and a ``conf/task/<name>.yaml``; docs/architecture.md has the steps.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

from evalkit.errors import ConfigError

if TYPE_CHECKING:
    from evalkit.tasks.base import Task

# name -> (module, attribute holding the Task instance)
_TASKS: dict[str, tuple[str, str]] = {
    "binary": ("evalkit.tasks.classification", "BINARY"),
    "multiclass": ("evalkit.tasks.classification", "MULTICLASS"),
    "multilabel": ("evalkit.tasks.multilabel", "MULTILABEL"),
    "detection": ("evalkit.tasks.detection", "DETECTION"),
    "regression": ("evalkit.tasks.regression.task", "REGRESSION"),
}
TASK_NAMES: tuple[str, ...] = tuple(_TASKS)


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
    module, attribute = _TASKS[name]
    task: Task = getattr(importlib.import_module(module), attribute)
    return task
