"""Drawing a run's figures and writing its reports: the I/O edge of the plotting code.

``evalkit run`` and ``compare`` call :func:`save_curves` and :func:`render_run` through
:func:`evalkit.run_folder.write_run`, before ``metrics.json`` (which marks a complete run);
``evalkit plot`` calls :func:`render_run` alone, from the saved files, without recomputing anything.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from evalkit.errors import DataError
from evalkit.html_report import html_report
from evalkit.plots import NothingToDraw
from evalkit.plots import record as rec
from evalkit.plots.confusion import confusion_figure
from evalkit.plots.detection import detection_pr_figure, per_class_figure
from evalkit.plots.leaderboard import leaderboard_figure
from evalkit.plots.learning_curves import learning_curve_figure
from evalkit.plots.metric_bars import metrics_figure
from evalkit.plots.reliability import reliability_figure
from evalkit.plots.satisficing import satisficing_figure
from evalkit.plots.score_curves import pr_figure, roc_figure
from evalkit.plots.slices import slices_figure
from evalkit.plots.style import active_styles, save_figure, user_styles
from evalkit.plots.thresholds import threshold_figure
from evalkit.record_io import atomic_write
from evalkit.report import markdown_report
from evalkit.tasks import get_task, task_figures

CURVES_FILE = "curves.json"
PLOTS_DIR = "plots"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"


@dataclass(frozen=True)
class FigureSpec:
    """A figure of the run: its file stem, its caption, how to draw it, and whether it needs curves.json."""

    name: str
    title: str
    draw: Callable[..., Figure]
    needs_curves: bool = False
    applies: Callable[[dict[str, Any]], bool] = lambda record: True


def _task_figure(name: str) -> Callable[[dict[str, Any]], bool]:
    """Applies when the run's task lists the figure among its own (tasks.base.Task.figures)."""
    return lambda record: name in get_task(record["task"]).figures


def _operating_points(record: dict[str, Any]) -> bool:
    """The task draws thresholds and some entry was judged at an operating point (not the fixed default)."""
    return _task_figure("thresholds")(record) and any(
        isinstance(e.get("operating_point"), dict) for e in record["entries"])


def _calibrated(record: dict[str, Any]) -> bool:
    """The task draws reliability diagrams and the run has calibration metrics (``calibration:``)."""
    return _task_figure("reliability")(record) and "ece" in (record.get("metric_definitions") or {})


def _imported(target: str) -> Callable[..., Figure]:
    """The drawing function ``module:function``, imported on the first drawing (a task's figure code is
    loaded only by runs of that task)."""
    def draw(*args: Any) -> Figure:
        module, _, function = target.partition(":")
        drawing: Callable[..., Figure] = getattr(importlib.import_module(module), function)
        return drawing(*args)
    return draw


def _pr_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    draw = detection_pr_figure if get_task(curves["task"]).coco_curves else pr_figure
    return draw(record, curves)


FIGURES = (
    FigureSpec("leaderboard",
               "Leaderboard: the single number per entry, the lower bound and the best candidate",
               leaderboard_figure),
    FigureSpec("satisficing",
               "Constraints: what each candidate gives up, and which ones the constraints rule out",
               satisficing_figure, applies=rec.is_satisficing),
    FigureSpec("metrics", "Every metric per entry", metrics_figure),
    FigureSpec("pr_curves", "Precision–recall curves", _pr_figure, needs_curves=True,
               applies=_task_figure("pr_curves")),
    FigureSpec("roc_curves", "ROC curves", roc_figure, needs_curves=True, applies=_task_figure("roc_curves")),
    FigureSpec("confusion", "Confusion matrices of the best candidate and the strongest baseline",
               confusion_figure, needs_curves=True, applies=_task_figure("confusion")),
    FigureSpec("thresholds",
               "Operating point: precision and recall of the best candidate against the threshold",
               threshold_figure, needs_curves=True, applies=_operating_points),
    FigureSpec("reliability",
               "Reliability: how often what the best candidate and the strongest baseline forecast came true",
               reliability_figure, needs_curves=True, applies=_calibrated),
    FigureSpec("per_class_ap",
               "AP per class: where the best candidate is strong and weak, against the baseline",
               per_class_figure, applies=_task_figure("per_class_ap")),
    # then each task's own figures (declared in its registry entry, evalkit/tasks/__init__.py)
    *(FigureSpec(figure.name, figure.title, _imported(figure.draw), needs_curves=True,
                 applies=_task_figure(figure.name)) for figure in task_figures()),
    FigureSpec("slices", "Slices: the score per slice beside the strongest baseline, and the weakest slices",
               slices_figure, applies=lambda record: bool(record.get("slices"))),
    FigureSpec("learning_curves",
               "Learning curves: measured points, fitted curves with their bands, extrapolations and targets",
               learning_curve_figure, applies=lambda record: bool(record.get("learning_curves"))),
)


@dataclass(frozen=True)
class DrawnFigure:
    """One figure's outcome: the files written, or the reason it was skipped (``note``)."""

    name: str
    title: str
    files: tuple[Path, ...] = ()
    note: str | None = None

    @property
    def png(self) -> Path | None:
        return next((f for f in self.files if f.suffix == ".png"), None)


