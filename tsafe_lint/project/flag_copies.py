"""Module globals imported by value, and the places that rebind only one copy of them.

``from settings import RUNNING`` binds a name of the importing module to the object
``settings.RUNNING`` held at import time. ``global RUNNING; RUNNING = False`` in that
module rebinds its own name only: ``settings.RUNNING`` and the copy every other module
imported keep the old value. A stop flag set that way never reaches the loops that poll
it in the other modules (nsj-queue-lib's worker threads loop ``while GLOBAL_RUN:`` on
their own copies while the main thread's HALT rebinds its copy: forty-ninth set's
misses). Each file's summary lists the imported names its functions rebind and the
module globals its ``while`` loops test, by their real names; the project join pairs
them (TS406). Read from CPython's ``ast`` tree, which every file gets anyway.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tsafe_lint.module_names import imported_from

#: [the local name, the real name it was imported from, line, column (1-based)]
Rebinding = list[str | int]


def flag_copies(tree: ast.Module, module: str, package: bool) -> tuple[list[Rebinding], list[str]]:
    """The imported names the module's functions rebind (``global NAME`` then a store),
    and the real names of the module globals its ``while`` tests read."""
    imported, bound_here = _module_names(tree, module, package)
    declared: dict[ast.AST, set[str]] = {}
    loops: list[tuple[ast.AST, ast.While]] = []
    for statement, scope in _statements(tree):
        if isinstance(statement, ast.Global):
            declared.setdefault(scope, set()).update(statement.names)
        elif isinstance(statement, ast.While):
            loops.append((scope, statement))
    stores: dict[ast.AST, dict[str, ast.Name]] = {}

    def stores_of(function: ast.AST) -> dict[str, ast.Name]:
        if function not in stores:
            found: dict[str, ast.Name] = {}
            for node in _own_nodes(function):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    found.setdefault(node.id, node)
            stores[function] = found
        return stores[function]

    rebound: list[Rebinding] = []
    for scope, names in declared.items():
        if scope is tree:
            continue
        for name in sorted(names & set(stores_of(scope))):
            if name in imported and name not in bound_here:
                store = stores_of(scope)[name]
                rebound.append([name, imported[name], store.lineno, store.col_offset + 1])
    polled: set[str] = set()
    for scope, loop in loops:
        for node in ast.walk(loop.test):
            if not isinstance(node, ast.Name):
                continue
            if node.id not in imported and node.id not in bound_here:
                continue
            local = scope is not tree and node.id in stores_of(scope)
            if local and node.id not in declared.get(scope, ()):
                continue  # a local of the function
            polled.add(imported.get(node.id) or f"{module}.{node.id}")
    rebound.sort(key=lambda item: (item[2], item[3]))
    return rebound, sorted(polled)


def _statements(tree: ast.Module) -> Iterator[tuple[ast.stmt, ast.AST]]:
    """Every statement at any depth with the scope whose own code it is: the module or
    the innermost function. Only statement lists are walked (no expression holds a
    ``global`` or a ``while``), so this visits a small part of the tree; a class body's
    statements belong to no scope (a method is a scope of its own)."""
    stack: list[tuple[list[ast.stmt], ast.AST | None]] = [(tree.body, tree)]
    while stack:
        body, scope = stack.pop()
        for statement in body:
            if scope is not None:
                yield statement, scope
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stack.append((statement.body, statement))
                continue
            inner = None if isinstance(statement, ast.ClassDef) else scope
            for field in ("body", "orelse", "finalbody"):
                block = getattr(statement, field, None)
                if isinstance(block, list):
                    stack.append((block, inner))
            for part in getattr(statement, "handlers", ()) or getattr(statement, "cases", ()):
                stack.append((part.body, inner))


def _module_names(tree: ast.Module, module: str, package: bool) -> tuple[dict[str, str], set[str]]:
    """The module-level names bound by ``from m import x`` (with their real names), and
    those bound any other way at module level (assigned, defined, ``import m``)."""
    imported: dict[str, str] = {}
    other: set[str] = set()
    for node in _own_nodes(tree):
        if isinstance(node, ast.ImportFrom):
            imported.update(imported_from(node, module, package))
        elif isinstance(node, ast.Import):
            other.update(alias.asname or alias.name.split(".", 1)[0] for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            other.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            other.add(node.name)
    for name in other & set(imported):
        del imported[name]  # also bound otherwise (a fallback in ``except ImportError``)
    return imported, other


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``scope``'s own code: not inside nested functions, classes or
    lambdas (a nested definition's name is the scope's own)."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
