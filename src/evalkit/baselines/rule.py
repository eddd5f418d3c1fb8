"""Rule baselines: a scripted function, kept in a file under ``baselines/``, applied to the features."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.config import BaselineConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError, EvalkitError
from evalkit.evalset import EvalSet
from evalkit.fitting import select_features
from evalkit.tasks import get_task


def split_spec(spec: str | None, *, where: str) -> tuple[str, str]:
    """``"path/to/rules.py:function"`` into its file and function name."""
    if not spec or ":" not in spec:
        raise ConfigError(f"{where}.function: write it as 'path/to/file.py:function_name'")
    path, _, function = spec.rpartition(":")
    if not path.endswith(".py") or not function.isidentifier():
        raise ConfigError(f"{where}.function: '{spec}' is not 'path/to/file.py:function_name'")
    return path, function


def load_function(path: Path, function: str, *, where: str) -> Callable[..., Any]:
    """Import ``function`` from the Python file at ``path``."""
    if not path.is_file():
        raise ConfigError(f"{where}.function: rule file not found: {path}")
    module_name = f"evalkit_rule_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SystemExit as exc:  # a script's `sys.exit()` at import time must not end evalkit silently
        raise EvalkitError(f"{path}: importing the rule file called sys.exit({exc.code!r}); a rule file "
                           "must only define functions") from None
    except Exception as exc:
        raise EvalkitError(f"{path}: importing the rule file failed: {type(exc).__name__}: {exc}") from None
    found = getattr(module, function, None)
    if not callable(found):
        available = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")]
        raise ConfigError(f"{where}.function: {path} has no function '{function}'; it defines {available}")
    return found


def run(name: str, cfg: BaselineConfig, evalset: EvalSet, resolve: Callable[[str, str], Path]) -> Entry:
    """Call the rule and score what it returns.

    The rule gets the eval set's feature table (index: item ids); for detection, the truth's images and
    categories (see :mod:`evalkit.detection_data`).
    """
    where = f"baselines.{name}"
    file, function = split_spec(cfg.function, where=where)
    path = resolve(file, f"{where}.function")
    rule = load_function(path, function, where=where)

    def features() -> pd.DataFrame:
        if evalset.features is None:
            raise ConfigError(f"{where}: a rule needs feature columns, and the truth table has none")
        return select_features(evalset.features, cfg.features, where=where).copy()

    task = get_task(evalset.task)
    arguments = task.rule_arguments(evalset, features)
    try:
        output = rule(*arguments)
    except SystemExit as exc:  # would otherwise end the run with the rule's code and no message
        raise EvalkitError(f"{where}: {path.name}:{function} called sys.exit({exc.code!r}); a rule must "
                           "return one label per row (or a DataFrame with label/score columns)") from None
    except Exception as exc:  # user code: report, don't crash
        raise EvalkitError(f"{where}: {path.name}:{function} raised {type(exc).__name__}: {exc}") from None
    if isinstance(output, pd.Series):
        # Every task reads a Series by position (one value per feature row), never by its index. Its
        # index is the truth's ids, and np.asarray on such a Series makes pandas look attributes up in
        # that index, building a hash table of one Python string per item (hundreds of MB at 10M items).
        output = output.set_axis(pd.RangeIndex(len(output)))
    predictions = task.predictions_from_output(output, evalset, source=f"{path.name}:{function}")
    return Entry(name=name, role="baseline", kind="rule", metrics={}, predictions=predictions,
                 details={"function": f"{path}:{function}"})
