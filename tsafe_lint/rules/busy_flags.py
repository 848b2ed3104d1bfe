"""TS417: a busy flag tested before a thread is started and raised only by that thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis import LOCKLIKE, FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.scopes import ends_by_leaving
from tsafe_lint.analysis.symbols import SymbolKey, argument
from tsafe_lint.analysis.threads import ThreadStart, own_attribute
from tsafe_lint.analysis.tree import (
    NOT_RUN,
    bare_call,
    bare_method_call,
    conjuncts,
    contains,
    disjuncts,
    stored_constant,
    walk,
)
from tsafe_lint.rules.base import Finding, Rule, snippet

FAMILY = "threads"

#: Starts that run their target once, later, on another thread (not callbacks that other
#: code runs when it decides to).
_THREADS = frozenset({"Thread", "Timer", "start_new_thread"})
_TASKS = frozenset({"to_thread", "run_in_executor", "submit", "apply_async"})
#: Calls after the start that wait for the thread (or for a sign it has started): the
#: flag is up, or the run over, before the starter goes on.
_WAITS = frozenset({"wait", "wait_for", "join", "result"})
#: Methods that run once per object, before anyone can call it a second time.
_SET_UP = frozenset({"__init__", "__new__", "__post_init__", "setUp"})


@dataclass(frozen=True)
class _Claim:
    """A flag a thread's function raises among its first statements and lowers later."""

    key: SymbolKey
    raised: cst.CSTNode  # the statement that raises it
    target: FunctionInfo


