"""The shape of the code: tasks are plug-ins, and modules import each other in one direction only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import evalkit

PACKAGE = Path(evalkit.__file__).parent
TASKS = PACKAGE / "tasks"
# The measure (`grep -rnE "task (==|!=|in|not in)"`), plus comparisons of a record's task field.
TASK_BRANCH = re.compile(r"task (==|!=|in|not in)\b"
                         r"|\[\"task\"\] (==|!=|in)|get\(\"task\"\) (==|!=|in|not in)")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every evalkit module ``name`` imports when it runs, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in modules:
                    out.add(target)
                elif base in modules:
                    out.add(base)
    out.discard(name)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_code_outside_the_tasks_package_branches_on_a_task_name():
    offenders = [f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
                 for path in PACKAGE.rglob("*.py") if TASKS not in path.parents
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if TASK_BRANCH.search(line)]
    assert offenders == []


def test_no_import_circle_between_evalkit_modules():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_circle_and_the_import_reader_sees_function_level_imports():
    # The two tests above are only as good as these helpers.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    modules = _modules()
    assert "evalkit.tasks" in _imports("evalkit.evalset", modules["evalkit.evalset"], modules)


def test_tasks_never_import_the_runner_the_report_or_the_gate():
    modules = _modules()
    downstream = ("evalkit.runner", "evalkit.report", "evalkit.results", "evalkit.gate", "evalkit.plots")
    offenders = {name: sorted(i for i in _imports(name, path, modules) if i.startswith(downstream))
                 for name, path in modules.items() if name.startswith("evalkit.tasks")}
    assert {name: found for name, found in offenders.items() if found} == {}
