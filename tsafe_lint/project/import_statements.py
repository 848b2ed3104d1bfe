"""What a module's import statements may load: those that run when the module is imported
(at its top level, in a top-level ``try``, ``with``, loop or class body, and in an
``if`` other than ``if TYPE_CHECKING:`` and ``if __name__ == "__main__":``), and those
inside its functions (deferred: loaded at a call); and the names its top level binds.

Both the full analysis (LibCST) and the syntax-only summary (``ast``) record them, so
that the project join (``import_closure``) can tell which deferred imports load nothing
the module had not loaded already. A ``from m import *`` loads ``m`` (what it binds is
not known: the module binds an unknown set of names)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from tsafe_lint.analysis.scopes import dotted_name
from tsafe_lint.analysis.tree import walk
from tsafe_lint.module_names import import_candidates

#: Names of ``if`` tests whose body never runs at import time.
_NEVER_RUN_TESTS = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING"})


@dataclass
class ModuleImports:
    eager: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    #: names the module's top level binds (``*`` when a star import binds unknown ones)
    top_names: list[str] = field(default_factory=list)


def cst_imports(
    module: cst.Module, name: str, package: bool, functions: list[cst.FunctionDef]
) -> ModuleImports:
    """The imports and top-level names of a LibCST module; the deferred imports of
    ``functions`` (the caller passes none for a module that submits no task: only the
    tasks TS401 asks about need them, and every module the join clears some for is
    analysed again)."""
    found = ModuleImports()
    names: set[str] = set()
    for node, top in _cst_import_time(module.body, top=True):
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            found.eager.extend(_cst_candidates(node, name, package, star=True))
            if top:
                names |= _cst_bound_by_import(node)
        elif top and isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            names.add(node.name.value)
        elif top and isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = (
                [target.target for target in node.targets]
                if isinstance(node, cst.Assign)
                else [node.target]
            )
            for target in targets:
                names.update(
                    inner.value
                    for inner in walk(target)
                    if isinstance(inner, cst.Name) and not isinstance(target, cst.Attribute)
                )
    deferred: set[str] = set()
    for function in functions:  # a nested one is walked on its own
        for inner in walk(function.body, (cst.FunctionDef,)):
            if isinstance(inner, (cst.Import, cst.ImportFrom)):
                deferred.update(_cst_candidates(inner, name, package, star=False))
    found.deferred = sorted(deferred)
    found.top_names = sorted(names)
    return found


def _cst_import_time(statements: object, top: bool) -> Iterator[tuple[cst.CSTNode, bool]]:
    """The small statements and definitions that run when the module is imported, each
    with whether it binds at the module's top level (not in a class body)."""
    assert isinstance(statements, (list, tuple))
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                yield small, top
        elif isinstance(statement, cst.FunctionDef):
            yield statement, top
        elif isinstance(statement, cst.ClassDef):
            yield statement, top
            yield from _cst_import_time(_cst_suite(statement.body), False)
        elif isinstance(statement, cst.If):
            if not _cst_never_run(statement.test):
                yield from _cst_import_time(_cst_suite(statement.body), top)
            if statement.orelse is not None:
                orelse = statement.orelse
                body = [orelse] if isinstance(orelse, cst.If) else _cst_suite(orelse.body)
                yield from _cst_import_time(body, top)
        elif isinstance(statement, cst.BaseCompoundStatement):
            for part in _cst_parts(statement):
                yield from _cst_import_time(_cst_suite(part), top)


def _cst_parts(statement: cst.BaseCompoundStatement) -> list[cst.BaseSuite]:
    parts: list[cst.BaseSuite] = [statement.body]
    if isinstance(statement, (cst.Try, cst.TryStar)):
        parts += [handler.body for handler in statement.handlers]
        parts += [x.body for x in (statement.orelse, statement.finalbody) if x is not None]
    elif isinstance(statement, (cst.For, cst.While)) and statement.orelse is not None:
        parts.append(statement.orelse.body)
    return parts


def _cst_suite(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    assert isinstance(suite, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=suite.body)]


def _cst_never_run(test: cst.BaseExpression) -> bool:
    if dotted_name(test) in _NEVER_RUN_TESTS:
        return True
    return (
        isinstance(test, cst.Comparison)
        and dotted_name(test.left) == "__name__"
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Equal)
    )


