"""The README is true: its set-up commands are what CI runs, and its own-experiment example runs as shown."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli
from tests.experiments import scores_frame, truth_frame

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_the_two_set_up_commands_are_exactly_what_ci_runs():
    commands = [block.strip() for block in fenced(section("Set up (two commands)"), "bash")]
    assert commands == ["pip install . && python -m evalkit run",
                        'python -m pip install -e ".[test]" && python -m pytest']
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    for command in commands:
        assert command in ci_lines, f".ci/run must run the README's command verbatim: {command}"


def own_experiment_files(root: Path) -> None:
    """The files the README's experiment names, made small: truth, train split, a vendor's scores,
    the rule script and a two-annotator panel."""
    truth = truth_frame(60, seed=0)
    train = truth_frame(80, seed=3).assign(id=lambda f: f["id"] + 1000)
    exp = root / "my_exp"
    (exp / "preds").mkdir(parents=True)
    (exp / "human").mkdir()
    truth.to_csv(exp / "truth.csv", index=False)
    train.to_csv(exp / "train.csv", index=False)
    scores_frame(truth).to_csv(exp / "preds" / "vendor.csv", index=False)
    (exp / "rules.py").write_text(
        "def worst_radius_rule(features):\n    return (features['x1'] > 1.0).astype(int)\n")
    rng = np.random.default_rng(0)
    pairs = zip(truth["id"], truth["label"], strict=True)
    panel = pd.DataFrame([{"id": i, "annotator": a, "label": int(y if rng.random() < 0.9 else 1 - y)}
                          for i, y in pairs for a in ("ann1", "ann2")])
    panel.to_csv(exp / "human" / "panel.csv", index=False)


def test_own_experiment_example_runs_as_written(tmp_path: Path):
    text = section("Your own experiment")
    (yaml_block,) = fenced(text, "yaml")
    first_line = yaml_block.splitlines()[0]
    assert first_line.startswith("# ")
    own_experiment_files(tmp_path)
    (tmp_path / first_line[2:].strip()).write_text(yaml_block)

    (bash_block,) = fenced(text, "bash")
    commands = [shlex.split(line, comments=True) for line in bash_block.strip().splitlines()]
    assert len(commands) == 3
    runs: list[dict] = []
    for i, command in enumerate(commands):
        assert command[:4] == ["python", "-m", "evalkit", "run"]
        out = tmp_path / f"out{i}"
        # 200 resamples instead of auto (sized by the number of comparisons): nothing checked below
        # depends on their number, and four runs with auto were among the slowest tests of the suite.
        result = run_cli(*command[3:], f"hydra.run.dir={out}", f"hydra.sweep.dir={out}",
                         "bootstrap.resamples=200", cwd=tmp_path)
        assert result.code == 0, result.stderr
        runs += [json.loads(p.read_text()) for p in sorted(out.rglob("metrics.json"))]

    plain, override, *sweep = runs
    assert {e["name"] for e in plain["entries"]} >= {"logreg", "vendor_model", "majority", "rule",
                                                    "required"}
    assert any(e["name"].startswith("panel/") for e in plain["entries"])
    assert (plain["strategy"]["optimize"], override["strategy"]["optimize"]) == ("precision", "f1")
    # The sweep does something visible on the user's own data: one run per optimised metric.
    assert sorted(r["strategy"]["optimize"] for r in sweep) == ["f1", "precision"]


@pytest.mark.parametrize("term", ["human_level", "min_items", "best_annotator", "evalkit.log",
                                  "parallel launcher"])
def test_readme_documents(term: str):
    assert term in README


def test_help_texts_and_docstrings_point_only_at_documents_and_readme_sections_that_exist():
    sources = [*(ROOT / "src").rglob("*.py"), *(ROOT / "conf").rglob("*.yaml")]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    documents = set(re.findall(r"docs/[\w./-]+\.(?:md|png)", text))
    assert documents and all((ROOT / doc).is_file() for doc in documents), documents
    sections = set(re.findall(r'README\.md, "([^"]+)"', text))
    assert "Use in CI" in sections  # the gate's --help sends people there
    assert all(f"\n## {title}" in README or f"\n### {title}" in README for title in sections), sections
