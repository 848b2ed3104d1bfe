"""Loops whose body runs at most once: ``for group, port in [(GROUP, PORT)]:``.

A thread started in such a loop is one thread, not several (netaudio's multicast worker,
started for each entry of a one-entry list of configurations, eighty-seventh set: three
findings judged false that counted it as several threads). The list may be a local bound
once to the display, used nowhere but in the loop: nothing can add an entry to it. A loop
whose body always leaves on its first pass reads one item of what it walks, not a walk.
"""

from __future__ import annotations

import functools
from collections import Counter

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, ends_by_leaving, local_values
from tsafe_lint.analysis.tree import NOT_RUN, walk


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


def leaves_on_first_pass(loop: cst.For) -> bool:
    """Does the body of ``loop`` always leave on its first pass: its last statement a
    ``return``, ``break`` or ``raise``, and no ``continue`` in it (``for s, _ in
    d.values(): return s``)? Then the loop takes only the first item, one step of the
    iterator: no other thread can change the container in the middle of a walk of it
    (huddle-cluster's last-resort pick, hundredth set: a TS105 judged false)."""
    if not ends_by_leaving(loop.body, (cst.Return, cst.Break, cst.Raise)):
        return False
    return not any(isinstance(node, cst.Continue) for node in walk(loop.body, skip=NOT_RUN))
