"""TS404: the Event that stops a non-daemon thread is set only on the normal path."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, argument
from tsafe_lint.analysis.kinds import FACTORIES, Kind
from tsafe_lint.analysis.scopes import ClassInfo, local_values
from tsafe_lint.analysis.threads import ThreadStart
from tsafe_lint.analysis.tree import NOT_RUN, bare_call, bare_method_call, on_error_paths, walk
from tsafe_lint.rules.base import Finding, Rule, snippet
from tsafe_lint.rules.realistic_raise import realistically_cannot_raise

FAMILY = "threads"


@dataclass(frozen=True)
class _StoppedThread:
    """A non-daemon thread ``func`` starts with the local Event ``event`` as its stop
    signal: ``start`` is the statement that starts it."""

    event: str
    start: cst.BaseStatement
    name: str | None  # the local the thread is bound to, if any


class StopEventNotSetInFinally(Rule):
    """Flags the ``set()`` of an Event that stops a non-daemon thread, run only when the
    code before it does not raise.

    **What it does**

    Finds a function that makes an ``Event``, starts a non-daemon ``threading.Thread``
    that runs until the Event is set (the Event is passed in ``args`` or read by a
    nested target; a target of the module must wait for it in a loop, or with no
    timeout), then runs code that can fail and only then calls ``event.set()``, in the
    same block, with no ``finally:`` and no ``except`` handler that sets it. A daemon
    thread (``daemon=True`` or any value but ``False``, ``t.daemon = True``,
    ``t.setDaemon(True)``), a thread
    joined before the ``set()``, code between that cannot fail in use (stores,
    arithmetic, a log line), and a target that gives up by itself (``event.wait(5)``
    once) are not reported. An object of the module's classes that runs such a thread
    of its own counts the same way: ``spinner.start()``, code that can fail, then
    ``spinner.stop()`` (or ``close()``, ``shutdown()``...) in the same block with no
    ``finally:``, where the class starts a non-daemon thread on a method of its own
    that loops until it is stopped (sanic's ``loading()`` context manager, whose
    ``yield`` raises the ``with`` body's error: fifty-fifth set). On the retired
    validation sets' 966 files that make an
    ``Event`` and start a ``Thread``, it reports shodan's CLI spinner (a real hang, found
    in a review of the forty-sixth set's misses) and three tests of two packages.

    **Why is this bad**

    When the code between the start and the ``set()`` raises, ``set()`` never runs: the
    thread keeps running, and at exit the interpreter joins every non-daemon thread, so
    the program prints its traceback and then hangs (a CLI's progress spinner spinning
    forever after the error) until it is killed.

    **Example**

    ```python
    import threading

    def convert(converter, path):
        finished = threading.Event()
        spinner = threading.Thread(target=spin, args=(finished,))
        spinner.start()
        converter.process(path)        # raises: finished is never set
        finished.set()
        spinner.join()
    ```

    **Use instead**

    ```python
    import threading

    def convert(converter, path):
        finished = threading.Event()
        spinner = threading.Thread(target=spin, args=(finished,))
        spinner.start()
        try:
            converter.process(path)
        finally:
            finished.set()
            spinner.join()
    ```

    **References**

    The talk's "Event" slides; Python docs, ``threading.Thread`` ("The entire Python
    program exits when no alive non-daemon threads are left").
    """

    code = "TS404"
    name = "stop-event-not-set-in-finally"
    summary = "the Event that stops a non-daemon thread is set only if nothing raises"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        events: dict[FunctionInfo, set[str]] = {}
        for start in analysis.thread_starts:
            func = start.func
            if start.how != "Thread" or func.is_module or func.is_async:
                continue
            if func not in events:
                events[func] = _local_events(func, analysis)
            if not events[func]:
                continue
            for stopped in _stopped_thread(start, events[func], analysis):
                yield from _unprotected_sets(stopped, func, analysis)
        yield from _unprotected_stops(analysis)


def _local_events(func: FunctionInfo, analysis: ModuleAnalysis) -> set[str]:
    """Locals of ``func`` bound once, to a new ``Event`` (``done = threading.Event()``)."""
    made = {
        node.targets[0].target.value
        for node in walk(func.node, NOT_RUN)
        if isinstance(node, cst.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0].target, cst.Name)
        and isinstance(node.value, cst.Call)
        and FACTORIES.get(analysis.structure.qualified_name(node.value.func, func) or "")
        is Kind.EVENT
    }
    return {name for name in made if len(local_values(name, func) or ()) == 1}


def _stopped_thread(
    start: ThreadStart, events: set[str], analysis: ModuleAnalysis
) -> Iterator[_StoppedThread]:
    """The thread ``start`` starts, once per event of ``events`` that stops it, unless it
    is a daemon."""
    daemon = argument(start.call, None, "daemon")
    if daemon is not None and not (isinstance(daemon, cst.Name) and daemon.value == "False"):
        return  # ``daemon=True``, or a value decided elsewhere (``daemon=quiet``)
    func = start.func
    for event in _events_handed(start.call, start.target, events, func, analysis):
        statement, name = _start_statement(start.call, func)
        if statement is None or _made_daemon(name, func):
            continue
        yield _StoppedThread(event, statement, name)


def _events_handed(
    call: cst.Call,
    target: cst.BaseExpression | None,
    events: set[str],
    func: FunctionInfo,
    analysis: ModuleAnalysis,
) -> list[str]:
    """The events of ``events`` the thread waits for: passed in ``args`` to a target
    that loops on that parameter (or one outside the module), or read by a nested
    target that loops on it."""
    found: list[str] = []
    callee = analysis.resolve_function(target, func) if target is not None else None
    args = argument(call, 3, "args")
    if isinstance(args, (cst.Tuple, cst.List)):
        for position, element in enumerate(args.elements):
            value = element.value
            if not (isinstance(value, cst.Name) and value.value in events):
                continue
            if callee is None:
                if target is not None and isinstance(target, (cst.Name, cst.Attribute)):
                    found.append(value.value)  # a target of another module: its loop unseen
                continue
            params = callee.params[1:] if callee.self_name is not None else callee.params
            if position < len(params) and _waits_for(params[position], callee):
                found.append(value.value)
    if callee is not None and callee.parent is func:
        found += [event for event in events if event not in found and _waits_for(event, callee)]
    return found


def _waits_for(name: str, target: FunctionInfo) -> bool:
    """Does ``target`` run until the Event ``name`` is set: a loop that tests it
    (``while not name.is_set():``, ``name.wait(0.2)`` in a loop), or ``name.wait()``
    with no timeout?"""
    for node in walk(target.node, NOT_RUN):
        if isinstance(node, (cst.While, cst.For)) and any(
            _event_call(inner, name) is not None for inner in walk(node, NOT_RUN)
        ):
            return True
        method = _event_call(node, name)
        if method == "wait" and isinstance(node, cst.Call) and not node.args:
            return True
    return False


def _method_of(node: cst.CSTNode, name: str) -> str | None:
    """``"set"`` when ``node`` is a call ``name.set(...)`` of the local ``name``."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and isinstance(node.func.value, cst.Name)
        and node.func.value.value == name
    ):
        return node.func.attr.value
    return None


