"""``python -m evalkit compare RUN_DIR...``: the command line of :mod:`evalkit.merge`.

Kept apart from the merging so that ``compare --help`` answers before the figure and metric modules
load.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evalkit.errors import EvalkitError


def main(args: list[str]) -> int:
    """Merge the given run directories; exit 0 with the merged leaderboard, 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog="python -m evalkit compare",
        description="Merge run directories (e.g. one job per candidate from a Hydra sweep) into one "
                    "leaderboard. Example: python -m evalkit run -m 'select=[logreg],[svm]' then "
                    "python -m evalkit compare results/multirun/<timestamp>")
    parser.add_argument("runs", nargs="+", type=Path,
                        help="run directories, or sweep directories holding them")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the merged results (default: <first path>/merged)")
    options = parser.parse_args(args)
    from evalkit import run_folder
    from evalkit.merge import (
        checked_curves,
        checked_record,
        cross_job_significance,
        find_runs,
        merge_curves,
        merge_records,
    )
    from evalkit.report import terminal_table
    from evalkit.resamples_file import record_field, resamples_npz

    try:
        runs = find_runs(options.runs)
        records = [(run, checked_record(run)) for run in runs]
        merged = merge_records(records)
        update, saved = cross_job_significance(records, merged)
        if "comparisons" in update:
            merged |= update  # its notes replace "significance stays per job"
        else:
            merged["uncertainty_notes"] = [*merged.get("uncertainty_notes", []),
                                           *update.get("uncertainty_notes", [])]
        resamples = None
        if saved:
            # The merged folder saves the union too, so merged runs can be merged again.
            n_items = int(merged["data"]["n_items"])
            merged["resamples_file"] = record_field(saved, merged["data"]["fingerprint"], n_items,
                                                    merged["bootstrap"])
            resamples = resamples_npz(saved.values(), n_items)
        curves = merge_curves([checked_curves(run) for run in runs])
        out = options.out or options.runs[0] / "merged"
        with run_folder.exclusive(out):
            run_folder.write_run(out, merged, curves, resamples)
    except EvalkitError as exc:
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(terminal_table(merged))
    print(f"merged {len(runs)} runs into: {out}")
    return 0
