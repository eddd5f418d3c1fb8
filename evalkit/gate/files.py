"""The gate's file I/O: finding and reading a run's ``metrics.json``, writing outputs atomically.

These mirror ``evalkit.results.read_record`` and ``atomic_write`` on purpose: importing
evalkit.results loads the runner and scikit-learn (about 2 s), while the gate only moves JSON and
text, and a CI gate should answer in a fraction of a second. Keep them in step with evalkit.results.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from evalkit.errors import DataError

METRICS_FILE = "metrics.json"  # evalkit.results.METRICS_FILE
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
    """A run's ``metrics.json`` (``path`` is the run directory or the file), or a DataError saying why not."""
    if path.is_dir():
        path = path / METRICS_FILE
    if not path.is_file():
        raise DataError(f"{path}: not found; point at a run directory that holds {METRICS_FILE} "
                        "(or use 'latest')")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); re-run the experiment to rewrite it") from None
    if not isinstance(record, dict) or not isinstance(record.get("entries"), list):
        raise DataError(f"{path}: not an evalkit {METRICS_FILE} (no 'entries' list); re-run the experiment")
    return record


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so readers see the old file or the new one, never half of one (readable: 0644)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; a reference is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append(path: Path, text: str) -> None:
    """Append ``text`` (for ``$GITHUB_STEP_SUMMARY``, which the job's other steps write too)."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
