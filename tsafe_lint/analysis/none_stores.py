"""Can a write leave shared state ``None``?

A test ``self.x is not None`` can only be falsified by another thread that stores
``None`` (or deletes the state). When no write after set-up can do that, the check
cannot turn false between the test and the act: what races there is the act itself
(a read-modify-write, reported on its own). The answer errs towards "may": only
values whose expression cannot be ``None`` (literals, displays, arithmetic, builtin
constructors, locals bound only to such values) count as safe.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.events import Access, WriteKind
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.tree import NOT_RUN, walk

#: Builtins that never return ``None``.
_NON_NONE_CALLS = frozenset(
    {
        "int", "float", "complex", "str", "bytes", "bytearray", "bool", "list", "dict",
        "set", "frozenset", "tuple", "len", "abs", "round", "repr", "sorted", "object",
    }
)  # fmt: skip
_LITERALS = (
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Lambda,
    cst.BinaryOperation,
    cst.UnaryOperation,
    cst.Comparison,
)
_DISPLAYS = (cst.List, cst.Tuple, cst.Set)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp)
#: How far a local is followed back to the values bound to it.
_DEPTH = 3


def may_store_none(access: Access, element: bool) -> bool:
    """Can ``access`` make a ``... is not None`` test of its state false? ``element``:
    the test looks at an item of the state (``self.d[k]``, ``self.d.get(k)``, a local
    copy of an item) rather than at the state itself, so filling the container counts."""
    node = access.node
    if access.kind is WriteKind.READ_MODIFY_WRITE:
        return False  # ``x += n``: the result of arithmetic
    if access.kind is WriteKind.MUTATE:
        if not element:
            return False  # the object stays; the test of the state itself is unchanged
        if isinstance(node, cst.AugAssign):
            return False
        if isinstance(node, cst.Assign) and any(
            isinstance(target.target, cst.Subscript) for target in node.targets
        ):
            return not non_none(node.value, access.func, _DEPTH)
        return True  # ``del d[k]``, ``d.pop(k)``, ``d.update(...)``: may empty an item
    if isinstance(node, cst.AugAssign):
        return False
    if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
        value = node.value
        if element:
            return not _holds_no_none(value, access.func)
        return not non_none(value, access.func, _DEPTH)
    return True  # ``del self.x`` and anything else


def _holds_no_none(value: cst.BaseExpression, func: FunctionInfo) -> bool:
    """A container whose items are all non-None (``[0.0] * n``, ``{"a": 1}``), or a
    scalar with no items at all."""
    if isinstance(value, (*_DISPLAYS,)):
        return all(
            not isinstance(item, cst.StarredElement) and non_none(item.value, func, _DEPTH)
            for item in value.elements
        )
    if isinstance(value, cst.Dict):
        return all(
            isinstance(item, cst.DictElement) and non_none(item.value, func, _DEPTH)
            for item in value.elements
        )
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
        # ``[0.0] * n``: the items of the display, repeated
        return any(
            isinstance(side, _DISPLAYS) and _holds_no_none(side, func)
            for side in (value.left, value.right)
        )
    if isinstance(value, (cst.ListComp, cst.SetComp)):
        return non_none(value.elt, func, _DEPTH)
    if isinstance(value, cst.DictComp):
        return non_none(value.value, func, _DEPTH)
    return isinstance(value, (cst.Integer, cst.Float, cst.Imaginary))


def non_none(value: cst.BaseExpression, func: FunctionInfo, depth: int) -> bool:
    """Can ``value`` be seen, from its shape alone, never to be ``None``?"""
    if isinstance(value, (*_LITERALS, *_DISPLAYS, *_COMPREHENSIONS, cst.Dict, cst.DictComp)):
        return True
    if isinstance(value, cst.Name):
        if value.value in ("True", "False"):
            return True
        if value.value == "None" or depth <= 0:
            return False
        return _local_non_none(value.value, func, depth - 1)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return value.func.value in _NON_NONE_CALLS and not func.is_local(value.func.value)
    return False


def _local_non_none(name: str, func: FunctionInfo, depth: int) -> bool:
    """Is every binding of the local ``name`` in ``func`` a non-None value? Any binding
    we cannot read (a parameter, a loop or ``with`` target, an unpacking) says no."""
    node = func.node
    if not isinstance(node, cst.FunctionDef) or not func.is_local(name) or name in func.params:
        return False
    values = []
    for sub in walk(node.body, NOT_RUN):
        value = _bound_value(sub, name)
        if value is _UNREADABLE:
            return False
        if value is not None:
            values.append(value)
    return bool(values) and all(
        value is _ARITHMETIC or non_none(value, func, depth) for value in values
    )


#: What ``_bound_value`` returns for a binding whose value cannot be read, and for
#: ``name += ...`` (the result of arithmetic).
_UNREADABLE = cst.Name("None")
_ARITHMETIC = cst.Integer("0")


def _bound_value(node: cst.CSTNode, name: str) -> cst.BaseExpression | None:
    """The value ``node`` binds to ``name``; None when it does not bind it."""
    if isinstance(node, cst.Assign):
        for assigned in node.targets:
            if _binds(assigned.target, name):
                return node.value if isinstance(assigned.target, cst.Name) else _UNREADABLE
        return None
    if isinstance(node, cst.AnnAssign):
        if not _binds(node.target, name):
            return None
        return node.value if node.value is not None else _UNREADABLE
    if isinstance(node, cst.AugAssign):
        return _ARITHMETIC if _binds(node.target, name) else None
    target: cst.BaseExpression | None = None
    if isinstance(node, (cst.For, cst.CompFor, cst.NamedExpr)):
        target = node.target
    elif isinstance(node, cst.AsName):
        target = node.name
    if target is not None and _binds(target, name):
        return _UNREADABLE
    if isinstance(node, (cst.Global, cst.Nonlocal)) and any(
        item.name.value == name for item in node.names
    ):
        return _UNREADABLE
    return None


def _binds(target: cst.BaseExpression, name: str) -> bool:
    if isinstance(target, cst.Name):
        return target.value == name
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_binds(item.value, name) for item in target.elements)
    if isinstance(target, cst.StarredElement):
        return _binds(target.value, name)
    return False
