"""Reading tabular input files (CSV or Parquet) with errors that name the file and the fix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit.errors import DataError

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def read_table(path: Path, *, what: str) -> pd.DataFrame:
    """Read a CSV or Parquet file; ``what`` says what the file is for (used in messages).

    Raises :class:`DataError` for a missing, empty, unreadable or unsupported file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file not found: {path} (check the path; relative paths resolve "
                        "against the experiment file's directory)")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(f"{path}: unsupported {what} file type '{suffix}'; use .csv or .parquet")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the {what} file is empty; it needs a header row and at least one row")
    try:
        table = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except ImportError as exc:
        raise DataError(f"{path}: reading Parquet needs pyarrow; install it with "
                        f"`pip install 'evalkit[parquet]'` ({exc})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        raise DataError(f"{path}: cannot read the {what} file: {str(exc).splitlines()[0]}") from None
    if table.empty:
        raise DataError(f"{path}: the {what} file has a header but no rows")
    return table


def require_columns(table: pd.DataFrame, columns: list[str], *, path: Path | str, what: str,
                    hint: str = "") -> None:
    """Fail with one message listing every required column that ``table`` lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        present = ", ".join(map(str, table.columns[:12]))
        raise DataError(f"{path}: the {what} file has no column {names} (columns present: {present})"
                        + (f"; {hint}" if hint else ""))
