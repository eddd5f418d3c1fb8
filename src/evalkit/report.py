"""Human-facing text: the terminal leaderboard and ``report.md``."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.confidence import FRAGILE_BELOW
from evalkit.escaping import markdown_code
from evalkit.escaping import markdown_text as md
from evalkit.report_label_review import label_review_section, terminal_line
from evalkit.report_learning_curve import learning_curve_section, terminal_lines
from evalkit.report_multilabel import excluded_labels_note, per_label_ap_table
from evalkit.report_slices import slices_section
from evalkit.strategies.formula import metric_names_in_order, parse_formula
from evalkit.strategies.satisficing import describe_constraints
from evalkit.tasks import get_task

MISSING = "—"
FRAGILE_LEGEND = ("fragile = feasible in under 95% of resamples, or a constraint decided within a measured "
                  "cost's spread")


def _fmt(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.4g}"
    return str(value)


def _interval(entry: dict[str, Any], metric: str) -> str:
    bounds = (entry.get("ci") or {}).get(metric)
    if not bounds or bounds[0] is None:
        return ""
    return f"[{bounds[0]:.3f}, {bounds[1]:.3f}]"


def _feasibility(entry: dict[str, Any]) -> str:
    # A constraint decided within a measurement's spread could go the other way on a rerun, whichever
    # way it went here; a low share of feasible resamples only matters for a feasible entry.
    within_spread = bool(entry.get("fragile_constraints"))
    if not entry["feasible"]:
        return "NO (fragile)" if within_spread else "NO"
    share = entry.get("feasible_share")
    return "fragile" if within_spread or (share is not None and share < FRAGILE_BELOW) else "yes"


def _rows(record: dict[str, Any], metrics: list[str], *,
          inline_ci: bool) -> tuple[list[str], list[list[str]]]:
    """Leaderboard cells. ``inline_ci`` puts intervals in each cell (report); otherwise one score
    interval column (terminal)."""
    satisficing = record["strategy"]["name"] == "satisficing"
    # A merged record whose jobs bootstrapped differently has no one setting, but its entries keep intervals.
    has_ci = record.get("bootstrap") is not None or any(e.get("ci") for e in record["entries"])
    level = f"{record['bootstrap']['level']:.0%} CI" if record.get("bootstrap") else "CI"
    header = ["#", "entry", "role", "kind", "score", *([level] if has_ci and not inline_ci else []),
              *(["feasible"] if satisficing else []), *metrics]
    rows = []
    for entry in record["entries"]:
        name = entry["name"] + (" *" if entry["name"] == record["best"] else "")

        def cell(value: Any, metric: str, entry: dict[str, Any] = entry) -> str:
            text = _fmt(_none(value))
            ci = _interval(entry, metric) if inline_ci and value is not None else ""
            return f"{text} {ci}" if ci else text
        cells = [str(entry["rank"]), name, entry["role"], entry["kind"], cell(entry["score"], "score")]
        if has_ci and not inline_ci:
            cells.append(_interval(entry, "score") if entry["score"] is not None else "")
        if satisficing:
            cells.append(_feasibility(entry))
        cells += [cell(entry["metrics"].get(m), m) for m in metrics]
        rows.append(cells)
    return header, rows


def _none(value: Any) -> Any:
    return None if value is None or value != value else value


def _strategy_metrics(record: dict[str, Any]) -> list[str]:
    strategy = record["strategy"]
    names = list(strategy.get("metrics") or [])
    if strategy["name"] == "satisficing":
        names = [strategy["optimize"], *strategy.get("constraints", {})]
    if strategy["name"] == "map":
        names = [strategy["metric"]]
    if strategy["name"] == "formula":
        formula = parse_formula(strategy["expression"])
        names = list(metric_names_in_order(formula.expression, formula.names))
    seen: list[str] = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen


def terminal_table(record: dict[str, Any]) -> str:
    """An aligned plain-text leaderboard with the strategy's metrics, and the verdict."""
    header, rows = _rows(record, _strategy_metrics(record), inline_ci=False)
    widths = [max(len(c) for c in column) for column in zip(header, *rows, strict=True)]
    numeric = [i >= 4 for i in range(len(header))]
    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(cells, widths, numeric, strict=True)).rstrip()
    legend = "(* = best candidate" + (f"; {FRAGILE_LEGEND}" if any(
        "fragile" in r[header.index("feasible")] for r in rows) else "") + ")" if "feasible" in header \
        else "(* = best candidate)"
    out = [line(header), line(["-" * w for w in widths]), *map(line, rows), "",
           f"strategy: {describe_strategy(record['strategy'])}   {legend}", record["verdict"]]
    if record.get("significance"):
        out.append(record["significance"])
    out += terminal_lines(record)
    review = terminal_line(record)
    if review:
        out.append(review)
    return "\n".join(out)


