"""Deadlock rules, in one module and across modules: TS203, TS205, TS208.

Each rule reads the module's own lock facts in ``check`` and the joined summaries of the
whole project in ``check_project``; the project step reports only chains that cross a
module boundary (the others are the modules' own), at the line and column of the call or
acquisition where the chain starts.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

import libcst as cst

from tsafe_lint.analysis import (
    Acquisition,
    CallSite,
    Finalizer,
    FunctionInfo,
    Kind,
    LockSite,
    ModuleAnalysis,
    SymbolKey,
    carried_facts,
    constant_flags,
    display_name,
    is_lock,
    self_facts,
    switched_off,
    walk,
)
from tsafe_lint.analysis.constructions import built_here, constructs
from tsafe_lint.analysis.finalizers import MAIN_THREAD, followed_into
from tsafe_lint.analysis.none_tests import none_subject
from tsafe_lint.analysis.reachability import makes_coroutine
from tsafe_lint.analysis.scopes import ClassInfo
from tsafe_lint.analysis.threads import own_attribute
from tsafe_lint.analysis.tree import NOT_RUN, bare_call
from tsafe_lint.project.file_summary import FileSummary
from tsafe_lint.project.join import Node, ProjectIndex, run_outside_started_threads
from tsafe_lint.rules.base import Finding, ProjectFinding, Rule, snippet

FAMILY = "locks"


def _reacquired(function: str, lock: str, where: str, implicit_by: str = "") -> str:
    """``implicit_by``: the expression that makes Python call ``function`` (``self[k]``)."""
    caller = f"'{implicit_by}' calls '{function}', which" if implicit_by else f"'{function}'"
    return (
        f"{caller} acquires '{lock}' again ({where}) while it is held here; a Lock is not "
        "reentrant, so the thread deadlocks on itself: use RLock or an unlocked helper"
    )


def _finalizer_deadlock(finalizer: str, when: str, via: list[str], lock: str, where: str) -> str:
    """``via``: the functions from the finalizer down to the one that takes the lock."""
    through = f" (through {' -> '.join(repr(name) for name in via)})" if via else ""
    return (
        f"{finalizer} {when}, including while '{lock}' is held at {where}; taking it "
        f"here{through} then deadlocks the thread on itself (a Lock is not reentrant): "
        "use RLock, or only set a flag or queue the work here"
    )


def _inverted(first: str, second: str, where: str) -> str:
    return (
        f"'{second}' is acquired while holding '{first}' here, but in the opposite order at "
        f"{where}: potential deadlock"
    )


class ReentrantLockAcquire(Rule):
    """Flags a non-reentrant ``Lock`` acquired again by the thread that holds it.

    **What it does**

    Finds ``with lock:`` / ``lock.acquire()`` on a ``threading.Lock`` (or a Condition
    built on one) while the same lock is already held: directly nested, or through a
    call, made while holding it, to a function of the module that takes it again. Calls
    Python makes implicitly count: ``self[k]``, ``self[k] = v``, ``del self[k]``,
    ``k in self``, ``len(self)``, ``iter(self)``, ``for x in self`` and property reads
    run the class's own dunder methods and getters. A lock known only by its use
    (``acquire()`` and ``release()`` on an object no constructor of the module shows)
    is not reported: it may be an RLock from a factory (``ring.getLock(name,
    recursive=True)``); a factory whose name ends in ``Lock`` gives a Lock. A class
    body's Lock that ``__init__`` shadows with the object's own lock of another kind
    (``_lock = Lock()`` for the singleton's ``cls._lock``, then ``self._lock = RLock()``)
    is the object's lock in the methods: an RLock re-entered is fine.

    A path behind a non-blocking try of the same lock is not followed: in
    ``if lock.acquire(False): ...`` (or ``if ready and lock.acquire(blocking=False):``)
    the body runs only when no thread, this one included, held the lock, so a caller
    that holds it makes the try fail instead of deadlocking. Nor is a call through an
    attribute the instance reassigns (``self._send = context.send`` in ``__init__``):
    ``self._send(msg)`` then calls what was stored, not the method of that name.

    Nor is a path a call switches off with a constant flag: when the call passes
    ``False``, ``None``, ``0`` or ``""`` for a parameter the callee never rebinds
    (``self.done(reload=False)``), the callee's code under ``if reload:`` (also
    ``if x and reload:``, ``if reload is not None:`` for ``None``, the ``else`` of
    ``if not reload:``, ``while reload:``) and after a guard ``if not reload: return``
    in the same block does not run, so an acquisition or a call there does not count
    for that call. A true constant works the other way: ``self._set(s,
    have_lock=True)``, made while the lock is held, does not run the callee's ``if not
    have_lock: self._lock.acquire()``. A local bound once to what the constant picks
    counts the same way: ``cut = None if final else self._pause_cut()`` is None for a
    call passing ``final=True``, which does not run ``if cut is not None:``. Only the
    module's own calls are read this way.
    A constant is followed down the calls that hand it on unchanged, and a constant any
    call on the way passes is picked up: ``renew()`` holds the lock and reaches
    ``get_random_router(with_renew=False)``, which calls ``get_routers(flags,
    with_renew)``, which calls ``get_document(with_renew=with_renew)``: its ``if
    with_renew: self.renew()`` does not run (torpy). Where no constant decides a way to
    the lock, it counts. A gate on ``self`` the holder stores right before the call is
    its decision too: ``self._debug = event.debug`` then ``self.on_detail()``, whose
    ``if not self._debug: with self._lock:`` the holder has just set up to skip (a
    constant stored there is read as above; a gate nobody stores counts). The gate may be
    a path through an attribute, tested for presence or None (``if not
    hasattr(self._local, "conn") or self._local.conn is None:``, stored by
    ``self._local.conn = conn``), and the callee may lead back into the holder's own
    function, whose acquire sits behind the gate the holder has just stored.

    Nor is a call that only creates a coroutine: an ``async def`` called and not awaited
    (``asyncio.run_coroutine_threadsafe(self._send(cmd), loop)`` under the lock) runs
    later, on the event loop's thread. Awaited, or run at once by ``asyncio.run()`` or
    ``loop.run_until_complete()``, its body runs on this thread and counts.

    Nor is a call to a function that releases the lock before it takes it back: a
    function whose first use of the lock is ``lock.release()`` expects its caller to
    hold it, lets it go while it works, and re-acquires it before returning, so the
    thread never takes the lock while it holds it. Across modules too: the summaries
    record such restoring acquisitions. Another path of the callee that takes the lock
    afresh is still reported.

    Nor is a constructor call ``Cls(...)`` made while holding a lock of the same name
    of another object of the class: ``__init__`` runs on a new object, so what it takes
    through ``self`` (there and in the methods it calls on ``self``), when ``self.x``
    is the new object's own (``__init__`` assigns it), is a lock nobody holds yet. A
    lock of the class (``_lock = Lock()`` in the class body) is shared and still
    counts, as does a lock ``__init__`` takes through another object. Nor is the first
    acquire of a lock created just before (``self._lock = Lock();
    self._lock.acquire()``, a lock "born locked"): nobody else has seen it. And a
    function that only releases a lock of an object it got itself (``worker =
    idle.pop(); worker._lock.release()``) is not taken to run with that lock held, as a
    function that only releases its own object's lock is (a ``begin()``/``end()`` pair).
    Nor is one that takes the lock through a helper returning what ``acquire()``
    returns (``if not self._acquire(deadline): return False``, then ``try: ...
    finally: self._lock.release()``): the helper's call is the acquire, made with the
    lock free.
    Nor is a call on ``self`` made after the holder stored a new object (a class built,
    ``dict()``, a literal) in ``self.x``, into code that takes the lock only under ``if
    self.x is None:``: a
    double-checked initialiser that sets ``self.config`` first and then reads a property
    that calls it again passes its outer test without the lock (stored after the call,
    cleared on the way, or tested for truth rather than None, it still counts).

    **Why is this bad**

    A ``Lock`` does not know its owner: the second acquire waits for a release that can
    only come from the waiting thread itself. The thread deadlocks on itself, silently.

    **Example**

    ```python
    import threading

    lock = threading.Lock()

    def update_seat_count():
        with lock:
            ...

    def book_seat():
        with lock:
            update_seat_count()     # deadlock
    ```

    **Use instead**

    Split the function into a locked public half and an unlocked helper that expects the
    caller to hold the lock:

    ```python
    import threading

    lock = threading.Lock()

    def _update_seat_count_locked():
        ...                         # expects the caller to hold the lock

    def book_seat():
        with lock:
            _update_seat_count_locked()
    ```

    or use ``threading.RLock()``, which its owner may acquire again.

    **Fix**

    None: switching to ``RLock`` or splitting the function is a design choice.

    **References**

    The talk's "RLock" slides and demo; Python docs, ``threading.RLock``.
    """

    code = "TS203"
    name = "reentrant-lock-acquire"
    summary = "non-reentrant Lock acquired again while held: self-deadlock"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        facts = analysis.locks
        for acquisition in facts.acquisitions:
            lock = acquisition.lock
            if facts.reentrant(lock) or lock not in facts.held_locks(acquisition.state):
                continue
            if _signalling(acquisition, analysis):
                continue
            yield Finding(
                acquisition.node,
                f"'{display_name(acquisition.shown)}' is acquired again while already held; "
                "a Lock is not reentrant, so the thread deadlocks on itself: use RLock",
            )
        for site in analysis.regions.call_sites:
            held = facts.held_locks(site.state)
            if not held or makes_coroutine(site, analysis.parent_of):
                continue
            if constructs(site):
                held -= facts.new_object_locks(site.callee)
            for lock, taken in sorted(facts.takes.get(site.callee, {}).items()):
                if lock in held and not facts.reentrant(lock) and not taken.restores:
                    witness = _taken_on_live_path(analysis, site, lock, taken)
                    if witness is None or witness.restores:
                        continue  # only behind a flag the call passes as False
                    if _gated_by_holder(site, witness, analysis):
                        continue  # the holder sets the gate of the callee's acquire
                    line = analysis.line_of(witness.node)
                    implicit_by = snippet(site.call) if site.implicit else ""
                    message = _reacquired(
                        site.callee.name, display_name(witness.shown), f"line {line}", implicit_by
                    )
                    yield Finding(site.call, message)

    def check_project(self, project: ProjectIndex) -> Iterator[ProjectFinding]:
        takes = _project_takes(project)
        for summary in project.modules.values():
            for line, col, held, target, lock, taken, crossed in _taken_under(
                project, takes, summary
            ):
                if lock in held and not taken.reentrant and not taken.restores and crossed:
                    message = _reacquired(target[1], _short(lock), f"at {taken.where}")
                    yield ProjectFinding(summary.path, line, col, message)


#: (function, constant flags) -> what walking it found: an acquisition on a live path, and
#: whether a constant switched a way to the lock off
_Walked = dict[tuple[FunctionInfo, frozenset[tuple[str, str]]], tuple["Acquisition | None", bool]]


def _taken_on_live_path(
    analysis: ModuleAnalysis, site: CallSite, lock: SymbolKey, witness: Acquisition
) -> Acquisition | None:
    """Where the callee takes ``lock`` on a path this call runs: ``witness`` when the call
    passes no constant flag, None when every path to the lock lies behind a test the
    constants the call passes decide against it (``reload=False`` for ``if reload:``,
    ``have_lock=True`` for ``if not have_lock:``; ``flag_paths``), or that the objects the
    caller stored in attributes of ``self`` before the call decide against it (``if
    self.config is None:``)."""
    flags = {} if site.implicit else constant_flags(site.call, site.callee)
    facts = self_facts(site.call, site.func, analysis.parent_of)
    flags.update(carried_facts(facts, site.call, site.callee))
    if site.implicit and not flags:
        return witness
    live, switched = _live_acquisition(analysis, site.callee, lock, flags, {})
    if not switched:
        return witness  # no constant on the way decides anything
    return live


def _gated_by_holder(site: CallSite, witness: Acquisition, analysis: ModuleAnalysis) -> bool:
    """``self._debug = event.debug`` under the lock, then ``self.on_detail()``, whose
    ``if not self._debug: self._lock.acquire()`` the caller has just decided: a gate on
    ``self`` that the holder computes right before the call, for the callee to skip the
    lock it holds (tdhelper's spider pools, whose debug events come only in debug mode:
    sixtieth set). A constant or a made object stored there says which way it goes, and
    is left to the flag walk; a gate the holder does not store stays reported."""
    if witness.func not in (site.callee, site.func) or not isinstance(site.call, cst.Call):
        return False  # the callee's own acquire, or the holder's, re-entered through it
    gates = _self_gates(witness.node, witness.func, analysis)
    if not gates:
        return False
    node: cst.CSTNode | None = site.call
    while node is not None and node is not site.func.node:
        parent = analysis.parent_of(node)
        if isinstance(parent, cst.IndentedBlock):
            body = list(parent.body)
            index = next((i for i, statement in enumerate(body) if statement is node), 0)
            for statement in body[:index]:
                if not isinstance(statement, cst.SimpleStatementLine):
                    continue
                for small in statement.body:
                    if (
                        isinstance(small, cst.Assign)
                        and _read_gate(small.value)
                        and any(_self_path(t.target) in gates for t in small.targets)
                    ):
                        return True
        node = parent
    return False


def _self_gates(node: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis) -> set[str]:
    """The attributes of ``self`` (or paths through them) that the ``if`` statements
    around ``node`` in ``func`` test (``if not self._debug:``, ``if self.locking:``, ``if
    not hasattr(self._local, "conn") or self._local.conn is None:``: ``_local.conn``)."""
    gates: set[str] = set()
    current: cst.CSTNode | None = analysis.parent_of(node)
    while current is not None and current is not func.node:
        if isinstance(current, cst.If):
            paths = [_tested_path(test) for test in _alternatives(current.test)]
            if paths[0] is not None and all(path == paths[0] for path in paths):
                gates.add(paths[0])
        current = analysis.parent_of(current)
    return gates


def _alternatives(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of ``a or b or c`` (``test`` itself when it is no ``or``)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return [*_alternatives(test.left), *_alternatives(test.right)]
    return [test]


def _tested_path(test: cst.BaseExpression) -> str | None:
    """The path of ``self`` a test reads: ``self.a`` (also negated, or compared with
    ``None``), ``hasattr(self.a, "b")`` (``a.b``)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    compared = none_subject(test)
    if compared is not None:
        test = compared[0]
    if (
        isinstance(test, cst.Call)
        and isinstance(test.func, cst.Name)
        and test.func.value == "hasattr"
        and len(test.args) == 2
        and isinstance(test.args[1].value, cst.SimpleString)
    ):
        owner = _self_path(test.args[0].value)
        attr = test.args[1].value.evaluated_value
        return f"{owner}.{attr}" if owner is not None and isinstance(attr, str) else None
    return _self_path(test)


