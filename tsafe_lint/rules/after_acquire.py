"""What runs after an ``acquire()`` succeeds: the first statement run with the lock
held and the ``try`` that releases it (TS201, TS202).

Three shapes keep the lock safe: ``try: ... finally: x.release()`` right after the
acquire (past lines that cannot raise); a conditional acquire ``if t: x.acquire()``
right before a ``try`` whose ``finally`` releases under the same unchanging test; and a
function that hands the lock to its caller, whose every exception path after the
acquire releases it.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from tsafe_lint.analysis import (
    MethodCall,
    ModuleAnalysis,
    SymbolKey,
    block,
    releases_in,
)
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.tree import walk as walk_nodes
from tsafe_lint.rules.base import snippet
from tsafe_lint.rules.cannot_raise import cannot_raise, value_cannot_raise
from tsafe_lint.rules.fix_builders import is_release_of


def _released_by_finally(
    statement: cst.BaseStatement | None, key: SymbolKey, analysis: ModuleAnalysis, call: MethodCall
) -> bool:
    """Is ``statement`` a ``try`` whose ``finally`` releases ``key``?"""
    if not isinstance(statement, (cst.Try, cst.TryStar)) or statement.finalbody is None:
        return False
    return _releases(statement.finalbody.body, key, analysis, call)


def _releases(
    suite: cst.BaseSuite, key: SymbolKey, analysis: ModuleAnalysis, call: MethodCall
) -> bool:
    """Does ``suite`` release ``key`` anywhere (``if self.locked: x.release()`` too)?"""
    for release in releases_in(suite):
        assert isinstance(release.func, cst.Attribute)
        if analysis.symbols.key_of(release.func.value, call.func) == key:
            return True
    return False


#: Handlers that catch every exception a caller can reasonably expect: bare ``except:``,
#: ``BaseException`` and ``Exception`` (only ``KeyboardInterrupt`` and ``SystemExit`` pass).
_CATCH_ALL = frozenset({"BaseException", "Exception"})


def released_after(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """Is the first statement run with the lock held a try/finally releasing it (or the
    release itself)? Statements that cannot raise may stand between (``acquired =
    True``). Also a conditional acquire released under the same test (``if level:
    x.acquire()`` / ``try: ... finally: if level: x.release()``)."""
    first = _held_from(call, analysis)
    if _released_by_finally(first, call.target, analysis, call) or is_release_of(
        first, call.target, analysis, call
    ):
        return True
    # A retry loop: ``acquire(); if ready: break; release()`` -- the break leaves the
    # loop with the lock held, into the protected code after it.
    if call.form == "statement" and _is_bare_break_if(first):
        after = call.place.block[call.place.index + 2 : call.place.index + 3]
        return bool(after) and is_release_of(after[0], call.target, analysis, call)
    return _released_under_same_test(call, analysis)


def _held_from(call: MethodCall, analysis: ModuleAnalysis) -> cst.BaseStatement | None:
    """The first statement run with the lock held, past the lines that cannot raise."""
    first = _first_statement_held(call, analysis)
    block_, index = _block_and_index(call, first)
    while first is not None and block_ is not None and cannot_raise(first, analysis, call.func):
        index += 1
        first = block_[index] if index < len(block_) else None
    return first


def _releasing_handlers(
    statement: cst.Try, call: MethodCall, analysis: ModuleAnalysis
) -> list[cst.ExceptHandler]:
    """The ``except`` clauses of ``statement`` that release the lock ``call`` took."""
    return [
        handler
        for handler in statement.handlers
        if _releases(handler.body, call.target, analysis, call)
    ]


def released_only_for(call: MethodCall, analysis: ModuleAnalysis) -> str | None:
    """In a function whose job is to acquire (``__enter__``): the exceptions that the
    ``try`` right after the acquire releases the lock for, when they are not all of them
    (``except BackendError: lock.release(); raise``). The caller gets nothing to release
    when the function raises (``__exit__`` does not run when ``__enter__`` raises), so
    any other exception leaks the lock. ``None``: no such ``try``, or it covers all."""
    first = _held_from(call, analysis)
    if not isinstance(first, cst.Try) or _released_by_finally(first, call.target, analysis, call):
        return None
    releasing = _releasing_handlers(first, call, analysis)
    if not releasing or any(_catches_all(handler.type) for handler in releasing):
        return None
    names = [snippet(handler.type) for handler in releasing if handler.type is not None]
    return " or ".join(f"'{name}'" for name in names)


def hands_over(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """Does the function hand the lock to its caller: every exception after the acquire
    releases it, and the normal path returns with it held on purpose?

    The acquire is in the function's own body, followed (past lines that cannot raise)
    by a ``try`` without ``else`` whose ``finally`` releases the lock, or whose every
    handler releases it and one catches everything (bare ``except:``, ``Exception``,
    ``BaseException``: what ``released_only_for`` asks of ``__enter__``). After the
    ``try`` only lines that cannot raise and a ``return`` of such a value may follow.
    """
    first = _held_from(call, analysis)
    if not isinstance(first, cst.Try) or first.orelse is not None:
        return False
    suite = analysis.parent_of(first)
    if suite is None or analysis.parent_of(suite) is not call.func.node:
        return False
    if not _released_by_finally(first, call.target, analysis, call):
        handlers = first.handlers
        releasing = _releasing_handlers(first, call, analysis)
        if len(releasing) != len(handlers) or not any(_catches_all(h.type) for h in handlers):
            return False
    rest = list(call.func.body())
    rest = rest[next(i for i, s in enumerate(rest) if s is first) + 1 :]
    return all(
        cannot_raise(statement, analysis, call.func) or _returns_safely(statement, analysis, call)
        for statement in rest
    )


def _returns_safely(
    statement: cst.BaseStatement, analysis: ModuleAnalysis, call: MethodCall
) -> bool:
    """``return``, ``return pos``, ``return None``: leaves without running code."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return False
    small = statement.body[0]
    return isinstance(small, cst.Return) and (
        small.value is None or value_cannot_raise(small.value, analysis, call.func)
    )


