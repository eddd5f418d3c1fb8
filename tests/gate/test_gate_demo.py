"""Dogfooding: the built-in demo passes its own gate against the committed results/reference.json.

This is what .ci/run does. If it fails after an intended change to the demo or conf/gate/, accept
the new results: `python -m evalkit run hydra.run.dir=results/ci` then
`python -m evalkit gate results/ci --reference results/reference.json --update`, and commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evalkit.gate.rules import canonical_rules
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "results" / "reference.json"


@pytest.fixture(scope="module")
def gate_demo_run(demo_run: Path) -> Path:
    """The session's demo run (see tests/conftest.py)."""
    return demo_run


def test_the_demo_records_the_gate_rules_of_conf_gate_default(gate_demo_run):
    record = json.loads((gate_demo_run / "metrics.json").read_text())
    default = yaml.safe_load((ROOT / "conf" / "gate" / "default.yaml").read_text())
    assert record["gate"] == canonical_rules(default, where="conf/gate/default.yaml")


def test_the_demo_passes_the_committed_reference_without_warnings(gate_demo_run, tmp_path):
    result = run_cli("gate", str(gate_demo_run), "--reference", str(REFERENCE),
                     "--junit", str(tmp_path / "gate.xml"))
    assert result.code == 0, result.stdout + result.stderr
    # No warning: the reference holds today's conf/gate/default.yaml and the same best candidate.
    assert "WARN" not in result.stdout, result.stdout
