"""``python -m evalkit gate``: check a run against a reference, or accept it as the new reference.

Exit codes: 0 every check passed (warnings allowed), 1 a check failed, 2 the gate could not run
(bad arguments, a missing or corrupt file). The I/O lives here; the checks in evalkit.gate.checks
are pure. When the gate cannot run, the requested outputs are still written, saying so, so CI
shows the reason instead of a missing report.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from evalkit.errors import ConfigError, DataError, EvalkitError
from evalkit.gate import outputs
from evalkit.gate.arguments import RESULTS_DIR, build_parser
from evalkit.gate.checks import check_run
from evalkit.gate.files import METRICS_FILE, append, read_run, resolve_run, write_atomic
from evalkit.gate.outputs import Verdict
from evalkit.gate.reference import (
    build_reference,
    describe_changes,
    load_reference_doc,
    parse_reference,
    read_reference,
    to_json,
)
from evalkit.gate.rules import (
    NO_RULES_HINT,
    canonical_rules,
    describe_rules,
    is_score_only,
    parse_rules,
    validate_against_run,
)

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def main(args: list[str]) -> int:
    """Run the gate command with ``args``; returns the exit code."""
    try:
        ns = build_parser().parse_args(args)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except EvalkitError as exc:
        return _error(exc)
    try:
        if ns.update:
            given = {"--junit": ns.junit, "--markdown": ns.markdown, "--json": ns.json,
                     "--allow-data-change": ns.allow_data_change}
            extra = [flag for flag, value in given.items() if value]
            if extra:
                raise ConfigError(f"gate: --update only writes the reference; drop {', '.join(extra)} "
                                  "(run the gate without --update to check and report)")
            return update(ns.run, ns.reference)
    except EvalkitError as exc:
        return _error(exc)
    try:
        verdict = evaluate(ns.run, ns.reference, allow_data_change=ns.allow_data_change)
    except Exception as exc:
        # A bug, not bad input: CI must still find the requested outputs saying the gate could not run
        # (a missing gate.xml reads as "no tests"), then the error propagates as an internal error.
        crashed = Verdict(ns.run, str(ns.reference),
                          error=f"internal error ({type(exc).__name__}); please report it")
        with contextlib.suppress(EvalkitError):  # the internal error below is the one to report
            write_outputs(crashed, junit=ns.junit, markdown=ns.markdown, json_path=ns.json,
                          environ=os.environ)
        raise
    if verdict.result is not None:
        print(outputs.text(verdict))
    write_error = None
    try:
        write_outputs(verdict, junit=ns.junit, markdown=ns.markdown, json_path=ns.json, environ=os.environ)
    except EvalkitError as exc:
        write_error = exc
    if verdict.error:
        print(f"evalkit: error: {verdict.error}", file=sys.stderr)
    return _error(write_error) if write_error else verdict.exit_code


def _error(exc: EvalkitError) -> int:
    print(f"evalkit: error: {exc}", file=sys.stderr)
    return exc.exit_code


def evaluate(run: str, reference: Path, *, allow_data_change: bool = False) -> Verdict:
    """Read both inputs and check; an unreadable input becomes an error verdict (exit 2), never a pass."""
    label = run
    try:
        run_dir = resolve_run(run, RESULTS_DIR)
        label = str(run_dir)
        record = read_run(run_dir)
        ref = read_reference(reference)
    except EvalkitError as exc:
        return Verdict(label, str(reference), error=str(exc))
    return Verdict(label, str(reference), check_run(record, ref, allow_data_change=allow_data_change))


def write_outputs(verdict: Verdict, *, junit: Path | None = None, markdown: Path | None = None,
                  json_path: Path | None = None, environ: Mapping[str, str] | None = None) -> None:
    """Write every requested format; append the Markdown to ``$GITHUB_STEP_SUMMARY`` when it is set."""
    requested: list[tuple[Path | None, Callable[[Verdict], str]]] = [
        (junit, outputs.junit), (markdown, outputs.markdown), (json_path, outputs.to_json)]
    for path, render in requested:
        if path is not None:
            _write(path, render(verdict), write_atomic)
    summary = (environ or {}).get(SUMMARY_ENV)
    if summary:
        _write(Path(summary), outputs.markdown(verdict) + "\n", append)


def _write(path: Path, text: str, writer: Callable[[Path, str], None]) -> None:
    try:
        writer(path, text)
    except OSError as exc:
        raise DataError(f"{path}: cannot write ({exc.strerror or exc}); check that its directory is "
                        "writable") from None


def update(run: str, reference: Path) -> int:
    """Write the reference from a run and its recorded gate rules, printing what changes first."""
    run_dir = resolve_run(run, RESULTS_DIR)
    record = read_run(run_dir)
    where = f"{run_dir / METRICS_FILE if run_dir.is_dir() else run_dir}: gate"
    if record.get("gate") is None:
        raise ConfigError(f"{where}: the run records no gate rules (written by an older evalkit?); re-run "
                          "the experiment so its gate: section (conf/gate/default.yaml by default) is "
                          "recorded")
    gate = canonical_rules(record["gate"], where=where)
    rules = parse_rules(gate, where=where)
    validate_against_run(rules, record, where=where)
    new = build_reference(record, gate)
    old, problem = None, None
    if reference.exists():
        try:
            old = load_reference_doc(reference)
        except DataError as exc:
            problem = str(exc)
    if old is not None:
        changes = describe_changes(old, new)
        count = f"{len(changes) or 'no'} change{'s' if len(changes) != 1 else ''}"
        print(f"updating {reference} from {run_dir}: {count}")
        print("\n".join(f"  {line}" for line in changes))
    else:
        print(f"{'replacing unreadable' if problem else 'creating'} {reference} from {run_dir}")
        print(f"  best: {new['best']}; candidates: {', '.join(new['candidates'])}")
    strategy = record.get("strategy") if isinstance(record.get("strategy"), dict) else {}
    print("rules it will apply:")
    print("\n".join(f"  {line}" for line in describe_rules(rules, record.get("metric_directions"),
                                                           strategy.get("higher_is_better"))))
    if is_score_only(rules):
        # An empty gate: section is accepted (the score is always gated), but must not pass unnoticed.
        print("warning: the experiment has no gate: rules, so only the score is gated, at tolerance 0 (any "
              f"regression fails); {NO_RULES_HINT}", file=sys.stderr)
    write_atomic(reference, to_json(new))
    # Accepting a run that fails its own rules (e.g. a min bound) would make the next CI run fail.
    failed = check_run(record, parse_reference(new, where=str(reference))).failed
    for check in failed:
        print(f"warning: the accepted run fails its own gate: {check.name}: {check.message}",
              file=sys.stderr)
    print(f"wrote {reference}; review the diff and commit it")
    return 0
