"""Who sets an event, and whether it is sure to: what TS206 needs to clear an
``event.wait()`` made while a lock is held.

A function that starts a thread and waits for it to say it is ready (``ready =
threading.Event()``, ``Thread(target=run_loop).start()``, ``ready.wait()``) waits for
good when the thread fails before its ``set()``: ydb's topic event loop sets its event in
a callback the loop may never run. It does not when the thread's function sets the event
on every path, errors included (singlestoredb's dispatch loop: ``try: ... except
BaseException: ...; ready.set(); return`` and ``ready.set()`` after the ``try``): then, if
the thread never takes the waiter's lock, holding it while waiting deadlocks nothing.

That is known when the module makes the event (every value stored where it is kept is
``threading.Event()``: a local, an attribute set in ``__init__`` or in the class body;
never cleared), a thread started by the waiting function before the wait runs one of the
module's functions, and that function sets the event whatever happens: its statements up
to a ``set()`` either cannot realistically fail, or are a ``try`` whose handlers (one
catching everything) each fall through or set the event before they leave; or it ends in
a ``finally`` that sets it. A call of a module's function that sets it so, or of a
coroutine run to completion (open-aea's supervisor thread:
``loop.run_until_complete(wait_stopped())``, whose first statements make a future and
set the event), counts as a ``set()``.

Nor does it when every other taker of the lock sets the event first (dlnaplayon's media
server: ``shutdown()`` runs ``self.built.set()`` and then ``with self.shut_lock:``,
while ``run()`` waits for ``built`` holding ``shut_lock``): whoever needs the lock wakes
the waiter on the way, so nobody blocks on the lock while the waiter still waits.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.awaited import Awaited, assignments_of, canonical_key
from tsafe_lint.analysis.kinds import FACTORIES, Kind
from tsafe_lint.analysis.scopes import ends_by_leaving, final_name, is_declaration
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.tree import bare_method_call, contains, walk
from tsafe_lint.rules.cannot_raise import catches_all
from tsafe_lint.rules.realistic_raise import realistically_cannot_raise

_LEAVING = (cst.Return, cst.Raise)
#: how deep a ``set()`` is followed into the functions called on the way to it
_CALL_DEPTH = 2
#: calls that run the coroutine they are handed to completion
_RUNNERS = frozenset({"run_until_complete", "run"})


def sure_setters(
    wait: cst.Call, receiver: cst.BaseExpression, scope: FunctionInfo, analysis: ModuleAnalysis
) -> Awaited | None:
    """The module's function that a thread started by ``scope`` before ``wait`` runs,
    when it sets the event ``receiver`` on every path; None otherwise."""
    key = canonical_key(analysis.symbols.key_of(receiver, scope), analysis)
    if key is None or not made_as_event(key, analysis):
        return None
    if _cleared(key, analysis):
        return None
    order = {id(node): index for index, node in enumerate(walk(scope.node))}
    for start in analysis.thread_starts:
        if start.func is not scope or start.in_process or start.target is None:
            continue
        if order.get(id(start.call), len(order)) > order.get(id(wait), -1):
            continue  # started after the wait
        target = analysis.resolve_function(start.target, scope)
        if target is not None and _sets_on_every_path(target, key, analysis):
            return Awaited((target,))
    return None


def made_as_event(key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Is every value the module stores into ``key`` a new Event (``threading.Event()``)?"""
    made = assignments_of(key, analysis)
    return bool(made) and all(
        isinstance(value, cst.Call)
        and FACTORIES.get(analysis.structure.qualified_name(value.func, maker) or "") is Kind.EVENT
        for maker, value in made
    )


