"""The shape the code keeps (issue "The house in order", item 6): no module over 400 lines, no function over 50,
cyclomatic complexity (radon) at most 15, every route handler at most 15 body lines. A breach names itself."""

from __future__ import annotations

import ast
from pathlib import Path

from radon.complexity import cc_visit

SERVICE = Path(__file__).resolve().parent.parent / "service"
MODULE_LINES, FUNCTION_LINES, COMPLEXITY, HANDLER_LINES = 400, 50, 15, 15
ROUTE_DECORATORS = {"get", "post", "put", "delete", "patch", "head", "api_route"}


def modules() -> list[Path]:
    return sorted(SERVICE.rglob("*.py"))


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def body_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of the body, its docstring left out."""
    body = fn.body[1:] if ast.get_docstring(fn) is not None and len(fn.body) > 1 else fn.body
    return (fn.end_lineno or fn.lineno) - body[0].lineno + 1


def is_handler(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    calls = (d for d in fn.decorator_list if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute))
    return any(d.func.attr in ROUTE_DECORATORS for d in calls)  # type: ignore[union-attr]


def where(path: Path, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return f"{path.relative_to(SERVICE.parent)}:{fn.lineno} {fn.name}"


def test_no_module_over_400_lines() -> None:
    long = {
        str(p.relative_to(SERVICE.parent)): n
        for p in modules()
        if (n := len(p.read_text().splitlines())) > MODULE_LINES
    }
    assert not long, f"modules over {MODULE_LINES} lines: {long}"


def test_no_function_over_50_lines_and_no_handler_over_15() -> None:
    long, handlers = [], []
    for path in modules():
        for fn in functions(ast.parse(path.read_text())):
            n = (fn.end_lineno or fn.lineno) - fn.lineno + 1
            if n > FUNCTION_LINES:
                long.append(f"{where(path, fn)} ({n} lines)")
            if is_handler(fn) and body_lines(fn) > HANDLER_LINES:
                handlers.append(f"{where(path, fn)} ({body_lines(fn)} body lines)")
    assert not long, f"functions over {FUNCTION_LINES} lines: {long}"
    assert not handlers, f"handlers over {HANDLER_LINES} body lines: {handlers}"


def test_complexity_at_most_15() -> None:
    complex_ = [
        f"{p.relative_to(SERVICE.parent)}:{b.lineno} {b.name} ({b.complexity})"
        for p in modules()
        for b in cc_visit(p.read_text())
        if b.complexity > COMPLEXITY
    ]
    assert not complex_, f"blocks over radon {COMPLEXITY}: {complex_}"


def test_the_checks_can_fail() -> None:
    tree = ast.parse("@router.get('/x')\ndef h():\n" + "    a = 1\n" * 16)
    (fn,) = functions(tree)
    assert is_handler(fn) and body_lines(fn) == 16
    assert max(b.complexity for b in cc_visit("def f(x):\n" + "    if x: pass\n" * 16)) == 17
