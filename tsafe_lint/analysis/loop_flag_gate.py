"""Changes a class makes only while its own thread's loop flag is down.

A class whose thread loops ``while self._running:`` often protects its state by refusing
to change it while that flag is up: ``watch()`` does ``if self._running: warn() else:
self._commands[c] = ...``, and ``stop()`` lowers the flag and joins the thread before it
returns. With the flag up before the thread starts, such a change never overlaps the
thread's loop for a caller that drives the object from one thread (obd's ``Async``,
forty-seventh set: a TS105 on its loop over the commands was judged false). A stop that
lowers the flag without joining lets the caller's next change run while the thread
finishes its pass: that still races.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.flag_paths import ends_in_exit
from tsafe_lint.analysis.scopes import FunctionInfo, block
from tsafe_lint.analysis.threads import own_attribute
from tsafe_lint.analysis.tree import NOT_RUN, contains, walk


def loop_flag(target: FunctionInfo) -> str | None:
    """``"_running"`` when the thread's target loops ``while self._running:`` at its top
    level: the thread runs its loop only while that flag is up."""
    node = target.node
    if not isinstance(node, cst.FunctionDef) or target.self_name is None:
        return None
    for statement in block(node.body):
        if isinstance(statement, cst.While):
            return own_attribute(statement.test, target.self_name)
    return None


def gated_off(node: cst.CSTNode, func: FunctionInfo, flag: str) -> bool:
    """Does ``node`` run in ``func`` only while ``self.<flag>`` is down: in the ``else``
    of ``if self.<flag>:``, under ``if not self.<flag>:``, or after ``if self.<flag>:``
    whose body returns or raises?"""
    if func.self_name is None or not isinstance(func.node, cst.FunctionDef):
        return False
    self_name = func.self_name
    for statement in walk(func.node, NOT_RUN):
        if not isinstance(statement, cst.If) or not contains(statement, node):
            continue
        up = own_attribute(statement.test, self_name) == flag
        down = (
            isinstance(statement.test, cst.UnaryOperation)
            and isinstance(statement.test.operator, cst.Not)
            and own_attribute(statement.test.expression, self_name) == flag
        )
        if up and statement.orelse is not None and contains(statement.orelse, node):
            return True
        if down and contains(statement.body, node):
            return True
    for suite in walk(func.node, NOT_RUN):
        if not isinstance(suite, cst.IndentedBlock) or not contains(suite, node):
            continue
        for statement in suite.body:
            if contains(statement, node):
                break
            if (
                isinstance(statement, cst.If)
                and own_attribute(statement.test, self_name) == flag
                and ends_in_exit(block(statement.body))
            ):
                return True
    return False


def lowered_then_joined(flag: str, functions: list[FunctionInfo]) -> bool:
    """Does every method of ``functions`` that stores ``self.<flag> = False`` join a
    thread after it (``self._thread.join()``)? ``stop()`` returns when the loop is over."""
    lowering = False
    for func in functions:
        if func.self_name is None or not isinstance(func.node, cst.FunctionDef):
            continue
        stored = False
        for node in walk(func.node, NOT_RUN):
            if _lowers(node, func.self_name, flag):
                stored = lowering = True
            elif stored and _joins(node):
                break
        else:
            if stored:
                return False
    return lowering


def _lowers(node: cst.CSTNode, self_name: str, flag: str) -> bool:
    return (
        isinstance(node, cst.Assign)
        and isinstance(node.value, cst.Name)
        and node.value.value == "False"
        and any(own_attribute(target.target, self_name) == flag for target in node.targets)
    )


def _joins(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "join"
        and not node.args
    )