def _event_call(node: cst.CSTNode, name: str) -> str | None:
    """``"is_set"`` for ``name.is_set()``, ``"wait"`` for ``name.wait(...)``."""
    method = _method_of(node, name)
    return method if method in ("is_set", "isSet", "wait") else None


def _start_statement(
    call: cst.Call, func: FunctionInfo
) -> tuple[cst.BaseStatement | None, str | None]:
    """The statement line that starts the thread made by ``call``, and the local it is
    bound to: ``Thread(...).start()`` itself, or ``t = Thread(...)`` then ``t.start()``."""
    name: str | None = None
    for node in walk(func.node, NOT_RUN):
        if not isinstance(node, cst.SimpleStatementLine):
            continue
        for small in node.body:
            if (
                isinstance(small, cst.Expr)
                and isinstance(small.value, cst.Call)
                and isinstance(small.value.func, cst.Attribute)
                and small.value.func.attr.value == "start"
            ):
                receiver = small.value.func.value
                if receiver is call:
                    return node, None
                if name is not None and isinstance(receiver, cst.Name) and receiver.value == name:
                    return node, name
            if (
                isinstance(small, cst.Assign)
                and small.value is call
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
            ):
                name = small.targets[0].target.value
    return None, name


def _made_daemon(name: str | None, func: FunctionInfo) -> bool:
    """``t.daemon = True`` or ``t.setDaemon(True)`` in ``func``."""
    if name is None:
        return False
    for node in walk(func.node, NOT_RUN):
        if isinstance(node, cst.Assign) and any(
            isinstance(t.target, cst.Attribute)
            and isinstance(t.target.value, cst.Name)
            and t.target.value.value == name
            and t.target.attr.value == "daemon"
            for t in node.targets
        ):
            return True
        if _method_of(node, name) == "setDaemon":
            return True
    return False


