"""The gate's verdict as text: terminal lines, JUnit XML, Markdown and JSON. Pure: strings out, no I/O.

A verdict is a pass, a failure, or an error (the gate could not run); every format can say all
three, so CI shows a readable reason even when the reference file is missing or corrupt.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from evalkit.escaping import markdown_code, markdown_text, xml_text
from evalkit.gate.checks import FAIL, PASS, WARN, Check, GateResult

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
_ICON = {PASS: "✅", WARN: "⚠️", FAIL: "❌"}
_ORDER = {FAIL: 0, WARN: 1, PASS: 2}


@dataclass(frozen=True)
class Verdict:
    """What the gate concluded about ``run`` against ``reference``: a result, or an error message."""

    run: str
    reference: str
    result: GateResult | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        if self.result is None:
            return "error"
        return "pass" if self.result.passed else "fail"

    @property
    def exit_code(self) -> int:
        return {"pass": EXIT_PASS, "fail": EXIT_FAIL}.get(self.status, EXIT_ERROR)

    @property
    def checks(self) -> tuple[Check, ...]:
        return self.result.checks if self.result is not None else ()

    def headline(self) -> str:
        """One line: the verdict and the counts."""
        if self.result is None:
            return f"gate could not run: {self.error}"
        n, failed, warned = len(self.checks), len(self.result.failed), len(self.result.warnings)
        warnings = f", {warned} warning{'s' if warned != 1 else ''}" if warned else ""
        if failed:
            return f"gate FAILED: {failed} of {n} checks failed{warnings}"
        return f"gate passed: {n} checks{warnings}"


def text(verdict: Verdict) -> str:
    """For the terminal: one line per check, failures first, then the headline."""
    lines = [f"gate: {verdict.run} against {verdict.reference}"]
    for check in sorted(verdict.checks, key=lambda c: _ORDER[c.status]):
        lines.append(f"  {check.status.upper():4}  {check.name}: {check.message}")
    if verdict.result is not None:
        lines += [f"  note: {note}" for note in verdict.result.notes]
    lines.append(verdict.headline())
    return "\n".join(lines)


def junit(verdict: Verdict) -> str:
    """JUnit XML: one testcase per check; a failed check is a ``<failure>``, an error an ``<error>``.

    Warnings pass, with the reason in ``<system-out>``: JUnit has no warning state, and a CI that
    counts skips would hide them.
    """
    checks = verdict.checks
    failures = sum(c.status == FAIL for c in checks)
    errors = int(verdict.result is None)
    counts = {"tests": str(len(checks) + errors), "failures": str(failures), "errors": str(errors)}
    # Names, paths and messages come from the run and reference files: xml_text() keeps the document
    # well-formed whatever control characters they hold.
    x = xml_text
    suites = ET.Element("testsuites", name="evalkit gate", **counts)
    suite = ET.SubElement(suites, "testsuite", name="evalkit gate", skipped="0", **counts)
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="run", value=x(verdict.run))
    ET.SubElement(properties, "property", name="reference", value=x(verdict.reference))
    for check in checks:
        case = ET.SubElement(suite, "testcase", classname=x(f"evalkit.gate.{check.subject}"),
                             name=x(check.rule))
        if check.status == FAIL:
            failure = ET.SubElement(case, "failure", message=x(check.message), type="regression")
            failure.text = x(_detail(check))
        else:
            ET.SubElement(case, "system-out").text = x(f"{check.status}: {check.message}")
    if verdict.result is None:
        case = ET.SubElement(suite, "testcase", classname="evalkit.gate", name="gate could not run")
        error = x(verdict.error or "")
        ET.SubElement(case, "error", message=error, type="error").text = error
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _detail(check: Check) -> str:
    parts = [check.message]
    if check.value is not None:
        parts.append(f"value: {check.value!r}")
    if check.reference is not None:
        parts.append(f"reference: {check.reference!r}")
    if check.limit:
        parts.append(f"limit: {check.limit}")
    return "\n".join(parts)


def markdown(verdict: Verdict) -> str:
    """A pull-request comment: the verdict, failures and warnings in a table, passed checks folded."""
    icon = {"pass": "✅", "fail": "❌", "error": "⛔"}[verdict.status]
    lines = [f"### {icon} evalkit {markdown_text(verdict.headline())}", "",
             f"Run {markdown_code(verdict.run)} against reference {markdown_code(verdict.reference)}.", ""]
    if verdict.result is None:
        lines += ["The gate fails closed: fix the input and re-run.", ""]
        return "\n".join(lines)
    ordered = sorted(verdict.checks, key=lambda c: _ORDER[c.status])
    flagged = [c for c in ordered if c.status != PASS]
    passed = [c for c in ordered if c.status == PASS]
    if flagged:
        lines += [*_table(flagged), ""]
    if passed:
        # Folded so the comment leads with what needs attention; blank lines let GitHub render the table.
        lines += [f"<details><summary>{len(passed)} check{'s' if len(passed) != 1 else ''} passed</summary>",
                  "", *_table(passed), "", "</details>", ""]
    lines += [f"- {_cell(note)}" for note in verdict.result.notes]
    return "\n".join(lines).rstrip() + "\n"


def _table(checks: list[Check]) -> list[str]:
    rows = ["| | check | detail |", "|---|---|---|"]
    rows += [f"| {_ICON[c.status]} | {_cell(c.name)} | {_cell(c.message)} |" for c in checks]
    return rows


def _cell(value: str) -> str:
    # One line, no markup: names and messages come from files the pull request may have changed.
    return markdown_text(value)


def to_json(verdict: Verdict) -> str:
    """The machine-readable verdict: status, exit code, counts, every check and the notes."""
    result = verdict.result
    doc: dict[str, Any] = {
        "verdict": verdict.status, "exit_code": verdict.exit_code, "run": verdict.run,
        "reference": verdict.reference, "error": verdict.error,
        "summary": {"checks": len(verdict.checks),
                    "passed": sum(c.status == PASS for c in verdict.checks),
                    "warnings": sum(c.status == WARN for c in verdict.checks),
                    "failed": sum(c.status == FAIL for c in verdict.checks)},
        "checks": [dataclasses.asdict(c) | {"name": c.name} for c in verdict.checks],
        "notes": list(result.notes) if result is not None else [],
    }
    return json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
