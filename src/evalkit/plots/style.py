"""The look shared by every figure, and deterministic saving.

Colours come from the Okabe–Ito palette, which stays distinguishable under the common forms of
colour blindness; candidates and baselines also differ by something other than colour (hatching,
dashes, marker shape), so the figures survive greyscale printing too.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

# Okabe & Ito (2008), "Color Universal Design".
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
GREY, LIGHT_GREY, DARK_GREY = "#8C8C8C", "#D9D9D9", "#4D4D4D"

CANDIDATE = BLUE
BEST = ORANGE
BASELINE = LIGHT_GREY
HUMAN = PURPLE
HUMAN_LIGHT = "#EBC7DB"  # the human colour as a bar fill: people's rows match the human-level line
LOWER_BOUND = BLACK
INFEASIBLE_RED = VERMILLION
# Yellow is too pale for thin lines on white, so curve colours skip it.
CURVE_COLOURS = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, BLACK)
BASELINE_CURVE_COLOURS = (DARK_GREY, GREY, BLACK)
BASELINE_MARKERS = ("s", "D", "^", "v", "P", "X", "<", ">")

FORMATS = ("png", "svg")
DPI = 150
SVG_SALT = "evalkit"

BASE_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs on every machine
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.8,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "hatch.linewidth": 0.8,
    "svg.hashsalt": SVG_SALT,
}

# Extra matplotlib styles (names or .mplstyle files) that `evalkit plot --style` layers on top.
_user_styles: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("user_styles", default=())

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def user_styles(styles: Sequence[str]) -> Iterator[None]:
    """Within this block, every figure applies ``styles`` on top of evalkit's own look."""
    token = _user_styles.set(tuple(styles))
    try:
        yield
    finally:
        _user_styles.reset(token)


def active_styles() -> tuple[str, ...]:
    """The user's styles in force here (to hand to another process that draws)."""
    return _user_styles.get()


def styled(draw: Callable[P, R]) -> Callable[P, R]:
    """Decorator: draw under evalkit's rc settings (then the user's styles), whoever calls it.

    Text and line properties are read from rcParams when artists are created, so the style has to
    be active while the figure is built, not only while it is saved.
    """
    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _look():
            return draw(*args, **kwargs)
    return wrapper


# Entry names reach titles, legends and labels: "$...$" in a name must stay text, not become
# mathtext (which renders markup, and raises on invalid markup). Applied after any user style.
NAMES_ARE_TEXT: dict[str, Any] = {"text.parse_math": False}


def _look() -> contextlib.AbstractContextManager[None]:
    return matplotlib.style.context([BASE_RC, *_user_styles.get(), NAMES_ARE_TEXT])


def settle_layout(figure: Figure, max_passes: int = 4) -> None:
    """Run the layout, then freeze it.

    Constrained layout places axis labels from the previous pass, so fixed-aspect panels (PR, ROC,
    confusion matrices) need two or three passes before nothing is clipped; other figures are done
    in one. Freezing means the PNG and the SVG draws reuse the result instead of computing it again.
    """
    engine = figure.get_layout_engine()
    if engine is None or not hasattr(engine, "execute") or type(engine).__name__ == "PlaceHolderLayoutEngine":
        return
    # A colorbar's own fixed box aspect does not need the extra passes; its parent panels decide.
    fixed_aspect = any(ax.get_box_aspect() is not None or ax.get_aspect() != "auto"
                       for ax in figure.axes if not hasattr(ax, "_colorbar"))
    before = None
    for _ in range(max_passes if fixed_aspect else 1):
        engine.execute(figure)
        positions = [tuple(np.round(ax.get_position().bounds, 5)) for ax in figure.axes]
        if positions == before:
            break
        before = positions
    figure.set_layout_engine("none")


def save_figure(figure: Figure, stem: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Save ``figure`` as ``stem.png`` and ``stem.svg``; the same figure always gives the same bytes.

    The date and software stamps are dropped and the SVG id salt is fixed, because those are the
    only parts of matplotlib's output that change between otherwise identical runs. Each file is
    written to a temporary name and renamed, so readers never see half a figure.
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    written = []
    # Drawn under the same look as built: tick labels are created while drawing, from rcParams.
    with _look():
        settle_layout(figure)
        canvas.draw()  # the PNG comes straight from this raster: no second draw for savefig
        for fmt in formats:
            path = stem.with_suffix(f".{fmt}")
            # Unique per process, and removed if interrupted: two writers never share a temporary file.
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                if fmt == "png":
                    _write_png(tmp, np.asarray(canvas.buffer_rgba()), figure.dpi)
                else:
                    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
                        figure.savefig(tmp, format=fmt, metadata={"Date": None, "Creator": None})
                tmp.replace(path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            written.append(path)
    return written


def _write_png(path: Path, rgba: np.ndarray, dpi: float) -> None:
    """The raster as PNG: RGB when it is opaque (smaller, and faster to compress), no date or software
    stamp, so the same figure always gives the same bytes."""
    image = Image.fromarray(rgba)  # (height, width, 4) uint8: RGBA
    if rgba[..., 3].min() == 255:
        image = image.convert("RGB")
    image.save(path, format="png", dpi=(dpi, dpi))


@dataclass(frozen=True)
class EntryLook:
    """How one entry is drawn as a line and a point, the same in every figure."""

    colour: str
    linestyle: str
    marker: str


def entry_looks(entries: Sequence[dict[str, Any]]) -> dict[str, EntryLook]:
    """Stable looks by leaderboard order: candidates solid in palette colours, baselines dashed in greys."""
    looks: dict[str, EntryLook] = {}
    n_candidates = n_baselines = 0
    for entry in entries:
        if entry["role"] == "candidate":
            looks[entry["name"]] = EntryLook(CURVE_COLOURS[n_candidates % len(CURVE_COLOURS)], "-", "o")
            n_candidates += 1
        else:
            colour = BASELINE_CURVE_COLOURS[n_baselines % len(BASELINE_CURVE_COLOURS)]
            marker = BASELINE_MARKERS[n_baselines % len(BASELINE_MARKERS)]
            looks[entry["name"]] = EntryLook(colour, "--", marker)
            n_baselines += 1
    return looks


def new_figure(width: float, height: float) -> Figure:
    """A Figure outside pyplot: nothing global to close, safe in threads and long-lived processes."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # a real renderer, so text sizes can be measured before saving (label placement)
    return figure
