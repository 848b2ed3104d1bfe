"""Loops whose body runs at most once: ``for group, port in [(GROUP, PORT)]:``.

A thread started in such a loop is one thread, not several (netaudio's multicast worker,
started for each entry of a one-entry list of configurations, eighty-seventh set: three
findings judged false that counted it as several threads). The list may be a local bound
once to the display, used nowhere but in the loop: nothing can add an entry to it.
"""

from __future__ import annotations

import functools
from collections import Counter

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.tree import NOT_RUN, names_bound_by, walk


def runs_once(iterable: cst.BaseExpression, func: FunctionInfo) -> bool:
    """Does ``for ... in iterable`` run its body at most once?"""
    if _one_item(iterable):
        return True
    if not isinstance(iterable, cst.Name) or func.is_module:
        return False
    name = iterable.value
    if name in func.params or name in func.declared_global or name in func.declared_nonlocal:
        return False
    if _name_counts(func)[name] != 2:
        return False  # the binding and the loop only: never handed on, added to or captured
    return name in _one_item_locals(func)


#: a few entries: the region walk asks about one function's loops in a row, and each entry
#: keeps its module's tree alive through ``FunctionInfo.parent``
@functools.lru_cache(maxsize=4)
def _name_counts(func: FunctionInfo) -> Counter[str]:
    """How often each name occurs in ``func`` (nested functions included), counted once
    per function: a long function has many loops."""
    return Counter(node.value for node in walk(func.node) if isinstance(node, cst.Name))


def _one_item(expr: cst.BaseExpression) -> bool:
    return (
        isinstance(expr, (cst.List, cst.Tuple))
        and len(expr.elements) == 1
        and not isinstance(expr.elements[0], cst.StarredElement)
    )


@functools.lru_cache(maxsize=4)
def _one_item_locals(func: FunctionInfo) -> frozenset[str]:
    """The locals ``func`` binds once, by a plain ``name = [one]``, and in no other way
    (the test of ``local_values``, made for every name in one pass)."""
    nodes = list(walk(func.node, NOT_RUN))
    values: dict[str, list[cst.BaseExpression]] = {}
    plain: set[int] = set()
    for node in nodes:
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Name):
                values.setdefault(target.value, []).append(node.value)
                plain.add(id(node.targets[0]))
    other: set[str] = set()
    for node in nodes:
        if id(node) in plain:
            continue
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.Del)) and isinstance(
            node.target, (cst.Subscript, cst.Attribute)
        ):
            continue  # stores into the object, not to the name
        other |= names_bound_by(node)
    return frozenset(
        name
        for name, bound in values.items()
        if name not in other and len(bound) == 1 and _one_item(bound[0])
    )
