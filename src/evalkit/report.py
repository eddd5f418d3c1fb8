"""Human-facing text: the terminal leaderboard and ``report.md``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.confidence import FRAGILE_BELOW
from evalkit.escaping import markdown_code
from evalkit.escaping import markdown_text as md
from evalkit.report_label_review import label_review_section, terminal_line
from evalkit.report_multilabel import excluded_labels_note, per_label_ap_table
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
                    skipped: Sequence[str] = ()) -> str:
    """``report.md``: verdict, figures, leaderboard with every metric, and every caveat a reader needs.

    ``figures`` are ``(caption, path relative to the report)``; ``skipped`` says which figures were
    not drawn and why.
    """
    data = record["data"]
    header, rows = _rows(record, list(record["metric_directions"]), inline_ci=True)
    # Every piece of text that comes from the record goes through md(): names, paths and the
    # external `source` are the user's, and a tampered metrics.json can hold anything.
    parts = [
        "# evalkit report", "",
        verdict_markdown(record["verdict"]), "",
        "- " + md(f"Task: {record['task']}; {data['n_items']} evaluated {unit(record)} from {data['source']}"
                  + (f" (positive class: {data['positive_label']})" if "positive_label" in data else "")
                  + (f" ({data['n_objects']} objects, {data['iou_type']} IoU)" if "n_objects" in data
                     else "")),
        *(["- " + md(f"Data: {data['description']}")] if data.get("description") else []),
        "- " + md(f"Strategy: {describe_strategy(record['strategy'])}"),
        f"- Data fingerprint: {markdown_code(str(data['fingerprint'])[:16] + '…')}; "
        + md(f"evalkit {record['evalkit_version']}; created {record['created']}"), "",
        *figures_section(figures, skipped),
        "## Leaderboard", "",
        md("Directions: " + ", ".join(f"{m} ({d} is better)"
                                      for m, d in record["metric_directions"].items())),
        "", md(_interval_legend(record)), "", markdown_table(header, rows), "",
    ]
    parts += _significance_section(record)
    parts += label_review_section(record, markdown_table)
    per_label = per_label_ap_table(record)
    if per_label:
        title = get_task(record["task"]).vocabulary.per_class_title
        parts += [f"## {title}", "", markdown_table(*per_label), ""]
    caveats = (list(record["notes"]) + [f"the truth file: {w}" for w in data.get("warnings") or []]
               + list(record.get("uncertainty_notes") or []) + list(record.get("measurement_notes") or [])
               + _entry_caveats(record)
               + excluded_labels_note(record))
    if caveats:
        parts += ["## Caveats", "", *[f"- {md(c)}" for c in caveats], ""]
    parts += _human_section(record)
    return "\n".join(parts)


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
            f"({settings['resamples']} resamples, seed {settings['seed']}); Wilson intervals where a "
            "proportion sits at 0 or 1. Entries without per-item predictions have none.")


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
            markdown_table(header, rows), ""]


def _entry_caveats(record: dict[str, Any]) -> list[str]:
    notes = []
    for entry in record["entries"]:
        name = entry["name"]
        share = entry.get("feasible_share")
        if entry["feasible"] and share is not None and share < FRAGILE_BELOW:
            notes.append(f"{name} is feasible but fragile: it meets every constraint in only {share:.0%} "
                         "of bootstrap resamples")
        if entry["violations"]:
            notes.append(f"{name} is infeasible: {'; '.join(entry['violations'])}")
        for constraint in entry.get("fragile_constraints") or []:
            verdict = "feasible" if entry["feasible"] else "infeasible"
            notes.append(f"{name} is {verdict} but fragile: {constraint}; another run could decide it the "
                         "other way")
        if entry.get("score_reason"):
            notes.append(f"{name} has no score: {entry['score_reason']}")
        if entry["unchecked_constraints"]:
            notes.append(f"{name} does not report {', '.join(entry['unchecked_constraints'])}: not checked")
        if entry["kind"] == "external":
            notes.append(f"{name} is an external number; source: {entry.get('source')}")
        if "fitted_on" in entry:
            notes.append(f"{name} was fitted on {entry['fitted_on']}")
        if "labels_from_scores" in entry:
            notes.append(f"{name}: {entry['labels_from_scores']}")
        coverage = entry.get("coverage")
        each = entry.get("items_per_annotator")
        if coverage and (coverage["items"] < coverage["of"] or each):
            own = f" (each annotator on their own {each['min']}–{each['max']})" if each else ""
            items = unit(record)
            notes.append(f"{name} is scored on the {coverage['items']} of {coverage['of']} {items} its "
                         f"annotators labelled{own}: not the same {items} as the models; see "
                         f"'Candidates and humans on the same {items}'")
        if entry.get("ceiling"):
            notes.append(f"{name} is an {entry['ceiling']}")
        undefined = {m: r for m, r in entry["metric_notes"].items() if not r.startswith("needs ")}
        for metric, reason in undefined.items():
            notes.append(f"{name}: {metric} is null ({reason})")
    return notes


AGREEMENT_NAMES = {"cohen_kappa": "Cohen's kappa", "fleiss_kappa": "Fleiss' kappa",
                   "krippendorff_alpha": "Krippendorff's alpha", "icc_2_1": "ICC(2,1)", "icc_3_1": "ICC(3,1)"}
HUMAN_ROWS = ("mean_annotator", "majority_vote", "median", "best_annotator", "annotator")
PAIRED_SHORT = {"mean_annotator": "each annotator's items, averaged", "majority_vote": "the vote's items",
                "median": "the median's items",
                "best_annotator": "that annotator's items", "annotator": "the annotator's images"}


def _human_section(record: dict[str, Any]) -> list[str]:
    """Human baselines: the human level, each panel group's agreement and rows, same-item comparisons."""
    # Grouped by panel group, rows in a fixed order (mean, vote, best), not in rank order.
    def order(entry: dict[str, Any]) -> tuple[str, int]:
        prefix, row = entry["name"].rsplit("/", 1)
        return prefix, HUMAN_ROWS.index(row)

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
            parts.append("- " + md(f"{first['path']}: {first['ignored_labels']}"))
        parts += [f"- {md(_human_row_text(entry, metrics))}" for entry in rows]
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


def _human_row_text(entry: dict[str, Any], metrics: list[str]) -> str:
    row = entry["name"].rsplit("/", 1)[1]
    if row == "mean_annotator":
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
    if row == "majority_vote":
        coverage = entry["coverage"]
        return (f"majority_vote of {entry['n_annotators']} annotators, on {coverage['items']} of "
                f"{coverage['of']} items; {entry['tied_items']} tied item(s), tie rule '{entry['tie_rule']}'")
    if row == "median":  # regression: the panel's consensus value per item
        coverage = entry["coverage"]
        return (f"median of {entry['n_annotators']} annotators' values per item, on {coverage['items']} of "
                f"{coverage['of']} items")
    if row == "annotator":  # detection: one annotator's boxes, scored like a detector
        coverage = entry["coverage"]
        return (f"annotator: {entry['path']}, scored like a detector on {coverage['items']} of "
                f"{coverage['of']} images")
    return f"{row}: {entry.get('annotator')} ({entry.get('n_items')} items), an {entry.get('ceiling')}"


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
                     PAIRED_SHORT.get(entry["name"].rsplit("/", 1)[1], paired["how"]),
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
