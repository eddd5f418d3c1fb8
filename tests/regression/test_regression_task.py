"""task: regression through the real CLI: truth and predictions files, estimators, metrics equal to
scikit-learn, named errors equal to numpy, paired bootstrap intervals, panels, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LinearRegression

from evalkit.uncertainty import Resampler
from evalkit.uncertainty.intervals import percentile_interval
from tests.conftest import one_error_line, run_cli
from tests.experiments import write_experiment

N = 60


def _truth(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame(
        {"id": np.arange(n), "x1": x1, "x2": x2, "label": 3 * x1 - x2 + rng.normal(scale=0.5, size=n) + 10}
    )


def _predictions(truth: pd.DataFrame, noise: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"id": truth["id"], "label": truth["label"] + rng.normal(scale=noise, size=len(truth))}
    )


def _run(root: Path, config: dict, files: dict, *extra: str) -> dict:
    write_experiment(root, config, files)
    result = run_cli(
        "run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root / 'out'}", *extra
    )
    assert result.code == 0, result.stderr
    return json.loads((root / "out" / "metrics.json").read_text())


def _single_target_config(**overrides) -> dict:
    config = {
        "task": "regression",
        "data": {"path": "truth.csv"},
        "candidates": {"good": {"predictions": "good.csv"}, "poor": {"predictions": "poor.csv"}},
        "strategy": {"name": "satisficing", "optimize": "mae", "constraints": {"r2": ">= 0.5"}},
        "bootstrap": {"resamples": 0},
    }
    return config | overrides


def _single_target_files(truth: pd.DataFrame) -> dict:
    return {
        "truth.csv": truth,
        "good.csv": _predictions(truth, 0.5, 1),
        "poor.csv": _predictions(truth, 3.0, 2),
    }


def test_every_single_target_metric_in_metrics_json_equals_scikit_learn(tmp_path):
    truth = _truth()
    files = _single_target_files(truth)
    record = _run(tmp_path, _single_target_config(), files)
    y = truth["label"].to_numpy()
    for name in ("good", "poor"):
        p = files[f"{name}.csv"]["label"].to_numpy()
        metrics = next(e for e in record["entries"] if e["name"] == name)["metrics"]
        expected = {
            "mae": skm.mean_absolute_error(y, p),
            "mse": skm.mean_squared_error(y, p),
            "rmse": skm.root_mean_squared_error(y, p),
            "r2": skm.r2_score(y, p),
            "mape": skm.mean_absolute_percentage_error(y, p),
            "median_ae": skm.median_absolute_error(y, p),
            "max_error": skm.max_error(y, p),
            "explained_variance": skm.explained_variance_score(y, p),
            "mean_error": float(np.mean(p - y)),
        }
        for metric, value in expected.items():
            assert metrics[metric] == pytest.approx(value, rel=1e-12, abs=1e-12), metric
    assert record["best"] == "good"
    assert record["metric_directions"]["r2"] == "higher" and record["metric_directions"]["mae"] == "lower"


def test_estimators_and_dummy_baselines_are_fitted_on_the_train_split(tmp_path):
    truth, train = _truth(seed=0), _truth(n=120, seed=1)
    config = _single_target_config(
        data={"path": "truth.csv", "train_path": "train.csv"},
        candidates={"linear": {"estimator": {"_target_": "sklearn.linear_model.LinearRegression"}}},
        baselines={
            "mean": {
                "kind": "simple_ml",
                "estimator": {"_target_": "sklearn.dummy.DummyRegressor", "strategy": "mean"},
            }
        },
    )
    record = _run(tmp_path, config, {"truth.csv": truth, "train.csv": train})
    model = LinearRegression().fit(train[["x1", "x2"]], train["label"])
    expected = skm.r2_score(truth["label"], model.predict(truth[["x1", "x2"]]))
    linear = next(e for e in record["entries"] if e["name"] == "linear")
    mean = next(e for e in record["entries"] if e["name"] == "mean")
    assert linear["metrics"]["r2"] == pytest.approx(expected, rel=1e-9)
    assert linear["metrics"]["latency_ms"] > 0
    # the train split's mean, not the truth's: slightly off, so R² is just below 0
    assert mean["metrics"]["r2"] == pytest.approx(
        skm.r2_score(truth["label"], np.full(N, train["label"].mean())), rel=1e-9
    )
    assert record["best"] == "linear" and record["beats_all_baselines"]


def _pose_truth(n: int = 50, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return pd.DataFrame(
        {
            "id": [f"obj{i:03d}" for i in range(n)],
            "f": rng.normal(size=n),
            "x": rng.uniform(0, 1, n),
            "y": rng.uniform(0, 1, n),
            "z": rng.uniform(0, 0.1, n),
            "yaw": rng.uniform(0, 360, n),
            "qw": q[:, 0],
            "qx": q[:, 1],
            "qy": q[:, 2],
            "qz": q[:, 3],
        }
    )


def _pose_prediction(truth: pd.DataFrame, scale: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = truth.drop(columns=["f"]).copy()
    for c in ("x", "y", "z"):
        out[c] = out[c] + rng.normal(scale=scale, size=len(out))
    out["yaw"] = (out["yaw"] + rng.normal(scale=200 * scale, size=len(out))) % 360
    q = out[["qw", "qx", "qy", "qz"]].to_numpy() + rng.normal(scale=scale, size=(len(out), 4))
    out[["qw", "qx", "qy", "qz"]] = q / np.linalg.norm(q, axis=1, keepdims=True)
    return out


POSE_ERRORS = {
    "position_cm": {"kind": "euclidean", "columns": ["x", "y", "z"], "scale": 100, "tolerances": [1, 2]},
    "yaw_deg": {"kind": "angle", "column": "yaw", "period": 360, "tolerances": [5]},
    "angle_deg": {"kind": "rotation", "columns": ["qw", "qx", "qy", "qz"], "tolerances": [5]},
    "height": {"kind": "absolute", "column": "z", "tolerances": [0.01]},
}


def _pose_config(**overrides) -> dict:
    config = {
        "task": "regression",
        "data": {"path": "truth.csv", "targets": ["x", "y", "z", "yaw", "qw", "qx", "qy", "qz"]},
        "errors": POSE_ERRORS,
        "candidates": {
            "fast": {"predictions": "fast.csv", "metrics": {"latency_ms": 20}},
            "slow": {"predictions": "slow.csv", "metrics": {"latency_ms": 300}},
        },
        "strategy": {
            "name": "satisficing",
            "optimize": "angle_deg_within_5",
            "constraints": {"position_cm_p95": "<= 3", "latency_ms": "<= 100"},
        },
        "bootstrap": {"resamples": 0},
    }
    return config | overrides


def _angles_numpy(t: pd.DataFrame, p: pd.DataFrame) -> dict[str, np.ndarray]:
    """The named errors, computed directly and differently from evalkit (rotation via matrices)."""

    def matrices(frame):
        w, x, y, z = (frame[c].to_numpy() for c in ("qw", "qx", "qy", "qz"))
        return np.stack(
            [
                np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
                np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
                np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
            ],
            -2,
        )

    relative = np.einsum("nji,njk->nik", matrices(t), matrices(p))
    cosine = np.clip((np.trace(relative, axis1=1, axis2=2) - 1) / 2, -1, 1)
    yaw = np.abs(t["yaw"].to_numpy() - p["yaw"].to_numpy()) % 360
    return {
        "position_cm": 100 * np.sqrt(sum((t[c].to_numpy() - p[c].to_numpy()) ** 2 for c in "xyz")),
        "yaw_deg": np.minimum(yaw, 360 - yaw),
        "angle_deg": np.degrees(np.arccos(cosine)),
        "height": np.abs(t["z"].to_numpy() - p["z"].to_numpy()),
    }


def test_named_errors_in_metrics_json_equal_a_direct_numpy_computation(tmp_path):
    truth = _pose_truth()
    fast, slow = _pose_prediction(truth, 0.01, 1), _pose_prediction(truth, 0.004, 2)
    record = _run(tmp_path, _pose_config(), {"truth.csv": truth, "fast.csv": fast, "slow.csv": slow})
    for name, frame in (("fast", fast), ("slow", slow)):
        metrics = next(e for e in record["entries"] if e["name"] == name)["metrics"]
        for error, values in _angles_numpy(truth, frame).items():
            assert metrics[f"{error}_mean"] == pytest.approx(values.mean(), rel=1e-6, abs=1e-9)
            assert metrics[f"{error}_p95"] == pytest.approx(np.percentile(values, 95), rel=1e-6, abs=1e-9)
            assert metrics[f"{error}_max"] == pytest.approx(values.max(), rel=1e-6, abs=1e-9)
            assert metrics[f"{error}_rmse"] == pytest.approx(np.sqrt(np.mean(values**2)), rel=1e-6, abs=1e-9)
        assert metrics["angle_deg_within_5"] == np.mean(_angles_numpy(truth, frame)["angle_deg"] <= 5)
        assert "mae" not in metrics  # single-target metrics only with one target
    assert record["metric_directions"]["position_cm_p95"] == "lower"
    assert record["metric_directions"]["angle_deg_within_5"] == "higher"
    slow_entry = next(e for e in record["entries"] if e["name"] == "slow")
    assert slow_entry["feasible"] is False and "latency_ms" in json.dumps(slow_entry["violations"])
    assert record["best"] == "fast"


@pytest.mark.figures("error_cdf", "predicted_actual")
def test_a_regression_run_draws_its_own_figures_declared_in_the_task_registry(tmp_path):
    truth = _truth()
    _run(tmp_path, _single_target_config(errors={"abs": {"kind": "absolute", "columns": ["label"],
                                                         "tolerances": [1]}}),
         _single_target_files(truth))
    plots = tmp_path / "out" / "plots"
    cdf, scatter = (plots / "error_cdf.svg").read_text(), (plots / "predicted_actual.svg").read_text()
    assert 'id="cdf:abs:good"' in cdf and 'id="cdf:abs:poor"' in cdf and 'id="tolerance:abs:1"' in cdf
    assert 'id="scatter:good"' in scatter and 'id="residuals:good"' in scatter  # the best candidate's
    assert "plots/error_cdf.png" in (tmp_path / "out" / "report.md").read_text()


def test_regression_intervals_are_percentiles_of_the_metric_on_the_same_resampled_items(tmp_path):
    truth = _truth(n=40)
    files = _single_target_files(truth)
    config = _single_target_config(bootstrap={"resamples": 60, "seed": 3, "level": 0.9})
    record = _run(tmp_path, config, files)
    y, p = truth["label"].to_numpy(), files["good.csv"]["label"].to_numpy()
    resampler = Resampler(len(y), 60, 3, "multinomial")
    draws = [np.repeat(np.arange(len(y)), resampler.weights(r)) for r in range(60)]
    good = next(e for e in record["entries"] if e["name"] == "good")
    for metric, fn in (
        ("mae", skm.mean_absolute_error),
        ("r2", skm.r2_score),
        ("median_ae", skm.median_absolute_error),
        ("max_error", skm.max_error),
    ):
        values = np.array([fn(y[d], p[d]) for d in draws])
        low, high, _ = percentile_interval(values, 0.9)
        assert good["ci"][metric] == pytest.approx([low, high], rel=1e-9, abs=1e-12), metric
    comparison = next(c for c in record["comparisons"] if c["b"] == "poor" and c["metric"] == "score")
    assert comparison["verdict"] == "better"


def test_a_panel_of_people_who_measure_is_scored_with_the_same_errors(tmp_path):
    truth = _pose_truth(n=40)
    fast, slow = _pose_prediction(truth, 0.01, 1), _pose_prediction(truth, 0.004, 2)
    people = []
    for k, name in enumerate(("ann", "bob", "cat")):
        own = _pose_prediction(truth, 0.006, 10 + k).iloc[:30]
        people.append(own.assign(annotator=name))
    panel = pd.concat(people)
    config = _pose_config(
        baselines={"people": {"kind": "human", "path": "panel.csv", "best_annotator": True}}
    )
    record = _run(
        tmp_path, config, {"truth.csv": truth, "fast.csv": fast, "slow.csv": slow, "panel.csv": panel}
    )
    rows = {e["name"]: e for e in record["entries"] if e["kind"] == "human"}
    assert set(rows) == {"people/mean_annotator", "people/median", "people/best_annotator"}
    median = rows["people/median"]
    medians = panel.groupby("id")[["x", "y", "z"]].median().loc[truth["id"].iloc[:30]]
    position = 100 * np.sqrt(
        ((medians.to_numpy() - truth[["x", "y", "z"]].iloc[:30].to_numpy()) ** 2).sum(axis=1)
    )
    assert median["metrics"]["position_cm_mean"] == pytest.approx(position.mean(), rel=1e-9)
    assert median["coverage"] == {"items": 30, "of": 40, "share": 0.75}
    assert set(median["agreement"]["x"]) == {"icc_2_1", "icc_3_1", "krippendorff_alpha"}
    assert median["agreement"]["x"]["icc_2_1"]["value"] > 0.5
    assert "fast" in median["paired"]["candidates"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "median of 3 annotators' values per item" in report and "ICC(2,1)" in report


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f["truth.csv"].drop(columns=["label"]), "has no column"),
        (lambda f: f["truth.csv"].assign(label=["high"] + [1.0] * (N - 1)), "non-numeric"),
        (lambda f: f["truth.csv"].assign(label=[np.nan] + [1.0] * (N - 1)), "empty, NaN or infinite"),
    ],
    ids=["no-target-column", "text-target", "nan-target"],
)
def test_bad_truth_values_get_one_line_naming_the_file_and_column(tmp_path, change, expected):
    files = _single_target_files(_truth())
    files["truth.csv"] = change(files)
    write_experiment(tmp_path, _single_target_config(), files)
    line = one_error_line(
        run_cli(
            "run", "--config-dir", str(tmp_path), "--config-name", "exp", f"hydra.run.dir={tmp_path / 'out'}"
        )
    )
    assert "truth.csv" in line and expected in line
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_bad_prediction_values_get_one_line(tmp_path):
    files = _single_target_files(_truth())
    files["poor.csv"] = files["poor.csv"].assign(label=[np.inf] + [1.0] * (N - 1))
    write_experiment(tmp_path, _single_target_config(), files)
    line = one_error_line(
        run_cli(
            "run", "--config-dir", str(tmp_path), "--config-name", "exp", f"hydra.run.dir={tmp_path / 'out'}"
        )
    )
    assert "poor.csv" in line and "'label'" in line and "infinite" in line


def test_a_zero_length_quaternion_is_refused_and_an_error_on_a_column_that_is_no_target_too(tmp_path):
    truth = _pose_truth()
    fast = _pose_prediction(truth, 0.01, 1)
    fast.loc[3, ["qw", "qx", "qy", "qz"]] = 0.0
    files = {"truth.csv": truth, "fast.csv": fast, "slow.csv": _pose_prediction(truth, 0.004, 2)}
    write_experiment(tmp_path, _pose_config(), files)
    line = one_error_line(
        run_cli(
            "run", "--config-dir", str(tmp_path), "--config-name", "exp", f"hydra.run.dir={tmp_path / 'out'}"
        )
    )
    assert "angle_deg" in line and "zero" in line.lower()
    bad = _pose_config(
        errors={"w_err": {"kind": "absolute", "column": "w", "tolerances": [1]}},
        strategy={"name": "average", "metrics": ["w_err_within_1"]},
    )
    root = tmp_path / "second"
    write_experiment(root, bad, files | {"fast.csv": _pose_prediction(truth, 0.01, 1)})
    line = one_error_line(
        run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root / 'out'}")
    )
    assert "errors.w_err" in line and "not targets" in line


def test_a_tolerance_that_is_not_a_number_is_a_config_error(tmp_path):
    truth = _pose_truth()
    bad = _pose_config(
        errors={"position_cm": {"kind": "euclidean", "columns": ["x", "y", "z"], "tolerances": ["one"]}},
        strategy={"name": "average", "metrics": ["position_cm_mean"]},
    )
    bad["strategy"] = {"name": "satisficing", "optimize": "position_cm_mean", "constraints": {}}
    write_experiment(
        tmp_path,
        bad,
        {
            "truth.csv": truth,
            "fast.csv": _pose_prediction(truth, 0.01, 1),
            "slow.csv": _pose_prediction(truth, 0.004, 2),
        },
    )
    line = one_error_line(
        run_cli(
            "run", "--config-dir", str(tmp_path), "--config-name", "exp", f"hydra.run.dir={tmp_path / 'out'}"
        )
    )
    assert "errors.position_cm.tolerances" in line


def test_the_pose_demo_reads_as_the_lecture_case(tmp_path):
    """The balanced estimator is the only one within 1 cm and 100 ms; the slow one is ruled out by
    latency, the fast one by position; the rule is far behind."""
    run_dir = tmp_path / "run"
    result = run_cli(
        "run", "+experiment=pose_demo", f"hydra.run.dir={run_dir}", "bootstrap.resamples=0", cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    record = json.loads((run_dir / "metrics.json").read_text())
    entries = {e["name"]: e for e in record["entries"]}
    assert record["best"] == "balanced"
    assert entries["balanced"]["metrics"]["position_cm_p95"] <= 1
    assert entries["accurate_slow"]["feasible"] is False and "latency_ms" in json.dumps(
        entries["accurate_slow"]["violations"]
    )
    assert entries["fast_coarse"]["feasible"] is False and "position_cm_p95" in json.dumps(
        entries["fast_coarse"]["violations"]
    )
    assert entries["blob_rule"]["score"] < entries["balanced"]["score"]
    assert "SYNTHETIC" in (run_dir / "report.md").read_text()


def test_the_diabetes_demo_runs_real_regressors_against_simple_baselines_and_a_published_number(tmp_path):
    run_dir = tmp_path / "run"
    result = run_cli(
        "run", "+experiment=diabetes", f"hydra.run.dir={run_dir}", "bootstrap.resamples=0", cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    record = json.loads((run_dir / "metrics.json").read_text())
    entries = {e["name"]: e for e in record["entries"]}
    best = entries[record["best"]]
    assert best["role"] == "candidate" and best["feasible"] and best["metrics"]["r2"] >= 0.3
    assert abs(entries["mean_predictor"]["metrics"]["r2"]) < 0.05  # the train mean explains nothing
    assert (
        best["metrics"]["mae"]
        < entries["bmi_only"]["metrics"]["mae"]
        < entries["mean_predictor"]["metrics"]["mae"]
    )
    assert "Least Angle Regression" in entries["published_lars"]["source"]
