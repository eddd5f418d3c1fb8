"""Formula strategy: one user-written arithmetic expression over metric names gives an entry its score.

A config states the agreed number as text, for example::

    {name: formula, expression: "recall - 0.5 * (1 - precision)", direction: maximize}
    {name: formula, expression: "-(5 * fn_rate + 1 * fp_rate)", direction: maximize}

The expression is parsed once with :mod:`ast` and checked against an allow-list: numbers, metric names
(bare identifiers), unary ``+``/``-``, binary ``+ - * / **``, parentheses, and positional calls to
``min, max, abs, sqrt, log`` (natural log). Anything else is refused with a :class:`ConfigError` that names
the construct and its column. The accepted tree is compiled to a flat postfix program, so evaluation never
recurses and never runs user code (no ``eval``/``exec``/``compile``).

Evaluation never raises and never invents a number: a missing or null metric, a division by zero, the log
of a non-positive number, the square root of a negative one or an overflow gives ``value=None`` with a
reason a person can act on. :meth:`Formula.evaluate_array` is the same computation over numpy arrays (one
element per bootstrap resample), with NaN wherever the scalar form would give ``None``.

:class:`FormulaStrategy` (built by :func:`build_formula`, ``strategy: {name: formula, ...}``) scores each
entry with it and records the metric values it used.
"""

from __future__ import annotations

import ast
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from evalkit.errors import ConfigError
from evalkit.strategies.base import Outcome

if TYPE_CHECKING:  # only for a type hint: the evaluator itself needs no metric code
    from evalkit.metrics.registry import MetricSpec

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Direction",
    "Formula",
    "FormulaResult",
    "FormulaStrategy",
    "build_formula",
    "metric_names_in_order",
    "parse_formula",
    "validate_direction",
]

#: Longest accepted expression, in characters. Real formulas are a line or two; the limit keeps parsing
#: cheap and bounds the work per bootstrap resample.
MAX_LENGTH = 1000
#: Deepest accepted nesting (parentheses, calls, unary operators, mixed operators). A flat chain such as
#: ``a + b - c + d`` or ``a * b / c`` counts as one level however long it is.
MAX_DEPTH = 50
#: The functions a formula may call, with their (minimum, maximum) number of positional arguments.
FUNCTIONS: Mapping[str, tuple[int, int | None]] = {
    "min": (2, None),
    "max": (2, None),
    "abs": (1, 1),
    "sqrt": (1, 1),
    "log": (1, 1),
}

Direction = Literal["maximize", "minimize"]

_ALLOWED = "a formula may use metric names, numbers, + - * / ** ( ) and min, max, abs, sqrt, log"
_CALL_HINT = "only min, max, abs, sqrt, log may be called"

# Opcodes of the postfix program. Plain ints keep the evaluation loop cheap.
_CONST, _NAME, _NEG, _ADD, _SUB, _MUL, _DIV, _POW, _MIN, _MAX, _ABS, _SQRT, _LOG = range(13)
_BINARY = {ast.Add: _ADD, ast.Sub: _SUB, ast.Mult: _MUL, ast.Div: _DIV, ast.Pow: _POW}
_CALLS = {"min": _MIN, "max": _MAX, "abs": _ABS, "sqrt": _SQRT, "log": _LOG}
# Symbols of the refused binary operators, so a refusal quotes what the user typed.
_OPERATOR_NAMES = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript",
    ast.Slice: "slice",
    ast.Lambda: "lambda",
    ast.ListComp: "list comprehension",
    ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator",
    ast.NamedExpr: "assignment expression",
    ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string",
    ast.IfExp: "conditional expression",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Set: "set",
    ast.Dict: "dict",
    ast.Starred: "unpacking",
    ast.Await: "await expression",
    ast.Yield: "yield expression",
    ast.YieldFrom: "yield expression",
}


