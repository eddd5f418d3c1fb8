"""Point labels that do not overlap each other or the points: a small greedy placer.

Entries cluster (several models reach the same recall), so labels at a fixed offset collide. Each
label tries offsets in rings of growing distance around its point and takes the first spot that
overlaps no earlier label and no point and stays inside the axes; labels pushed far from their
point get a thin leader line. Greedy, deterministic, and fast for the tens of points a run has.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.transforms import Bbox

POINT_RADIUS_PX = 9.0  # a 7.5–9 pt marker at 150 dpi, plus its edge
RINGS_PT = (7.0, 13.0, 20.0, 30.0, 42.0)
LEADER_FROM_PT = 14.0
GAP_PX = 10.0
LINE_WEIGHT = 25.0
AMBIGUOUS_COST = 400.0  # about a tenth of a label's area: a clear spot elsewhere is better


@dataclass(frozen=True)
class PointLabel:
    x: float
    y: float
    text: str
    colour: str = "#333333"
    bold: bool = False
    key: str | None = None  # what the gid names (the entry), when the text is a short stand-in (its rank)


def _directions() -> list[tuple[float, float]]:
    """Right, left, above, below first (the most readable), then the diagonals, then in between."""
    angles = [0, 180, 90, 270, 45, 135, 315, 225, 22.5, 157.5, 337.5, 202.5, 67.5, 112.5, 292.5, 247.5]
    return [(float(np.cos(np.radians(a))), float(np.sin(np.radians(a)))) for a in angles]


def place_labels(ax: Axes, labels: Sequence[PointLabel], *, fontsize: float = 8.0, gid_prefix: str = "label",
                 avoid: Sequence[Bbox] = ()) -> None:
    """Annotate each point with its text where it overlaps nothing already placed.

    ``avoid`` holds display-space boxes no label may cover (reference lines and their labels); they
    weigh like points. A label whose nearest marker would not be its own point gets a leader line to
    its point (it is placed far enough for the line to show), so no label reads as another entry's.

    The figure's layout must be final (call ``figure.draw_without_rendering()`` first), because the
    free spots are found in display coordinates.
    """
    figure = ax.get_figure()
    assert figure is not None
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    to_px = figure.dpi / 72.0
    axes_box = ax.get_window_extent(renderer)
    points = ax.transData.transform([(label.x, label.y) for label in labels]) if labels else np.empty((0, 2))
    markers = [Bbox.from_bounds(px - POINT_RADIUS_PX, py - POINT_RADIUS_PX, 2 * POINT_RADIUS_PX,
                                2 * POINT_RADIUS_PX) for px, py in points]
    # A line is thin: its overlap area is small, so it is weighted up to count like a point's.
    lines = [box for box in avoid if min(box.width, box.height) < 2 * POINT_RADIUS_PX]
    solid = [box for box in avoid if min(box.width, box.height) >= 2 * POINT_RADIUS_PX]
    placed: list[Bbox] = []
    for label, (px, py) in zip(labels, points, strict=True):
        probe = ax.text(0, 0, label.text, fontsize=fontsize, fontweight="bold" if label.bold else "normal")
        extent = probe.get_window_extent(renderer)
        probe.remove()
        width, height = extent.width, extent.height
        best: tuple[float, Bbox, float, float, float, float] | None = None
        for ring in RINGS_PT:
            for dx, dy in _directions():
                ox, oy = dx * ring, dy * ring
                # Anchor the text on the side that faces away from the point.
                left = px + ox * to_px - (width if dx < -0.3 else width / 2 if abs(dx) <= 0.3 else 0)
                bottom = py + oy * to_px - (height if dy < -0.3 else height / 2 if abs(dy) <= 0.3 else 0)
                box = Bbox.from_bounds(left, bottom, width, height)
                # A gap of a few pixels, so two labels never read as one. Near the point, a spot nearer to
                # another point costs extra; farther, the leader line ties the label to its point.
                unclear = AMBIGUOUS_COST * _ambiguous(box, (px, py), points) if ring < LEADER_FROM_PT else 0.0
                cost = (_overlap(box.padded(GAP_PX), placed) + _overlap(box, markers) + _overlap(box, solid)
                        + LINE_WEIGHT * _overlap(box, lines) + 4 * _outside(box, axes_box) + unclear)
                if best is None or cost < best[0] - 1e-9:
                    best = (cost, box, ox, oy, dx, dy)
                if cost == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        _, box, ox, oy, dx, dy = best
        placed.append(box)
        # From this far a leader line ties the label to its point; nearer, an ambiguous spot costs extra.
        far = np.hypot(ox, oy) >= LEADER_FROM_PT
        ax.annotate(label.text, xy=(label.x, label.y), xytext=(ox, oy), textcoords="offset points",
                    ha="right" if dx < -0.3 else "center" if abs(dx) <= 0.3 else "left",
                    va="top" if dy < -0.3 else "center" if abs(dy) <= 0.3 else "bottom",
                    fontsize=fontsize, color=label.colour, fontweight="bold" if label.bold else "normal",
                    arrowprops={"arrowstyle": "-", "color": "#9A9A9A", "linewidth": 0.6, "shrinkA": 0,
                                "shrinkB": 4} if far else None,
                    gid=f"{gid_prefix}:{label.key or label.text}", zorder=7, annotation_clip=False,
                    in_layout=False)  # the layout was settled before the spots were chosen; keep it


def _ambiguous(box: Bbox, own: tuple[float, float], points: np.ndarray) -> int:
    """1 when another point lies nearer to the label's box than the label's own point does."""
    if len(points) < 2:
        return 0
    dx = np.maximum(np.maximum(box.x0 - points[:, 0], points[:, 0] - box.x1), 0.0)
    dy = np.maximum(np.maximum(box.y0 - points[:, 1], points[:, 1] - box.y1), 0.0)
    distance = np.hypot(dx, dy)
    mine = np.hypot(max(box.x0 - own[0], own[0] - box.x1, 0.0), max(box.y0 - own[1], own[1] - box.y1, 0.0))
    # Points drawn at the same spot are one marker: neither label is the other's.
    same = np.hypot(points[:, 0] - own[0], points[:, 1] - own[1]) < 1.0
    return int(bool(np.any((distance < mine - 1.0) & ~same)))


def _overlap(box: Bbox, others: Sequence[Bbox]) -> float:
    total = 0.0
    for other in others:
        w = min(box.x1, other.x1) - max(box.x0, other.x0)
        h = min(box.y1, other.y1) - max(box.y0, other.y0)
        if w > 0 and h > 0:
            total += w * h
    return total


def _outside(box: Bbox, axes_box: Bbox) -> float:
    inside_w = max(0.0, min(box.x1, axes_box.x1) - max(box.x0, axes_box.x0))
    inside_h = max(0.0, min(box.y1, axes_box.y1) - max(box.y0, axes_box.y0))
    return box.width * box.height - inside_w * inside_h


def break_name(name: str, width: int = 28) -> str:
    """A name longer than ``width`` on two lines, broken after the ``_``, ``/``, ``-``, ``.`` or space nearest
    its middle, so it fits an axis without squeezing the plot; joining the lines gives the name back. A
    name with nowhere to break stays on one line.

    >>> break_name("logistic_regression_standardized_default", width=20)
    'logistic_regression_\\nstandardized_default'
    """
    if len(name) <= width:
        return name
    cuts = [m.end() for m in re.finditer(r"[_/\-. ]", name[:-1])]
    if not cuts:
        return name
    cut = min(cuts, key=lambda at: max(at, len(name) - at))
    return name[:cut] + "\n" + name[cut:]
