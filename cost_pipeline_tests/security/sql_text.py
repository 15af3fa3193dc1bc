"""A small static check: is the SQL text a statement runs built only from trusted pieces?

Values must reach the database as bound parameters; what may be spliced into SQL text is code
we wrote: string literals, module constants (ALL_CAPS), SQL files read with ``read_sql``,
identifiers passed through ``quote_identifier`` (or a value through ``sql_literal``), and
local variables built from those. Anything else spliced into SQL is reported, with the file,
line and expression, so a reviewer sees it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

EXECUTING_METHODS = frozenset({"execute", "executemany", "sql", "query"})
# Functions whose result is safe to splice: they quote, or they return our own SQL.
SANITIZERS = frozenset(
    {
        "quote_identifier",
        "sql_literal",  # warehouse/inline_params.py; round trip property-tested
        "read_sql",
        "neutralised_select_list",
        "_typed_sql",
        "fast_typed_sql",
        "_fast_source",
        "_empty_source",
        "_robust_source",
        "_json_structure",
        "_struct_type",
        "len",
        "int",
    }
)


@dataclass(frozen=True)
class Splice:
    path: str
    line: int
    expression: str

    def key(self) -> tuple[str, str]:
        return (self.path, self.expression)


class _Checker:
    def __init__(self, path: str, function: ast.AST | None) -> None:
        self.path = path
        self.assignments: dict[str, list[ast.expr]] = {}
        if function is not None:
            self._collect(function)

    def _collect(self, function: ast.AST) -> None:
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assignments.setdefault(target.id, []).append(node.value)
            elif (
                isinstance(node, ast.AnnAssign | ast.AugAssign)
                and node.value is not None
                and isinstance(node.target, ast.Name)
            ):
                self.assignments.setdefault(node.target.id, []).append(node.value)

    def unsafe_parts(self, node: ast.expr, seen: frozenset[str] = frozenset()) -> list[ast.expr]:
        """The sub-expressions of ``node`` that are not known to be safe SQL text."""
        if isinstance(node, ast.Constant):
            return []
        if isinstance(node, ast.JoinedStr):
            return [
                part
                for value in node.values
                if isinstance(value, ast.FormattedValue)
                for part in self.unsafe_parts(value.value, seen)
            ]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.unsafe_parts(node.left, seen) + self.unsafe_parts(node.right, seen)
        if isinstance(node, ast.IfExp):
            return self.unsafe_parts(node.body, seen) + self.unsafe_parts(node.orelse, seen)
        if isinstance(node, ast.Name):
            return self._name(node, seen)
        if isinstance(node, ast.Subscript) and _is_constant_name(node.value):
            return []  # a lookup in a constant table of SQL snippets
        if isinstance(node, ast.Call):
            return self._call(node, seen)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.unsafe_parts(node.elt, seen)
        if isinstance(node, ast.List | ast.Tuple):
            return [part for elt in node.elts for part in self.unsafe_parts(elt, seen)]
        return [node]

    def _name(self, node: ast.Name, seen: frozenset[str]) -> list[ast.expr]:
        if _is_constant_name(node) or node.id in seen:
            return []
        values = self.assignments.get(node.id)
        if not values:
            return [node]  # a parameter or a loop variable: comes from outside
        return [part for value in values for part in self.unsafe_parts(value, seen | {node.id})]

    def _call(self, node: ast.Call, seen: frozenset[str]) -> list[ast.expr]:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in SANITIZERS:
            return []
        if name == "join" and isinstance(func, ast.Attribute):
            # "<sep>".join(parts): safe when the separator and every part are.
            return self.unsafe_parts(func.value, seen) + [
                part for arg in node.args for part in self.unsafe_parts(arg, seen)
            ]
        if name in ("replace", "strip", "format") and isinstance(func, ast.Attribute):
            return self.unsafe_parts(func.value, seen) + [
                part for arg in node.args for part in self.unsafe_parts(arg, seen)
            ]
        if name == "str" and node.args:
            return self.unsafe_parts(node.args[0], seen)
        return [node]


def _is_constant_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id.isupper() and len(node.id) > 1


def _functions_by_node(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    """The innermost function around every node (None at module level)."""
    owner: dict[ast.AST, ast.AST] = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                owner[node] = function  # inner functions come later in the walk and win
    return owner


def spliced_sql(path: Path, root: Path) -> list[Splice]:
    """Every non-constant expression spliced into SQL text that a call in ``path`` executes."""
    tree = ast.parse(path.read_text())
    owner = _functions_by_node(tree)
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in EXECUTING_METHODS
            and node.args
        ):
            continue
        checker = _Checker(str(path.relative_to(root)), owner.get(node))
        for part in checker.unsafe_parts(node.args[0]):
            found.append(Splice(str(path.relative_to(root)), node.lineno, ast.unparse(part)))
    return found
