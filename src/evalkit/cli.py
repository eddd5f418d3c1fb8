"""The ``evalkit`` command line: ``run`` (Hydra), ``gate``, ``plot`` and ``compare``.

Each command lives in its own module with a ``main(args: list[str]) -> int``; this module only
dispatches, importing the command lazily so ``--help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

from evalkit.exit_codes import guarded

COMMANDS = {
    "run": ("evalkit.run_command", "run an experiment (Hydra: overrides, -m multirun, "
            "--config-dir/--config-name); no arguments: the built-in demo"),
    "gate": ("evalkit.gate.main",
             "check a run against a stored reference (exit 0 pass, 1 fail, 2 error)"),
    "plot": ("evalkit.plots.command", "redraw a run's figures and HTML report from its saved results"),
    "compare": ("evalkit.compare_command", "merge the run directories of a multirun into one leaderboard"),
    "extrapolate": ("evalkit.learning_curve.command",
                    "extrapolate a learning curve (n, score): labels needed for a target score"),
}


def usage() -> str:
    lines = ["usage: python -m evalkit COMMAND [ARGS]", "",
             "Which model is best by one agreed number, and is it really better than the baselines?", "",
             "commands:"]
    lines += [f"  {name:<12} {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "`python -m evalkit COMMAND --help` for a command's options; "
              "`python -m evalkit --version` for the version."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a command; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(usage(), file=sys.stderr)
        print("evalkit: error: name a command (the built-in demo: python -m evalkit run)", file=sys.stderr)
        return 2
    if args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if args[0] in ("-V", "--version", "version"):
        from evalkit import __version__

        print(f"evalkit {__version__}")
        return 0
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        print(f"evalkit: error: unknown command '{command}'; choose one of: {', '.join(COMMANDS)}",
              file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(COMMANDS[command][0])
    except ModuleNotFoundError:
        print(f"evalkit: error: the '{command}' command is not available in this version", file=sys.stderr)
        return 2
    return guarded(module.main, rest)
