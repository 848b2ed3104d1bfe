"""The facts every rule reads, computed once per module: the rule author's interface.

A rule imports what it reads from here, and from nowhere deeper. ``ModuleAnalysis`` is
the entry (``analysis.regions``, ``analysis.locks``, ``analysis.reach``,
``analysis.sharing``, ``analysis.symbols``, ``analysis.structure``); the records and
helpers below are what its fields hold and how to question them.
"""

from tsafe_lint.analysis.accesses import reads_in
from tsafe_lint.analysis.acquisitions import Acquisition, is_blocking_acquire
from tsafe_lint.analysis.awaited import awaited_code, stays_away
from tsafe_lint.analysis.calls import releases_in
from tsafe_lint.analysis.conflicts import guards
from tsafe_lint.analysis.decorators import methods_run_on_self
from tsafe_lint.analysis.events import (
    Access,
    AnyCall,
    CallSite,
    CheckThenAct,
    MethodCall,
    State,
    WithEntry,
    WriteKind,
)
from tsafe_lint.analysis.finalizers import Finalizer, LockSite, is_lock
from tsafe_lint.analysis.flag_paths import carried_facts, constant_flags, self_facts, switched_off
from tsafe_lint.analysis.kinds import LOCKLIKE, MUTEXES, SEMAPHORES, Kind, kind_of_factory
from tsafe_lint.analysis.module import ModuleAnalysis
from tsafe_lint.analysis.names import is_fork_hook, is_lock_wrapper_name
from tsafe_lint.analysis.scopes import FunctionInfo, block, final_name
from tsafe_lint.analysis.symbols import SymbolKey, argument, display_name
from tsafe_lint.analysis.tree import conjuncts, contains, walk

__all__ = [
    "LOCKLIKE",
    "MUTEXES",
    "SEMAPHORES",
    "Access",
    "Acquisition",
    "AnyCall",
    "CallSite",
    "CheckThenAct",
    "Finalizer",
    "FunctionInfo",
    "Kind",
    "LockSite",
    "MethodCall",
    "ModuleAnalysis",
    "State",
    "SymbolKey",
    "WithEntry",
    "WriteKind",
    "argument",
    "awaited_code",
    "block",
    "carried_facts",
    "conjuncts",
    "constant_flags",
    "contains",
    "display_name",
    "final_name",
    "guards",
    "is_blocking_acquire",
    "is_fork_hook",
    "is_lock",
    "is_lock_wrapper_name",
    "kind_of_factory",
    "methods_run_on_self",
    "reads_in",
    "releases_in",
    "self_facts",
    "stays_away",
    "switched_off",
    "walk",
]
