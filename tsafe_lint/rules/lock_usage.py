"""Rules about taking and releasing locks by hand, and locks that protect nothing:
TS201, TS202, TS204."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libcst as cst

from tsafe_lint.analysis import (
    LOCKLIKE,
    MUTEXES,
    Kind,
    MethodCall,
    ModuleAnalysis,
    SymbolKey,
    block,
    display_name,
    is_blocking_acquire,
    is_lock_wrapper_name,
    kind_of_factory,
)
from tsafe_lint.analysis.names import looks_like_class, looks_like_constant
from tsafe_lint.analysis.reachability import passed_for
from tsafe_lint.analysis.scopes import FunctionInfo, final_name, local_values
from tsafe_lint.analysis.symbols import SymbolInfo, counts_signals, means_builtin
from tsafe_lint.analysis.tree import NOT_RUN, variable_names, walk
from tsafe_lint.rules.after_acquire import (
    acquired_flag_test,
    checks_out,
    ends_process,
    enter_fails_holding,
    handed_to_returned_call,
    handed_to_started_thread,
    hands_over,
    released_after,
    released_only_for,
    restored_inside_with,
)
from tsafe_lint.rules.base import Finding, Rule, snippet
from tsafe_lint.rules.fix_builders import is_release_of, with_block_fix
from tsafe_lint.rules.realistic_raise import (
    realistically_cannot_raise,
    value_realistically_cannot_raise,
)

FAMILY = "locks"

#: Locks with an owner: a failed non-blocking acquire() leaves the code unprotected.
_OWNED = frozenset({Kind.LOCK, Kind.RLOCK, Kind.CONDITION})


def _calling(analysis: ModuleAnalysis, method: str) -> set[tuple[object, SymbolKey]]:
    """``(function, lock)`` pairs where the function calls ``lock.<method>()``."""
    return {(c.func, c.target) for c in analysis.regions.method_calls if c.method == method}


class AcquireWithoutTryFinally(Rule):
    """Flags ``x.acquire()`` whose ``release()`` is not in the ``finally`` of a ``try`` after it.

    **What it does**

    Finds a lock, semaphore or condition acquired with ``acquire()`` and released later in
    the same function, where the release is not guaranteed: the acquire is not directly
    followed by ``try: ... finally: x.release()``. The ``finally`` may give the lock back
    through a function of the module it calls (``finally: self.unlock()``, up to three
    calls deep), by releasing it or by replacing it with a fresh one (a stop that hands
    out a new busy token: ``self._busy = Semaphore(1)``). A lock made on every call and used
    only in its function is left to TS204: no other thread sees it, so a leak of it
    blocks nobody. So is an object known as a lock only by its use that the function
    makes itself (``lock = FilesystemLock(path)``: a call of a capitalised name, by
    convention a class, or of a factory named for making one, ``create_daemon_lock``),
    never hands on (handing on a query, ``owner_guard=lock.is_held``, is not handing it
    on) and alone uses. Nor is a lock whose every
    acquire in the module is non-blocking with its result thrown away, that no ``with``
    holds, no ``locked()`` reads and nothing hands on: no thread ever waits for it, so
    a leak blocks nobody; TS207 reports the ignored result, the real defect.

    A conditional acquire counts with its result named as much as tested at once:
    ``got = x.acquire(timeout=t)`` followed by ``if got:`` runs the body with it held,
    as ``if x.acquire(timeout=t):`` does (and ``if not got: return`` the code after it).
    A release at the end of that body that an exception skips leaks the lock
    (mpservice's tee fork, whose ``next()`` of the source may raise: fifty-seventh set's
    misses). On the path that holds the lock ``got`` is true, so ``if got:`` runs and
    ``if not got:`` does not: past lines that cannot raise there (an owner store, ``if
    not got: ... return``), a ``try`` whose ``finally`` reaches ``if got:
    x.release()`` through lines that cannot raise is not reported, while ``got`` is bound
    once and is not a parameter, a global or a nested function's ``nonlocal`` (zoria's
    calibration wizard, ninety-fourth set). For an acquire
    that can give up (``blocking=False``, a timeout) the message asks for a
    ``finally:``, since ``with`` cannot time out.

    ``__enter__`` keeps the lock it takes for ``__exit__`` to release, so it is not
    asked to release it; but ``with`` calls ``__exit__`` only once ``__enter__`` has
    returned, so code after the acquire that fails in use, with no handler that gives
    the lock back and raises again, leaves it held for good (atomicio's ``SafeFile``:
    fifty-eighth set's misses). What counts is a second acquire that can fail (a file
    lock or a semaphore with a timeout; not the blocking acquire of a ``threading``
    lock, which waits), a ``wait()`` or ``result()``, and opening a file or a
    connection (``open``, ``connect``, ``create_connection``, ``urlopen``,
    ``request``); bookkeeping such as ``self._counts[ident()] += 1`` does not.
    A check-out is the same: a function that keeps what it acquired for its callers, each
    of which calls it as ``conn = self._acquire()`` right before a ``try`` whose
    ``finally`` gives the lock back. That ``finally`` covers only what runs once the
    check-out returned, so code after its acquire that fails in use (any call or
    ``raise``: a pool's factory whose connect fails) leaves the lock or permit held for
    good (sol-trade-sdk's connection pool: seventy-second set's misses).

    Nor is ``begun = False``, ``if cond: begun = True; x.acquire()`` followed by
    ``try: ... finally: if begun: x.release()``: a local flag set true only next to the
    acquire (false everywhere else, never a parameter) records that this call holds it.
    Nor, the same way, is ``sem = None``, ``if limit: sem = make(); sem.acquire()``
    followed by ``try: ... finally: if sem is not None: sem.release()``: the lock's own
    local, bound to ``None`` last before the branch, is the flag.

    Nor is a ``try`` whose every handler releases the lock and raises again, one of them
    catching everything (``except Exception: x.release(); raise``), followed by the
    release (past lines that cannot raise; under the same test when the acquire was
    under one, ``if not have_lock:``): every ordinary exception releases it. A branch that
    gives the lock back and leaves (``if self._stopping: x.release(); return``) does not
    count as code that fails, also inside a ``with`` of another lock.

    A semaphore made with nothing to take (``Semaphore(0)``) is a completion signal,
    not a lock: its ``acquire()`` waits for another thread's (a callback's)
    ``release()``, and holds nothing to give back, so it is not reported.

    **Why is this bad**

    If anything between ``acquire()`` and ``release()`` raises, the release never runs.
    The lock stays held forever and every other thread that needs it blocks: the program
    hangs, far away from the exception that caused it.

    **Example**

    ```python
    import threading

    lock = threading.Lock()

    def book_seat():
        lock.acquire()
        reserve()          # raises -> the lock is never released
        lock.release()
    ```

    **Use instead**

    ```python
    import threading

    lock = threading.Lock()

    def book_seat():
        with lock:
            reserve()
    ```

    or ``lock.acquire()`` immediately followed by ``try: ... finally: lock.release()``.

    **What may stand between**

    Only code that cannot fail in use may stand between the acquire (or the ``if not
    lock.acquire(timeout=t): return`` that tests it) and the ``try``, or the ``release()``
    itself. The line is drawn where strict reviewers of real code drew it: a leak is
    real when something there can fail as the program runs, not when only a caller's
    misuse (an unhashable key, a wrongly typed argument) could make it raise. An
    acquire alone in a ``try`` without handlers (``try: x.acquire() finally:
    self._count -= 1``) is followed by the ``finally``, then by the statement after the
    ``try``: both count as what stands between.

    Code that cannot fail in use: stores to and reads of names, attributes and
    containers (``self.count += 1``, ``self.cache[key] = entry``, ``d.pop(k, None)``),
    arithmetic and comparisons, builtins that only look at their arguments (``len``,
    ``str``, ``isinstance``, ``sorted`` of the function's own values), a list's, dict's,
    set's or string's own methods (``append``, ``popleft``, ``setdefault``, ``strip``...,
    known by name on anything but a caller's object or a call's result, except a fresh
    container's: ``list(d.values()).copy()``; ``get``,
    ``update``, ``add``, ``remove``, ``index``, ``join`` and ``format``, which other
    objects often have with another meaning, only on a container or string the module
    makes), clock, thread-identity and ``time.sleep`` calls, ``os.umask`` of an integer
    literal (``os.umask(0o077)``), a copy (``copy.copy``,
    ``copy.deepcopy``: a snapshot of the state; an object that cannot be copied fails on
    every call, not in use), building a ``Thread``,
    ``Timer``, lock, ``Event``, ``Queue`` or ``Future``, or a ``@dataclass`` of the module
    whose generated ``__init__`` only stores the fields (no bases, no ``__init__`` or
    ``__post_init__`` of its own, no field factory but an empty container), the
    ``get()``, ``set()`` and ``reset()`` of a ``contextvars.ContextVar`` the module makes,
    a ``with`` over a lock whose body
    does no more (waiting for a lock is no failure), a ``with contextlib.suppress(...)``
    whose body does no more but the errors it suppresses (``suppress(Exception)``: any;
    ``suppress(OSError)`` or ``ValueError``: a ``print``, which fails only on a closed or
    broken stream), a ``global`` declaration, a logging call on a
    logger (or a name bound only to a logger's method, called with positional
    arguments; or an attribute of the object every store of which is a logger's method
    or a do-nothing lambda, ``self._debug``, or one named like a logger's method that
    the module's class neither stores nor defines, set up by a base class of another
    module), ``set()``/``clear()``/``wait()`` of an Event, ``put()``/``get()`` of a
    Queue, a state query or an event's ``set()`` without arguments on any object but a
    caller's (``is_set()``, ``is_alive()``, ``locked()``, ``empty()``, ``qsize()``,
    ``set()``: they read or raise a flag), a method of a GTK or Qt widget the object
    builds for itself (``self._spinner = Gtk.Spinner()``) called with constants only
    (``self._button.set_sensitive(False)``; not Tk's, which raise off the main loop's
    thread), a socket's ``settimeout()`` or ``setblocking()`` with a constant (it stores the
    number; only a socket already closed refuses) and its ``gettimeout()`` or
    ``getblocking()`` (they read it back; not a method of the module's own class, nor on
    an attribute that may be None), ``notify()``/``wait()`` of the Condition just acquired, or
    of one a ``with`` of the same function takes (spelled the same, or the lock every
    construction of it was built on, on the same object) when only the code building the object
    binds it and nothing in the block, nor a module function it calls, gives a lock back or
    rebinds it (``with self._cond: self._n -= 1; self._cond.notify_all()``; not in a lambda or a
    generator expression; not ``wait_for()``, which runs a predicate), ``acquire()`` of another
    lock built by a known constructor (it waits, it does not fail), a thread's ``join()`` (it
    waits; joining the current thread or one never started is a program error) on a handle never
    set to None, or tested around it, a ``release()`` without arguments of anything but the held
    lock (it gives back what the code took; a ``RuntimeError`` there is a program error, not a
    failure in use), and a call of the module's own function or method whose body (followed
    three calls deep) does no more, or catches everything it does (``try: task() except
    Exception as e: self._on_error(e)``, with no ``raise`` in the handler), also through
    ``ctx.run(fn, ...)`` on a context copied for it (``contextvars.copy_context()``). ``if``,
    ``for`` and ``while`` statements count when their parts do. An ``acquire()`` followed by
    such statements and ``if test: return value`` blocks (test and value that cannot fail)
    before its ``release()`` leaks the lock through the return alone: TS202 reports that, and
    TS201 stays quiet.

    Code that fails in use, and is reported: ``raise`` and ``assert`` (but not an ``assert
    self.x is not None`` written for the type checker in a private, undecorated method
    every reference to which in the module is ``self.<method>`` standing under ``if self.x
    is not None:`` or after ``if self.x is None: return``, itself or through private
    callers three levels up, when nothing in the module but ``__init__`` binds an ``x``
    attribute of this class's objects (no setter, no ``close()`` or callback that clears
    it, no ``setattr``) and no method runs ``__init__`` again; a public method, a global,
    a local, a parameter, ``isinstance`` or any other test are still reported); a method of another
    object or a function of another module (it may do I/O, call back into user code, or
    raise by design); a caller's object (``ledger.append(x)`` on a parameter, a ``for`` over
    a caller's iterable, ``d[key]`` or ``del d[key]`` or ``d.pop(key)`` with a caller's key,
    which may be missing, unless an earlier statement of the block or an enclosing one
    stored it, ``if key not in d: d[key] = 0``, ``d[key] = v`` or ``d.setdefault(key, v)``
    (or every branch of an ``if`` does: ``d[p] = {k: []}``, then ``elif k not in d[p]:
    d[p][k] = []``), or it stands in the body of ``if key in d:`` (``d.keys()`` too) or in
    the ``else`` of ``if key not in d:``); ``open``, ``print`` (but in an ``except``
    handler, where it is the script's log line), ``int``, ``float``, ``next`` (but
    ``next(iter(d))`` under ``if d:`` or ``if len(d) > 0:``), ``getattr`` without a
    default and ``__import__``; a division by anything but a
    non-zero literal (``"%s" % x`` on a string literal formats, it does not divide); a
    ``for`` over an instance's dict or set that another method changes without this lock
    (``RuntimeError``: changed size during iteration); ``notify()`` of a Condition not held;
    an attribute that runs code (a ``__setattr__``, a store to a name ``__slots__`` leaves
    out, a descriptor other than a plain ``@property``, or a ``@property`` getter or setter
    that itself does any of this: plain properties are followed like the module's own
    methods); ``with``, ``yield``, ``await`` and ``import``; and ``return``, ``break`` or
    ``continue`` (they leave without the release). An ``if`` without ``else`` whose branch
    releases the lock and ends in ``return`` or ``raise`` counts only up to the release: the
    rest of the branch runs without the lock. ``with`` (or ``contextlib.ExitStack`` for
    several locks) says it is safe. The release may stand in a ``try`` of its own whose
    handlers ignore its error (``try: x.release()`` / ``except RuntimeError: pass``).

    **The statement run next**

    What counts is the statement run next with the lock held, not the next one in the
    block: an acquire at the end of an ``if``/``else`` branch is followed by the
    statement after the ``if`` (``if not lock.acquire(False): lock.acquire()`` then
    ``try:``), and an ``if`` on a name the path has just set to ``True``, ``False`` or
    ``None`` (``has_lock = True`` ... ``if not has_lock:``) goes the way that value
    says. Only the acquire's own path is judged: the other branches may reach the same
    ``try`` without the lock (a ``release()`` there raises ``RuntimeError``, which is
    not a leak and not this rule's business). Since they may, a ``try`` reached by
    leaving a branch must release the lock in its ``finally`` unconditionally; a
    release under a test there is a conditional acquire (below). A wait for the lock in
    a loop, ``while ...: if x.acquire(timeout=t): break``, goes on after the loop (the
    ``break`` skips the loop's ``else``). Otherwise the path is not
    followed out of a loop (it goes back), a ``with`` or a ``try`` (their exits run
    code). An ``if`` with an ``else`` whose test cannot raise and each branch of which
    releases first (``if self.reqs: lock.release() else: self.waiting = True;
    lock.release()``) is safe as well; so is one without ``else`` whose body releases
    first when the statements after it release first too (``if not ch.closed:
    lock.release(); ch.close()`` then ``if lock.locked(): lock.release()``, a test that
    the path holding the lock passes).

    A semaphore drained pass after pass (``for _ in range(n): sem.acquire()``, to wait
    until no worker holds a slot) and given back the same way right after (``for _ in
    range(n): sem.release()``) leaks nothing: each ``acquire()`` waits, none fails.
    Work between the two loops is judged like any other.

    Construction taking the object's own lock (``self._cv.acquire()`` in ``__init__`` or
    a method only it calls; not a ``setup()`` users call later) is left alone: the
    object is not published yet, so no other thread can wait for the lock, and an
    exception aborts the construction.

    **Conditional acquire**

    ``if level: lock.acquire()`` right before a ``try`` whose ``finally`` runs ``if
    level: lock.release()`` is safe when the two tests are the same and made of the
    function's local names, literals and the lock's own expression (an optional lock:
    ``if self._lock is not None:``), and nothing rebinds those names or stores to the
    lock's expression in between (in the ``try`` either): every path that acquired
    releases. A store to the lock's attribute from another thread would leak the lock
    whatever the test says, so testing it adds nothing the rule does not already
    assume. A test that reads another attribute (``if self.level:``) may change under
    another thread, and is reported, unless it is a setting fixed at construction:
    stored by ``__init__`` (or what only it calls) from one of its parameters and written
    nowhere else in the module (``if not self.multithreaded:``, flup's servers). The
    acquire may also be one that gives up without waiting: ``if sem: if not
    sem.acquire(False): raise Busy()`` then the same ``try``.

    **Restored inside a ``with``**

    Inside ``with cond:``, ``cond.release()``, a call-out, then ``cond.acquire()`` (in a
    ``finally``) takes back what the ``with`` holds: the ``with`` releases it on every
    exit, an exception's too, so that acquire is not reported. A restore of a lock no
    enclosing ``with`` holds is.

    **Release handed to a callback**

    ``sem.acquire()`` then ``try: future = pool.submit(job)`` whose handlers all
    release the lock, one of them catching everything (and re-raising), and whose
    ``else`` first registers a callback that releases it (``future.add_done_callback(
    lambda f: sem.release())``): every exception path releases, and the success path
    hands the release to the callback. A handler that catches only some exceptions, or
    a callback that releases anything else, is reported. The registration may also come
    right after ``submit`` inside the ``try``: ``future = None`` right before it, then
    ``future = pool.submit(job)`` on a thread or process pool the analysis knows, with
    arguments that run nothing, then ``future.add_done_callback(lambda f:
    sem.release())``; every handler begins with ``if future is None:`` whose body begins
    with the release, or catches only ``TimeoutError`` (which such a ``submit`` does not
    raise), and one that releases catches everything; no ``else`` or ``finally``, the
    lock taken once in the function, its local names bound once outside any loop. A task
    that times out keeps its slot until it ends (``callback_release.py``).

    **Release handed to the thread it starts**

    ``sem.acquire()``, then a Thread made in the function (``thread =
    threading.Thread(target=work)``), then ``try: thread.start()`` (or a Thread made and
    started on one line there: ``threading.Thread(target=work).start()``) whose handlers
    all release the lock, one of them catching everything, where ``work``
    (the module's own function, a closure too) releases it in the ``finally`` of a
    ``try`` in its own block (or in the block of a ``with`` there: ``with
    Heartbeat(...): try: ... finally: sem.release()``): a slot that caps concurrent
    workers, handed to the worker.
    So is a pool's ``submit(work)`` in that ``try`` (``future = executor.submit(work)``):
    the pool's worker runs ``work``, which gives the lock back however it ends. A target
    that releases it outside a ``finally`` is reported.
    When the ``try`` holds nothing but the hand-off (``pool.submit(work, a, b)``, or
    ``thread = Thread(...)`` and ``thread.start()``, on plain arguments), a handler of
    ``RuntimeError`` that gives the lock back first is enough: that is what ``start()``
    and ``submit()`` raise when they cannot hand the work over. Then the pool must not be
    one the module sets to None, a thread's name must be bound once, and ``work`` (not a
    coroutine or a generator) must release the lock first thing in the ``finally`` of a
    ``try`` that only lines that cannot fail come before.

    **Functions that hand the lock to their caller**

    A function that returns with the lock held on purpose (the caller releases it) is
    not asked for a ``finally`` when every exception after the acquire releases it: the
    acquire, in the function's own body, is followed (past lines that cannot raise) by
    a ``try`` without ``else`` whose every handler releases the lock and one of them
    catches everything (bare ``except:``, ``except BaseException`` or ``except
    Exception``), or whose ``finally`` releases it (``if not ok: lock.release()``); after
    the ``try`` only lines that cannot raise and a ``return`` of such a value may come.
    The acquire may also be inside the body of such a ``try`` of the function's own
    body whose every handler releases it (under a flag the function keeps, too) and
    raises again (``except BaseException: if held: sem.release()`` then ``raise``: a
    budget slot kept by the connection it paid for).
    A handler that does not release, or only some exceptions released, is reported.
    An acquire that ends the body of a ``try`` (without ``else`` or ``finally``) whose
    every handler ends with an acquire of the same lock or leaves (a probe without
    waiting, then a waiting acquire in the ``except`` that catches the probe's
    failure) holds the lock either way into the statement after the ``try``: a
    ``try``/``finally`` there that releases it is enough. A handler that goes on
    without the lock leaves nothing to release there, and the acquire is reported.

    **Methods that hand the lock to a release method**

    A two-phase protocol: a method returns with a lock of ``self`` held on some path
    (``get()`` on a cache miss keeps it while the caller builds the value) and another
    method of its class (or a base in the module) releases it without acquiring it
    (``finishPut()``), which the caller calls when done. The lock is handed from one
    method to the other, not leaked, so neither TS201 nor TS202 reports it. When no
    method of the class only releases the lock, nothing can release it, and it is
    reported; a method that never returns holding the lock is still asked to release
    it safely itself. A class that also has a method that only acquires the lock
    (``acquireLock()`` and ``releaseLock()``, a public lock API) pairs its release-only
    method with that one: a method that returns holding the lock on an error path
    (``return S_ERROR(...)`` inside its loop) leaks it, and is reported.

    **Functions whose job is to acquire**

    ``__enter__``, ``acquire``, ``lock`` and the like return with the lock held on
    purpose, so they are not asked for a ``finally``. But when such a function raises,
    its caller has nothing to release (``__exit__`` does not run when ``__enter__``
    raises): a ``try`` after the acquire whose handlers release the lock only for some
    exceptions (``except BackendError: lock.release(); raise``) leaks it on every other
    one, and is reported. A bare ``except:``, ``except BaseException`` or ``except
    Exception`` that releases, or a ``finally`` that does, covers them.

    **Fix**

    ``--fix --unsafe-fixes`` rewrites ``x.acquire()`` ... ``x.release()`` in one block
    into ``with x:`` around the statements between (only a bare ``acquire()`` on its own
    line, released by a ``release()`` line later in the same block, with no other
    release of it in between). Comments and formatting are kept.

    **Fix safety**

    Unsafe: it changes what the program does, so it applies only with
    ``--unsafe-fixes``. When a statement between ``acquire()`` and ``release()`` raises,
    the lock used to stay held (the leak this rule reports) and is now released; code
    that relied on that, such as an ``except`` that releases the lock itself, now
    releases it twice and raises ``RuntimeError`` instead of the original exception. A
    ``return``, ``break`` or ``continue`` between used to leave with the lock held, and
    now releases it.

    **References**

    The talk's "Synchronization Primitives - Lock" slides; Python docs, "Using locks,
    conditions, and semaphores in the with statement".
    """

    code = "TS201"
    name = "acquire-without-try-finally"
    summary = "acquire() not followed by try/finally release(): an exception leaks the lock"
    fixable = True
    fix_safety = "unsafe"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        unshared = unshared_local_locks(analysis)  # TS204's: a leak of one blocks nobody
        unwaited = _never_waited_for(analysis)  # ... nor of one nobody waits for
        last_release: dict[tuple[object, SymbolKey], int] = {}
        for index, event in enumerate(analysis.regions.method_calls):  # in source order
            if event.method == "release":
                last_release[(event.func, event.target)] = index
        for index, call in enumerate(analysis.regions.method_calls):
            if call.method != "acquire" or call.kind not in LOCKLIKE:
                continue
            if call.form not in ("statement", "if", "if-not") and acquired_flag_test(call) is None:
                continue
            if counts_signals(analysis.symbols.symbols.get(call.target)):
                continue  # ``Semaphore(0)``: waits for a signal, holds nothing to give back
            if call.target in unshared or call.target in unwaited:
                continue
            if _own_lock_in_set_up(call, analysis):
                continue
            if _made_here_for_this_call(call.target, call.func, analysis):
                continue  # a new object of this call, seen by no one else: blocks nobody
            if last_release.get((call.func, call.target), -1) < index:
                # no release after it here: a function that leaves it held, on purpose
                # when it is ``__enter__``, unless it raises after taking it
                failing = enter_fails_holding(call, analysis)
                if failing is not None:
                    why = "'__exit__' does not run when '__enter__' raises"
                    if call.func.name != "__enter__":
                        why = (
                            f"the callers' 'finally' runs only once '{call.func.name}' has returned"
                        )
                    yield Finding(
                        call.call,
                        f"'{display_name(call.target)}' stays held when {failing} raises: "
                        f"{why}, so nothing releases it; release it in an "
                        "'except BaseException:' that raises again"
                        f"{analysis.evidence(call.target)}",
                    )
                continue
            if is_lock_wrapper_name(call.func.name):
                caught = released_only_for(call, analysis)
                if caught is not None:
                    yield Finding(
                        call.call,
                        f"'{display_name(call.target)}' is released only when {caught} is "
                        f"raised; any other exception leaves it held, and no caller releases "
                        f"it after '{call.func.name}' raised: release it for every exception "
                        "(bare 'except:' or 'BaseException') before re-raising"
                        f"{analysis.evidence(call.target)}",
                    )
                continue
            if call.target in call.state.protected or restored_inside_with(call, analysis):
                continue
            if released_after(call, analysis) or hands_over(call, analysis):
                continue
            if leaks_only_by_return(call, analysis):
                continue  # TS202 reports the return; nothing between can raise
            advice = f"use 'with {_source_name(call)}:'"
            if not is_blocking_acquire(call.call):  # ``with`` cannot give up or time out
                advice = "release it in a 'finally:' that starts once the acquire succeeded"
            yield Finding(
                call.call,
                f"'{display_name(call.target)}.acquire()' is not followed by try/finally "
                f"releasing it; an exception leaks the lock: {advice}"
                f"{analysis.evidence(call.target)}",
                with_block_fix(call, analysis),
            )


def leaks_only_by_return(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """``lock.acquire()``, then statements that cannot fail and ``if test: return value``
    blocks (test and value that cannot fail either), then ``lock.release()``: the lock
    leaks through the return, which TS202 reports, and no exception can leak it, so
    TS201's claim would be wrong (tdhelper's socket queue, sixtieth set: judged false)."""
    if call.form != "statement":
        return False
    func, lock = call.func, call.target
    returned = False
    for statement in call.place.block[call.place.index + 1 :]:
        if is_release_of(statement, lock, analysis, call):
            return returned
        if realistically_cannot_raise(statement, analysis, func, lock):
            continue
        if not (
            isinstance(statement, cst.If)
            and statement.orelse is None
            and value_realistically_cannot_raise(statement.test, analysis, func)
        ):
            return False
        for inner in block(statement.body):
            if _plain_return(inner, analysis, func):
                returned = True
            elif not realistically_cannot_raise(inner, analysis, func, lock):
                return False
    return False


def _plain_return(
    statement: cst.BaseStatement, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """``return`` or ``return value`` whose value cannot fail."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return isinstance(small, cst.Return) and (
        small.value is None or value_realistically_cannot_raise(small.value, analysis, func)
    )


