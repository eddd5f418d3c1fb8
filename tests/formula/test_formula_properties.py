"""Property tests on random formulas and values: evaluate matches an oracle; evaluate_array, evaluate."""

from __future__ import annotations

import math
import operator

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.strategies.formula import parse_formula

NAMES = ["a", "b", "c"]
BINARY = ["+", "-", "*", "/", "**"]

# A tree is ("num", x) | ("name", n) | ("neg", t) | ("bin", op, l, r) | ("call", f, [t, ...]).
numbers = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 10.0, 0.1, 1e-3, 1e3])
leaves = st.one_of(numbers.map(lambda x: ("num", x)), st.sampled_from(NAMES).map(lambda n: ("name", n)))


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        children.map(lambda t: ("neg", t)),
        st.tuples(st.just("bin"), st.sampled_from(BINARY), children, children),
        st.tuples(
            st.just("call"),
            st.sampled_from(["abs", "sqrt", "log"]),
            st.lists(children, min_size=1, max_size=1),
        ),
        st.tuples(
            st.just("call"), st.sampled_from(["min", "max"]), st.lists(children, min_size=2, max_size=3)
        ),
    )


trees = st.recursive(leaves, _extend, max_leaves=12)
# Metric values: zeros, negatives and nulls on purpose, so every failure path is exercised.
metric_values = st.one_of(
    st.none(),
    st.just(math.nan),
    st.sampled_from([0.0, -1.0, 1.0, 0.5, -0.5, 2.0, 1e-8, 1e8]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)


def render(tree: tuple) -> str:
    """Fully parenthesised text, so the tree is what the parser must rebuild."""
    kind = tree[0]
    if kind == "num":
        return repr(tree[1])
    if kind == "name":
        return tree[1]
    if kind == "neg":
        return f"(-{render(tree[1])})"
    if kind == "bin":
        return f"({render(tree[2])} {tree[1]} {render(tree[3])})"
    return f"{tree[1]}({', '.join(render(t) for t in tree[2])})"


def reference(tree: tuple, env: dict[str, float | None]) -> float | None:
    """Independent oracle in plain Python: None wherever the value is not a finite real number."""
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "name":
        v = env.get(tree[1])
        return None if v is None or math.isnan(v) else v
    if kind == "neg":
        v = reference(tree[1], env)
        return None if v is None else -v
    if kind == "bin":
        a, b = reference(tree[2], env), reference(tree[3], env)
        if a is None or b is None:
            return None
        ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": pow}
        try:
            r = ops[tree[1]](a, b)
        except (ZeroDivisionError, OverflowError):
            return None
        # A negative base to a fractional power gives a complex number: not a score.
        return r if isinstance(r, float) and math.isfinite(r) else None
    args = [reference(t, env) for t in tree[2]]
    if any(v is None for v in args):
        return None
    name, x = tree[1], args[0]
    if name == "min":
        return min(args)
    if name == "max":
        return max(args)
    if name == "abs":
        return abs(x)
    if name == "sqrt":
        return math.sqrt(x) if x >= 0 else None
    return math.log(x) if x > 0 else None


@settings(max_examples=400, deadline=None)
@given(tree=trees, env=st.fixed_dictionaries({n: metric_values for n in NAMES}))
def test_scalar_matches_reference(tree: tuple, env: dict[str, float | None]) -> None:
    result = parse_formula(render(tree)).evaluate(env)
    expected = reference(tree, env)
    assert result.value == expected
    assert (result.reason is None) == (expected is not None)


@settings(max_examples=300, deadline=None)
@given(
    tree=trees,
    rows=st.lists(st.fixed_dictionaries({n: metric_values for n in NAMES}), min_size=1, max_size=8),
)
def test_array_form_equals_scalar_form(tree: tuple, rows: list[dict[str, float | None]]) -> None:
    f = parse_formula(render(tree))
    arrays = {n: np.array([np.nan if r[n] is None else r[n] for r in rows]) for n in NAMES}
    out = f.evaluate_array(arrays)
    scalar = np.array([np.nan if (v := f.evaluate(r).value) is None else v for r in rows])
    # libm and numpy may differ in the last bit of pow/log; undefined must agree exactly.
    np.testing.assert_array_equal(np.isnan(out), np.isnan(scalar))
    np.testing.assert_allclose(out, scalar, rtol=1e-12, atol=0, equal_nan=True)
