"""TS407: a thread raises the flag its loop runs on, undoing a stop that came first."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.reachability import QTHREAD_VERB
from tsafe_lint.analysis.tree import NOT_RUN, bare_method_call, stored_constant, walk
from tsafe_lint.rules.base import Finding, Rule

FAMILY = "threads"

#: How an entry says the code started the thread itself, to run this function's loop.
_OWN_THREAD = ("started as a Thread target", "the run() of Thread subclass", QTHREAD_VERB)
#: Methods that set an object up, before any thread can have it.
_SET_UP = frozenset({"__init__", "__new__", "__post_init__", "setUp"})


class StopFlagRaisedByThread(Rule):
    """Flags a thread that sets its own run flag to ``True`` before looping on it, when
    another method stops it by setting the flag to ``False``.

    **What it does**

    Finds a method that the module's code starts on a thread (a ``Thread`` subclass's
    ``run()``, a ``Thread(target=self._loop)`` or a QThread's slot) which stores ``True``
    in an attribute of ``self`` among its own top-level statements and then runs ``while
    self.<flag>:``, where another method of the class (or of a base or subclass in the
    module) that the thread does not call itself stores ``False`` in that attribute: a
    ``stop()``. The thread must call something first (set up a connection, log, set a
    timeout), which widens the window: a store that is the thread's very first act was
    judged debatable or safe by a reviewer on the retired sets, and tests never hit it.
    A flag set to ``True`` before the thread starts (in ``__init__`` or in ``start()``
    before ``super().start()``), a loop whose test is more than the flag and a flag only
    the thread itself lowers are not reported. On the retired validation sets 44 to 52 it
    reports four (three judged true, one debatable).

    The same with an ``Event``: the thread clears ``self.<event>`` among its own
    top-level statements, after a call, where the class tests or waits on that Event
    (``is_set()``, ``wait()``) and another method sets it: a ``stop()``, also a public
    one the thread itself calls on failure (ltchiptool's ``BaseThread``, a miss of the
    ninety-first validation set). An Event cleared before the thread starts, one only
    the thread sets and one nothing reads are not reported, nor is a clear in a method
    that some thread runs (a ``start()`` a reconnect thread calls) when that method
    itself, after the clear, in plain statements only (no ``if``, loop, ``try`` or
    ``return`` from there to its end), makes every start of the class's threads that
    test or wait on the Event (and the class starts no other callable): the Event is
    cleared before its reader exists.

    **Why is this bad**

    ``thread.start()`` returns before the new thread runs a line. A ``stop()`` that comes
    right after it (a test, a program that fails during start-up, a shutdown that follows
    a quick start) sets the flag to ``False`` first; the thread then sets it to ``True``
    and loops for good. ``join()`` never returns, and at exit the interpreter waits for
    the non-daemon thread forever (appier's cron scheduler, found in a review of the
    fifty-second validation set's misses).

    **Example**

    ```python
    import threading

    class Poller(threading.Thread):
        def run(self):
            self.connect()
            self.running = True
            while self.running:
                self.poll()

        def stop(self):
            self.running = False
    ```

    **Use instead**

    ```python
    import threading

    class Poller(threading.Thread):
        def __init__(self):
            super().__init__()
            self._stopped = threading.Event()

        def run(self):
            self.connect()
            while not self._stopped.is_set():
                self.poll()

        def stop(self):
            self._stopped.set()
    ```

    **References**

    The talk's "Event" slides (a flag another thread sets: use an ``Event``); Python
    docs, ``threading.Thread.start`` (it arranges for ``run()`` to be invoked in a
    separate thread, and returns).
    """

    code = "TS407"
    name = "stop-flag-raised-by-thread"
    summary = "a thread sets its own run flag to True, undoing a stop() that came first"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for func, entries in analysis.reach.entries.items():
            if func.cls is None or func.self_name is None or func.is_async:
                continue
            if not any(e.root is func and e.verb.startswith(_OWN_THREAD) for e in entries):
                continue
            for raised, flag in _raised_then_polled(func):
                stoppers = _lowered_elsewhere(flag, func, analysis)
                if not stoppers:
                    continue
                names = " or ".join(f"'{name}()'" for name in stoppers)
                yield Finding(
                    raised,
                    f"the thread sets 'self.{flag} = True' itself, then loops 'while "
                    f"self.{flag}:'; a {names} that sets it to False before the thread gets "
                    f"here is undone and the thread never stops: set it before starting the "
                    "thread, or stop it with a threading.Event",
                )
            for cleared, event in _cleared_after_a_call(func, analysis):
                stoppers = _event_set_elsewhere(event, func, analysis)
                if not stoppers or not _event_read(event, func, analysis):
                    continue
                if _cleared_before_starting_reader(cleared, event, func, analysis):
                    continue
                names = " or ".join(f"'{name}()'" for name in stoppers)
                yield Finding(
                    cleared,
                    f"the thread clears 'self.{event}' itself; a {names} that sets it before "
                    f"the thread gets here is undone and the thread never stops: clear it "
                    "before starting the thread",
                )


def _raised_then_polled(func: FunctionInfo) -> Iterator[tuple[cst.CSTNode, str]]:
    """The ``self.flag = True`` stores among ``func``'s top-level statements that a later
    top-level ``while self.flag:`` (or one directly in a top-level ``try``) tests, when
    a statement before the store calls something (opens a connection, logs, sets a
    timeout): a store that is the thread's first act leaves a stop a window of a few
    bytecodes, which reviewers judged debatable (appier's scheduler) or closed by the
    callers' protocol (nsj-queue-lib's listener), and tests never hit."""
    assert isinstance(func.node, cst.FunctionDef)
    raised: dict[str, cst.CSTNode] = {}
    called = False
    for statement in block(func.node.body):
        flag = _stores(statement, func, "True")
        if flag is not None:
            if called:
                raised[flag] = statement
            continue
        called = called or any(isinstance(node, cst.Call) for node in walk(statement, NOT_RUN))
        for loop in _loops(statement):
            tested = _own_attribute(loop.test, func)
            if tested is not None and tested in raised:
                yield raised.pop(tested), tested


def _cleared_after_a_call(
    func: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[tuple[cst.CSTNode, str]]:
    """The ``self.<event>.clear()`` statements among ``func``'s top-level statements, on
    an ``Event`` of the object, after a statement that calls something (as for the flag:
    a clear that is the thread's first act leaves a window of a few bytecodes)."""
    assert isinstance(func.node, cst.FunctionDef)
    called = False
    for statement in block(func.node.body):
        receiver = bare_method_call(statement, "clear")
        event = _own_attribute(receiver, func) if receiver is not None else None
        if (
            event is not None
            and receiver is not None
            and analysis.symbols.kind_of(receiver, func) is Kind.EVENT
        ):
            if called:
                yield statement, event
            continue
        called = called or any(isinstance(node, cst.Call) for node in walk(statement, NOT_RUN))


def _cleared_before_starting_reader(
    cleared: cst.CSTNode, event: str, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Does ``func`` itself, after the clear, start the thread that tests or waits on
    ``self.<event>`` (``self._stop.clear()``, then ``Thread(target=self._monitor).start()``
    in a ``start()`` that some other thread may also run), where every statement of its
    body from the clear to its end is a plain one that runs (none under an ``if``: ``if
    not self._thread.is_alive():`` may start none, while the old reader, its stop
    undone, runs on), and is that every start of a reader of the Event in the module?
    The Event is then cleared before its reader exists, as it should be (rsipi's
    reconnect monitor, ninety-ninth set: a TS407 judged false). Readers are methods of
    the class family, by the code their threads reach; a lambda, closure or function a
    method of the class starts may be one."""
    assert isinstance(func.node, cst.FunctionDef) and func.cls is not None
    statements: list[cst.CSTNode] = list(block(func.node.body))
    if cleared not in statements:
        return False
    rest = statements[statements.index(cleared) + 1 :]
    if not all(_plain(statement) for statement in rest):
        return False  # ``if self._thread.is_alive(): return`` may leave before the start
    after = {id(node) for statement in rest for node in walk(statement, NOT_RUN)}
    family = analysis.structure.class_family(func.cls)
    readers = []
    for start in analysis.thread_starts:
        target = (
            analysis.resolve_function(start.target, start.func)
            if start.target is not None
            else None
        )
        own = target is not None and target.cls is not None and target.cls.qualname in family
        if not own and start.func.cls is not None and start.func.cls.qualname in family:
            return False  # the class starts a lambda, closure or function: it may read it
        if not own:
            continue
        assert target is not None
        if any(
            reached.cls is not None
            and reached.cls.qualname in family
            and _event_calls(event, reached, frozenset({"is_set", "isSet", "wait"}))
            for reached in analysis.reached_from([target])
        ):
            readers.append(start)
    return bool(readers) and all(
        start.func is func and id(start.call) in after for start in readers
    )


def _plain(statement: cst.CSTNode) -> bool:
    """A simple statement line that does not leave the function (no ``return`` or
    ``raise``): it runs, and so does what follows it."""
    return isinstance(statement, cst.SimpleStatementLine) and not any(
        isinstance(small, (cst.Return, cst.Raise)) for small in statement.body
    )


def _event_calls(event: str, func: FunctionInfo, methods: frozenset[str]) -> bool:
    """Does ``func`` call ``self.<event>.<one of methods>(...)``?"""
    for node in walk(func.node, NOT_RUN):
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in methods
            and _own_attribute(node.func.value, func) == event
        ):
            return True
    return False


def _event_set_elsewhere(event: str, thread: FunctionInfo, analysis: ModuleAnalysis) -> list[str]:
    """The methods of the class family, besides set-up, that set ``self.<event>``: a
    stop. Not a private one the thread itself runs; a public one users call as well,
    even when the thread also calls it on failure (ltchiptool's ``stop()``)."""
    found = [
        func.name
        for func in other_methods(thread, analysis, public_too=True)
        if _event_calls(event, func, frozenset({"set"}))
    ]
    return sorted(set(found))


def _event_read(event: str, thread: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Does a method of the class family test or wait on ``self.<event>``: the Event is
    what the thread's work polls to end (``should_run()``, ``while not ...wait(t):``)?"""
    assert thread.cls is not None
    family = analysis.structure.class_family(thread.cls)
    return any(
        func.cls is not None
        and func.cls.qualname in family
        and func.self_name is not None
        and _event_calls(event, func, frozenset({"is_set", "isSet", "wait"}))
        for func in analysis.structure.functions
    )


def _loops(statement: cst.BaseStatement) -> Iterator[cst.While]:
    if isinstance(statement, cst.While):
        yield statement
    elif isinstance(statement, cst.Try):
        yield from (inner for inner in block(statement.body) if isinstance(inner, cst.While))


def _stores(statement: cst.CSTNode, func: FunctionInfo, value: str) -> str | None:
    """The attribute when ``statement`` is ``self.<attribute> = <value>`` (``True`` or
    ``False``)."""
    target = stored_constant(statement, value)
    return _own_attribute(target, func) if target is not None else None


def _own_attribute(expr: cst.BaseExpression, func: FunctionInfo) -> str | None:
    if (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and expr.value.value == func.self_name
    ):
        return expr.attr.value
    return None


def _lowered_elsewhere(flag: str, thread: FunctionInfo, analysis: ModuleAnalysis) -> list[str]:
    """The methods of ``thread``'s class family, besides set-up and what the thread
    itself runs, that store ``False`` in ``self.flag``."""
    found = [
        func.name
        for func in other_methods(thread, analysis)
        if any(
            isinstance(node, cst.SimpleStatementLine) and _stores(node, func, "False") == flag
            for node in walk(func.node, NOT_RUN)
        )
    ]
    return sorted(set(found))


def other_methods(
    thread: FunctionInfo, analysis: ModuleAnalysis, public_too: bool = False
) -> Iterator[FunctionInfo]:
    """The methods of ``thread``'s class family (a method a thread runs) that are not
    set-up and not run by that thread: where a stop can come from. ``public_too``: also
    the public ones the thread calls, which users may call as well (not ``thread``)."""
    assert thread.cls is not None
    family = analysis.structure.class_family(thread.cls)
    own = analysis.reached_from([thread])
    for func in analysis.structure.functions:
        if (
            func.cls is not None
            and func.cls.qualname in family
            and (func not in own or (public_too and not func.name.startswith("_")))
            and func is not thread
            and func.name not in _SET_UP
            and func.self_name is not None
        ):
            yield func


RULES: list[type[Rule]] = [StopFlagRaisedByThread]
