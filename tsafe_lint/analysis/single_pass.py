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

from tsafe_lint.analysis.scopes import FunctionInfo, local_values
from tsafe_lint.analysis.tree import walk


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
    values = local_values(name, func)
    return values is not None and len(values) == 1 and _one_item(values[0])


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
