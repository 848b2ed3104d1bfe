"""Throttles: a check-then-act whose test measures the time since a stored moment and
whose act stores the current moment there.

``if now - self._last_log > 60: self._last_log = now; log.warning(...)`` lets an action
run at most once a period. Two threads that pass the test together both run it once:
the period is missed by one repeat (a warning logged twice, a status probe run twice),
and the later store of ``now`` replaces an equal one. Reviewers judged that harmless on
the sixty-seventh set (yothere's log throttle, brindle's sign-in probe spacing). The
moment must come from a clock (``time.monotonic()``, ``time.time()``,
``datetime.now()``, its ``.timestamp()``), directly or through a local bound once to
one, or a name ``now`` (a caller's clock); any other store stays a check-then-act.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable
from tsafe_lint.analysis.tree import walk

#: Calls that read a clock.
_CLOCKS = frozenset(
    {
        "time.time",
        "time.monotonic",
        "time.perf_counter",
        "time.time_ns",
        "time.monotonic_ns",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
    }
)


def is_throttle_act(
    act: Sequence[cst.BaseStatement],
    test: cst.BaseExpression,
    tested: frozenset[SymbolKey],
    func: FunctionInfo,
    symbols: SymbolTable,
) -> bool:
    """Does ``act`` store a clock reading into the state ``test`` measures the time since
    (``now - self._last > period``)?"""
    if not _measures_time(test, tested, func, symbols):
        return False
    for statement in act:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and _is_clock(small.value, func, symbols)
                and any(_stored_key(t.target, func, symbols) in tested for t in small.targets)
            ):
                return True
    return False


def _measures_time(
    test: cst.BaseExpression, tested: frozenset[SymbolKey], func: FunctionInfo, symbols: SymbolTable
) -> bool:
    """A subtraction in the test of the tested state from a clock reading."""
    for node in walk(test):
        if (
            isinstance(node, cst.BinaryOperation)
            and isinstance(node.operator, cst.Subtract)
            and _is_clock(node.left, func, symbols)
            and _reads(node.right, tested, func, symbols)
        ):
            return True
    return False


def _reads(
    expr: cst.BaseExpression, tested: frozenset[SymbolKey], func: FunctionInfo, symbols: SymbolTable
) -> bool:
    return any(
        isinstance(node, (cst.Name, cst.Attribute)) and symbols.key_of(node, func) in tested
        for node in walk(expr)
    )


def _stored_key(
    target: cst.BaseExpression, func: FunctionInfo, symbols: SymbolTable
) -> SymbolKey | None:
    """The state a store writes: ``x``, ``self.x``, or the container of ``d[k]``."""
    if isinstance(target, cst.Subscript):
        target = target.value
    return symbols.key_of(target, func)


def _is_clock(expr: cst.BaseExpression, func: FunctionInfo, symbols: SymbolTable) -> bool:
    if isinstance(expr, cst.Call):
        callee = expr.func
        if isinstance(callee, cst.Attribute) and callee.attr.value == "timestamp":
            return _is_clock(callee.value, func, symbols)
        return symbols.structure.qualified_name(callee, func) in _CLOCKS
    if isinstance(expr, cst.Name):
        if expr.value == "now":
            return True
        bound = symbols.bound_once(expr.value, func)
        if isinstance(bound, cst.AssignTarget):
            assign = _parent_assign(bound, func)
            return assign is not None and _is_clock(assign.value, func, symbols)
    return False


def _parent_assign(target: cst.AssignTarget, func: FunctionInfo) -> cst.Assign | None:
    for node in walk(func.node):
        if isinstance(node, cst.Assign) and any(t is target for t in node.targets):
            return node
    return None