def _self_path(expr: cst.BaseExpression) -> str | None:
    """``a`` for ``self.a``, ``a.b`` for ``self.a.b``; None for anything else."""
    if isinstance(expr, cst.Attribute):
        if isinstance(expr.value, cst.Name) and expr.value.value == "self":
            return expr.attr.value
        owner = _self_path(expr.value)
        return f"{owner}.{expr.attr.value}" if owner is not None else None
    return None


def _read_gate(value: cst.BaseExpression) -> bool:
    """A value read from elsewhere (``event.debug``, ``not quiet``, ``a and b``): what
    the holder decided, not known here. A constant or a made object (``object()``,
    always true) says which way the test goes, and is left to the flag walk."""
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Not):
        return _read_gate(value.expression)
    if isinstance(value, cst.BooleanOperation):
        return _read_gate(value.left) and _read_gate(value.right)
    if isinstance(value, cst.Name):
        return value.value not in ("True", "False", "None")
    return isinstance(value, (cst.Attribute, cst.Subscript, cst.Comparison))


def _live_acquisition(
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    lock: SymbolKey,
    flags: dict[str, str],
    seen: _Walked,
) -> tuple[Acquisition | None, bool]:
    """Where ``func``, called with the constants ``flags``, takes ``lock`` on a path it
    runs, itself or through its calls, and whether a constant switched a way to it off.
    A call that hands a constant on (``get_routers(flags, with_renew)``) is followed with
    it: torpy's ``renew()`` -> ... -> ``get_random_router(with_renew=False)`` ->
    ``get_document(with_renew)`` never reaches ``if with_renew: self.renew()``. Where no
    constant decides and the walk finds no acquisition (a way it does not follow), the
    module's lock facts are trusted."""
    state = (func, frozenset(flags.items()))
    if state in seen:
        return seen[state]  # known, or still being walked (a cycle): nothing decided yet
    seen[state] = (None, False)
    result = _walk_for_acquisition(analysis, func, lock, flags, seen)
    seen[state] = result
    return result


