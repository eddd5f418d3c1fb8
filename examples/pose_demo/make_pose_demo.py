"""Make evalkit's SYNTHETIC pose-estimation demo: no real camera, no real models, no real annotators.

The lecture's case study, pose estimation for robotic grasping, drawn from a simple random scene model
with a fixed seed:

- ``truth.csv``: 600 objects on a table in front of the robot: blob features a scripted pipeline can
  use (``cx_px``, ``cy_px``, ``depth_m``, ``axis_deg``, ``blob_area_px``) and the true pose (``x``, ``y``,
  ``z`` in metres; unit quaternion ``qw``, ``qx``, ``qy``, ``qz``: a yaw about the vertical plus a small
  tilt);
- ``predictions/{fast_coarse,balanced,accurate_slow}.csv``: three simulated pose estimators (truth plus
  Gaussian noise of different sizes and a few heavy-tailed failures), whose declared latencies are
  15, 60 and 180 ms (``LATENCY_MS``);
- ``human/panel.csv``: a simulated two-annotator panel on 150 of the objects (one slightly biased).

``rules.py`` (hand-written, not generated) is the scripted baseline; its camera is the one used here.

Run: ``python make_pose_demo.py [OUT_DIR]`` (default: this script's folder). It writes the files and
prints the headline numbers that README.md quotes. The output is byte-identical from run to run;
``generate(out_dir)`` does the same from Python and ``headline(out_dir)`` measures the files. Each output
has its own random stream (``STREAMS``), so retuning one estimator leaves the other files unchanged;
append new streams at the end of ``STREAMS``, never in the middle.
"""

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20251201
STREAMS = ("truth", "fast_coarse", "balanced", "accurate_slow", "panel")
HERE = Path(__file__).resolve().parent

N_ITEMS = 600
N_PANEL_ITEMS = 150
FIRST_ID = 1

# Scene: object centres on the table (metres, robot frame), half-heights, footprints, tilts.
X_RANGE = (0.30, 0.70)
Y_RANGE = (-0.25, 0.25)
HALF_HEIGHT_RANGE = (0.0075, 0.03)  # objects 1.5 to 6 cm tall
FOOTPRINT_M2 = (0.002, 0.008)  # 20 to 80 cm²
TILT_SD_DEG = 3.0  # half-normal tilt of the object's vertical axis (resting on uneven things)
# Features: pixel noise of the blob centroid, depth noise, depth holes, axis noise.
CENTROID_SD_PX = 1.5
DEPTH_SD_M = 0.004
DEPTH_HOLE_RATE = 0.04  # the reading comes from the table behind the object instead
AXIS_SD_DEG = 3.0
AREA_SD = 0.06  # relative


@dataclass(frozen=True)
class Estimator:
    latency_ms: int  # declared, for the experiment config; nothing here is timed
    position_sd_mm: tuple[float, float, float]  # per-axis Gaussian noise (x, y, z)
    tilt_sd_deg: float  # rotation noise about horizontal axes
    yaw_sd_deg: float  # rotation noise about the vertical
    failure_rate: float  # heavy tail: a wrong object part, a symmetric flip, a lost track


ESTIMATORS = {
    "fast_coarse": Estimator(15, (5.2, 5.2, 7.0), 3.0, 3.6, 0.04),
    "balanced": Estimator(60, (2.4, 2.4, 3.1), 1.9, 2.3, 0.015),
    "accurate_slow": Estimator(180, (1.7, 1.7, 2.3), 0.9, 1.1, 0.008),
}
# A failure moves the position by 2 to 12 cm (log-uniform, random direction) and the orientation by a
# 180° flip about the vertical (half of them) or a random rotation of 10 to 90°.
FAILURE_SHIFT_M = (0.02, 0.12)

# Panel: per-axis position noise, per-axis rotation noise; annotator_b is slightly biased.
PANEL_ANNOTATORS = ("annotator_a", "annotator_b")
PANEL_POSITION_SD_MM = 3.0
PANEL_ROTATION_SD_DEG = 2.0
PANEL_BIAS_B_MM = (3.0, 0.0, -2.0)
PANEL_BIAS_B_YAW_DEG = 1.5

