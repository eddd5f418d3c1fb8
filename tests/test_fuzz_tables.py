"""Fuzzing the tables: a mutated truth, predictions or panel file is refused cleanly or scored right.

Each example builds a small valid experiment (binary or multiclass, ids and labels that pandas would
misread: ``NA``, ``None``, ``001``; a predictions file; a three-person panel), damages one file (drops,
repeats or renames a column; writes NaN, inf, text, huge numbers, NA-like strings, spaces or an empty
cell; repeats, drops or invents rows; empties the file) and runs it as ``evalkit run`` does
(``run_experiment_file``). The run must either fail as the error contract says (exit 2, exactly one line
on stderr, no traceback, no metrics.json) or succeed with the numbers scikit-learn gives on the same data,
parsed here independently with the standard ``csv`` module and the rules the README states (text as
written, spaces stripped, only an empty cell missing, an integral ``1.0`` is ``1``; annotator names
exactly).

Figures are not drawn (``render_run`` is replaced): they are not what this test checks, and drawing would
make each example several times slower. Examples are bounded so the file stays well under 60 s."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from tests.conftest import run_experiment_file

N_ITEMS = 12
ANNOTATORS = [("ann", "bob", "cy"), ("1", "1.0", "NA")]
ID_POOLS = [
    [str(i) for i in range(N_ITEMS)],
    [f"{i:03d}" for i in range(N_ITEMS)],
    ["NA", "None", "nan", "null", "#N/A", "n/a", "007", "7x", "a b", "-", "TRUE", "0x1"],
]
LABELS = {"binary": [("0", "1"), ("ok", "NA"), ("02", "01"), ("no", "None")],
          "multiclass": [("cat", "dog", "NA"), ("1", "2", "10"), ("a", "None", "nan")]}
# Cell values that break (or pretend to be) numbers, missing values and ids.
ODD_CELLS = ["", " ", "NaN", "nan", "NA", "None", "null", "inf", "-inf", "1e400", "-1", "2", "1.5",
             "99999999999999999999", "1e-320", " 0.5 ", "abc", "0", "1", "1.0", "01", "0.0", "-0.0"]
MUTATIONS = ["none", "drop_column", "repeat_column", "rename_column", "odd_cell", "repeat_row", "drop_row",
             "unknown_id", "pad_cell", "empty_file", "header_only", "shuffle_rows", "extra_column"]


@dataclass
class Experiment:
    task: str
    ids: list[str]
    classes: tuple[str, ...]
    positive: str | None
    files: dict[str, list[list[str]] | str] = field(default_factory=dict)


def _key(text: str) -> str:
    """The README's matching rule for ids and labels, written independently of evalkit."""
    text = text.strip()
    match = re.fullmatch(r"([+-]?\d+)\.0+", text)
    return match.group(1) if match else text


@st.composite
def experiments(draw: st.DrawFn) -> Experiment:
    task = draw(st.sampled_from(["binary", "multiclass"]))
    classes = draw(st.sampled_from(LABELS[task]))
    ids = draw(st.sampled_from(ID_POOLS))
    truth = [classes[i % len(classes)] for i in range(N_ITEMS)]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    exp = Experiment(task, ids, classes, classes[1] if task == "binary" else None)
    exp.files["truth.csv"] = [["id", "label"], *([i, y] for i, y in zip(ids, truth, strict=True))]
    exp.files["preds/model.csv"] = _predictions(task, classes, ids, truth, rng,
                                                draw(st.sampled_from(["label", "score", "both"])))
    names = draw(st.sampled_from(ANNOTATORS))
    panel = [["id", "annotator", "label"]]
    for name in names:
        panel += [[i, name, y if rng.random() < 0.8 else classes[(classes.index(y) + 1) % len(classes)]]
                  for i, y in zip(ids, truth, strict=True)]
    exp.files["panel.csv"] = panel
    target = draw(st.sampled_from(sorted(exp.files)))
    exp.files[target] = _mutate(draw, exp.files[target], draw(st.sampled_from(MUTATIONS)))
    return exp


