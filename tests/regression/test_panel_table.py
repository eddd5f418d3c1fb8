"""A panel of people who measure is read by the same checks as a panel of people who label."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.config import BaselineConfig
from evalkit.errors import DataError
from evalkit.evalset import EvalSet
from evalkit.tasks.regression.panel import read_panel

EVALSET = EvalSet(task="regression", ids=np.array(["1", "2", "3"], dtype=object), y=np.zeros((3, 2)),
                  classes=("x", "y"), source="truth.csv")


def _panel(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "panel.csv"
    frame.to_csv(path, index=False)
    return read_panel(path, EVALSET, "id", BaselineConfig(kind="human", path=str(path)))


def test_measurements_come_back_per_row_aligned_to_the_eval_set_and_unknown_ids_are_counted(tmp_path):
    frame, values, ignored = _panel(tmp_path, pd.DataFrame(
        {"id": [3, 1, 9], "annotator": ["a", "a", "b"], "x": [0.5, 1.5, 7.0], "y": [2.0, 3.0, 8.0]}))
    assert frame["item"].tolist() == [2, 0] and frame["annotator"].tolist() == ["a", "a"]
    assert values.tolist() == [[0.5, 2.0], [1.5, 3.0]] and ignored == 1


@pytest.mark.parametrize(("frame", "message"), [
    (pd.DataFrame({"id": [1, 1], "annotator": ["a", "a"], "x": [1, 2], "y": [1, 2]}),
     "1 \\(id, annotator\\) pair\\(s\\) appear twice; keep one measurement per annotator and item"),
    (pd.DataFrame({"id": [1, 2], "annotator": ["a", "a"], "group": ["crowd", "expert"], "x": [1, 2],
                   "y": [1, 2]}), "annotator\\(s\\) \\['a'\\] appear in more than one group"),
    (pd.DataFrame({"id": [1], "annotator": ["a"], "x": [1]}), "'y'"),
])
def test_a_bad_panel_is_one_error_naming_the_file(tmp_path, frame, message):
    with pytest.raises(DataError, match=message) as error:
        _panel(tmp_path, frame)
    assert "panel.csv" in str(error.value)
