"""``python -m evalkit gate``: answers ``--help`` from the parser alone, then runs the gate.

Kept apart from :mod:`evalkit.gate.arguments` (the parser, which the gate itself uses) so that neither
module imports the other.
"""

from __future__ import annotations

import sys

from evalkit.errors import EvalkitError
from evalkit.gate.arguments import build_parser


def main(args: list[str]) -> int:
    """``python -m evalkit gate``: help from here; everything else from :mod:`evalkit.gate.command`."""
    if "-h" in args or "--help" in args:
        try:
            build_parser().parse_args(args)
        except SystemExit as exc:
            return int(exc.code or 0)
        except EvalkitError as exc:
            print(f"evalkit: error: {exc}", file=sys.stderr)
            return exc.exit_code
    from evalkit.gate import command

    return command.main(args)