class BusyFlagSetByThread(Rule):
    """Flags a test of a busy flag that guards a thread start, when only the started
    thread raises the flag.

    **What it does**

    Finds a function that tests a flag (an ``Event``'s ``is_set()``, or an attribute or
    global used as a bool) and leaves when it is up (``if flag: return``, also as one
    part of an ``or``, in an ``elif``, with an ``else`` that goes on, or under a lock
    released before the start), or starts only in the branch where it is down (``if not
    flag:``, an ``else``), and starts a thread (``Thread``, ``Timer``,
    ``start_new_thread``, a pool's ``submit`` or ``apply_async``, ``to_thread``,
    ``run_in_executor``; a ``lambda`` or ``partial`` around a function of the module
    counts as that function), itself or through a function of the module it calls right
    there; when that thread's function raises the flag (``flag.set()``, ``self.busy =
    True``, or a call of a function of the module that does so first) among its own
    top-level statements (or those of a top-level ``try`` or ``with``) and lowers it
    again (``clear()``, ``= False``, itself or in a function it calls, two calls deep): a
    busy flag that the starter reads but leaves to the thread to raise.

    Not reported: a starter (or a function it calls, two calls deep, or the function
    that makes the start) that raises the flag itself; a thread that tests the flag
    under a lock before raising it (its own check-then-raise lets one thread through),
    or that leaves unless a non-blocking ``acquire()`` succeeds; a flag never lowered (a
    mark that something ran), one lowered by the very next statement (a pulse) and one
    the thread loops on (a service's run flag: TS407's); a starter that, after the start
    and on the straight way on (not under an ``if``), joins the thread it stored, takes
    the result of the future it kept, waits on the flag or on another Event the thread
    sets (a "started" signal) or loops ``while not flag:``; a starter that joins or
    cancels (with no timeout) the previous thread stored in the same attribute, under no
    test but of that attribute, or tests it for a live thread (``is None``,
    ``is_alive()``) in an ``if`` that leaves or holds the start; a starter that tests a
    mark of its own and raises it on the way to the start (a bool or an Event, also in
    an ``or``, under a lock, in an ``else``); a one-worker pool, a start in another
    process, an ``async def`` target; module code and set-up methods (``__init__``,
    ``__new__``, ``__post_init__``, ``setUp``), which run once per object.

    **Opt-in**

    Off by default: select it with ``--select TS417``. Whether a second call can come
    before the thread raises the flag depends on who calls the starter, which the module
    seldom shows: ``start()`` waits until the new thread runs, and it usually runs its
    first lines before it hands back, so a starter called by one thread, one call at a
    time (a hotkey listener, a GUI loop, a start-up call) is in practice safe. On the
    retired validation sets 44 to 93 and 95 to 101 it reports 10 findings, which a
    reviewer who wrote no rule judged 3 true (cheetahclaws', the code it was written
    for), 6 false and 1 debatable; on the code nobody tuned it on, none true
    (bench/ts417_triage.md).

    **Why is this bad**

    ``thread.start()`` returns, possibly before the thread's function has raised the
    flag. Until it does, a second call from another thread (another request, another
    connection), or one that comes while the flag is down between two runs, sees it
    down, passes the test and starts a second thread: two runs at once on state meant
    for one, which the flag was there to prevent (cheetahclaws' chat session and its
    Telegram and Slack bridges, found in a review of the ninety-ninth validation set's
    misses).

    **Example**

    ```python
    import threading

    class Session:
        def __init__(self):
            self._busy = threading.Event()

        def submit(self, prompt):
            if self._busy.is_set():
                return False

            def run():
                self._busy.set()
                try:
                    self.answer(prompt)
                finally:
                    self._busy.clear()

            threading.Thread(target=run).start()
            return True
    ```

    **Use instead**

    Raise the flag where it is tested, before the thread starts (test and raise under a
    lock when several threads call the starter), and let the thread lower it when it is
    done:

    ```python
    import threading

    class Session:
        def __init__(self):
            self._busy = threading.Event()
            self._lock = threading.Lock()

        def submit(self, prompt):
            with self._lock:
                if self._busy.is_set():
                    return False
                self._busy.set()

            def run():
                try:
                    self.answer(prompt)
                finally:
                    self._busy.clear()

            threading.Thread(target=run).start()
            return True
    ```

    **References**

    Python docs, ``threading.Thread.start`` (it arranges for ``run()`` to be invoked in
    a separate thread, and returns); the talk's "Event" slides.
    """

    code = "TS417"
    name = "busy-flag-set-by-thread"
    summary = "a busy flag tested before starting a thread is raised only by that thread"
    default_enabled = False

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        reported: set[int] = set()
        for start in analysis.thread_starts:
            if not _may_overlap(start):
                continue
            target = _target_function(start, analysis)
            if target is None or target.is_async or not isinstance(target.node, cst.FunctionDef):
                continue
            claims = _claims(target, analysis)
            if not claims:
                continue
            for func, anchor in _starting_calls(start.func, start.call, target, analysis):
                if func.is_module or func.name in _SET_UP:
                    continue  # code that runs once: there is no second call
                for claim in claims:
                    if any(
                        _raises_anywhere(place, claim.key, target, analysis)
                        for place in {start.func, func}
                    ):
                        continue  # the starter raises it itself, before or after the start
                    if _handle_checked(start, func, anchor, analysis):
                        continue
                    if any(
                        _waits_after(place, at, start, claim, analysis)
                        for place, at in _places(start, func, anchor)
                    ):
                        continue
                    test = _test_guarding(func, anchor, claim.key, analysis)
                    if test is None or id(test) in reported:
                        continue
                    if _own_mark(start, func, test, anchor, claim.key, analysis):
                        continue
                    reported.add(id(test))
                    yield Finding(test, _message(test, claim, start, func, analysis))


def _places(
    start: ThreadStart, func: FunctionInfo, anchor: cst.CSTNode
) -> list[tuple[FunctionInfo, cst.CSTNode]]:
    """The start in its function, and the call into that function from the one that
    tests the flag, when it is another."""
    places: list[tuple[FunctionInfo, cst.CSTNode]] = [(start.func, start.call)]
    if func is not start.func:
        places.append((func, anchor))
    return places


def _message(
    test: cst.If, claim: _Claim, start: ThreadStart, func: FunctionInfo, analysis: ModuleAnalysis
) -> str:
    line = analysis.line_of(start.call)
    what = "thread" if start.how in _THREADS else "task"
    started = (
        f"{what} started at line {line}"
        if func is start.func
        else f"{what} that '{start.func.name}' starts at line {line}"
    )
    return (
        f"'{snippet(_flag_in(test.test, claim.key, func, analysis))}' is tested here, but "
        f"only the {started} raises it ('{claim.target.name}', line "
        f"{analysis.line_of(claim.raised)}): a call from another thread that comes before "
        f"that {what} raises it passes this test too and starts another; raise the flag "
        f"here, before the {what} starts"
    )


