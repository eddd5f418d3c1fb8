"""Entry names are unique and printable (issue 12, item 1), checked through the real CLI.

Every output finds an entry by its name: two entries of one name would share a rank, an interval and
the gate's row. Collisions are refused before any work, naming both sides; so are names holding a
newline or another control character, which would break tables, Markdown and XML.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.experiments import basic_config, basic_files, truth_frame, write_experiment
from tests.test_cli_errors import assert_clean_failure, run_experiment_dir

EXTERNAL = {"kind": "external", "metrics": {"accuracy": 0.5}, "source": "a paper"}
PANEL = {"kind": "human", "path": "panel.csv"}


def _panel(groups: tuple[str, str] = ("crowd", "crowd")) -> pd.DataFrame:
    """Two annotators who label every item (one of them always right), each in a group."""
    truth = truth_frame()
    rows = [{"id": i, "annotator": name, "label": label if name == "a" else 1 - label, "group": group}
            for name, group in zip(("a", "b"), groups, strict=True)
            for i, label in zip(truth["id"], truth["label"], strict=True)]
    return pd.DataFrame(rows)


def _run(tmp_path: Path, candidates: dict, baselines: dict, panel: pd.DataFrame | None = None):
    files = basic_files()
    for name in candidates:
        files[f"preds/{name}.csv"] = files["preds/model.csv"]
    if panel is not None:
        files["panel.csv"] = panel
    config = basic_config(candidates={n: {"predictions": f"preds/{n}.csv"} for n in candidates},
                          baselines=baselines)
    write_experiment(tmp_path, config, files)
    return run_experiment_dir(tmp_path)


@pytest.mark.parametrize(("candidates", "baselines", "fragments"), [
    # a candidate and an external baseline of one name (crashed the run before)
    (["model"], {"model": EXTERNAL}, ["candidates.model and baselines.model", "rename one"]),
    # a candidate and a simple_ml baseline: the leaderboard showed two rows of one name
    (["model"], {"model": {"kind": "simple_ml"}}, ["candidates.model and baselines.model"]),
    # a candidate named like a row the human panel generates
    (["model", "panel/majority_vote"], {"panel": PANEL},
     ["candidates.panel/majority_vote", "baselines.panel", "panel/majority_vote"]),
    (["model", "panel/crowd/mean_annotator"], {"panel": PANEL},
     ["candidates.panel/crowd/mean_annotator", "baselines.panel"]),
    # a baseline in the panel's namespace
    (["model"], {"panel": PANEL, "panel/best_annotator": EXTERNAL},
     ["baselines.panel/best_annotator", "baselines.panel"]),
])
def test_colliding_names_are_refused_before_any_work_naming_both(tmp_path, candidates, baselines, fragments):
    result, run_dir = _run(tmp_path, candidates, baselines, _panel())
    assert_clean_failure(result, run_dir, *fragments)


@pytest.mark.parametrize(("candidates", "baselines", "fragment"), [
    (["model", "evil\n# Heading"], {}, "candidates.'evil\\n# Heading'"),
    (["model", "bell\x07"], {}, "candidates.'bell\\x07'"),
    (["model"], {"sep\u2028arator": EXTERNAL}, "baselines.'sep\\u2028arator'"),
    (["model"], {"panel": PANEL | {"groups": {"cr\rowd": ["crowd"]}}}, "baselines.panel.groups.'cr\\rowd'"),
])
def test_names_with_control_characters_are_refused(tmp_path, candidates, baselines, fragment):
    result, run_dir = _run(tmp_path, candidates, baselines, _panel())
    assert_clean_failure(result, run_dir, fragment, "control character")


def test_a_group_value_with_a_newline_in_the_annotations_is_refused(tmp_path):
    result, run_dir = _run(tmp_path, ["model"], {"panel": PANEL}, _panel(groups=("crowd", "x\n## injected")))
    assert_clean_failure(result, run_dir, "panel/x\\n## injected", "control character", "group")


def test_distinct_names_still_run(tmp_path):
    result, run_dir = _run(tmp_path, ["model", "panelist"], {"panel": PANEL, "paper": EXTERNAL}, _panel())
    assert result.code == 0, result.stderr
    board = pd.read_csv(run_dir / "leaderboard.csv")
    assert board["name"].is_unique
    assert {"model", "panelist", "paper", "panel/crowd/majority_vote"} <= set(board["name"])
