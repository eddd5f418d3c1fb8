"""``python -m evalkit extrapolate CURVE.csv``: a learning curve measured anywhere, extrapolated.

The CSV has columns ``n`` (training-set size) and ``score``, and optionally ``seed`` (several runs per
size make the weights and the intervals better). For a deep-learning curve trained outside evalkit
as much as for one evalkit measured.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError, DataError, EvalkitError

_EPILOG = """\
examples:
  python -m evalkit extrapolate curve.csv --at 20000 --target 0.95
  python -m evalkit extrapolate curve.csv --target 0.95 --cost-per-label 0.08 --currency USD
  python -m evalkit extrapolate loss_curve.csv --lower-is-better --target 0.2 --json"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"extrapolate: {message}; see `python -m evalkit extrapolate --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m evalkit extrapolate", epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="Fit a learning curve (columns n, score[, seed]) and say what more labels "
                                 "buy: the score at a larger size and the labels a target score needs, with "
                                 "intervals, or why the curve cannot tell.")
    parser.add_argument("curve", type=Path, metavar="CURVE.csv", help="CSV with columns n, score[, seed]")
    parser.add_argument("--at", type=float, action="append", default=[], metavar="N",
                        help="predict the score at N training items (repeatable)")
    parser.add_argument("--target", type=float, action="append", default=[], metavar="T",
                        help="how many labels reach score T (repeatable)")
    parser.add_argument("--lower-is-better", action="store_true", help="the score is a loss or an error")
    parser.add_argument("--best-possible", type=float, default=None, metavar="B",
                        help="the best value the score can take (1 for accuracy, 0 for an error rate): "
                             "the fitted curve never promises more")
    parser.add_argument("--worst-possible", type=float, default=None, metavar="W",
                        help="the worst value the score can take (0 for accuracy or recall): "
                             "no interval reaches past it")
    parser.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    parser.add_argument("--resamples", type=int, default=200, help="bootstrap refits (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--cost-per-label", type=float, default=None, metavar="C",
                        help="what one more label costs; turns labels needed into money")
    parser.add_argument("--currency", default="", help="printed after costs, e.g. USD")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    return parser


def read_curve(path: Path) -> tuple[list[float], list[float]]:
    """The ``n`` and ``score`` columns of a curve CSV; :class:`DataError` naming the file otherwise."""
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{path}: no such file; give a CSV with columns n, score[, seed]")
    try:
        frame = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    missing = [c for c in ("n", "score") if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: no column {', '.join(repr(c) for c in missing)} (it has: "
                        f"{', '.join(map(str, frame.columns))}); a curve needs columns n, score[, seed]")
    values = {}
    for column in ("n", "score"):
        numeric = pd.to_numeric(frame[column], errors="coerce")
        bad = numeric.isna() & frame[column].notna()
        if bad.any():
            raise DataError(f"{path}: column '{column}' row {int(bad.to_numpy().argmax()) + 2}: "
                            f"{frame[column][bad].iloc[0]!r} is not a number")
        values[column] = numeric.tolist()
    return values["n"], values["score"]


def _count(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:,.0f}"


def _money(labels: float | None, cost: float, currency: str) -> str:
    return "unbounded" if labels is None else f"{labels * cost:,.2f}{' ' + currency if currency else ''}"


def parameter_text(answer: dict[str, Any], name: str) -> str:
    """One fitted parameter with its bootstrap interval, e.g. ``a=0.9554 [0.9412, 0.9733]``."""
    interval = (answer.get("param_intervals") or {}).get(name)
    value = f"{name}={answer['params'][name]:.4g}"
    return value if interval is None else f"{value} [{interval[0]:.4g}, {interval[1]:.4g}]"


def text(answer: dict[str, Any], cost: float | None, currency: str) -> str:
    """The answer for a person: the fit in one line, then one line per size and per target."""
    sizes = answer["sizes"]
    runs = answer["runs_per_size"]
    params = ", ".join(parameter_text(answer, k) for k in answer["params"])
    lines = [f"curve: {len(sizes)} sizes ({sizes[0]:,.0f} to {sizes[-1]:,.0f} items), "
             f"{min(runs)}{'' if min(runs) == max(runs) else f'-{max(runs)}'} run(s) per size; "
             f"score at the largest size {answer['current_score']:.4g}",
             f"fit: {answer['family']}  {answer['formula']}; {params}"
             + (f" ({answer['level']:.0%})" if answer.get("param_intervals") else "")]
    if not answer["reliable"]:
        lines.append(f"caution: {answer['reliability_note']}")
    level = f"{answer['level']:.0%}"
    for p in answer["predictions"]:
        if p["status"] == "ok":
            interval = f"[{p['low']:.4g}, {p['high']:.4g}]"
            line = f"at n={p['n']:,.0f}: score {p['score']:.4g} {interval} ({level})"
            if p["run_low"] is not None:
                line += f"; one model trained on that many: [{p['run_low']:.4g}, {p['run_high']:.4g}]"
            lines.append(line)
        else:
            lines.append(f"at n={p['n']:,.0f}: no number: {p['status']}")
    for t in answer["targets"]:
        head = f"target {t['target']:g}:"
        if t["status"] == "reached":
            lines.append(f"{head} already reached at the largest measured size; no more labels needed")
        elif t["status"] == "ok":
            line = (f"{head} about {_count(t['labels'])} labels in all "
                    f"[{_count(t['low'])}, {_count(t['high'])}], {_count(t['more'])} more "
                    f"[{_count(t['more_low'])}, {_count(t['more_high'])}] ({level})")
            if cost is not None:
                low, high = _money(t["more_low"], cost, currency), _money(t["more_high"], cost, currency)
                line += f"; about {_money(t['more'], cost, currency)} [{low}, {high}]"
            if t["high"] is None:
                line += "; the upper bound is beyond what the curve supports"
            lines.append(line)
        else:
            lines.append(f"{head} no number: {t['status']}")
    return "\n".join(lines)


def main(args: list[str]) -> int:
    """Run ``extrapolate``; exit 0 with the answer, 2 on bad input."""
    try:
        ns = build_parser().parse_args(args)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except EvalkitError as exc:
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        for flag, values in (("--at", ns.at), ("--target", ns.target)):
            if any(not math.isfinite(v) for v in values):
                raise ConfigError(f"{flag}: every value must be a finite number")
        if any(v <= 0 for v in ns.at):
            raise ConfigError("--at: a size must be a positive number of training items")
        if ns.cost_per_label is not None and (not math.isfinite(ns.cost_per_label) or ns.cost_per_label < 0):
            raise ConfigError(f"--cost-per-label {ns.cost_per_label:g}: a cost must be a finite number >= 0")
        if ns.resamples < 50:
            raise ConfigError(f"--resamples {ns.resamples}: use at least 50 for an interval")
        n, score = read_curve(ns.curve)
        from evalkit.learning_curve.extrapolate import extrapolate

        answer = extrapolate(n, score, at=ns.at, targets=ns.target, higher_is_better=not ns.lower_is_better,
                             level=ns.level, resamples=ns.resamples, seed=ns.seed,
                             best_possible=ns.best_possible, worst_possible=ns.worst_possible,
                             source=str(ns.curve))
    except EvalkitError as exc:
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if ns.cost_per_label is not None:
        for t in answer["targets"]:
            if t["status"] in ("ok", "reached"):
                t["cost"] = {k: None if t.get(src) is None else t[src] * ns.cost_per_label
                             for k, src in (("more", "more"), ("low", "more_low"), ("high", "more_high"))}
                t["cost"]["currency"] = ns.currency
    print(json.dumps(answer, indent=2) if ns.json else text(answer, ns.cost_per_label, ns.currency))
    return 0
