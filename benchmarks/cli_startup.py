"""Benchmark: how long each ``--help`` takes, against importing scikit-learn's metrics.

Run after installing evalkit::

    python benchmarks/cli_startup.py            # 7 runs of each command, median reported
    python benchmarks/cli_startup.py --runs 15

Each command runs in a fresh interpreter, as a user types it. ``python -c pass`` is the floor (the
interpreter's own start); ``python -c "import sklearn.metrics"`` is what every command would cost if
it imported the work's libraries before printing help. Help must stay under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass (floor)", ["-c", "pass"]),
    ("python -c 'import sklearn.metrics'", ["-c", "import sklearn.metrics"]),
    ("evalkit --help", ["-m", "evalkit", "--help"]),
    ("evalkit --version", ["-m", "evalkit", "--version"]),
    ("evalkit run --help", ["-m", "evalkit", "run", "--help"]),
    ("evalkit gate --help", ["-m", "evalkit", "gate", "--help"]),
    ("evalkit plot --help", ["-m", "evalkit", "plot", "--help"]),
    ("evalkit compare --help", ["-m", "evalkit", "compare", "--help"]),
]


def wall_time(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (median reported)")
    runs = parser.parse_args().runs
    for _, args in COMMANDS:  # warm the file cache so the first command is not charged for it
        wall_time(args)
    medians = {label: statistics.median(wall_time(args) for _ in range(runs)) for label, args in COMMANDS}
    reference = medians["python -c 'import sklearn.metrics'"]
    print(f"{'command':<38} {'median s':>9} {'x sklearn.metrics':>18}")
    for label, seconds in medians.items():
        print(f"{label:<38} {seconds:>9.3f} {seconds / reference:>18.2f}")
    slow = [label for label, s in medians.items() if label.startswith("evalkit") and s >= 0.5]
    print("every help under 0.5 s" if not slow else f"over 0.5 s: {', '.join(slow)}")


if __name__ == "__main__":
    main()
