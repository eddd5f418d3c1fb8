"""Labels into money, and the one sentence per candidate and target that a report states.

Pure functions: a target answer of :func:`evalkit.learning_curve.extrapolate` in, numbers and text out.
"""

from __future__ import annotations

import math
from typing import Any

from evalkit.errors import ConfigError


def label_money(labels: float | None, per_item: float, overhead: float = 0.0) -> float | None:
    """What ``labels`` more labels cost: ``labels * per_item * (1 + overhead)``; None stays None (unbounded).

    >>> label_money(3100, 0.08, overhead=0.1)
    272.8
    """
    if per_item < 0 or overhead < 0 or not (math.isfinite(per_item) and math.isfinite(overhead)):
        raise ConfigError(f"label_cost: per_item {per_item} and overhead {overhead} must be finite and >= 0")
    if labels is None:
        return None
    return round(labels * per_item * (1.0 + overhead), 10)


def with_cost(answer: dict[str, Any], per_item: float, overhead: float, currency: str) -> dict[str, Any]:
    """``answer`` (one target of ``extrapolate``) with a ``cost`` for its more-labels number and interval."""
    if answer.get("status") not in ("ok", "reached"):
        return answer
    cost = {key: label_money(answer.get(src), per_item, overhead)
            for key, src in (("more", "more"), ("low", "more_low"), ("high", "more_high"))}
    if answer["status"] == "reached":
        cost["low"] = cost["high"] = 0.0
    return answer | {"cost": cost | {"currency": currency}}


def _round2(value: float) -> float:
    if value <= 0:
        return 0.0
    scale = 10 ** (math.floor(math.log10(value)) - 1)
    return round(value / scale) * scale


def count_text(value: float | None) -> str:
    """Two significant figures with thousands separators; ``unbounded`` for None.

    >>> count_text(3123.4), count_text(None), count_text(12.2)
    ('3,100', 'unbounded', '12')
    """
    return "unbounded" if value is None else f"{_round2(value):,.0f}"


def money_text(value: float | None, currency: str) -> str:
    """``$250`` for USD, ``250 EUR`` otherwise; two significant figures; ``unbounded`` for None."""
    if value is None:
        return "unbounded"
    amount = _round2(value)
    text = f"{amount:,.0f}" if amount >= 10 else f"{amount:,.2f}"
    if currency.upper() == "USD":
        return f"${text}"
    return f"{text} {currency}".strip()


def target_sentence(entry: str, metric: str, answer: dict[str, Any]) -> str:
    """The report's line for one entry and target.

    >>> target_sentence("logreg", "recall", {"target": 0.95, "status": "ok", "more": 3123.0,
    ...     "more_low": 2400.0, "more_high": 4511.0, "cost": {"more": 250.0, "low": 190.0, "high": 360.0,
    ...     "currency": "USD"}})
    'to reach 0.95 recall, logreg needs about 3,100 more labels [2,400, 4,500], about $250 [$190, $360]'
    """
    head = f"to reach {answer['target']:.4g} {metric}, {entry}"
    status = answer["status"]
    if status == "reached":
        return f"{head} needs no more labels: it is already there at the full train split"
    if status != "ok":
        return f"{head}: no number, {status}"
    line = (f"{head} needs about {count_text(answer['more'])} more labels "
            f"[{count_text(answer['more_low'])}, {count_text(answer['more_high'])}]")
    if answer["more"] < 1:
        # The mean at the full split falls short, but the fitted curve passes the target before it.
        line = (f"{head} needs about 0 more labels by the fitted curve (measured just short of it) "
                f"[{count_text(answer['more_low'])}, {count_text(answer['more_high'])}]")
    cost = answer.get("cost")
    if cost:
        currency = cost.get("currency", "")
        line += (f", about {money_text(cost['more'], currency)} [{money_text(cost['low'], currency)}, "
                 f"{money_text(cost['high'], currency)}]")
    if answer.get("more_high") is None:
        line += " (the upper bound is beyond what the curve supports)"
    return line