def _walk_for_acquisition(
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    lock: SymbolKey,
    flags: dict[str, str],
    seen: _Walked,
) -> tuple[Acquisition | None, bool]:
    """One step of ``_live_acquisition``: ``func``'s own acquisitions, then its calls."""
    dead = switched_off(func, flags) if flags else set()
    facts = analysis.locks
    switched = False
    for acquisition in facts.acquisitions:
        if acquisition.func is func and acquisition.lock == lock and not acquisition.restores:
            if acquisition.node not in dead:
                return acquisition, switched
            switched = True
    for inner in analysis.regions.call_sites:
        if inner.func is not func:
            continue
        found = facts.takes.get(inner.callee, {}).get(lock)
        tried = {facts.identity(key) for key in inner.state.tried | inner.state.given_back}
        if found is None or lock in tried:
            continue
        if inner.call in dead:
            switched = True
            continue
        inner_flags = {} if inner.implicit else constant_flags(inner.call, inner.callee, flags)
        inner_flags.update(carried_facts(flags, inner.call, inner.callee))
        live, inner_switched = _live_acquisition(analysis, inner.callee, lock, inner_flags, seen)
        if live is not None:
            return live, switched or inner_switched
        if not inner_switched:
            return found, switched  # no constant decides it: the lock facts say it takes it
        switched = True
    return None, switched


def _signalling(acquisition: Acquisition, analysis: ModuleAnalysis) -> bool:
    """``waiter.acquire(); ...; waiter.acquire()``: a Lock used as a one-shot signal that
    another thread releases (``threading.Condition`` does this), not a deadlock."""
    manual_again = isinstance(acquisition.node, cst.Call)
    held_manually = any(
        analysis.locks.identity(key) == acquisition.lock for key in acquisition.state.manual
    )
    return (manual_again and held_manually) or acquisition.shown in analysis.regions.escaped


