"""The package ships everything the demo needs, whatever the install mode."""

from __future__ import annotations

import importlib.resources
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    src = ROOT / "src"
    found = {".".join(p.parent.relative_to(src).parts) for p in (src / "evalkit").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_bundled_configs_and_demo_baselines_are_importable_resources():
    conf = importlib.resources.files("evalkit.bundled.conf")
    assert conf.joinpath("config.yaml").is_file()
    baselines = importlib.resources.files("evalkit.bundled.baselines")
    assert baselines.joinpath("breast_cancer_rules.py").is_file()
    assert baselines.joinpath("human", "breast_cancer_panel.csv").is_file()
