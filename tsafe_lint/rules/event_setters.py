"""Who sets an event, and whether it is sure to: what TS206 needs to clear an
``event.wait()`` made while a lock is held.

A function that starts a thread and waits for it to say it is ready (``ready =
threading.Event()``, ``Thread(target=run_loop).start()``, ``ready.wait()``) waits for
good when the thread fails before its ``set()``: ydb's topic event loop sets its event in
a callback the loop may never run. It does not when the thread's function sets the event
on every path, errors included (singlestoredb's dispatch loop: ``try: ... except
BaseException: ...; ready.set(); return`` and ``ready.set()`` after the ``try``): then, if
the thread never takes the waiter's lock, holding it while waiting deadlocks nothing.

That is known when the event is the waiting function's own (a local made there by
``threading.Event()``, never cleared), a thread started by that function before the wait
runs one of the module's functions, and that function sets the event whatever happens:
its statements up to a ``set()`` either cannot realistically fail, or are a ``try``
whose handlers (one catching everything) each fall through or set the event before
they leave; or it ends in a ``finally`` that sets it.

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
from tsafe_lint.analysis.scopes import ends_by_leaving
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.tree import bare_method_call, walk
from tsafe_lint.rules.cannot_raise import catches_all
from tsafe_lint.rules.realistic_raise import realistically_cannot_raise

_LEAVING = (cst.Return, cst.Raise)


def sure_setters(
    wait: cst.Call, receiver: cst.BaseExpression, scope: FunctionInfo, analysis: ModuleAnalysis
) -> Awaited | None:
    """The module's function that a thread started by ``scope`` before ``wait`` runs,
    when it sets the event ``receiver`` on every path; None otherwise."""
    key = canonical_key(analysis.symbols.key_of(receiver, scope), analysis)
    if key is None or key[0] != "local" or key[1] != scope.qualname:
        return None  # not the waiting function's own event
    if not made_as_event(key, analysis):
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


def _cleared(key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Does any code of the module call ``clear()`` on the event?"""
    return any(
        call.method == "clear" and canonical_key(call.target, analysis) == key
        for call in analysis.regions.method_calls
    )


def _sets_on_every_path(func: FunctionInfo, key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Does ``func`` reach a ``set()`` of the event whatever happens before it?"""
    reached, failing = failure_before_set(func, key, analysis)
    return reached and failing is None


def failure_before_set(
    func: FunctionInfo, key: SymbolKey, analysis: ModuleAnalysis
) -> tuple[bool, cst.BaseStatement | None]:
    """Walks ``func``'s top-level statements to its first ``set()`` of the event: whether
    one is reached (there, or in a ``finally`` that sets it), and the first statement
    before it that can fail with nothing setting the event on the way out (a ``try``
    whose handlers each set it or fall through is no such statement; one that fails in
    use rather than an ``assert`` when there are both)."""
    if not isinstance(func.node, cst.FunctionDef):
        return False, None
    failing: cst.BaseStatement | None = None
    for statement in block(func.node.body):
        if _sets(statement, key, func, analysis):
            return True, failing
        if _declares(statement):
            continue  # ``global _loop``: runs nothing
        if isinstance(statement, cst.Try):
            if statement.finalbody is not None and any(
                _sets(inner, key, func, analysis) for inner in block(statement.finalbody.body)
            ):
                return True, failing
            if _handlers_set_or_fall_through(statement, key, func, analysis):
                continue
            failing = statement if _weak(failing) else failing
        elif _weak(failing) and not _cannot_fail(statement, func, analysis):
            failing = statement if failing is None or not _asserts(statement) else failing
    return False, failing


def _weak(failing: cst.BaseStatement | None) -> bool:
    """Is ``failing`` no statement yet, or only an ``assert`` (a program error; a later
    statement that fails in use names the failure better)?"""
    return failing is None or _asserts(failing)


def _asserts(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Assert) for small in statement.body
    )


def _handlers_set_or_fall_through(
    statement: cst.Try, key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis
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
        sets = [i for i, inner in enumerate(statements) if _sets(inner, key, func, analysis)]
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


def _declares(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Global, cst.Nonlocal)) for small in statement.body
    )


def _sets(
    statement: cst.BaseStatement, key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Is ``statement`` ``ev.set()`` on the event?"""
    receiver = bare_method_call(statement, "set")
    return (
        receiver is not None
        and canonical_key(analysis.symbols.key_of(receiver, func), analysis) == key
    )


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