def _unprotected_sets(
    stopped: _StoppedThread, func: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[Finding]:
    """The ``event.set()`` after the start in its block, when nothing else sets it on
    an error path and something between can fail."""
    if _set_on_error_path(stopped.event, func):
        return
    body = _block_of(stopped.start, func)
    if body is None:
        return
    after = list(body[body.index(stopped.start) + 1 :])
    for index, statement in enumerate(after):
        if stopped.name is not None and _joins(statement, stopped.name):
            return
        if not _sets(statement, stopped.event):
            continue
        between = after[:index]
        if all(realistically_cannot_raise(s, analysis, func) for s in between):
            return
        line = analysis.line_of(stopped.start)
        thread = f"'{stopped.name}'" if stopped.name is not None else "the thread"
        yield Finding(
            statement,
            f"'{stopped.event}.set()' stops the non-daemon thread started at line {line}, "
            f"but it runs only when nothing before it raises: after an exception "
            f"{thread} keeps running and the interpreter waits for it forever at "
            f"exit; set '{stopped.event}' in a 'finally:' block",
        )
        return


def _block_of(
    statement: cst.BaseStatement, func: FunctionInfo
) -> Sequence[cst.BaseStatement] | None:
    """The list of statements ``statement`` stands in."""
    for node in walk(func.node, NOT_RUN):
        if isinstance(node, (cst.IndentedBlock, cst.Module)) and statement in node.body:
            return node.body
    return None


def _sets(statement: cst.BaseStatement, event: str) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Expr) and _set_call(small.value, event) for small in statement.body
    )


def _set_call(node: cst.CSTNode, event: str) -> bool:
    return _method_of(node, event) == "set"


def _set_on_error_path(event: str, func: FunctionInfo) -> bool:
    """Is ``event`` set in a ``finally:`` or an ``except`` handler of ``func``?"""
    return any(_set_call(inner, event) for inner in on_error_paths(func.node))


def _joins(statement: cst.BaseStatement, name: str) -> bool:
    """``t.join()`` (with no timeout) in ``statement``: the thread has ended."""
    return any(
        _method_of(node, name) == "join" and isinstance(node, cst.Call) and not node.args
        for node in walk(statement, NOT_RUN)
    )


#: the methods that end an object's own thread
_STOPS = ("stop", "close", "shutdown", "finish", "end", "terminate")