@dataclass(frozen=True, slots=True)
class FormulaResult:
    """The score of one entry: ``value`` is a finite float, or ``None`` with ``reason`` saying why.

    >>> FormulaResult(None, "metric 'precision' is null for this entry").ok
    False
    """

    value: float | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when the formula produced a number."""
        return self.value is not None


# One postfix instruction: opcode, its argument (constant, metric name, argument count or operand text)
# and the source text of the sub-expression it computes, quoted in reasons.
_Instruction = tuple[int, object, str]


@dataclass(frozen=True)
class Formula:
    """A parsed, validated formula. Build it with :func:`parse_formula`.

    >>> f = parse_formula("recall - 0.5 * (1 - precision)")
    >>> sorted(f.names)
    ['precision', 'recall']
    >>> f.evaluate({"recall": 0.8, "precision": 0.6}).value
    0.6000000000000001
    >>> f.evaluate({"recall": 0.8, "precision": None}).reason
    "metric 'precision' is null for this entry"
    """

    expression: str
    names: frozenset[str]
    _code: tuple[_Instruction, ...] = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, float | None]) -> FormulaResult:
        """Score one entry from its metric values; never raises.

        >>> parse_formula("tp / (tp + fp)").evaluate({"tp": 0, "fp": 0}).reason
        "division by zero: 'tp + fp' is 0 in 'tp / (tp + fp)'"
        """
        stack: list[float] = []
        for op, arg, src in self._code:
            if op == _CONST:
                stack.append(arg)  # type: ignore[arg-type]
                continue
            if op == _NAME:
                value, reason = _metric_value(values, arg)  # type: ignore[arg-type]
                if reason is not None:
                    return FormulaResult(None, reason)
                stack.append(value)  # type: ignore[arg-type]
                continue
            if op in (_MIN, _MAX):
                n: int = arg  # type: ignore[assignment]
                args = stack[-n:]
                del stack[-n:]
                stack.append(min(args) if op == _MIN else max(args))
                continue
            if op in (_NEG, _ABS, _SQRT, _LOG):
                x = stack.pop()
                if op == _NEG:
                    stack.append(-x)
                elif op == _ABS:
                    stack.append(abs(x))
                elif op == _SQRT:
                    if x < 0:
                        return FormulaResult(None, f"square root of a negative number ({x:g}) in {src!r}")
                    stack.append(math.sqrt(x))
                else:
                    if x <= 0:
                        return FormulaResult(None, f"log of a non-positive number ({x:g}) in {src!r}")
                    stack.append(math.log(x))
                continue
            b = stack.pop()
            a = stack.pop()
            if op == _ADD:
                r = a + b
            elif op == _SUB:
                r = a - b
            elif op == _MUL:
                r = a * b
            elif op == _DIV:
                if b == 0:
                    return FormulaResult(None, f"division by zero: {arg!r} is 0 in {src!r}")
                r = a / b
            else:
                try:
                    r = a**b
                except ZeroDivisionError:
                    return FormulaResult(None, f"zero raised to a negative power in {src!r}")
                except OverflowError:
                    return FormulaResult(None, f"{src!r} overflows (the result is not a finite number)")
                if isinstance(r, complex):
                    # Python returns a complex number here; a score has no use for one.
                    reason = f"negative number ({a:g}) raised to a non-integer power in {src!r}"
                    return FormulaResult(None, reason)
            if not math.isfinite(r):
                return FormulaResult(None, f"{src!r} overflows (the result is not a finite number)")
            stack.append(r)
        return FormulaResult(float(stack[0]))

    def evaluate_array(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Score many resamples at once: NaN wherever :meth:`evaluate` would give ``None``.

        All arrays share one shape (typically one element per bootstrap resample); NaN in an input marks a
        null metric. A name missing from ``values`` makes every element NaN, as it would in the scalar form.

        >>> f = parse_formula("tp / (tp + fp)")
        >>> f.evaluate_array({"tp": np.array([1.0, 0.0]), "fp": np.array([1.0, 0.0])})
        array([0.5, nan])
        """
        shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()))
        if not self.names <= values.keys():
            return np.full(shape, np.nan)
        # One mask for the whole program: the scalar form fails if any step fails, and NaN alone would not
        # carry that through (nan ** 0 == 1).
        bad = np.zeros(shape, dtype=bool)
        stack: list[np.ndarray | float] = []
        with np.errstate(all="ignore"):
            for op, arg, _src in self._code:
                if op == _CONST:
                    stack.append(arg)  # type: ignore[arg-type]
                    continue
                if op == _NAME:
                    r = np.asarray(values[arg], dtype=np.float64)  # type: ignore[index]
                elif op in (_MIN, _MAX):
                    n: int = arg  # type: ignore[assignment]
                    args = stack[-n:]
                    del stack[-n:]
                    r = reduce(np.minimum if op == _MIN else np.maximum, args)
                elif op == _NEG:
                    r = np.negative(stack.pop())
                elif op == _ABS:
                    r = np.abs(stack.pop())
                elif op == _SQRT:
                    r = np.sqrt(stack.pop())
                elif op == _LOG:
                    r = np.log(stack.pop())
                else:
                    b = stack.pop()
                    a = stack.pop()
                    if op == _ADD:
                        r = np.add(a, b)
                    elif op == _SUB:
                        r = np.subtract(a, b)
                    elif op == _MUL:
                        r = np.multiply(a, b)
                    elif op == _DIV:
                        # x / 0 is inf or nan in numpy, so the finiteness check below flags it.
                        r = np.divide(a, b)
                    else:
                        r = np.power(a, b)
                bad |= ~np.isfinite(r)
                stack.append(r)
        out = np.array(np.broadcast_to(stack[0], shape), dtype=np.float64)
        out[bad] = np.nan
        return out