LATENCY_MS = {name: e.latency_ms for name, e in ESTIMATORS.items()}
POSE = ("x", "y", "z", "qw", "qx", "qy", "qz")
FEATURES = ("cx_px", "cy_px", "depth_m", "axis_deg", "blob_area_px")
OUTPUTS = (
    "truth.csv",
    "predictions/fast_coarse.csv",
    "predictions/balanced.csv",
    "predictions/accurate_slow.csv",
    "human/panel.csv",
)


def _load_rules():  # the camera and the rule live in rules.py, which evalkit loads by path
    spec = importlib.util.spec_from_file_location("pose_demo_rules", HERE / "rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RULES = _load_rules()


# --------------------------------------------------------------------------------------------------
# quaternions (w, x, y, z), one per row


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    aw, ax, ay, az = a.T
    bw, bx, by, bz = b.T
    return np.column_stack([aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                            aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw])


def quat_from_rotvec(rotvec: np.ndarray) -> np.ndarray:
    angle = np.linalg.norm(rotvec, axis=1)
    # sin(a/2)/a -> 1/2 as a -> 0; the guard only avoids 0/0.
    scale = np.where(angle > 1e-12, np.sin(angle / 2) / np.where(angle > 1e-12, angle, 1.0), 0.5)
    return np.column_stack([np.cos(angle / 2), rotvec * scale[:, None]])


def quat_rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    pure = np.column_stack([np.zeros(len(v)), v])
    conj = q * np.array([1.0, -1.0, -1.0, -1.0])
    return quat_multiply(quat_multiply(q, pure), conj)[:, 1:]


def canonical(q: np.ndarray) -> np.ndarray:
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    return np.where(q[:, :1] < 0, -q, q)  # q and -q are one rotation: write the one with qw >= 0


def rotation_error_deg(q_true: np.ndarray, q_pred: np.ndarray) -> np.ndarray:
    """Angle of the rotation taking one orientation to the other, degrees in [0, 180]."""
    q_true = q_true / np.linalg.norm(q_true, axis=1, keepdims=True)
    q_pred = q_pred / np.linalg.norm(q_pred, axis=1, keepdims=True)
    dot = np.abs(np.sum(q_true * q_pred, axis=1))
    return np.degrees(2.0 * np.arccos(np.clip(dot, 0.0, 1.0)))


def _random_directions(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _yaw_quat(yaw_rad: np.ndarray) -> np.ndarray:
    zeros = np.zeros_like(yaw_rad)
    return np.column_stack([np.cos(yaw_rad / 2), zeros, zeros, np.sin(yaw_rad / 2)])


# --------------------------------------------------------------------------------------------------
# scene and features


def draw_scene(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """True poses and the blob features a camera above the table would give."""
    x = rng.uniform(*X_RANGE, n)
    y = rng.uniform(*Y_RANGE, n)
    half_height = rng.uniform(*HALF_HEIGHT_RANGE, n)
    z = half_height  # resting on the table (z = 0)
    yaw = rng.uniform(-np.pi, np.pi, n)
    tilt = np.abs(rng.normal(0.0, np.radians(TILT_SD_DEG), n))
    tilt_axis = rng.uniform(0.0, 2 * np.pi, n)
    tilt_rotvec = np.column_stack([np.cos(tilt_axis), np.sin(tilt_axis), np.zeros(n)]) * tilt[:, None]
    q = canonical(quat_multiply(_yaw_quat(yaw), quat_from_rotvec(tilt_rotvec)))

    # The camera sees the centre of the top face.
    top = np.column_stack([x, y, z]) + quat_rotate(q, np.column_stack([np.zeros((n, 2)), half_height]))
    depth_true = RULES.CAM_HEIGHT_M - top[:, 2]
    camera_x, camera_y = -top[:, 1], -(top[:, 0] - RULES.CAM_X_M)
    cam = RULES.CAMERA
    cx_px = cam["u0"] + cam["fx"] * camera_x / depth_true + rng.normal(0.0, CENTROID_SD_PX, n)
    cy_px = cam["v0"] + cam["fy"] * camera_y / depth_true + rng.normal(0.0, CENTROID_SD_PX, n)
    depth = depth_true + rng.normal(0.0, DEPTH_SD_M, n)
    hole = rng.random(n) < DEPTH_HOLE_RATE
    depth = np.where(hole, RULES.CAM_HEIGHT_M + rng.normal(0.0, 0.01, n), depth)
    # Heading (cos yaw, sin yaw) in the robot frame appears as (-sin yaw, -cos yaw) in the image; the blob
    # axis is a line, so only its angle modulo 180° is observable.
    axis = np.degrees(np.arctan2(-np.cos(yaw), -np.sin(yaw))) + rng.normal(0.0, AXIS_SD_DEG, n)
    axis = np.mod(axis, 180.0)
    footprint = rng.uniform(*FOOTPRINT_M2, n)
    area = footprint * (cam["fx"] / depth_true) ** 2 * np.cos(tilt) * np.exp(rng.normal(0.0, AREA_SD, n))
    return {"id": np.arange(FIRST_ID, FIRST_ID + n), "cx_px": cx_px, "cy_px": cy_px, "depth_m": depth,
            "axis_deg": axis, "blob_area_px": area, "x": x, "y": y, "z": z,
            "qw": q[:, 0], "qx": q[:, 1], "qy": q[:, 2], "qz": q[:, 3]}


def _positions(table: dict[str, np.ndarray]) -> np.ndarray:
    return np.column_stack([table["x"], table["y"], table["z"]])


def _quats(table: dict[str, np.ndarray]) -> np.ndarray:
    return np.column_stack([table["qw"], table["qx"], table["qy"], table["qz"]])


def _pose_table(ids: np.ndarray, position: np.ndarray, q: np.ndarray) -> dict[str, np.ndarray]:
    q = canonical(q)
    return {"id": ids, "x": position[:, 0], "y": position[:, 1], "z": position[:, 2],
            "qw": q[:, 0], "qx": q[:, 1], "qy": q[:, 2], "qz": q[:, 3]}


# --------------------------------------------------------------------------------------------------
# simulated estimators and panel


def simulate_estimator(rng: np.random.Generator, est: Estimator, truth: dict[str, np.ndarray],
                       ) -> dict[str, np.ndarray]:
    n = len(truth["id"])
    position = _positions(truth) + rng.normal(size=(n, 3)) * np.array(est.position_sd_mm) / 1000.0
    noise = rng.normal(size=(n, 3)) * np.radians([est.tilt_sd_deg, est.tilt_sd_deg, est.yaw_sd_deg])
    q = quat_multiply(quat_from_rotvec(noise), _quats(truth))  # noise in the robot frame: yaw is about z
    failed = rng.random(n) < est.failure_rate
    k = int(failed.sum())
    shift = _random_directions(rng, k) * np.exp(rng.uniform(*np.log(FAILURE_SHIFT_M), k))[:, None]
    flip = rng.random(k) < 0.5
    wild = _random_directions(rng, k) * np.radians(rng.uniform(10.0, 90.0, k))[:, None]
    wild[flip] = np.array([0.0, 0.0, np.pi])
    position[failed] += shift
    q[failed] = quat_multiply(quat_from_rotvec(wild), q[failed])
    return _pose_table(truth["id"], position, q)


def simulate_panel(rng: np.random.Generator, truth: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Both annotators on the same random subset, one row per (item, annotator), sorted by id."""
    chosen = np.sort(rng.choice(len(truth["id"]), N_PANEL_ITEMS, replace=False))
    tables = []
    for name in PANEL_ANNOTATORS:
        noise = rng.normal(0.0, PANEL_POSITION_SD_MM / 1000.0, (len(chosen), 3))
        position = _positions(truth)[chosen] + noise
        rotvec = rng.normal(0.0, np.radians(PANEL_ROTATION_SD_DEG), (len(chosen), 3))
        if name == "annotator_b":
            position += np.array(PANEL_BIAS_B_MM) / 1000.0
            rotvec[:, 2] += np.radians(PANEL_BIAS_B_YAW_DEG)
        q = quat_multiply(quat_from_rotvec(rotvec), _quats(truth)[chosen])
        table = _pose_table(truth["id"][chosen], position, q)
        table["annotator"] = np.array([name] * len(chosen))
        tables.append(table)
    merged = {key: np.concatenate([t[key] for t in tables]) for key in tables[0]}
    order = np.lexsort((merged["annotator"], merged["id"]))
    return {key: value[order] for key, value in merged.items()}


# --------------------------------------------------------------------------------------------------
# files

FORMATS = {"id": "{:d}", "annotator": "{}", "cx_px": "{:.1f}", "cy_px": "{:.1f}", "depth_m": "{:.4f}",
           "axis_deg": "{:.1f}", "blob_area_px": "{:.0f}", "x": "{:.5f}", "y": "{:.5f}", "z": "{:.5f}",
           "qw": "{:.6f}", "qx": "{:.6f}", "qy": "{:.6f}", "qz": "{:.6f}"}


def _csv(table: dict[str, np.ndarray], columns: tuple[str, ...]) -> str:
    lines = [",".join(columns)]
    for row in zip(*(table[c] for c in columns), strict=True):
        # "-0.000000" and "0.000000" are the same number: write one spelling.
        cells = [FORMATS[c].format(v.item() if hasattr(v, "item") else v) for c, v in zip(columns, row,
                                                                                          strict=True)]
        lines.append(",".join("0" + cell[2:] if cell.startswith("-0") and not cell.strip("-0.") else cell
                              for cell in cells))
    return "\n".join(lines) + "\n"


def generate(out_dir: Path) -> None:
    """Write every file in OUTPUTS under ``out_dir``."""
    out_dir = Path(out_dir)
    seeds = np.random.SeedSequence(SEED).spawn(len(STREAMS))
    rngs = {name: np.random.default_rng(seed) for name, seed in zip(STREAMS, seeds, strict=True)}
    truth = draw_scene(rngs["truth"], N_ITEMS)
    files = {"truth.csv": _csv(truth, ("id", *FEATURES, *POSE))}
    for name, est in ESTIMATORS.items():
        files[f"predictions/{name}.csv"] = _csv(simulate_estimator(rngs[name], est, truth), ("id", *POSE))
    files["human/panel.csv"] = _csv(simulate_panel(rngs["panel"], truth), ("id", "annotator", *POSE))
    assert set(files) == set(OUTPUTS)
    for rel in OUTPUTS:
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel].encode("utf-8"))


# --------------------------------------------------------------------------------------------------
# headline numbers (what README.md quotes)


def pose_errors(truth, predicted) -> tuple[np.ndarray, np.ndarray]:
    """Position error (cm) and rotation error (degrees) per row of two pose frames aligned by ``id``."""
    merged = truth.merge(predicted, on="id", suffixes=("_true", ""), validate="one_to_one")
    position_cm = 100.0 * np.linalg.norm(
        merged[["x", "y", "z"]].to_numpy() - merged[["x_true", "y_true", "z_true"]].to_numpy(), axis=1)
    angle = rotation_error_deg(merged[["qw_true", "qx_true", "qy_true", "qz_true"]].to_numpy(),
                               merged[["qw", "qx", "qy", "qz"]].to_numpy())
    return position_cm, angle


def headline(out_dir: Path) -> list[dict[str, object]]:
    """Per entry: n, position error p95 and median (cm), share of poses within 5°, latency (ms)."""
    import pandas as pd

    out_dir = Path(out_dir)
    truth = pd.read_csv(out_dir / "truth.csv")
    entries = {name: (pd.read_csv(out_dir / f"predictions/{name}.csv"), LATENCY_MS[name])
               for name in ESTIMATORS}
    entries["rule (rules.py)"] = (RULES.pose_from_blob(truth[list(FEATURES)]).assign(id=truth["id"]), None)
    panel = pd.read_csv(out_dir / "human/panel.csv")
    for name in PANEL_ANNOTATORS:
        entries[name] = (panel[panel["annotator"] == name].drop(columns="annotator"), None)
    rows = []
    for name, (predicted, latency) in entries.items():
        position_cm, angle = pose_errors(truth[["id", *POSE]], predicted)
        rows.append({"entry": name, "n": len(position_cm),
                     "position_cm_p95": float(np.percentile(position_cm, 95)),
                     "position_cm_median": float(np.median(position_cm)),
                     "angle_deg_median": float(np.median(angle)),
                     "angle_deg_within_5": float(np.mean(angle <= 5.0)),
                     "latency_ms": latency})
    return rows


def headline_markdown(rows: list[dict[str, object]]) -> str:
    lines = ["| entry | n | position p95 (cm) | position median (cm) | angle median (°) | within 5° | "
             "latency (ms) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        latency = "–" if r["latency_ms"] is None else str(r["latency_ms"])
        lines.append(f"| {r['entry']} | {r['n']} | {r['position_cm_p95']:.2f} | "
                     f"{r['position_cm_median']:.2f} | {r['angle_deg_median']:.2f} | "
                     f"{r['angle_deg_within_5']:.1%} | {latency} |")
    return "\n".join(lines)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    generate(target)
    print(headline_markdown(headline(target)))