class LockOrderInversion(Rule):
    """Flags two locks taken in opposite orders in different places: a potential deadlock.

    **What it does**

    Records, for every acquisition, which locks are already held (also through calls into
    the module's own functions) and reports pairs of locks taken as A-then-B in one place
    and B-then-A in another. Both places are reported, each naming the other.

    The first acquire of a lock created just before and seen by nobody since (``waiter
    = Lock(); waiter.acquire()`` under the table's lock, a waiter "born locked" that
    other threads wait on later) cannot block, so it is no edge of a cycle: holding the
    waiter while taking the table's lock elsewhere is then no inversion.

    Taking a lock the thread already holds orders nothing: with ``with self.lock,
    self.sessions:`` held, a helper's ``with self.lock:`` re-enters the RLock (and for a
    plain Lock it is TS203's self-deadlock), so it is no "sessions, then lock" edge.

    **Why is this bad**

    Thread 1 holds A and waits for B while thread 2 holds B and waits for A: both wait
    forever. It happens rarely, under load, and never in a debugger.

    **Example**

    ```python
    import threading

    accounts_lock = threading.Lock()
    audit_lock = threading.Lock()

    def transfer():
        with accounts_lock:
            with audit_lock:
                ...

    def report():
        with audit_lock:
            with accounts_lock:
                ...
    ```

    **Use instead**

    Always take the locks in one global order (document it), or use one lock for both:

    ```python
    import threading

    accounts_lock = threading.Lock()
    audit_lock = threading.Lock()

    def transfer():
        with accounts_lock:
            with audit_lock:
                ...

    def report():
        with accounts_lock:         # the same order everywhere
            with audit_lock:
                ...
    ```

    **Fix**

    None: the global lock order has to be chosen by the author.

    **References**

    Python docs, ``threading.Lock``; "lock ordering" in any concurrency text.
    """

    code = "TS205"
    name = "lock-order-inversion"
    summary = "two locks acquired in opposite orders: potential deadlock"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        facts = analysis.locks
        edges: dict[tuple[SymbolKey, SymbolKey], cst.CSTNode] = {}
        # Taking a lock the thread already holds adds no order: an RLock is re-entered
        # (``with self.lock, self.other:`` then a helper's ``with self.lock:``), and a
        # plain Lock deadlocks on itself, which is TS203's finding, not an inversion.
        for acquisition in facts.acquisitions:
            held_here = facts.held_locks(acquisition.state)
            if acquisition.lock in held_here:
                continue
            for held in sorted(held_here):
                edges.setdefault((held, acquisition.lock), acquisition.node)
        for site in analysis.regions.call_sites:
            held_here = facts.held_locks(site.state)
            for lock in sorted(facts.takes.get(site.callee, {})):
                if lock in held_here:
                    continue
                for held in sorted(held_here):
                    edges.setdefault((held, lock), site.call)
        for (first, second), node in edges.items():
            reverse = edges.get((second, first))
            if reverse is None:
                continue
            where = f"line {analysis.line_of(reverse)}"
            yield Finding(node, _inverted(display_name(first), display_name(second), where))

    def check_project(self, project: ProjectIndex) -> Iterator[ProjectFinding]:
        takes = _project_takes(project)
        edges: dict[tuple[str, str], _Edge] = {}
        for summary in project.modules.values():
            for acquires in summary.acquires.values():
                for lock, _, held, line, col, _ in acquires:
                    if lock in held:
                        continue  # re-entered (or TS203's self-deadlock): no order
                    for first in held:
                        edges.setdefault((first, lock), _Edge(summary.path, line, col, False))
            for line, col, held, _, lock, _, crossed in _taken_under(project, takes, summary):
                if lock in held:
                    continue
                for first in held:
                    known = edges.get((first, lock))
                    if known is None or (crossed and not known.crossed):
                        edges[(first, lock)] = _Edge(summary.path, line, col, crossed)
        for (first, second), edge in sorted(edges.items()):
            reverse = edges.get((second, first))
            if reverse is None:
                continue
            if not (edge.crossed or reverse.crossed or reverse.path != edge.path):
                continue  # both paths in one module, none through another: the module's own
            where = f"{reverse.path}:{reverse.line}"
            message = _inverted(_short(first), _short(second), where)
            yield ProjectFinding(edge.path, edge.line, edge.col, message)


# -- the project's lock facts, joined from the summaries --------------------------------


@dataclass(frozen=True)
class _Taken:
    reentrant: bool
    where: str  # "pkg/tasks.py:12"
    crossed: bool  # the acquisition is reached through another module
    restores: bool = False  # takes back a lock its function released first: no re-entry


@dataclass(frozen=True)
class _Edge:
    """Where a lock is taken while another is held: the first place seen, or the first
    whose chain crosses a module boundary."""

    path: str
    line: int
    col: int
    crossed: bool


def _short(lock: str) -> str:
    """``pkg.mod.Class._lock`` -> ``Class._lock`` (a project-wide lock name, shortened)."""
    return ".".join(lock.split(".")[-2:]) if lock.count(".") >= 2 else lock


def _taken_under(
    project: ProjectIndex, takes: dict[Node, dict[str, _Taken]], summary: FileSummary
) -> Iterator[tuple[int, int, list[str], Node, str, _Taken, bool]]:
    """For each call ``summary``'s module makes with locks held, each lock the callee
    takes through anything it calls: (line, column, held, callee, lock, how it is taken,
    whether the chain crosses a module boundary)."""
    for sites in summary.calls.values():
        for callee, held, line, col in sites:
            target = project.callee(summary.module, callee)
            if target is None or not held:
                continue
            for lock, taken in sorted(takes.get(target, {}).items()):
                crossed = taken.crossed or target[0] != summary.module
                yield line, col, held, target, lock, taken, crossed


#: ``_project_takes`` of each project index: TS203, TS205 and TS208 read the same one
_TAKES: weakref.WeakKeyDictionary[ProjectIndex, dict[Node, dict[str, _Taken]]] = (
    weakref.WeakKeyDictionary()
)


