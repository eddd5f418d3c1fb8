"""A tiny hand-worked panel shared by the human-baseline tests.

Eight items; the truth is positive (1) for items 1, 2, 3 and 7. Annotators label items 1-6 only:

    item          1  2  3  4  5  6     accuracy
    truth         1  1  1  0  0  0
    crowd  c1     1  1  0  0  0  1     4/6
           c2     1  0  1  0  1  0     4/6
           c3     1  1  1  1  .  .     3/4
           c4     0  0  .  .  .  .     0/2   (2 items: below min_items=3, listed but not averaged)
    expert e1     1  1  1  0  0  0     6/6
           e2     1  1  0  0  0  0     5/6
           e3     1  1  1  0  0  1     5/6

plus one label on item 99, which is not in the truth (ignored and counted). The candidate ``model``
predicts 1 1 0 0 0 0 1 1 for items 1-8: right on 6 of 8 items, and on 5 of the annotated items 1-6.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from evalkit.config import validate
from evalkit.paths import PathResolver
from evalkit.results import to_record
from evalkit.runner import run_experiment

TRUTH = {1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0, 7: 1, 8: 0}
LABELS = {
    ("c1", "crowd"): [1, 1, 0, 0, 0, 1], ("c2", "crowd"): [1, 0, 1, 0, 1, 0], ("c3", "crowd"): [1, 1, 1, 1],
    ("c4", "crowd"): [0, 0],
    ("e1", "expert"): [1, 1, 1, 0, 0, 0], ("e2", "expert"): [1, 1, 0, 0, 0, 0],
    ("e3", "expert"): [1, 1, 1, 0, 0, 1],
}
MODEL = [1, 1, 0, 0, 0, 0, 1, 1]


def panel_frame() -> pd.DataFrame:
    rows = [(item, name, label, group) for (name, group), labels in LABELS.items()
            for item, label in enumerate(labels, start=1)]
    rows.append((99, "c1", 1, "crowd"))
    return pd.DataFrame(rows, columns=["id", "annotator", "label", "group"])


@pytest.fixture
def panel_table() -> pd.DataFrame:
    """The panel as a fresh DataFrame (id, annotator, label, group), for tests that write variants of it."""
    return panel_frame()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """truth.csv, panel.csv (with a group column) and model.csv in a fresh directory."""
    truth = pd.DataFrame({"id": list(TRUTH), "label": list(TRUTH.values())})
    truth.to_csv(tmp_path / "truth.csv", index=False)
    panel_frame().to_csv(tmp_path / "panel.csv", index=False)
    pd.DataFrame({"id": list(TRUTH), "label": MODEL}).to_csv(tmp_path / "model.csv", index=False)
    return tmp_path


Runner = Callable[..., dict[str, Any]]


@pytest.fixture
def run(files: Path) -> Runner:
    """Run an experiment on the tiny panel and return its metrics.json record.

    Keyword arguments are merged into the ``panel`` baseline's config; ``baselines=`` adds baselines,
    ``strategy=`` replaces the accuracy strategy, ``with_panel=False`` leaves the panel out.
    """
    def _run(*, baselines: dict[str, Any] | None = None, strategy: dict[str, Any] | None = None,
             with_panel: bool = True, **panel: Any) -> dict[str, Any]:
        panel_cfg = {"panel": {"kind": "human", "path": "panel.csv", "min_items": 3, **panel}}
        if not with_panel:
            panel_cfg = {}
        cfg = {
            "task": "binary",
            "data": {"path": "truth.csv"},
            "candidates": {"model": {"predictions": "model.csv"}},
            "baselines": panel_cfg | (baselines or {}),
            "strategy": strategy or {"name": "average", "metrics": ["accuracy"]},
            # Enough resamples for every interval and test these rows get; auto would draw 1000+.
            "bootstrap": {"resamples": 200},
        }
        result = run_experiment(validate(cfg), PathResolver(config_dir=files, cwd=files), progress=False)
        return to_record(result)
    return _run

