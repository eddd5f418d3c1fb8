"""The gate trusts nothing it did not check (issue 12, items 2-5 and the gate part of 13).

Each case goes through the real ``python -m evalkit gate``: a reference accepted from one run,
then a run (or reference) that is changed, tampered with or malformed. A gate that cannot check
something fails (exit 1) or cannot run (exit 2, one line); it never passes.
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.gate.checks import FAIL, PASS
from tests.conftest import one_error_line, run_cli
from tests.experiments import basic_config, basic_files, write_experiment
from tests.gate.records import entry, gate, record, the, write_run

RULES = {"candidates": "best", "score": {"max_regression": 0.01}, "must_beat": "all"}
# The model beats two baselines; both were in the run the reference accepted.
ACCEPTED = record(entry("model"), entry("rule", "baseline", metrics={"precision": 0.90, "recall": 0.8}),
                  entry("majority", "baseline", metrics={"precision": 0.50, "recall": 1.0}), gate=RULES)
SECRET = "s3cr3t-t0ken-value"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``accepted/`` and ``reference.json`` accepted from it with --update."""
    write_run(tmp_path / "accepted", ACCEPTED)
    result = run_cli("gate", str(tmp_path / "accepted"), "--reference", str(tmp_path / "reference.json"),
                     "--update")
    assert result.code == 0, result.stderr
    return tmp_path


def _gate(project: Path, run: dict[str, Any] | Path, *extra: str, env: dict[str, str] | None = None):
    run_dir = run if isinstance(run, Path) else write_run(project / "run", run)
    return run_cli("gate", str(run_dir), "--reference", str(project / "reference.json"), *extra, env=env)


def _outputs(project: Path) -> list[str]:
    out = project / "out"
    return ["--junit", str(out / "gate.xml"), "--markdown", str(out / "gate.md"),
            "--json", str(out / "g.json")]



def _failed(result) -> str:
    assert result.code == 1, (result.stdout, result.stderr)
    return "\n".join(line for line in result.stdout.splitlines() if line.strip().startswith("FAIL"))


# --- item 2: what defines the numbers --------------------------------------------------------------------

def _run_experiment(root: Path, name: str, *overrides: str) -> Path:
    run_dir = root / name
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={run_dir}",
                     *overrides)
    assert result.code == 0, result.stderr
    return run_dir


def test_changing_the_positive_label_fails_the_gate_though_the_data_are_the_same(tmp_path):
    config = basic_config(strategy={"name": "average", "metrics": ["f1"]}, data={"path": "truth.csv"})
    write_experiment(tmp_path, config, basic_files())
    accepted = _run_experiment(tmp_path, "accepted", "data.positive_label=1")
    flipped = _run_experiment(tmp_path, "flipped", "data.positive_label=0")
    reference = tmp_path / "reference.json"
    assert run_cli("gate", str(accepted), "--reference", str(reference), "--update").code == 0
    assert run_cli("gate", str(accepted), "--reference", str(reference)).code == 0

    result = run_cli("gate", str(flipped), "--reference", str(reference))
    failed = _failed(result)
    assert "same data as the reference" in result.stdout  # the fingerprint alone cannot tell
    assert "run: definition" in failed
    assert "positive_label: '1' → '0'" in failed and "classes: ['0', '1'] → ['1', '0']" in failed
    assert "--update" in failed


@pytest.mark.parametrize(("part", "change"), [
    ("task", lambda r: r.update(task="multiclass")),
    ("classes", lambda r: r["data"].update(classes=["b", "a"])),
    ("iou_type", lambda r: r["data"].update(iou_type="segm")),
    ("coco_params", lambda r: r["data"]["coco_params"]["max_dets"].__setitem__(2, 300)),
    ("metrics", lambda r: r["metric_definitions"]["recall"].update(needs="scores")),
])
def test_every_part_of_the_definition_is_compared(tmp_path, part, change):
    accepted = copy.deepcopy(ACCEPTED)
    accepted["data"] |= {"classes": ["a", "b"], "positive_label": "b", "iou_type": "bbox",
                         "coco_params": {"iou_thresholds": {"from": 0.5, "to": 0.95, "count": 10},
                                         "max_dets": [1, 10, 100]}}
    accepted["metric_definitions"] = {"recall": {"direction": "higher", "needs": "labels", "bounded": True}}
    run = copy.deepcopy(accepted)
    change(run)
    assert the(gate(accepted, accepted, RULES), "run: definition").status == PASS
    check = the(gate(run, accepted, RULES), "run: definition")
    assert check.status == FAIL and f"{part}:" in check.message