def _project_takes(project: ProjectIndex) -> dict[Node, dict[str, _Taken]]:
    """For every function of the project, the locks it or anything it calls acquires
    (computed once per index; the rules only read it)."""
    known = _TAKES.get(project)
    if known is None:
        known = _TAKES[project] = _compute_takes(project)
    return known


def _compute_takes(project: ProjectIndex) -> dict[Node, dict[str, _Taken]]:
    takes: dict[Node, dict[str, _Taken]] = {}
    for summary in project.modules.values():
        for function, acquires in summary.acquires.items():
            mine = takes.setdefault((summary.module, function), {})
            for lock, reentrant, _, line, _, restores in acquires:
                _take(mine, lock, _Taken(reentrant, f"{summary.path}:{line}", False, restores))
    calls = [
        ((summary.module, caller), target)
        for summary in project.modules.values()
        for caller, sites in summary.calls.items()
        for callee, _, _, _ in sites
        if (target := project.callee(summary.module, callee)) is not None
    ]
    changed = True
    while changed:
        changed = False
        for caller, callee in calls:
            mine = takes.setdefault(caller, {})
            for lock, taken in takes.get(callee, {}).items():
                crossed = taken.crossed or caller[0] != callee[0]
                if _take(mine, lock, replace(taken, crossed=crossed)):
                    changed = True
    return takes


class LockInFinalizer(Rule):
    """Flags a ``Lock`` taken in a ``__del__``, gc callback, weakref callback or signal
    handler when other code of the project holds it.

    **What it does**

    Finds blocking acquisitions of a non-reentrant ``threading.Lock`` in code the
    interpreter runs on its own initiative: ``__del__`` methods, functions registered
    with ``gc.callbacks``, weakref callbacks (``weakref.ref(obj, cb)``,
    ``weakref.finalize``, unless its callback is a bound method of the object, which
    keeps the object alive until exit) and ``signal.signal`` handlers (also when a
    helper of the module registers what it is handed: ``install_handlers(on_term)``), and
    the functions they call, in the module and in other modules of the project. It
    reports only a lock
    that code outside the finalizer also holds, and names that place: a function no
    finalizer reaches, or one of the finalizer's own functions that ordinary code calls
    too (a reload that a ``SIGHUP`` handler runs and the program runs at start-up: the
    signal may arrive while the main thread is inside it, holding its lock). A lock
    wrapper of the module (a class whose ``__enter__`` or ``acquire`` takes locks) counts
    as the locks it takes.

    Left alone: an ``RLock``; a lock only the finalizer's code takes; a non-blocking
    ``acquire(False)`` or ``acquire(timeout=...)``; a ``__del__`` taking a lock its own
    object made (``self._lock = Lock()`` in ``__init__``, or a new object of a lock
    wrapper of the module that makes its own locks, an annotated store ``self._lock:
    Lock = Lock()`` too; a teardown's ``self._lock = None``
    stores no other lock: nobody can hold the lock of an object that is being
    finalized); a lock an object makes for itself, taken in its
    methods when the finalizer's code calls them only on objects it builds
    (``parser = ConfigParser(); parser.read(path)`` in a reload a ``SIGHUP`` handler
    runs: the interrupted code never saw that object); a finalizer that only sets a flag
    or puts the work on a ``queue``; a coroutine the finalizer only makes and hands to
    an event loop (``run_coroutine_threadsafe(cleanup(), loop)``: the loop runs its body
    later; ``asyncio.run(cleanup())`` runs it there and counts); for a signal handler,
    a lock held elsewhere only on threads the project starts (in any module), which the
    interrupted main thread merely waits for; a place every route of the finalizers'
    code to it passes a function that takes the same lock first, at the top of its body
    before the call that leads on (a thread holding the lock deadlocks at that first
    place, which is the one reported; for a lock of an object, only when every take
    and call on the way is on ``self``: another object has another lock).

    **Why is this bad**

    The garbage collector runs when any thread allocates, and runs ``__del__`` and the
    callbacks on that thread, between two of its bytecodes; an object's last reference
    can go anywhere too, and a signal handler interrupts the main thread anywhere. When
    that thread was holding the lock, the finalizer waits for a release that only the
    thread it interrupted can do: the thread deadlocks on itself, and every other
    thread that needs the lock hangs behind it. The Python docs warn against taking
    locks in ``__del__`` for this reason.

    **Example**

    ```python
    import threading

    _registry_lock = threading.Lock()
    _open = set()

    class Connection:
        def __init__(self):
            with _registry_lock:
                _open.add(id(self))

        def __del__(self):
            with _registry_lock:
                _open.discard(id(self))
    ```

    **Use instead**

    An ``RLock``, which the interrupted thread may take again:

    ```python
    import threading

    _registry_lock = threading.RLock()
    _open = set()

    class Connection:
        def __init__(self):
            with _registry_lock:
                _open.add(id(self))

        def __del__(self):
            with _registry_lock:
                _open.discard(id(self))
    ```

    or no lock in the finalizer: hand the work to code that runs outside it.

    ```python
    import collections
    import threading

    _registry_lock = threading.Lock()
    _open = set()
    _closed = collections.deque()

    class Connection:
        def __init__(self):
            with _registry_lock:
                while _closed:
                    _open.discard(_closed.popleft())
                _open.add(id(self))

        def __del__(self):
            _closed.append(id(self))    # deque.append takes no lock of ours
    ```

    **Fix**

    None: an RLock, or moving the work out of the finalizer, is the author's choice.

    **References**

    Python docs, ``object.__del__`` ("... a lock or any other blocking resource may
    deadlock") and ``gc.callbacks``; tqdm issue 469; prometheus client_python issue 363.
    """

    code = "TS208"
    name = "lock-in-finalizer"
    summary = "__del__, gc/weakref callback or signal handler takes a Lock held elsewhere"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        code = analysis.finalizer_code
        if not code:
            return
        facts = analysis.locks
        ordinary = set(analysis.structure.functions) - code.keys()
        holders = _holders(analysis, ordinary)
        # a signal handler interrupts the main thread: a lock held only on threads the
        # module starts is one it merely waits for (nedo-vision-worker's client list,
        # held by its server thread, sixty-fifth set: judged false)
        main_holders = _holders(analysis, _main_side(analysis, ordinary))
        # the finalizer's code that ordinary code runs too: on any thread, or (for a
        # signal handler, which interrupts the main thread) outside started threads
        shared = {
            when: _holders(analysis, _run_outside_finalizers(analysis, code, when))
            for when in {finalizer.when for finalizer, _ in code.values()}
        }
        taken_first = _TakenFirst(analysis, code)
        for site in analysis.lock_sites:
            if site.func not in code or not is_lock(facts, site.lock):
                continue
            finalizer, path = code[site.func]
            held = main_holders if finalizer.when == MAIN_THREAD else holders
            holder = held.get(site.lock) or shared[finalizer.when].get(site.lock)
            if holder is None:
                continue
            if _own_lock(analysis, finalizer, site):
                continue
            if _lock_of_objects_it_builds(analysis, site, code):
                continue
            if taken_first.covers(site):
                continue
            shown = display_name(site.shown if site.shown is not None else site.lock)
            where = f"line {analysis.line_of(holder.node)}"
            via = [func.qualname for func in path[1:]]
            message = _finalizer_deadlock(finalizer.describe(), finalizer.when, via, shown, where)
            yield Finding(site.node, message)

    def check_project(self, project: ProjectIndex) -> Iterator[ProjectFinding]:
        roots = [
            ((summary.module, function), described)
            for summary in project.modules.values()
            for function, described in sorted(summary.finalizers.items())
        ]
        if not roots:
            return
        reached = _finalizer_code(project, roots)
        plain = {lock for s in project.modules.values() for lock in s.plain_locks}
        main_side = run_outside_started_threads(project)
        # lock -> the first place code holds it: any code, or the main thread's
        holders = _project_holders(project, reached, lambda node: True)
        main_holders = _project_holders(project, reached, main_side.__contains__)
        takes = _project_takes(project)
        for node, root in sorted(reached.items()):
            if node[0] != root[0]:
                continue  # reported where the chain leaves the finalizer's module
            summary = project.modules[node[0]]
            for callee, _, line, col in summary.calls.get(node[1], ()):
                target = project.callee(summary.module, callee)
                if target is None or target[0] == summary.module or not line:
                    continue
                describe, when = project.modules[root[0]].finalizers[root[1]]
                held = main_holders if when == MAIN_THREAD else holders
                for lock, taken in sorted(takes.get(target, {}).items()):
                    if taken.reentrant or lock not in plain or lock not in held:
                        continue
                    if root[1].endswith(".__del__") and lock.startswith(
                        f"{root[0]}.{root[1].rsplit('.', 1)[0]}."
                    ):
                        continue  # the finalized object's own lock: see _own_lock
                    message = _finalizer_deadlock(
                        describe, when, [target[1]], _short(lock), held[lock]
                    )
                    yield ProjectFinding(summary.path, line, col, message)