def parse_formula(expression: str) -> Formula:
    """Parse and validate a formula; raise :class:`ConfigError` naming the first refused construct.

    >>> parse_formula("-(5 * fn_rate + 1 * fp_rate)").names == {"fn_rate", "fp_rate"}
    True
    >>> parse_formula("recall.mean()")
    Traceback (most recent call last):
    ...
    evalkit.errors.ConfigError: formula 'recall.mean()': call of 'recall.mean' at column 1 is not allowed; \
only min, max, abs, sqrt, log may be called
    """
    if not isinstance(expression, str):
        raise ConfigError(f"formula expression must be a string, got {type(expression).__name__}; quote it")
    # YAML block scalars bring surrounding whitespace; leading spaces would be an IndentationError.
    text = expression.strip()
    if not text:
        raise ConfigError("formula expression is empty; write one, e.g. 'recall - 0.5 * (1 - precision)'")
    if len(text) > MAX_LENGTH:
        raise ConfigError(
            f"formula is {len(text)} characters long; the limit is {MAX_LENGTH}: shorten it, "
            "e.g. by adding a derived metric"
        )
    _check_bracket_depth(text)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        line = (exc.text or "").rstrip("\n")
        where = f"at column {exc.offset}" if exc.offset and 1 <= exc.offset <= len(line) else "at the end"
        raise ConfigError(f"formula {_short(text)}: {exc.msg} {where}; {_ALLOWED}") from None
    except (RecursionError, MemoryError, ValueError):
        # Guarded by the length and bracket checks above; kept so no parser limit escapes as a crash.
        raise ConfigError(f"formula {_short(text)} is too complex to parse; simplify it") from None
    code, names = _compile(text, tree.body)
    return Formula(expression=text, names=frozenset(names), _code=tuple(code))


def validate_direction(direction: object) -> Direction:
    """Return ``direction`` if it is ``'maximize'`` or ``'minimize'``, else raise :class:`ConfigError`.

    >>> validate_direction("minimize")
    'minimize'
    """
    if direction in ("maximize", "minimize"):
        return direction  # type: ignore[return-value]
    raise ConfigError(f"strategy direction {direction!r} is not valid; use 'maximize' or 'minimize'")


# --- private helpers ----------------------------------------------------------------------------------


def _short(text: str, limit: int = 80) -> str:
    """Quote ``text`` for a one-line message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _check_bracket_depth(text: str) -> None:
    """Refuse over-deep bracket nesting before the parser meets it (its own limit is 200 and less clear)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(
                    f"formula {_short(text)} nests brackets deeper than {MAX_DEPTH} levels "
                    f"at column {i + 1}; simplify it"
                )
        elif ch in ")]}":
            depth -= 1


def _where(text: str, node: ast.AST) -> str:
    """Human position of ``node``: 1-based character column (ast gives UTF-8 byte offsets)."""
    lineno = getattr(node, "lineno", 1)
    # Python's own line breaks only; str.splitlines also splits on form feeds and other separators.
    lines = re.split(r"\r\n|\r|\n", text)
    before = lines[lineno - 1].encode("utf-8")[: getattr(node, "col_offset", 0)]
    col = len(before.decode("utf-8", "replace")) + 1
    return f"at column {col}" if len(lines) == 1 else f"at line {lineno}, column {col}"


def _refuse(text: str, node: ast.AST, what: str, hint: str = _ALLOWED) -> ConfigError:
    return ConfigError(f"formula {_short(text)}: {what} {_where(text, node)} is not allowed; {hint}")


def _segment(text: str, node: ast.AST) -> str:
    return ast.get_source_segment(text, node) or type(node).__name__


