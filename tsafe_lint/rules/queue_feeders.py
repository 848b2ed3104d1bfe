"""Who puts into a queue, and whether they always answer: what TS206 needs to clear a
``queue.get()`` made while a lock is held.

A worker pool that hands results back through a queue (``put`` one result per item,
errors included) answers every item it was given: the waiter's ``get()`` returns, and
if no worker takes the waiter's lock, holding it while waiting deadlocks nothing. That is
known when every ``put`` into the queue is the module's own, the queue is never handed
on (no other code can put into it), and every ``put`` is reached whatever happens
before it in its function: it stands outside any ``if``, ``try`` or ``with``, and each
statement before it either catches every exception (``try: ... except Exception:``) or
cannot realistically fail.

A ``get()`` that cannot wait at all is not a wait either: it follows a test that the
queue has an item (``while not q.empty():``, ``if q.qsize():``, with nothing between
that calls other code; or ``if q.empty(): return``, or ``if q.empty():`` whose body
returns unless a refill of the queue says it put), made under a lock that every ``get``
of the queue in the module holds, so no other thread can take the item between the test
and the ``get``.
Nor is a ``get()`` whose item is dropped, in a function that itself puts into the queue:
the queue is that code's own bounded buffer, and the ``get`` retires an item it put
(a tee whose forks pop the head once all of them have read it), not a wait for another
thread's work.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import AnyCall, FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.awaited import Awaited, assignments_of, canonical_key
from tsafe_lint.analysis.scopes import ends_by_leaving
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.tree import NOT_RUN, conjuncts, walk
from tsafe_lint.rules.cannot_raise import catches_all
from tsafe_lint.rules.realistic_raise import realistically_cannot_raise
from tsafe_lint.rules.self_logging import is_log_call

#: The queues a module makes itself: nobody else holds them until it hands them on.
_QUEUE_MAKERS = frozenset(
    {"queue.Queue", "queue.SimpleQueue", "queue.LifoQueue", "queue.PriorityQueue"}
)
_PUTS = frozenset({"put", "put_nowait"})


def answering_feeders(
    receiver: cst.BaseExpression, scope: FunctionInfo, analysis: ModuleAnalysis
) -> Awaited | None:
    """The module's functions that put into the queue ``receiver``, when every put is
    theirs and always reached; None when some feeder is unknown or may fail first."""
    key = canonical_key(analysis.symbols.key_of(receiver, scope), analysis)
    if key is None:
        return None
    made = assignments_of(key, analysis)
    if not made:
        return None  # made in another module: its code may put into it
    for maker, value in made:
        if not isinstance(value, cst.Call) or (
            analysis.structure.qualified_name(value.func, maker) not in _QUEUE_MAKERS
        ):
            return None  # a queue from elsewhere: others may put into it
    feeders: list[FunctionInfo] = []
    for func in analysis.structure.functions:
        for node in walk(func.node, NOT_RUN):
            if isinstance(node, NOT_RUN) and node is not func.node:
                continue
            if not isinstance(node, (cst.Name, cst.Attribute)):
                continue
            if canonical_key(analysis.symbols.key_of(node, func), analysis) != key:
                continue
            parent = analysis.parent_of(node)
            if isinstance(parent, cst.Attribute) and parent.attr is node:
                continue  # ``done_q`` in ``self.done_q``: the attribute's name
            if isinstance(parent, cst.AssignTarget) or (
                isinstance(parent, cst.Attribute)
                and parent.value is node
                and parent.attr.value not in _PUTS
            ):
                continue  # the queue's binding, or one of its own methods (``get``)
            if isinstance(parent, cst.Attribute) and parent.value is node:
                call = analysis.parent_of(parent)
                if (
                    isinstance(call, cst.Call)
                    and call.func is parent
                    and _always_reached(call, func, analysis)
                ):
                    feeders.append(func)
                    continue
            return None  # handed on, or a put that may not happen
    if not feeders:
        return None
    return Awaited(tuple(dict.fromkeys(feeders)))


def _always_reached(call: cst.Call, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is ``call`` a statement of its own that cannot fail, inside loops only, after
    statements that catch everything or cannot fail?"""
    statement = analysis.parent_of(analysis.parent_of(call) or call)
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    if not realistically_cannot_raise(statement, analysis, func):
        return False  # ``done.put(work(item))``: the work may fail before the put
    node: cst.CSTNode = statement
    while node is not func.node:
        suite = analysis.parent_of(node)
        owner = analysis.parent_of(suite) if suite is not None else None
        if owner is None or not isinstance(owner, (cst.While, cst.For, cst.FunctionDef)):
            return False
        if isinstance(owner, (cst.While, cst.For)) and suite is not owner.body:
            return False  # the loop's ``else``
        statements = list(block(owner.body))
        for earlier in statements[: statements.index(node)]:  # type: ignore[arg-type]
            if not _answers_any_failure(earlier) and not realistically_cannot_raise(
                earlier, analysis, func
            ):
                return False
        node = owner
    return True


