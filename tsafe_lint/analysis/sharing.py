"""Is a write of shared state a race? Evidence that other threads touch the same state.

State written from thread code races when several threads run that code at once
(a pool, a loop of starts, a ``map``), or when code outside this thread (the main
thread, another entry point) writes it too. A class that owns a lock declares its
instances shared: its methods' attribute updates count as shared even when the module
never starts the threads itself. Set-up code (module top level, ``__init__``) runs
before other threads can see the object and is never counted.
"""

from __future__ import annotations

from tsafe_lint.analysis.kinds import LOCKLIKE
from tsafe_lint.analysis.reachability import ThreadReach
from tsafe_lint.analysis.regions import Access, Regions
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable

SETUP_FUNCTIONS = frozenset(
    {
        "__init__",
        "__new__",
        "__post_init__",
        "__init_subclass__",
        "__set_name__",
        "setUp",
        "setUpClass",
        "__del__",
    }
)


def is_setup(func: FunctionInfo) -> bool:
    """Code that runs before other threads can see what it writes."""
    return func.is_module or func.name in SETUP_FUNCTIONS


class Sharing:
    """Answers "can another thread write this while this code runs?"."""

    def __init__(
        self,
        structure: ModuleStructure,
        symbols: SymbolTable,
        regions: Regions,
        reach: ThreadReach,
    ) -> None:
        self.structure = structure
        self.symbols = symbols
        self.reach = reach
        self.writers: dict[SymbolKey, list[Access]] = {}
        for access in regions.writes:
            if not is_setup(access.func):
                self.writers.setdefault(access.key, []).append(access)
        self._lock_owners = {
            key[1]
            for key, info in symbols.symbols.items()
            if key[0] == "attr" and info.kind in LOCKLIKE
        }

    def is_tracked(self, key: SymbolKey) -> bool:
        """Plain data only: locks, queues, events, ``threading.local`` guard themselves."""
        info = self.symbols.symbols.get(key)
        return info is None or info.kind is None

    def races(self, key: SymbolKey, func: FunctionInfo) -> bool:
        """Can another thread write ``key`` while ``func`` (thread code) runs?"""
        entries = self.reach.entries.get(func)
        if not entries or not self.is_tracked(key):
            return False
        if self.reach.many(func):
            return True
        mine = {id(entry) for entry in entries}
        for access in self.writers.get(key, ()):
            other = self.reach.entries.get(access.func)
            if other is None and access.func is not func:
                return True  # written by code outside the thread
            if other is not None and not {id(entry) for entry in other} <= mine:
                return True  # written by another thread
        return False

    def owner_class(self, key: SymbolKey) -> ClassInfo | None:
        if key[0] != "attr":
            return None
        return self.structure.classes.get(key[1])

    def owned_by_locking_class(self, key: SymbolKey, func: FunctionInfo) -> bool:
        """``self.x`` of a class that owns a lock, written in one of its methods."""
        cls = self.owner_class(key)
        if cls is None or is_setup(func) or not self.is_tracked(key):
            return False
        return any(c.qualname in self._lock_owners for c in self.structure.class_bases(cls))

    def shared(self, key: SymbolKey, func: FunctionInfo) -> bool:
        return self.races(key, func) or self.owned_by_locking_class(key, func)
