"""The gate's file I/O: finding a run (``latest``), and appending to the CI step summary.

Reading records and writing outputs atomically come from :mod:`evalkit.record_io`, which keeps
the gate free of scikit-learn and the runner, so it answers in a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path

from evalkit.errors import DataError
from evalkit.record_io import METRICS_FILE, atomic_write, read_record

__all__ = ["LATEST", "METRICS_FILE", "append", "read_run", "resolve_run", "write_atomic"]

LATEST = "latest"


def resolve_run(arg: str, results_dir: Path) -> Path:
    """``latest`` becomes the newest complete run under ``results_dir``; anything else is a path."""
    if arg != LATEST:
        return Path(arg)
    runs = [p.parent for p in results_dir.rglob(METRICS_FILE)] if results_dir.is_dir() else []
    if not runs:
        raise DataError(f"{results_dir}/: no run found (no {METRICS_FILE} below it); run `python -m evalkit "
                        "run` first, or pass a run directory instead of 'latest'")
    # metrics.json is written last, so its time is when the run completed; ties go to the later path.
    return max(runs, key=lambda d: ((d / METRICS_FILE).stat().st_mtime_ns, str(d)))


read_run = read_record
write_atomic = atomic_write


def append(path: Path, text: str) -> None:
    """Append ``text`` (for ``$GITHUB_STEP_SUMMARY``, which the job's other steps write too)."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
