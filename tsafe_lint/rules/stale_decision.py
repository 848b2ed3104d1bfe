"""TS108: a decision taken under a lock, acted on after the lock was released.

``with self._lock: stale = self._open_minute != now`` then ``if stale:
self.close_windows()``: the lock makes the test see a consistent state, and then lets
go of it. The act, which takes the lock again to change the same state, runs on a
decision that another thread may have made stale in between (airprompter's spool
writer, seventy-seventh set's misses: the timer closed the minute a request had just
opened).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.events import Access, WriteKind
from tsafe_lint.analysis.kinds import MUTEXES
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.symbols import SymbolKey, display_name
from tsafe_lint.analysis.tree import assignment_targets, walk
from tsafe_lint.rules.base import Finding, Rule

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis

FAMILY = "shared_state"
_DEPTH = 3


@dataclass(frozen=True)
class _Decision:
    """A local bound under the lock from shared state: ``stale`` from ``_open_minute``."""

    name: str
    keys: frozenset[SymbolKey]


class DecisionOutlivesLock(Rule):
    """Flags acting on a test of shared state made under a lock, after releasing the lock.

    **What it does**

    Finds a local bound inside ``with lock:`` from an attribute or global (``stale =
    self._open_minute != minute``), tested after the ``with`` ends (``if stale:``),
    where the branch changes that same state under the same lock again, itself or
    through the module's own functions (three calls deep): ``self.close_windows()``,
    which takes the lock and sets ``self._open_minute = None``. The state must also be
    changed by another function of the module (the other side of the race). Not
    reported: a local the ``with`` body already acted on (``item = self._items.pop()``
    is a take, not a decision), and an act that tests the state again under the lock
    before changing it (``with self._lock: if self._open_minute != minute:``).

    **Opt-in**

    Off by default: select it with ``--select TS108``. Whether another thread can
    really change the state between the two critical sections, and whether the act is
    wrong on a stale decision, is seldom visible in the code: the callers are often one
    thread (an event loop, a signal handler on the main thread), and many acts are
    harmless to run late (a flag the next pass decides again, a refresh that gives the
    same result). On the retired validation sets 44 to 77 it first reported 18 findings,
    which a reviewer who wrote no rule judged 1 true, 13 false and 4 debatable; the acts
    that read the state again (a snapshot taken under the lock, a test of it) were then
    left out, which leaves 13 of them there (1 true, 8 false, 4 debatable, a figure
    tuned on the same findings: bench/ts108_triage.md). It is there for an audit of
    lock regions, where it finds airprompter's stale minute.

    **Why is this bad**

    The lock made the test consistent, but the decision leaves the lock with the
    thread. Between the end of the ``with`` and the act, another thread can take the
    lock and change the state: open the new minute, fill the slot, refresh the entry.
    The act then runs on a stale decision and undoes or duplicates that thread's work.
    Nothing fails: counts are split, entries lost, and the log shows nothing.

    **Example**

    ```python
    import threading

    class Spool:
        def __init__(self):
            self._lock = threading.RLock()
            self._open_minute = None

        def observe(self, minute):
            with self._lock:
                if self._open_minute != minute:
                    self.close()
                self._open_minute = minute

        def close(self):
            with self._lock:
                self._open_minute = None

        def close_stale(self, now):
            with self._lock:
                stale = self._open_minute not in (None, now)
            if stale:
                self.close()        # the minute may have changed since
    ```

    **Use instead**

    ```python
        def close_stale(self, now):
            with self._lock:
                if self._open_minute not in (None, now):
                    self.close()    # an RLock: the act runs under the test's lock
    ```

    or test the state again inside the act, under its lock.
    """

    code = "TS108"
    name = "decision-outlives-lock"
    summary = "a test of shared state made under a lock, acted on after releasing it"
    default_enabled = False

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        writes: dict[SymbolKey, list[Access]] = {}
        for write in analysis.regions.writes:
            writes.setdefault(write.key, []).append(write)
        seen: set[int] = set()
        for entry in analysis.regions.with_entries:
            if entry.target is None or entry.kind not in MUTEXES or id(entry.node) in seen:
                continue
            seen.add(id(entry.node))
            func = entry.func
            if func in analysis.setup_functions:
                continue
            decisions = _decisions(entry.node, func, analysis)
            if not decisions:
                continue
            reported: set[int] = set()
            acted: set[str] = set()
            for test, decision in _tests_after(entry.node, decisions, analysis):
                if id(test) in reported or decision.name in acted:
                    continue  # one finding for each ``if``, and each decision's first act
                act = _act(test, decision, entry.target, func, writes, analysis)
                if act is None:
                    continue
                reported.add(id(test))
                acted.add(decision.name)
                key, where, other = act
                yield Finding(
                    test.test,
                    f"'{decision.name}' was decided under '{display_name(entry.target)}' "
                    f"from {_state(key)}, but the lock is released before {where} changes "
                    f"it: a thread running '{other}' can change {_state(key)} in between; act "
                    "inside the 'with', or test the state again under the lock in the act",
                )


def _state(key: SymbolKey) -> str:
    return f"'{key[-1]}'" if key[0] == "attr" else f"'{display_name(key)}'"


def _decisions(node: cst.With, func: FunctionInfo, analysis: ModuleAnalysis) -> list[_Decision]:
    """The locals the ``with`` body binds from shared state it does not change itself."""
    if not isinstance(node.body, cst.IndentedBlock):
        return []
    found: list[_Decision] = []
    written: set[SymbolKey] = set()
    for statement in node.body.body:
        for part in walk(statement):
            for target in assignment_targets(part):
                key = (
                    analysis.symbols.key_of(target, func)
                    if not isinstance(target, cst.Name)
                    else None
                )
                if key is not None:
                    written.add(key)
            if isinstance(part, cst.Call) and isinstance(part.func, cst.Attribute):
                key = analysis.symbols.key_of(part.func.value, func)
                if key is not None:
                    written.add(key)  # ``self._items.pop()``: the body may act on it itself
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, cst.Assign) or len(small.targets) != 1:
                continue
            target = small.targets[0].target
            if not isinstance(target, cst.Name):
                continue
            keys = _state_read(small.value, func, analysis)
            if keys:
                found.append(_Decision(target.value, keys))
    return [_Decision(d.name, d.keys - written) for d in found if d.keys - written]


def _state_read(
    value: cst.BaseExpression, func: FunctionInfo, analysis: ModuleAnalysis
) -> frozenset[SymbolKey]:
    """The attributes and globals ``value`` reads (not the methods it calls)."""
    callees = {id(part.func) for part in walk(value) if isinstance(part, cst.Call)}
    keys: set[SymbolKey] = set()
    for part in walk(value):
        if id(part) in callees or not isinstance(part, (cst.Attribute, cst.Name)):
            continue
        key = analysis.symbols.key_of(part, func)
        if key is not None and key[0] in ("attr", "global") and analysis.kind(key) is None:
            keys.add(key)
    return frozenset(keys)


def _tests_after(
    node: cst.With, decisions: list[_Decision], analysis: ModuleAnalysis
) -> Iterator[tuple[cst.If, _Decision]]:
    """The ``if`` statements after the ``with`` in its block that test a decision."""
    block = analysis.parent_of(node)
    if not isinstance(block, (cst.IndentedBlock, cst.Module)):
        return
    body = list(block.body)
    index = next((i for i, item in enumerate(body) if item is node), None)
    if index is None:
        return
    live = {d.name: d for d in decisions}
    for statement in body[index + 1 :]:
        if isinstance(statement, cst.If):
            # in the order the test reads them: a set's order would change with the
            # hash seed, and so would the decision the finding names
            names = [p.value for p in walk(statement.test) if isinstance(p, cst.Name)]
            for name in dict.fromkeys(name for name in names if name in live):
                yield statement, live[name]
        for part in walk(statement):
            if isinstance(part, cst.Name) and isinstance(
                analysis.parent_of(part), cst.AssignTarget
            ):
                live.pop(part.value, None)


def _act(
    test: cst.If,
    decision: _Decision,
    lock: SymbolKey,
    func: FunctionInfo,
    writes: dict[SymbolKey, list[Access]],
    analysis: ModuleAnalysis,
) -> tuple[SymbolKey, str, str] | None:
    """The state the branch changes under ``lock`` again, where, and another function
    that changes it too (the other side of the race)."""
    inside = {id(part) for part in walk(test.body)}
    for key in sorted(decision.keys):
        others = {
            w.func
            for w in writes.get(key, [])
            if w.func is not func and w.func not in analysis.setup_functions
        }
        for write in writes.get(key, []):
            inside_branch = write.func is func and id(write.node) in inside
            if (
                others
                and inside_branch
                and _blind(write, lock, test, analysis)
                and not _looks_again(test.body, func, key, analysis)
            ):
                return key, "the branch", _first(others)
        for site in analysis.regions.call_sites:
            if site.func is not func or id(site.call) not in inside:
                continue
            chain = _writer(site.callee, key, lock, writes, analysis, 1)
            if chain is not None and others - chain:
                return key, f"'{site.callee.name}'", _first(others - chain)
    return None


def _first(funcs: set[FunctionInfo]) -> str:
    return min(func.name for func in funcs)


def _writer(
    callee: FunctionInfo,
    key: SymbolKey,
    lock: SymbolKey,
    writes: dict[SymbolKey, list[Access]],
    analysis: ModuleAnalysis,
    depth: int,
) -> set[FunctionInfo] | None:
    """The functions down to a blind write of ``key`` under ``lock``, none of which
    reads ``key`` again, or None."""
    if _looks_again(callee.node, callee, key, analysis):
        return None
    for write in writes.get(key, []):
        if write.func is callee and _blind(write, lock, callee.node, analysis):
            return {callee}
    if depth >= _DEPTH:
        return None
    for site in analysis.regions.call_sites:
        if site.func is callee and site.callee is not callee:
            chain = _writer(site.callee, key, lock, writes, analysis, depth + 1)
            if chain is not None:
                return chain | {callee}
    return None


def _blind(write: Access, lock: SymbolKey, root: cst.CSTNode, analysis: ModuleAnalysis) -> bool:
    """Does ``write`` change the state under ``lock`` on the stale decision alone: a
    store (``self._open_minute = None``, ``del``)? Not when it reads the state it writes
    (``batch, self._queue = self._queue, []``, ``n += 1``, a method of the container:
    it works on what is there now), nor when a test of shared state between ``root``
    (the branch or the called function) and it decides again."""
    if lock not in analysis.held_at(write.func, write.state):
        return False
    if write.kind is WriteKind.READ_MODIFY_WRITE:
        return False
    node = write.node
    if isinstance(node, cst.Call):
        return False  # ``self._items.append(x)``: a method of what is there now
    if (
        isinstance(node, (cst.Assign, cst.AnnAssign))
        and node.value is not None
        and _looks_again(node.value, write.func, write.key, analysis)
    ):
        return False
    parent = analysis.parent_of(node)
    while parent is not None and parent is not root:
        if isinstance(parent, (cst.If, cst.While)) and _state_read(
            parent.test, write.func, analysis
        ):
            return False
        parent = analysis.parent_of(parent)
    return True


def _looks_again(
    node: cst.CSTNode, func: FunctionInfo, key: SymbolKey, analysis: ModuleAnalysis
) -> bool:
    """Does the act read ``key`` anywhere but as a store's target (a test, a snapshot
    taken under the lock, ``paths = [p for p in self.opened if ...]``)? Then it works on
    what is there now, not on the decision alone."""
    targets: set[int] = set()
    for part in walk(node):
        if isinstance(part, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.Del)):
            targets.add(id(part.target))
    for part in walk(node):
        if id(part) in targets or not isinstance(part, (cst.Attribute, cst.Name)):
            continue
        if analysis.symbols.key_of(part, func) == key and not _store_target_of(
            part, targets, analysis
        ):
            return True
    return False


def _store_target_of(part: cst.CSTNode, targets: set[int], analysis: ModuleAnalysis) -> bool:
    """Is ``part`` the object of a store (``self._d`` in ``self._d[k] = v``)?"""
    node: cst.CSTNode | None = part
    while node is not None and isinstance(node, (cst.Attribute, cst.Name, cst.Subscript)):
        if id(node) in targets:
            return True
        parent = analysis.parent_of(node)
        if isinstance(parent, cst.Subscript) and parent.value is not node:
            return False
        node = parent
    return False


RULES: list[type[Rule]] = [DecisionOutlivesLock]
