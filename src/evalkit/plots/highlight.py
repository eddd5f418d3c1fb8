"""Which entries a curve figure highlights, and how the highlighted and the faded ones look.

A run can have a dozen or more entries; a line each in look-alike colours, each with a legend row,
reads as noise. The curve figures therefore draw three entries in colour — the best candidate, the
strongest baseline (the lower bound) and the human level — and every other entry faded in grey,
named once as "other entries" (their values are in the leaderboard). Pure: a record in, looks out.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from evalkit.plots import style

BEST, STRONGEST, BASELINE, HUMAN, OTHER = "best", "strongest", "baseline", "human", "other"
ROLE_WORDS = {BEST: "best candidate", STRONGEST: "strongest baseline", HUMAN: "human level",
              BASELINE: "best-ranked baseline drawn here"}
FADED = "#A8A8A8"
LEGEND_WIDTH = 34  # characters per legend line: long entry names wrap instead of widening the figure


@dataclass(frozen=True)
class Look:
    """How one highlighted role (or the faded rest) is drawn."""

    colour: str
    linestyle: str
    linewidth: float
    marker: str
    alpha: float
    zorder: float


LOOKS = {
    BEST: Look(style.BEST, "-", 2.6, "o", 1.0, 6),
    STRONGEST: Look(style.LOWER_BOUND, "--", 1.8, "s", 1.0, 5),
    BASELINE: Look(style.DARK_GREY, "--", 1.6, "D", 1.0, 4.5),
    HUMAN: Look(style.HUMAN, "-.", 1.8, "^", 1.0, 5),
    OTHER: Look(FADED, "-", 0.9, "o", 0.55, 3),
}


def roles(record: dict[str, Any], drawable: set[str] | None = None) -> dict[str, str]:
    """Each entry's role in a curve figure: best, strongest (baseline), human (level) or other.

    With ``drawable`` (the entries the figure can draw) and a strongest baseline outside it (an external
    number), the best-ranked non-human baseline that can be drawn is highlighted as well (``baseline``),
    so the figure still shows the models against a real baseline.

    >>> roles({"best": "a", "strongest_baseline": "b", "human_level": {"name": "p/vote"},
    ...        "entries": [{"name": n} for n in ("a", "b", "p/vote", "c")]})
    {'a': 'best', 'b': 'strongest', 'p/vote': 'human', 'c': 'other'}
    """
    level = record.get("human_level")
    named = {record.get("best"): BEST, record.get("strongest_baseline"): STRONGEST,
             level.get("name") if isinstance(level, dict) else None: HUMAN}
    out = {e["name"]: named.get(e["name"], OTHER) for e in record["entries"]}
    if drawable is not None and record.get("strongest_baseline") not in drawable:
        baselines = [e["name"] for e in record["entries"] if e["role"] == "baseline" and e["kind"] != "human"]
        stand_in = next((n for n in baselines if out[n] == OTHER and n in drawable), None)
        if stand_in is not None:
            out[stand_in] = BASELINE
    return out


def legend_label(name: str, role: str, detail: str = "") -> str:
    """The entry's name, then its role and ``detail``; wrapped so a long name does not widen the legend.

    >>> legend_label("logreg", BEST, "AP 0.994")
    'logreg\\nbest candidate · AP 0.994'
    """
    head = textwrap.fill(name, LEGEND_WIDTH, break_on_hyphens=False)
    tail = ROLE_WORDS[role] + (f" · {detail}" if detail else "")
    if len(tail) > LEGEND_WIDTH and detail:  # the detail on a line of its own rather than split anywhere
        tail = f"{ROLE_WORDS[role]}\n{textwrap.fill(detail, LEGEND_WIDTH)}"
    return f"{head}\n{tail}"


def others_label(count: int) -> str:
    """The one legend row for every faded entry."""
    return f"other entries ({count}), faded:\nvalues in the leaderboard"


def tie_note(record: dict[str, Any]) -> str:
    """``ties with a, b`` when candidates share the best candidate's score exactly, else ``""``."""
    tied = (record.get("verdict_detail") or {}).get("tied_with") or []
    return f"ties with {', '.join(map(str, tied))}" if tied else ""
