"""The kinds of human rows a panel produces, and how reports word them.

A human baseline becomes one or more rows (``<baseline>/<group>/<row>``): every label panel gives an
averaged ``mean_annotator`` row and a ``majority_vote``; people who measure give a ``median`` instead of
a vote; a second detection annotator is one ``annotator`` row. Which rows exist is the task's business
(:attr:`evalkit.tasks.base.Task.human_rows`), so the report and the same-item comparison read the
wording from here instead of listing every task's rows themselves.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HumanRow:
    """One kind of human row.

    ``paired_how`` (metrics.json, ``paired.how``) and ``paired_short`` (the report's same-item table)
    say which items the candidates are scored on beside this row. ``summary`` is the report's line for
    the row, a template filled from the row's metrics.json record (``{coverage[items]}`` reaches into
    nested fields); ``None`` leaves the line to the report (the averaged row, whose line lists spreads).
    """

    name: str
    paired_how: str
    paired_short: str
    summary: str | None = None

    def describe(self, record: Mapping[str, Any]) -> str | None:
        """The row's report line from its record, a missing field shown as ``?``.

        >>> HumanRow("vote", "", "", "vote of {n_annotators}").describe({"n_annotators": 3})
        'vote of 3'
        """
        if self.summary is None:
            return None
        return _Template().vformat(self.summary, (), record)


class _Template(string.Formatter):
    """Fills a template from a record; a field the record lacks (an older run's) reads ``?``."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        try:
            return super().get_field(field_name, args, kwargs)
        except (KeyError, IndexError, TypeError):
            return "?", field_name


MEAN_ANNOTATOR = HumanRow(
    "mean_annotator",
    paired_how="each candidate scored on each averaged annotator's items, then averaged over them",
    paired_short="each annotator's items, averaged")
MAJORITY_VOTE = HumanRow(
    "majority_vote",
    paired_how="each candidate scored on the items the majority vote scores",
    paired_short="the vote's items",
    summary="majority_vote of {n_annotators} annotators, on {coverage[items]} of {coverage[of]} items; "
            "{tied_items} tied item(s), tie rule '{tie_rule}'")
BEST_ANNOTATOR = HumanRow(
    "best_annotator",
    paired_how="each candidate scored on the best annotator's items",
    paired_short="that annotator's items",
    summary="best_annotator: {annotator} ({n_items} items), an {ceiling}")

# What a label panel gives (binary, multiclass, multilabel), in the order the report lists them.
LABEL_PANEL_ROWS = (MEAN_ANNOTATOR, MAJORITY_VOTE, BEST_ANNOTATOR)
