"""Settings of an object: attributes its set-up code computes from its parameters and
nothing else ever writes.

``self.multithreaded = multithreaded`` or ``self._period = float(period_ms) / 1000`` in
``__init__``, written nowhere else, is fixed for the object's life: no thread changes it
between two tests of it (TS201's conditional release), and a division by it fails only
for a configuration that fails on first use, not now and then (google-cloud-profiler's
sampler, forty-eighth set). State set up with a literal (``self.level = 0``) is meant to
change later, by this module or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.attribute_classes import _builtin
from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis

#: Builtins a setting may be computed with: conversions of a parameter.
_CONVERSIONS = frozenset({"float", "int", "bool", "str"})
#: Operators of the arithmetic a setting may be computed with.
_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Power)


def is_setting(target: cst.Attribute, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is ``target`` (``self.x`` in ``func``) a setting: stored only by set-up code
    (``__init__`` and what only it calls), each time from that code's parameters?"""
    if not (isinstance(target.value, cst.Name) and target.value.value == func.self_name):
        return False
    key = analysis.symbols.key_of(target, func)
    if key is None:
        return False
    writes = [access for access in analysis.regions.writes if access.key == key]
    return bool(writes) and all(
        access.func in analysis.setup_functions
        and _stores_a_parameter(access.node, access.func, analysis.structure)
        for access in writes
    )


def _stores_a_parameter(node: cst.CSTNode, func: FunctionInfo, structure: ModuleStructure) -> bool:
    """Is ``node`` (a write) ``self.x = <an expression of func's parameters>``: the
    parameters, number literals, arithmetic, and builtin conversions (``float(period_ms)
    / 1000``), with at least one parameter?"""
    value = node.value if isinstance(node, (cst.Assign, cst.AnnAssign)) else None
    return value is not None and bool(_parameter_count(value, func, structure))


def _parameter_count(
    value: cst.BaseExpression, func: FunctionInfo, structure: ModuleStructure
) -> int | None:
    """How many parameters ``value`` is computed from; ``None`` if it reads anything but
    parameters and number literals, or calls anything but a conversion of one value."""
    if isinstance(value, cst.Name):
        return 1 if value.value in func.params else None
    if isinstance(value, (cst.Integer, cst.Float)):
        return 0
    if isinstance(value, cst.UnaryOperation):
        return _parameter_count(value.expression, func, structure)
    if isinstance(value, cst.BinaryOperation):
        if not isinstance(value.operator, _ARITHMETIC):
            return None
        left = _parameter_count(value.left, func, structure)
        right = _parameter_count(value.right, func, structure)
        return None if left is None or right is None else left + right
    if (
        isinstance(value, cst.Call)
        and _builtin(value.func, func) in _CONVERSIONS
        and len(value.args) == 1
        and value.args[0].keyword is None
        and not value.args[0].star
    ):
        return _parameter_count(value.args[0].value, func, structure)
    return None
