"""The ``evalkit`` command line: ``run`` (Hydra), ``gate``, ``plot`` and ``compare``."""

from __future__ import annotations

import sys

USAGE = """usage: python -m evalkit COMMAND [ARGS]

Which model is best by one agreed number, and is it really better than the baselines?

commands:
  run       run an experiment (Hydra: overrides, -m multirun, --config-dir/--config-name);
            with no arguments, the built-in demo. `python -m evalkit run --help` for the config.
"""


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a command; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "run":
        from evalkit.hydra_app import main as run_main
        return run_main(rest)
    print(f"evalkit: error: unknown command '{command}'\n\n{USAGE}", file=sys.stderr)
    return 2
