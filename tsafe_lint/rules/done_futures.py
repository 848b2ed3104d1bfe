"""Futures already tested with ``done()``: their ``result()`` cannot wait (TS206).

A future, once done, stays done. ``result()`` or ``exception()`` called where the same
future was just found done returns (or raises) at once: in the body of ``if
f.done():`` (``done()`` one of the ``and``-ed tests), in the ``else`` of ``if not
f.done():``, or after ``if not f.done(): return`` (or ``raise``) earlier in the same
block or an enclosing one. So does every future a loop takes from
``concurrent.futures.as_completed(...)`` (it yields each future once it is done) or
from the done set of ``wait(...)`` (``done, pending = wait(fs)``, ``wait(fs).done``),
in that loop's body, unless the body rebinds the loop variable first.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import ModuleAnalysis, block, conjuncts
from tsafe_lint.analysis.flag_paths import ends_in_exit
from tsafe_lint.analysis.scopes import final_name
from tsafe_lint.analysis.tree import NOT_RUN, names_bound_by, walk
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


def _yields_done(iterable: cst.BaseExpression, function: cst.CSTNode | None) -> bool:
    """Does iterating ``iterable`` give done futures only: ``as_completed(fs)``,
    ``wait(fs).done``, or a name that ``function`` binds only to ``wait(...)``'s done set
    (``done, pending = wait(fs)``, ``done = wait(fs).done``)?"""
    if isinstance(iterable, cst.Call):
        return final_name(iterable.func) == "as_completed"
    if isinstance(iterable, cst.Attribute):
        return iterable.attr.value == "done" and _is_wait(iterable.value)
    if not isinstance(iterable, cst.Name) or function is None:
        return False
    name = iterable.value
    bindings = 0
    for node in walk(function, skip=NOT_RUN):
        if isinstance(node, cst.AssignTarget):
            continue  # read with its assignment
        binds = (
            any(name in names_bound_by(t) for t in node.targets)
            if isinstance(node, cst.Assign)
            else name in names_bound_by(node)
        )
        if not binds:
            continue
        bindings += 1
        if not _binds_done_set(node, name):
            return False
    return bindings > 0


def _is_wait(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Call) and final_name(expr.func) == "wait"


def _binds_done_set(node: cst.CSTNode, name: str) -> bool:
    """``name, pending = wait(fs)`` or ``name = wait(fs).done``."""
    if not isinstance(node, cst.Assign) or len(node.targets) != 1:
        return False
    target = node.targets[0].target
    if isinstance(target, cst.Name):
        value = node.value
        return (
            target.value == name
            and isinstance(value, cst.Attribute)
            and (value.attr.value == "done" and _is_wait(value.value))
        )
    if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2:
        first = target.elements[0].value
        return isinstance(first, cst.Name) and first.value == name and _is_wait(node.value)
    return False


def _rebinds(loop: cst.For, receiver: str) -> bool:
    """Does the loop body bind ``receiver`` anywhere (a rebinding may come first)?"""
    return any(receiver in names_bound_by(node) for node in walk(loop.body))


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
        if (
            isinstance(parent, cst.For)
            and child is parent.body
            and isinstance(parent.target, cst.Name)
            and parent.target.value == receiver
            and _yields_done(parent.iter, _function_of(parent, analysis))
            and not _rebinds(parent, receiver)
        ):
            return True
        if isinstance(parent, (cst.IndentedBlock, cst.Module)):
            before = parent.body[: next(i for i, s in enumerate(parent.body) if s is child)]
            if any(_guards_done(statement, receiver) for statement in before):
                return True
        child, parent = parent, analysis.parent_of(parent)
    return False


def _function_of(node: cst.CSTNode, analysis: ModuleAnalysis) -> cst.CSTNode | None:
    """The function (or module) whose code ``node`` is."""
    current = analysis.parent_of(node)
    while current is not None and not isinstance(current, (cst.FunctionDef, cst.Module)):
        current = analysis.parent_of(current)
    return current
