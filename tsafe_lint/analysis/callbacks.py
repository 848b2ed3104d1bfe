"""Functions handed to another function of the module that calls them: where their
caller calls them is where they run.

``self._wait_for(take, ctx)`` hands the closure ``take`` to ``_wait_for``, which calls
``attempt()`` only inside ``with self._cond:``: ``take`` runs with the condition held,
as a helper called there would (gpframe's channel, fifty-ninth set: two TS302 judged
false). A function passed this way counts as called at every place its receiving
parameter is called, with the locks held there; but only when every reference to it
is such an argument, to a function of the module that does nothing else with that
parameter than call it. A function stored, returned or handed to code the module does
not show may run anywhere, and keeps starting with nothing held.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.events import Held
from tsafe_lint.analysis.scopes import FunctionInfo, final_name
from tsafe_lint.analysis.tree import OWN_SCOPE, walk

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis


def callback_sites(analysis: ModuleAnalysis) -> dict[FunctionInfo, list[tuple[FunctionInfo, Held]]]:
    """For each function only ever handed to the module's functions that call it: the
    (caller, locks held) of every place it is called through a parameter."""
    handed: dict[FunctionInfo, list[tuple[FunctionInfo, Held]]] = {}
    passes: dict[FunctionInfo, int] = {}
    names = {func.name for func in analysis.structure.functions}
    for site in analysis.regions.call_sites:
        if site.implicit or not isinstance(site.call, cst.Call):
            continue
        if not any(_may_name(arg.value, names) for arg in site.call.args):
            continue  # no argument names a function of the module
        receiver = site.callee
        bound = isinstance(site.call.func, cst.Attribute) and receiver.self_name is not None
        params = receiver.params[1:] if bound else receiver.params
        for position, arg in enumerate(site.call.args):
            if arg.star:
                break
            if not _may_name(arg.value, names):
                continue
            passed = analysis.resolve_function(arg.value, site.func)
            if passed is None or passed is receiver:
                continue
            if arg.keyword is not None:
                name = arg.keyword.value
            elif position < len(params):
                name = params[position]
            else:
                continue
            calls = _calls_of_parameter(receiver, name, analysis)
            if calls is None:
                passes[passed] = -1  # handed where it is not only called: may run anywhere
                continue
            if passes.get(passed, 0) >= 0:
                passes[passed] = passes.get(passed, 0) + 1
            handed.setdefault(passed, []).extend((receiver, held) for held in calls)
    candidates = {func for func, count in passes.items() if count > 0}
    if not candidates:
        return {}
    references = _references(candidates, analysis)
    return {func: handed[func] for func in candidates if references.get(func, 0) == passes[func]}


def _may_name(value: cst.BaseExpression, names: set[str]) -> bool:
    """Could ``value`` name one of the module's functions (``take``, ``self._run``)?"""
    return isinstance(value, (cst.Name, cst.Attribute)) and final_name(value) in names


def _calls_of_parameter(
    func: FunctionInfo, name: str, analysis: ModuleAnalysis
) -> list[Held] | None:
    """The locks held at each ``name(...)`` in ``func``; None when ``name`` is used any
    other way (stored, passed on, rebound)."""
    if name not in func.params or name in func.assigned:
        return None
    held: list[Held] = []
    called: set[cst.CSTNode] = set()
    for call in analysis.regions.calls:
        if (
            call.func is func
            and isinstance(call.call.func, cst.Name)
            and call.call.func.value == name
        ):
            held.append(call.state.held)
            called.add(call.call.func)
    for node in walk(func.node):  # a closure's use is a use too
        if isinstance(node, cst.Name) and node.value == name and node not in called:
            parent = analysis.parent_of(node)
            if isinstance(parent, cst.Param):
                continue  # the parameter itself
            return None
    return held or None


def _references(candidates: set[FunctionInfo], analysis: ModuleAnalysis) -> dict[FunctionInfo, int]:
    """How many times the module names each of ``candidates`` (their ``def`` aside)."""
    counts: dict[FunctionInfo, int] = {}
    for _, target in named_in_functions({func.name for func in candidates}, analysis):
        if target in candidates:
            counts[target] = counts.get(target, 0) + 1
    return counts


def named_in_functions(
    names: set[str], analysis: ModuleAnalysis
) -> Iterator[tuple[cst.BaseExpression, FunctionInfo | None]]:
    """Each reference in a function's own code to one of ``names``
    (``names_one_of``), with the module's function it names from there (None:
    unresolved)."""
    for scope in analysis.structure.functions:
        for node in walk(scope.node, OWN_SCOPE):
            if names_one_of(node, names, analysis):
                assert isinstance(node, (cst.Name, cst.Attribute))
                yield node, analysis.resolve_function(node, scope)


def names_one_of(node: cst.CSTNode, names: set[str], analysis: ModuleAnalysis) -> bool:
    """Is ``node`` a ``Name`` or ``Attribute`` ending in one of ``names``: the ``f`` of
    ``x.f`` counts at the attribute, a ``def``'s own name does not count."""
    if not isinstance(node, (cst.Name, cst.Attribute)) or final_name(node) not in names:
        return False
    parent = analysis.parent_of(node)
    if isinstance(parent, cst.Attribute) and parent.attr is node:
        return False  # the ``take`` of ``x.take``: counted at the attribute
    return not (isinstance(parent, (cst.FunctionDef, cst.ClassDef)) and parent.name is node)