def _predictions(task: str, classes: tuple[str, ...], ids: list[str], truth: list[str],
                 rng: np.random.Generator, layout: str) -> list[list[str]]:
    right = rng.random(N_ITEMS) < 0.75
    if task == "binary":
        positive = np.array([y == classes[1] for y in truth]) == right
        scores = np.where(positive, rng.uniform(0.5, 1, N_ITEMS), rng.uniform(0, 0.5, N_ITEMS)).round(3)
        with_label, with_score = layout != "score", layout != "label"
        header = ["id"] + ["label"] * with_label + ["score"] * with_score
        rows = [[i] + [classes[int(p)]] * with_label + [f"{s}"] * with_score
                for i, p, s in zip(ids, positive, scores, strict=True)]
        return [header, *rows]
    predicted = [y if ok else classes[(classes.index(y) + 1) % 3] for y, ok in zip(truth, right, strict=True)]
    if layout == "label":
        return [["id", "label"], *([i, p] for i, p in zip(ids, predicted, strict=True))]
    header = ["id"] + [f"score_{c}" for c in classes] + (["label"] if layout == "both" else [])
    rows = []
    for i, p in zip(ids, predicted, strict=True):
        probs = {c: ("0.7" if c == p else None) for c in classes}
        rest = [c for c in classes if c != p]
        probs[rest[0]], probs[rest[1]] = "0.2", "0.1"
        rows.append([i, *(probs[c] for c in classes)] + ([p] if layout == "both" else []))
    return [header, *rows]


def _mutate(draw: st.DrawFn, rows: list[list[str]], kind: str) -> list[list[str]] | str:
    rows = [list(r) for r in rows]
    width, height = len(rows[0]), len(rows)
    col = draw(st.integers(0, width - 1))
    row = draw(st.integers(1, height - 1))
    if kind == "drop_column":
        return [r[:col] + r[col + 1:] for r in rows]
    if kind == "repeat_column":
        return [[*r, r[col] if k == 0 else draw(st.sampled_from([*ODD_CELLS[:3], r[col]]))]
                for k, r in enumerate(rows)]
    if kind == "rename_column":
        rows[0][col] = draw(st.sampled_from(["", "ID", "label ", " score", "x", "score_other", "NA"]))
    elif kind == "odd_cell":
        rows[row][col] = draw(st.sampled_from(ODD_CELLS))
    elif kind == "pad_cell":
        rows[row][col] = f"  {rows[row][col]}\t"
    elif kind == "repeat_row":
        rows.append(list(rows[row]))
    elif kind == "drop_row":
        del rows[row]
    elif kind == "unknown_id":
        rows[row][0] = draw(st.sampled_from(["9999", "0001", "1.0", "nan", "zz", rows[row][0] + " x"]))
    elif kind == "empty_file":
        return draw(st.sampled_from(["", "\n", "   \n"]))
    elif kind == "header_only":
        return rows[:1]
    elif kind == "shuffle_rows":
        body = rows[1:]
        order = draw(st.permutations(range(len(body))))
        return [rows[0], *(body[k] for k in order)]
    elif kind == "extra_column":
        return [r + (["note"] if k == 0 else [draw(st.sampled_from(ODD_CELLS))]) for k, r in enumerate(rows)]
    return rows


