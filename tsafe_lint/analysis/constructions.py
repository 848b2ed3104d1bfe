"""Constructor calls of the module's classes, and what they pass to ``__init__``.

``Cls(...)`` runs ``__init__`` on a new object (``deadlocks.py``: its own locks are held
by nobody yet). A lock ``__init__`` receives (``Future(self.lock)``, then
``self.condvar = threading.Condition(lock)``) is the caller's: when every construction
the module shows passes the same lock, a Condition built on that parameter is that
lock, and code that holds it holds the Condition (``rules/conditions.py``). Classes
built elsewhere too are not seen: the module's own constructions are the evidence.
A local that a function binds only to ``Cls(...)`` holds an object that function built
(``built_here``): no code that ran before the call can hold its locks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.events import CallSite
from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure, final_name
from tsafe_lint.analysis.symbols import SymbolKey, argument
from tsafe_lint.analysis.tree import NOT_RUN, names_bound_by, walk

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis


def constructs(site: CallSite) -> bool:
    """Is ``site`` a constructor call ``Cls(...)`` (not ``super().__init__(...)``)?"""
    return (
        site.callee.name == "__init__"
        and not site.implicit
        and isinstance(site.call, cst.Call)
        and final_name(site.call.func) != "__init__"
    )


def built_here(
    name: str,
    func: FunctionInfo,
    structure: ModuleStructure,
    within: set[int] | None = None,
) -> bool:
    """Is every binding of the local ``name`` in ``func`` a ``name = Cls(...)`` of one of
    the module's classes (and, with ``within``, one of those nodes' ids: inside a loop)?
    A parameter, or a name never bound, is not."""
    if func.is_module or name in func.params or not func.is_local(name):
        return False
    body = list(walk(func.node, skip=NOT_RUN))
    assigned = {id(t): node for node in body if isinstance(node, cst.Assign) for t in node.targets}
    bound = False
    for node in body:
        if name not in names_bound_by(node):
            continue
        assign = assigned.get(id(node))
        if not (
            assign is not None
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and isinstance(assign.value, cst.Call)
            and isinstance(assign.value.func, cst.Name)
            and structure.class_named(assign.value.func.value, func) is not None
            and (within is None or id(assign) in within)
        ):
            return False
        bound = True
    return bound


def passed_lock(analysis: ModuleAnalysis, parameter: SymbolKey) -> SymbolKey | None:
    """The lock every construction in the module passes for ``parameter`` (a parameter
    of an ``__init__``: ``("local", "Future.__init__", "lock")``), if there is one and
    they all pass the same."""
    if parameter[0] != "local" or len(parameter) != 3:
        return None
    init = analysis.structure.function_named(parameter[1])
    if init is None or init.name != "__init__" or parameter[2] not in init.params:
        return None
    position = init.params.index(parameter[2]) - 1  # ``self`` is not passed
    passed: set[SymbolKey | None] = set()
    for site in analysis.regions.call_sites:
        if site.callee is not init or not constructs(site):
            continue
        assert isinstance(site.call, cst.Call)
        if any(arg.star for arg in site.call.args):
            return None
        value = argument(site.call, position, parameter[2])
        passed.add(analysis.symbols.key_of(value, site.func) if value is not None else None)
    if len(passed) != 1:
        return None
    return passed.pop()
