"""``python -m evalkit gate`` as CI calls it: exit codes, every output at once, --update and latest.

Exit codes go through the real CLI (a subprocess); the rest calls ``command.main`` in-process,
which is the same code without the interpreter start-up.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from evalkit.gate.command import main
from tests.conftest import run_cli
from tests.gate.records import record, with_metric, write_run

RULES = {"candidates": "best", "score": {"max_regression": 0.01},
         "metrics": {"recall": {"max_regression": 0.02, "min": 0.9}, "latency_ms": {"max": 50}},
         "must_beat": "all"}
ACCEPTED = record(gate=RULES)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with an accepted run (``accepted/``) and its reference, written by --update."""
    write_run(tmp_path / "accepted", ACCEPTED)
    code = main([str(tmp_path / "accepted"), "--reference", str(tmp_path / "reference.json"), "--update"])
    assert code == 0
    return tmp_path


def _regressed(project: Path) -> Path:
    """A run whose precision (the score) dropped by 0.05 and whose latency broke its bound."""
    doc = with_metric(with_metric(ACCEPTED, "model", "precision", 0.90), "model", "latency_ms", 80.0)
    return write_run(project / "regressed", doc)


# --- exit codes through the real CLI -------------------------------------------------------------------

@pytest.mark.parametrize(("scenario", "code"), [
    ("pass", 0), ("regression", 1), ("missing reference", 2), ("corrupt reference", 2),
    ("missing run", 2), ("no arguments", 2),
])
def test_exit_codes_through_the_real_cli(project, scenario, code):
    reference = project / "reference.json"
    args = {
        "pass": [str(project / "accepted"), "--reference", str(reference)],
        "regression": [str(_regressed(project)), "--reference", str(reference)],
        "missing reference": [str(project / "accepted"), "--reference", str(project / "absent.json")],
        "corrupt reference": [str(project / "accepted"), "--reference", str(project / "corrupt.json")],
        "missing run": [str(project / "nowhere"), "--reference", str(reference)],
        "no arguments": [],
    }[scenario]
    (project / "corrupt.json").write_text('{"evalkit_reference": 1, "gate": ')
    result = run_cli("gate", *args)
    assert result.code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    if code == 2:
        (line,) = [x for x in result.stderr.splitlines() if x.strip()]
        assert line.startswith("evalkit: error: ")
    else:
        assert ("gate passed" if code == 0 else "gate FAILED: 3 of") in result.stdout