def save_curves(run_dir: Path, curves: dict[str, Any]) -> Path:
    """Write ``curves.json`` atomically (compact: it is data for the plots, not for reading)."""
    path = Path(run_dir) / CURVES_FILE
    atomic_write(path, json.dumps(curves, separators=(",", ":"), allow_nan=False) + "\n")
    return path


def read_curves(run_dir: Path) -> dict[str, Any] | None:
    """The run's curve data, or None for a run that saved none (made before evalkit saved curves)."""
    path = Path(run_dir) / CURVES_FILE
    if not path.is_file():
        return None
    try:
        curves = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); delete it to redraw without curves, or re-run "
                        "the experiment") from None
    if not isinstance(curves, dict) or not isinstance(curves.get("entries"), dict) or "classes" not in curves:
        raise DataError(f"{path}: not an evalkit {CURVES_FILE} (no 'entries'/'classes'); delete it to redraw "
                        "without curves, or re-run the experiment")
    return curves


def draw_figures(record: dict[str, Any], curves: dict[str, Any] | None, out_dir: Path, *,
                 workers: int | None = None) -> list[DrawnFigure]:
    """Draw every figure that applies to the run into ``out_dir`` (PNG and SVG).

    A figure without data is skipped with a note, and any file it left from an earlier drawing is
    removed, so ``plots/`` never shows a figure that the current data does not support.

    Figures are drawn in this process by default. ``workers > 1`` draws them in forked processes
    (each figure's files are the same bytes whichever process draws it); it is opt-in because a run
    has live BLAS/OpenMP and progress-bar threads by then, and forking a threaded process can hang.
    """
    specs = []
    for spec in FIGURES:
        if spec.applies(record):
            specs.append(spec)
        else:
            _remove_stale(out_dir, spec.name)
    styles = active_styles()
    jobs = [(spec.name, record, curves, out_dir, styles) for spec in specs]
    count = min(len(jobs), 1 if workers is None else workers)
    if count <= 1:
        from tqdm.auto import tqdm

        # A million-item run's figures take seconds each on a busy machine: say which one is drawn.
        # tqdm hides itself when stderr is not a terminal (disable=None), so logs and tests stay clean.
        bar = tqdm(jobs, desc="figures", unit="figure", leave=False, disable=None)
        drawn = []
        for job in bar:
            bar.set_postfix_str(job[0], refresh=False)
            drawn.append(_draw_one(*job))
        return drawn
    # fork: the workers start with evalkit and matplotlib already imported (spawning would pay the
    # imports again, which costs more than it saves); they only draw and write their own files.
    with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_draw_one, *zip(*jobs, strict=True)))


def _draw_one(name: str, record: dict[str, Any], curves: dict[str, Any] | None, out_dir: Path,
              styles: tuple[str, ...]) -> DrawnFigure:
    """Draw one figure (in whichever process) and save it, or say why it was skipped."""
    spec = next(s for s in FIGURES if s.name == name)
    if spec.needs_curves and curves is None:
        note = f"this run saved no curve data ({CURVES_FILE}); re-run the experiment to get it"
    else:
        try:
            with user_styles(styles):
                figure = spec.draw(record, curves) if spec.needs_curves else spec.draw(record)
                files = tuple(save_figure(figure, out_dir / spec.name))
            return DrawnFigure(spec.name, spec.title, files)
        except NothingToDraw as reason:
            note = str(reason)
    _remove_stale(out_dir, spec.name)
    return DrawnFigure(spec.name, spec.title, note=note)


def _remove_stale(out_dir: Path, name: str) -> None:
    for path in out_dir.glob(f"{name}.*"):
        path.unlink()


NOT_DRAWN = "not drawn (figures: false); python -m evalkit plot RUN_DIR draws them from the saved data"


def render_run(run_dir: Path, record: dict[str, Any], curves: dict[str, Any] | None, *,
               draw: bool = True) -> list[DrawnFigure]:
    """Draw the figures into ``run_dir/plots`` and write ``report.md`` and ``report.html`` that show them.

    ``draw=False`` (the run's ``figures: false``) lists every figure that applies as not drawn.
    """
    run_dir = Path(run_dir)
    if draw:
        figures = draw_figures(record, curves, run_dir / PLOTS_DIR)
    else:
        figures = [DrawnFigure(s.name, s.title, note=NOT_DRAWN) for s in FIGURES if s.applies(record)]
    pngs = {f.png.relative_to(run_dir).as_posix(): f for f in figures if f.png is not None}
    skipped = [f"{f.name}: {f.note}" for f in figures if f.note]
    markdown = markdown_report(record, figures=[(f.title, path) for path, f in pngs.items()], skipped=skipped,
                               run_dir=run_dir)
    atomic_write(run_dir / REPORT_MD, markdown)
    # The page is report.md rendered, with the figures inlined: one self-contained file.
    images = {path: f.png.read_bytes() for path, f in pngs.items() if f.png is not None}
    title = f"evalkit report — {record.get('best') or 'no best candidate'}"
    atomic_write(run_dir / REPORT_HTML, html_report(markdown, images, title=title))
    return figures
