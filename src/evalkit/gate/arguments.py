"""The gate's command-line arguments, apart from the checks so that ``gate --help`` loads none of them."""

from __future__ import annotations

import argparse
from pathlib import Path

from evalkit.errors import ConfigError
from evalkit.gate.files import LATEST, METRICS_FILE

RESULTS_DIR = Path("results")
_DESCRIPTION = """\
Check a run against a stored reference with the tolerances agreed in it, or (--update) accept the
run as the new reference. Exit 0: pass; 1: a check failed; 2: the gate could not run."""
_EPILOG = """\
examples:
  python -m evalkit gate latest --reference results/reference.json --update
  python -m evalkit gate results/ci --reference results/reference.json \\
      --junit gate.xml --markdown gate.md --json gate.json
The rules come from the experiment's gate: config (conf/gate/default.yaml for the demo) and are
stored in the reference by --update; checks apply the stored rules. Every rule: README.md, "Use in CI"."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors print like every evalkit error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"gate: {message}; see `python -m evalkit gate --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m evalkit gate", description=_DESCRIPTION, epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", metavar="RUN_DIR",
                        help=f"a run directory holding {METRICS_FILE}, or '{LATEST}' for the newest run "
                             f"under {RESULTS_DIR}/")
    parser.add_argument("--reference", metavar="FILE", type=Path, required=True,
                        help="the reference JSON (e.g. results/reference.json), committed with the code")
    parser.add_argument("--update", action="store_true",
                        help="write (or rewrite) the reference from RUN_DIR and its gate rules, after "
                             "printing what changes")
    parser.add_argument("--allow-data-change", action="store_true",
                        help="a run on other data than the reference's warns instead of failing")
    parser.add_argument("--junit", metavar="FILE", type=Path, help="write JUnit XML, one testcase per check")
    parser.add_argument("--markdown", metavar="FILE", type=Path,
                        help="write a Markdown summary fit for a pull-request comment")
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the machine-readable verdict")
    return parser
