"""A task brings its own config keys: declared in its registry entry, checked like every other key."""

from __future__ import annotations

import pytest

from evalkit.config import defaults_node, validate
from evalkit.errors import ConfigError
from evalkit.tasks import check_task_keys, task_config_keys


def test_a_tasks_own_keys_are_part_of_the_schema_with_their_types_and_defaults():
    cfg = validate({"task": "regression", "data": {"targets": ["x", "y"]},
                    "errors": {"position": {"kind": "euclidean", "columns": ["x", "y"]}}})
    assert cfg.data.targets == ["x", "y"]
    assert cfg.errors["position"]["kind"] == "euclidean"
    assert validate({}).data.iou_type == "bbox"
    assert validate({}).data.label_delimiter == "|"
    with pytest.raises(ConfigError, match="'data.label_delimiter' has the wrong type"):
        validate({"task": "multilabel", "data": {"label_delimiter": ["|"]}})


def test_every_declared_key_can_be_overridden_without_a_plus_because_the_defaults_node_holds_it():
    node = defaults_node()
    assert set(task_config_keys("data")) <= set(node["data"])
    assert set(task_config_keys("sections")) <= set(node)


def test_mutable_defaults_are_not_shared_between_configs():
    first = validate({"task": "regression"})
    first.errors["position"] = {"kind": "absolute"}
    assert validate({"task": "regression"}).errors == {}


@pytest.mark.parametrize(("task", "settings", "message"), [
    ("binary", {"errors": {"position": {"kind": "euclidean"}}}, "errors: does not apply to task binary "
                                                                "(only to regression)"),
    ("multilabel", {"data": {"targets": ["x"]}}, "data.targets: does not apply to task multilabel"),
    ("regression", {"costs": {"false_positive": 1}}, "costs: does not apply to task regression "
                                                     "(only to binary, multiclass)"),
    ("binary", {"data": {"iou_type": "segm"}}, "data.iou_type: does not apply to task binary"),
])
def test_a_key_set_for_a_task_that_does_not_read_it_is_refused_not_ignored(task, settings, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_task_keys(validate({"task": task, **settings}))


def test_keys_left_at_their_defaults_pass_for_every_task():
    for task in ("binary", "multiclass", "multilabel", "detection", "regression"):
        check_task_keys(validate({"task": task}))
