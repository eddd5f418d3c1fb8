"""The shipped detection demo: runs from anywhere, equals pycocotools, is reproducible, and gates."""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
from pathlib import Path

import pytest
from coco_synth import TOL

from evalkit.detection import STAT_NAMES
from evalkit.detection.loading import read_json
from evalkit.detection.reference import reference_stats
from evalkit.plots import highlight, style
from evalkit.plots.detection import detection_pr_figure, per_class_figure
from tests.conftest import run_cli

DEMO = Path(str(importlib.resources.files("evalkit.bundled.examples"))) / "detection_demo"
CANDIDATES = ("two_stage", "one_stage", "one_stage_int8", "tiny")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    run_dir = tmp_path_factory.mktemp("detdemo") / "run"
    # A fresh interpreter in an unrelated folder: the demo's files must ship with the package.
    result = run_cli("run", "+experiment=detection_demo", f"hydra.run.dir={run_dir}",
                     "bootstrap.resamples=100", cwd=tmp_path_factory.mktemp("elsewhere"), subprocess_=True)
    assert result.code == 0, result.stderr
    assert "two_stage *" in result.stdout
    return json.loads((run_dir / "metrics.json").read_text()), run_dir


def by_name(record: dict) -> dict[str, dict]:
    return {e["name"]: e for e in record["entries"]}


def test_the_demo_ranks_four_detectors_against_all_three_detection_baseline_kinds(demo):
    record, _ = demo
    rows = by_name(record)
    assert record["task"] == "detection" and record["strategy"] == {"name": "map", "metric": "mAP",
                                                                    "higher_is_better": True}
    assert {rows[n]["kind"] for n in rows if rows[n]["role"] == "baseline"} == {"external", "rule", "human"}
    ranked = [e["name"] for e in record["entries"] if e["role"] == "candidate"]
    assert ranked == list(CANDIDATES) and record["best"] == "two_stage"
    assert record["entries"][-1]["name"] == "prior_rule"
    assert record["human_level"]["name"] == "second_annotator/annotator"


def test_every_demo_number_is_pycocotools_on_the_shipped_files(demo):
    record, _ = demo
    rows = by_name(record)
    truth = read_json(DEMO / "truth.json")
    for name in CANDIDATES:
        reference = reference_stats(truth, read_json(DEMO / "detections" / f"{name}.json"))
        for stat in STAT_NAMES:
            assert abs(rows[name]["metrics"][stat] - reference[stat]) <= TOL, (name, stat)
    annotator = read_json(DEMO / "human" / "second_annotator.json")
    results = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0}
               for a in annotator["annotations"]]
    reference = reference_stats(truth, results)
    assert abs(rows["second_annotator/annotator"]["metrics"]["mAP"] - reference["mAP"]) <= TOL


def test_the_generator_reproduces_the_shipped_files_byte_for_byte(tmp_path):
    spec = importlib.util.spec_from_file_location("make_detection_demo", DEMO / "make_detection_demo.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.generate(tmp_path)
    for relative in generator.OUTPUTS:
        made, shipped = (tmp_path / relative).read_bytes(), (DEMO / relative).read_bytes()
        assert hashlib.sha256(made).digest() == hashlib.sha256(shipped).digest(), relative
    assert "SYNTHETIC" in (DEMO / "README.md").read_text()


def test_the_gate_accepts_the_demo_as_its_own_reference_and_catches_a_regression(demo, tmp_path):
    _, run_dir = demo
    reference = tmp_path / "reference.json"
    assert run_cli("gate", str(run_dir), "--reference", str(reference), "--update").code == 0
    assert run_cli("gate", str(run_dir), "--reference", str(reference)).code == 0
    worse = tmp_path / "worse"
    worse.mkdir()
    changed = json.loads((run_dir / "metrics.json").read_text())
    best = next(e for e in changed["entries"] if e["name"] == "two_stage")
    best["metrics"]["AP50"] -= 0.05  # beyond conf/gate/detection.yaml's 0.01
    (worse / "metrics.json").write_text(json.dumps(changed))
    result = run_cli("gate", str(worse), "--reference", str(reference))
    assert result.code == 1 and "AP50" in result.stdout


def test_pr_figure_has_one_line_per_entry_with_detections_in_each_iou_panel(demo):
    record, run_dir = demo
    curves = json.loads((run_dir / "curves.json").read_text())
    figure = detection_pr_figure(record, curves)
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert len(panels) == 2
    with_detections = {n for n, e in by_name(record).items() if e["kind"] != "external"}
    for ax, panel in zip(panels, ("IoU=0.50", "IoU=0.75"), strict=True):
        lines = {line.get_gid().rsplit(":", 1)[1]: line for line in ax.get_lines()
                 if (line.get_gid() or "").startswith(f"curve:{panel}:")}
        assert set(lines) == with_detections
        best = lines["two_stage"]
        assert best.get_linewidth() > lines["tiny"].get_linewidth()  # the best candidate stands out
        # the best candidate and the human level in colour; the rest faded, counted in one legend row
        assert lines["second_annotator/annotator"].get_color() == style.HUMAN
        assert lines["tiny"].get_color() == highlight.FADED
        # the strongest baseline is a published number with no curve: the best-ranked drawable one stands in
        rule = lines["prior_rule"]
        assert (rule.get_color(), rule.get_linestyle()) == (style.DARK_GREY, "--")
        stat = "AP50" if panel == "IoU=0.50" else "AP75"
        assert sum(best.get_ydata()) / 101 == pytest.approx(by_name(record)["two_stage"]["metrics"][stat],
                                                           abs=1e-5)
    legend = [" ".join(t.get_text().replace(" · ", " ").split()) for t in figure.legends[0].get_texts()]
    assert any(t.startswith("two_stage best candidate AP50") for t in legend)
    assert "published strongest baseline not drawn: no detections" in legend
    assert any(t.startswith("prior_rule best-ranked baseline drawn here AP50") for t in legend)
    assert "other entries (3), faded: values in the leaderboard" in legend


def test_per_class_figure_shows_every_category_for_the_best_and_the_strongest_baseline(demo):
    record, _ = demo
    figure = per_class_figure(record)
    bars = {patch.get_gid(): patch.get_width() for patch in figure.axes[0].patches if patch.get_gid()}
    rows = by_name(record)
    # the lower bound (published) is a number without per-class AP, so the figure shows the best-ranked
    # baseline that has them beside the best candidate
    reference = next(e["name"] for e in record["entries"] if e["role"] == "baseline" and e.get("per_class"))
    for name in (record["best"], reference):
        for category, ap in rows[name]["per_class"].items():
            assert bars[f"ap:{name}:{category}"] == pytest.approx(ap)
    assert len(bars) == 2 * len(rows["two_stage"]["per_class"])


@pytest.mark.figures
def test_plot_redraws_the_detection_figures_byte_for_byte_from_the_saved_files(demo, tmp_path):
    _, run_dir = demo
    for name in ("metrics.json", "curves.json"):
        (tmp_path / name).write_bytes((run_dir / name).read_bytes())
    assert run_cli("plot", str(tmp_path)).code == 0
    for drawn in (run_dir / "plots").iterdir():
        assert (tmp_path / "plots" / drawn.name).read_bytes() == drawn.read_bytes(), drawn.name
    assert (tmp_path / "report.html").read_bytes() == (run_dir / "report.html").read_bytes()
