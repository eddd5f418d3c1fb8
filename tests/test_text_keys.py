"""The vectorised key functions give exactly what the per-cell Python code gives, cell for cell.

They replaced a Python call per cell for million-row files; these tests compare them with the plain
Python rule they stand for (``str.strip``, the zero-fraction regex, ``str(int)``, a dict lookup) on
small arrays that hold the awkward cases: Unicode spaces Python strips, characters it does not, empty
cells, lone surrogates that pyarrow cannot take, ids out of order, missing and repeated.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import text_keys
from evalkit.evalset import as_keys
from evalkit.tables import read_table

AWKWARD = [" a", "b\t", "\u3000c\u3000", "\u00a0d", "e\x1f", "\x1cf", "", "   ", "x", "1.0", "-3.00",
           "10", "1.05", "x.0", "+7.0", "\u0661.0", "0", "NA"]


def python_key(text: str) -> str:
    stripped = text.strip()
    match = re.match(r"^([+-]?\d+)\.0+$", stripped)
    return match.group(1) if match else stripped


def objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def test_strip_and_zero_fraction_equal_python_on_awkward_text():
    values = objects(AWKWARD)
    assert text_keys.strip_text(values).tolist() == [v.strip() for v in AWKWARD]
    assert as_keys(values).tolist() == [python_key(v) for v in AWKWARD]


def test_text_pyarrow_cannot_take_falls_back_to_python():
    values = objects([" \ud800 ", "1.0 "])  # a lone surrogate cannot be UTF-8
    assert text_keys.strip_text(values).tolist() == ["\ud800", "1.0"]
    assert as_keys(values).tolist() == ["\ud800", "1"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list(" \t\u3000\u00a0\x1f.0123+-ab")), max_size=6),
                min_size=1, max_size=30))
def test_keys_equal_the_per_cell_rule_on_any_text(cells):
    assert as_keys(objects(cells)).tolist() == [python_key(c) for c in cells]


def test_integer_ids_are_their_decimal_text():
    values = np.array([0, 7, -12, 2**62], dtype=np.int64)
    assert as_keys(values).tolist() == [str(int(v)) for v in values]
    assert as_keys(pd.Series(values)).tolist() == [str(int(v)) for v in values]
    # a nullable integer column keeps the per-cell path (its missing cell is not a number)
    assert as_keys(pd.Series([1, None], dtype="Int64")).tolist()[0] == "1"


def test_positions_and_duplicates_equal_a_dict_lookup():
    known = objects(["b", "a", "c"])
    keys = objects(["c", "z", "a", "a", "b"])
    lookup = {k: i for i, k in enumerate(known)}
    assert text_keys.positions(keys, known).tolist() == [lookup.get(k, -1) for k in keys]
    assert text_keys.positions(known, known).tolist() == [0, 1, 2]
    assert text_keys.duplicated(keys).tolist() == [False, False, False, True, False]


def test_plain_integer_ids_are_looked_up_by_number_and_no_other_spelling_matches():
    rng = np.random.default_rng(0)
    for step in (1, 1000):  # dense ids (a direct-address table) and sparse ones (a sorted search)
        known = objects([str(step * i) for i in rng.permutation(3000)])
        lookup = {k: i for i, k in enumerate(known)}
        plain = objects([str(step * 2999), "0", str(step * 3000), "-1", str(step * 17), "5"])
        spelled = objects(["0017", "17", "+17", "17.0", " 17", "17"])  # other spellings: the text path
        for keys in (plain, spelled):
            assert text_keys.positions(keys, known).tolist() == [lookup.get(k, -1) for k in keys]


def test_csv_text_columns_are_read_as_written_with_blanks_missing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,label,x\n001, NA ,1.5\n"a,b",,2\n1.0,"multi\nline",3\n')
    table = read_table(path, what="truth", text_columns=["id", "label"])
    assert table["id"].tolist() == ["001", "a,b", "1.0"]
    assert table["label"].tolist() == ["NA", None, "multi\nline"]
    assert table["x"].tolist() == [1.5, 2.0, 3.0]
