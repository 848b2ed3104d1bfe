"""Blocking while holding a lock: TS206."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import (
    AnyCall,
    Kind,
    ModuleAnalysis,
    argument,
    awaited_code,
    display_name,
    stays_away,
)
from tsafe_lint.analysis.scopes import FunctionInfo, ends_by_leaving
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule, snippet
from tsafe_lint.rules.done_futures import known_done
from tsafe_lint.rules.event_setters import (
    restored_before_release,
    sure_setters,
    woken_before_taken,
)
from tsafe_lint.rules.queue_feeders import (
    answering_feeders,
    retires_own_item,
    taken_when_not_empty,
)
from tsafe_lint.rules.try_only_locks import TryOnlyLocks

FAMILY = "locks"

#: Functions that wait for another thread.
_BLOCKING_FUNCTIONS = {
    "concurrent.futures.wait": "waits for other threads' futures",
}

#: (kind, method) -> (what it waits for, position of its timeout argument or None).
_BLOCKING_METHODS: dict[tuple[Kind, str], tuple[str, int | None]] = {
    (Kind.THREAD, "join"): ("waits for another thread to finish", 0),
    (Kind.FUTURE, "result"): ("waits for another thread's result", 0),
    (Kind.FUTURE, "exception"): ("waits for another thread's result", 0),
    (Kind.QUEUE, "get"): ("waits for another thread to put an item", 1),
    (Kind.QUEUE, "join"): ("waits for other threads to finish the queue's items", None),
    (Kind.EVENT, "wait"): ("waits for another thread to set the event", 0),
    (Kind.BARRIER, "wait"): ("waits for other threads at the barrier", 0),
    (Kind.CONDITION, "wait"): ("waits for another thread's notify", 0),
    (Kind.CONDITION, "wait_for"): ("waits for another thread's notify", 1),
    (Kind.THREAD_POOL, "shutdown"): ("waits for the pool's threads to finish", None),
}


class BlockingCallUnderLock(Rule):
    """Flags a call that blocks the thread while it holds a lock.

    **What it does**

    Finds, while a ``Lock``, ``RLock`` or ``Condition`` is held: ``thread.join()``,
    ``future.result()``, ``queue.get()``, ``event.wait()``, ``barrier.wait()`` without a
    timeout, a wait on *another* Condition, ``executor.shutdown()`` and
    ``concurrent.futures.wait()``: calls that wait for *another thread*. Objects are known
    by how they were made (``threading.Thread``, a subclass of it, ``queue.Queue()``,
    ``executor.submit()``...). A wait on the Condition that is held itself is its normal
    use and is not reported. Nor are ``time.sleep()``, subprocesses and network calls
    under a lock: they stall the other threads for a while but cannot wait for them (the
    talk's fixed seat-booking program sleeps under its lock to simulate work).

    **Why is this bad**

    Every other thread that needs the lock stops for as long as the call blocks. When the
    thread being waited for needs the same lock to finish (to put the item, set the
    event, leave ``run()``), both wait for each other forever: a deadlock that only
    shows under load.

    A ``join()`` or ``executor.shutdown()`` is not reported when the module shows the code
    it waits for and that code never takes the held lock: the thread is a ``Thread``
    subclass of the module (its ``run``), or ``Thread(target=...)`` / ``Timer(...,
    function)`` with a target the module defines or a bound method of another object the
    module does not define (``self.proxy.serve_forever``: that object's code), or a
    ``multiprocessing.Process`` when the held lock is a ``threading`` one (a child process
    cannot take it), everywhere the module stores a thread in that attribute; for a pool,
    the module submits tasks to it, each a function of the module or a bound method of
    another object (``producer.stop``). The lock must be private (``_lock``, a global or an
    attribute of the module, never handed on), so that no other module names it; and no code
    of the module reached from the awaited entries (through the module's call graph)
    acquires it, names it (``self.owner._lock``), or calls a function named like one of the
    module's functions that acquire it with arguments that could bind to its parameters
    (``sock.shutdown(how)`` cannot be the module's ``shutdown(self)``); a call the module
    resolves, ``self._impl.update(path)`` on an attribute that holds another of its classes,
    even one declared as a dataclass field, is that class's method, followed instead). Such
    a wait under the lock is deliberate serialisation of a shutdown (two ``shutdown()``
    calls joining in turn), and a thread that fails ends, so ``join()`` returns. A callback
    from another module back into the lock's owner is not followed.

    A ``join()`` with a timeout is reported only when the module shows that the joined
    thread's own code (its target and the module's functions it calls) takes a lock held
    at the join: the thread cannot finish while it is held, so the join always waits out
    its timeout, and the code after it runs while the thread is still at work (a
    recorder's writer whose last flush takes the lock ``stop()`` holds while it joins).
    Its first four findings, on packages it was not built from, were judged 3 true and 1
    false (bench/ts206_timed_join_triage.md): a thread that sleeps for an hour between
    passes times the join out whatever the lock.

    When the awaited code is not known (a thread passed in or made elsewhere, a target
    or task the module does not resolve, a pool it submits nothing to) or the lock is
    public, the finding stays: nothing shows that the awaited thread stays away from
    the lock, and an unbounded wait under a lock on unseen code is the deadlock this
    rule exists for. So it does for waits on events, queues and futures, whose setter
    is rarely known; the message names the missing timeout first and the deadlock only
    as one way the wait can fail, and suggests a timeout for the waits that take one
    (everything but ``queue.join()`` and ``executor.shutdown()``).

    A ``queue.get()`` is not reported when the module shows who answers: the queue is
    made by the module (``queue.Queue()``) and never handed on, every ``put`` into it is
    the module's own, each made whatever happens before it (a statement of its own that
    cannot fail, inside loops only, after code that cannot fail or a ``try`` whose
    ``except Exception:`` turns the failure into the result), and no code reached from
    the feeders takes or names the held lock. A worker pool that answers every item,
    errors included, always wakes the waiter. Nor is a ``get()`` that cannot wait: one
    that follows a test that the queue has an item, made holding a lock that every
    ``get`` of the queue in the module holds (``while not q.empty():`` or ``if
    q.qsize():`` with nothing between that calls other code, ``if q.empty(): return``
    right before it, or ``if q.empty(): if not self._refill(): return`` where
    ``_refill`` is a function of the module that puts into the queue); or a ``get()``
    whose item is dropped (a statement of its own) in a function that itself puts into
    the queue: the queue is that code's own bounded buffer and the ``get`` frees a slot
    of it. A ``get()`` that only waits (``done.get()`` for a worker's ``done.put(None)``)
    stays reported.

    An ``event.wait()`` is not reported when the event is made by the module (``ready =
    threading.Event()``, a local, or an attribute set in ``__init__`` or the class body;
    never cleared) and a thread the waiting function started before the wait sets it on
    every path, errors included (``try: ... except BaseException: ...; ready.set(); return``
    then ``ready.set()``, or a ``finally`` that sets it; or first thing, in a helper it
    calls or a coroutine it runs to completion:
    ``loop.run_until_complete(wait_stopped())``), and never takes or names the held lock: a
    thread that makes an event loop and says it is ready. A ``set()`` in a callback that may
    never run, or only on success, stays reported. Nor is it reported when every other taker
    of the held lock in the module sets the event first, earlier in its function
    (``shutdown()``: ``self.built.set()``, then ``with self.lock:``): whoever needs the lock
    wakes the waiter on the way. A taker that does not, or a lock handed out of the module's
    code, keeps it reported. Nor when the event is set whenever the lock is free: set
    where it is made (module or class body, ``__init__``), and its every ``clear()``
    made holding the lock inside a ``try`` whose ``finally`` sets it again (a decorator
    that runs one call at a time: ``with lock: event.wait(); try: event.clear(); ...
    finally: event.set()``). A clear without the lock, or one no ``finally`` undoes,
    keeps it reported.

    Nor is a wait under a lock used as a busy flag: every function of the module that
    takes it first leaves when it is held (``if self._busy.locked(): raise
    RuntimeError(...)``, then ``self._busy.acquire()``), and it is never handed out. A
    second caller raises instead of waiting, so nobody stalls behind it; one ``with`` of
    it, or an acquire without that test, keeps the wait reported. The same holds for a
    lock only one function takes, and only as ``if not self._consumer.acquire(
    blocking=False): raise RuntimeError("one consumer at a time")`` (arguments literals,
    nothing else in that branch), in no loop and no ``try`` of that function, which has
    no decorator, puts, sets or notifies nothing, is named nowhere else in the module,
    and whose refusal no ``except`` in a loop of the module catches around a ``next()``
    of it; its private name used only for that ``acquire``, ``release`` and one plain
    store of a new ``Lock()`` (``try_only_locks.py``). A ``with``, a waiting, timed or
    polling (``locked()``) use, a spin or a retry, a refused caller that waits for the
    holder's result, a second function or another receiver that tries it (one that feeds
    the awaited queue would be refused), a Condition wait on it, a use in a lambda, a class
    body or a string (``getattr``), or handing it out keeps the wait reported.

    A future's ``result()`` or ``exception()`` where the same future was just found
    done is not reported: a done future stays done, so the call returns (or raises) at
    once. That is the body of ``if f.done():`` (``done()`` one of the ``and``-ed
    tests), the ``else`` of ``if not f.done():``, and the code after ``if not
    f.done(): return`` (or ``raise``) in the same or an enclosing block. So is a
    future in the body of a loop over ``concurrent.futures.as_completed(...)``, which
    yields each future once it is done, or over the done set of ``wait(...)``
    (``done, pending = wait(fs)``); a loop over the pending set is still reported.
    ``wait(fs, timeout)`` with a timeout returns on its own and is not reported.

    **Example**

    ```python
    import threading

    class Live:
        def __init__(self):
            self._lock = threading.RLock()
            self._refresher = threading.Thread(target=self._refresh)

        def _refresh(self):
            with self._lock:
                ...

        def stop(self):
            with self._lock:
                self._refresher.join()      # _refresh may be waiting for _lock
    ```

    **Use instead**

    ```python
    import threading

    class Live:
        def __init__(self):
            self._lock = threading.RLock()
            self._refresher = threading.Thread(target=self._refresh)

        def _refresh(self):
            with self._lock:
                ...

        def stop(self):
            with self._lock:
                refresher = self._refresher
            refresher.join()
    ```

    Take what you need under the lock, release it, then wait (or wait with a timeout).

    **Fix**

    None: what may move out of the locked block depends on the code.

    **References**

    Python docs, ``threading.Thread.join`` and ``queue.Queue.get``; "Don't hold locks
    while blocking" in any concurrency text.
    """

    code = "TS206"
    name = "blocking-call-under-lock"
    summary = "waiting for another thread (join, result, get, wait) while holding a lock"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        busy: dict[tuple[str, ...], bool] = {}
        try_only = TryOnlyLocks(analysis)
        for call in analysis.regions.calls:
            held = analysis.locks.held_locks(call.state)
            for lock in held - busy.keys():
                busy[lock] = _busy_flag(lock, analysis) or try_only.nobody_waits(lock)
            held = {lock for lock in held if not busy[lock]}
            if not held:
                continue
            blocking = self._blocking(call, analysis, held)
            if blocking is None:
                stalled = _stalled_join(call, analysis, held)
                if stalled is not None:
                    yield stalled
                continue
            what, held, timed = blocking
            if not held:
                continue
            locks = ", ".join(f"'{display_name(lock)}'" for lock in sorted(held))
            it = "it" if len(held) == 1 else "them"
            unbounded = " with no timeout" if timed else ""
            advice = f"release {it} first"
            if timed:
                advice = f"pass a timeout or {advice}"
            yield Finding(
                call.call,
                f"'{snippet(call.call)}' {what}{unbounded} while {locks} "
                f"{'is' if len(held) == 1 else 'are'} held: if that never happens (the other "
                f"thread failed first, or needs {it} too), this thread and every thread that "
                f"needs {it} wait forever; {advice}",
            )

    def _blocking(
        self, call: AnyCall, analysis: ModuleAnalysis, held: set[tuple[str, ...]]
    ) -> tuple[str, set[tuple[str, ...]], bool] | None:
        """What the call waits for, which of the held locks it blocks, and whether it
        takes a timeout."""
        if call.qualified in _BLOCKING_FUNCTIONS:
            if _bounded(call.call, Kind.FUTURE, "wait", 1):  # wait(fs, timeout)
                return None
            return _BLOCKING_FUNCTIONS[call.qualified], held, True
        callee = call.call.func
        if not isinstance(callee, cst.Attribute):
            return None
        receiver = callee.value
        kind = _kind(receiver, call, analysis)
        if kind is None:
            return None
        known = _BLOCKING_METHODS.get((kind, callee.attr.value))
        if known is None:
            return None
        what, timeout_position = known
        if _bounded(call.call, kind, callee.attr.value, timeout_position):
            return None
        if kind is Kind.FUTURE and known_done(call.call, analysis):
            return None  # a done future's result() returns at once
        if kind is Kind.CONDITION:  # waiting releases the condition itself, nothing else
            key = analysis.symbols.key_of(receiver, call.func)
            if key is not None:
                held = held - {analysis.locks.identity(key)}
        if kind in (Kind.THREAD, Kind.THREAD_POOL):
            awaited = awaited_code(receiver, kind, call.func, analysis)
            if awaited is not None:  # the awaited code is known: the locks it never takes
                held = {lock for lock in held if not stays_away(lock, awaited, analysis)}
        if kind is Kind.EVENT:
            setters = sure_setters(call.call, receiver, call.func, analysis)
            if setters is not None:  # a thread started here sets it whatever happens
                held = {lock for lock in held if not stays_away(lock, setters, analysis)}
            held = {
                lock
                for lock in held
                if not woken_before_taken(receiver, call.func, lock, analysis)
                and not restored_before_release(receiver, call.func, lock, analysis)
            }
        if kind is Kind.QUEUE and taken_when_not_empty(call, receiver, analysis):
            return None  # the item the test saw under the lock is still there
        if (
            kind is Kind.QUEUE
            and callee.attr.value == "get"
            and retires_own_item(call, receiver, analysis)
        ):
            return None  # drops an item this function's own puts fill the queue with
        if kind is Kind.QUEUE:
            feeders = answering_feeders(receiver, call.func, analysis)
            if feeders is not None:  # every put is known and always made
                held = {
                    lock for lock in held if not stays_away(lock, feeders, analysis, public_ok=True)
                }
        return what, held, timeout_position is not None


def _stalled_join(
    call: AnyCall, analysis: ModuleAnalysis, held: set[tuple[str, ...]]
) -> Finding | None:
    """A ``join(timeout)`` of a thread whose own code (its target and what that calls in
    the module) takes a lock held here: the thread cannot finish while it is held, so the
    join waits out its timeout and what follows runs beside the still working thread
    (rosclient's recorder, sixty-eighth set's misses). Only a thread the module shows."""
    callee = call.call.func
    if not isinstance(callee, cst.Attribute) or callee.attr.value != "join":
        return None
    if _kind(callee.value, call, analysis) is not Kind.THREAD:
        return None
    awaited = awaited_code(callee.value, Kind.THREAD, call.func, analysis)
    if awaited is None or awaited.processes:
        return None
    reached = analysis.reached_from(awaited.entries)
    taken = sorted(
        lock for lock in held if any(lock in analysis.locks.takes.get(f, {}) for f in reached)
    )
    if not taken or not awaited.entries:
        return None
    name = display_name(taken[0])
    entry = min(func.qualname for func in awaited.entries)
    return Finding(
        call.call,
        f"'{snippet(call.call)}' waits for a thread running '{entry}', which takes "
        f"'{name}' itself, while '{name}' is held here: the thread cannot finish, so the "
        "join waits out its timeout and what follows runs while the thread still works; "
        f"release '{name}' before joining",
    )


def _busy_flag(lock: tuple[str, ...], analysis: ModuleAnalysis) -> bool:
    """A lock used as a busy flag: every function of the module that takes it refuses to
    run when it is held, before taking it (``if self._busy.locked(): raise
    RuntimeError(...)``), and it is never handed out. A second caller raises instead of
    waiting, so holding it across a wait stalls nobody."""
    if lock in analysis.regions.escaped or not any(
        tested.method == "locked" and analysis.locks.identity(tested.target) == lock
        for tested in analysis.regions.method_calls
    ):
        return False
    taken = [a for a in analysis.locks.acquisitions if a.lock == lock]
    return bool(taken) and all(_refused_before(a.node, a.func, lock, analysis) for a in taken)


def _refused_before(
    node: cst.CSTNode, func: FunctionInfo, lock: tuple[str, ...], analysis: ModuleAnalysis
) -> bool:
    """Does ``func`` leave, before ``node``, when the lock is held: ``if lock.locked():``
    whose body raises or returns?"""
    refusals = {
        id(tested.place.statement)
        for tested in analysis.regions.method_calls
        if tested.func is func
        and tested.method == "locked"
        and analysis.locks.identity(tested.target) == lock
        and isinstance(tested.place.statement, cst.If)
        and tested.place.statement.test is tested.call
        and ends_by_leaving(tested.place.statement.body)
    }
    for seen in walk(func.node, skip=NOT_RUN):
        if seen is node:
            return False
        if id(seen) in refusals:
            return True
    return False


def _kind(receiver: cst.BaseExpression, call: AnyCall, analysis: ModuleAnalysis) -> Kind | None:
    """The kind of the receiver; a subclass of ``threading.Thread`` of the module is a
    Thread."""
    info = analysis.symbols.info(receiver, call.func)
    if info is None:
        return None
    if info.kind is not None:
        return info.kind
    cls = info.instance_of
    structure = analysis.structure
    if cls is not None and any(
        structure.is_subclass_of(cls, base) for base in ("threading.Thread", "threading.Timer")
    ):
        return Kind.THREAD
    return None


def _bounded(call: cst.Call, kind: Kind, method: str, timeout_position: int | None) -> bool:
    """Does the call return on its own: a timeout, ``block=False``, ``wait=False``?"""
    if argument(call, None, "timeout") is not None:
        return True
    if timeout_position is not None and argument(call, timeout_position, "") is not None:
        return not _is_none(argument(call, timeout_position, ""))
    if kind is Kind.QUEUE and method == "get":
        block = argument(call, 0, "block")
        return block is not None and not _is_true(block)
    if kind is Kind.THREAD_POOL and method == "shutdown":
        wait = argument(call, 0, "wait")
        return wait is not None and not _is_true(wait)
    return False


def _is_none(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _is_true(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "True"


RULES: list[type[Rule]] = [BlockingCallUnderLock]