def _may_overlap(start: ThreadStart) -> bool:
    """Can two starts of this kind run their targets at once? Not in another process (it
    raises its own copy of the flag), not on a one-worker pool (tasks queue behind each
    other), not behind a flag the starter itself tests and raises (``start.guard``)."""
    return (
        (start.how in _THREADS or start.how in _TASKS)
        and not start.in_process
        and start.worker is None
        and start.guard is None
        and start.target is not None
    )


def _target_function(start: ThreadStart, analysis: ModuleAnalysis) -> FunctionInfo | None:
    """The module's function the start runs: its target, the one call of a ``lambda``
    target (``lambda: self._run(x)``) or the function a ``partial`` binds."""
    target = start.target
    if isinstance(target, cst.Lambda) and isinstance(target.body, cst.Call):
        target = target.body.func
    elif isinstance(target, cst.Call):
        name = analysis.structure.qualified_name(target.func, start.func)
        if name != "functools.partial":
            return None
        target = argument(target, 0, "func")
    if target is None:
        return None
    return analysis.resolve_function(target, start.func)


def _claims(target: FunctionInfo, analysis: ModuleAnalysis) -> list[_Claim]:
    """The flags ``target`` raises among its top-level statements (or those of a
    top-level ``try`` or ``with``), unless it tested them before under a lock (its own
    check-then-raise, which lets one thread through), and lowers again later (itself or
    in a function of the module it calls), when it does not loop on them: a busy flag
    around a piece of work, not the run flag of a service loop (TS407's)."""
    assert isinstance(target.node, cst.FunctionDef)
    statements: list[tuple[cst.BaseStatement, bool]] = []  # (statement, under a lock)
    for statement in block(target.node.body):
        if isinstance(statement, cst.Try):
            statements.extend((inner, False) for inner in block(statement.body))
        elif isinstance(statement, cst.With):
            locked = any(
                analysis.symbols.kind_of(item.item, target) in LOCKLIKE for item in statement.items
            )
            statements.extend((inner, locked) for inner in block(statement.body))
        else:
            statements.append((statement, False))
    checked: set[SymbolKey] = set()
    claims: list[_Claim] = []
    for index, (statement, locked) in enumerate(statements):
        if _leaves_unless_acquired(statement):
            return claims  # ``if not run_lock.acquire(blocking=False): return``: one at a time
        raised = _raised(statement, target, analysis) or _raised_by_helper(
            statement, target, analysis
        )
        if (
            raised is not None
            and raised not in checked
            and not _loops_on(target, raised, analysis)
            and not _pulsed(statements[index + 1 : index + 2], raised, target, analysis)
            and _lowers(target, raised, analysis)
        ):
            claims.append(_Claim(raised, statement, target))
            continue
        if locked:
            checked |= _tested_keys(statement, target, analysis)
    return claims


def _leaves_unless_acquired(statement: cst.CSTNode) -> bool:
    """``if not x.acquire(blocking=False): return``: the thread runs only with a lock no
    other run holds, whatever the flag says."""
    if not isinstance(statement, cst.If) or not ends_by_leaving(statement.body):
        return False
    test = statement.test
    return (
        isinstance(test, cst.UnaryOperation)
        and isinstance(test.operator, cst.Not)
        and isinstance(test.expression, cst.Call)
        and isinstance(test.expression.func, cst.Attribute)
        and test.expression.func.attr.value == "acquire"
    )


def _raised_by_helper(
    statement: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis
) -> SymbolKey | None:
    """The flag a function of the module raises among its own top-level statements, when
    ``statement`` is a bare call of it (``self._mark_busy()``)."""
    call = bare_call(statement)
    if call is None:
        return None
    helper = analysis.resolve_function(call.func, func)
    if helper is None or helper is func or not isinstance(helper.node, cst.FunctionDef):
        return None
    for inner in block(helper.node.body):
        raised = _raised(inner, helper, analysis)
        if raised is not None:
            return raised
        if _tested_keys(inner, helper, analysis):
            return None  # it tests first: its own check
    return None


