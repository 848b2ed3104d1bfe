"""Rules about who owns a lock: TS209 (a release decided by ``locked()``)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import (
    FunctionInfo,
    Kind,
    MethodCall,
    ModuleAnalysis,
    SymbolKey,
    block,
    conjuncts,
    display_name,
    is_fork_hook,
)
from tsafe_lint.analysis.acquisitions import is_blocking_acquire
from tsafe_lint.rules.base import Finding, Rule, snippet

FAMILY = "locks"


class ReleaseIfLocked(Rule):
    """Flags ``if lock.locked(): lock.release()``: a release decided by ``locked()``.

    **What it does**

    Finds ``x.release()`` on a ``threading.Lock`` that runs because a test of
    ``x.locked()`` said the lock is held, directly (``if x.locked():``) or through a
    helper of the module that returns ``x.locked()`` (``if self.is_connected():``).

    **Why is this bad**

    ``locked()`` says that *some* thread holds the lock, not that this one does, and a
    ``Lock`` lets any thread release it. When another thread holds it, this code
    releases that thread's lock: the other thread goes on in its critical section
    unprotected, a third thread enters it too, and the owner's own ``release()`` later
    raises ``RuntimeError``. Clean-up code (``close()``, ``__exit__``, ``__del__``) that
    "releases the lock if it is held" does exactly this when an object that never took
    the lock is cleaned up while another one holds it.

    A function that runs in a forked child (registered with
    ``os.register_at_fork(after_in_child=...)`` in the module, or named as a fork hook:
    ``_after_fork``, ``_at_fork_reinit``) is left alone: the child has one thread, so a
    held lock there is an orphan of the parent's other threads.

    Nor is a private helper (``_unlock()``) that every caller in the module calls
    holding the lock it took itself: after its own ``acquire()``, in the ``finally``
    of a ``try`` that follows it, or after a call of a helper whose every normal return
    holds the lock (``while not lock.acquire(False) and not self._timed_out(start):``,
    where ``_timed_out`` returns false or raises). The releasing thread is then always
    the owner: the ``locked()`` test is redundant, not wrong. A public helper, one
    Python calls (``__del__``), or one handed on as a value may be called by code that
    does not hold the lock, and stays reported.

    **Example**

    ```python
    import threading


    class Connection:
        _lock = threading.Lock()

        def __enter__(self):
            self._lock.acquire()
            return self

        def close(self):
            if self._lock.locked():
                self._lock.release()
    ```

    **Use instead**

    ```python
    import threading


    class Connection:
        _lock = threading.Lock()

        def __init__(self):
            self._has_lock = False

        def __enter__(self):
            self._lock.acquire()
            self._has_lock = True
            return self

        def close(self):
            if self._has_lock:
                self._has_lock = False
                self._lock.release()
    ```

    An ``RLock`` knows its owner: its ``release()`` raises instead of releasing another
    thread's lock, so it is not reported. Nor is a release right after this thread's own
    blocking ``acquire()`` (``if x.locked(): x.acquire(); x.release()`` waits for the
    holder and gives back its own hold), nor one in a function that runs on one thread
    the module starts and is the only code that takes the lock (other code at most
    releases it): whoever holds it at the test is that thread. Nor is a Lock used as an
    atomic flag: every ``acquire()`` of it is a non-blocking try whose result its
    function returns at once (``return not self._open_lock.acquire(blocking=False)``,
    a test-and-set) and no ``with`` holds it; no code runs under it, so a release by
    any thread only clears the flag.

    **Fix**

    None: where the ownership is recorded depends on the code that acquires.

    **References**

    Python docs, ``threading.Lock.release``: "can be called from any thread, not only the
    thread which has acquired the lock"; ``Lock.locked``: "Return True if the lock is
    acquired" (by anyone).
    """

    code = "TS209"
    name = "release-if-locked"
    summary = "release() decided by locked(): it can release another thread's lock"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        releases = [
            call
            for call in analysis.regions.method_calls
            if call.method == "release" and call.kind is Kind.LOCK
        ]
        if not releases:
            return
        helpers = _locked_helpers(analysis)
        tests = {(c.func, c.target) for c in analysis.regions.method_calls if c.method == "locked"}
        callers = {
            (site.func, helpers[site.callee])
            for site in analysis.regions.call_sites
            if site.callee in helpers
        }
        tested = tests | callers
        candidates = [r for r in releases if (r.func, r.target) in tested]
        if not candidates:
            return  # no locked() test of a released lock in its function: nothing to find
        in_child = _fork_side(analysis)
        for release in candidates:
            if release.func in in_child or _owned_by_every_caller(release, analysis):
                continue
            if _gives_back_own_acquire(release, analysis) or _only_its_thread_takes_it(
                release, analysis
            ):
                continue
            if _used_as_flag(release.target, analysis):
                continue
            guard = _locked_guard(release, analysis, helpers)
            if guard is None:
                continue
            yield Finding(
                release.call,
                f"'{display_name(release.target)}.release()' runs because '{snippet(guard)}' "
                "says the lock is held, not that this thread holds it: it can release "
                "another thread's lock; record ownership when acquiring (a flag set after "
                f"acquire()) and release only that{analysis.evidence(release.target)}",
            )


def _used_as_flag(key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Is the lock an atomic flag rather than a lock around code: every ``acquire()`` of
    it in the module is a non-blocking try whose result its function returns at once
    (``def _is_open(self): return not self._open_lock.acquire(blocking=False)``: a
    test-and-set), and no ``with`` holds it? No thread waits for it and no code runs
    under it, so a release by another thread breaks no critical section; it only clears
    the flag (choreographer's browser, seventy-third set: judged false)."""
    if any(entry.target == key for entry in analysis.regions.with_entries):
        return False
    acquires = [
        call
        for call in analysis.regions.method_calls
        if call.target == key and call.method == "acquire"
    ]
    return bool(acquires) and all(
        not is_blocking_acquire(call.call) and _returned(call.call, analysis) for call in acquires
    )


