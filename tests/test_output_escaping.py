"""Names are data, never markup: what users put in names, paths and sources cannot inject headings,
links or HTML into report.md/report.html/gate.md, break gate.xml, or run as a spreadsheet formula."""

from __future__ import annotations

import csv
import html
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.escaping import csv_cell, markdown_code, markdown_text, visible, xml_text
from evalkit.html_report import inline, markdown_to_html
from evalkit.plots.leaderboard import leaderboard_figure
from tests.conftest import figures_drawn, run_cli
from tests.experiments import basic_config, scores_frame, truth_frame, write_experiment
from tests.gate.records import entry, record, with_metric, write_run

SCRIPT = '<script>alert("name")'  # no "/": names stay clear of the generated rows' separator
IMAGE = "<img src=x onerror=alert(1)>"
LINK = "*bold* [click](javascript:alert(1))"
FORMULA = '=HYPERLINK("evil.example","click")'
MATH = "$\\frac{a}$ costs $5"  # invalid mathtext: figures must show it as text, not parse it
SOURCE = "<script>alert(1)</script>\n# Injected heading\n| fake | table |\n- fake item"
ANNOTATOR = "<b>ann</b>\n## Injected annotator"
# The headings report.md may have for this run; anything else starting with '#' was injected.
HEADINGS = {"# evalkit report", "## Figures", "## Leaderboard", "## Every metric",
            "## Is the best candidate really better?", "## Caveats", "## Human baselines", "### panel",
            "### Candidates and humans on the same items"}
# Every tag report.html may contain: what html_report writes itself.
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "strong", "em",
             "code", "ul", "li", "div", "table", "thead", "tbody", "tr", "th", "td", "figure", "img",
             "br", "span", "wbr"}  # br: between the verdict's lines; span: an interval; wbr: where names wrap


class _Page(HTMLParser):
    """Collects the tags, attributes and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run whose candidates, external source and annotators carry HTML, Markdown and formulas."""
    root = tmp_path_factory.mktemp("hostile")
    truth = truth_frame()
    rng = np.random.default_rng(3)
    panel = pd.DataFrame(
        [(i, ANNOTATOR, label) for i, label in zip(truth["id"], truth["label"], strict=True)]
        + [(i, "=1+1", int(rng.integers(2))) for i in truth["id"]]
        + [(i, "plain", int(rng.integers(2))) for i in truth["id"]],
        columns=["id", "annotator", "label"])
    config = basic_config(
        candidates={SCRIPT: {"predictions": "preds/a.csv"}, IMAGE: {"predictions": "preds/b.csv"},
                    LINK: {"predictions": "preds/c.csv"}, FORMULA: {"predictions": "preds/d.csv"},
                    MATH: {"predictions": "preds/e.csv"}},
        baselines={"paper": {"kind": "external", "metrics": {"accuracy": 0.55}, "source": SOURCE},
                   "panel": {"kind": "human", "path": "panel.csv", "best_annotator": True}},
        bootstrap={"resamples": 20, "seed": 0})
    files = {"truth.csv": truth, "panel.csv": panel}
    files |= {f"preds/{k}.csv": scores_frame(truth, seed=s) for s, k in enumerate("abcde", start=1)}
    write_experiment(root, config, files)
    with figures_drawn("leaderboard"):  # test_figures_show_names_with_dollar_signs_as_text looks at it
        result = run_cli("run", "--config-dir", str(root), "--config-name", "exp",
                         f"hydra.run.dir={root / 'out'}")
    assert result.code == 0, result.stderr
    return root / "out"


@pytest.mark.figures("leaderboard")
def test_figures_show_names_with_dollar_signs_as_text(hostile_run):
    record = json.loads((hostile_run / "metrics.json").read_text())
    figure = leaderboard_figure(record)
    figure.canvas.draw()  # raised on the invalid mathtext before names were plain text
    texts = {t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))}
    assert any(MATH in text for text in texts)
    assert (hostile_run / "plots" / "leaderboard.png").is_file()


