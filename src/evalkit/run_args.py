"""Checking ``evalkit run``'s arguments before Hydra sees them.

Hydra's own answers to a newcomer's usual mistakes are a traceback (a YAML syntax error), advice that
leads to a second error (``+key=...`` for a misspelt key), silence (``--config-dir`` without
``--config-name`` runs the built-in demo) or its internal config name (a ``--config-name`` typo).
These checks catch each one first and say, in one line, what is wrong and what exists instead.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.config import RunConfig
from evalkit.errors import ConfigError

_DIR_FLAGS = ("--config-dir", "-cd")
_NAME_FLAGS = ("--config-name", "-cn")
_PATH_FLAGS = ("--config-path", "-cp")
# Flags after which Hydra reads no config and runs no job.
_INFO_FLAGS = ("--help", "-h", "--hydra-help", "--info", "-i", "--version", "--shell-completion", "-sc")


@dataclass(frozen=True)
class RunArgs:
    """What the preflight learnt: the user's experiment folder and file, and the key overrides."""

    config_dir: Path | None
    config_name: str | None
    overrides: tuple[str, ...]


def _flag_value(args: list[str], flags: tuple[str, ...]) -> str | None:
    for i, arg in enumerate(args):
        if arg in flags:
            if i + 1 >= len(args):
                raise ConfigError(f"{arg} needs a value, e.g. {flags[0]} my_exp")
            return args[i + 1]
        for flag in flags:
            if arg.startswith(flag + "="):
                return arg.split("=", 1)[1]
    return None


def _yaml_files(folder: Path) -> str:
    names = sorted(p.stem for p in folder.glob("*.yaml")) + sorted(p.stem for p in folder.glob("*.yml"))
    return ", ".join(names) if names else "no .yaml files"


def yaml_syntax_error(path: Path) -> str | None:
    """A one-line description of a YAML syntax error in ``path`` (file:line:column), or None."""
    import yaml

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return f"{path}: not a UTF-8 text file; save the experiment file as UTF-8 YAML"
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return f"{where}: YAML syntax error: {what}; fix the file at that line"
    except yaml.YAMLError as exc:
        return f"{path}: YAML syntax error: {str(exc).splitlines()[0]}"
    if loaded is not None and not isinstance(loaded, dict):
        return (f"{path}: an experiment file must be a mapping of keys (task:, data:, candidates:, ...), "
                f"not a {type(loaded).__name__}")
    return None


def _group_names(*folders: Path | None) -> set[str]:
    """Config groups (sub-folders holding YAML) of evalkit's conf/ and the user's folder."""
    names = {"hydra"}
    for folder in folders:
        if folder is not None and folder.is_dir():
            names |= {p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.yaml"))}
    return names


def unknown_key_message(key: str) -> str | None:
    """Why ``key`` (a dotted path, e.g. ``data.pth``) names no setting of an experiment, or None.

    Free-form parts (entry names under ``candidates``/``baselines``, anything under an ``estimator``)
    are accepted: only names the schema fixes can be misspelt.

    >>> unknown_key_message("data.seed") is None
    True
    >>> unknown_key_message("data.pth").split(";")[0]
    "unknown config key 'data.pth' given on the command line"
    """
    node: Any = RunConfig
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if dataclasses.is_dataclass(node):
            hints = typing.get_type_hints(node)
            if part not in hints:
                valid = ", ".join(f.name for f in dataclasses.fields(node))
                where = ".".join(parts[:depth]) or "the top level"
                return (f"unknown config key '{key}' given on the command line; valid keys under {where}: "
                        f"{valid}")
            node = hints[part]
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        else:
            return None  # Any, lists, scalars: nothing more to check here (validate() types them)
    return None


def preflight(args: list[str], bundled_conf: Path) -> RunArgs:
    """Check ``args`` of ``evalkit run``; raise :class:`ConfigError` with a one-line fix."""
    if any(a in _INFO_FLAGS for a in args):
        return RunArgs(None, None, ())
    if _flag_value(args, _PATH_FLAGS) is not None:
        raise ConfigError("--config-path is not supported by evalkit run; use --config-dir DIR "
                          "--config-name NAME for an experiment file DIR/NAME.yaml")
    raw_dir, name = _flag_value(args, _DIR_FLAGS), _flag_value(args, _NAME_FLAGS)
    config_dir = Path(raw_dir).expanduser() if raw_dir is not None else None
    if config_dir is not None and not config_dir.is_dir():
        raise ConfigError(f"--config-dir {raw_dir}: no such folder; give the folder that holds your "
                          "experiment file")
    if config_dir is not None and name is None:
        raise ConfigError(f"--config-dir {raw_dir} given without --config-name: name the experiment file "
                          f"to run (the folder holds: {_yaml_files(config_dir)}), e.g. --config-name NAME")
    if name is not None:
        folder = config_dir if config_dir is not None else bundled_conf
        stem = name.removesuffix(".yaml").removesuffix(".yml")
        candidates = [folder / f"{stem}.yaml", folder / f"{stem}.yml"]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            where = f"--config-dir {raw_dir}" if config_dir is not None else "evalkit's built-in conf/"
            hint = "" if config_dir is not None else "; for your own file add --config-dir DIR"
            raise ConfigError(f"--config-name {name}: no file {stem}.yaml in {where} (it holds: "
                              f"{_yaml_files(folder)}){hint}")
        problem = yaml_syntax_error(found)
        if problem:
            raise ConfigError(problem)
    groups = _group_names(bundled_conf, config_dir)
    overrides = []
    for arg in args:
        if arg.startswith("-") or "=" not in arg:
            continue
        overrides.append(arg)
        key = arg.split("=", 1)[0]
        # Prefixed overrides, group choices (strategy=average) and Hydra's own keys are Hydra's to check.
        if key.startswith(("+", "~", "hydra.")) or "@" in key or "/" in key or key in groups:
            continue
        message = unknown_key_message(key)
        if message:
            raise ConfigError(message)
    return RunArgs(config_dir, name, tuple(overrides))
