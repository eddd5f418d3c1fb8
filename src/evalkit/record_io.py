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
# Deeper than any file evalkit writes (metrics.json nests about 6 levels), shallow enough that code
# walking the document recursively can never hit Python's recursion limit.
MAX_JSON_DEPTH = 64


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write ``text`` (str or bytes) to ``path``: readers see the old file or the new, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        binary = isinstance(text, bytes)
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as handle:
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
    record = parse_json(text, source=str(path), hint="re-run the experiment to rewrite it")
    if not isinstance(record, dict) or not isinstance(record.get("entries"), list):
        raise DataError(f"{path}: not an evalkit {METRICS_FILE} (no 'entries' list); re-run the experiment")
    return record


def parse_json(text: str, *, source: str, hint: str) -> Any:
    """``text`` as plain JSON data, or a DataError naming ``source`` and ending with ``hint``.

    Plain: no interpolation or resolution of any kind (``${...}`` stays a string). Besides malformed
    JSON, refuses what would crash a reader later: nesting deeper than :data:`MAX_JSON_DEPTH` and
    integers too large for a float (a 5000-digit number cannot even be converted to text).
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                        f"{hint}") from None
    except ValueError:  # Python refuses integers of more than 4300 digits
        raise DataError(f"{source}: holds an integer too long to read (over 4300 digits); {hint}") from None
    except RecursionError:
        raise DataError(f"{source}: nested too deeply to read (more than {MAX_JSON_DEPTH} levels); "
                        f"{hint}") from None
    _check_plain(doc, source=source, hint=hint)
    return doc


def _check_plain(doc: Any, *, source: str, hint: str) -> None:
    # Iterative, so the check itself cannot overflow the stack it protects.
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise DataError(f"{source}: nested too deeply at {where or 'the top'} (more than "
                            f"{MAX_JSON_DEPTH} levels); {hint}")
        if isinstance(value, dict):
            stack += [(v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1023:
            raise DataError(f"{source}: {where or 'the document'} is an integer of {value.bit_length()} "
                            f"bits, too large for a number; {hint}")
