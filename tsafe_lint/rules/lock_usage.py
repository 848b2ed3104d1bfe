"""Rules about taking and releasing locks by hand, and locks that protect nothing:
TS201, TS202, TS204."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from tsafe_lint.analysis import (
    LOCKLIKE,
    MUTEXES,
    FunctionInfo,
    Kind,
    MethodCall,
    ModuleAnalysis,
    SymbolKey,
    block,
    display_name,
    is_blocking_acquire,
    is_lock_wrapper_name,
    kind_of_factory,
    releases_in,
)
from tsafe_lint.rules.base import Finding, Rule, snippet
from tsafe_lint.rules.fix_builders import is_release_of, with_block_fix

FAMILY = "locks"

#: Locks with an owner: a failed non-blocking acquire() leaves the code unprotected.
_OWNED = frozenset({Kind.LOCK, Kind.RLOCK, Kind.CONDITION})


def _calling(analysis: ModuleAnalysis, method: str) -> set[tuple[object, SymbolKey]]:
    """``(function, lock)`` pairs where the function calls ``lock.<method>()``."""
    return {(c.func, c.target) for c in analysis.regions.method_calls if c.method == method}


def _released_by_finally(
    statement: cst.BaseStatement | None, key: SymbolKey, analysis: ModuleAnalysis, call: MethodCall
) -> bool:
    """Is ``statement`` a ``try`` whose ``finally`` releases ``key``?"""
    if not isinstance(statement, (cst.Try, cst.TryStar)) or statement.finalbody is None:
        return False
    for release in releases_in(statement.finalbody.body):
        assert isinstance(release.func, cst.Attribute)
        if analysis.symbols.key_of(release.func.value, call.func) == key:
            return True
    return False


class AcquireWithoutTryFinally(Rule):
    """Flags ``x.acquire()`` whose ``release()`` is not in the ``finally`` of a ``try`` after it.

    **What it does**

    Finds a lock, semaphore or condition acquired with ``acquire()`` and released later in
    the same function, where the release is not guaranteed: the acquire is not directly
    followed by ``try: ... finally: x.release()``.

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

    Only lines that cannot raise may stand between the acquire (or the
    ``if not lock.acquire(timeout=t): return`` that tests it) and the ``try``: ``pass``
    and assignments to local names of names, number and string literals (``-1`` too),
    the clock and thread-identity reads that take no argument (``time.monotonic()``,
    ``time.time()``, ``time.perf_counter()`` and their ``_ns`` forms,
    ``threading.get_ident()``, ``threading.get_native_id()``), ``+``, ``-`` and ``*`` of
    those, and ``a if x is None else b`` (an ``is``/``is not`` test of names):
    ``deadline = None if timeout is None else time.monotonic() + timeout``. Anything
    else can raise and leak the lock: any other call, an attribute read (a property may
    raise), a subscript, a truth test or ordering comparison, ``/``, ``//``, ``%`` and
    ``**`` (division by zero, overflow), and any store that is not to a local name.

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
        last_release: dict[tuple[object, SymbolKey], int] = {}
        for index, event in enumerate(analysis.regions.method_calls):  # in source order
            if event.method == "release":
                last_release[(event.func, event.target)] = index
        for index, call in enumerate(analysis.regions.method_calls):
            if call.method != "acquire" or call.kind not in LOCKLIKE:
                continue
            if call.form not in ("statement", "if", "if-not"):
                continue
            if last_release.get((call.func, call.target), -1) < index:
                continue  # no release after it here: a function that leaves it held
            if is_lock_wrapper_name(call.func.name):
                caught = _released_only_for(call, analysis)
                if caught is not None:
                    yield Finding(
                        call.call,
                        f"'{display_name(call.target)}' is released only when {caught} is "
                        f"raised; any other exception leaves it held, and no caller releases "
                        f"a lock its '{call.func.name}' failed to take: release it for every "
                        "exception (bare 'except:' or 'BaseException') before re-raising"
                        f"{analysis.evidence(call.target)}",
                    )
                continue
            if call.target in call.state.protected:
                continue
            if self._safe_follow_up(call, analysis):
                continue
            yield Finding(
                call.call,
                f"'{display_name(call.target)}.acquire()' is not followed by try/finally "
                f"releasing it; an exception leaks the lock: use 'with "
                f"{_source_name(call)}:'{analysis.evidence(call.target)}",
                with_block_fix(call, analysis),
            )

    def _safe_follow_up(self, call: MethodCall, analysis: ModuleAnalysis) -> bool:
        """Is the first statement run with the lock held a try/finally releasing it?
        Statements that cannot raise may stand between (``acquired = True``)."""
        first = _first_statement_held(call, analysis)
        block_, index = _block_and_index(call, first)
        while (
            first is not None
            and block_ is not None
            and _cannot_raise(first, analysis, call.func)
        ):
            index += 1
            first = block_[index] if index < len(block_) else None
        if _released_by_finally(first, call.target, analysis, call) or is_release_of(
            first, call.target, analysis, call
        ):
            return True
        # A retry loop: ``acquire(); if ready: break; release()`` -- the break leaves the
        # loop with the lock held, into the protected code after it.
        if call.form == "statement" and _is_bare_break_if(first):
            after = call.place.block[call.place.index + 2 : call.place.index + 3]
            return bool(after) and is_release_of(after[0], call.target, analysis, call)
        return False


