"""Fresh ``contextvars`` contexts: a ``run(fn, ...)`` on one only calls ``fn``.

``Context.run`` fails only when the context is already entered, which a context copied
for one task (``ctx = contextvars.copy_context()`` in the function that submits it) is
not; so TS401 and the lock-leak rules read ``ctx.run(fn, ...)`` as a call of ``fn``.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure, local_values


def makes_context(
    value: cst.BaseExpression, func: FunctionInfo, structure: ModuleStructure
) -> bool:
    """``contextvars.copy_context()`` or ``context.copy()``: a call that copies a context."""
    if not isinstance(value, cst.Call) or value.args:
        return False
    made = value.func
    if isinstance(made, cst.Attribute) and made.attr.value == "copy":
        return True
    return structure.qualified_name(made, func) == "contextvars.copy_context"


def fresh_context(
    receiver: cst.BaseExpression, func: FunctionInfo, structure: ModuleStructure
) -> bool:
    """Is ``receiver`` a copied context: the copy itself, or a name that the function
    (or the function enclosing it that binds the name, not the module) binds only to
    copies?"""
    if not isinstance(receiver, cst.Name):
        return makes_context(receiver, func, structure)
    scope = func.binding_function(receiver.value)
    if scope is None:
        return False
    values = local_values(receiver.value, scope)
    if not values:
        return False  # unbound here, or bound some other way too (a loop target)
    return all(makes_context(value, scope, structure) for value in values)