def made_as_flag(key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Is every value the module stores into ``key`` ``True`` or ``False``, and one of
    them ``True``: a flag a thread raises to say it is ready?"""
    made = assignments_of(key, analysis)
    return any(is_true(value) for _, value in made) and all(
        isinstance(value, cst.Name) and value.value in ("True", "False") for _, value in made
    )


def is_true(value: cst.BaseExpression | None) -> bool:
    return isinstance(value, cst.Name) and value.value == "True"


def _cleared(key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Does any code of the module call ``clear()`` on the event?"""
    return any(
        call.method == "clear" and canonical_key(call.target, analysis) == key
        for call in analysis.regions.method_calls
    )


def _sets_on_every_path(
    func: FunctionInfo, key: SymbolKey, analysis: ModuleAnalysis, depth: int = 0
) -> bool:
    """Does ``func`` reach a ``set()`` of the event whatever happens before it?"""
    reached, failing = failure_before_set(func, key, analysis, depth)
    return reached and failing is None


def failure_before_set(
    func: FunctionInfo, key: SymbolKey, analysis: ModuleAnalysis, depth: int = 0
) -> tuple[bool, cst.BaseStatement | None]:
    """Walks ``func``'s top-level statements to its first ``set()`` of the event: whether
    one is reached (there, or in a ``finally`` that sets it), and the last statement
    before it that can fail with nothing setting the event on the way out (a ``try``
    whose handlers each set it or fall through is no such statement; one that fails in
    use rather than an ``assert`` when there are both)."""
    if not isinstance(func.node, cst.FunctionDef):
        return False, None
    failing: cst.BaseStatement | None = None
    for statement in block(func.node.body):
        if _sets(statement, key, func, analysis, depth):
            return True, failing
        if is_declaration(statement) or _defines(statement):
            continue  # ``global _loop``, ``async def wait_stopped(): ...``: runs nothing
        if isinstance(statement, cst.Try):
            if statement.finalbody is not None and any(
                _sets(inner, key, func, analysis, depth)
                for inner in block(statement.finalbody.body)
            ):
                return True, failing
            if _handlers_set_or_fall_through(statement, key, func, analysis, depth):
                continue
            failing = _later(failing, statement)
        elif not _cannot_fail(statement, func, analysis):
            failing = _later(failing, statement)
    return False, failing


def _later(failing: cst.BaseStatement | None, statement: cst.BaseStatement) -> cst.BaseStatement:
    """The statement to name as the one that can fail: the last so far (the step just
    before the ``set()``, usually what binds or connects), but one that fails in use
    rather than an ``assert`` when there are both."""
    if failing is not None and _asserts(statement) and not _asserts(failing):
        return failing
    return statement


def _asserts(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Assert) for small in statement.body
    )


def _handlers_set_or_fall_through(
    statement: cst.Try,
    key: SymbolKey,
    func: FunctionInfo,
    analysis: ModuleAnalysis,
    depth: int,
) -> bool:
    """A ``try`` without ``else`` or ``finally``, one of whose handlers catches
    everything, each handler setting the event before it leaves or falling through to
    what follows the ``try`` (its statements cannot fail)."""
    if statement.orelse is not None or statement.finalbody is not None:
        return False
    if not any(catches_all(handler.type) for handler in statement.handlers):
        return False
    for handler in statement.handlers:
        statements = list(block(handler.body))
        leaves = ends_by_leaving(handler.body, _LEAVING)
        sets = [i for i, inner in enumerate(statements) if _sets(inner, key, func, analysis, depth)]
        before = statements[: sets[0]] if sets else []
        if sets and leaves and all(_cannot_fail(inner, func, analysis) for inner in before):
            continue  # ``except BaseException: errors.append(e); ready.set(); return``
        if not leaves and all(_cannot_fail(inner, func, analysis) for inner in statements):
            continue
        return False
    return True