def _same_level(parent: ast.BinOp, child: ast.AST, is_left: bool) -> bool:
    """True when ``child`` continues ``parent``'s flat chain (a + b - c, a * b / c, a ** b ** c).

    Such chains nest in the tree but not in the reader's eye, so they do not count towards MAX_DEPTH.
    """
    if not isinstance(child, ast.BinOp):
        return False
    additive, multiplicative = (ast.Add, ast.Sub), (ast.Mult, ast.Div)
    if is_left:
        return any(isinstance(parent.op, g) and isinstance(child.op, g) for g in (additive, multiplicative))
    return isinstance(parent.op, ast.Pow) and isinstance(child.op, ast.Pow)


def _compile(text: str, root: ast.expr) -> tuple[list[_Instruction], set[str]]:
    """Validate the tree against the allow-list and emit a postfix program, without recursion."""
    code: list[_Instruction] = []
    names: set[str] = set()
    # (node, depth, children_done). Children are pushed in reverse so they are emitted left to right.
    todo: list[tuple[ast.AST, int, bool]] = [(root, 1, False)]
    while todo:
        node, depth, done = todo.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"formula {_short(text)} nests deeper than {MAX_DEPTH} levels {_where(text, node)}; "
                "simplify it"
            )
        src = _segment(text, node)
        if isinstance(node, ast.Constant):
            code.append((_CONST, _number(text, node), src))
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise _refuse(
                    text, node, f"function name {node.id!r} used as a value", f"call it, e.g. {node.id}(...)"
                )
            names.add(node.id)
            code.append((_NAME, node.id, src))
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                op = "'not'" if isinstance(node.op, ast.Not) else "operator '~'"
                raise _refuse(text, node, op)
            if done:
                if isinstance(node.op, ast.USub):  # unary plus is a no-op
                    code.append((_NEG, None, src))
            else:
                todo += [(node, depth, True), (node.operand, depth + 1, False)]
        elif isinstance(node, ast.BinOp):
            op_type = type(node.op)
            if op_type not in _BINARY:
                raise _refuse(text, node, f"operator {_OPERATOR_NAMES.get(op_type, op_type.__name__)!r}")
            if done:
                # Division keeps the denominator's text so the reason can point at it.
                arg = _segment(text, node.right) if op_type is ast.Div else None
                code.append((_BINARY[op_type], arg, src))
            else:
                left = depth if _same_level(node, node.left, True) else depth + 1
                right = depth if _same_level(node, node.right, False) else depth + 1
                todo += [(node, depth, True), (node.right, right, False), (node.left, left, False)]
        elif isinstance(node, ast.Call):
            if done:
                # Arity last, so a bad argument (say a generator) is reported as what it is.
                _check_arity(text, node)
                code.append((_CALLS[node.func.id], len(node.args), src))  # type: ignore[attr-defined]
            else:
                _check_call(text, node)
                todo.append((node, depth, True))
                todo += [(arg, depth + 1, False) for arg in reversed(node.args)]
        else:
            what = _CONSTRUCTS.get(type(node), f"{type(node).__name__} expression")
            raise _refuse(text, node, f"{what} {src!r}")
    return code, names


def _number(text: str, node: ast.Constant) -> float:
    """A numeric literal as a finite float; other constants (strings, True, None, 1j) are refused."""
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = {str: "string", bytes: "bytes", complex: "complex number"}.get(type(value), "constant")
        hint = "write metric names without quotes" if kind == "string" else "use numbers and metric names"
        raise _refuse(text, node, f"{kind} {_segment(text, node)!r}", hint)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _refuse(
            text,
            node,
            f"number {_segment(text, node)[:20]!r} (too large)",
            "use a finite number below 1.8e308",
        )
    return number


def _check_call(text: str, node: ast.Call) -> None:
    """Allow only positional calls to FUNCTIONS."""
    func = node.func
    if not isinstance(func, ast.Name):
        raise _refuse(text, node, f"call of {_segment(text, func)!r}", _CALL_HINT)
    if func.id not in FUNCTIONS:
        raise _refuse(text, node, f"call to {func.id!r}", _CALL_HINT)
    positional = f"pass arguments by position, e.g. {func.id}(a, b)"
    for kw in node.keywords:
        what = f"keyword argument '{kw.arg}='" if kw.arg else "argument unpacking '**'"
        raise _refuse(text, kw, what, positional)
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _refuse(text, arg, "argument unpacking '*'", positional)