class _TakenFirst:
    """Which lock sites of a finalizer's code only a thread that already took the same
    lock can reach: every route from a finalizer to the site's function passes a
    function that takes that lock first, in a statement of its own body that runs before
    its call onwards. A thread holding the lock deadlocks at that earlier place and never
    gets to the site: only the earlier place is the finding (qkvm's reaper lock, taken
    by ``_reap_later`` before it calls ``_reap_in_place``, eighty-fifth set, and
    cybervisor's signal handler, sixty-seventh set: both judged redundant at the later
    place). A lock of an object (``self._lock``) counts only when every take and every
    call on the way is on ``self``: another object's lock is another lock.

    The calls and takes are indexed once per module, and each answer is kept."""

    def __init__(
        self,
        analysis: ModuleAnalysis,
        code: dict[FunctionInfo, tuple[Finalizer, list[FunctionInfo]]],
    ) -> None:
        self._roots = {finalizer.func for finalizer in analysis.finalizers}
        wrappers = analysis.lock_wrapper_methods
        #: callee -> caller -> the calls, for the calls ``finalizer_code`` follows
        self._callers: dict[FunctionInfo, dict[FunctionInfo, list[CallSite]]] = {}
        for call in analysis.regions.call_sites:
            if (
                call.func in code
                and call.callee in code
                and followed_into(call, wrappers, analysis.parent_of)
            ):
                by_caller = self._callers.setdefault(call.callee, {})
                by_caller.setdefault(call.func, []).append(call)
        self._takes: dict[tuple[FunctionInfo, SymbolKey], list[LockSite]] = {}
        for site in analysis.lock_sites:
            self._takes.setdefault((site.func, site.lock), []).append(site)
        self._answers: dict[tuple[FunctionInfo, SymbolKey], bool] = {}
        self._positions: dict[FunctionInfo, dict[int, tuple[int, int]]] = {}

    def covers(self, site: LockSite) -> bool:
        """Is ``site`` reached only after an earlier take of its lock on every route?"""
        if not _same_object(site.lock, site.node, site.func):
            return False
        return self._guarded(site.func, site.lock)

    def _guarded(self, func: FunctionInfo, lock: SymbolKey) -> bool:
        key = (func, lock)
        if key in self._answers:
            return self._answers[key]
        self._answers[key] = False  # a cycle, while it is being decided: not guarded
        callers = self._callers.get(func, {})
        answer = (
            func not in self._roots
            and bool(callers)
            and all(self._edge_guarded(caller, calls, lock) for caller, calls in callers.items())
        )
        self._answers[key] = answer
        return answer

    def _edge_guarded(self, caller: FunctionInfo, calls: list[CallSite], lock: SymbolKey) -> bool:
        if lock[0] != "global" and not all(_self_call(call) for call in calls):
            return False  # the callee may run on another object, with another lock
        takes = [
            take.node
            for take in self._takes.get((caller, lock), ())
            if _same_object(lock, take.node, caller)
        ]
        if takes:
            if caller not in self._positions:
                self._positions[caller] = _top_positions(caller)
            positions = self._positions[caller]
            first_call = min(positions.get(id(call.call), (-1, -1)) for call in calls)
            if any(take < first_call for take in _top_takes(caller, takes)):
                return True
        return self._guarded(caller, lock)


def _same_object(lock: SymbolKey, node: cst.CSTNode, func: FunctionInfo) -> bool:
    """Is the lock taken at ``node`` the one object its key names wherever it is taken:
    a module's lock, or the lock of ``self`` (``with self._lock:``, ``self._lock.acquire()``)?"""
    if lock[0] == "global":
        return True
    expression: cst.CSTNode | None = None
    if isinstance(node, cst.WithItem):
        expression = node.item
    elif (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "acquire"
    ):
        expression = node.func.value
    return (
        isinstance(expression, cst.Attribute)
        and own_attribute(expression, func.self_name or "") is not None
    )