def _pulsed(
    following: list[tuple[cst.BaseStatement, bool]],
    key: SymbolKey,
    func: FunctionInfo,
    analysis: ModuleAnalysis,
) -> bool:
    """Is the flag lowered by the very next statement (``tick.set(); tick.clear()``): a
    pulse, never up while work runs?"""
    return any(_lowered_by(statement, key, func, analysis) for statement, _ in following)


def _tested_keys(
    statement: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis
) -> set[SymbolKey]:
    """The flags ``statement`` tests in an ``if`` or ``while`` test (``if flag:``, ``if
    flag.is_set():``, ``while not flag:``). A mere mention (a log of it, ``global
    flag``) is no test."""
    keys: set[SymbolKey] = set()
    for node in walk(statement, NOT_RUN):
        if not isinstance(node, (cst.If, cst.While)):
            continue
        for inner in walk(node.test, NOT_RUN):
            if isinstance(inner, (cst.Name, cst.Attribute, cst.Call)):
                key = _flag_key(inner, func, analysis)
                if key is not None:
                    keys.add(key)
    return keys


def _loops_on(func: FunctionInfo, key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Does ``func`` run a ``while`` loop whose test reads the flag (``while
    self._running:``)? Then the flag is the loop's run flag."""
    return any(
        isinstance(node, cst.While) and key in _tested_keys(node, func, analysis)
        for node in walk(func.node, NOT_RUN)
    )


def _raised(
    statement: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis
) -> SymbolKey | None:
    """The flag ``statement`` raises: ``flag.set()`` on an Event, or ``flag = True``."""
    if bare_method_call(statement, "set") is not None:
        return _event_set(statement, func, analysis)
    return _stored(statement, func, analysis, "True")


def _event_set(
    statement: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis
) -> SymbolKey | None:
    """The Event ``statement`` sets (``self._ready.set()`` on a line of its own)."""
    receiver = bare_method_call(statement, "set")
    if receiver is None or analysis.symbols.kind_of(receiver, func) is not Kind.EVENT:
        return None
    return analysis.symbols.key_of(receiver, func)


def _stored(
    statement: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis, value: str
) -> SymbolKey | None:
    """The flag ``statement`` stores ``value`` (``True`` or ``False``) in."""
    target = stored_constant(statement, value)
    return analysis.symbols.key_of(target, func) if target is not None else None


def _lowered_by(
    statement: cst.CSTNode, key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Is ``statement`` ``flag.clear()`` or ``flag = False``?"""
    receiver = bare_method_call(statement, "clear")
    if receiver is not None and analysis.symbols.key_of(receiver, func) == key:
        return True
    return _stored(statement, func, analysis, "False") == key


def _lowers(func: FunctionInfo, key: SymbolKey, analysis: ModuleAnalysis, depth: int = 0) -> bool:
    """Does ``func`` lower the flag, itself or in a function of the module it calls
    (``finally: self._done()``), two calls deep?"""
    if any(
        _lowered_by(node, key, func, analysis)
        for node in walk(func.node, NOT_RUN)
        if isinstance(node, cst.SimpleStatementLine)
    ):
        return True
    if depth >= 2:
        return False
    return any(
        _lowers(callee, key, analysis, depth + 1)
        for callee in analysis.callees.get(func, ())
        if callee is not func and isinstance(callee.node, cst.FunctionDef)
    )


def _waits_after(
    func: FunctionInfo,
    anchor: cst.CSTNode,
    start: ThreadStart,
    claim: _Claim,
    analysis: ModuleAnalysis,
) -> bool:
    """After ``anchor`` (the start, or the call that makes it), does ``func`` wait for the
    thread: ``join()`` on the thread it stored, ``result()`` or ``exception()`` on the
    future it kept, ``wait()`` on the flag or on another Event the thread sets (a
    "started" signal), or a ``while not flag:`` loop? Then the flag is up (or the run
    over) before the starter goes on. (``while flag:`` waits for the end of a run that
    may not have begun: it proves nothing.)"""
    handle = _stored_in(start, analysis) if func is start.func else None
    attr = start.handle.rsplit(".", 1)[-1] if start.handle is not None else None
    signals = _events_set(claim.target, analysis) | {claim.key}
    for after in _statements_after(anchor, func, analysis):
        for statement in _straight(after):
            if isinstance(statement, cst.While):
                node: cst.CSTNode = statement
            elif isinstance(statement, cst.SimpleStatementLine):
                node = statement
            else:
                continue  # an ``if``, a loop, a handler: it may not wait
            if (
                isinstance(node, cst.While)
                and isinstance(node.test, cst.UnaryOperation)
                and isinstance(node.test.operator, cst.Not)
                and _flag_key(node.test.expression, func, analysis) == claim.key
            ):
                return True
            if not isinstance(node, cst.SimpleStatementLine):
                continue
            for call in walk(node, NOT_RUN):
                if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
                    continue
                method, receiver = call.func.attr.value, call.func.value
                if method in ("join", "result", "exception") and (
                    (handle is not None and receiver.deep_equals(handle))
                    or (
                        attr is not None
                        and func.self_name is not None
                        and own_attribute(receiver, func.self_name) == attr
                    )
                ):
                    return True
                if method in ("wait", "wait_for") and (
                    analysis.symbols.key_of(receiver, func) in signals
                ):
                    return True
    return False


def _stored_in(start: ThreadStart, analysis: ModuleAnalysis) -> cst.BaseExpression | None:
    """What the start's thread or future is bound to (``worker = Thread(...)``, ``self._t
    = Thread(...)``, ``future = pool.submit(...)``)."""
    parent = analysis.parent_of(start.call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        return parent.targets[0].target
    return None


def _events_set(func: FunctionInfo, analysis: ModuleAnalysis) -> set[SymbolKey]:
    """The Events ``func`` sets anywhere (its "started" signals)."""
    found = {
        _event_set(node, func, analysis)
        for node in walk(func.node, NOT_RUN)
        if isinstance(node, cst.SimpleStatementLine)
    }
    return {key for key in found if key is not None}


def _statements_after(
    node: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[cst.CSTNode]:
    """The statements that run after the one holding ``node``, in its block and in each
    enclosing block of ``func`` up to the function itself."""
    return _beside(node, func, analysis, later=True)


def _beside(
    node: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis, later: bool
) -> Iterator[cst.CSTNode]:
    """The statements after (``later``) or before the one holding ``node`` in its block,
    then in each enclosing block of ``func``, nearest first."""
    current: cst.CSTNode | None = node
    while current is not None and current is not func.node:
        parent = analysis.parent_of(current)
        if isinstance(parent, (cst.IndentedBlock, cst.Module)) and current in parent.body:
            statements = list(parent.body)
            index = statements.index(current)  # type: ignore[arg-type]
            yield from statements[index + 1 :] if later else statements[:index]
        current = parent


def _starting_calls(
    func: FunctionInfo, call: cst.CSTNode, target: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[tuple[FunctionInfo, cst.CSTNode]]:
    """Where the start is decided: the start itself, and each call of the module's code
    into the function that makes it (``dispatch(job)`` from a poll loop)."""
    yield func, call
    if func is target:
        return
    for site in analysis.regions.call_sites:
        if site.callee is func and site.func is not func and site.func is not target:
            yield site.func, site.call


def _test_guarding(
    func: FunctionInfo, anchor: cst.CSTNode, key: SymbolKey, analysis: ModuleAnalysis
) -> cst.If | None:
    """The ``if`` of ``func`` that tests the flag and lets ``anchor`` run only while it is
    down: ``if flag: <leave>`` (or ``if flag or other: <leave>``, an ``elif``) before it,
    ``if flag: ... else: <anchor>``, or ``if not flag: <anchor>``."""
    for node in walk(func.node, NOT_RUN):
        if not isinstance(node, cst.If):
            continue
        for test in conjuncts(node.test):
            if (
                isinstance(test, cst.UnaryOperation)
                and isinstance(test.operator, cst.Not)
                and _flag_key(test.expression, func, analysis) == key
                and contains(node.body, anchor)
            ):
                return node
        if any(
            _flag_key(part, func, analysis) == key for part in disjuncts(node.test)
        ) and _runs_when_down(node, anchor, analysis):
            return node
    return None


def _runs_when_down(test: cst.If, anchor: cst.CSTNode, analysis: ModuleAnalysis) -> bool:
    """Is ``anchor`` in the ``else`` of ``if flag:``, or after the whole ``if``/``elif``
    chain when this test's body leaves: later in its block, or after the ``with`` or
    ``try`` body the test stands in (``with lock: if flag: return``, then the start)?"""
    if test.orelse is not None and contains(test.orelse, anchor):
        return True
    if not ends_by_leaving(test.body):
        return False
    top: cst.CSTNode = test
    parent = analysis.parent_of(top)
    while isinstance(parent, cst.If) and parent.orelse is top:
        top, parent = parent, analysis.parent_of(parent)
    while isinstance(parent, (cst.IndentedBlock, cst.Module)):
        statements = list(parent.body)
        later = statements[statements.index(top) + 1 :]  # type: ignore[arg-type]
        if any(contains(statement, anchor) for statement in later):
            return True
        owner = analysis.parent_of(parent)
        if not (
            isinstance(owner, cst.With) or (isinstance(owner, cst.Try) and owner.body is parent)
        ):
            return False
        top, parent = owner, analysis.parent_of(owner)
    return False


def _flag_key(
    test: cst.BaseExpression, func: FunctionInfo, analysis: ModuleAnalysis
) -> SymbolKey | None:
    """The flag a test reads: ``flag.is_set()`` or ``flag`` itself."""
    if (
        isinstance(test, cst.Call)
        and not test.args
        and isinstance(test.func, cst.Attribute)
        and test.func.attr.value in ("is_set", "isSet")
    ):
        return analysis.symbols.key_of(test.func.value, func)
    if isinstance(test, (cst.Name, cst.Attribute)):
        return analysis.symbols.key_of(test, func)
    return None


def _flag_in(
    test: cst.BaseExpression, key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis
) -> cst.BaseExpression:
    """The conjunct of ``test`` that reads the flag, for the message."""
    for part in (*conjuncts(test), *disjuncts(test)):
        inner = part.expression if isinstance(part, cst.UnaryOperation) else part
        if _flag_key(inner, func, analysis) == key:
            return inner
    return test


def _raises_anywhere(
    func: FunctionInfo,
    key: SymbolKey,
    target: FunctionInfo,
    analysis: ModuleAnalysis,
    depth: int = 0,
) -> bool:
    """Does ``func`` itself raise the flag (its own claim, before or after the start),
    or a function of the module it calls, two calls deep (``self._claim()``)? Not the
    thread's own function (``target``), called or nested."""
    if any(
        _raised(node, func, analysis) == key
        for node in walk(func.node, NOT_RUN)
        if isinstance(node, cst.SimpleStatementLine)
    ):
        return True
    return depth < 2 and any(
        _raises_anywhere(callee, key, target, analysis, depth + 1)
        for callee in analysis.callees.get(func, ())
        if callee is not func
        and callee is not target
        and isinstance(callee.node, cst.FunctionDef)
        and callee.parent is not func  # a nested function is a thread's, not a call
    )


def _handle_checked(
    start: ThreadStart, func: FunctionInfo, anchor: cst.CSTNode, analysis: ModuleAnalysis
) -> bool:
    """Is the thread stored in an attribute (``self._thread = Thread(...)``) that, before
    the start, the starter (or the function that tests the flag and calls it) joins or
    cancels (a debounce ``Timer``), unconditionally or under tests of the handle alone,
    or tests for a live thread in an ``if`` that leaves (``if self._thread is not None
    and self._thread.is_alive(): return``, also one part of an ``or``) or holds the start?
    Then a second call waits for the first run, stops it, or sees it alive, whatever the
    flag says."""
    if start.handle is None:
        return False
    attr = start.handle.rsplit(".", 1)[-1]
    for owner, until in _places(start, func, anchor):
        self_name = owner.self_name
        if self_name is None:
            continue

        def alive(test: cst.BaseExpression, self_name: str = self_name) -> bool:
            return _liveness_test(test, attr, self_name)

        for node in walk(owner.node, NOT_RUN):
            if node is until:
                break  # only what comes before the start (in walk order)
            if isinstance(node, cst.If):
                if ends_by_leaving(node.body) and any(
                    all(map(alive, conjuncts(part))) for part in disjuncts(node.test)
                ):
                    return True
                if contains(node.body, until) and any(map(alive, conjuncts(node.test))):
                    return True
            elif (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in ("join", "cancel")
                and not node.args  # ``join(timeout=...)`` may return with it alive
                and own_attribute(node.func.value, self_name) == attr
                and _only_under_tests_of(node, alive, owner, analysis)
            ):
                return True
    return False


def _liveness_test(test: cst.BaseExpression, attr: str, self_name: str) -> bool:
    """``self.<attr>`` (or ``not`` it), ``self.<attr> is (not) None`` or
    ``self.<attr>.is_alive()`` (or ``not`` it): a test of whether the handle holds a
    thread, and nothing else."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    if (
        isinstance(test, cst.Call)
        and not test.args
        and isinstance(test.func, cst.Attribute)
        and test.func.attr.value in ("is_alive", "isAlive")
    ):
        test = test.func.value
    elif (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, (cst.Is, cst.IsNot))
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        test = test.left
    return own_attribute(test, self_name) == attr


def _only_under_tests_of(
    node: cst.CSTNode,
    alive: Callable[[cst.BaseExpression], bool],
    func: FunctionInfo,
    analysis: ModuleAnalysis,
) -> bool:
    """Does ``node`` run whenever the function gets there, but for ``if`` tests of the
    handle alone (``if self._timer is not None: self._timer.cancel()``)? Not in a loop,
    a handler or an ``if`` on anything else (``if force: self._thread.join()``)."""
    current = analysis.parent_of(node)
    while current is not None and current is not func.node:
        if isinstance(current, cst.If) and not all(map(alive, conjuncts(current.test))):
            return False
        if isinstance(current, (cst.For, cst.While, cst.ExceptHandler, cst.ExceptStarHandler)):
            return False
        current = analysis.parent_of(current)
    return True


def _attributes(node: cst.CSTNode) -> Iterator[cst.Attribute]:
    for inner in walk(node, NOT_RUN):
        if isinstance(inner, cst.Attribute):
            yield inner


def _own_mark(
    start: ThreadStart,
    func: FunctionInfo,
    test: cst.If,
    anchor: cst.CSTNode,
    key: SymbolKey,
    analysis: ModuleAnalysis,
) -> bool:
    """Does ``func``, before the start, test another flag that it raises itself on the
    way to the start (``if self._busy.is_set() or self._starting: return``, then
    ``self._starting = True``; an Event mark, ``self._pending.set()``)? That mark, not the
    busy flag, stops a second start. A raise inside a branch that leaves (``if evt is
    not None: evt.set(); continue``) is not on that way."""
    raised = {
        _raised(statement, func, analysis)
        for statement in _statements_before(anchor, func, analysis)
    }
    if func is not start.func:  # the function that makes the start may raise it too
        raised |= {
            _raised(statement, start.func, analysis)
            for statement in _statements_before(start.call, start.func, analysis)
        }
    raised -= {None, key}
    if not raised:
        return False
    for node in walk(func.node, NOT_RUN):
        if node is anchor:
            return False
        if not isinstance(node, cst.If) or not (node is test or ends_by_leaving(node.body)):
            continue
        if _tested_keys(node, func, analysis) & raised:
            return True
    return False


def _statements_before(
    node: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[cst.CSTNode]:
    """The statements that run before the one holding ``node`` on the way to it: those
    before it in its block and in each enclosing block of ``func``."""
    for statement in _beside(node, func, analysis, later=False):
        yield from _straight(statement)


def _straight(statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``statement``, and the statements of the ``with`` and ``try`` bodies in it, which
    run whenever it does, and of the ``else`` of an ``if`` whose body leaves (the way on
    goes through it); not those of another ``if``, a loop or a handler."""
    yield statement
    if isinstance(statement, (cst.With, cst.Try)):
        for inner in block(statement.body):
            yield from _straight(inner)
    elif (
        isinstance(statement, cst.If)
        and isinstance(statement.orelse, cst.Else)
        and ends_by_leaving(statement.body)
    ):
        for inner in block(statement.orelse.body):  # the way on goes through the else
            yield from _straight(inner)


RULES: list[type[Rule]] = [BusyFlagSetByThread]