#: Nodes a test may not contain to give the same answer twice: they run code, or read
#: state another thread may change.
_UNSTABLE = (
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.NamedExpr,
    cst.Await,
    cst.Yield,
    cst.Lambda,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
)


def _released_under_same_test(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """``if level: self._lock.acquire()`` right before ``try: ... finally: if level:
    self._lock.release()``: the same test of local names that nothing rebinds in
    between, so every path that acquired releases."""
    if call.form != "statement" or call.place.following() is not None:
        return False
    suite = analysis.parent_of(call.place.statement)
    owner = analysis.parent_of(suite) if suite is not None else None
    if not isinstance(owner, cst.If) or owner.orelse is not None or owner.body is not suite:
        return False
    names = _stable_test_names(owner.test, call.func)
    if names is None:
        return False
    parent = analysis.parent_of(owner)
    if not isinstance(parent, (cst.Module, cst.IndentedBlock)):
        return False
    statements: Sequence[cst.BaseStatement] = parent.body
    index = next(i for i, s in enumerate(statements) if s is owner) + 1
    while index < len(statements) and cannot_raise(statements[index], analysis, call.func):
        if _binds(statements[index]) & names:
            return False
        index += 1
    following = statements[index] if index < len(statements) else None
    if not isinstance(following, cst.Try) or following.finalbody is None:
        return False
    if _binds(following) & names:
        return False
    return any(
        isinstance(guard, cst.If)
        and guard.test.deep_equals(owner.test)
        and _releases(guard.body, call.target, analysis, call)
        for guard in block(following.finalbody.body)
    )


def _stable_test_names(test: cst.BaseExpression, func: FunctionInfo) -> set[str] | None:
    """The local names of a test made of names and literals (``level``, ``not quiet``,
    ``n > 1``); ``None`` for any other test."""
    names: set[str] = set()
    for node in walk_nodes(test):
        if isinstance(node, _UNSTABLE):
            return None
        if isinstance(node, cst.Name) and node.value not in ("True", "False", "None"):
            if not func.is_local(node.value):
                return None
            names.add(node.value)
    return names or None


#: Nodes that bind the names of their ``target``.
_BINDING = (
    cst.AssignTarget,
    cst.AugAssign,
    cst.AnnAssign,
    cst.Del,
    cst.For,
    cst.CompFor,
    cst.NamedExpr,
)


def _binds(node: cst.CSTNode) -> set[str]:
    """The names ``node`` binds anywhere inside it (assignments, loop and ``with``
    targets, ``except ... as``, walrus, ``del``)."""
    bound: set[str] = set()
    for inner in walk_nodes(node):
        targets: list[cst.BaseExpression] = []
        if isinstance(inner, _BINDING):
            targets = [inner.target]
        elif isinstance(inner, cst.WithItem) and inner.asname is not None:
            targets = [inner.asname.name]
        elif isinstance(inner, cst.ExceptHandler) and inner.name is not None:
            targets = [inner.name.name]
        for target in targets:
            bound |= {n.value for n in walk_nodes(target) if isinstance(n, cst.Name)}
    return bound


def _catches_all(caught: cst.BaseExpression | None) -> bool:
    """``except:``, ``except Exception:``, ``except (OSError, BaseException):``."""
    if caught is None:
        return True
    if isinstance(caught, cst.Tuple):
        return any(_catches_all(element.value) for element in caught.elements)
    name = caught.attr.value if isinstance(caught, cst.Attribute) else None
    if isinstance(caught, cst.Name):
        name = caught.value
    return name in _CATCH_ALL


def _leaves(suite: cst.BaseSuite) -> bool:
    """Does the suite end by leaving (``return``, ``raise``, ``continue``, ``break``)?"""
    statements = block(suite)
    last = statements[-1] if statements else None
    return (
        isinstance(last, cst.SimpleStatementLine)
        and bool(last.body)
        and isinstance(last.body[-1], (cst.Return, cst.Raise, cst.Continue, cst.Break))
    )


def _statement_after(
    statement: cst.BaseStatement, analysis: ModuleAnalysis
) -> cst.BaseStatement | None:
    """The statement that follows ``statement`` in its block."""
    suite = analysis.parent_of(statement)
    if not isinstance(suite, (cst.Module, cst.IndentedBlock)):
        return None
    statements: Sequence[cst.BaseStatement] = suite.body
    for index, current in enumerate(statements):
        if current is statement:
            return statements[index + 1] if index + 1 < len(statements) else None
    return None


def _block_and_index(
    call: MethodCall, first: cst.BaseStatement | None
) -> tuple[Sequence[cst.BaseStatement] | None, int]:
    """The block that holds ``first`` (the statement run first with the lock held)."""
    if first is None:
        return None, 0
    if first is call.place.following():
        return call.place.block, call.place.index + 1
    owner = call.place.statement
    if isinstance(owner, cst.If):
        for suite in (
            owner.body,
            owner.orelse.body if isinstance(owner.orelse, cst.Else) else None,
        ):
            statements = block(suite) if suite is not None else []
            if statements and statements[0] is first:
                return statements, 0
    return None, 0


def _is_bare_break_if(statement: cst.BaseStatement | None) -> bool:
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return False
    body = block(statement.body)
    return (
        len(body) == 1
        and isinstance(body[0], cst.SimpleStatementLine)
        and len(body[0].body) == 1
        and isinstance(body[0].body[0], cst.Break)
    )


def _first_statement_held(call: MethodCall, analysis: ModuleAnalysis) -> cst.BaseStatement | None:
    """The statement that runs first after the acquire succeeds.

    ``if x.acquire(...):`` -> the first statement of the body; ``if not x.acquire(...):``
    -> the first statement of the ``else`` (or, without one, the statement after the
    ``if``); a plain ``x.acquire()`` -> the next statement.
    """
    statement = call.place.statement
    if call.form == "statement" and call.place.following() is None:
        # ``try: x.acquire() except Busy: ... else: <runs with it held>``, or with handlers
        # that all leave, the statement after the ``try``
        suite = analysis.parent_of(statement)
        owner = analysis.parent_of(suite) if suite is not None else None
        if isinstance(owner, cst.Try) and owner.body is suite:
            if owner.orelse is not None:
                held_first = block(owner.orelse.body)
                return held_first[0] if held_first else None
            if owner.handlers and all(_leaves(handler.body) for handler in owner.handlers):
                # ``try: x.acquire() except Busy: return`` then the statement after it
                return _statement_after(owner, analysis)
    if call.form == "if" and isinstance(statement, cst.If):
        body = block(statement.body)
        return body[0] if body else None
    if (
        call.form == "if-not"
        and isinstance(statement, cst.If)
        and isinstance(statement.orelse, cst.Else)
    ):
        orelse = block(statement.orelse.body)
        return orelse[0] if orelse else None
    return call.place.following()
