"""Is a write of shared state a race? Evidence that other threads touch the same state.

State written from thread code races when several threads run that code at once
(a pool, a loop of starts, a ``map``), or when code another thread runs (another entry
point) writes it too. Writers outside any thread are not counted: they usually run
before ``start()`` or after ``join()``. Set-up code (module top level,
``__init__``, and helpers only set-up code calls) runs before other threads can see the
object and is never counted. A lone worker that writes a result the main thread reads
after ``join()`` is not a race.
"""

from __future__ import annotations

from tsafe_lint.analysis.reachability import ThreadReach
from tsafe_lint.analysis.regions import Access, Regions
from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable

SETUP_FUNCTIONS = frozenset(
    {
        "__init__",
        "__new__",
        "__post_init__",
        "__init_subclass__",
        "__set_name__",
        "__setstate__",
        "setUp",
        "setUpClass",
        "__del__",
    }
)


#: Construction hooks other than ``__init__`` (``queue.Queue._init``).
_SETUP_WORDS = frozenset({"init", "initialize", "initialise", "setup"})


def is_setup_name(func: FunctionInfo) -> bool:
    """Code that runs before other threads can see what it writes (or after a fork, when
    the process has one thread)."""
    if func.is_module or func.name in SETUP_FUNCTIONS:
        return True
    lowered = func.name.lower()
    bare = lowered.replace("_", "")
    return (
        bare in _SETUP_WORDS
        or "afterfork" in bare
        or "atfork" in bare
        or lowered.endswith("_reinit")
    )


class Sharing:
    """Answers "can another thread write this while this code runs?"."""

    def __init__(
        self,
        structure: ModuleStructure,
        symbols: SymbolTable,
        regions: Regions,
        reach: ThreadReach,
        setup: frozenset[FunctionInfo],
    ) -> None:
        self.structure = structure
        self.symbols = symbols
        self.reach = reach
        self.setup = setup
        self.writers: dict[SymbolKey, list[Access]] = {}
        for access in regions.writes:
            if access.func not in setup:
                self.writers.setdefault(access.key, []).append(access)

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
            if other is not None and not {id(entry) for entry in other} <= mine:
                return True  # written by another thread
        # Writers outside any thread (the main thread's API) are not evidence: they
        # usually run before start() or after join(), which we cannot order.
        return False

    def is_setup(self, func: FunctionInfo) -> bool:
        return func in self.setup
