"""Functions a context manager lends to its ``with`` body while it holds a lock.

``with self._lock: yield self._ensure_conn`` in a ``@contextmanager`` hands the body of
``with self._reader() as open_conn:`` a function that body calls, ``open_conn()``, while
the generator waits at its ``yield`` with the lock held (pypowerwall-server, eighty-ninth
set: one false TS103 in a helper documented "caller holds the lock"). Such a call counts
as a call of the lent function with the locks held at the ``yield`` and at the call.

Only when the module shows every use. Both functions are private (``_name``: no other
module calls them), and every name in the module that ends in theirs (in any scope:
class bodies, decorators and lambdas too; another function of that name seen from its
scope aside) is, for the lent function, a call the walk records or the ``yield``, and
for the manager, the call of a ``with manager() as NAME:`` item, at least one. Each NAME
is only called inside its block, outside any comprehension (a generator runs later). A
lent function kept, handed on or called after the block may run anywhere, and keeps
starting with nothing held.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.callbacks import named_in_functions, names_one_of
from tsafe_lint.analysis.events import Held
from tsafe_lint.analysis.scopes import FunctionInfo, final_name
from tsafe_lint.analysis.tree import walk

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis

Sites = dict[FunctionInfo, list[tuple[FunctionInfo, Held]]]


def lent_sites(analysis: ModuleAnalysis) -> Sites:
    """For each function only called or lent this way: (caller, locks held) of every call
    of it through a manager's ``as`` name."""
    lends: dict[FunctionInfo, list[tuple[FunctionInfo, Held, cst.BaseExpression]]] = {}
    for yielded in analysis.regions.yields:
        manager = yielded.func
        if not manager.is_contextmanager or not yielded.held or not _private(manager):
            continue
        lent = analysis.resolve_function(yielded.value, manager)
        if lent is not None and lent is not manager and _private(lent):
            lends.setdefault(lent, []).append((manager, yielded.held, yielded.value))
    if not lends:
        return {}
    named = _names_ending_in(
        {func.name for func in lends} | {m.name for uses in lends.values() for m, _, _ in uses},
        analysis,
    )
    result: Sites = {}
    blocks: dict[FunctionInfo, list[tuple[FunctionInfo, Held]] | None] = {}
    for lent, uses in lends.items():
        values = {id(value) for _, _, value in uses}
        if not _only_called_or_lent(lent, values, _of(lent, named.get(lent.name, [])), analysis):
            continue
        sites: list[tuple[FunctionInfo, Held]] = []
        for manager, held, _ in uses:
            if manager not in blocks:
                blocks[manager] = _calls_through_as_names(
                    manager, _of(manager, named.get(manager.name, [])), analysis
                )
            calls = blocks[manager]
            if calls is None:
                break
            sites.extend((caller, held | at_call) for caller, at_call in calls)
        else:
            result[lent] = sites
    return result


def _private(func: FunctionInfo) -> bool:
    return func.name.startswith("_") and not func.name.startswith("__")


def _names_ending_in(
    names: set[str], analysis: ModuleAnalysis
) -> dict[str, list[tuple[cst.BaseExpression, FunctionInfo | None]]]:
    """Every ``Name`` or ``Attribute`` of the module ending in one of ``names`` (the
    ``f`` of ``x.f`` counted at the attribute; a ``def``'s own name aside), with the
    function it resolves to from its scope; None when unresolved, or outside any
    function's own code (a class body, a decorator)."""
    resolved = {id(node): target for node, target in named_in_functions(names, analysis)}
    found: dict[str, list[tuple[cst.BaseExpression, FunctionInfo | None]]] = {}
    for node in walk(analysis.module):
        if names_one_of(node, names, analysis):
            assert isinstance(node, (cst.Name, cst.Attribute))
            found.setdefault(final_name(node) or "", []).append((node, resolved.get(id(node))))
    return found


def _of(
    func: FunctionInfo, named: list[tuple[cst.BaseExpression, FunctionInfo | None]]
) -> list[cst.BaseExpression]:
    """The names that are, or may be, ``func``: another function of the same name seen
    from the name's scope is not."""
    return [node for node, target in named if target is None or target is func]


def _only_called_or_lent(
    lent: FunctionInfo,
    values: set[int],
    named: list[cst.BaseExpression],
    analysis: ModuleAnalysis,
) -> bool:
    """Is every name of ``lent`` one of the lent ``values`` or the callee of a call the
    walk records as a call of ``lent``?"""
    calls = {
        id(site.call)
        for site in analysis.regions.call_sites
        if site.callee is lent and not site.implicit
    }
    for node in named:
        if id(node) in values:
            continue
        parent = analysis.parent_of(node)
        if not (isinstance(parent, cst.Call) and parent.func is node and id(parent) in calls):
            return False
    return True


def _calls_through_as_names(
    manager: FunctionInfo, named: list[cst.BaseExpression], analysis: ModuleAnalysis
) -> list[tuple[FunctionInfo, Held]] | None:
    """The (caller, locks held) of every ``NAME()`` inside a ``with manager() as NAME:``
    block; None when a name of the manager is anything else, when there is no such
    block, or when a NAME is used other than called in its block."""
    scopes = {
        id(site.call): site.func
        for site in analysis.regions.call_sites
        if site.callee is manager and not site.implicit
    }
    bodies: dict[FunctionInfo, list[tuple[str, cst.BaseSuite]]] = {}
    names: dict[FunctionInfo, set[cst.Name]] = {}
    for node in named:
        call = analysis.parent_of(node)
        if not isinstance(call, cst.Call) or call.func is not node or id(call) not in scopes:
            return None
        item = analysis.parent_of(call)
        block = analysis.parent_of(item) if isinstance(item, cst.WithItem) else None
        if not (
            isinstance(item, cst.WithItem)
            and isinstance(block, cst.With)
            and block.asynchronous is None
            and item.asname is not None
            and isinstance(item.asname.name, cst.Name)
        ):
            return None
        scope = scopes[id(call)]
        bodies.setdefault(scope, []).append((item.asname.name.value, block.body))
        names.setdefault(scope, set()).add(item.asname.name)
    if not bodies:
        return None  # used only where the module does not show
    calls: list[tuple[FunctionInfo, Held]] = []
    for scope, blocks in bodies.items():
        inside: dict[int, str] = {}
        for name, body in blocks:
            inside.update((id(part), name) for part in walk(body))
        recorded = {
            id(call.call.func): call.state.held
            for call in analysis.regions.calls
            if call.func is scope
            and isinstance(call.call.func, cst.Name)
            and not call.in_comprehension
        }
        bound = {name.value for name in names[scope]}
        for use in walk(scope.node):  # a closure's use is a use too
            if not isinstance(use, cst.Name) or use.value not in bound or use in names[scope]:
                continue
            if inside.get(id(use)) != use.value or id(use) not in recorded:
                return None  # used other than called in its own block
            calls.append((scope, recorded[id(use)]))
    return calls