def _returned(call: cst.Call, analysis: ModuleAnalysis) -> bool:
    """``return x.acquire(False)`` or ``return not x.acquire(False)``: the function only
    answers whether it took the flag."""
    parent = analysis.parent_of(call)
    if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
        parent = analysis.parent_of(parent)
    return isinstance(parent, cst.Return)


def _owned_by_every_caller(release: MethodCall, analysis: ModuleAnalysis) -> bool:
    """Is ``release`` in a private helper that every caller calls holding the lock it
    took itself? Then the ``locked()`` test is redundant, not wrong."""
    func = release.func
    if not func.name.startswith("_") or func.name.startswith("__"):
        return False  # public, or a dunder Python calls: callers unknown
    return release.target in analysis.entry_held.get(func, frozenset())


def _gives_back_own_acquire(release: MethodCall, analysis: ModuleAnalysis) -> bool:
    """``if x.locked(): x.acquire(); x.release()``: the statement before the release is
    a blocking ``x.acquire()`` of this thread, so the release gives back its own hold (a
    wait for the holder: dtlpy's reporter, twenty-third set)."""
    previous = release.place.previous()
    if not isinstance(previous, cst.SimpleStatementLine) or len(previous.body) != 1:
        return False
    small = previous.body[0]
    if not isinstance(small, cst.Expr):
        return False
    return any(
        other.call is small.value
        and other.method == "acquire"
        and other.target == release.target
        and not other.call.args
        for other in analysis.regions.method_calls
    )


def _only_its_thread_takes_it(release: MethodCall, analysis: ModuleAnalysis) -> bool:
    """``self.lock.acquire(); ...; if self.lock.locked(): self.lock.release()`` in a
    function that runs on one thread the module starts, and nothing else takes that lock
    (other code at most releases it): whoever holds it at the test is this thread, so
    the test is redundant, not wrong (remio's camera loop, thirty-third set)."""
    func = release.func
    if not analysis.reach.runs_on_thread(func) or analysis.reach.many(func):
        return False
    lock = analysis.locks.identity(release.target)
    takers = {a.func for a in analysis.locks.acquisitions if a.lock == lock}
    takers |= {
        call.func
        for call in analysis.regions.method_calls
        if call.method == "acquire" and analysis.locks.identity(call.target) == lock
    }
    return takers == {func}


def _locked_helpers(analysis: ModuleAnalysis) -> dict[FunctionInfo, SymbolKey]:
    """The module's functions whose whole body is ``return x.locked()``, with ``x``."""
    helpers: dict[FunctionInfo, SymbolKey] = {}
    for call in analysis.regions.method_calls:
        if call.method != "locked" or call.kind is not Kind.LOCK:
            continue
        node = call.func.node
        if not isinstance(node, cst.FunctionDef):
            continue
        body = list(block(node.body))
        if node.get_docstring(clean=False) is not None:
            body = body[1:]
        if (
            len(body) == 1
            and isinstance(body[0], cst.SimpleStatementLine)
            and len(body[0].body) == 1
            and isinstance(body[0].body[0], cst.Return)
            and body[0].body[0].value is call.call
        ):
            helpers[call.func] = call.target
    return helpers


def _fork_side(analysis: ModuleAnalysis) -> set[FunctionInfo]:
    """Functions that run in a forked child: fork hooks by name, functions the module
    registers with ``os.register_at_fork``, and what they call."""
    roots = [f for f in analysis.structure.functions if is_fork_hook(f)]
    for any_call in analysis.regions.calls:
        if any_call.qualified != "os.register_at_fork":
            continue
        for arg in any_call.call.args:
            target = analysis.resolve_function(arg.value, any_call.func)
            if target is not None:
                roots.append(target)
    return analysis.reached_from(roots)


def _locked_guard(
    release: MethodCall, analysis: ModuleAnalysis, helpers: dict[FunctionInfo, SymbolKey]
) -> cst.Call | None:
    """The ``x.locked()`` (or helper call) in the test of an ``if``/``while`` whose body
    holds ``release``; ``None`` when no such test encloses it."""
    child: cst.CSTNode = release.call
    node = analysis.parent_of(child)
    while node is not None and node is not release.func.node:
        if isinstance(node, (cst.If, cst.While)) and child is node.body:
            for operand in conjuncts(node.test):
                if tests_locked(operand, release, analysis, helpers):
                    assert isinstance(operand, cst.Call)
                    return operand
        child, node = node, analysis.parent_of(node)
    return None


def tests_locked(
    test: cst.BaseExpression,
    call: MethodCall,
    analysis: ModuleAnalysis,
    helpers: dict[FunctionInfo, SymbolKey],
) -> bool:
    """Is ``test`` ``x.locked()`` or a call of a helper returning it, for the lock ``call``
    releases (or, for TS201's ``if x.locked(): x.release()``, acquires)?"""
    if not isinstance(test, cst.Call) or test.args:
        return False
    if isinstance(test.func, cst.Attribute) and test.func.attr.value == "locked":
        return analysis.symbols.key_of(test.func.value, call.func) == call.target
    helper = analysis.resolve_function(test.func, call.func)
    return helper is not None and helpers.get(helper) == call.target


RULES: list[type[Rule]] = [ReleaseIfLocked]
