"""Small multi-label experiments built by the tests: truth, train split, predictions and config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit.hydra_app import run_job
from evalkit.paths import PathResolver

LABELS = ("a", "b", "c", "d")  # "d" has no positive in the evaluated truth
N_ITEMS = 40


def label_matrix(n: int = N_ITEMS, seed: int = 0) -> np.ndarray:
    """Y with rows without labels, a row with every scorable label, and an all-negative label 'd'."""
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, len(LABELS))) < [0.5, 0.4, 0.3, 0.0]).astype(int)
    Y[:4] = 0  # rows without labels
    Y[4, :3] = 1
    return Y


def indicator_truth(Y: np.ndarray, seed: int = 0, start: int = 0) -> pd.DataFrame:
    """One 0/1 label_<name> column per label, and features that carry the labels plus noise."""
    rng = np.random.default_rng(seed + 100)
    frame = pd.DataFrame({"id": np.arange(start, start + len(Y))})
    for j, name in enumerate(LABELS):
        frame[f"label_{name}"] = Y[:, j]
    for j in range(3):
        frame[f"x{j}"] = 2.0 * Y[:, j] + rng.normal(size=len(Y))
    return frame


def delimited(frame: pd.DataFrame, column: str = "label", sep: str = "|") -> pd.DataFrame:
    """The same truth with the label sets in one column of names (empty for rows without labels)."""
    columns = [c for c in frame.columns if c.startswith("label_")]
    names = [sep.join(c.removeprefix("label_") for c in columns if row[c]) for _, row in frame.iterrows()]
    out = frame.drop(columns=columns)
    out.insert(1, column, names)
    return out


def scores_frame(Y: np.ndarray, seed: int = 1, ids: np.ndarray | None = None) -> pd.DataFrame:
    """Informative scores in [0, 1], rounded so that there are ties."""
    rng = np.random.default_rng(seed)
    S = np.clip(0.45 * Y + 0.6 * rng.random(Y.shape), 0, 1).round(1)
    frame = pd.DataFrame({"id": np.arange(len(Y)) if ids is None else ids})
    for j, name in enumerate(LABELS):
        frame[f"score_{name}"] = S[:, j]
    return frame


def ml_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "task": "multilabel",
        "data": {"path": "truth.csv"},
        "candidates": {"model": {"predictions": "preds/model.csv"}},
        "strategy": {"name": "map"},
        "bootstrap": {"resamples": 0},
    }
    config.update(overrides)
    return config


def ml_files() -> dict[str, pd.DataFrame]:
    Y = label_matrix()
    return {"truth.csv": indicator_truth(Y), "preds/model.csv": scores_frame(Y)}


def write(root: Path, config: dict[str, Any], files: dict[str, pd.DataFrame | str]) -> Path:
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


def run(root: Path, config: dict[str, Any], files: dict[str, pd.DataFrame | str]) -> dict[str, Any]:
    """Run the experiment in this process (as `python -m evalkit run` would) and return metrics.json."""
    write(root, config, files)
    return run_job(config, root / "out", PathResolver(config_dir=root), echo=False)


def entry(record: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in record["entries"] if e["name"] == name)
