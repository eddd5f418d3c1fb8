"""The vectorised key functions give exactly what the per-cell Python code gives, cell for cell.

They replaced a Python call per cell for million-row files; these tests compare them with the plain
Python rule they stand for (``str.strip``, the zero-fraction regex, ``str(int)``, a dict lookup) on
small arrays that hold the awkward cases: Unicode spaces Python strips, characters it does not, empty
cells, lone surrogates that pyarrow cannot take, ids out of order, missing and repeated.
"""

from __future__ import annotations

import hashlib
import re
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import text_keys
from evalkit.evalset import EvalSet, as_keys, key_array, label_fingerprint
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


def test_the_characters_stripped_are_exactly_those_python_calls_space():
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert sorted(text_keys.PYTHON_SPACES) == sorted(every)


def test_arrow_keys_integer_keys_and_object_keys_are_looked_up_alike():
    known_text = [str(i) for i in np.random.default_rng(1).permutation(1500)] + ["007", "x"]
    lookup = {k: i for i, k in enumerate(known_text)}
    for known in (objects(known_text), pa.array(known_text), pd.array(known_text, dtype="str")):
        index = text_keys.KeyIndex(known)
        text = ["7", "007", "x", "1499", "1500", " 7", "+7"]
        expected = [lookup.get(k, -1) for k in text]
        assert index.positions(pa.array(text)).tolist() == expected
        assert index.positions(objects(text)).tolist() == expected
        numbers = np.array([7, 1499, 1500, -1])  # integers stand for their decimal text
        assert index.positions(numbers).tolist() == [lookup.get(str(k), -1) for k in numbers]
    plain = text_keys.KeyIndex(pa.array([str(i) for i in range(2000)]))
    assert plain.by_number  # plainly written integer ids are matched as numbers
    assert plain.positions(pa.array(["07", "7", "7.0"])).tolist() == [-1, 7, -1]


def test_repeated_keys_are_found_in_every_form():
    cells = ["b", "a", "b", "c", "a"]
    expected = pd.Series(cells).duplicated().tolist()
    assert text_keys.duplicated(pa.array(cells)).tolist() == expected
    assert text_keys.duplicated(objects(cells)).tolist() == expected
    assert text_keys.duplicated(np.array([5, 3, 5, 9, 3])).tolist() == expected
    assert text_keys.duplicated(pa.array(["5", "3", "5", "9", "3"])).tolist() == expected
    assert not text_keys.duplicated(np.array([3, 1, 2, 7])).any()  # counted, not sorted


def test_label_fingerprint_of_arrow_ids_is_the_python_text_hash():
    ids, y, classes = ["a", "b\u00e9", "10", " 1"], np.array([0, 1, 1, 0]), ("neg", "pos")
    text = "".join(f"{i}\t{classes[c]}\n" for i, c in zip(ids, y, strict=True))
    expected = hashlib.sha256(text.encode()).hexdigest()
    for held in (objects(ids), key_array(pa.array(ids)), key_array(pa.array(ids))[:4]):
        assert label_fingerprint(EvalSet("binary", held, y, classes, "t")) == expected
    sliced = key_array(pa.array(["z", *ids]))[1:]  # a view with an offset into the text buffer
    assert label_fingerprint(EvalSet("binary", sliced, y, classes, "t")) == expected


def test_arrow_text_columns_hold_the_same_text_with_blanks_missing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,label,x\n001, NA ,1.5\n"a,b",,2\n1.0,"multi\nline",3\n')
    table = read_table(path, what="truth", text_columns=["id", "label"], arrow_text=True)
    assert table["id"].dtype == "str" and table["label"].dtype == "str"
    assert table["id"].tolist() == ["001", "a,b", "1.0"]
    assert table["label"].isna().tolist() == [False, True, False]
    assert table["label"].dropna().tolist() == ["NA", "multi\nline"]