def _attribute_releasers(analysis: ModuleAnalysis) -> dict[str, set[FunctionInfo]]:
    """Who calls ``<object>.<name>.release()`` on an object whose class is not known
    there (a job handed to a worker: ``job.reqSentLock.release()``), by attribute name:
    the lock of that name may be the one acquired and kept elsewhere."""
    releasers: dict[str, set[FunctionInfo]] = {}
    for call in analysis.regions.calls:
        callee = call.call.func
        if (
            isinstance(callee, cst.Attribute)
            and callee.attr.value == "release"
            and not call.call.args
            and isinstance(callee.value, cst.Attribute)
            and analysis.symbols.key_of(callee.value, call.func) is None
        ):
            releasers.setdefault(callee.value.attr.value, set()).add(call.func)
    return releasers


def _release_if_held(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """``x.acquire(blocking=False)`` as a statement, its result ignored, right before
    ``x.release()``: leaves ``x`` released whether or not it was taken."""
    return (
        call.form == "statement"
        and not is_blocking_acquire(call.call)
        and is_release_of(call.place.following(), call.target, analysis, call)
    )


def _own_lock_in_set_up(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """``self._cv.acquire()`` in ``__init__`` or a helper only it calls: the object is
    not published yet, so no other thread can wait for its lock; an exception there
    aborts the construction and the lock goes with the object."""
    receiver = call.call.func.value if isinstance(call.call.func, cst.Attribute) else None
    return (
        _constructing(call.func, analysis)
        and isinstance(receiver, cst.Attribute)
        and isinstance(receiver.value, cst.Name)
        and receiver.value.value == call.func.self_name
    )


_CONSTRUCTORS = frozenset({"__init__", "__post_init__"})


def _constructing(func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """``__init__``, or a method only ``__init__`` calls (never handed out): code that
    runs before the object is published. Not a ``setup()`` users call later."""
    if func.name in _CONSTRUCTORS:
        return True
    if func.cls is None or func in analysis.regions.referenced:
        return False
    callers = [site.func for site in analysis.regions.call_sites if site.callee is func]
    return bool(callers) and all(caller.name in _CONSTRUCTORS for caller in callers)


def _source_name(call: MethodCall) -> str:
    func = call.call.func
    assert isinstance(func, cst.Attribute)
    return snippet(func.value)


class AcquireWithoutRelease(Rule):
    """Flags a lock acquired with ``acquire()`` that is not released on some path.

    **What it does**

    Finds ``x.acquire()`` on a ``Lock``, ``RLock`` or ``Condition`` in a function that
    never calls ``x.release()``, or that returns while holding it. A lock that another
    function of the module releases without taking it first is handed over (a busy
    token taken when work starts and released when it completes), and so is one that
    a function makes sure is released (``x.acquire(blocking=False); x.release()``), or
    that another function releases on an object whose class it does not show, by the
    attribute's name (``ticket.sent.release()`` on a ticket taken from a queue).
    Functions whose job is to acquire (``__enter__``, ``acquire``, ``lock``...) are left
    alone. Semaphores are not checked: acquiring one in a function and releasing it in
    another is normal signalling. Nor is a lock used as a one-shot claim: every acquire of it in the
    module is non-blocking and nothing releases it or holds it in a ``with`` (``if not
    self._claim.acquire(blocking=False): return`` in two methods racing to resolve one
    future: the first wins for good), nor a lock a stop method takes and keeps, a
    signal rather than a critical section's guard (no ``with`` holds it anywhere in the
    module): so that the worker's next try fails (``def stop(self):
    self._run.acquire(timeout=1)``, the loop ``if not self._run.acquire(blocking=False):
    break``), or to wait until a worker that holds it for its whole life has finished.

    Three designs return holding a lock on purpose and are left alone too. A function
    that hands the lock to its caller releases it on every exception after the acquire
    (a ``try`` whose handlers all release it, one of them catching everything, or whose
    ``finally`` does; see TS201, "Functions that hand the lock to their caller"). A
    method that returns holding a lock of ``self`` which another method of its class
    only releases (``get()`` then ``finishPut()``) is a two-phase protocol (TS201,
    "Methods that hand the lock to a release method"). And a
    function whose first use of the lock is ``x.release()`` (no acquire before it in the
    function) was entered holding it, by itself or inside ``with x:``: it releases the
    lock to let other threads in, works, and takes it back before returning, leaving
    the lock as it found it; its acquires of ``x`` are restores, not leaks. A check-out
    hands the lock out with its object: a function that takes the lock of a local object
    (``if conn.lock.acquire(blocking=False):``) and whose every ``return`` after it hands
    that object to the caller (``return conn``, ``return conn, True``) leaves the lock to
    whoever checked the object out, as a pool's callers give a connection back.

    An acquire helper is one too: a function that acquires a lock it is passed
    (``def _wait_for(self, lock): ... lock.acquire()``), never releases it, and whose
    every call in the module passes a lock that the calling function releases (``if not
    lock.acquire(blocking=False): self._wait_for(lock)`` then ``try: ... finally:
    lock.release()``). A helper nobody in the module calls, or a caller that keeps the
    lock, stays reported.

    A return right after starting a thread that took the lock over is a hand-off too:
    ``thread = Thread(target=run); thread.start(); return thread`` (or
    ``Thread(target=run).start()`` on one line), where ``run`` (a function of the module
    or a closure of this one) releases the lock in a ``finally`` (one operation at a
    time; a failed start releases it in a handler), or
    after a pool's ``submit(run)`` of such a function (``future = executor.submit(run)``,
    then ``return future.result(timeout=t)``: the pool's worker keeps the lock until
    ``run`` really ends). Another return that leaves with the lock, or a thread function
    that releases it without a ``finally``, is reported. A return of a call that
    releases the lock hands it over too: ``return self.wait_for_reply(n,
    _locked=True)``, where the module's ``wait_for_reply`` releases it (whether on
    every path is that function's finding).

    A return on the path where a timed or non-blocking acquire failed holds nothing:
    ``if not lock.acquire(blocking=False): return``, and the same through a local,
    ``acquired = lock.acquire(timeout=t)`` then ``if not acquired: return`` (also
    ``if acquired is False:``, ``if token is None:`` for a lock whose ``acquire()``
    returns a token or None, or the ``else`` of ``if acquired:``), is not reported.
    A loop that retries until it gets the lock (``while not lock.acquire(False):
    sleep()``, no ``break``; or ``while True:`` whose every ``break`` stands under ``if
    lock.acquire(timeout=t):``) leaves it held, and so does a call of a module function
    whose every normal return holds it.

    A lock made in the function that leaves it as a value (passed, stored, returned,
    its bound method handed on as ``on_event(lock.release)``, or captured by a lambda)
    is a signal another thread releases: ``lock.acquire(); on_click(lock.release);
    lock.acquire()`` waits for the click. It is not reported.

    A lock kept until the process ends is not leaked: ``if lock.acquire(blocking=False):
    os._exit(0)``, or an acquire whose block ends with ``os._exit()`` and returns nowhere
    before (a watchdog that must not end the process in the middle of a write the lock
    guards). ``sys.exit()`` only raises ``SystemExit``, so the lock outlives it: reported.

    **Why is this bad**

    A lock that is never released blocks every other thread that needs it, forever. With
    a plain ``Lock`` even the same thread deadlocks on its next ``acquire()``.

    **Example**

    ```python
    import threading

    lock = threading.Lock()

    def update(item):
        lock.acquire()
        if item is None:
            return          # returns with the lock held
        store(item)
        lock.release()
    ```

    **Use instead**

    ```python
    import threading

    lock = threading.Lock()

    def update(item):
        with lock:
            if item is None:
                return
            store(item)
    ```

    **Fix**

    Where a ``return`` leaves before the ``release()`` of the same block, ``--fix
    --unsafe-fixes`` rewrites ``x.acquire()`` ... ``x.release()`` into ``with x:`` around
    the statements between (only a bare ``acquire()`` on its own line, released by a
    ``release()`` line later in the same block, with no other release of it in between;
    TS201's fix, offered here when nothing between can raise and TS201 stays quiet). A lock
    never released gets no fix: where the ``release()`` belongs depends on what the
    function means to do.

    **Fix safety**

    Unsafe: it changes what the program does, so it applies only with
    ``--unsafe-fixes``. The ``return`` used to leave with the lock held, and now releases
    it; code that relied on that (a caller that releases it) now releases it twice.

    **References**

    The talk's "Lock" and "Semaphore" slides; Python docs, ``threading.Lock.release``.
    """

    code = "TS202"
    name = "acquire-without-release"
    summary = "lock acquired with acquire() is not released on every path"
    fixable = True
    fix_safety = "unsafe"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        released = _calling(analysis, "release")
        # a function that only releases (begin()/end() designs) releases for another one;
        # ``x.acquire(blocking=False); x.release()`` makes sure it is released, whoever
        # took it: a release too
        taking = {
            (c.func, c.target)
            for c in analysis.regions.method_calls
            if c.method == "acquire" and not _release_if_held(c, analysis)
        }
        released_elsewhere = {key for _, key in released - taking}
        # ``job.reqSentLock.release()`` on an object of unknown class, by the name: found
        # only when a lock is kept (most modules keep none)
        releasers: dict[str, set[FunctionInfo]] | None = None
        claims = _claim_tokens(analysis)
        exits: dict[tuple[object, SymbolKey], list[cst.Return]] = {}
        for exit_ in analysis.regions.early_exits:
            exits.setdefault((exit_.func, exit_.target), []).append(exit_.node)
        reported: set[tuple[object, SymbolKey]] = set()
        for call in analysis.regions.method_calls:
            if call.method != "acquire" or call.kind not in MUTEXES:
                continue
            if call.form not in ("statement", "if", "if-not", "assign"):
                continue
            slot = (call.func, call.target)
            if slot in reported or is_lock_wrapper_name(call.func.name):
                continue
            if call.call in analysis.locks.restores or hands_over(call, analysis):
                continue  # takes back a lock held on entry; hands it to the caller
            if checks_out(call, analysis):
                continue  # returns the object whose lock it took: the caller's to release
            name = display_name(call.target)
            if slot not in released:
                if call.target in analysis.regions.escaped or call.target in released_elsewhere:
                    continue  # handed to another function or thread, which releases it
                if call.target[0] == "attr":
                    if releasers is None:
                        releasers = _attribute_releasers(analysis)
                    if releasers.get(call.target[-1], set()) - {call.func}:
                        continue  # released by name where its object's class is unknown
                if call.target in claims:
                    continue  # a claim token: the first to take it wins, for good
                if _acquired_for_callers(call, analysis):
                    continue  # an acquire helper: each caller releases the lock it passed
                if _shutdown_claim(call, analysis):
                    continue  # a stop keeps a signal lock (a poller's next try fails, or a join)
                if _kept_until_exit(call, analysis):
                    continue  # the process ends holding it: nothing runs that needs it
                reported.add(slot)
                yield Finding(
                    call.call,
                    f"'{name}' is acquired here but never released in "
                    f"'{call.func.name}'; use 'with {_source_name(call)}:'"
                    f"{analysis.evidence(call.target)}",
                )
            elif slot in exits:
                # a return after starting a thread that releases it in a ``finally``, or
                # of a call that releases it, hands the lock over; any other return leaks it
                leaks = [
                    exit_
                    for exit_ in exits[slot]
                    if not handed_to_started_thread(exit_, call, analysis)
                    and not handed_to_returned_call(exit_, call, analysis)
                ]
                if not leaks:
                    continue
                reported.add(slot)
                line = analysis.line_of(leaks[0])
                yield Finding(
                    call.call,
                    f"'{name}' is acquired here but the return at line {line} leaves "
                    f"without releasing it; use 'with {_source_name(call)}:'"
                    f"{analysis.evidence(call.target)}",
                    with_block_fix(call, analysis)
                    if leaks_only_by_return(call, analysis)
                    else None,
                )


def _acquired_for_callers(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """``lock.acquire()`` of a parameter, never released in the function, where every call
    of the function in the module passes a lock that the calling function releases: a
    helper that waits for the caller's lock and returns holding it (sweet-tea's
    ``__block_until_admitted``, sixty-first set: judged false). A function nobody in the
    module calls, or a caller that does not release what it passed, keeps it reported."""
    receiver = call.call.func.value if isinstance(call.call.func, cst.Attribute) else None
    func = call.func
    if not isinstance(receiver, cst.Name) or receiver.value not in func.params:
        return False
    passed = passed_for(func, receiver.value, analysis.regions)
    if not passed:
        return False
    for argument_value, caller in passed:
        if argument_value is None:
            return False
        key = analysis.symbols.key_of(argument_value, caller)
        if key is None or not any(
            released.func is caller and released.method == "release" and released.target == key
            for released in analysis.regions.method_calls
        ):
            return False
    return True


def _claim_tokens(analysis: ModuleAnalysis) -> set[SymbolKey]:
    """Locks used as one-shot claims: every acquire of them in the module is non-blocking
    and nothing releases them or holds them in a ``with`` (PyAthena's ``if not
    self._claim.acquire(blocking=False): return`` in both ``run()`` and ``settle()``:
    whichever comes first resolves the future, the other backs off). Keeping it is the
    point."""
    return _only_non_blocking(analysis, "release", lambda call: True)


def _never_waited_for(analysis: ModuleAnalysis) -> set[SymbolKey]:
    """Locks whose every acquire in the module is non-blocking with its result thrown
    away (TS207 reports each), that no ``with`` holds, no ``locked()`` reads and nothing
    outside the module gets: whether they are held changes nothing but which
    ``release()`` raises, so a leak of one blocks no thread (clickhouse-driver's
    connection guard, forty-sixth set: judged debatable at its TS207's line)."""
    return _only_non_blocking(analysis, "locked", lambda call: call.form == "statement")


def _only_non_blocking(
    analysis: ModuleAnalysis, method: str, counts: Callable[[MethodCall], bool]
) -> set[SymbolKey]:
    """Locks whose every acquire in the module is non-blocking and passes ``counts``,
    that no ``with`` holds, no ``method`` call (``release``, ``locked``) uses and
    nothing outside the module gets."""
    acquires: dict[SymbolKey, list[bool]] = {}
    used: set[SymbolKey] = set()
    for call in analysis.regions.method_calls:
        if call.method == "acquire":
            fits = not is_blocking_acquire(call.call) and counts(call)
            acquires.setdefault(call.target, []).append(fits)
        elif call.method == method:
            used.add(call.target)
    used |= {e.target for e in analysis.regions.with_entries if e.target is not None}
    return {
        key
        for key, fits in acquires.items()
        if all(fits) and key not in used and key not in analysis.regions.escaped
    }


#: Words of a function that stops the object: what it keeps held is meant to stay held.
_STOPPING_WORDS = ("stop", "shutdown", "close", "terminate", "quit", "kill", "abort")


def _kept_until_exit(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """``if lock.acquire(blocking=False): os._exit(0)``, or an acquire followed in its
    block by code that ends with ``os._exit()`` and returns nowhere before: the process
    ends with the lock held, on purpose (subcortex's watchdog takes the lock the main
    thread writes its response under, so that it never exits mid-write; sixty-third
    set: judged false). ``sys.exit()`` only raises, so it stays reported."""
    place = call.place
    if call.form == "if":
        statement = place.statement
        return isinstance(statement, cst.If) and ends_process(
            list(block(statement.body)), call.func, analysis
        )
    if call.form not in ("statement", "assign"):
        return False
    rest = place.block[place.index + 1 :]
    returns = any(isinstance(node, cst.Return) for s in rest for node in walk(s, NOT_RUN))
    return not returns and ends_process(rest, call.func, analysis)


def _shutdown_claim(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """A stop that takes the lock and keeps it: so that the worker's next
    ``acquire(blocking=False)`` fails and its loop ends, or to wait until the worker,
    which holds it for its whole life, has finished (a ``join()`` made of a lock). The
    lock must be a signal, not a critical section's guard: no ``with`` holds it
    anywhere in the module and it is not handed on."""
    name = call.func.name.lower()
    if not any(word in name for word in _STOPPING_WORDS):
        return False
    if call.target in analysis.regions.escaped:
        return False
    return not any(entry.target == call.target for entry in analysis.regions.with_entries)


class UselessLock(Rule):
    """Flags a lock created in the ``with`` statement that uses it.

    **What it does**

    Finds ``with threading.Lock():`` (and ``RLock``, ``Semaphore``, ``Condition``...
    created in the ``with`` item itself), and ``lock = threading.Lock()`` in a function
    whose lock is used only there: never stored, returned, passed on, used by a nested
    function or bound as one's default value (``def finished(f, lock=lock):``, a done
    callback the pool's threads run), nor its bound method (``on_event(lock.release)``
    hands the lock to the thread that calls it).

    A local lock whose every use is a ``with`` over stores into the function's own
    locals only (``with lock: results[idx] = result``, where the pool's workers return
    their results), with no attribute, no name a nested function reads and no call but
    a conversion builtin (``errors[name] = str(exc)``), is dead code rather than a guard
    that misleads, and is not reported.

    A name bound to a fresh lock on one path and to another object on another (``if
    daemon: context = DaemonContext() else: context = threading.Lock()`` then ``with
    context:``) is a stand-in context manager, not a guard, and is not reported;
    ``contextlib.nullcontext()`` says so more clearly.

    **Why is this bad**

    Every execution (every call) creates a brand-new lock that no other thread can ever
    see, so acquiring it never waits: the block is not protected at all, while looking as if
    it were.

    **Example**

    ```python
    import threading

    def book_seat():
        with threading.Lock():
            reserve()
    ```

    **Use instead**

    Create the lock once, where every thread can reach it, and share it:

    ```python
    import threading

    seats_lock = threading.Lock()

    def book_seat():
        with seats_lock:
            reserve()
    ```

    **Fix**

    None: a module- or instance-level lock is a design choice. The right shape is in
    *Use instead*.

    **References**

    The talk's "Lock" slides.
    """

    code = "TS204"
    name = "useless-lock"
    summary = "lock created where it is used protects nothing"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for entry in analysis.regions.with_entries:
            item = entry.item.item
            if not isinstance(item, cst.Call):
                continue
            kind = kind_of_factory(analysis.structure.qualified_name(item.func, entry.func))
            if kind in LOCKLIKE:
                assert kind is not None
                yield Finding(
                    item,
                    f"a new {kind.value} is created for this 'with' and shared with no "
                    "other thread, so it protects nothing; create it once and share it",
                )
        yield from self._local_locks(analysis)

    def _local_locks(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        """Function-local locks that never leave the function."""
        for key, info in unshared_local_locks(analysis).items():
            assert info.kind is not None and info.created_at is not None
            yield Finding(
                info.created_at,
                f"'{display_name(key)}' is a new {info.kind.value} on every call, used only "
                "here: no other thread can see it, so it protects nothing; share one lock",
            )


def _made_here_for_this_call(key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is ``key`` a local that ``func`` binds only to new objects of a class
    (``lock = FilesystemLock(path)``) or of a factory named for making one, never hands
    on (a query such as ``lock.is_held`` may go), and alone uses? A lock known by
    its use, made on every call, is no other thread's: a leak of it blocks nobody
    (gridsync's single-instance file lock, forty-fifth set: judged false)."""
    if key[0] != "local" or key in analysis.regions.escaped:
        return False
    values = local_values(key[-1], func)
    if not values or not all(
        isinstance(value, cst.Call) and _names_a_class(value.func) for value in values
    ):
        return False
    return all(c.func is func for c in analysis.regions.method_calls if c.target == key)


def _names_a_class(callee: cst.BaseExpression) -> bool:
    """``FilesystemLock``, ``filelock.FileLock``: a capitalised name, by convention a class
    (not a constant such as ``LOCK``); or a factory named for making a new lock
    (``create_daemon_lock``, ``make_lock``: crazy-workers' daemon lock, fifty-eighth
    set), not one that may hand out a shared one (``get_lock``)."""
    name = final_name(callee)
    if name is None:
        return False
    if looks_like_class(name) and not looks_like_constant(name):
        return True
    words = name.lower().strip("_").split("_")
    return words[0] in _MAKING_VERBS and any("lock" in word for word in words[1:])


#: the first word of a factory that makes a new object on every call
_MAKING_VERBS = frozenset({"create", "make", "new", "build"})


def unshared_local_locks(analysis: ModuleAnalysis) -> dict[SymbolKey, SymbolInfo]:
    """Locks made in a function on every call and used only there (TS204): no other
    thread can see them, so they protect nothing, and a leak of one blocks nobody."""
    users: dict[SymbolKey, set[object]] = {}
    for call in analysis.regions.method_calls:
        users.setdefault(call.target, set()).add(call.func)
    for entry in analysis.regions.with_entries:
        if entry.target is not None:
            users.setdefault(entry.target, set()).add(entry.func)
    found: dict[SymbolKey, SymbolInfo] = {}
    for key, info in analysis.symbols.symbols.items():
        if key[0] != "local" or info.kind not in LOCKLIKE or not info.fresh:
            continue
        if info.evidence:
            continue  # known by its factory's name only: maybe another library's lock
        if key in analysis.regions.escaped or users.get(key) != {info.created_in}:
            continue
        if _stands_in(key[-1], info.created_at, info.created_in):
            continue  # ``else: context = Lock()`` for ``with context:``: a null context
        if _guards_frame_locals_only(key, analysis):
            continue
        found[key] = info
    return found


def _guards_frame_locals_only(key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Is every use of the local lock a ``with`` whose block only stores into the
    function's own locals (``results[idx] = result``) that no nested function reads,
    with no attribute and no call but a conversion builtin? Such a lock is dead code,
    not a guard that misleads: nothing another thread can reach stands under it
    (pyaccelerate's GPU dispatch, where the pool's workers return their results and the
    caller stores them: eightieth set; pactown's parallel sandbox creation, which also
    keeps ``str(exc)`` of a failed task: eighty-second set; all judged false)."""
    if any(call.target == key for call in analysis.regions.method_calls):
        return False
    entries = [entry for entry in analysis.regions.with_entries if entry.target == key]
    if not entries:
        return False
    captured_in: dict[str, set[str]] = {}
    for entry in entries:
        func = entry.func
        if func.qualname not in captured_in:
            captured_in[func.qualname] = {
                name
                for nested in analysis.structure.functions
                if nested.qualname.startswith(func.qualname + ".")
                for name in {n.value for n in variable_names(nested.node)}
                if not nested.is_local(name)
            }  # the nested functions' free names: the closure cells they read
        captured = captured_in[func.qualname]
        for statement in block(entry.node.body):
            if not isinstance(statement, cst.SimpleStatementLine) or not all(
                isinstance(small, (cst.Assign, cst.AugAssign)) for small in statement.body
            ):
                return False
            builtins = _builtin_calls(statement, func, analysis)
            for node in walk(statement):
                if isinstance(node, cst.Call) and node in builtins:
                    continue  # ``errors[name] = str(exc)``: a conversion of a local
                if isinstance(node, (cst.Call, cst.Attribute, cst.Await, cst.Lambda)):
                    return False
                if isinstance(node, cst.Name) and any(node is call.func for call in builtins):
                    continue
                if isinstance(node, cst.Name) and (
                    not func.is_local(node.value)
                    or node.value in func.params
                    or node.value in captured
                ):
                    return False
    return True


#: builtins that only convert or measure their arguments (``str(exc)``, ``len(batch)``)
_CONVERSIONS = frozenset(
    {"str", "repr", "len", "int", "float", "bool", "tuple", "list", "dict", "set", "sorted"}
)


def _builtin_calls(
    statement: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis
) -> list[cst.Call]:
    """The calls of a conversion builtin that no enclosing scope rebinds, in ``statement``."""
    return [
        node
        for node in walk(statement)
        if isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in _CONVERSIONS
        and means_builtin(node.func.value, func)
    ]


def _stands_in(name: str, created_at: cst.CSTNode | None, func: FunctionInfo | None) -> bool:
    """Is the local ``name`` bound, elsewhere in ``func``, to a value other than ``None``:
    the lock stands in for another object on some path (``if daemon: context =
    DaemonContext() else: context = threading.Lock()``)?"""
    if func is None or created_at is None:
        return False
    for statement in walk(func.node, NOT_RUN):
        if not isinstance(statement, (cst.Assign, cst.AnnAssign)) or statement is created_at:
            continue
        if statement.value is None or (
            isinstance(statement.value, cst.Name) and statement.value.value == "None"
        ):
            continue
        targets = (
            [t.target for t in statement.targets]
            if isinstance(statement, cst.Assign)
            else [statement.target]
        )
        if any(isinstance(t, cst.Name) and t.value == name for t in targets):
            return True
    return False


def _released_in_function(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """Does the acquire's function also release the same lock? Without a release there,
    ``ready.acquire(False)`` makes sure a gate lock (taken in ``__init__``, released by
    another method when the connection is ready) is held again: when it fails, the lock
    is held already, which is what the code wants."""
    identity = analysis.locks.identity(call.target)
    return any(
        other.method == "release"
        and other.func is call.func
        and analysis.locks.identity(other.target) == identity
        for other in analysis.regions.method_calls
    )


class AcquireResultIgnored(Rule):
    """Flags a non-blocking or timed ``acquire()`` whose result is thrown away.

    **What it does**

    Finds ``x.acquire(False)``, ``x.acquire(blocking=False)`` and ``x.acquire(timeout=...)``
    used as a statement on a lock or condition: the call returns ``False``
    when it did not get the lock, and nothing looks. ``acquire(1)`` (any non-zero
    ``blocking``) and ``timeout=-1`` wait as long as it takes, as ``acquire()`` does.

    **Why is this bad**

    When another thread holds the lock, the code below runs without it, unprotected, as
    if it had it; the ``release()`` that follows then raises ``RuntimeError``, far from
    the cause. A semaphore's ``acquire(False)`` is left alone: "take a permit if there is
    one" is a normal use (``multiprocessing.Event`` drains its flag that way). So is an
    acquire in a function that never releases that lock: ``self.ready.acquire(False)``
    in a reconnect makes sure a gate lock (released by another method once the
    connection is ready) is held again, and when the call fails it is held already.

    **Example**

    ```python
    import threading

    lock = threading.Lock()

    def flush(buffer):
        lock.acquire(False)
        try:
            buffer.clear()
        finally:
            lock.release()
    ```

    **Use instead**

    ```python
    import threading

    lock = threading.Lock()

    def flush(buffer):
        if not lock.acquire(False):
            return              # somebody else is flushing
        try:
            buffer.clear()
        finally:
            lock.release()
    ```

    **Fix**

    None: what to do when the lock is busy (skip, retry, wait) is the author's choice.

    **References**

    Python docs, ``threading.Lock.acquire``: "returns True if the lock is acquired".
    """

    code = "TS207"
    name = "acquire-result-ignored"
    summary = "non-blocking or timed acquire() whose result is ignored"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for call in analysis.regions.method_calls:
            if call.method != "acquire" or call.kind not in _OWNED:
                continue  # a semaphore's acquire(False) is "take one if there is one"
            if call.form != "statement" or is_blocking_acquire(call.call):
                continue
            if not _released_in_function(call, analysis):
                continue  # makes sure a gate lock is held: either outcome leaves it held
            shown = snippet(call.call)
            yield Finding(
                call.call,
                f"'{shown}' returns False when the lock is busy, and nothing looks: the code "
                f"below then runs without it and release() raises; use 'if {shown}:'"
                f"{analysis.evidence(call.target)}",
            )


RULES: list[type[Rule]] = [
    AcquireWithoutTryFinally,
    AcquireWithoutRelease,
    UselessLock,
    AcquireResultIgnored,
]
