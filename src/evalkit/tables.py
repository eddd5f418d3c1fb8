"""Reading tabular input files (CSV or Parquet) with errors that name the file and the fix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit import text_keys
from evalkit.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def read_table(path: Path, *, what: str, text_columns: Collection[str] = (),
               arrow_text: bool = False) -> pd.DataFrame:
    """Read a CSV or Parquet file; ``what`` says what the file is for (used in messages).

    ``text_columns`` (ids, labels, annotator names) are read as text, exactly as written apart from
    surrounding spaces: no number parsing (``001`` stays ``001``) and no missing-value guessing (``NA``,
    ``None``, ``nan`` are names); only an empty cell is missing. Other columns keep pandas' reading.
    Parquet columns keep their types; empty strings in them are missing too.

    Text columns are object columns of ``str`` with None for a missing cell, or, with ``arrow_text``,
    pandas' Arrow-backed ``str`` columns (missing is NaN): no Python object per cell, for callers that
    match keys in bulk (:func:`evalkit.evalset.match_keys`; text pyarrow cannot hold, such as a lone
    surrogate, stays an object column).

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
        if suffix == ".csv":
            _refuse_repeated_columns(path, what)
            # Read again as plain text: pandas' typed reading already turned '001' into 1 and 'NA' into NaN.
            positions = [i for i, c in enumerate(table.columns) if c in set(text_columns)]
            if positions:
                text = _text_columns(path, positions, table.shape)
                for k, i in enumerate(positions):
                    table[table.columns[i]] = _blank_is_missing(text[k], arrow_text)
        else:
            for column in [c for c in table.columns if c in set(text_columns)]:
                if not pd.api.types.is_numeric_dtype(table[column]):
                    table[column] = _blank_is_missing(table[column], arrow_text)
    except ImportError as exc:
        raise DataError(f"{path}: reading it needs pyarrow, an evalkit dependency missing from this "
                        f"environment; reinstall evalkit or `pip install pyarrow` ({exc})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        raise DataError(f"{path}: cannot read the {what} file: {str(exc).splitlines()[0]}") from None
    if table.empty:
        raise DataError(f"{path}: the {what} file has a header but no rows")
    return table


def _text_columns(path: Path, positions: list[int], shape: tuple[int, int]) -> list[pd.Series | pa.Array]:
    """The columns at ``positions`` as written (every cell text, an empty cell ``""``).

    pyarrow's multithreaded reader first (its arrays are kept: no Python object per cell); pandas' C
    reader (slower, a Python string per cell made twice) when pyarrow refuses the file, so that its
    error is the one reported.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = [f"c{i}" for i in range(shape[1])]
        read = pacsv.read_csv(
            path, read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=[names[i] for i in positions],
                column_types={names[i]: pa.string() for i in positions},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
        if read.num_rows == shape[0]:  # else the two readers disagree on what a row is: pandas decides
            return [read.column(k).combine_chunks() for k in range(len(positions))]
    except (ImportError, OSError, ValueError, ArithmeticError, TypeError):
        pass
    text = pd.read_csv(path, usecols=positions, dtype=str, keep_default_na=False)
    return [text.iloc[:, k] for k in range(len(positions))]


def _refuse_repeated_columns(path: Path, what: str) -> None:
    """pandas renames a repeated column ('score', 'score.1') and reads the first: which one is meant?"""
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False).iloc[0].tolist()
    # Unnamed columns ('', as spreadsheet exports leave them) are never read by name, so may repeat.
    repeated = sorted(name for name, count in Counter(header).items() if count > 1 and name.strip())
    if repeated:
        raise DataError(f"{path}: the {what} file names column(s) {repeated[:5]} more than once; keep one "
                        "column of each name")


def _blank_is_missing(column: pd.Series | pa.Array, arrow_text: bool) -> pd.Series:
    """Text cells stripped of surrounding spaces; an empty (or all-space) cell becomes missing.

    An object column of ``str`` with None for missing, or with ``arrow_text`` a pandas ``str`` column.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    index = column.index if isinstance(column, pd.Series) else None
    arrow = text_keys.as_arrow(column)
    if arrow is not None:  # the usual case, vectorised (a million ids in well under a second)
        stripped = text_keys.strip_arrow(arrow)
        stripped = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, stripped.type), stripped)
        if arrow_text:
            return pd.Series(pd.array(stripped, dtype="str"), index=index)
        return pd.Series(stripped.to_numpy(zero_copy_only=False), index=index, dtype=object)
    values = pd.Series(column).astype(object)
    out = np.array([v.strip() if isinstance(v, str) else v for v in values], dtype=object)
    out[np.array([v == "" for v in out], dtype=bool)] = None
    return pd.Series(out, index=index, dtype=object)


def require_columns(table: pd.DataFrame, columns: list[str], *, path: Path | str, what: str,
                    hint: str = "") -> None:
    """Fail with one message listing every required column that ``table`` lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        present = ", ".join(map(str, table.columns[:12]))
        raise DataError(f"{path}: the {what} file has no column {names} (columns present: {present})"
                        + (f"; {hint}" if hint else ""))