def _unprotected_stops(analysis: ModuleAnalysis) -> Iterator[Finding]:
    """``spinner.start()``, code that can fail (a bare ``yield`` of a context manager
    too), then ``spinner.stop()`` in the same block with no ``finally:``, where the
    object's class runs a non-daemon thread of its own until it is stopped."""
    if "start" not in analysis.called:
        return
    for func in analysis.structure.functions:
        if func.is_module:
            continue
        for node in walk(func.node, NOT_RUN):
            if not isinstance(node, (cst.IndentedBlock, cst.Module)):
                continue
            body = list(node.body)
            for index, statement in enumerate(body):
                receiver = bare_method_call(statement, "start")
                if not isinstance(receiver, cst.Name):
                    continue
                cls = analysis.symbols.class_of_receiver(receiver, func)
                if cls is None:
                    continue
                thread = _own_looping_thread(cls, analysis)
                if thread is None:
                    continue
                finding = _stop_after(receiver.value, cls, body[index + 1 :], func, analysis)
                if finding is not None:
                    stop, between = finding
                    failing = f"line {analysis.line_of(between)}"
                    if _yields(between):
                        failing = f"the code run at the 'yield' ({failing})"
                    yield Finding(
                        stop,
                        f"'{snippet(bare_call(stop) or stop)}' stops the non-daemon thread "
                        f"'{receiver.value}.start()' starts at line "
                        f"{analysis.line_of(statement)} (running '{thread.name}'), but it "
                        f"runs only when {failing} does not raise: after an exception that "
                        "thread keeps running and the interpreter waits for it forever at "
                        "exit; call it in a 'finally:' block",
                    )


def _yields(statement: cst.BaseStatement) -> bool:
    """A bare ``yield`` line: a context manager's body runs there, and raises there."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.Yield)
    )


def _own_looping_thread(cls: ClassInfo, analysis: ModuleAnalysis) -> FunctionInfo | None:
    """The method a non-daemon thread the class starts itself runs, when it loops (runs
    until it is told to stop) and the class has a method that stops it."""
    if analysis.structure.method(cls, "start") is None:
        return None
    if not any(analysis.structure.method(cls, name) is not None for name in _STOPS):
        return None
    for start in analysis.thread_starts:
        if start.how != "Thread" or start.func.cls is not cls or start.target is None:
            continue
        daemon = argument(start.call, None, "daemon")
        if daemon is not None and not (isinstance(daemon, cst.Name) and daemon.value == "False"):
            continue
        if _class_sets_daemon(cls):
            continue
        target = analysis.resolve_function(start.target, start.func)
        if target is None or target.cls is not cls:
            continue
        if any(isinstance(node, cst.While) for node in walk(target.node, NOT_RUN)):
            return target
    return None


def _class_sets_daemon(cls: ClassInfo) -> bool:
    """``self._thread.daemon = True`` or ``setDaemon(...)`` anywhere in the class."""
    for node in walk(cls.node):
        if isinstance(node, cst.Assign) and any(
            isinstance(t.target, cst.Attribute) and t.target.attr.value == "daemon"
            for t in node.targets
        ):
            return True
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "setDaemon"
        ):
            return True
    return False


def _stop_after(
    name: str,
    cls: ClassInfo,
    after: Sequence[cst.BaseStatement],
    func: FunctionInfo,
    analysis: ModuleAnalysis,
) -> tuple[cst.BaseStatement, cst.BaseStatement] | None:
    """The ``name.stop()`` statement among ``after`` and the first statement before it
    that can fail, when nothing in ``func`` stops ``name`` on an error path."""
    for index, statement in enumerate(after):
        stop = next(
            (method for method in _STOPS if bare_method_call(statement, method) is not None),
            None,
        )
        receiver = bare_method_call(statement, stop) if stop is not None else None
        if not (isinstance(receiver, cst.Name) and receiver.value == name):
            continue
        if analysis.structure.method(cls, stop or "") is None:
            return None
        if _stopped_on_error_path(name, func):
            return None
        for between in after[:index]:
            if not realistically_cannot_raise(between, analysis, func):
                return statement, between
        return None
    return None


def _stopped_on_error_path(name: str, func: FunctionInfo) -> bool:
    """Is a stop method of ``name`` called in a ``finally:`` or an ``except`` handler?"""
    return any(_method_of(inner, name) in _STOPS for inner in on_error_paths(func.node))


RULES: list[type[Rule]] = [StopEventNotSetInFinally]
