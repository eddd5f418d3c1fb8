"""strategy: map — one mean-average-precision metric is the single number, with the task's default."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.config import StrategyConfig
from evalkit.errors import ConfigError
from evalkit.metrics.registry import metric_registry
from evalkit.strategies import build_strategy
from evalkit.tasks import TASK_NAMES, get_task


def build(task: str, **fields):
    return build_strategy(StrategyConfig(name="map", **fields), metric_registry(task), task)


def test_multilabel_defaults_to_macro_map_and_detection_is_planned_as_coco_map():
    s = build("multilabel")
    assert s.describe() == {"name": "map", "metric": "map"} and s.higher_is_better
    defaults = {t: get_task(t).map_metric for t in TASK_NAMES if get_task(t).map_metric is not None}
    assert defaults == {"multilabel": "map", "detection": "mAP"}


def test_the_score_is_the_metric_and_a_null_metric_gives_no_score_with_the_reason():
    s = build("multilabel", metric="map_weighted")
    assert s.evaluate({"map": 0.5, "map_weighted": 0.7}).score == 0.7
    outcome = s.evaluate({"map": 0.5, "map_weighted": None})
    assert outcome.score is None and outcome.reason == "metric 'map_weighted' is null" and outcome.feasible


def test_direction_comes_from_the_registry():
    assert not build("multilabel", metric="coverage_error").higher_is_better


def test_a_task_without_a_default_must_name_the_metric():
    with pytest.raises(ConfigError, match="task 'binary' has no default mAP metric.*set strategy.metric"):
        build("binary")
    assert build("binary", metric="average_precision").describe()["metric"] == "average_precision"


def test_an_unknown_metric_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="strategy.metric: unknown metric 'mAP'; valid metrics: map, "):
        build("multilabel", metric="mAP")


def test_per_resample_scores_are_the_metric_values():
    values = {"map": np.array([0.5, 0.75]), "f1_micro": np.array([0.1, 0.2])}
    np.testing.assert_array_equal(build("multilabel").score_values(values), [0.5, 0.75])
