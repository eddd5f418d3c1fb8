"""parse_formula: what the allow-list accepts, what it refuses, and how the refusal reads."""

import pytest

from evalkit.errors import ConfigError
from evalkit.strategies.formula import MAX_DEPTH, MAX_LENGTH, parse_formula, validate_direction


def value(expression: str, **metrics: float) -> float | None:
    return parse_formula(expression).evaluate(metrics).value


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2 + 3 * 4 ** 2", 2 + 3 * 4**2),
        ("-2 ** 2", -(2**2)),  # unary minus binds looser than ** in Python, and here
        ("(-2) ** 2", 4.0),
        ("2 ** -1", 0.5),
        ("2 ** 3 ** 2", 2 ** (3**2)),  # ** is right-associative
        ("10 - 4 - 3", 3.0),  # - and / are left-associative
        ("2 / 4 / 2", 0.25),
        ("(2 + 3) * 4", 20.0),
        ("- -3", 3.0),
        ("+3", 3.0),
        ("1_000 * 1e-3", 1.0),
        ("-(5 * 0.25 + 1 * 0.5)", -1.75),
    ],
)
def test_precedence_and_associativity_match_python(expression: str, expected: float) -> None:
    assert value(expression) == expected


def test_brief_examples() -> None:
    assert value("recall - 0.5 * (1 - precision)", recall=0.8, precision=0.5) == pytest.approx(0.55)
    assert value("-(5 * fn_rate + 1 * fp_rate)", fn_rate=0.1, fp_rate=0.2) == pytest.approx(-0.7)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("min(a, b)", 0.25),
        ("min(a, b, -1)", -1.0),
        ("max(a, b)", 4.0),
        ("max(a, b, 10)", 10.0),
        ("abs(-a)", 4.0),
        ("sqrt(a)", 2.0),
        ("log(1)", 0.0),
        ("log(a * a) / log(a)", 2.0),
    ],
)
def test_every_allowed_function(expression: str, expected: float) -> None:
    assert value(expression, a=4.0, b=0.25) == pytest.approx(expected, rel=1e-15)


def test_names_are_the_metrics_used() -> None:
    f = parse_formula("recall - 0.5 * (1 - precision) + max(recall, f1) + sqrt(2)")
    assert f.names == frozenset({"recall", "precision", "f1"})
    assert parse_formula("1 + 2").names == frozenset()


def test_surrounding_whitespace_and_newlines_inside_parentheses_are_fine() -> None:
    assert parse_formula("  recall \n").expression == "recall"
    assert value("(a +\n b)", a=1.0, b=2.0) == 3.0


@pytest.mark.parametrize(
    ("expression", "fragment", "column"),
    [
        ("recall.mean", "attribute access 'recall.mean'", 1),
        ("1 + os.system", "attribute access 'os.system'", 5),
        ("recall[0]", "subscript 'recall[0]'", 1),
        ("recall[0:2]", "subscript", 1),
        ("exp(recall)", "call to 'exp'", 1),
        ("__import__('os')", "call to '__import__'", 1),
        ("recall.mean()", "call of 'recall.mean'", 1),
        ("(lambda: 1)()", "call of 'lambda: 1'", 1),
        ("max(a, b=1)", "keyword argument 'b='", 8),
        ("max(a, **b)", "argument unpacking '**'", 8),
        ("max(a, *b)", "argument unpacking '*'", 8),
        ("lambda: 1", "lambda", 1),
        ("[x for x in a]", "list comprehension", 1),
        ("{x for x in a}", "set comprehension", 1),
        ("{x: 1 for x in a}", "dict comprehension", 1),
        ("max(x for x in a)", "generator expression", 4),
        ("'recall'", "string", 1),
        ("b'recall'", "bytes", 1),
        ("a < b", "comparison", 1),
        ("a == b", "comparison", 1),
        ("a and b", "boolean operator", 1),
        ("a or b", "boolean operator", 1),
        ("not a", "'not'", 1),
        ("~a", "operator '~'", 1),
        ("(a := 1)", "assignment expression", 2),
        ("f'{a}'", "f-string", 1),
        ("a if b else c", "conditional expression", 1),
        ("a // b", "operator '//'", 1),
        ("a % b", "operator '%'", 1),
        ("a @ b", "operator '@'", 1),
        ("a | b", "operator '|'", 1),
        ("a << b", "operator '<<'", 1),
        ("[a, b]", "list", 1),
        ("(a, b)", "tuple", 1),
        ("a, b", "tuple", 1),
        ("{a}", "set", 1),
        ("{a: b}", "dict", 1),
        ("True", "constant 'True'", 1),
        ("None", "constant 'None'", 1),
        ("...", "constant", 1),
        ("1j", "complex number", 1),
        ("1e999", "too large", 1),
        ("1" + "0" * 400, "too large", 1),
        ("(yield)", "yield expression", 2),
        ("a + précision.x", "attribute access 'précision.x'", 5),  # column counts characters, not bytes
    ],
)
def test_refuses_constructs_outside_the_allow_list(expression: str, fragment: str, column: int) -> None:
    with pytest.raises(ConfigError) as info:
        parse_formula(expression)
    message = str(info.value)
    assert fragment in message
    assert f"at column {column} " in message
    assert "\n" not in message


