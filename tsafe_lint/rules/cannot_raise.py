"""Lines that cannot raise: what may stand between an ``acquire()`` and the ``try`` that
releases the lock without an exception leaking it (TS201's "What may stand between")."""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.scopes import ClassInfo
from tsafe_lint.rules.self_logging import plain_arguments, plain_log_call

#: Clock and thread-identity reads that take no argument and cannot raise.
_SAFE_CALLS = frozenset(
    {
        "time.monotonic",
        "time.monotonic_ns",
        "time.time",
        "time.time_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "threading.get_ident",
        "threading.get_native_id",
    }
)
#: Operators of two numbers that cannot raise (``/``, ``//``, ``%``: division by zero;
#: ``**`` and shifts: overflow and negative counts).
_SAFE_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply)
#: Literals a class body may bind an attribute to without making its store run code.
_LITERALS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)


def cannot_raise(
    statement: cst.BaseStatement, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """``acquired = True``, ``deadline = time.monotonic() + timeout``, ``self.locked =
    True``, ``pass``: a line that stores values that cannot raise where storing cannot
    raise either, so nothing can leak the lock between the acquire and the ``try``."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Pass):
            continue
        if isinstance(small, cst.Expr) and (
            plain_log_call(small.value) or _plain_alias_log_call(small.value, analysis, func)
        ):
            continue  # logging reports its own errors (``Handler.handleError``)
        if not isinstance(small, cst.Assign):
            return False
        if not all(_store_cannot_raise(target.target, analysis, func) for target in small.targets):
            return False
        if not value_cannot_raise(small.value, analysis, func):
            return False
    return True


def _plain_alias_log_call(
    value: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """``debug("got %s", key)`` where ``debug`` stands for a logger's method (or a
    do-nothing ``def debug(message, *args)``): positional plain arguments, a message
    first."""
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and bool(value.args)
        and all(arg.keyword is None and not arg.star for arg in value.args)
        and plain_arguments(value)
        and analysis.is_log_alias(value.func.value, func)
    )


def _store_cannot_raise(
    target: cst.BaseAssignTargetExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """A local name; or ``self.attr`` in a method of a class whose store of ``attr`` runs
    no code: the class has no ``__slots__`` (so instances have a ``__dict__``), and
    neither it nor its bases in this module define ``__setattr__`` or bind ``attr`` to
    anything but a literal (a property or another descriptor has a setter that may
    raise). Bases from other modules are not seen."""
    if isinstance(target, cst.Name):
        return True
    if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
        return False
    receiver = target.value.value
    cls = func.cls
    if cls is None or func.is_classmethod or receiver != func.self_name:
        return False
    if receiver in func.assigned or "__slots__" in cls.body_names:
        return False
    attr = target.attr.value
    for current in analysis.structure.class_bases(cls):
        if "__setattr__" in current.body_names:
            return False
        if attr in current.body_names and not _literal_default(current, attr):
            return False
    return True


def _literal_default(cls: ClassInfo, attr: str) -> bool:
    """Does the class body bind ``attr`` only to literals (``locked = False``)?"""
    found = False
    for statement in block(cls.node.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            targets: list[cst.BaseExpression] = []
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign):
                targets = [target.target for target in small.targets]
                value = small.value
            elif isinstance(small, cst.AnnAssign):
                targets, value = [small.target], small.value
            if not any(isinstance(t, cst.Name) and t.value == attr for t in targets):
                continue
            if value is not None and not _is_literal(value):
                return False
            found = True
    return found  # bound elsewhere (a ``def``, inside an ``if``): not known to be plain


def _is_literal(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.Name):
        return value.value in ("True", "False", "None")
    return isinstance(value, _LITERALS)


def value_cannot_raise(
    value: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """Names, literals, ``-1``, a clock read (``time.monotonic()``), ``+``/``-``/``*`` of
    those, and ``a if x is None else b``: no attribute, subscript, other call, truth test
    or ordering comparison, any of which can raise."""
    if isinstance(value, (cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, (cst.Minus, cst.Plus)):
        return isinstance(value.expression, (cst.Integer, cst.Float, cst.Imaginary))
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, _SAFE_OPERATORS):
        return value_cannot_raise(value.left, analysis, func) and value_cannot_raise(
            value.right, analysis, func
        )
    if isinstance(value, cst.Call):
        return not value.args and analysis.structure.qualified_name(value.func, func) in (
            _SAFE_CALLS
        )
    if isinstance(value, cst.IfExp):
        return (
            _is_identity_test(value.test)
            and value_cannot_raise(value.body, analysis, func)
            and value_cannot_raise(value.orelse, analysis, func)
        )
    return False


def _is_identity_test(test: cst.BaseExpression) -> bool:
    """``x is None`` / ``x is not y`` between names: no ``__bool__`` or ``__eq__`` runs."""
    return (
        isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and all(
            isinstance(target.operator, (cst.Is, cst.IsNot))
            and isinstance(target.comparator, cst.Name)
            for target in test.comparisons
        )
    )