def _self_call(call: CallSite) -> bool:
    """``self.method(...)``: the callee runs on the caller's own object."""
    node = call.call
    return (
        call.through is None
        and isinstance(node, cst.Call)
        and own_attribute(node.func, call.func.self_name or "") is not None
    )


def _top_positions(caller: FunctionInfo) -> dict[int, tuple[int, int]]:
    """Where each node of ``caller``'s body runs, by the statement at the top of the body
    that holds it and, in a ``with``, its item (the items run in order, then the body),
    keyed by ``id``: one walk of the function."""
    node = caller.node
    if not isinstance(node, cst.FunctionDef) or not isinstance(node.body, cst.IndentedBlock):
        return {}
    positions: dict[int, tuple[int, int]] = {}
    for index, statement in enumerate(node.body.body):
        if isinstance(statement, cst.With):
            parts: list[cst.CSTNode] = [*statement.items, statement.body]
            for part_index, part in enumerate(parts):
                for inner in walk(part):
                    positions[id(inner)] = (index, part_index)
        else:
            for inner in walk(statement):
                positions[id(inner)] = (index, 0)
    return positions


def _top_takes(caller: FunctionInfo, takes: list[cst.CSTNode]) -> list[tuple[int, int]]:
    """Where ``caller`` takes the lock at the top of its body: an item of a ``with`` there,
    or a ``lock.acquire()`` statement there (one in an ``if``, a loop or a ``try`` may not
    run)."""
    node = caller.node
    if not isinstance(node, cst.FunctionDef) or not isinstance(node.body, cst.IndentedBlock):
        return []
    found: list[tuple[int, int]] = []
    for index, statement in enumerate(node.body.body):
        if isinstance(statement, cst.With):
            for part_index, item in enumerate(statement.items):
                if any(item is take or item.item is take for take in takes):
                    found.append((index, part_index))
        elif any(bare_call(statement) is take for take in takes):
            found.append((index, 0))
    return found


def _project_holders(
    project: ProjectIndex, reached: dict[Node, Node], counts: Callable[[Node], bool]
) -> dict[str, str]:
    """The first place (``path:line``) each lock is held by a function outside the
    finalizers' code that ``counts``."""
    holding: dict[str, tuple[str, int]] = {}
    for summary in project.modules.values():
        for function, acquires in summary.acquires.items():
            node = (summary.module, function)
            if node in reached or not counts(node):
                continue
            for lock, _, _, line, _, _ in acquires:
                place = (summary.path, line)
                holding[lock] = min(holding.get(lock, place), place)
    return {lock: f"{path}:{line}" for lock, (path, line) in holding.items()}


def _holders(analysis: ModuleAnalysis, functions: set[FunctionInfo]) -> dict[SymbolKey, LockSite]:
    """The first place each lock is taken in ``functions``."""
    found: dict[SymbolKey, LockSite] = {}
    for site in analysis.lock_sites:
        if site.func in functions:
            found.setdefault(site.lock, site)
    return found


def _main_side(analysis: ModuleAnalysis, ordinary: set[FunctionInfo]) -> set[FunctionInfo]:
    """The functions of ``ordinary`` that the main thread can run: those no thread the
    module starts runs, and what they call."""
    callees: dict[FunctionInfo, list[FunctionInfo]] = {}
    for site in analysis.regions.call_sites:
        callees.setdefault(site.func, []).append(site.callee)
    pending = [func for func in ordinary if not analysis.reach.entries.get(func)]
    reached = set(pending)
    while pending:
        for callee in callees.get(pending.pop(), ()):
            if callee in ordinary and callee not in reached:
                reached.add(callee)
                pending.append(callee)
    return reached


def _run_outside_finalizers(
    analysis: ModuleAnalysis,
    code: dict[FunctionInfo, tuple[Finalizer, list[FunctionInfo]]],
    when: str,
) -> set[FunctionInfo]:
    """The functions of the finalizers' code that ordinary code runs too: called, through
    the module's calls, from a function no finalizer reaches (``AppConfig.save()``, which a
    SIGHUP handler's reload calls and so does the program's own code). The thread a
    finalizer interrupts may be inside one of them, holding its locks. A signal handler
    interrupts the main thread only: callers that run on a thread the module starts
    (a watcher that reloads too) hold the lock on another thread, which the handler
    merely waits for."""
    callees: dict[FunctionInfo, list[FunctionInfo]] = {}
    for site in analysis.regions.call_sites:
        callees.setdefault(site.func, []).append(site.callee)
    reached: set[FunctionInfo] = set()
    main_only = when == MAIN_THREAD
    pending = [
        func
        for func in callees
        if func not in code and not (main_only and analysis.reach.entries.get(func))
    ]
    seen = set(pending)
    while pending:
        func = pending.pop()
        for callee in callees.get(func, ()):
            if callee in code:
                reached.add(callee)
            if callee not in seen:
                seen.add(callee)
                pending.append(callee)
    return reached


def _finalizer_code(project: ProjectIndex, roots: list[tuple[Node, list[str]]]) -> dict[Node, Node]:
    """Every project function a finalizer runs, with the first finalizer that reaches it."""
    reached: dict[Node, Node] = {}
    for root, _ in roots:
        if root in reached:
            continue
        reached[root] = root
        queue = [root]
        while queue:
            node = queue.pop()
            summary = project.modules.get(node[0])
            if summary is None:
                continue
            for callee, _, _, _ in summary.calls.get(node[1], ()):
                target = project.callee(node[0], callee)
                if target is not None and target not in reached:
                    reached[target] = root
                    queue.append(target)
    return reached


def _own_lock(analysis: ModuleAnalysis, finalizer: Finalizer, site: LockSite) -> bool:
    """Does a ``__del__`` take its own object's lock, one that every class whose objects
    run this ``__del__`` makes fresh (``self._lock = Lock()`` in ``__init__``)? Nobody
    can hold the lock of an object that is being finalized."""
    cls = finalizer.func.cls
    key = site.shown
    if finalizer.func.name != "__del__" or cls is None or key is None or key[0] != "attr":
        return False
    structure = analysis.structure
    runs_it = [
        other
        for other in structure.classes.values()
        if cls in structure.class_bases(other)
        and structure.method(other, "__del__") is finalizer.func
    ]
    classes = {c for other in runs_it for c in structure.class_bases(other)}
    return _made_per_object(analysis, classes, key)