def test_refusal_on_a_later_line_gives_line_and_column() -> None:
    with pytest.raises(ConfigError, match=r"attribute access 'b\.c' at line 2, column 2"):
        parse_formula("(a +\n b.c)")


@pytest.mark.parametrize("name", ["min", "max", "abs", "sqrt", "log"])
def test_function_name_as_a_bare_identifier_is_an_error(name: str) -> None:
    with pytest.raises(ConfigError, match=f"function name '{name}' used as a value"):
        parse_formula(f"1 + {name}")


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("min(a)", "min() takes at least 2 arguments, got 1"),
        ("max()", "max() takes at least 2 arguments, got 0"),
        ("abs()", "abs() takes exactly 1 argument, got 0"),
        ("sqrt(a, b)", "sqrt() takes exactly 1 argument, got 2"),
        ("log(a, 10)", "log() takes exactly 1 argument, got 2"),
    ],
)
def test_wrong_number_of_arguments(expression: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        parse_formula(expression)


@pytest.mark.parametrize(
    "expression", ["", "   ", "recall -", "recall precision", "x = 1", "import os", "a\x00b"]
)
def test_syntax_errors_and_empty_input(expression: str) -> None:
    with pytest.raises(ConfigError, match="formula"):
        parse_formula(expression)


@pytest.mark.parametrize("expression", [None, 1.5, ["recall"]])
def test_non_string_expression(expression: object) -> None:
    with pytest.raises(ConfigError, match="must be a string"):
        parse_formula(expression)  # type: ignore[arg-type]


def test_length_limit() -> None:
    longest = "a+" * ((MAX_LENGTH - 2) // 2) + "ab"
    assert len(longest) == MAX_LENGTH
    assert parse_formula(longest).names == {"a", "ab"}
    with pytest.raises(ConfigError, match=f"1001 characters long; the limit is {MAX_LENGTH}"):
        parse_formula("a" * (MAX_LENGTH + 1))
    with pytest.raises(ConfigError, match="characters long"):
        parse_formula("1+" * 500_000 + "1")  # refused before the parser sees it


def test_a_long_flat_chain_is_not_deep() -> None:
    # 300 terms nest 300 levels in the tree but read as one level.
    f = parse_formula(" + ".join(["a"] * 150) + " - " + " * ".join(["b"] * 100))
    assert f.evaluate({"a": 1.0, "b": 1.0}).value == 149.0


@pytest.mark.parametrize(
    "expression",
    [
        "-" * MAX_DEPTH + "a",  # each unary minus is a level
        "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
        "abs(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
        "[" * 300 + "]" * 300,
        "-a ** " * 160 + "a",  # unary minus breaks the ** chain every time
        "-" * 999 + "a",
    ],
)
def test_deep_nesting_is_refused_without_recursion_errors(expression: str) -> None:
    with pytest.raises(ConfigError, match=f"deeper than {MAX_DEPTH} levels"):
        parse_formula(expression)


def test_nesting_just_inside_the_limit_is_accepted() -> None:
    assert parse_formula("-" * (MAX_DEPTH - 1) + "a").evaluate({"a": 2.0}).value == -2.0
    deep_calls = "abs(" * (MAX_DEPTH - 1) + "a" + ")" * (MAX_DEPTH - 1)
    assert parse_formula(deep_calls).evaluate({"a": -2.0}).value == 2.0


def test_validate_direction() -> None:
    assert validate_direction("maximize") == "maximize"
    assert validate_direction("minimize") == "minimize"
    for bad in ("maximise", "Maximize", "", None, 1):
        with pytest.raises(ConfigError, match="use 'maximize' or 'minimize'"):
            validate_direction(bad)
