"""What to do next, from the same curves: is a candidate held back by avoidable bias or by variance?

Compared in the strategy's single number, oriented so that a positive gap is room to improve:

- *avoidable bias* = reference - training score (the reference is the human level, or the strongest
  baseline when the run has no human row): far from it even on the data it was fitted on, the model
  needs more capacity or better features;
- *variance* = training score - evaluated score: far below its own training score on new items, it
  needs more data (the labels-needed estimate says how many) or regularisation.

Intervals come from the evaluated score's and the reference's bootstrap intervals; the training
score is one fit on the whole train split and has none (the line says so).
"""

from __future__ import annotations

from typing import Any

from evalkit.learning_curve.budget import count_text

# Gaps smaller than this (in score units) are not worth naming as the one that dominates.
NEGLIGIBLE = 0.005


def _gap(sign: float, minuend: float, subtrahend: float,
         interval: tuple[float, float] | None, vary: str) -> dict[str, float | None]:
    point = sign * (minuend - subtrahend)
    if interval is None:
        return {"gap": point, "low": None, "high": None}
    ends = [sign * (v - subtrahend) if vary == "minuend" else sign * (minuend - v) for v in interval]
    return {"gap": point, "low": min(ends), "high": max(ends)}


def diagnose(entry: str, *, train_score: float, evaluated: float, evaluated_ci: tuple[float, float] | None,
             reference: dict[str, Any], higher_is_better: bool = True,
             labels: dict[str, Any] | None = None) -> dict[str, Any]:
    """The gaps of one candidate and which one dominates, with its one-line statement.

    ``reference`` is ``{"name", "score", "ci" (or None), "what"}`` (``what``: "human level" or
    "strongest baseline"); ``labels`` is the target answer for reaching it, attached when variance
    dominates.

    >>> d = diagnose("knn", train_score=0.99, evaluated=0.90, evaluated_ci=(0.85, 0.95),
    ...              reference={"name": "panel", "score": 0.97, "ci": None, "what": "human level"})
    >>> d["dominant"], round(d["variance"]["gap"], 2), round(d["avoidable_bias"]["gap"], 2)
    ('variance', 0.09, -0.02)
    """
    sign = 1.0 if higher_is_better else -1.0
    ref_ci = tuple(reference["ci"]) if reference.get("ci") else None
    bias = _gap(sign, reference["score"], train_score, ref_ci, "minuend")  # type: ignore[arg-type]
    variance = _gap(sign, train_score, evaluated, evaluated_ci, "subtrahend")
    b, v = max(bias["gap"] or 0.0, 0.0), max(variance["gap"] or 0.0, 0.0)
    dominant = "neither" if max(b, v) < NEGLIGIBLE else "variance" if v >= b else "avoidable bias"
    out = {"entry": entry, "train_score": train_score, "evaluated_score": evaluated,
           "evaluated_ci": list(evaluated_ci) if evaluated_ci else None, "reference": reference,
           "avoidable_bias": bias, "variance": variance, "dominant": dominant}
    out["line"] = _line(out, labels)
    return out


def _with_interval(gap: dict[str, float | None]) -> str:
    text = f"{gap['gap']:+.3f}"
    if gap["low"] is not None and gap["high"] is not None:
        text += f" [{gap['low']:+.3f}, {gap['high']:+.3f}]"
    return text


def _line(d: dict[str, Any], labels: dict[str, Any] | None) -> str:
    ref = d["reference"]
    ci = d["evaluated_ci"]
    head = (f"{d['entry']}: training {d['train_score']:.3f} (one fit, no interval), evaluated "
            f"{d['evaluated_score']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
            + f", {ref['what']} {ref['score']:.3f} ({ref['name']})")
    gaps = (f"avoidable bias {_with_interval(d['avoidable_bias'])}, variance "
            f"{_with_interval(d['variance'])}")
    if d["dominant"] == "neither":
        return f"{head}; {gaps}: neither gap is material"
    if d["dominant"] == "avoidable bias":
        return f"{head}; {gaps}: avoidable bias dominates: try a bigger model or better features"
    advice = f"{head}; {gaps}: variance dominates: more data or regularisation"
    if labels is not None and labels.get("status") == "ok":
        advice += (f"; about {count_text(labels['more'])} more labels "
                   f"[{count_text(labels['more_low'])}, {count_text(labels['more_high'])}] "
                   f"reach the {ref['what']}")
    elif labels is not None and labels.get("status") == "reached":
        advice += f"; it already reaches the {ref['what']}"
    elif labels is not None:
        advice += f"; labels to reach the {ref['what']}: no number, {labels['status']}"
    return advice