def test_report_md_has_no_injected_heading_list_table_or_html(hostile_run):
    report = (hostile_run / "report.md").read_text()
    headings = {line for line in report.splitlines() if line.startswith("#")}
    assert headings <= HEADINGS, headings - HEADINGS
    assert not any(line.startswith(("- fake", "| fake", "# Injected", "## Injected"))
                   for line in report.splitlines())
    assert re.search(r"(?<!\\)<[A-Za-z/!?]", report) is None  # no tag, comment or autolink can open
    assert "[click](javascript" not in report
    assert "\\<script>alert(\"name\")" in report  # escaped, still readable


def test_report_html_shows_the_names_as_text_and_has_no_tag_of_theirs(hostile_run):
    page = _parse((hostile_run / "report.html").read_text())
    assert page.tags <= PAGE_TAGS, page.tags - PAGE_TAGS
    assert "onerror" not in page.attributes and "href" not in page.attributes
    text = "".join(page.text)
    for name in (SCRIPT, IMAGE, LINK, FORMULA, MATH):
        assert name in text  # exactly the name, neither lost nor half-rendered
    assert visible(SOURCE) in text and visible(ANNOTATOR) in text  # newlines shown, not obeyed


def test_leaderboard_csv_neutralises_formulas_and_keeps_numbers(hostile_run):
    record = json.loads((hostile_run / "metrics.json").read_text())
    with (hostile_run / "leaderboard.csv").open(newline="") as handle:
        rows = {row["name"]: row for row in csv.DictReader(handle)}
    assert "'" + FORMULA in rows and FORMULA not in rows
    assert all(not name.startswith(("=", "+", "-", "@")) for name in rows)
    scored = next(e for e in record["entries"] if e["name"] == FORMULA)
    assert float(rows["'" + FORMULA]["score"]) == pytest.approx(scored["score"])
    assert set(rows) - {"'" + FORMULA} == {e["name"] for e in record["entries"]} - {FORMULA}


