"""A run draws its figures and reports; ``evalkit plot RUN_DIR`` redraws them, byte for byte, from the
saved metrics.json and curves.json alone; bad input is one ``evalkit: error:`` line and exit code 2."""

from __future__ import annotations

import base64
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evalkit.escaping import markdown_text as md
from evalkit.plots import command
from evalkit.plots.render import draw_figures
from tests.conftest import run_cli

FIGURES = ("leaderboard", "satisficing", "metrics", "pr_curves", "roc_curves", "confusion")


def saved_run(demo_run: Path, target: Path, *files: str) -> Path:
    """A run directory holding only ``files`` copied from the demo: nothing else to redraw from."""
    target.mkdir()
    for name in files:
        shutil.copy(demo_run / name, target / name)
    return target


def test_a_run_draws_every_figure_as_png_and_svg_beside_its_curve_data(demo_run):
    names = sorted(p.name for p in (demo_run / "plots").iterdir())
    assert names == sorted(f"{figure}.{ext}" for figure in FIGURES for ext in ("png", "svg"))
    assert (demo_run / "plots" / "leaderboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<dc:date>" not in (demo_run / "plots" / "leaderboard.svg").read_text()  # no timestamp
    curves = json.loads((demo_run / "curves.json").read_text())
    # a mean annotator is an average of people, not one set of predictions: it has no curve
    with_predictions = {e["name"] for e in json.loads((demo_run / "metrics.json").read_text())["entries"]
                        if e["kind"] != "external" and not e["name"].endswith("/mean_annotator")}
    assert set(curves["entries"]) == with_predictions


def test_report_md_states_the_verdict_and_the_tables_then_shows_every_figure(demo_run):
    report = (demo_run / "report.md").read_text()
    record = json.loads((demo_run / "metrics.json").read_text())
    # the verdict (one bold line each) names the lower bound (strongest baseline) and the margin over it
    lines = [f"**{md(line)}**" for line in record["verdict"].splitlines()]
    assert all(line in report for line in lines) and record["strongest_baseline"] in record["verdict"]
    # the answer first (verdict, leaderboard, significance); figures after, for whoever wants to look
    order = [report.index(lines[-1])] + [report.index(heading) for heading in (
        "## Leaderboard", "## Is the best candidate", "## Caveats", "## Figures")]
    assert order == sorted(order)
    for figure in FIGURES:
        assert f"](plots/{figure}.png)" in report


@pytest.mark.figures
def test_plot_redraws_identical_files_from_metrics_and_curves_alone(demo_run, tmp_path):
    run = saved_run(demo_run, tmp_path / "run", "metrics.json", "curves.json")
    result = run_cli("plot", str(run))
    assert result.code == 0, result.stderr
    assert "drew leaderboard" in result.stdout
    for path in [*(demo_run / "plots").iterdir(), demo_run / "report.md", demo_run / "report.html"]:
        redrawn = run / path.relative_to(demo_run)
        assert redrawn.read_bytes() == path.read_bytes(), f"{path.name} differs when redrawn"


@pytest.mark.figures("leaderboard", "satisficing", "pr_curves", "roc_curves", "confusion")
def test_without_curve_data_the_curve_figures_are_skipped_with_a_note(demo_run, tmp_path, capsys):
    run = saved_run(demo_run, tmp_path / "old_run", "metrics.json")
    (run / "plots").mkdir()
    (run / "plots" / "pr_curves.png").write_bytes(b"stale")  # left from an earlier drawing
    assert command.main([str(run)]) == 0
    assert "skipped pr_curves: this run saved no curve data" in capsys.readouterr().out
    # (the metrics figure, the slowest to draw, is left out here: it reads metrics.json alone, like these)
    assert sorted(p.stem for p in (run / "plots").glob("*.png")) == ["leaderboard", "satisficing"]
    report = (run / "report.md").read_text()
    assert "- Not drawn: confusion: this run saved no curve data (curves.json)" in report
    assert "](plots/pr_curves.png)" not in report


@pytest.mark.figures("leaderboard")
def test_a_style_restyles_the_figures(demo_run, tmp_path):
    run = saved_run(demo_run, tmp_path / "run", "metrics.json")  # curve figures skipped: a faster test
    assert command.main([str(run), "--style", "dark_background"]) == 0
    image = np.asarray(Image.open(run / "plots" / "leaderboard.png").convert("L"))
    assert image.mean() < 100  # mostly dark now; evalkit's own look is mostly white
    assert np.asarray(Image.open(demo_run / "plots" / "leaderboard.png").convert("L")).mean() > 200


@pytest.mark.parametrize(("setup", "args", "message"), [
    (None, ["missing"], "missing: not a directory; give the run directory that holds metrics.json"),
    ("empty", ["run"], "metrics.json: not found; point at a run directory that holds metrics.json"),
    ("bad_curves", ["run"], "curves.json: not valid JSON"),
    ("ok", ["run", "--style", "no-such-style"], "--style 'no-such-style': not a matplotlib style name"),
])
def test_bad_input_is_one_error_line_and_exit_code_2(demo_run, tmp_path, capsys, setup, args, message):
    if setup:
        (tmp_path / "run").mkdir()
    if setup in ("bad_curves", "ok"):
        shutil.copy(demo_run / "metrics.json", tmp_path / "run" / "metrics.json")
    if setup == "bad_curves":
        (tmp_path / "run" / "curves.json").write_text("{not json")
    assert command.main([str(tmp_path / a) if i == 0 else a for i, a in enumerate(args)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evalkit: error: ") and message in err and err.count("\n") == 1


def test_usage_errors_exit_2(capsys):
    assert command.main([]) == 2
    assert "the following arguments are required: RUN_DIR" in capsys.readouterr().err


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.refs.append((tag, name, value))


def test_report_html_is_one_self_contained_page(demo_run):
    page = (demo_run / "report.html").read_text()
    parser = _Collect()
    parser.feed(page)
    images = [value for tag, _, value in parser.refs if tag == "img"]
    assert len(images) == len(FIGURES)
    assert [ref for ref in parser.refs if ref[0] != "img"] == []  # no stylesheet, script or link to load
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    record = json.loads((demo_run / "metrics.json").read_text())
    assert all(line in page for line in record["verdict"].splitlines()) and "<h2>Caveats</h2>" in page


def test_figures_drawn_in_parallel_are_the_same_bytes_as_drawn_one_by_one(satisficing_record, tmp_path,
                                                                           monkeypatch):
    from evalkit.plots import render

    # Two figures are enough to run them in two processes; the metrics figure is the slowest to draw.
    monkeypatch.setattr(render, "FIGURES", tuple(s for s in render.FIGURES if s.name != "metrics"))
    serial = draw_figures(satisficing_record, None, tmp_path / "serial", workers=1)
    parallel = draw_figures(satisficing_record, None, tmp_path / "parallel", workers=3)
    assert [(f.name, f.note) for f in serial] == [(f.name, f.note) for f in parallel]
    written = sorted(p.name for p in (tmp_path / "serial").iterdir())
    expected = [f"{n}.{ext}" for n in ("leaderboard", "satisficing") for ext in ("png", "svg")]
    assert written == sorted(expected)
    for name in written:
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes()


def _set(path: list, value: object):
    def change(document: dict) -> None:
        owner = document
        for key in path[:-1]:
            owner = owner[key]
        if value is _DELETE:
            del owner[path[-1]]
        else:
            owner[path[-1]] = value
    return change


_DELETE = object()

TAMPERED = {
    "score is a string": ("metrics.json", _set(["entries", 0, "score"], "0.9"), "entries[0].score"),
    "a metric is a list": ("metrics.json", _set(["entries", 1, "metrics", "f1"], [0.9]),
                           "entries[1].metrics.f1"),
    "entry without metrics": ("metrics.json", _set(["entries", 2, "metrics"], _DELETE),
                              "entries[2] has no 'metrics'"),
    "entry name is null": ("metrics.json", _set(["entries", 0, "name"], None), "entries[0].name"),
    "an entry is a string": ("metrics.json", _set(["entries", 3], "logreg"), "entries[3]"),
    "interval is a number": ("metrics.json", _set(["entries", 0, "ci", "score"], 0.5), "entries[0].ci.score"),
    "strategy is a string": ("metrics.json", _set(["strategy"], "satisficing"), "strategy"),
    "strategy without name": ("metrics.json", _set(["strategy", "name"], _DELETE), "strategy has no 'name'"),
    "task missing": ("metrics.json", _set(["task"], _DELETE), "has no 'task'"),
    "notes is a string": ("metrics.json", _set(["notes"], "one note"), "notes"),
    "margin is text": ("metrics.json", _set(["margin"], "0.01"), "margin"),
    "curve coordinates are a string": (
        "curves.json", _set(["entries", "logreg", "curves", "malignant", "roc", "fpr"], "0,1"),
        "entries.logreg.curves.malignant.roc.fpr"),
    "curve lengths differ": ("curves.json",
                             _set(["entries", "logreg", "curves", "malignant", "roc", "fpr"], [0.0, 1.0]),
                             "different lengths"),
    "a null in a curve": ("curves.json",
                          _set(["entries", "logreg", "curves", "malignant", "pr", "recall", 3], None),
                          "entries.logreg.curves.malignant.pr.recall[3]"),
    "confusion matrix is ragged": ("curves.json", _set(["entries", "logreg", "confusion", 1], [3]),
                                   "entries.logreg.confusion"),
    "classes is a string": ("curves.json", _set(["classes"], "benign"), "classes"),
}


@pytest.mark.parametrize("case", TAMPERED)
def test_plot_on_a_tampered_run_is_one_error_line_naming_file_and_field(demo_run, tmp_path, case):
    name, change, fragment = TAMPERED[case]
    run = saved_run(demo_run, tmp_path / "run", "metrics.json", "curves.json")
    document = json.loads((run / name).read_text())
    change(document)
    (run / name).write_text(json.dumps(document))
    result = run_cli("plot", str(run))
    assert result.code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evalkit: error: "), result.stderr
    assert f"{name}:" in lines[0] and fragment in lines[0] and "fix:" in lines[0], lines[0]
    assert not (run / "plots").exists() and not (run / "report.md").exists()  # nothing drawn half-way


@pytest.mark.parametrize("case", ["score is a string", "strategy without name", "a null in a curve",
                                  "curve lengths differ"])
def test_compare_on_a_tampered_run_is_one_error_line_and_writes_nothing(demo_run, tmp_path, case):
    name, change, fragment = TAMPERED[case]
    saved = ("metrics.json", "curves.json", "resamples.npz")
    good = saved_run(demo_run, tmp_path / "good", *saved)
    bad = saved_run(demo_run, tmp_path / "bad", *saved)
    document = json.loads((bad / name).read_text())
    change(document)
    (bad / name).write_text(json.dumps(document))
    result = run_cli("compare", str(good), str(bad), "--out", str(tmp_path / "merged"))
    assert result.code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evalkit: error: "), result.stderr
    assert str(bad / name) in lines[0] and fragment in lines[0], lines[0]
    assert not (tmp_path / "merged").exists()


def test_compare_refuses_a_strategy_key_it_does_not_know(demo_run, tmp_path):
    good = saved_run(demo_run, tmp_path / "good", "metrics.json")
    bad = saved_run(demo_run, tmp_path / "bad", "metrics.json")
    document = json.loads((bad / "metrics.json").read_text())
    document["strategy"]["optimise"] = "f1"
    (bad / "metrics.json").write_text(json.dumps(document))
    # The first run's strategy decides how to re-score; a typo there used to be a TypeError.
    result = run_cli("compare", str(bad), str(good), "--out", str(tmp_path / "merged"))
    assert result.code == 2 and "Traceback" not in result.stderr, result.stderr
    assert "strategy has unknown key(s) ['optimise']" in result.stderr
    assert not (tmp_path / "merged").exists()