def _cannot_fail(
    statement: cst.BaseStatement, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    return realistically_cannot_raise(statement, analysis, func)


def _defines(statement: cst.BaseStatement) -> bool:
    """A ``def`` with no decorator and no default but a name or a constant: defining it
    runs none of its code."""
    if not isinstance(statement, cst.FunctionDef) or statement.decorators:
        return False
    params = statement.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return all(
        param.default is None
        or isinstance(param.default, (cst.Name, cst.BaseNumber, cst.SimpleString))
        for param in every
    )


def _sets(
    statement: cst.BaseStatement,
    key: SymbolKey,
    func: FunctionInfo,
    analysis: ModuleAnalysis,
    depth: int = 0,
) -> bool:
    """Is ``statement`` ``ev.set()`` on the event, or a call of one of the module's
    functions that sets it on every path (``announce()``, a coroutine run to completion:
    ``loop.run_until_complete(wait_stopped())``, ``asyncio.run(main())``, ``await
    main()``)?"""
    receiver = bare_method_call(statement, "set")
    if receiver is not None:
        return canonical_key(analysis.symbols.key_of(receiver, func), analysis) == key
    raised = _raised_flag(statement)
    if raised is not None:  # ``self._started = True``: a flag's set()
        return canonical_key(analysis.symbols.key_of(raised, func), analysis) == key
    if depth >= _CALL_DEPTH:
        return False
    callee = _run_to_completion(statement, func, analysis)
    return (
        callee is not None
        and callee is not func
        and _sets_on_every_path(callee, key, analysis, depth + 1)
    )


def _raised_flag(statement: cst.BaseStatement) -> cst.BaseExpression | None:
    """The target of ``<target> = True`` on a line of its own."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and is_true(small.value):
        return small.targets[0].target
    return None


def _run_to_completion(
    statement: cst.BaseStatement, func: FunctionInfo, analysis: ModuleAnalysis
) -> FunctionInfo | None:
    """The module's function that ``statement`` calls and waits for: ``helper()``,
    ``await helper()``, or a coroutine handed to ``run_until_complete`` or
    ``asyncio.run``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not isinstance(small, cst.Expr):
        return None
    awaited = isinstance(small.value, cst.Await)
    value = small.value.expression if isinstance(small.value, cst.Await) else small.value
    if not isinstance(value, cst.Call):
        return None
    runner = final_name(value.func)
    if runner in _RUNNERS and len(value.args) == 1 and isinstance(value.args[0].value, cst.Call):
        value, awaited = value.args[0].value, True
    callee = analysis.resolve_function(value.func, func)
    if callee is not None and callee.is_async and not awaited:
        return None  # ``main()`` alone only makes the coroutine: none of it runs
    return callee


def woken_before_taken(
    receiver: cst.BaseExpression,
    scope: FunctionInfo,
    lock: SymbolKey,
    analysis: ModuleAnalysis,
) -> bool:
    """Does every other acquisition of ``lock`` in the module come after a bare
    ``set()`` of the event ``receiver`` waits on, earlier in the same function (in the
    block of the acquisition or one around it)? The waiting function's own ones count
    as well when several threads may run it on one object. A lock handed out of the
    module's code (stored, passed, returned) may be taken anywhere: no."""
    event = canonical_key(analysis.symbols.key_of(receiver, scope), analysis)
    if event is None or lock in analysis.regions.escaped or _cleared(event, analysis):
        return False
    reentered = analysis.reach.many(scope) and not (
        lock[0] == "attr"
        and all(entry.own_instance for entry in analysis.reach.entries.get(scope, ()))
    )  # a Thread subclass's run(): each thread runs its own object, with its own lock
    others = [
        taken
        for taken in analysis.locks.acquisitions
        if taken.lock == lock and (taken.func is not scope or reentered)
    ]
    if not others:
        return False
    return all(_set_before(taken.node, taken.func, event, analysis) for taken in others)


def _set_before(
    node: cst.CSTNode, func: FunctionInfo, event: SymbolKey, analysis: ModuleAnalysis
) -> bool:
    """Is a statement before ``node``, in its block or a block around it within
    ``func``, a bare ``set()`` of ``event``?"""
    current: cst.CSTNode | None = node
    while current is not None and current is not func.node:
        parent = analysis.parent_of(current)
        if isinstance(parent, (cst.IndentedBlock, cst.Module)):
            for statement in parent.body:
                if statement is current:
                    break
                if isinstance(statement, cst.BaseStatement) and _sets(
                    statement, event, func, analysis
                ):
                    return True
        current = parent
    return False


def restored_before_release(
    receiver: cst.BaseExpression,
    scope: FunctionInfo,
    lock: SymbolKey,
    analysis: ModuleAnalysis,
) -> bool:
    """Is the event ``receiver`` waits on set whenever ``lock`` is free: made by the
    module and set where it is made (module or class body, ``__init__``), and every
    ``clear()`` of it made while holding ``lock``, inside a ``try`` whose ``finally``
    sets it again before ``lock`` is released? A thread that holds the lock then finds
    it set and its ``wait()`` returns at once (cloudshell-shell-core's ``GlobalLock``,
    fifty-eighth set: judged false). A clear outside the lock, or one the ``finally``
    does not undo, keeps the wait reported."""
    event = canonical_key(analysis.symbols.key_of(receiver, scope), analysis)
    if event is None or not made_as_event(event, analysis):
        return False
    calls = [
        call
        for call in analysis.regions.method_calls
        if canonical_key(call.target, analysis) == event
    ]
    set_at_start = any(
        call.method == "set" and (call.func.is_module or call.func.name == "__init__")
        for call in calls
    ) or _set_in_class_body(event, analysis)
    if not set_at_start:
        return False
    sets = [call for call in calls if call.method == "set" and lock in call.state.held]
    for clear in (call for call in calls if call.method == "clear"):
        if lock not in clear.state.held:
            return False
        guard = _enclosing_try(clear.call, clear.func, analysis)
        if guard is None or guard.finalbody is None:
            return False
        final = guard.finalbody
        if not any(contains(final, again.call) for again in sets):
            return False
    return True


def _enclosing_try(
    node: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis
) -> cst.Try | None:
    """The innermost ``try`` whose body holds ``node``, within ``func``."""
    current: cst.CSTNode | None = node
    while current is not None and current is not func.node:
        parent = analysis.parent_of(current)
        if isinstance(parent, cst.Try) and current is parent.body:
            return parent
        current = parent
    return None


def _set_in_class_body(event: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """``_event = Event()`` then ``_event.set()`` in the body of the class that owns the
    attribute ``event``."""
    if event[0] != "attr" or len(event) != 3:
        return False
    cls = analysis.structure.classes.get(str(event[1]))
    if cls is None:
        return False
    return any(
        isinstance(receiver := bare_method_call(statement, "set"), cst.Name)
        and receiver.value == event[2]
        for statement in block(cls.node.body)
    )