def test_every_ci_output_at_once_through_the_real_cli(project):
    summary = project / "step_summary.md"
    summary.write_text("earlier step\n")
    out = project / "out"
    result = run_cli("gate", str(_regressed(project)), "--reference", str(project / "reference.json"),
                     "--junit", str(out / "gate.xml"), "--markdown", str(out / "gate.md"),
                     "--json", str(out / "gate.json"), env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.code == 1

    verdict = json.loads((out / "gate.json").read_text())
    failed = sorted(c["name"] for c in verdict["checks"] if c["status"] == "fail")
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == 1
    assert failed == sorted(["best: score max_regression", "best: latency_ms max", "best: must_beat rule"])
    assert verdict["summary"] == {"checks": len(verdict["checks"]), "passed": len(verdict["checks"]) - 3,
                                  "warnings": 0, "failed": 3}

    suite = ET.parse(out / "gate.xml").getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(verdict["checks"]) == int(suite.get("tests"))
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == 3 == int(suite.get("failures"))
    named = {f"{c.get('classname').removeprefix('evalkit.gate.')}: {c.get('name')}" for c in failures}
    assert named == set(failed)

    markdown = (out / "gate.md").read_text()
    assert markdown.startswith("### ❌ evalkit gate FAILED: 3 of")
    table = markdown.split("<details>")[0]
    assert all(f"| {name} |" in table for name in failed)
    assert summary.read_text() == "earlier step\n" + markdown + "\n"


def test_a_passing_gate_writes_passing_outputs(project, capsys):
    out = project / "out"
    code = main([str(project / "accepted"), "--reference", str(project / "reference.json"),
                 "--junit", str(out / "gate.xml"), "--markdown", str(out / "gate.md"),
                 "--json", str(out / "g.json")])
    assert code == 0
    suite = ET.parse(out / "gate.xml").getroot().find("testsuite")
    assert suite.get("failures") == "0" and len(suite.findall("testcase")) > 5
    assert json.loads((out / "g.json").read_text())["verdict"] == "pass"
    assert (out / "gate.md").read_text().startswith("### ✅ evalkit gate passed")
    assert "gate passed" in capsys.readouterr().out


def test_when_the_gate_cannot_run_every_output_says_so(project, capsys):
    out = project / "out"
    code = main([str(project / "accepted"), "--reference", str(project / "absent.json"),
                 "--junit", str(out / "gate.xml"), "--markdown", str(out / "gate.md"),
                 "--json", str(out / "g.json")])
    assert code == 2
    suite = ET.parse(out / "gate.xml").getroot().find("testsuite")
    assert suite.get("errors") == "1" and suite.find("testcase/error") is not None
    assert json.loads((out / "g.json").read_text())["verdict"] == "error"
    assert "could not run" in (out / "gate.md").read_text()
    assert "absent.json: reference not found" in capsys.readouterr().err


# --- --update ------------------------------------------------------------------------------------------

def test_update_stores_the_runs_rules_and_values(project):
    doc = json.loads((project / "reference.json").read_text())
    assert doc["gate"]["score"]["max_regression"] == 0.01
    assert doc["gate"]["must_beat"] == "all"
    assert doc["candidates"]["model"]["metrics"]["precision"] == 0.95
    assert doc["data"]["fingerprint"] == ACCEPTED["data"]["fingerprint"]


def test_update_prints_what_changes_then_rewrites(project, capsys):
    newer = with_metric(ACCEPTED, "model", "precision", 0.97)
    newer["gate"] = {**RULES, "score": {"max_regression": 0.02}}
    write_run(project / "newer", newer)
    capsys.readouterr()
    assert main([str(project / "newer"), "--reference", str(project / "reference.json"), "--update"]) == 0
    printed = capsys.readouterr().out.split("rules it will apply:")[0]  # the list of changes
    assert "candidates.model.metrics.precision: 0.95 → 0.97" in printed
    assert "gate.score.max_regression: 0.01 → 0.02" in printed
    assert "recall" not in printed  # unchanged values are not listed
    assert json.loads((project / "reference.json").read_text())["gate"]["score"]["max_regression"] == 0.02
    # and the rewritten reference is what CI now applies
    assert main([str(project / "newer"), "--reference", str(project / "reference.json")]) == 0


def test_update_refuses_rules_the_run_cannot_meet_and_leaves_the_reference_alone(project, capsys):
    before = (project / "reference.json").read_text()
    bad = record(gate={"candidates": ["nobody"]})
    write_run(project / "bad", bad)
    assert main([str(project / "bad"), "--reference", str(project / "reference.json"), "--update"]) == 2
    assert "'nobody' is not a candidate" in capsys.readouterr().err
    assert (project / "reference.json").read_text() == before


def test_update_needs_the_run_to_record_its_rules(project, capsys):
    write_run(project / "old", record(gate=None))
    assert main([str(project / "old"), "--reference", str(project / "new.json"), "--update"]) == 2
    assert "records no gate rules" in capsys.readouterr().err
    assert not (project / "new.json").exists()


def test_update_replaces_a_corrupt_reference(project, capsys):
    (project / "reference.json").write_text("")
    assert main([str(project / "accepted"), "--reference", str(project / "reference.json"), "--update"]) == 0
    assert "replacing unreadable" in capsys.readouterr().out
    assert main([str(project / "accepted"), "--reference", str(project / "reference.json")]) == 0


def test_update_warns_when_the_accepted_run_fails_its_own_rules(project, capsys):
    write_run(project / "slow", with_metric(ACCEPTED, "model", "latency_ms", 80.0))
    assert main([str(project / "slow"), "--reference", str(project / "reference.json"), "--update"]) == 0
    assert "fails its own gate: best: latency_ms max" in capsys.readouterr().err


def test_update_prints_the_rules_it_will_apply_one_line_each(project, capsys):
    capsys.readouterr()
    assert main([str(project / "accepted"), "--reference", str(project / "new.json"), "--update"]) == 0
    out, err = capsys.readouterr()
    rules = out.split("rules it will apply:\n", 1)[1].splitlines()
    assert rules[:6] == ["  candidates: the best candidate", "  score max_regression: drop ≤ 0.01",
                         "  recall max_regression: drop ≤ 0.02", "  recall min: ≥ 0.9",
                         "  latency_ms max: ≤ 50",
                         "  must_beat all: score better than every baseline by more than 0"]
    assert "null" not in out and "{" not in out  # no raw dict
    assert "only the score is gated" not in err  # these rules gate more than the score


def test_update_without_gate_rules_warns_that_only_the_score_is_gated_at_tolerance_zero(project, capsys):
    write_run(project / "bare", record(gate={}))
    capsys.readouterr()
    assert main([str(project / "bare"), "--reference", str(project / "bare.json"), "--update"]) == 0
    out, err = capsys.readouterr()
    assert "  score max_regression: drop ≤ 0\n" in out and "null" not in out
    [warning] = [line for line in err.splitlines() if line.startswith("warning:")]
    assert "only the score is gated, at tolerance 0" in warning and "conf/gate/default.yaml" in warning
    # still written: an empty rule set is a valid (strict) gate, and the run passes it
    assert main([str(project / "bare"), "--reference", str(project / "bare.json")]) == 0


def test_update_does_not_take_report_options(project, capsys):
    code = main([str(project / "accepted"), "--reference", str(project / "reference.json"), "--update",
                 "--junit", str(project / "j.xml")])
    assert code == 2 and "--update only writes the reference" in capsys.readouterr().err


# --- latest -------------------------------------------------------------------------------------------

def test_latest_is_the_newest_run_under_results(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    old = write_run(project / "results" / "2026-01-01_00-00-00", ACCEPTED)
    regressed = with_metric(ACCEPTED, "model", "precision", 0.5)
    new = write_run(project / "results" / "multirun" / "x" / "0", regressed)
    os.utime(old / "metrics.json", (1_000, 1_000))
    os.utime(new / "metrics.json", (2_000, 2_000))
    assert main(["latest", "--reference", "reference.json"]) == 1   # the newer, regressed run was gated
    assert str(Path("results/multirun/x/0")) in capsys.readouterr().out


def test_latest_without_any_run_is_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["latest", "--reference", "reference.json"]) == 2
    assert "no run found" in capsys.readouterr().err


def test_the_experiments_current_rules_are_compared_with_the_references(project, capsys):
    drifted = record(gate={**RULES, "margin": 0.05})
    write_run(project / "drifted", drifted)
    assert main([str(project / "drifted"), "--reference", str(project / "reference.json")]) == 0
    printed = capsys.readouterr().out
    assert "WARN  run: gate rules" in printed and "margin" in printed


def test_an_output_that_cannot_be_written_is_an_error(project, capsys):
    (project / "blocker").write_text("a file, not a directory")
    code = main([str(project / "accepted"), "--reference", str(project / "reference.json"),
                 "--junit", str(project / "blocker" / "gate.xml")])
    assert code == 2
    assert "gate.xml: cannot write" in capsys.readouterr().err
