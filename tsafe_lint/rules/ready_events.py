"""TS405: a wait for a thread's "ready" Event that the thread sets only if nothing fails."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.awaited import assignments_of, canonical_key
from tsafe_lint.analysis.scopes import final_name
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule, snippet
from tsafe_lint.rules.event_setters import (
    failure_before_set,
    is_true,
    made_as_event,
    made_as_flag,
)

FAMILY = "threads"


class ReadyEventNotSetOnFailure(Rule):
    """Flags a wait with no timeout for an Event that the thread just started sets only
    when the code before its ``set()`` does not fail.

    **What it does**

    Finds a function that starts a thread and then calls ``event.wait()`` with no
    timeout, where the thread's function (the module's) sets that Event, made by
    ``threading.Event()`` (a local or an attribute), only after statements that can fail
    in use (a server bound, a connection opened, a foreign call) or return early, with
    no ``finally:`` and no ``except`` handler that sets it. A ``set()`` preceded only by
    code that cannot fail in use (stores, arithmetic, the clock, a log line), a ``try``
    whose handlers set the Event (or fall through to the ``set()``), a ``finally:`` that
    sets it and a wait with a timeout are not reported; nor is a ``set()`` made only in
    a callback or a branch (not among the function's own top-level statements). A flag
    counts as such an Event: a loop that only sleeps until an attribute the module only
    ever stores ``True`` or ``False`` in turns true (``while not self._started:
    sleep(0.1)``, ``await asyncio.sleep(...)`` too), which the thread's function raises
    with ``self._started = True``; not when another method raises it too (a callback
    that reports start-up), nor a loop that tests anything else (``and
    thread.is_alive()``). The wait may follow the thread's start in the method that
    starts it or in a method of the class that calls that one first
    (``self._start()``; twitchAPI's webhook and OAuth server, fifty-fifth set). A call
    of one of the module's functions that sets it on every path (``self._announce()``, a
    coroutine run by ``loop.run_until_complete(...)``) counts as its ``set()``. On
    the 1,772 files of retired validation sets 20 to 31, 35 and 43 to 47 and of
    bench/bugs that make an ``Event`` and start a thread, it reports one (dbos's
    background event loop, whose executor and loop are set up before the ``set()``;
    not judged), besides telnetlib3's server.

    **Why is this bad**

    When the thread's set-up raises (or gives up and returns), the thread ends and the
    Event is never set: the caller waits forever instead of seeing the error. A server's
    ``start()`` that cannot bind its port hangs the application at start-up rather than
    failing (telnetlib3's blocking server, found in a review of the forty-eighth
    validation set's misses).

    **Example**

    ```python
    import threading

    class Server:
        def __init__(self):
            self._ready = threading.Event()

        def start(self):
            threading.Thread(target=self._run, daemon=True).start()
            self._ready.wait()

        def _run(self):
            self._sock = bind(self._port)   # raises: _ready is never set
            self._ready.set()
            self._serve()
    ```

    **Use instead**

    ```python
    import threading

    class Server:
        def __init__(self):
            self._ready = threading.Event()
            self._error = None

        def start(self):
            threading.Thread(target=self._run, daemon=True).start()
            self._ready.wait()
            if self._error is not None:
                raise self._error

        def _run(self):
            try:
                self._sock = bind(self._port)
            except BaseException as exc:
                self._error = exc
                return
            finally:
                self._ready.set()
            self._serve()
    ```

    **References**

    The talk's "Event" slides; Python docs, ``threading.Event.wait`` ("block until the
    internal flag is true"; with no timeout, for good).
    """

    code = "TS405"
    name = "ready-event-not-set-on-failure"
    summary = "waits with no timeout for an Event the started thread sets only if nothing fails"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        reported: set[int] = set()
        for start in analysis.thread_starts:
            func = start.func
            if start.in_process or start.target is None or func.is_module or func.is_async:
                continue
            target = analysis.resolve_function(start.target, func)
            if target is None or target.is_async:
                continue
            for waiter, wait, key in _waits(start.call, func, analysis):
                if id(wait) in reported:
                    continue
                reached, failing = failure_before_set(target, key, analysis)
                if not reached or failing is None:
                    continue
                if isinstance(wait, cst.While) and _set_elsewhere(key, target, waiter, analysis):
                    continue
                reported.add(id(wait))
                started = f"'{target.name}', started at line {analysis.line_of(start.call)}"
                if waiter is not func:
                    started += f" (by '{func.name}')"
                if isinstance(wait, cst.Call):
                    waited = f"'{snippet(wait.func)}()' waits with no timeout for an Event that"
                else:
                    assert isinstance(wait, cst.While)
                    waited = f"'while {snippet(wait.test)}' polls with no timeout a flag that"
                yield Finding(
                    wait,
                    f"{waited} {started}, sets only after line {analysis.line_of(failing)}, "
                    "which can raise or return first: the thread then ends without setting "
                    "it and this wait never returns; set it in a 'finally' (and hand the "
                    "error back), or wait with a timeout while the thread is alive",
                )


def _waits(
    call: cst.Call, starter: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[tuple[FunctionInfo, cst.CSTNode, SymbolKey]]:
    """The waits after the thread's construction ``call`` in ``starter``, and those after
    a call of ``starter`` in the methods of its class that call it on ``self``
    (``self._start()`` then ``while not self._server_running: await sleep(0.01)``)."""
    yield from ((starter, wait, key) for wait, key in _waits_after(call, starter, analysis))
    if starter.cls is None:
        return
    for site in analysis.regions.call_sites:
        if (
            site.callee is starter
            and not site.implicit
            and site.func is not starter
            and site.func.cls is starter.cls
            and isinstance(site.call, cst.Call)
        ):
            for wait, key in _waits_after(site.call, site.func, analysis):
                yield site.func, wait, key


def _waits_after(
    call: cst.Call, func: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[tuple[cst.CSTNode, SymbolKey]]:
    """The ``event.wait()`` calls with no argument that ``func`` runs after ``call``
    (the thread's construction), on an Event made by ``threading.Event()``; and the
    loops that only sleep until a flag of the object the module only ever stores
    ``True`` or ``False`` in turns true (``while not self._started: sleep(0.1)``)."""
    passed = False
    for node in walk(func.node, NOT_RUN):
        if node is call:
            passed = True
            continue
        if not passed:
            continue
        flag = polled_flag(node)
        if flag is not None:
            key = canonical_key(analysis.symbols.key_of(flag, func), analysis)
            if key is not None and key[0] == "attr" and made_as_flag(key, analysis):
                yield node, key
            continue
        if not (
            isinstance(node, cst.Call)
            and not node.args
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "wait"
        ):
            continue
        key = canonical_key(analysis.symbols.key_of(node.func.value, func), analysis)
        if key is not None and made_as_event(key, analysis):
            yield node, key


def polled_flag(node: cst.CSTNode) -> cst.BaseExpression | None:
    """``self._started`` of ``while not self._started: sleep(0.1)`` (or ``await
    asyncio.sleep(...)``, ``pass``): a loop that only sleeps until the flag is true, with
    no other test and no way out of its own; None for anything else."""
    if not isinstance(node, cst.While) or node.orelse is not None:
        return None
    test = node.test
    if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
        return None
    if not isinstance(test.expression, cst.Attribute):
        return None
    for statement in block(node.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        for small in statement.body:
            if isinstance(small, cst.Pass):
                continue
            value = small.value if isinstance(small, cst.Expr) else None
            if isinstance(value, cst.Await):
                value = value.expression
            if not (isinstance(value, cst.Call) and final_name(value.func) == "sleep"):
                return None
    return test.expression


def _set_elsewhere(
    key: SymbolKey, target: FunctionInfo, waiter: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Does a function other than the thread's and the waiter's store ``True`` in the
    flag (a callback that reports start-up or failure): then it may be what wakes the
    waiter."""
    return any(
        func is not target and func is not waiter and is_true(value)
        for func, value in assignments_of(key, analysis)
    )


RULES: list[type[Rule]] = [ReadyEventNotSetOnFailure]
