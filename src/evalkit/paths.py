"""Resolving the relative paths an experiment names.

A path written in an experiment file resolves against that file's directory (for evalkit's
built-in configs, the bundled ``conf/`` folder, whose ``../baselines`` ships with the package);
a path given as a command-line override resolves against the current directory, as a user expects.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_PACKAGE = "evalkit.bundled.conf"


def bundled_conf_dir() -> Path:
    """The directory of evalkit's built-in configs (the repository's conf/), wherever evalkit is installed."""
    return Path(str(importlib.resources.files(CONFIG_PACKAGE)))


@dataclass(frozen=True)
class PathResolver:
    """``resolve(value, key)``: ``key`` is the config key the path came from (e.g. data.path)."""

    config_dir: Path
    cwd: Path = field(default_factory=Path.cwd)
    cli_keys: frozenset[str] = frozenset()

    def resolve(self, value: str, key: str) -> Path:
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        from_cli = any(key == k or key.startswith(k + ".") for k in self.cli_keys)
        return ((self.cwd if from_cli else self.config_dir) / path).resolve()
