"""The demo's simulated panel: its CSV is what its generator makes, and the demo config reads it by group."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from evalkit.config import validate
from evalkit.paths import PathResolver
from evalkit.results import to_record
from evalkit.runner import run_experiment

REPO = Path(__file__).resolve().parents[2]
PANEL_DIR = REPO / "baselines" / "human"


def test_the_panel_csv_is_what_its_generator_makes():
    spec = importlib.util.spec_from_file_location("make_panel", PANEL_DIR / "make_breast_cancer_panel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = pd.read_csv(PANEL_DIR / "breast_cancer_panel.csv")
    pd.testing.assert_frame_equal(written, module.make_panel(), check_dtype=False)


def test_the_demo_panel_gives_crowd_and_expert_rows_and_a_human_level():
    # The demo's own config files, but only one quick candidate and the panel.
    conf = REPO / "conf"

    def group(path: str) -> dict:
        return OmegaConf.to_container(OmegaConf.load(conf / path))  # type: ignore[return-value]

    cfg = {"task": "binary", "data": group("data/breast_cancer.yaml"),
           "candidates": {"logreg": group("candidates/demo.yaml")["logreg"]},
           "baselines": {"panel": group("baselines/demo.yaml")["panel"]},
           "strategy": group("strategy/satisficing.yaml")}
    record = to_record(run_experiment(validate(cfg), PathResolver(config_dir=conf), progress=False))
    rows = {e["name"]: e for e in record["entries"] if e["kind"] == "human"}
    assert {"panel/crowd/mean_annotator", "panel/crowd/majority_vote", "panel/expert/mean_annotator",
            "panel/expert/majority_vote"} <= set(rows)
    assert "crowd_trainee" in rows["panel/crowd/mean_annotator"]["not_averaged"]
    assert record["human_level"]["name"] in rows
    assert "logreg" in rows["panel/expert/majority_vote"]["paired"]["candidates"]