#: Handlers that catch every exception a caller can reasonably expect: bare ``except:``,
#: ``BaseException`` and ``Exception`` (only ``KeyboardInterrupt`` and ``SystemExit`` pass).
_CATCH_ALL = frozenset({"BaseException", "Exception"})


def _released_only_for(call: MethodCall, analysis: ModuleAnalysis) -> str | None:
    """In a function whose job is to acquire (``__enter__``): the exceptions that the
    ``try`` right after the acquire releases the lock for, when they are not all of them
    (``except BackendError: lock.release(); raise``). The caller gets nothing to release
    when the function raises (``__exit__`` does not run when ``__enter__`` raises), so
    any other exception leaks the lock. ``None``: no such ``try``, or it covers all."""
    first = _first_statement_held(call, analysis)
    block_, index = _block_and_index(call, first)
    while first is not None and block_ is not None and _cannot_raise(first, analysis, call.func):
        index += 1
        first = block_[index] if index < len(block_) else None
    if not isinstance(first, cst.Try) or _released_by_finally(first, call.target, analysis, call):
        return None
    releasing = [
        handler
        for handler in first.handlers
        if any(
            isinstance(release.func, cst.Attribute)
            and analysis.symbols.key_of(release.func.value, call.func) == call.target
            for release in releases_in(handler.body)
        )
    ]
    if not releasing or any(_catches_all(handler.type) for handler in releasing):
        return None
    names = [snippet(handler.type) for handler in releasing if handler.type is not None]
    return " or ".join(f"'{name}'" for name in names)


def _catches_all(caught: cst.BaseExpression | None) -> bool:
    """``except:``, ``except Exception:``, ``except (OSError, BaseException):``."""
    if caught is None:
        return True
    if isinstance(caught, cst.Tuple):
        return any(_catches_all(element.value) for element in caught.elements)
    name = caught.attr.value if isinstance(caught, cst.Attribute) else None
    if isinstance(caught, cst.Name):
        name = caught.value
    return name in _CATCH_ALL


def _leaves(suite: cst.BaseSuite) -> bool:
    """Does the suite end by leaving (``return``, ``raise``, ``continue``, ``break``)?"""
    statements = block(suite)
    last = statements[-1] if statements else None
    return (
        isinstance(last, cst.SimpleStatementLine)
        and bool(last.body)
        and isinstance(last.body[-1], (cst.Return, cst.Raise, cst.Continue, cst.Break))
    )


def _statement_after(
    statement: cst.BaseStatement, analysis: ModuleAnalysis
) -> cst.BaseStatement | None:
    """The statement that follows ``statement`` in its block."""
    suite = analysis.parent_of(statement)
    if not isinstance(suite, (cst.Module, cst.IndentedBlock)):
        return None
    statements: Sequence[cst.BaseStatement] = suite.body
    for index, current in enumerate(statements):
        if current is statement:
            return statements[index + 1] if index + 1 < len(statements) else None
    return None


def _block_and_index(
    call: MethodCall, first: cst.BaseStatement | None
) -> tuple[Sequence[cst.BaseStatement] | None, int]:
    """The block that holds ``first`` (the statement run first with the lock held)."""
    if first is None:
        return None, 0
    if first is call.place.following():
        return call.place.block, call.place.index + 1
    owner = call.place.statement
    if isinstance(owner, cst.If):
        for suite in (
            owner.body,
            owner.orelse.body if isinstance(owner.orelse, cst.Else) else None,
        ):
            statements = block(suite) if suite is not None else []
            if statements and statements[0] is first:
                return statements, 0
    return None, 0


