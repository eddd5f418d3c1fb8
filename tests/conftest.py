"""Shared fixtures: the demo run once per session, and a way to call the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> CliResult:
    """Run ``python -m evalkit ARGS`` in a subprocess, as a user would."""
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    done = subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=cwd, capture_output=True,
                          text=True, env=full_env, timeout=600)
    return CliResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in demo, run once through the real CLI; returns its run directory."""
    # Run from an unrelated directory: the demo must not depend on the checkout being the cwd.
    run_dir = tmp_path_factory.mktemp("demo") / "run"
    result = run_cli("run", f"hydra.run.dir={run_dir}", "bootstrap.resamples=200",
                     cwd=tmp_path_factory.mktemp("elsewhere"))
    assert result.code == 0, result.stderr
    return run_dir


@pytest.fixture(scope="session")
def demo_record(demo_run: Path) -> dict:
    return json.loads((demo_run / "metrics.json").read_text())