def _answers_any_failure(statement: cst.BaseStatement) -> bool:
    """``try: ... except Exception:`` with no ``else`` or ``finally``, whose handlers
    only store a value, log or pass."""
    if not isinstance(statement, cst.Try) or statement.orelse or statement.finalbody:
        return False
    return any(catches_all(handler.type) for handler in statement.handlers) and all(
        isinstance(inner, cst.SimpleStatementLine) and all(_plain(small) for small in inner.body)
        for handler in statement.handlers
        for inner in block(handler.body)
    )


def _plain(small: cst.BaseSmallStatement) -> bool:
    """A store of a name or a constant (``result = error``), ``pass`` or a log line:
    nothing that fails in a handler."""
    if isinstance(small, cst.Pass):
        return True
    if isinstance(small, cst.Assign):
        return isinstance(small.value, (cst.Name, cst.Integer, cst.SimpleString))
    return (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and is_log_call(small.value)
    )


def taken_when_not_empty(
    call: AnyCall, receiver: cst.BaseExpression, analysis: ModuleAnalysis
) -> bool:
    """A ``get()`` right after a test, under a lock every ``get`` of the queue in the module
    holds, that the queue has an item: ``with lock: while not q.empty(): item = q.get()``,
    ``if not q.empty(): n -= 1; return q.get()`` (nothing between that calls other code),
    ``if q.empty(): return None`` then ``return q.get()``, or ``if q.empty(): if not
    self._refill(): return None`` where ``_refill`` puts into ``q``. No other thread can
    take the item between the test and the ``get`` (midastrader's log buffer, twenty-third
    set; tdhelper's pools, sixtieth set: judged false)."""
    func = call.func
    key = canonical_key(analysis.symbols.key_of(receiver, func), analysis)
    if key is None:
        return False
    test = _non_empty_test(call.call, key, func, analysis)
    if test is None:
        return False
    locks = {
        lock
        for tested in analysis.regions.method_calls
        if tested.call is test
        for lock in tested.state.held & call.state.held
    }
    if not locks:
        return False
    return all(
        other.state.held & locks
        for other in analysis.regions.method_calls
        if other.method in ("get", "get_nowait") and canonical_key(other.target, analysis) == key
    )


def retires_own_item(call: AnyCall, receiver: cst.BaseExpression, analysis: ModuleAnalysis) -> bool:
    """``q.get()`` as a statement of its own, in a function that also puts into ``q``:
    the item is dropped, so the ``get`` frees a slot of the function's own buffer rather
    than waits for another thread's work (mpservice's tee, fifty-seventh set: judged
    false). A waiter that only gets (``done.get()`` for a worker's ``done.put(None)``)
    stays reported."""
    func = call.func
    key = canonical_key(analysis.symbols.key_of(receiver, func), analysis)
    if key is None:
        return False
    statement = analysis.parent_of(call.call)
    if not isinstance(statement, cst.Expr):
        return False  # the item is used: the get waits for it
    return _puts_into(func, key, analysis)