def test_a_reference_of_the_old_format_is_refused_with_the_way_to_rewrite_it(project):
    doc = json.loads((project / "reference.json").read_text())
    for key in ("definition", "baselines"):
        del doc[key]
    (project / "reference.json").write_text(json.dumps(doc | {"evalkit_reference": 1}))
    line = one_error_line(_gate(project, ACCEPTED))
    assert "has format 1" in line and "--update" in line


# --- item 3: vanished baselines ------------------------------------------------------------------------

def test_must_beat_all_fails_when_a_baseline_of_the_reference_left_the_run(project):
    run = copy.deepcopy(ACCEPTED)
    run["entries"] = [e for e in run["entries"] if e["name"] != "rule"]
    failed = _failed(_gate(project, run))
    assert "baseline 'rule' of the reference is not in this run" in failed
    assert "majority" not in failed  # still there, still beaten


def test_must_beat_all_fails_when_a_baseline_lost_its_score(project):
    run = copy.deepcopy(ACCEPTED)
    rule = next(e for e in run["entries"] if e["name"] == "rule")
    rule["metrics"]["precision"], rule["score"] = None, None
    assert "baseline 'rule' had a score in the reference but has none" in _failed(_gate(project, run))


def test_the_reference_records_every_baseline(project):
    doc = json.loads((project / "reference.json").read_text())
    assert doc["baselines"] == {"rule": {"kind": "rule", "score": 0.9, "ceiling": False},
                                "majority": {"kind": "rule", "score": 0.5, "ceiling": False}}


# --- item 4: the stored score is recomputed --------------------------------------------------------------

def _nulled(doc: dict[str, Any], name: str) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    target = next(e for e in doc["entries"] if e["name"] == name)
    target["metrics"] = {m: None for m in target["metrics"]}
    return doc


def test_a_run_whose_metrics_were_all_nulled_fails(project):
    failed = _failed(_gate(project, _nulled(ACCEPTED, "model")))
    assert "best: score recomputed" in failed and "stored score 0.9500 is not null" in failed


def test_a_stored_feasible_that_the_metrics_contradict_fails(project):
    run = copy.deepcopy(ACCEPTED)
    run["entries"][0]["metrics"]["recall"] = 0.5  # violates recall >= 0.9, still stored as feasible
    assert "stored as feasible but its metrics make it infeasible" in _failed(_gate(project, run))


def test_a_lowered_baseline_score_without_its_metrics_fails(project):
    run = copy.deepcopy(ACCEPTED)
    run["entries"][1]["score"] = 0.10  # rule: its precision is still 0.90
    assert "best: must_beat rule" in _failed(_gate(project, run))


def test_a_flipped_score_direction_fails(project):
    run = copy.deepcopy(ACCEPTED)
    run["strategy"]["higher_is_better"] = False
    assert "run: score direction" in _failed(_gate(project, run))


def test_a_tampered_human_level_fails():
    panel = entry("panel/majority_vote", "baseline", metrics={"precision": 0.97, "recall": 0.9})
    run = record(entry("model"), panel, human_level={"name": "panel/majority_vote", "score": 0.5})
    check = the(gate(run, run, {"must_beat": ["human"]}), "best: must_beat human")
    assert check.status == FAIL and "not the score of its row" in check.message


def test_a_reference_whose_accepted_score_was_edited_fails(project):
    doc = json.loads((project / "reference.json").read_text())
    doc["candidates"]["model"]["score"] = 0.50  # a lower bar than its metrics give
    (project / "reference.json").write_text(json.dumps(doc))
    failed = _failed(_gate(project, ACCEPTED))
    assert "model in the reference" in failed and "--update" in failed


@pytest.mark.parametrize("strategy", [
    {"name": "average", "metrics": ["precision", "log_loss"], "weights": [3.0, 1.0],
     "higher_is_better": True},
    {"name": "map", "metric": "roc_auc", "higher_is_better": True},
    {"name": "formula", "expression": "recall - 0.5 * (1 - precision)", "direction": "maximize",
     "higher_is_better": True},
])
def test_scores_of_every_strategy_are_recomputed(strategy):
    metrics = {"precision": 0.9, "recall": 0.8, "roc_auc": 0.95, "log_loss": 0.2}
    score = {"average": (3 * 0.9 + (1 - 0.2)) / 4, "map": 0.95, "formula": 0.8 - 0.5 * (1 - 0.9)}
    honest = record(entry("model", metrics=metrics, score=score[strategy["name"]]), strategy=strategy)
    assert the(gate(honest, honest, {}), "best: score recomputed").status == PASS
    tampered = copy.deepcopy(honest)
    tampered["entries"][0]["score"] += 0.01
    assert the(gate(tampered, honest, {}), "best: score recomputed").status == FAIL