@pytest.mark.parametrize(("value", "expected"), [
    ("=SUM(A1)", "'=SUM(A1)"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("@SUM(1)", "'@SUM(1)"),
    ("-2+3", "'-2+3"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"),
    ("-0.5", "-0.5"), ("+1e3", "+1e3"), (-0.5, -0.5), (3, 3), (None, None),
])
def test_csv_cells(value, expected):
    assert csv_cell(value) == expected


def _gate_project(tmp_path: Path, name: str) -> tuple[Path, Path]:
    rules = {"candidates": "best", "score": {"max_regression": 0.01}, "must_beat": "all"}
    accepted = record(entry(name), entry("rule", "baseline", metrics={"precision": 0.90, "recall": 0.8}),
                      best=name, gate=rules)
    write_run(tmp_path / "accepted", accepted)
    assert run_cli("gate", str(tmp_path / "accepted"), "--reference", str(tmp_path / "ref.json"),
                   "--update").code == 0
    return write_run(tmp_path / "run", with_metric(accepted, name, "precision", 0.5)), tmp_path / "ref.json"


@pytest.mark.parametrize("name", [
    "evil\x1b[31m\x00\x07name", SCRIPT + "\n# Injected heading\n| fake | table |", "a`b``c | d"])
def test_gate_outputs_hold_any_name_from_the_files(tmp_path, name):
    run, reference = _gate_project(tmp_path, name)
    out = tmp_path / "out"
    result = run_cli("gate", str(run), "--reference", str(reference), "--junit", str(out / "gate.xml"),
                     "--markdown", str(out / "gate.md"))
    assert result.code == 1, result.stderr
    suite = ET.parse(out / "gate.xml").getroot()  # well-formed whatever the name holds
    messages = " ".join(f.get("message", "") for f in suite.iter("failure"))
    assert xml_text(name) in messages  # newlines are fine in XML; forbidden characters shown escaped
    markdown = (out / "gate.md").read_text()
    assert re.search(r"(?<!\\)<script", markdown) is None
    assert "\x1b" not in markdown and "\x00" not in markdown
    assert not any(line.startswith(("# Injected", "| fake")) for line in markdown.splitlines())
    failed_rows = [line for line in markdown.split("<details>")[0].splitlines() if line.startswith("| ❌")]
    assert failed_rows and all(len(re.findall(r"(?<!\\)\|", line)) == 4 for line in failed_rows)


def test_gate_markdown_quotes_paths_with_backticks_whole(tmp_path):
    folder = tmp_path / "we`ird <b>"
    folder.mkdir()
    run, reference = _gate_project(folder, "model")
    out = tmp_path / "gate.md"
    assert run_cli("gate", str(run), "--reference", str(reference), "--markdown", str(out)).code == 1
    intro = out.read_text().splitlines()[2]
    assert intro == f"Run {markdown_code(run)} against reference {markdown_code(reference)}."


def test_junit_xml_escapes_every_character_xml_forbids():
    text = "".join(map(chr, range(0x20))) + "\ud800\ufffe\uffff ok <&>"
    element = ET.Element("case", message=xml_text(text))
    element.text = xml_text(text)
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.get("message").endswith(" ok <&>") and "\\x1b" in parsed.text


# --- the escaping itself ---------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_escaped_text_renders_as_exactly_that_text(text):
    escaped = markdown_text(text)
    assert "\n" not in escaped and "\r" not in escaped
    # As a paragraph, a list item, a heading or a table cell, it is that text and nothing else.
    expected = html.escape(visible(text), quote=False)
    assert inline(escaped) == expected
    body = markdown_to_html(f"- x {escaped}\n\n| a |\n|---|\n| {escaped} |", {})
    assert body.count("<li>") == 1 and body.count("<td") == 1
    # At the start of a line it never begins a block of its own.
    assert not markdown_to_html(escaped, {}).startswith(("<h", "<ul", "<div", "<figure"))


@pytest.mark.parametrize(("text", "escaped"), [
    ("majority_vote", "majority_vote"), ("panel/expert/majority_vote", "panel/expert/majority_vote"),
    ("recall - 0.5 * (1 - precision)", "recall - 0.5 * (1 - precision)"),
    ("latency_ms <= 50", "latency_ms <= 50"), ("model#2", "model#2"),
    ("<b>x</b>", "\\<b>x\\</b>"), ("_x_", "\\_x\\_"), ("a*b*", "a\\*b\\*"), ("[a](b)", "\\[a\\](b)"),
    ("# h", "\\# h"), ("- item", "\\- item"), ("1. item", "1\\. item"), ("> quote", "\\> quote"),
    ("---", "\\-\\-\\-"), ("a|b", "a\\|b"), ("&amp;", "\\&amp;"), ("line\nbreak", "line\\\\nbreak"),
])
def test_markdown_text_escapes_what_has_meaning_and_only_that(text, escaped):
    assert markdown_text(text) == escaped


def test_coco_category_names_are_escaped_in_the_per_category_table(tmp_path):
    categories = [{"id": 1, "name": SCRIPT}, {"id": 2, "name": "# dog | [x](javascript:y)"}]
    images = [{"id": i, "width": 100, "height": 100, "file_name": f"{i}.jpg"} for i in (1, 2)]
    boxes = [{"id": n, "image_id": i, "category_id": c, "bbox": [10.0 * c, 10.0, 30.0, 30.0], "area": 900.0,
              "iscrowd": 0} for n, (i, c) in enumerate([(1, 1), (1, 2), (2, 1), (2, 2)], start=1)]
    detections = [{"image_id": b["image_id"], "category_id": b["category_id"], "bbox": b["bbox"],
                   "score": 0.9} for b in boxes]
    (tmp_path / "truth.json").write_text(json.dumps({"images": images, "annotations": boxes,
                                                     "categories": categories}))
    (tmp_path / "dets.json").write_text(json.dumps(detections))
    config = {"task": "detection", "data": {"path": "truth.json"},
              "candidates": {"detector": {"predictions": "dets.json"}}, "strategy": {"name": "map"},
              "bootstrap": {"resamples": 0}}
    write_experiment(tmp_path, config, {})
    result = run_cli("run", "--config-dir", str(tmp_path), "--config-name", "exp",
                     f"hydra.run.dir={tmp_path / 'out'}")
    assert result.code == 0, result.stderr
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| \\<script>alert(\"name\") | 2 |" in report
    assert "| \\# dog \\| \\[x\\](javascript:y) | 2 |" in report
    assert not any(line.startswith("# dog") for line in report.splitlines())
    text = "".join(_parse((tmp_path / "out" / "report.html").read_text()).text)
    assert SCRIPT in text and "# dog | [x](javascript:y)" in text
