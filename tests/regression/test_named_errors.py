"""Named per-item errors: the config section, each kind against a direct computation, and the metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evalkit.errors import ConfigError, DataError
from evalkit.metrics.registry import MetricSpec
from evalkit.tasks.regression.errors import (
    ErrorSpec,
    compute_item_errors,
    error_metric_specs,
    error_metrics,
    item_errors,
    parse_error_specs,
    tolerance_label,
)

SECTION = {
    "position_cm": {"kind": "euclidean", "columns": ["x", "y", "z"], "scale": 100, "tolerances": [1, 2]},
    "yaw_deg": {"kind": "angle", "column": "yaw", "period": 360, "tolerances": [5]},
    "angle_deg": {"kind": "rotation", "columns": ["qw", "qx", "qy", "qz"], "tolerances": [5, 10]},
    "price": {"kind": "absolute", "column": "price", "tolerances": [10, 0.5]},
}
QUAT = ("qw", "qx", "qy", "qz")


def rotation_matrix(q: np.ndarray) -> np.ndarray:
    """The 3x3 rotation matrix of each unit quaternion (w, x, y, z), the textbook formula."""
    w, x, y, z = (q / np.linalg.norm(q, axis=1, keepdims=True)).T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], axis=-1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], axis=-1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], axis=-1),
        ],
        axis=1,
    )


def matrix_angle_deg(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    r1, r2 = rotation_matrix(q1), rotation_matrix(q2)
    trace = np.einsum("nji,nji->n", r1, r2)  # trace(R1^T R2)
    return np.degrees(np.arccos(np.clip((trace - 1) / 2, -1, 1)))


def quats(q: np.ndarray) -> dict[str, np.ndarray]:
    return dict(zip(QUAT, q.T, strict=True))


def test_the_section_of_the_issue_parses_into_frozen_specs():
    specs = parse_error_specs(SECTION)
    assert specs["position_cm"] == ErrorSpec(
        "position_cm", "euclidean", ("x", "y", "z"), 100.0, None, (1.0, 2.0)
    )
    assert specs["yaw_deg"].period == 360.0 and specs["yaw_deg"].columns == ("yaw",)
    assert specs["angle_deg"].columns == QUAT
    with pytest.raises(AttributeError):
        specs["price"].scale = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"kind": "cosine", "column": "y"},
            r"errors\.e\.kind: 'cosine' is not a known kind; fix: use one of absolute",
        ),
        ({"kind": "euclidean", "columns": []}, r"errors\.e\.columns: kind euclidean needs at least 1 column"),
        (
            {"kind": "rotation", "columns": ["w", "x", "y"]},
            r"errors\.e\.columns: kind rotation needs exactly 4 "
            r"\(w, x, y, z\) column\(s\), got 3; fix: list",
        ),
        (
            {"kind": "angle", "columns": ["a", "b"], "period": 360},
            r"errors\.e\.columns: kind angle needs exactly 1",
        ),
        ({"kind": "absolute", "columns": ["a", "b"]}, r"errors\.e\.columns: kind absolute needs exactly 1"),
        (
            {"kind": "absolute", "column": "y", "tolerances": ["five"]},
            r"errors\.e\.tolerances\[0\]: 'five' is not a finite number; fix:",
        ),
        (
            {"kind": "absolute", "column": "y", "tolerances": [-1]},
            r"errors\.e\.tolerances\[0\]: tolerance -1 is not 0 or more; fix:",
        ),
        (
            {"kind": "absolute", "column": "y", "tolerances": [1, 1.0]},
            r"errors\.e\.tolerances: 1 is listed twice; fix: list each tolerance once",
        ),
        (
            {"kind": "absolute", "column": "y", "tolerances": [True]},
            r"errors\.e\.tolerances\[0\]: True is not a finite",
        ),
        ({"kind": "absolute", "column": "y", "tolerances": 5}, r"errors\.e\.tolerances: 5 is not a list"),
        (
            {"kind": "euclidean", "columns": ["x"], "scale": -100},
            r"errors\.e\.scale: scale -100 is not positive",
        ),
        (
            {"kind": "euclidean", "columns": ["x"], "scale": "100"},
            r"errors\.e\.scale: '100' is not a finite number",
        ),
        ({"kind": "angle", "column": "yaw", "period": 0}, r"errors\.e\.period: period 0 is not positive"),
        (
            {"kind": "angle", "column": "yaw", "period": float("nan")},
            r"errors\.e\.period: nan is not a finite",
        ),
        ({"kind": "angle", "column": "yaw"}, r"errors\.e\.period: missing; fix: give the full turn"),
        (
            {"kind": "rotation", "columns": list(QUAT), "scale": 2},
            r"errors\.e\.scale: kind rotation takes no scale",
        ),
        (
            {"kind": "absolute", "column": "y", "tolerance": [1]},
            r"errors\.e\.tolerance: unknown key; fix: use only",
        ),
        (
            {"kind": "euclidean", "columns": ["x", "x"]},
            r"errors\.e\.columns: \['x', 'x'\] names a column twice",
        ),
    ],
)
def test_bad_entries_fail_with_a_one_line_message_naming_the_field_and_the_fix(raw, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_error_specs({"e": raw})
    assert "\n" not in str(caught.value) and "fix:" in str(caught.value)


@pytest.mark.parametrize("name", ["2d_position", "position-cm", "pos cm", ""])
def test_a_name_that_is_not_an_identifier_is_refused(name):
    with pytest.raises(ConfigError, match=r"is not an identifier; fix: use letters, digits and _"):
        parse_error_specs({name: {"kind": "absolute", "column": "y"}})


def test_tolerance_labels_keep_metric_names_identifiers():
    assert [tolerance_label(t) for t in (5, 5.0, 0.5, 2.25, 1e-7, 100)] == [
        "5",
        "5",
        "0p5",
        "2p25",
        "0p0000001",
        "100",
    ]
    names = error_metric_specs(parse_error_specs(SECTION))
    assert {"angle_deg_within_5", "angle_deg_within_10", "price_within_0p5", "position_cm_p95"} <= set(names)
    assert all(name.isidentifier() for name in names)


def test_metric_specs_have_directions_and_ranges():
    specs = error_metric_specs(parse_error_specs(SECTION))
    assert len(specs) == 4 * 6 + 7
    for suffix in ("mean", "median", "rmse", "max", "p90", "p95"):
        spec = specs[f"position_cm_{suffix}"]
        assert isinstance(spec, MetricSpec)
        assert (spec.higher_is_better, spec.value_range, spec.bounded) == (False, (0.0, math.inf), False)
    share = specs["angle_deg_within_5"]
    assert (share.higher_is_better, share.value_range, share.bounded) == (True, (0.0, 1.0), True)


def test_absolute_and_euclidean_errors_equal_direct_computations():
    rng = np.random.default_rng(1)
    t = {c: rng.normal(size=50) for c in ("x", "y", "z", "price")}
    p = {c: v + rng.normal(size=50) for c, v in t.items()}
    specs = parse_error_specs(SECTION)
    direct = 100 * np.linalg.norm(np.c_[p["x"], p["y"], p["z"]] - np.c_[t["x"], t["y"], t["z"]], axis=1)
    np.testing.assert_allclose(item_errors(specs["position_cm"], t, p), direct, rtol=1e-14)
    np.testing.assert_allclose(
        item_errors(specs["price"], t, p), np.hypot(p["price"] - t["price"], 0), rtol=0
    )


def test_angle_error_wraps_around_the_period():
    spec = parse_error_specs(SECTION)["yaw_deg"]
    t = np.array([359.0, 1.0, 0.0, 10.0, -170.0, 720.0])
    p = np.array([1.0, 359.0, 180.0, 190.0, 170.0, 5.0])
    np.testing.assert_array_equal(item_errors(spec, {"yaw": t}, {"yaw": p}), [2, 2, 180, 180, 20, 5])


@settings(max_examples=100, deadline=None)
@given(
    arrays(np.float64, 20, elements=st.floats(-1e4, 1e4)),
    arrays(np.float64, 20, elements=st.floats(-1e4, 1e4)),
    st.sampled_from([360.0, 2 * math.pi, 24.0]),
)
def test_angle_error_equals_the_angle_of_the_unit_complex_ratio(t, p, period):
    spec = parse_error_specs({"a": {"kind": "angle", "column": "v", "period": period}})["a"]
    ours = item_errors(spec, {"v": t}, {"v": p})
    direct = np.abs(np.angle(np.exp(2j * np.pi * (p - t) / period))) * period / (2 * np.pi)
    assert np.all((ours >= 0) & (ours <= period / 2))
    np.testing.assert_allclose(ours, direct, atol=1e-9 * period)


def random_quaternions(rng: np.random.Generator, n: int) -> np.ndarray:
    q = rng.normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def test_rotation_error_equals_the_angle_between_rotation_matrices():
    rng = np.random.default_rng(2)
    q1, q2 = random_quaternions(rng, 200), random_quaternions(rng, 200)
    spec = parse_error_specs(SECTION)["angle_deg"]
    np.testing.assert_allclose(item_errors(spec, quats(q1), quats(q2)), matrix_angle_deg(q1, q2), atol=1e-6)


def test_a_rotation_about_one_axis_gives_its_angle_even_when_tiny():
    spec = parse_error_specs(SECTION)["angle_deg"]
    angles = np.array([1e-6, 1e-3, 0.5, 5.0, 90.0, 179.0, 180.0])
    axis = np.array([1.0, 2.0, 2.0]) / 3.0
    half = np.radians(angles) / 2
    rotation = np.c_[np.cos(half), np.sin(half)[:, None] * axis]
    start = np.tile([1.0, 0.0, 0.0, 0.0], (len(angles), 1))
    np.testing.assert_allclose(item_errors(spec, quats(start), quats(rotation)), angles, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_rotation_error_is_symmetric_sign_invariant_and_zero_for_identical(seed):
    rng = np.random.default_rng(seed)
    q1, q2 = random_quaternions(rng, 30), random_quaternions(rng, 30)
    spec = parse_error_specs(SECTION)["angle_deg"]
    there = item_errors(spec, quats(q1), quats(q2))
    np.testing.assert_allclose(item_errors(spec, quats(q2), quats(q1)), there, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(item_errors(spec, quats(-q1), quats(q2)), there, rtol=1e-12, atol=1e-12)
    assert np.all((there >= 0) & (there <= 180))
    assert np.all(item_errors(spec, quats(q1), quats(q1)) < 1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (15, 2), elements=st.floats(-1e3, 1e3)), st.floats(1e-3, 1e3))
def test_euclidean_error_scales_linearly_with_scale(diff, scale):
    truth = {"a": np.zeros(15), "b": np.zeros(15)}
    pred = {"a": diff[:, 0], "b": diff[:, 1]}
    one = parse_error_specs({"e": {"kind": "euclidean", "columns": ["a", "b"]}})["e"]
    scaled = parse_error_specs({"e": {"kind": "euclidean", "columns": ["a", "b"], "scale": scale}})["e"]
    np.testing.assert_allclose(
        item_errors(scaled, truth, pred), scale * item_errors(one, truth, pred), rtol=1e-14
    )


def test_non_unit_quaternions_are_normalised_and_counted_per_side():
    rng = np.random.default_rng(3)
    q1, q2 = random_quaternions(rng, 10), random_quaternions(rng, 10)
    stretched = q2.copy()
    stretched[:3] *= 2.0
    spec = parse_error_specs(SECTION)["angle_deg"]
    result = compute_item_errors(spec, quats(q1), quats(stretched))
    assert (result.normalised_truth, result.normalised_pred) == (0, 3)
    np.testing.assert_allclose(result.errors, item_errors(spec, quats(q1), quats(q2)), rtol=1e-12)


def test_zero_length_or_non_finite_quaternions_are_a_data_error():
    q = np.tile([1.0, 0.0, 0.0, 0.0], (5, 1))
    bad = q.copy()
    bad[1] = 0.0
    bad[3, 2] = np.nan
    spec = parse_error_specs(SECTION)["angle_deg"]
    with pytest.raises(
        DataError,
        match=r"errors\.angle_deg: the predictions' quaternions \(qw, qx, qy, qz\) "
        r"have zero length or NaN/infinite components in 2 row\(s\)",
    ):
        item_errors(spec, quats(q), quats(bad))


def test_missing_or_non_finite_columns_are_a_data_error():
    spec = parse_error_specs(SECTION)["position_cm"]
    with pytest.raises(DataError, match=r"errors\.position_cm: the truth has no column 'z'; fix:"):
        item_errors(spec, {"x": np.zeros(2), "y": np.zeros(2)}, {c: np.zeros(2) for c in "xyz"})
    with pytest.raises(
        DataError, match=r"the predictions has 1 row\(s\) with NaN or infinite values in x, y, z"
    ):
        item_errors(
            spec,
            {c: np.zeros(2) for c in "xyz"},
            {"x": np.zeros(2), "y": np.array([0, np.inf]), "z": np.zeros(2)},
        )


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.integers(1, 60), elements=st.floats(0, 1e6)))
def test_error_metrics_equal_numpy_summaries(errors):
    spec = parse_error_specs({"e": {"kind": "absolute", "column": "v", "tolerances": [0, 1, 2.5]}})["e"]
    got = error_metrics(spec, errors)
    assert list(got) == [
        "e_mean",
        "e_median",
        "e_rmse",
        "e_max",
        "e_p90",
        "e_p95",
        "e_within_0",
        "e_within_1",
        "e_within_2p5",
    ]
    assert got["e_mean"] == pytest.approx(errors.sum() / errors.size, rel=1e-12)
    assert got["e_rmse"] == pytest.approx(math.sqrt(np.dot(errors, errors) / errors.size), rel=1e-12)
    assert got["e_max"] == errors.max()
    for suffix, q in (("median", 50), ("p90", 90), ("p95", 95)):
        assert got[f"e_{suffix}"] == np.percentile(errors, q)
    assert got["e_within_2p5"] == np.mean([e <= 2.5 for e in errors])
    assert got["e_within_0"] == np.mean(errors == 0)


def test_a_negative_zero_tolerance_reads_as_zero():
    spec = parse_error_specs({"e": {"kind": "absolute", "column": "y", "tolerances": [-0.0]}})["e"]
    assert error_metric_specs([spec]).keys() >= {"e_within_0"}