# --- item 5: data files are never resolved ------------------------------------------------------------

def _assert_secret_kept(project: Path, result) -> None:
    written = [p.read_text() for p in (project / "out").glob("*")]
    assert written, "the requested outputs were not written"
    for text in [result.stdout, result.stderr, *written]:
        assert SECRET not in text


def test_an_interpolation_in_the_reference_is_not_resolved(project):
    doc = json.loads((project / "reference.json").read_text())
    doc["gate"]["candidates"] = "${oc.env:SECRET_TOKEN}"
    (project / "reference.json").write_text(json.dumps(doc))
    result = _gate(project, ACCEPTED, *_outputs(project), env={"SECRET_TOKEN": SECRET})
    assert "${oc.env:SECRET_TOKEN}" in one_error_line(result)  # shown as written: a wrong value
    _assert_secret_kept(project, result)


def test_an_interpolation_in_a_baseline_name_of_the_reference_is_not_resolved(project):
    doc = json.loads((project / "reference.json").read_text())
    doc["gate"]["must_beat"] = ["${oc.env:SECRET_TOKEN}"]
    (project / "reference.json").write_text(json.dumps(doc))
    result = _gate(project, ACCEPTED, *_outputs(project), env={"SECRET_TOKEN": SECRET})
    assert "best: must_beat ${oc.env:SECRET_TOKEN}" in _failed(result)
    _assert_secret_kept(project, result)


def test_an_interpolation_in_metrics_json_is_not_resolved(project):
    run = copy.deepcopy(ACCEPTED)
    run["gate"] = dict(RULES, candidates="${oc.env:SECRET_TOKEN}")
    run["verdict"] = "${oc.env:SECRET_TOKEN}"
    run["entries"][2]["name"] = "${oc.env:SECRET_TOKEN}"
    result = _gate(project, run, *_outputs(project), env={"SECRET_TOKEN": SECRET})
    assert result.code == 1  # the renamed baseline vanished from the reference's set
    _assert_secret_kept(project, result)
    update = run_cli("gate", str(project / "run"), "--reference", str(project / "new.json"), "--update",
                     env={"SECRET_TOKEN": SECRET})
    one_error_line(update)
    assert SECRET not in update.stdout + update.stderr
    assert not (project / "new.json").exists()


# --- item 13: inputs that cannot be read still give every output ----------------------------------------

HUGE_INTEGER = "9" * 5000
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("where", "text", "fragment"), [
    ("run", '{"entries": [], "x": ' + HUGE_INTEGER + "}", "integer too long"),
    ("run", '{"entries": [], "x": ' + DEEP + "}", "nested too deeply"),
    ("run", '{"entries": [], "x": ' + "[" * 80 + "]" * 80 + "}", "nested too deeply at x"),
    ("run", '{"entries": [], "x": 1' + "0" * 400 + "}", "x is an integer of"),
    ("reference", '{"evalkit_reference": 2, "gate": ' + HUGE_INTEGER + "}", "integer too long"),
    ("reference", '{"evalkit_reference": 2, "gate": ' + DEEP + "}", "nested too deeply"),
])
def test_unreadable_json_is_one_line_and_every_output_says_the_gate_could_not_run(project, where, text,
                                                                                   fragment):
    target = project / ("run/metrics.json" if where == "run" else "reference.json")
    target.parent.mkdir(exist_ok=True)
    target.write_text(text)
    result = _gate(project, project / "run" if where == "run" else project / "accepted", *_outputs(project))
    line = one_error_line(result)
    assert fragment in line and str(target) in line
    out = project / "out"
    assert json.loads((out / "g.json").read_text())["verdict"] == "error"
    assert ET.parse(out / "gate.xml").getroot().find("testsuite").get("errors") == "1"
    assert "could not run" in (out / "gate.md").read_text()


