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

The first acquisition of a lock created just before, that nobody has seen yet
(``fresh_locks.py``), cannot block either: it is left out.

A constructor call ``Cls(...)`` runs ``__init__`` on a new object: the locks it takes
through ``self`` (there and in the methods it calls on ``self``) are the new object's,
which the constructing thread cannot hold, even when it holds the lock of the same name
of another object of the class (``new_object_locks``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis.events import MethodCall, Regions, State, WithEntry
from tsafe_lint.analysis.fresh_locks import fresh_acquisitions
from tsafe_lint.analysis.kinds import MUTEXES, Kind
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable
from tsafe_lint.analysis.tree import NOT_RUN, walk


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
    """``x.acquire()`` that waits as long as it takes (no ``blocking=False``, no timeout):
    ``blocking`` may be ``True`` or a non-zero number (``acquire(1)``), ``timeout`` -1."""
    for position, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "timeout" or (keyword is None and position == 1):
            if not _minus_one(arg.value):
                return False
        elif keyword == "blocking" or (keyword is None and position == 0):
            value = arg.value
            if not (isinstance(value, cst.Name) and value.value == "True") and not (
                isinstance(value, cst.Integer) and int(value.value, 0) != 0
            ):
                return False
    return True


def _minus_one(value: cst.BaseExpression) -> bool:
    return (
        isinstance(value, cst.UnaryOperation)
        and isinstance(value.operator, cst.Minus)
        and isinstance(value.expression, cst.Integer)
        and value.expression.value == "1"
    )


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
        self._fresh: dict[FunctionInfo, frozenset[cst.CSTNode]] = {}
        self.acquisitions: list[Acquisition] = []
        for entry in regions.with_entries:
            if entry.target is not None and entry.kind in MUTEXES and not self._is_fresh(entry):
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
            if (
                call.method == "acquire"
                and call.kind in MUTEXES
                and is_blocking_acquire(call.call)
                and not self._is_fresh(call)
            ):
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
        self._regions = regions
        self._new_object: dict[FunctionInfo, frozenset[SymbolKey]] = {}

    def _is_fresh(self, taken: WithEntry | MethodCall) -> bool:
        """Does ``taken`` take a lock nobody else can have seen yet (cannot block)?"""
        if taken.func not in self._fresh:
            self._fresh[taken.func] = fresh_acquisitions(taken.func)
        node = taken.item if isinstance(taken, WithEntry) else taken.call
        return node in self._fresh[taken.func]

    def new_object_locks(self, init: FunctionInfo) -> frozenset[SymbolKey]:
        """The locks a constructor call of ``init``'s class takes only on the new object:
        through ``self`` in ``init`` and the methods it calls on ``self``, and nowhere
        else on those paths (``parent._lock`` may be a lock the caller holds)."""
        if init not in self._new_object:
            self._new_object[init] = self._own_locks(init)
        return self._new_object[init]

    def _own_locks(self, init: FunctionInfo) -> frozenset[SymbolKey]:
        closure = {init}
        sites = [site for site in self._regions.call_sites if not site.implicit]
        outside: list[FunctionInfo] = []
        changed = True
        while changed:
            changed = False
            for site in sites:
                if site.func not in closure or site.callee in closure:
                    continue
                if _on_self(site.call) and site.callee.cls is not None:
                    closure.add(site.callee)
                    changed = True
        for site in sites:
            if site.func in closure and site.callee not in closure:
                outside.append(site.callee)
        made = {name for func in closure for name in _assigned_on_self(func)}
        own: set[SymbolKey] = set()
        other: set[SymbolKey] = set()
        for acquisition in self.acquisitions:
            if acquisition.func in closure:
                taken_on = _lock_expression(acquisition.node)
                mine = (
                    isinstance(taken_on, cst.Attribute)
                    and _is_self(taken_on.value)
                    and taken_on.attr.value in made  # not a lock of the class, shared
                )
                (own if mine else other).add(acquisition.lock)
        for callee in outside:
            other.update(self.takes.get(callee, {}))
        return frozenset(own - other)

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
        """May the thread that holds ``lock`` take it again? Yes unless it is known to be
        a ``Lock``: one known only by its use (``acquire()`` and ``release()``) may be an
        RLock from a factory (``ring.getLock(name, recursive=True)``): never claim a
        deadlock on it."""
        info = self.symbols.symbols.get(lock)
        if info is None:
            return True  # unknown: never claim a deadlock
        return info.kind in (Kind.RLOCK, Kind.CONDITION, Kind.ACQUIRABLE)

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
            # what the caller gave back (entered holding it) is free again as well
            freed = site.state.tried | site.state.given_back
            tried = frozenset(self.identity(key) for key in freed)
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


def _is_self(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "self"


def _on_self(call: cst.CSTNode) -> bool:
    """``self.method(...)``."""
    return (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and _is_self(call.func.value)
    )


def _assigned_on_self(func: FunctionInfo) -> set[str]:
    """The attributes ``func`` stores on ``self`` (``self._lock = Lock()``)."""
    names: set[str] = set()
    for node in walk(func.node, skip=NOT_RUN):
        target = node.target if isinstance(node, (cst.AssignTarget, cst.AnnAssign)) else None
        if isinstance(target, cst.Attribute) and _is_self(target.value):
            names.add(target.attr.value)
    return names


def _lock_expression(node: cst.CSTNode) -> cst.BaseExpression | None:
    """The lock a ``with`` item or an ``x.acquire()`` call takes."""
    if isinstance(node, cst.WithItem):
        return node.item
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.value
    return None