def _cst_bound_by_import(statement: cst.Import | cst.ImportFrom) -> set[str]:
    if isinstance(statement, cst.ImportFrom) and isinstance(statement.names, cst.ImportStar):
        return {"*"}
    assert not isinstance(statement.names, cst.ImportStar)
    bound: set[str] = set()
    for alias in statement.names:
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            bound.add(alias.asname.name.value)
        else:
            dotted = dotted_name(alias.name) or ""
            bound.add(dotted.split(".", 1)[0] if isinstance(statement, cst.Import) else dotted)
    return bound


def cst_statement_candidates(
    statement: cst.Import | cst.ImportFrom, name: str, package: bool
) -> list[str]:
    """What one import statement may load (``import_candidates``); empty for a
    ``from ... import *``, which names nothing one can check."""
    return _cst_candidates(statement, name, package, star=False)


def _cst_candidates(
    statement: cst.Import | cst.ImportFrom, name: str, package: bool, star: bool
) -> list[str]:
    """``star``: a ``from m import *`` gives ``m`` (else nothing)."""
    if isinstance(statement, cst.Import):
        found: list[str] = []
        for alias in statement.names:
            dotted = dotted_name(alias.name)
            if dotted:
                found.extend(import_candidates(0, dotted, None, name, package))
        return found
    source = dotted_name(statement.module) if statement.module is not None else None
    if isinstance(statement.names, cst.ImportStar):
        return (
            import_candidates(len(statement.relative), source, ["*"], name, package) if star else []
        )
    names = [dotted for alias in statement.names if (dotted := dotted_name(alias.name)) is not None]
    return import_candidates(len(statement.relative), source, names, name, package)


def ast_imports(tree: ast.Module, name: str, package: bool) -> ModuleImports:
    """The imports and top-level names of an ``ast`` module, as ``cst_imports``."""
    found = ModuleImports()
    names: set[str] = set()
    for node, top in _ast_import_time(tree.body, top=True):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.eager.extend(_ast_candidates(node, name, package, star=True))
            if top:
                for alias in node.names:
                    if alias.name == "*":
                        names.add("*")
                    elif alias.asname:
                        names.add(alias.asname)
                    elif isinstance(node, ast.Import):
                        names.add(alias.name.split(".", 1)[0])
                    else:
                        names.add(alias.name)
        elif top and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif top and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not isinstance(target, ast.Attribute):
                    names.update(
                        inner.id for inner in ast.walk(target) if isinstance(inner, ast.Name)
                    )
    # no deferred imports: a module without threading vocabulary submits no task, so
    # they are never asked about
    found.top_names = sorted(names)
    return found


def _ast_import_time(statements: list[ast.stmt], top: bool) -> Iterator[tuple[ast.AST, bool]]:
    for statement in statements:
        if isinstance(statement, ast.ClassDef):
            yield statement, top
            yield from _ast_import_time(statement.body, False)
        elif isinstance(statement, ast.If):
            if not _ast_never_run(statement.test):
                yield from _ast_import_time(statement.body, top)
            yield from _ast_import_time(statement.orelse, top)
        elif isinstance(statement, (ast.Try, ast.With, ast.For, ast.While)) or (
            type(statement).__name__ == "TryStar"
        ):
            for part in ("body", "handlers", "orelse", "finalbody"):
                inner = getattr(statement, part, None) or []
                if part == "handlers":
                    for handler in inner:
                        yield from _ast_import_time(handler.body, top)
                else:
                    yield from _ast_import_time(inner, top)
        else:
            yield statement, top


def _ast_never_run(test: ast.expr) -> bool:
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return True
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return True
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
    )


def _ast_candidates(
    statement: ast.Import | ast.ImportFrom, name: str, package: bool, star: bool
) -> list[str]:
    if isinstance(statement, ast.Import):
        return [
            found
            for alias in statement.names
            for found in import_candidates(0, alias.name, None, name, package)
        ]
    names = [alias.name for alias in statement.names]
    if "*" in names and not star:
        return []
    return import_candidates(statement.level, statement.module, names, name, package)
