"""Reading and writing run records (``metrics.json``) and other result files, atomically.

Kept free of heavy imports (no pandas, scikit-learn or the runner) so that commands that only move
JSON, like the CI gate, start in a fraction of a second.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.errors import DataError

METRICS_FILE = "metrics.json"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; results are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def json_safe(value: Any) -> Any:
    """JSON-safe: NaN/inf become null (never a silently invalid file), tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def read_record(path: Path) -> dict[str, Any]:
    """A run's ``metrics.json`` (``path`` is the run directory or the file), or a DataError saying why not."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    if not path.is_file():
        raise DataError(f"{path}: not found; point at a run directory that holds {METRICS_FILE}")
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
