"""The gate's file I/O: finding a run (``latest``), and appending to the CI step summary.

Reading records and writing outputs atomically come from :mod:`evalkit.record_io`, which keeps
the gate free of scikit-learn and the runner, so it answers in a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def read_run(path: Path) -> dict[str, Any]:
    """A run's metrics.json with the shape the checks rely on, or a DataError naming what is wrong.

    Values may still be null or odd (the checks fail closed on them); what is refused here is a
    shape no check could even look at: entries that are not objects with a text name, a name used
    twice, a ``best`` or ``strategy`` of the wrong type.
    """
    record = read_record(path)
    where = Path(path) / METRICS_FILE if Path(path).is_dir() else Path(path)
    hint = "re-run the experiment to rewrite it"
    names: set[str] = set()
    for i, entry in enumerate(record["entries"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise DataError(f"{where}: entries[{i}] is not an object with a text 'name'; {hint}")
        for key, kinds in (("role", (str, type(None))), ("metrics", (dict, type(None))),
                           ("violations", (list, type(None)))):
            if not isinstance(entry.get(key), kinds):
                raise DataError(f"{where}: entries[{i}].{key} has the wrong type "
                                f"({type(entry.get(key)).__name__}); {hint}")
        if not all(isinstance(v, str) for v in entry.get("violations") or []):
            raise DataError(f"{where}: entries[{i}].violations holds a value that is not text; {hint}")
        if entry["name"] in names:
            raise DataError(f"{where}: two entries are named {entry['name']!r}; the gate cannot tell which "
                            f"one to check; {hint}")
        names.add(entry["name"])
    for key, kinds in (("best", (str, type(None))), ("strategy", (dict, type(None))),
                       ("data", (dict, type(None))), ("metric_directions", (dict, type(None))),
                       ("human_level", (dict, type(None)))):
        if not isinstance(record.get(key), kinds):
            raise DataError(f"{where}: '{key}' has the wrong type ({type(record.get(key)).__name__}); {hint}")
    return record


write_atomic = atomic_write


def append(path: Path, text: str) -> None:
    """Append ``text`` (for ``$GITHUB_STEP_SUMMARY``, which the job's other steps write too)."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