def test_a_huge_metric_value_is_refused_not_compared(project):
    run = copy.deepcopy(ACCEPTED)
    (project / "run").mkdir()
    text = json.dumps(run).replace('"recall": 0.92', '"recall": 1' + "0" * 400, 1)
    (project / "run" / "metrics.json").write_text(text)
    line = one_error_line(_gate(project, project / "run", *_outputs(project)))
    assert "entries[0].metrics.recall is an integer of" in line


@pytest.mark.parametrize(("damage", "fragment"), [
    (lambda r: r["entries"][0].update(name=["model"]), "entries[0] is not an object with a text 'name'"),
    (lambda r: r["entries"].append(copy.deepcopy(r["entries"][0])), "two entries are named 'model'"),
    (lambda r: r["entries"][0].update(metrics=[0.9]), "entries[0].metrics has the wrong type (list)"),
    (lambda r: r["entries"][0].update(violations=[{"x": 1}]), "entries[0].violations holds a value"),
    (lambda r: r.update(best=["model"]), "'best' has the wrong type (list)"),
    (lambda r: r.update(strategy="satisficing"), "'strategy' has the wrong type (str)"),
])
def test_a_run_record_of_the_wrong_shape_is_one_line_and_every_output_says_so(project, damage, fragment):
    run = copy.deepcopy(ACCEPTED)
    damage(run)
    result = _gate(project, run, *_outputs(project))
    assert fragment in one_error_line(result)
    assert json.loads((project / "out" / "g.json").read_text())["verdict"] == "error"


def test_an_internal_error_still_writes_every_output_before_it_propagates(project, monkeypatch):
    from evalkit.gate import command

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(command, "check_run", broken)
    with pytest.raises(ZeroDivisionError):
        command.main([str(project / "accepted"), "--reference", str(project / "reference.json"),
                      *_outputs(project)])
    verdict = json.loads((project / "out" / "g.json").read_text())
    assert verdict["verdict"] == "error" and "internal error" in verdict["error"]
    assert "could not run" in (project / "out" / "gate.md").read_text()


# --- any damage to metrics.json: a verdict or one line, never a traceback or a missing output ------------

# Control characters are left out: escaping them in gate.xml is issue 12 item 11, tested with the outputs.
_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70) | st.floats(allow_nan=True)
    | _TEXT | st.just("${oc.env:SECRET_TOKEN}"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path into ``doc`` (dict keys and list positions)."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


@pytest.mark.parametrize("target", ["run", "reference"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_run_or_reference_gives_a_verdict_or_one_line_and_always_every_output(project, target,
                                                                                       data):
    reference = project / "reference.json"
    doc = copy.deepcopy(ACCEPTED) if target == "run" else json.loads(reference.read_text())
    paths = [p for p in _paths(doc) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = data.draw(_JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier damage removed this path
    out = project / "out"
    for old in out.glob("*"):
        old.unlink()
    damaged = project / "damaged.json"
    damaged.write_text(json.dumps(doc))
    run = write_run(project / "run", doc if target == "run" else ACCEPTED)
    result = run_cli("gate", str(run), "--reference", str(damaged if target == "reference" else reference),
                     *_outputs(project), env={"SECRET_TOKEN": SECRET})
    assert result.code in (0, 1, 2) and "Traceback" not in result.stderr, result.stderr
    if result.code == 2:
        one_error_line(result)
    verdict = json.loads((out / "g.json").read_text())
    assert verdict["exit_code"] == result.code
    assert ET.parse(out / "gate.xml").getroot() is not None
    assert SECRET not in result.stdout + result.stderr + (out / "gate.md").read_text()


def test_an_entry_without_an_operating_point_is_trusted_as_infeasible_though_its_metrics_pass():
    from evalkit.gate.checks import check_recomputed
    from tests.gate.records import entry as make_entry
    from tests.gate.records import record as make_record

    reason = "fold 1 of 5: no threshold meets recall >= 0.9 at 0.95 confidence on the choosing data"
    stored = make_entry("model", feasible=False, violations=[f"operating point: {reason}"])
    stored["operating_point"] = {"choose_on": "cross_fit", "threshold": None, "infeasible": reason}
    doc = make_record(stored)
    assert check_recomputed("best", doc["entries"][0], doc) is None
    # Stored as feasible despite the missing operating point: the record was altered.
    doc["entries"][0]["feasible"] = True
    assert "stored as feasible but its metrics make it infeasible" in \
        check_recomputed("best", doc["entries"][0], doc).message
