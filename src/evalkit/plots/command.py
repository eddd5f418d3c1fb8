"""``python -m evalkit plot RUN_DIR``: redraw a run's figures and reports from what the run saved.

Reads ``metrics.json`` and ``curves.json`` and nothing else: no data, no models, no metric is
recomputed, so an old run can be restyled (``--style``) or redrawn by a newer evalkit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evalkit.errors import DataError, EvalkitError

# matplotlib and the figure modules load in main, after the arguments parse: `plot --help` needs none.


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evalkit plot",
        description="Redraw a run's figures (plots/*.png, plots/*.svg), report.md and report.html from its "
                    "saved metrics.json and curves.json, without recomputing anything.")
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a run directory holding metrics.json")
    parser.add_argument("--style", action="append", default=[], metavar="STYLE",
                        help="a matplotlib style name or .mplstyle file applied on top of evalkit's look "
                             "(repeatable), e.g. --style seaborn-v0_8-talk")
    return parser


def _check_style(style: str) -> None:
    import matplotlib.style

    if style in matplotlib.style.available or Path(style).is_file():
        return
    raise DataError(f"--style {style!r}: not a matplotlib style name nor a file; use a .mplstyle path or one "
                    f"of: {', '.join(sorted(matplotlib.style.available)[:8])}, ...")


def main(args: list[str]) -> int:
    """Redraw; exit 0 when done, 2 on bad input (with one ``evalkit: error:`` line)."""
    try:
        options = _parser().parse_args(args)
    except SystemExit as exc:  # argparse already printed usage and the problem
        return int(exc.code or 0)
    from evalkit.plots.render import CURVES_FILE, PLOTS_DIR, REPORT_HTML, REPORT_MD, read_curves, render_run
    from evalkit.plots.style import user_styles
    from evalkit.record_check import check_curves, check_record
    from evalkit.record_io import METRICS_FILE, read_record

    try:
        run_dir: Path = options.run_dir
        if not run_dir.is_dir():
            raise DataError(f"{run_dir}: not a directory; give the run directory that holds metrics.json")
        for style in options.style:
            _check_style(style)
        record = read_record(run_dir)
        check_record(record, run_dir / METRICS_FILE)
        curves = read_curves(run_dir)
        if curves is not None:
            check_curves(curves, run_dir / CURVES_FILE)
        with user_styles(options.style):
            figures = render_run(run_dir, record, curves)
    except EvalkitError as exc:
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    for figure in figures:
        if figure.files:
            print(f"drew {figure.name}: {', '.join(p.name for p in figure.files)}")
        else:
            print(f"skipped {figure.name}: {figure.note}")
    print(f"wrote {run_dir / PLOTS_DIR}/, {run_dir / REPORT_MD}, {run_dir / REPORT_HTML}")
    return 0
