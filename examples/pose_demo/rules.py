"""Rule baseline for the SYNTHETIC pose demo: the scripted pipeline a team would write before any model.

From the segmented blob of the object's top face it back-projects the blob centroid through a fixed
pinhole calibration at the depth reading, drops a typical half-height to reach the object's centre,
and reads the yaw off the blob's principal axis. What it cannot know makes it a floor, not a model:

- the principal axis is a line, not an arrow, so the yaw has a 180° ambiguity (it always picks the
  same half-turn and is wrong by 180° on about half of the objects);
- it assumes the object stands upright (no tilt) and has the typical half-height ``HALF_HEIGHT_M``;
- a depth reading from a hole in the depth image moves the estimate by the object's height.

make_pose_demo.py draws the scene with the same camera (``CAMERA``), so the calibration is exact.
Robot frame: x forward, y left, z up, metres, origin on the table under the robot's base; the camera
looks straight down from ``(CAM_X_M, 0, CAM_HEIGHT_M)`` with image u along -y and image v along -x.
"""

import numpy as np
import pandas as pd

CAMERA = {"fx": 615.0, "fy": 615.0, "u0": 320.0, "v0": 240.0}  # pixels, for a 640 x 480 image
CAM_X_M = 0.50
CAM_HEIGHT_M = 0.90
HALF_HEIGHT_M = 0.0375  # the middle of the object sizes the cell handles (1.5 to 6 cm)

POSE_COLUMNS = ["x", "y", "z", "qw", "qx", "qy", "qz"]


def pose_from_blob(features: pd.DataFrame) -> pd.DataFrame:
    """Pose (x, y, z in metres; unit quaternion qw, qx, qy, qz) per row from the blob features.

    Needs the columns ``cx_px``, ``cy_px`` (blob centroid), ``depth_m`` (depth at the centroid) and
    ``axis_deg`` (blob principal axis in the image, degrees in [0, 180)); returns a frame with the
    same index. Of the two opposite headings along the image axis it picks the one pointing back
    towards the robot (|yaw| >= 90°).
    """
    depth = features["depth_m"].to_numpy(dtype=float)
    camera_x = (features["cx_px"].to_numpy(dtype=float) - CAMERA["u0"]) * depth / CAMERA["fx"]
    camera_y = (features["cy_px"].to_numpy(dtype=float) - CAMERA["v0"]) * depth / CAMERA["fy"]
    x = CAM_X_M - camera_y
    y = -camera_x
    z = (CAM_HEIGHT_M - depth) - HALF_HEIGHT_M
    # Image direction (cos a, sin a) = (-sin yaw, -cos yaw) for an axis along the object's heading.
    axis = np.radians(features["axis_deg"].to_numpy(dtype=float))
    yaw = np.arctan2(-np.cos(axis), -np.sin(axis))
    half = yaw / 2.0
    qw, qz = np.cos(half), np.sin(half)
    flip = qw < 0  # one sign convention (qw >= 0) for the same rotation
    qw, qz = np.where(flip, -qw, qw), np.where(flip, -qz, qz)
    zeros = np.zeros_like(qw)
    return pd.DataFrame({"x": x, "y": y, "z": z, "qw": qw, "qx": zeros, "qy": zeros, "qz": qz},
                        index=features.index)[POSE_COLUMNS]
