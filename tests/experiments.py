"""Building small experiment folders (truth, predictions, config) for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

N_ITEMS = 40


def truth_frame(n: int = N_ITEMS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.array([0, 1] * (n // 2))
    return pd.DataFrame({"id": np.arange(n), "label": y, "x1": rng.normal(size=n) + 2 * y,
                         "x2": rng.normal(size=n)})


def scores_frame(truth: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = np.clip(0.6 * truth["label"] + 0.5 * rng.random(len(truth)), 0, 1)
    return pd.DataFrame({"id": truth["id"], "score": score})


def write_experiment(root: Path, config: dict[str, Any], files: dict[str, pd.DataFrame | str]) -> Path:
    """Write ``files`` (tables as CSV, strings verbatim) and ``exp.yaml`` under ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        else:
            path.write_text(content)
    (root / "exp.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def basic_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "task": "binary",
        "data": {"path": "truth.csv"},
        "candidates": {"model": {"predictions": "preds/model.csv"}},
        "strategy": {"name": "average", "metrics": ["accuracy"]},
        "bootstrap": {"resamples": 0},
    }
    config.update(overrides)
    return config


def basic_files() -> dict[str, pd.DataFrame | str]:
    truth = truth_frame()
    return {"truth.csv": truth, "preds/model.csv": scores_frame(truth)}