def _made_per_object(
    analysis: ModuleAnalysis,
    classes: Iterable[ClassInfo],
    key: SymbolKey,
    seen: frozenset[str] = frozenset(),
) -> bool:
    """Is ``key`` an attribute of these classes that each of their objects sets to a new
    lock of its own (``self._lock = Lock()``, every store of it alike), not a lock of the
    class or one handed in? A new object of one of the module's lock wrappers whose
    locks are its own in turn counts (``self._lock = _ProcessAwareLock()``, whose
    ``__enter__`` takes the ``threading.Lock`` each wrapper makes: remote-cmd-manager,
    twenty-ninth set)."""
    classes = list(classes)
    if key[1] not in {c.qualname for c in classes}:
        return False
    made = [
        fresh
        for c in classes
        for method in c.methods.values()
        for fresh in _assignments_to_self(analysis, method, key[2], seen)
    ]
    return bool(made) and all(made)


def _new_own_lock_wrapper(
    analysis: ModuleAnalysis, value: cst.BaseExpression, func: FunctionInfo, seen: frozenset[str]
) -> bool:
    """``Wrapper()``: a new object of a lock wrapper of the module (its ``__enter__`` or
    ``acquire`` takes locks) every lock of which each wrapper makes for itself."""
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
        return False
    structure = analysis.structure
    cls = structure.class_named(value.func.value, func)
    if cls is None or cls.qualname in seen:
        return False
    taken: set[SymbolKey] = set()
    for name in ("__enter__", "acquire"):
        method = structure.method(cls, name)
        if method is not None:
            taken.update(analysis.locks.takes.get(method, {}))
    bases = list(structure.class_bases(cls))
    inner = seen | {cls.qualname}
    return bool(taken) and all(
        lock[0] == "attr" and _made_per_object(analysis, bases, lock, inner) for lock in taken
    )


def _lock_of_objects_it_builds(
    analysis: ModuleAnalysis,
    site: LockSite,
    code: dict[FunctionInfo, tuple[Finalizer, list[FunctionInfo]]],
) -> bool:
    """Does a finalizer's code take, in a method, a lock its object makes for itself
    (``self.lock = Lock()``), on objects only the finalizer's code builds: every call
    that reaches the method from that code is on a local bound to ``Cls(...)`` there
    (``parser = ConfigParser(); parser.read(path)`` in a reload a signal handler runs)?
    The interrupted code never saw that object, so it cannot hold its lock."""
    func = site.func
    cls = func.cls
    key = site.shown if site.shown is not None else site.lock
    if cls is None or func.self_name is None or key[0] != "attr" or len(code[func][1]) < 2:
        return False
    if not _made_per_object(analysis, analysis.structure.class_bases(cls), key):
        return False  # a lock of the class, or one handed in: shared with older objects
    if not any(
        isinstance(node, cst.Attribute)
        and node.attr.value == key[2]
        and isinstance(node.value, cst.Name)
        and node.value.value == func.self_name
        for node in walk(site.node)
    ):
        return False  # ``other.lock``: another object's
    return _reached_on_built_objects(analysis, func, code, set())


def _reached_on_built_objects(
    analysis: ModuleAnalysis,
    method: FunctionInfo,
    code: dict[FunctionInfo, tuple[Finalizer, list[FunctionInfo]]],
    seen: set[FunctionInfo],
) -> bool:
    """Is every call of ``method`` in finalizer code made on an object the calling
    function built (or on ``self`` in a method that is itself reached only so)?"""
    if method in seen:
        return True
    seen.add(method)
    calls = [s for s in analysis.regions.call_sites if s.callee is method and s.func in code]
    if not calls or code[method][1][0] is method:
        return False  # the finalizer itself: its object is the one being finalized
    for site in calls:
        if site.implicit or not isinstance(site.call, cst.Call):
            return False
        receiver = site.call.func
        if not (isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name)):
            return False
        name = receiver.value.value
        if name == site.func.self_name and site.func.cls is method.cls:
            if not _reached_on_built_objects(analysis, site.func, code, seen):
                return False
        elif not built_here(name, site.func, analysis.structure):
            return False
    return True


_NEW_LOCKS = (Kind.LOCK, Kind.RLOCK)


def _assignments_to_self(
    analysis: ModuleAnalysis, method: FunctionInfo, attr: str, seen: frozenset[str] = frozenset()
) -> list[bool]:
    """For each ``self.<attr> = value`` (or ``self.<attr>: T = value``) in ``method``: is
    the value a new lock (or a new wrapper of locks of its own)? ``self.<attr> = None``
    (a teardown dropping the lock) stores no lock and is not counted."""
    found = []
    for node in walk(method.node, skip=NOT_RUN):
        if isinstance(node, cst.Assign):
            written_targets = [target.target for target in node.targets]
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            written_targets = [node.target]  # dxcam's ``self.__lock: LockType = Lock()``
        else:
            continue
        for written in written_targets:
            if (
                isinstance(written, cst.Attribute)
                and written.attr.value == attr
                and isinstance(written.value, cst.Name)
                and written.value.value == method.self_name
            ):
                value = node.value
                assert value is not None
                if isinstance(value, cst.Name) and value.value == "None":
                    continue
                made = analysis.symbols.kind_of(value, method)
                found.append(
                    (isinstance(value, cst.Call) and made in _NEW_LOCKS)
                    or _new_own_lock_wrapper(analysis, value, method, seen)
                )
    return found


def _take(found: dict[str, _Taken], lock: str, candidate: _Taken) -> bool:
    """Record how ``lock`` is taken unless known; a restoring acquisition gives way to
    one that takes the lock afresh (as ``LockFacts`` does). Did ``found`` change?"""
    known = found.get(lock)
    if known is not None and (candidate.restores or not known.restores):
        return False
    found[lock] = candidate
    return True


RULES: list[type[Rule]] = [ReentrantLockAcquire, LockOrderInversion, LockInFinalizer]