def _puts_into(func: FunctionInfo, key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Does ``func`` itself put into the queue ``key``?"""
    return any(
        put.func is func and put.method in _PUTS and canonical_key(put.target, analysis) == key
        for put in analysis.regions.method_calls
    )


def _non_empty_test(
    get: cst.Call, key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis
) -> cst.Call | None:
    """The size call (``q.empty()``, ``q.qsize()``) that tested, just before ``get``, that
    the queue has an item: the test of an ``if``/``while`` whose body holds ``get`` after
    statements that call nothing, or of an ``if q.empty():`` right before it whose body
    leaves, or leaves unless a refill of the queue says it put."""
    statement = analysis.parent_of(get)
    while statement is not None and not isinstance(statement, cst.SimpleStatementLine):
        statement = analysis.parent_of(statement)
    suite = analysis.parent_of(statement) if statement is not None else None
    owner = analysis.parent_of(suite) if suite is not None else None
    if statement is None or not isinstance(suite, cst.BaseSuite) or owner is None:
        return None
    statements = list(block(suite))
    position = statements.index(statement)
    if isinstance(owner, (cst.If, cst.While)) and suite is owner.body:
        if any(_calls(earlier) for earlier in statements[:position]):
            return None  # code between the test and the get may take the item
        for test in conjuncts(owner.test):
            if _says_empty(test, key, func, analysis) is False:
                return _size_call(test)
    before = statements[position - 1] if position else None
    if (
        isinstance(before, cst.If)
        and before.orelse is None
        and _says_empty(before.test, key, func, analysis) is True
        and (ends_by_leaving(before.body) or _refill_or_leave(before.body, key, func, analysis))
    ):
        return _size_call(before.test)
    return None


def _calls(statement: cst.BaseStatement) -> bool:
    """Does the statement call anything (other code that could take from the queue)?"""
    return any(isinstance(node, cst.Call) for node in walk(statement, NOT_RUN))


def _refill_or_leave(
    body: cst.BaseSuite, key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """``if not self._refill(...): return None`` alone: ``_refill`` is a function of the
    module that puts into the queue, and says whether it did (tdhelper's two-level cache,
    sixtieth set)."""
    statements = block(body)
    if len(statements) != 1:
        return False
    inner = statements[0]
    if not (
        isinstance(inner, cst.If)
        and inner.orelse is None
        and ends_by_leaving(inner.body)
        and isinstance(inner.test, cst.UnaryOperation)
        and isinstance(inner.test.operator, cst.Not)
        and isinstance(inner.test.expression, cst.Call)
    ):
        return False
    refill = inner.test.expression
    callees = [
        site.callee
        for site in analysis.regions.call_sites
        if site.call is refill and site.func is func
    ]
    return bool(callees) and all(_puts_into(callee, key, analysis) for callee in callees)


def _says_empty(
    test: cst.BaseExpression, key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool | None:
    """Whether ``test`` holds when the queue ``key`` is empty (``q.empty()``: True;
    ``not q.empty()``, ``q.qsize() > 0``: False); None for any other test."""
    read = emptiness_test(test)
    if read is None or canonical_key(analysis.symbols.key_of(read[0], func), analysis) != key:
        return None
    return not read[1]


def _size_call(test: cst.BaseExpression) -> cst.Call | None:
    """The ``q.empty()`` / ``q.qsize()`` call inside a test of the queue's size."""
    while isinstance(test, cst.UnaryOperation):
        test = test.expression
    if isinstance(test, cst.Comparison):
        test = test.left
    return test if isinstance(test, cst.Call) else None


def emptiness_test(test: cst.BaseExpression) -> tuple[cst.BaseExpression, bool] | None:
    """The queue a test of its size reads, and whether the test holds when the queue has
    items: ``q.empty()``, ``not q.qsize()`` and ``q.qsize() == 0`` (False); ``not
    q.empty()``, ``q.qsize()`` and ``q.qsize() > 0`` (True); None for any other test."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        if not isinstance(test.expression, cst.Call):
            return None
        read = emptiness_test(test.expression)
        return None if read is None else (read[0], not read[1])
    compared: bool | None = None  # what ``q.qsize() <op> 0`` says of a queue with items
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if not (isinstance(target.comparator, cst.Integer) and target.comparator.value == "0"):
            return None
        if isinstance(target.operator, cst.GreaterThan):
            compared = True
        elif isinstance(target.operator, cst.Equal):
            compared = False
        else:
            return None
        test = test.left
    if not (isinstance(test, cst.Call) and not test.args and isinstance(test.func, cst.Attribute)):
        return None
    method = test.func.attr.value
    if compared is not None:
        return (test.func.value, compared) if method == "qsize" else None
    if method in ("empty", "qsize"):
        return test.func.value, method == "qsize"
    return None
