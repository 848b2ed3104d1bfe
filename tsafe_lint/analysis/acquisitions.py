"""Lock acquisitions across the module: identity, reentrancy, what each function takes.

A Condition built on a lock *is* that lock for deadlock purposes; a Condition built
without one wraps an ``RLock`` and is reentrant. Only blocking acquisitions can
deadlock: ``acquire(False)``, ``acquire(blocking=False)`` and ``acquire(timeout=...)``
return instead.

An ``acquire()`` in a function whose first use of that lock is a ``release()``
*restores* it: the function (or a ``with`` block of it) was entered holding the lock,
let it go to work, and takes it back before returning (release, work, re-acquire).
That acquire is neither a leak (TS202) nor, for a caller that holds the lock, a
re-entry (TS203): the lock was released first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis.events import Regions, State
from tsafe_lint.analysis.kinds import MUTEXES, Kind
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable


@dataclass(frozen=True)
class Acquisition:
    """A blocking acquisition of a lock (``with lock:`` or ``lock.acquire()``)."""

    func: FunctionInfo
    node: cst.CSTNode
    lock: SymbolKey  # the lock's identity (a Condition's underlying lock)
    shown: SymbolKey  # the symbol as written
    state: State
    restores: bool = False  # re-takes a lock the function released first (``restoring``)


def is_blocking_acquire(call: cst.Call) -> bool:
    """``x.acquire()`` that waits as long as it takes (no ``blocking=False``, no timeout)."""
    for position, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "timeout" or (keyword is None and position == 1):
            return False
        if keyword == "blocking" or (keyword is None and position == 0):
            value = arg.value
            if not (isinstance(value, cst.Name) and value.value == "True"):
                return False
    return True


def restoring(regions: Regions, identity: Callable[[SymbolKey], SymbolKey]) -> frozenset[cst.Call]:
    """The ``acquire()`` calls that restore a lock: in a function whose first
    ``acquire()``/``release()`` of that lock (in source order) is a ``release()`` that no
    earlier acquire in the function explains, so the function held it on entry (or
    inside a ``with`` of it) and every acquire of it there takes it back."""
    first: dict[tuple[FunctionInfo, SymbolKey], str] = {}
    for call in regions.method_calls:
        if call.kind in MUTEXES and call.method in ("acquire", "release"):
            first.setdefault((call.func, identity(call.target)), call.method)
    return frozenset(
        call.call
        for call in regions.method_calls
        if call.method == "acquire"
        and call.kind in MUTEXES
        and first.get((call.func, identity(call.target))) == "release"
    )


class LockFacts:
    """Acquisitions, lock identities and the locks each function takes (transitively)."""

    def __init__(self, symbols: SymbolTable, regions: Regions) -> None:
        self.symbols = symbols
        #: ``acquire()`` calls that take back a lock the function released first
        self.restores = restoring(regions, self.identity)
        self.acquisitions: list[Acquisition] = []
        for entry in regions.with_entries:
            if entry.target is not None and entry.kind in MUTEXES:
                self.acquisitions.append(
                    Acquisition(
                        entry.func,
                        entry.item,
                        self.identity(entry.target),
                        entry.target,
                        entry.state,
                    )
                )
        for call in regions.method_calls:
            if call.method == "acquire" and call.kind in MUTEXES and is_blocking_acquire(call.call):
                self.acquisitions.append(
                    Acquisition(
                        call.func,
                        call.call,
                        self.identity(call.target),
                        call.target,
                        call.state,
                        call.call in self.restores,
                    )
                )
        self._direct: dict[FunctionInfo, dict[SymbolKey, Acquisition]] = {}
        for acquisition in self.acquisitions:
            _witness(self._direct.setdefault(acquisition.func, {}), acquisition.lock, acquisition)
        self.takes = self._transitive(regions)

    def identity(self, key: SymbolKey) -> SymbolKey:
        """The lock object ``key`` names: through aliases and a Condition's lock."""
        seen: set[SymbolKey] = set()
        while key not in seen:
            seen.add(key)
            info = self.symbols.symbols.get(key)
            if info is None:
                break
            following = info.alias_of
            if following is None and info.kind is Kind.CONDITION:
                following = info.underlying
            if following is None:
                break
            key = following
        return key

    def reentrant(self, lock: SymbolKey) -> bool:
        info = self.symbols.symbols.get(lock)
        if info is None:
            return True  # unknown: never claim a deadlock
        return info.kind in (Kind.RLOCK, Kind.CONDITION)

    def held_locks(self, state: State) -> set[SymbolKey]:
        """The lock identities held in ``state``."""
        return {
            self.identity(key)
            for key in state.held
            if (info := self.symbols.symbols.get(key)) is not None and info.kind in MUTEXES
        }

    def _transitive(self, regions: Regions) -> dict[FunctionInfo, dict[SymbolKey, Acquisition]]:
        """For each function, the locks it or anything it calls acquires (with a witness:
        one that takes the lock afresh when there is one, else a restoring one)."""
        takes = {func: dict(found) for func, found in self._direct.items()}
        # caller -> callee -> the locks every call from caller to callee is guarded by:
        # ``if lock.acquire(False):`` found them free, so what the callee takes of them
        # cannot be taken while this thread already holds them
        callees: dict[FunctionInfo, dict[FunctionInfo, frozenset[SymbolKey]]] = {}
        for site in regions.call_sites:
            tried = frozenset(self.identity(key) for key in site.state.tried)
            known = callees.setdefault(site.func, {}).get(site.callee)
            callees[site.func][site.callee] = tried if known is None else known & tried
        changed = True
        while changed:
            changed = False
            for caller, called in callees.items():
                mine = takes.setdefault(caller, {})
                for callee, guarded in called.items():
                    for lock, witness in takes.get(callee, {}).items():
                        if lock not in guarded and _witness(mine, lock, witness):
                            changed = True
        return takes


def _witness(found: dict[SymbolKey, Acquisition], lock: SymbolKey, candidate: Acquisition) -> bool:
    """Record ``candidate`` as how ``lock`` is taken unless one is known; a restoring
    witness gives way to one that takes the lock afresh (the re-entry TS203 reports).
    Did ``found`` change?"""
    known = found.get(lock)
    if known is not None and (candidate.restores or not known.restores):
        return False
    found[lock] = candidate
    return True
