"""Property: a damaged COCO file is either refused cleanly or evaluated exactly as pycocotools does.

Hypothesis damages one or a few fields of a small valid annotation file and results file (deletes or
retypes a field, writes NaN, infinities, negative or huge numbers, ids past int64, booleans, lists,
deep nesting, duplicates a record or a category) and runs it as `evalkit run` does, in-process (the
run job and its exit codes; `run_experiment_file` in tests/conftest.py). The run must then
either exit 2 with exactly one ``evalkit: error:`` line, no traceback and no metrics.json, or exit 0
with the 12 COCO stats equal to pycocotools' COCOeval on the same files. Nothing in between: no crash,
no number that differs from the reference.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from coco_synth import TOL, make_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.detection import STAT_NAMES
from evalkit.detection.reference import reference_stats
from evalkit.detection.tables import renumber_annotation_ids
from tests.conftest import run_experiment_file

BASE_GT, BASE_DETS = make_dataset(5, n_images=6, big_image=False, crowd_rate=0.2)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


# Values that a hand-edited or badly exported file holds where a number, an id or a list is expected.
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.text(max_size=5),
    st.sampled_from([0, -1, 1, 2, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, 10**400]),
    st.sampled_from([0.0, -0.0, 0.5, -3.5, 1e-300, 1e308, -1e308, float("nan"), float("inf"),
                     float("-inf")]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**6, max_value=10**6),
    st.lists(st.integers(0, 5), max_size=4),
    st.dictionaries(st.sampled_from(["id", "x"]), st.integers(0, 3), max_size=2),
    st.integers(2, 1500).map(_nested),
)

SECTIONS = ("images", "annotations", "categories", "results")
FIELDS = {
    "images": ("id", "width", "height"),
    "annotations": ("id", "image_id", "category_id", "bbox", "area", "iscrowd"),
    "categories": ("id", "name"),
    "results": ("image_id", "category_id", "bbox", "score"),
}


@st.composite
def mutation(draw: st.DrawFn) -> tuple:
    section = draw(st.sampled_from(SECTIONS))
    kind = draw(st.sampled_from(["set", "delete", "box", "duplicate", "copy_id", "wrap"]))
    index = draw(st.integers(0, 200))
    field = draw(st.sampled_from(FIELDS[section]))
    value = draw(ODD_VALUES)
    corner = draw(st.integers(0, 3))
    return section, kind, index, field, value, corner


def apply(gt: dict, dets: list[dict], change: tuple) -> None:
    section, kind, index, field, value, corner = change
    records = dets if section == "results" else gt[section]
    if not records:
        return
    record = records[index % len(records)]
    if kind == "set":
        record[field] = value
    elif kind == "delete":
        record.pop(field, None)
    elif kind == "box" and isinstance(record.get("bbox"), list) and len(record["bbox"]) == 4:
        record["bbox"] = [value if k == corner else v for k, v in enumerate(record["bbox"])]
    elif kind == "duplicate":
        records.append(copy.deepcopy(record))
    elif kind == "copy_id":  # another record takes this one's id (a repeated id, a renamed category)
        other = records[(index + 1 + corner) % len(records)]
        if field in record:
            other[field] = copy.deepcopy(record[field])
    elif kind == "wrap" and field in record:
        record[field] = [record[field]]


def write_experiment(root: Path, gt: dict, dets: list[dict]) -> None:
    (root / "truth.json").write_text(json.dumps(gt))  # allow_nan: NaN and Infinity are written as such
    (root / "results.json").write_text(json.dumps(dets))
    (root / "exp.yaml").write_text(yaml.safe_dump({
        "task": "detection", "data": {"path": "truth.json"},
        "candidates": {"detector": {"predictions": "results.json"}},
        "strategy": {"name": "map"}, "bootstrap": {"resamples": 0}}))


def assert_clean_refusal(result, root: Path) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("evalkit: error: "), result.stderr
    assert len(lines[0]) < 2000, "an error message must not dump the input"
    assert not (root / "run" / "metrics.json").exists()


def assert_equals_pycocotools(root: Path, gt: dict, dets: list[dict], stderr: str) -> None:
    record = json.loads((root / "run" / "metrics.json").read_text())
    metrics = record["entries"][0]["metrics"]
    # Annotation ids of 0, repeated or strings are renumbered (with a warning): compare on what was scored.
    truth = renumber_annotation_ids(gt) if "renumbered" in stderr else gt
    reference = reference_stats(truth, dets)
    for stat in STAT_NAMES:
        expected = None if reference[stat] < 0 else reference[stat]
        got = metrics[stat]
        assert (got is None) == (expected is None), (stat, got, expected)
        assert got is None or abs(got - expected) <= TOL, (stat, got, expected)


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=st.lists(mutation(), min_size=1, max_size=3))
def test_damaged_coco_files_are_refused_cleanly_or_scored_like_pycocotools(tmp_path_factory, changes):
    root = tmp_path_factory.mktemp("fuzz")
    gt, dets = copy.deepcopy(BASE_GT), copy.deepcopy(BASE_DETS)
    for change in changes:
        apply(gt, dets, change)
    write_experiment(root, gt, dets)
    # Drawing the figures is 90% of a run's time and reads only the validated record; the figures have
    # their own tests. Everything that reads the COCO files runs for real.
    with mock.patch("evalkit.run_folder.render_run", return_value=[]):
        result = run_experiment_file(root / "exp.yaml", root / "run")
    if result.code == 2:
        assert_clean_refusal(result, root)
    else:
        assert result.code == 0, result.stderr
        assert_equals_pycocotools(root, gt, dets, result.stderr)
