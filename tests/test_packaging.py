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


def _imported_third_party() -> set[str]:
    """Top-level names of every non-standard-library module evalkit's code imports, anywhere in it."""
    import ast
    import sys

    found: set[str] = set()
    for path in (ROOT / "src" / "evalkit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found
            if name not in sys.stdlib_module_names and name not in {"evalkit", "__future__"}}


def _installed_with_the_core(distribution: str, seen: set[str] | None = None) -> set[str]:
    """``distribution`` and everything its requirements pull in, extras left out (what a plain
    ``pip install evalkit`` brings)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen = set() if seen is None else seen
    name = canonicalize_name(distribution)
    if name in seen:
        return seen
    seen.add(name)
    for line in metadata.requires(distribution) or []:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        _installed_with_the_core(requirement.name, seen)
    return seen


# Imported only behind a fallback that runs without them (tests/uncertainty/test_compiled.py checks
# the fallback), each with the extra that installs it.
OPTIONAL = {"numba": "fast"}


def test_every_library_the_code_imports_comes_with_a_plain_install():
    # A plain install once crashed on `import pyarrow`: the test extra installed it, so no test saw it.
    from importlib import metadata

    from packaging.utils import canonicalize_name

    core = _installed_with_the_core("evalkit")
    providers = metadata.packages_distributions()
    missing = {module: providers.get(module) for module in _imported_third_party() - set(OPTIONAL)
               if not any(canonicalize_name(d) in core for d in providers.get(module, []))}
    assert missing == {}, "add these to [project] dependencies (or import them only where optional)"


def test_each_optional_library_has_the_extra_that_installs_it():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for module, extra in OPTIONAL.items():
        assert any(req.startswith(module) for req in extras[extra]), (module, extra)
