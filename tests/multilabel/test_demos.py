"""The shipped configs: `+experiment=multilabel_demo` runs offline, and `strategy=formula` composes.

Composed from this checkout's conf/ (what `python -m evalkit run` composes once installed), in process.
"""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from evalkit.config import validate
from evalkit.hydra_app import run_job
from evalkit.metrics.registry import metric_registry
from evalkit.paths import PathResolver
from evalkit.strategies import build_strategy

CONF = Path(__file__).resolve().parents[2] / "conf"


def composed(*overrides: str) -> dict:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    return container


def test_multilabel_demo_ranks_multilabel_models_against_baselines_by_map(tmp_path):
    record = run_job(composed("+experiment=multilabel_demo"), tmp_path, PathResolver(config_dir=CONF),
                     echo=False)
    assert record["task"] == "multilabel" and record["strategy"]["name"] == "map"
    assert "synthetic" in record["data"]["source"] and len(record["data"]["classes"]) == 6
    candidates = [e for e in record["entries"] if e["role"] == "candidate"]
    assert len(candidates) >= 3 and all(e["score"] is not None for e in candidates)
    baseline_kinds = {e["kind"] for e in record["entries"] if e["role"] == "baseline"}
    assert baseline_kinds == {"simple_ml", "rule", "external"}
    assert record["best"] in {c["name"] for c in candidates} and record["margin"] is not None
    for e in record["entries"]:
        if e["kind"] != "external":
            assert set(e["per_class"]) == set(record["data"]["classes"])
    assert "## Per-label average precision" in (tmp_path / "report.md").read_text()


def test_strategy_formula_composes_on_the_binary_demo():
    config = validate(composed("strategy=formula"))
    strategy = build_strategy(config.strategy, metric_registry(config.task), config.task)
    assert strategy.describe() == {"name": "formula", "expression": "recall - 0.5 * (1 - precision)",
                                   "direction": "maximize"}
