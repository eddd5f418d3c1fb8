"""A run folder is either complete or visibly incomplete.

``metrics.json`` marks a complete run (``evalkit gate latest`` picks the newest one), so it is
written last, after the curve data, ``leaderboard.csv``, the figures and both reports. Before
writing, the files an earlier run left in the same folder are removed, ``metrics.json`` first: a
run killed while writing leaves no completion mark beside a mix of old and new files. Only
evalkit's own output names are removed, never anything else a user keeps there.

One process writes into a folder at a time (a lock file, :func:`exclusive`); a second run into the
same folder is refused with a message instead of interleaving its files with the first one's.
A run that fails leaves no folder holding nothing but Hydra's bookkeeping (:func:`remove_if_unused`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.plots.render import (
    CURVES_FILE,
    FIGURES,
    PLOTS_DIR,
    REPORT_HTML,
    REPORT_MD,
    DrawnFigure,
    render_run,
    save_curves,
)
from evalkit.record_io import METRICS_FILE, atomic_write
from evalkit.resamples_file import RESAMPLES_FILE
from evalkit.results import leaderboard_csv, learning_curve_csv, metrics_json

try:
    import fcntl
except ImportError:  # Windows: the lock is the file's existence (see exclusive)
    fcntl = None  # type: ignore[assignment]

LEADERBOARD_FILE = "leaderboard.csv"
LEARNING_CURVE_FILE = "learning_curve.csv"
LABEL_REVIEW_FILE = "label_review.csv"  # evalkit.label_review.review.CSV_FILE, without importing it here
LOCK_FILE = ".evalkit.lock"
# metrics.json first: from the moment clearing starts, the folder no longer claims to be complete.
OUTPUT_FILES = (METRICS_FILE, LEADERBOARD_FILE, REPORT_MD, REPORT_HTML, CURVES_FILE, RESAMPLES_FILE,
                LEARNING_CURVE_FILE, LABEL_REVIEW_FILE)
FIGURE_SUFFIXES = (".png", ".svg")
HYDRA_CONFIG_FILES = frozenset({"config.yaml", "hydra.yaml", "overrides.yaml"})


class FolderBusy(EvalkitError):
    """Another evalkit process holds the run folder's lock."""


@contextlib.contextmanager
def exclusive(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock while a run computes and writes there; refuse if another process holds it.

    The lock is an ``flock`` on ``.evalkit.lock``, so it dies with its process (a killed run never
    blocks the next one); the file is removed on the way out. A folder this call had to create is
    removed again if nothing was written into it.
    """
    run_dir = Path(run_dir)
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_FILE
    fd = _acquire(path)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # before closing: whoever waits next sees a fresh file
        os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                run_dir.rmdir()  # only succeeds when empty


def _acquire(path: Path) -> int:
    while True:
        if fcntl is None:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                raise _busy(path, remove_hint=True) from None
        else:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise _busy(path, remove_hint=False) from None
            # The holder we waited for may have removed the file after we opened it: lock the current one.
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return fd


def _busy(path: Path, *, remove_hint: bool) -> FolderBusy:
    try:
        holder = f" (process {int(path.read_text().strip())})"
    except (OSError, ValueError):
        holder = ""
    hint = f"; if no evalkit run is active, delete {path}" if remove_hint else ""
    return FolderBusy(f"{path.parent}: another evalkit run{holder} is writing its results into this folder; "
                      "wait for it to finish or write elsewhere (hydra.run.dir=..., or compare --out)" + hint)


def clear_outputs(run_dir: Path) -> None:
    """Remove the result files an earlier run left in ``run_dir`` (``metrics.json`` first).

    Only evalkit's own names: the files in :data:`OUTPUT_FILES`, ``plots/<figure>.png|svg`` for
    evalkit's figures, and temporary files a killed writer left behind. Anything else stays.
    """
    run_dir = Path(run_dir)
    for name in OUTPUT_FILES:
        (run_dir / name).unlink(missing_ok=True)
    plots = run_dir / PLOTS_DIR
    for spec in FIGURES:
        for suffix in FIGURE_SUFFIXES:
            (plots / f"{spec.name}{suffix}").unlink(missing_ok=True)
    # Temporary files a killed writer left (atomic_write's and save_figure's names); the lock makes
    # sure no live writer owns them.
    leftovers = [run_dir.glob(f".{name}.*tmp") for name in OUTPUT_FILES]
    leftovers += [plots.glob(f".{spec.name}{suffix}.*tmp") for spec in FIGURES for suffix in FIGURE_SUFFIXES]
    for found in leftovers:
        for leftover in found:
            leftover.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        plots.rmdir()  # only when empty: a user's own files in plots/ keep it


def write_run(run_dir: Path, record: dict[str, Any], curves: dict[str, Any] | None,
              resamples: bytes | None = None, *, label_review_csv: str | None = None,
              figures: bool = True) -> list[DrawnFigure]:
    """Write every result file of a run, ``metrics.json`` last, after clearing an earlier run's files.

    ``resamples``: the ``resamples.npz`` bytes (each entry's bootstrap, for ``compare``), if any. The
    caller holds :func:`exclusive`. Returns the figures drawn (or skipped, with the reason).
    """
    run_dir = Path(run_dir)
    clear_outputs(run_dir)
    if curves is not None:
        save_curves(run_dir, curves)
    if resamples is not None:
        atomic_write(run_dir / RESAMPLES_FILE, resamples)
    atomic_write(run_dir / LEADERBOARD_FILE, leaderboard_csv(record))
    points = learning_curve_csv(record)
    if points is not None:
        atomic_write(run_dir / LEARNING_CURVE_FILE, points)
    if label_review_csv is not None:
        atomic_write(run_dir / LABEL_REVIEW_FILE, label_review_csv)
    drawn = render_run(run_dir, record, curves, draw=figures)  # the figures, report.md and report.html
    atomic_write(run_dir / METRICS_FILE, metrics_json(record))
    return drawn


def remove_if_unused(run_dir: Path, *, bookkeeping_dir: str | None = ".hydra",
                     log_file: str | None = None) -> bool:
    """Remove ``run_dir`` if it holds nothing but Hydra's bookkeeping (``.hydra/`` with the composed
    config, the job's log), as after a run that failed before writing anything. Returns whether it did.

    Hydra creates the folder and these files before evalkit runs; left behind, an empty-looking run
    folder would sit among the real ones. A folder with anything else in it is left alone.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir() or run_dir.is_symlink():
        return False
    allowed = {n for n in (bookkeeping_dir, log_file) if n}
    entries = list(run_dir.iterdir())
    if any(p.name not in allowed or p.is_symlink() for p in entries):
        return False
    hydra = run_dir / bookkeeping_dir if bookkeeping_dir else None
    if hydra is not None and hydra.exists() and (
            not hydra.is_dir() or any(p.name not in HYDRA_CONFIG_FILES or not p.is_file() or p.is_symlink()
                                      for p in hydra.iterdir())):
        return False
    try:
        if hydra is not None and hydra.exists():
            for path in hydra.iterdir():
                path.unlink()
            hydra.rmdir()
        if log_file and (run_dir / log_file).is_file():
            (run_dir / log_file).unlink()
        run_dir.rmdir()
    except OSError:
        return False
    return True