def _write(root: Path, exp: Experiment) -> None:
    for name, content in exp.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else "\n".join(",".join(r) for r in content) + "\n"
        path.write_text(text)
    data: dict[str, Any] = {"path": "truth.csv"}
    if exp.positive is not None:
        data["positive_label"] = int(exp.positive) if exp.positive == "1" else exp.positive
    config = {"task": exp.task, "data": data,
              "candidates": {"model": {"predictions": "preds/model.csv"}},
              "baselines": {"panel": {"kind": "human", "path": "panel.csv", "min_items": 3}},
              "strategy": {"name": "average", "metrics": ["accuracy"]}, "bootstrap": {"resamples": 0}}
    (root / "exp.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


# --- the independent reading: what a correct run must have computed ------------------------------------


def _table(path: Path) -> list[dict[str, str]]:
    """Rows as dicts of stripped text (the first column of a name wins; short rows padded with '')."""
    lines = [r for r in csv.reader(io.StringIO(path.read_text())) if r]
    header = lines[0]
    assert len(set(header) - {""}) == len([h for h in header if h]), "a repeated column was accepted"
    out = []
    for r in lines[1:]:
        assert len(r) <= len(header), "a row longer than the header was accepted"
        cells = r + [""] * (len(header) - len(r))
        row: dict[str, str] = {}
        for name, cell in zip(header, cells, strict=True):
            row.setdefault(name, cell.strip())
        out.append(row)
    return out


def _number(text: str) -> float:
    value = float(text)  # raises on text: a run that accepted it is wrong
    assert np.isfinite(value), f"a non-finite number {text!r} was accepted"
    return value


def _natural(key: str) -> tuple[int, float, str]:
    """Numbers by value, then text; 'nan' is text."""
    try:
        number = float(key)
    except ValueError:
        return (1, 0.0, key)
    return (1, 0.0, key) if np.isnan(number) else (0, number, key)


def expected(root: Path, exp: Experiment) -> dict[str, Any]:
    truth_rows = _table(root / "truth.csv")
    truth = {_key(r["id"]): _key(r["label"]) for r in truth_rows}
    assert len(truth) == len(truth_rows) and all(truth) and all(truth.values())
    ids = list(truth)
    y = [truth[i] for i in ids]
    classes = sorted(set(y), key=_natural)
    preds = {_key(r["id"]): r for r in _table(root / "preds/model.csv")}
    assert set(preds) == set(ids)
    rows = [preds[i] for i in ids]
    out: dict[str, Any] = {"task": exp.task}
    scores = None
    if exp.task == "binary":
        assert exp.positive is not None
        if "score" in rows[0]:
            scores = np.array([_number(r["score"]) for r in rows])
            assert ((scores >= 0) & (scores <= 1)).all()
        if "label" in rows[0]:
            labels = [_key(r["label"]) for r in rows]
        else:
            assert scores is not None
            negative = next(c for c in classes if c != exp.positive)
            labels = [exp.positive if s >= 0.5 else negative for s in scores]
        binary_y = [int(v == exp.positive) for v in y]
        binary_p = [int(v == exp.positive) for v in labels]
        f1 = f1_score(binary_y, binary_p, zero_division=np.nan)
        out["f1"] = None if np.isnan(f1) else f1
        if scores is not None:
            out["roc_auc"] = roc_auc_score(binary_y, scores) if len(set(binary_y)) == 2 else None
    else:
        columns = [f"score_{c}" for c in classes]
        matrix = None
        if all(c in rows[0] for c in columns):
            matrix = np.array([[_number(r[c]) for c in columns] for r in rows])
            assert ((matrix >= 0) & (matrix <= 1)).all() and np.allclose(matrix.sum(axis=1), 1, atol=1e-6)
        if "label" in rows[0]:
            labels = [_key(r["label"]) for r in rows]
        else:
            assert matrix is not None, "a predictions file without labels or every score column was accepted"
            labels = [classes[int(np.argmax(row))] for row in matrix]
    assert set(labels) <= set(classes), "a label outside the truth's label set was accepted"
    out["accuracy"] = accuracy_score(y, labels)
    annotators: dict[str, list[bool]] = {}
    for r in _table(root / "panel.csv"):
        item = _key(r["id"])
        if item in truth:
            annotators.setdefault(r["annotator"], []).append(_key(r["label"]) == truth[item])
    out["annotators"] = {name: float(np.mean(hits)) for name, hits in annotators.items()}
    return out


# A longer search: EVALKIT_FUZZ_EXAMPLES=500 python -m pytest tests/test_fuzz_tables.py
@settings(max_examples=int(os.environ.get("EVALKIT_FUZZ_EXAMPLES", "15")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(exp=experiments())
def test_a_mutated_table_is_refused_cleanly_or_scored_like_sklearn(exp, tmp_path_factory, monkeypatch):
    import evalkit.run_folder

    monkeypatch.setattr(evalkit.run_folder, "render_run", lambda *args, **kwargs: [])
    root = tmp_path_factory.mktemp("fuzz")
    _write(root, exp)
    run_dir = root / "out"
    result = run_experiment_file(root / "exp.yaml", run_dir)
    assert result.code in (0, 2), result.stderr
    event(f"exit {result.code}")
    if result.code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("evalkit: error: "), result.stderr
        assert "Traceback" not in result.stderr
        assert not (run_dir / "metrics.json").exists()
        return
    record = json.loads((run_dir / "metrics.json").read_text())
    want = expected(root, exp)
    model = next(e for e in record["entries"] if e["name"] == "model")["metrics"]
    assert model["accuracy"] == pytest.approx(want["accuracy"], abs=1e-12)
    for metric in ("f1", "roc_auc"):
        if metric in want:
            assert model[metric] == (None if want[metric] is None else pytest.approx(want[metric], abs=1e-12))
    panel = next(e for e in record["entries"] if e["name"] == "panel/mean_annotator")
    got = {name: a["metrics"]["accuracy"] for name, a in panel["annotators"].items()}
    assert got == pytest.approx(want["annotators"], abs=1e-12)