#: Clock and thread-identity reads that take no argument and cannot raise.
_SAFE_CALLS = frozenset(
    {
        "time.monotonic",
        "time.monotonic_ns",
        "time.time",
        "time.time_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "threading.get_ident",
        "threading.get_native_id",
    }
)
#: Operators of two numbers that cannot raise (``/``, ``//``, ``%``: division by zero;
#: ``**`` and shifts: overflow and negative counts).
_SAFE_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply)


def _cannot_raise(
    statement: cst.BaseStatement, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """``acquired = True``, ``deadline = time.monotonic() + timeout``, ``pass``: a line that
    binds local names to values that cannot raise, so nothing can leak the lock between
    the acquire and the ``try`` that releases it (TS201's "What may stand between")."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Pass):
            continue
        if not isinstance(small, cst.Assign):
            return False
        if not all(isinstance(target.target, cst.Name) for target in small.targets):
            return False
        if not _value_cannot_raise(small.value, analysis, func):
            return False
    return True


def _value_cannot_raise(
    value: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """Names, literals, ``-1``, a clock read (``time.monotonic()``), ``+``/``-``/``*`` of
    those, and ``a if x is None else b``: no attribute, subscript, other call, truth test
    or ordering comparison, any of which can raise."""
    if isinstance(value, (cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, (cst.Minus, cst.Plus)):
        return isinstance(value.expression, (cst.Integer, cst.Float, cst.Imaginary))
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, _SAFE_OPERATORS):
        return _value_cannot_raise(value.left, analysis, func) and _value_cannot_raise(
            value.right, analysis, func
        )
    if isinstance(value, cst.Call):
        return not value.args and analysis.structure.qualified_name(value.func, func) in (
            _SAFE_CALLS
        )
    if isinstance(value, cst.IfExp):
        return (
            _is_identity_test(value.test)
            and _value_cannot_raise(value.body, analysis, func)
            and _value_cannot_raise(value.orelse, analysis, func)
        )
    return False


def _is_identity_test(test: cst.BaseExpression) -> bool:
    """``x is None`` / ``x is not y`` between names: no ``__bool__`` or ``__eq__`` runs."""
    return (
        isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and all(
            isinstance(target.operator, (cst.Is, cst.IsNot))
            and isinstance(target.comparator, cst.Name)
            for target in test.comparisons
        )
    )


def _is_bare_break_if(statement: cst.BaseStatement | None) -> bool:
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return False
    body = block(statement.body)
    return (
        len(body) == 1
        and isinstance(body[0], cst.SimpleStatementLine)
        and len(body[0].body) == 1
        and isinstance(body[0].body[0], cst.Break)
    )


def _first_statement_held(call: MethodCall, analysis: ModuleAnalysis) -> cst.BaseStatement | None:
    """The statement that runs first after the acquire succeeds.

    ``if x.acquire(...):`` -> the first statement of the body; ``if not x.acquire(...):``
    -> the first statement of the ``else`` (or, without one, the statement after the
    ``if``); a plain ``x.acquire()`` -> the next statement.
    """
    statement = call.place.statement
    if call.form == "statement" and call.place.following() is None:
        # ``try: x.acquire() except Busy: ... else: <runs with it held>``, or with handlers
    # that all leave, the statement after the ``try``
        suite = analysis.parent_of(statement)
        owner = analysis.parent_of(suite) if suite is not None else None
        if isinstance(owner, cst.Try) and owner.body is suite:
            if owner.orelse is not None:
                held_first = block(owner.orelse.body)
                return held_first[0] if held_first else None
            if owner.handlers and all(_leaves(handler.body) for handler in owner.handlers):
                # ``try: x.acquire() except Busy: return`` then the statement after it
                return _statement_after(owner, analysis)
    if call.form == "if" and isinstance(statement, cst.If):
        body = block(statement.body)
        return body[0] if body else None
    if (
        call.form == "if-not"
        and isinstance(statement, cst.If)
        and isinstance(statement.orelse, cst.Else)
    ):
        orelse = block(statement.orelse.body)
        return orelse[0] if orelse else None
    return call.place.following()


def _source_name(call: MethodCall) -> str:
    func = call.call.func
    assert isinstance(func, cst.Attribute)
    return snippet(func.value)


class AcquireWithoutRelease(Rule):
    """Flags a lock acquired with ``acquire()`` that is not released on some path.

    **What it does**

    Finds ``x.acquire()`` on a ``Lock``, ``RLock`` or ``Condition`` in a function that
    never calls ``x.release()``, or that returns while holding it. Functions whose job is
    to acquire (``__enter__``, ``acquire``, ``lock``...) are left alone. Semaphores are
    not checked: acquiring one in a function and releasing it in another is normal
    signalling.

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

    None: where the missing ``release()`` belongs depends on what the function means
    to do.

    **References**

    The talk's "Lock" and "Semaphore" slides; Python docs, ``threading.Lock.release``.
    """

    code = "TS202"
    name = "acquire-without-release"
    summary = "lock acquired with acquire() is not released on every path"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        released = _calling(analysis, "release")
        # a function that only releases (begin()/end() designs) releases for another one
        released_elsewhere = {key for _, key in released - _calling(analysis, "acquire")}
        exits: dict[tuple[object, SymbolKey], cst.Return] = {}
        for exit_ in analysis.regions.early_exits:
            exits.setdefault((exit_.func, exit_.target), exit_.node)
        reported: set[tuple[object, SymbolKey]] = set()
        for call in analysis.regions.method_calls:
            if call.method != "acquire" or call.kind not in MUTEXES:
                continue
            if call.form not in ("statement", "if", "if-not", "assign"):
                continue
            slot = (call.func, call.target)
            if slot in reported or is_lock_wrapper_name(call.func.name):
                continue
            name = display_name(call.target)
            if slot not in released:
                if call.target in analysis.regions.escaped or call.target in released_elsewhere:
                    continue  # handed to another function or thread, which releases it
                reported.add(slot)
                yield Finding(
                    call.call,
                    f"'{name}' is acquired here but never released in "
                    f"'{call.func.name}'; use 'with {_source_name(call)}:'"
                    f"{analysis.evidence(call.target)}",
                )
            elif slot in exits:
                reported.add(slot)
                line = analysis.line_of(exits[slot])
                yield Finding(
                    call.call,
                    f"'{name}' is acquired here but the return at line {line} leaves "
                    f"without releasing it; use 'with {_source_name(call)}:'"
                    f"{analysis.evidence(call.target)}",
                )


class UselessLock(Rule):
    """Flags a lock created in the ``with`` statement that uses it.

    **What it does**

    Finds ``with threading.Lock():`` (and ``RLock``, ``Semaphore``, ``Condition``...
    created in the ``with`` item itself), and ``lock = threading.Lock()`` in a function
    whose lock is used only there: never stored, returned, passed on or used by a nested
    function.

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
        users: dict[SymbolKey, set[object]] = {}
        for call in analysis.regions.method_calls:
            users.setdefault(call.target, set()).add(call.func)
        for entry in analysis.regions.with_entries:
            if entry.target is not None:
                users.setdefault(entry.target, set()).add(entry.func)
        for key, info in analysis.symbols.symbols.items():
            if key[0] != "local" or info.kind not in LOCKLIKE or not info.fresh:
                continue
            if info.evidence:
                continue  # known by its factory's name only: maybe another library's lock
            if key in analysis.regions.escaped or users.get(key) != {info.created_in}:
                continue
            assert info.kind is not None and info.created_at is not None
            yield Finding(
                info.created_at,
                f"'{display_name(key)}' is a new {info.kind.value} on every call, used only "
                "here: no other thread can see it, so it protects nothing; share one lock",
            )


class AcquireResultIgnored(Rule):
    """Flags a non-blocking or timed ``acquire()`` whose result is thrown away.

    **What it does**

    Finds ``x.acquire(False)``, ``x.acquire(blocking=False)`` and ``x.acquire(timeout=...)``
    used as a statement on a lock or condition: the call returns ``False``
    when it did not get the lock, and nothing looks.

    **Why is this bad**

    When another thread holds the lock, the code below runs without it, unprotected, as
    if it had it; the ``release()`` that follows then raises ``RuntimeError``, far from
    the cause. A semaphore's ``acquire(False)`` is left alone: "take a permit if there is
    one" is a normal use (``multiprocessing.Event`` drains its flag that way).

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
