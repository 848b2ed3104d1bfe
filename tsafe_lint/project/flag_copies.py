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
    rebound: list[Rebinding] = []
    polled: set[str] = set()
    for scope, is_function in _scopes(tree):
        declared: set[str] = set()
        stores: dict[str, ast.Name] = {}
        loops: list[ast.While] = []
        for node in _own_nodes(scope):
            if isinstance(node, ast.Global):
                declared.update(node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                stores.setdefault(node.id, node)
            elif isinstance(node, ast.While):
                loops.append(node)
        local = set(stores) - declared if is_function else set()
        if is_function:
            for name in sorted(declared & set(stores)):
                if name in imported and name not in bound_here:
                    store = stores[name]
                    rebound.append([name, imported[name], store.lineno, store.col_offset + 1])
        for loop in loops:
            for node in ast.walk(loop.test):
                if not isinstance(node, ast.Name) or node.id in local:
                    continue
                if node.id in imported:
                    polled.add(imported[node.id])
                elif node.id in bound_here:
                    polled.add(f"{module}.{node.id}")
    return rebound, sorted(polled)


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


def _scopes(tree: ast.Module) -> Iterator[tuple[ast.AST, bool]]:
    """The module and every function, at any depth (methods included)."""
    yield tree, False
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, True


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
