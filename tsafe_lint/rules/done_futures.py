"""Futures already tested with ``done()``: their ``result()`` cannot wait (TS206).

A future, once done, stays done. ``result()`` or ``exception()`` called where the same
future was just found done returns (or raises) at once: in the body of ``if
f.done():`` (``done()`` one of the ``and``-ed tests), in the ``else`` of ``if not
f.done():``, or after ``if not f.done(): return`` (or ``raise``) earlier in the same
block or an enclosing one.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import ModuleAnalysis, block, conjuncts
from tsafe_lint.analysis.flag_paths import ends_in_exit
from tsafe_lint.rules.base import snippet


def _done_test(test: cst.BaseExpression, receiver: str) -> bool:
    """Is ``test`` ``<receiver>.done()``?"""
    return (
        isinstance(test, cst.Call)
        and isinstance(test.func, cst.Attribute)
        and test.func.attr.value == "done"
        and not test.args
        and snippet(test.func.value) == receiver
    )


def _not_done_test(test: cst.BaseExpression, receiver: str) -> bool:
    """Is ``test`` ``not <receiver>.done()``?"""
    return (
        isinstance(test, cst.UnaryOperation)
        and isinstance(test.operator, cst.Not)
        and _done_test(test.expression, receiver)
    )


def _guards_done(statement: cst.BaseStatement, receiver: str) -> bool:
    """``if not f.done(): return``: the statements after it run only when f is done."""
    return (
        isinstance(statement, cst.If)
        and statement.orelse is None
        and _not_done_test(statement.test, receiver)
        and ends_in_exit(block(statement.body))
    )


def known_done(call: cst.Call, analysis: ModuleAnalysis) -> bool:
    """Is ``call`` (``f.result()``) where ``f.done()`` was found true on every path?"""
    assert isinstance(call.func, cst.Attribute)
    receiver = snippet(call.func.value)
    child: cst.CSTNode = call
    parent = analysis.parent_of(child)
    while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Lambda)):
        if isinstance(parent, cst.If):
            if child is parent.body and any(
                _done_test(test, receiver) for test in conjuncts(parent.test)
            ):
                return True
            if child is parent.orelse and _not_done_test(parent.test, receiver):
                return True
        if isinstance(parent, (cst.IndentedBlock, cst.Module)):
            before = parent.body[: next(i for i, s in enumerate(parent.body) if s is child)]
            if any(_guards_done(statement, receiver) for statement in before):
                return True
        child, parent = parent, analysis.parent_of(parent)
    return False