def describe_strategy(strategy: dict[str, Any]) -> str:
    if strategy["name"] == "satisficing":
        constraints = describe_constraints(strategy.get("constraints", {}))
        goal = "maximize" if strategy.get("higher_is_better", True) else "minimize"
        return f"{goal} {strategy['optimize']}" + (f" subject to {constraints}" if constraints else "")
    if strategy["name"] == "average":
        parts = [f"{w:g}×{m}" for m, w in zip(strategy["metrics"], strategy["weights"], strict=True)]
        return f"weighted mean of {', '.join(parts)}"
    if strategy["name"] == "map":
        return f"{'maximize' if strategy.get('higher_is_better', True) else 'minimize'} {strategy['metric']}"
    if strategy["name"] == "formula":
        return f"{strategy['direction']} {strategy['expression']}"
    return str(strategy)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A pipe table of plain-text cells, each escaped (names come from users' files)."""
    lines = ["| " + " | ".join(map(md, header)) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(map(md, row)) + " |" for row in rows]
    return "\n".join(lines)


def markdown_report(record: dict[str, Any], *, figures: Sequence[tuple[str, str]] = (),
                    skipped: Sequence[str] = (), run_dir: Path | None = None) -> str:
    """``report.md``: the answer first (verdict, leaderboard, significance), then caveats, people, figures.

    ``figures`` are ``(caption, path relative to the report)``; ``skipped`` says which figures were
    not drawn and why. File paths in the record are shown relative to ``run_dir`` (or to evalkit's
    bundled files), never as an absolute path into someone's site-packages.
    """
    data = record["data"]
    strategy_metrics = [m for m in _strategy_metrics(record) if m in record["metric_directions"]]
    header, rows = _rows(record, strategy_metrics, inline_ci=True)
    source = shown_path(str(data["source"]), run_dir)
    # Every piece of text that comes from the record goes through md(): names, paths and the
    # external `source` are the user's, and a tampered metrics.json can hold anything.
    parts = [
        "# evalkit report", "",
        verdict_markdown(record["verdict"]), "",
        "- " + md(f"Task: {record['task']}; {data['n_items']} evaluated {unit(record)} from {source}"
                  + (f" (positive class: {data['positive_label']})" if "positive_label" in data else "")
                  + (f" ({data['n_objects']} objects, {data['iou_type']} IoU)" if "n_objects" in data
                     else "")),
        *(["- " + md(f"Data: {data['description']}")] if data.get("description") else []),
        "- " + md(f"Strategy: {describe_strategy(record['strategy'])}"),
        *["- " + md(line) for line in defined_metrics_lines(record)],
        f"- Data fingerprint: {markdown_code(str(data['fingerprint'])[:16] + '…')}; "
        + md(f"evalkit {record['evalkit_version']}; created {record['created']}"), "",
        "## Leaderboard", "",
        md(_interval_legend(record)), "", markdown_table(header, rows), "",
    ]
    parts += _significance_section(record)
    parts += _all_metrics_section(record)
    parts += operating_point_section(record)
    parts += slices_section(record)
    parts += label_review_section(record, markdown_table)
    per_label = per_label_ap_table(record)
    if per_label:
        title = get_task(record["task"]).vocabulary.per_class_title
        parts += [f"## {title}", "", markdown_table(*per_label), ""]
    caveats = (list(record["notes"]) + [f"the truth file: {w}" for w in data.get("warnings") or []]
               + list(record.get("uncertainty_notes") or []) + list(record.get("measurement_notes") or [])
               + grouped_caveats(record, run_dir)
               + excluded_labels_note(record))
    if caveats:
        parts += ["## Caveats", "", *[f"- {md(c)}" for c in caveats], ""]
    parts += learning_curve_section(record)
    parts += _human_section(record, run_dir)
    parts += figures_section(figures, skipped)
    return "\n".join(parts)


def _threshold(value: Any) -> str:
    """Thresholds to four significant digits: a naive Bayes score can be 5e-12."""
    return f"{value:.4g}" if isinstance(value, int | float) and not isinstance(value, bool) else MISSING


def operating_point_section(record: dict[str, Any]) -> list[str]:
    """The thresholds each scoring entry is judged at, with their spread over folds (none: no section)."""
    rows = []
    for entry in record["entries"]:
        point = entry.get("operating_point")
        if not isinstance(point, dict):
            continue
        at = point.get("metrics_at_point") or {}
        folds = [t for t in point.get("fold_thresholds") or [] if isinstance(t, int | float)]
        # A multiclass operating point is one class's threshold against the rest: say which class.
        of_class = f" (class {point['class']})" if point.get("class") else ""
        chosen_on = str(point.get("choose_on", "")) + of_class
        rows.append([entry["name"], chosen_on, _threshold(point.get("threshold")),
                     f"{_threshold(min(folds))} – {_threshold(max(folds))}" if folds else "—",
                     _threshold(point.get("spread")),
                     _fmt(at.get("precision")), _fmt(at.get("recall")),
                     str(point.get("infeasible") or point.get("note") or "")])
    if not rows:
        return []
    header = ["entry", "chosen on", "threshold", "fold thresholds", "spread", "precision", "recall", "note"]
    return ["## Operating points", "",
            md("Each scoring entry's labels are its scores at the threshold below (score >= threshold is "
               "positive). Under cross_fit every fold is decided by a threshold chosen on the other folds; "
               "the threshold column is the one chosen on all items (what would ship), precision and recall "
               "are those of the decisions the entry is judged on." + _confidence_sentence(record)
               + _rule_sentence(record)), "",
            markdown_table(header, rows), ""]


def _rule_sentence(record: dict[str, Any]) -> str:
    """What the thresholds optimise and must meet, and why when the costs decide it (one rule per run)."""
    points = [e["operating_point"] for e in record["entries"] if isinstance(e.get("operating_point"), dict)
              and isinstance(e["operating_point"].get("rule"), str)]
    if not points:
        return ""
    reason = points[0].get("rule_reason")
    return f" The threshold rule: {points[0]['rule']}" + (f" ({reason})." if isinstance(reason, str) else ".")


def _confidence_sentence(record: dict[str, Any]) -> str:
    """How the constraints were judged on the choosing data: a point value or a one-sided bound."""
    points = [e["operating_point"] for e in record["entries"] if isinstance(e.get("operating_point"), dict)
              and e["operating_point"].get("choose_on") in ("cross_fit", "validation")
              and "confidence" in e["operating_point"]]
    if not points:
        return ""
    constrained = points[0].get("rule_constraints")
    if isinstance(constrained, list) and not constrained:
        return ""  # nothing was constrained (e.g. the threshold minimises expected cost): no bound to state
    confidence, choose_on = points[0]["confidence"], points[0]["choose_on"]
    if confidence is None:
        return (" Constraints were judged at their point value on the choosing data (confidence: null), so a "
                "held-out value can fall just short of a constraint the choosing data met.")
    bound = ("a prediction bound for the test items' own value" if choose_on == "validation"
             else "Wilson's bound on the population value")
    if isinstance(constrained, list) and "expected_cost" in constrained:
        bound += "; for expected_cost a normal (central-limit) bound on the mean cost"
    return (f" A constraint counted as met on the choosing data only at its one-sided {confidence:.0%} bound "
            f"({bound}).")


def defined_metrics_lines(record: dict[str, Any]) -> list[str]:
    """One line per group of metrics whose definition the experiment set (error costs, calibration bins).

    >>> bins = {"parameters": {"bins": 15, "binning": "width"}}
    >>> defined_metrics_lines({"metric_definitions": {"ece": bins}})
    ['Defined by this experiment: ece from 15 equal-width bins']
    """
    groups: dict[str, list[str]] = {}
    for name, definition in (record.get("metric_definitions") or {}).items():
        parameters = definition.get("parameters") if isinstance(definition, dict) else None
        if isinstance(parameters, dict):
            groups.setdefault(_describe_parameters(parameters), []).append(name)
    return [f"Defined by this experiment: {', '.join(names)} from {text}" for text, names in groups.items()]


def _describe_parameters(parameters: dict[str, Any]) -> str:
    costs = parameters.get("costs")
    if isinstance(costs, dict):
        columns = costs.get("columns") or {}
        per_item = "; ".join(f"{cell} = the truth column '{column}'" for cell, column in columns.items())
        return (f"the error costs {costs.get('matrix')} (rows = true class, columns = predicted)"
                + (f", per item: {per_item}" if per_item else ""))
    if "bins" in parameters:
        return f"{parameters['bins']} equal-{parameters.get('binning')} bins"
    return ", ".join(f"{k} = {v}" for k, v in parameters.items())


# Columns per table of every metric: with an interval in each cell, more would not fit a laptop screen.
METRICS_PER_TABLE = 6


def _all_metrics_section(record: dict[str, Any]) -> list[str]:
    """Every metric per entry, in tables of a few metrics each (the leaderboard keeps the strategy's)."""
    metrics = list(record["metric_directions"])
    if not metrics:
        return []
    parts = ["## Every metric", "",
             md("Directions: " + ", ".join(f"{m} ({d} is better)"
                                           for m, d in record["metric_directions"].items())), ""]
    for start in range(0, len(metrics), METRICS_PER_TABLE):
        chunk = metrics[start:start + METRICS_PER_TABLE]
        header = ["#", "entry", *chunk]
        rows = [[str(e["rank"]), e["name"] + (" *" if e["name"] == record["best"] else ""),
                 *[_cell(e, m) for m in chunk]] for e in record["entries"]]
        parts += [markdown_table(header, rows), ""]
    return parts


def _cell(entry: dict[str, Any], metric: str) -> str:
    value = _none(entry["metrics"].get(metric))
    ci = _interval(entry, metric) if value is not None else ""
    return f"{_fmt(value)} {ci}" if ci else _fmt(value)


def shown_path(text: str, run_dir: Path | None) -> str:
    """A file path as a reader of the report should see it: relative to the run folder when it is near
    it, ``<evalkit>/...`` for evalkit's bundled files; any other text unchanged.

    >>> shown_path("built-in dataset 'iris'", None)
    "built-in dataset 'iris'"
    >>> shown_path("/data/exp/panel.csv", Path("/data/exp/results/run1"))
    '../../panel.csv'
    """
    if not os.path.isabs(text):
        return text
    path = Path(text)
    from evalkit.paths import bundled_conf_dir

    bundled = bundled_conf_dir().parent
    if path.is_relative_to(bundled):
        return f"<evalkit>/{path.relative_to(bundled).as_posix()}"
    if run_dir is not None:
        run_dir = Path(run_dir).absolute()
        common = Path(os.path.commonpath([path, run_dir]))
        if common != Path(common.anchor):  # they share a folder: a relative path is short and portable
            return Path(os.path.relpath(path, run_dir)).as_posix()
    return text


def verdict_markdown(verdict: str) -> str:
    """The verdict's lines, each in bold, kept on their own lines (a Markdown hard break: two spaces)."""
    return "  \n".join(f"**{md(line)}**" for line in verdict.splitlines() if line.strip())


def unit(record: dict[str, Any]) -> str:
    """What the evaluated items are called (images in detection)."""
    return get_task(record["task"]).vocabulary.items


def _interval_legend(record: dict[str, Any]) -> str:
    settings = record.get("bootstrap")
    if not settings and record.get("interval_settings_differ"):  # merged jobs that bootstrapped differently
        return ("Brackets: each entry's confidence interval from its own job; the jobs' bootstrap settings "
                "differ (see the caveats).")
    if not settings:
        return "No confidence intervals (bootstrap.resamples is 0)."
    return (f"Brackets: {settings['level']:.0%} confidence intervals from a paired bootstrap over "
            f"{unit(record)} "
            f"({settings['resamples']} resamples, seed {settings['seed']}"
            + (f"; {settings['resamples_rule']}" if settings.get("resamples_rule") else "")
            + "); Wilson intervals where a proportion sits at 0 or 1. Entries without per-item predictions "
            "have none.")


def _significance_section(record: dict[str, Any]) -> list[str]:
    comparisons = record.get("comparisons") or []
    if not comparisons:
        return []
    header = ["vs", "metric", "difference", "interval", "p", "p (Holm)", "test", "items", "verdict"]
    rows = [[c["b"], c["metric"], f"{c['diff']:+.4f}", f"[{c['ci'][0]:+.4f}, {c['ci'][1]:+.4f}]"
             if c["ci"][0] is not None else MISSING, f"{c['p_value']:.4f}", f"{c['p_adjusted']:.4f}",
             c["test"], str(c["items"]), c["verdict"]] for c in comparisons]
    return ["## Is the best candidate really better?", "",
            md(record.get("significance") or ""), "",
            md(f"Each row compares {comparisons[0]['a']} with another entry on the same resampled "
               f"{unit(record)}; "
               "the difference is the best candidate minus the other, in the metric's own units. p-values "
               "are adjusted with Holm–Bonferroni across every comparison of the run."), "",
            *([md(holm), ""] if (holm := holm_explanation(comparisons)) else []),
            markdown_table(header, rows), ""]


def holm_explanation(comparisons: list[dict[str, Any]]) -> str | None:
    """Why an interval that excludes 0 can sit beside "not distinguishable", naming the rows where it does.

    >>> row = {"b": "rf", "metric": "score", "ci": [0.02, 0.17], "verdict": "not distinguishable"}
    >>> holm_explanation([row])[:50]
    'The interval of a row is that comparison alone (un'
    """
    rows = [f"{c['b']} ({c['metric']})" for c in comparisons if c["verdict"] == "not distinguishable"
            and c["ci"][0] is not None and (c["ci"][0] > 0 or c["ci"][1] < 0)]
    if not rows:
        return None
    return ("The interval of a row is that comparison alone (unadjusted); the verdict uses the Holm-adjusted "
            f"p-value, which accounts for all {len(comparisons)} comparisons of the run. So an interval that "
            "excludes 0 can still be 'not distinguishable': the lead holds in this comparison taken alone, "
            "but not with the others counted. Here: " + ", ".join(rows) + ".")


_VIOLATION = re.compile(r"^(?P<metric>\S+) = (?P<value>.+) violates (?P<constraint>.+)$")


def grouped_caveats(record: dict[str, Any], run_dir: Path | None = None) -> list[str]:
    """The entries' caveats, one line per kind naming the entries it concerns.

    >>> grouped_caveats({"task": "binary", "entries": [
    ...     {"name": n, "kind": "rule", "feasible": True, "violations": [], "score_reason": None,
    ...      "unchecked_constraints": ["latency_ms <= 50"], "metric_notes": {}} for n in ("a", "b")]})
    ['latency_ms <= 50 not checked for: a, b (they do not report it)']
    """
    groups: dict[str, list[str]] = {}

    def add(kind: str, item: str) -> None:
        groups.setdefault(kind, []).append(item)

    items = unit(record)
    for entry in record["entries"]:
        name = entry["name"]
        share = entry.get("feasible_share")
        if entry["feasible"] and share is not None and share < FRAGILE_BELOW:
            add("feasible but fragile, meeting every constraint in under 95% of bootstrap resamples",
                f"{name} ({share:.0%})")
        for violation in entry["violations"]:
            found = _VIOLATION.match(violation)
            if found:
                add(f"infeasible by {found['constraint']}", f"{name} ({found['metric']} {found['value']})")
            else:
                add("infeasible", f"{name}: {violation}")
        for constraint in entry.get("fragile_constraints") or []:
            verdict = "feasible" if entry["feasible"] else "infeasible"
            add("decided within a measurement's spread, so another run could decide it the other way",
                f"{name} ({verdict}: {constraint})")
        if entry.get("score_reason"):
            add("no score", f"{name} ({entry['score_reason']})")
        for constraint in entry["unchecked_constraints"]:
            add(f"{constraint} not checked", name)
        if entry["kind"] == "external":
            add("external numbers, not measured here", f"{name} (source: {entry.get('source')})")
        if "fitted_on" in entry:
            add(f"fitted on {entry['fitted_on']}", name)
        if "labels_from_scores" in entry:
            add(str(entry["labels_from_scores"]), name)
        coverage = entry.get("coverage")
        each = entry.get("items_per_annotator")
        if coverage and (coverage["items"] < coverage["of"] or each):
            own = f"; each annotator on their own {each['min']}–{each['max']}" if each else ""
            add(f"scored only on the {items} their annotators labelled, not the same {items} as the models "
                f"(see 'Candidates and humans on the same {items}')",
                f"{name} ({coverage['items']} of {coverage['of']}{own})")
        if entry.get("ceiling"):
            add(f"an {entry['ceiling']}", name)
        for metric, reason in entry["metric_notes"].items():
            if not reason.startswith("needs "):
                add(f"{metric} is null ({reason})", name)
    lines = []
    for kind, names in groups.items():
        if kind.endswith(" not checked"):
            lines.append(f"{kind} for: {', '.join(names)} (they do not report it)")
        else:
            lines.append(f"{kind}: {', '.join(names)}")
    return lines


AGREEMENT_NAMES = {"cohen_kappa": "Cohen's kappa", "fleiss_kappa": "Fleiss' kappa",
                   "krippendorff_alpha": "Krippendorff's alpha", "icc_2_1": "ICC(2,1)", "icc_3_1": "ICC(3,1)"}


def _human_section(record: dict[str, Any], run_dir: Path | None = None) -> list[str]:
    """Human baselines: the human level, each panel group's agreement and rows, same-item comparisons."""
    # Grouped by panel group, rows in the task's order (mean, vote or median, best), not in rank order.
    kinds = [row.name for row in get_task(record["task"]).human_rows]

    def order(entry: dict[str, Any]) -> tuple[str, int]:
        prefix, row = entry["name"].rsplit("/", 1)
        return prefix, kinds.index(row) if row in kinds else len(kinds)

    humans = sorted((e for e in record["entries"] if e["kind"] == "human"), key=order)
    if not humans:
        return []
    parts = ["## Human baselines", ""]
    level = record.get("human_level")
    if level:
        coverage = level.get("coverage") or {}
        over = f", on {coverage['items']} of {coverage['of']} {unit(record)}" if coverage else ""
        parts += [f"Human level (the line in plots, `human` in the gate): **{md(level['name'])}** "
                  + md(f"(score {_fmt(level['score'])}{over}); rule: {level['rule']}."), ""]
    metrics = _strategy_metrics(record)
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in humans:
        groups.setdefault(entry["name"].rsplit("/", 1)[0], []).append(entry)
    noted: set[str] = set()
    for prefix, rows in groups.items():
        first = rows[0]
        values = f" (group values: {', '.join(first['group_values'])})" if first.get("group_values") else ""
        parts += [f"### {md(prefix + values)}", ""]
        if first.get("agreement"):
            parts.append("- " + md("Agreement (the panel's label-noise estimate): "
                                   + "; ".join(_agreement_text(k, v) for k, v in first["agreement"].items())))
        if first.get("scores"):  # multilabel: what the ranking metrics of people are computed from
            parts.append("- " + md(f"Scores: {first['scores']}"))
        if "ignored_labels" in first and first["baseline"] not in noted:
            noted.add(first["baseline"])
            parts.append("- " + md(f"{shown_path(first['path'], run_dir)}: {first['ignored_labels']}"))
        parts += [f"- {md(_human_row_text(entry, metrics, record['task'], run_dir))}" for entry in rows]
        parts.append("")
    return parts + _paired_table(humans, record)


def _agreement_text(key: str, stat: dict[str, Any]) -> str:
    if "value" not in stat and stat and all(isinstance(v, dict) for v in stat.values()):
        # measured values (regression): one set of statistics per target column
        return f"{key}: " + ", ".join(_agreement_text(k, v) for k, v in stat.items())
    if stat.get("note"):
        fact = stat["note"]
    elif "pairs" in stat:
        fact = f"mean over {stat['pairs']} annotator pair(s) sharing {stat['min_shared_items']}+ items"
        if stat.get("pairs_undefined"):  # e.g. a pair where one annotator gave a single label throughout
            fact += f"; {stat['pairs_undefined']} more pair(s) left out, their kappa undefined"
    else:
        fact = f"{stat['items']} items"
    return f"{AGREEMENT_NAMES.get(key, key)} {_fmt(stat['value'])} ({fact})"


def _human_row_text(entry: dict[str, Any], metrics: list[str], task: str,
                    run_dir: Path | None = None) -> str:
    row = entry["name"].rsplit("/", 1)[1]
    kind = get_task(task).human_row(row)
    shown = entry
    if isinstance(entry.get("path"), str):  # detection's annotator row names its file
        shown = {**entry, "path": shown_path(entry["path"], run_dir)}
    text = kind.describe(shown) if kind is not None else None
    if text is not None:
        return text
    if row != "mean_annotator":
        return f"{row}: {entry.get('n_items', '?')} items"
    # The averaged row of any panel: how many annotators it averages, and their spread per metric.
    averaged, listed = entry.get("averaged_annotators", "?"), entry.get("n_annotators", "?")
    text = f"mean_annotator: {averaged} of {listed} annotator(s) averaged"
    if entry.get("not_averaged"):
        text += f" ({entry['not_averaged']})"
    for metric in metrics:
        spread, interval = entry.get("spread", {}).get(metric), entry.get("interval", {}).get(metric)
        if spread:
            text += f"; {metric} {_fmt(entry['metrics'].get(metric))}"
            if interval:
                text += f" [{_fmt(interval['low'])}, {_fmt(interval['high'])}]"
            low, mid, high = (_fmt(spread[k]) for k in ("min", "median", "max"))
            text += f", min/median/max {low}/{mid}/{high}"
    return text + (f" ([ ] = {entry['interval_method']})" if entry.get("interval") else "")


def _paired_short(entry: dict[str, Any], paired: dict[str, Any], task: str) -> str:
    kind = get_task(task).human_row(entry["name"].rsplit("/", 1)[1])
    return kind.paired_short if kind is not None else paired["how"]


def _paired_table(humans: list[dict[str, Any]], record: dict[str, Any]) -> list[str]:
    # A row without a paired block covers every item (a detection annotator on all images).
    humans = [h for h in humans if "paired" in h]
    names = list(humans[0]["paired"].get("candidates", {})) if humans else []
    if not names:
        return []
    satisficing = record["strategy"]["name"] == "satisficing"

    def cell(score: float | None, feasible: bool = True) -> str:
        return _fmt(score) + (" ✗" if satisficing and score is not None and not feasible else "")

    header = ["human row", unit(record), "candidates scored on", "human", *names]
    rows = []
    for entry in humans:
        paired = entry["paired"]
        rows.append([entry["name"], f"{paired['items']} of {paired['of']}",
                     _paired_short(entry, paired, record["task"]),
                     cell(paired["human_score"], paired.get("human_feasible", True)),
                     *[cell(paired["candidates"][c]["score"], paired["candidates"][c]["feasible"])
                       if c in paired["candidates"] else MISSING for c in names]])
    full = {e["name"]: e for e in record["entries"]}
    rows.append(["full set (leaderboard)", str(record["data"]["n_items"]), f"all evaluated {unit(record)}",
                 MISSING, *[cell(full[c]["score"], full[c]["feasible"]) if c in full else MISSING
                            for c in names]])
    return [f"### Candidates and humans on the same {md(unit(record))}", "",
            md("Human rows cover only what their annotators labelled, so every candidate is also scored by "
               f"the strategy on each human row's own {unit(record)} (paired: compare across a row). The "
               f"last row repeats the candidates' full-set scores, over different {unit(record)}"
               + ("; ✗ = infeasible under the constraints." if satisficing else ".")), "",
            markdown_table(header, rows), ""]


def figures_section(figures: Sequence[tuple[str, str]], skipped: Sequence[str]) -> list[str]:
    """The figures under their captions, then the ones not drawn with the reason (never an empty plot)."""
    if not figures and not skipped:
        return []
    parts = ["## Figures", ""]
    for caption, path in figures:
        parts += [f"![{caption}]({path})", "", f"*{caption}*", ""]
    if skipped:
        parts += [*[f"- Not drawn: {md(note)}" for note in skipped], ""]
    return parts