def _check_arity(text: str, node: ast.Call) -> None:
    """Refuse a call with the wrong number of arguments for its function."""
    func: ast.Name = node.func  # type: ignore[assignment]
    low, high = FUNCTIONS[func.id]
    n = len(node.args)
    if n < low or (high is not None and n > high):
        want = f"exactly {low}" if low == high else f"at least {low}"
        raise ConfigError(
            f"formula {_short(text)}: {func.id}() takes {want} argument{'s' * (low != 1)}, got {n} "
            f"{_where(text, node)}; e.g. {func.id}({', '.join('abc'[: max(low, 1)])})"
        )


def _metric_value(values: Mapping[str, float | None], name: str) -> tuple[float | None, str | None]:
    """Look up one metric; return (value, None) or (None, reason)."""
    if name not in values:
        known = sorted(values)
        shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        return None, f"metric {name!r} is not available for this entry (available: {shown or 'none'})"
    value = values[name]
    if value is None:
        return None, f"metric {name!r} is null for this entry"
    if not isinstance(value, numbers.Real):
        return None, f"metric {name!r} is not a number for this entry (got {type(value).__name__})"
    number = float(value)
    if math.isnan(number):
        return None, f"metric {name!r} is NaN (undefined) for this entry"
    if math.isinf(number):
        return None, f"metric {name!r} is infinite for this entry"
    return number, None


# --- the strategy -------------------------------------------------------------------------------------


def metric_names_in_order(expression: str, names: frozenset[str]) -> tuple[str, ...]:
    """The metric names of a parsed formula in order of first appearance (for tables, ``formula_inputs``).

    >>> metric_names_in_order("recall - 0.5 * (1 - precision) + recall", frozenset({"recall", "precision"}))
    ('recall', 'precision')
    """
    # Only called on expressions parse_formula accepted, so parsing again is safe and cannot fail.
    nodes = [n for n in ast.walk(ast.parse(expression.strip(), mode="eval")) if isinstance(n, ast.Name)]
    nodes.sort(key=lambda n: (n.lineno, n.col_offset))
    return tuple(dict.fromkeys(n.id for n in nodes if n.id in names))


@dataclass(frozen=True)
class FormulaStrategy:
    """Score = the formula over the entry's metrics; no score (with the reason) where it cannot be computed.

    >>> from evalkit.metrics.registry import metric_registry
    >>> s = build_formula("recall - 0.5 * (1 - precision)", "maximize", metric_registry("binary"))
    >>> outcome = s.evaluate({"recall": 0.9, "precision": 0.8})
    >>> round(outcome.score, 6), outcome.inputs
    (0.8, {'recall': 0.9, 'precision': 0.8})
    """

    formula: Formula
    direction: Direction
    metrics_used: tuple[str, ...]
    name: str = "formula"

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "maximize"

    def evaluate(self, metrics: Mapping[str, float | None], *, require_all: bool = True) -> Outcome:
        # require_all does not apply: a formula needs every metric it names, for baselines too.
        result = self.formula.evaluate(metrics)
        inputs = {name: metrics.get(name) for name in self.metrics_used}
        return Outcome(score=result.value, reason=result.reason, inputs=inputs)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "expression": self.formula.expression, "direction": self.direction}

    def score_values(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The formula re-evaluated on every bootstrap resample: NaN where one entry would get no score."""
        return self.formula.evaluate_array(values)


def build_formula(expression: str | None, direction: object,
                  registry: Mapping[str, MetricSpec]) -> FormulaStrategy:
    """Parse the formula, check its direction and that every name is a metric of the task.

    A name that is no metric at all is a typo, refused here before any model is fitted; a metric an
    entry does not report (or reports as null) gives that entry no score, with the reason.
    """
    if not expression:
        raise ConfigError("strategy formula: set strategy.expression, e.g. 'recall - 0.5 * (1 - precision)'")
    formula = parse_formula(expression)
    checked = validate_direction(direction)
    names = metric_names_in_order(formula.expression, formula.names)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ConfigError(f"strategy.expression: unknown metric(s) {', '.join(map(repr, unknown))} in "
                          f"{formula.expression!r}; valid metrics: {', '.join(registry)} (declare other "
                          "cost metrics under cost_metrics: {name: lower|higher})")
    return FormulaStrategy(formula, checked, names)
