"""A wait without a loop whose following code tests the predicate's state again before it
acts on it (TS301).

A consumer thread often waits once and then takes whatever is there::

    while True:
        with self._cv:
            if self._cmd is None:
                self._cv.wait()
            cmd, self._cmd = self._cmd, None
        if cmd is not None:
            run(cmd)

A wake-up with the predicate unmet (spurious, or the command taken by another thread)
finds nothing to do and the loop waits again: the code after the wait re-checks the
predicate's state itself. That is the case when, after the wait, the first statement
that does anything (not ``pass``, a docstring or a logging call):

- tests the state (``if``/``while``) or iterates over it (``for``: an empty container
  does nothing);
- or is ``if <test of the object's state>: continue``: whatever the wait was for, the
  pass goes back to the loop's head (and waits again) when there is nothing to do;
  an ``if`` of other state whose branch only leaves (``if self._stopped: return``, or a
  ``raise``) is passed over: it does not act on the state, and what follows it is judged;
- or takes it into locals (``cmd = self._cmd``, ``cmd, self._cmd = self._cmd, None``,
  ``items = list(self._items)``, ``n = len(self._queue)``, ``x = self._map.get(k)``,
  nothing else called) whose first use is such a test or loop;
- or calls one of the module's own functions (two calls deep) that does so first.

The state is what the wait's ``if`` tests (``_cmd`` for ``if self._cmd is None:``).
Anything else first (``self._queue.pop(0)``, another call, a ``return`` of the state,
the end of the function, a ``try``) acts on the predicate unchecked and stays reported.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, MethodCall, ModuleAnalysis, walk
from tsafe_lint.rules.self_logging import is_log_call

_COPIES = frozenset({"list", "dict", "set", "tuple", "sorted", "len", "frozenset"})
_READS = frozenset({"copy", "keys", "values", "items", "get"})
_DEPTH = 2

Verdict = bool | None  # True: re-tested first; False: acted on unchecked; None: not yet


def retests_after_wait(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """Does the code after this ``wait()`` test the predicate's state before acting on
    it? (See the module docstring.)"""
    if call.form != "statement":
        return False
    names = _predicate_names(call, analysis)
    if not names:
        return False
    walker = _Walker(analysis, names, call.func)
    return walker.sequence(_following(call.place.statement, analysis)) is True


def _predicate_names(call: MethodCall, analysis: ModuleAnalysis) -> frozenset[str]:
    """The attribute and plain names the ``if`` tests around the wait read (``_cmd`` for
    ``if self._cmd is None:``), up to the enclosing ``with`` or loop."""
    tests: list[cst.BaseExpression] = []
    node = analysis.parent_of(call.place.statement)
    while node is not None and not isinstance(node, (cst.With, cst.While, cst.For)):
        if isinstance(node, cst.If):
            tests.append(node.test)
        if isinstance(node, cst.FunctionDef):
            break
        node = analysis.parent_of(node)
    return names_tested(tests)


def names_tested(tests: list[cst.BaseExpression]) -> frozenset[str]:
    """The state the tests read: attribute names (``self._queue`` gives ``_queue``) and
    plain names, not the objects they are read from nor the functions they call."""
    found: set[str] = set()
    for test in tests:
        skipped = {
            id(part.value if isinstance(part, cst.Attribute) else part.func)
            for part in walk(test)
            if isinstance(part, (cst.Attribute, cst.Call))
        }
        found |= {
            part.value
            for part in walk(test)
            if isinstance(part, cst.Name)
            and id(part) not in skipped
            and part.value not in ("True", "False", "None")
        }
    return frozenset(found)


def _following(statement: cst.CSTNode, analysis: ModuleAnalysis) -> Iterator[cst.CSTNode | None]:
    """The statements that run after ``statement``, in order, through the ends of ``if``
    and ``with`` blocks; then ``None`` where control reaches a loop's head, a ``try``'s
    handlers or the function's end (the walker counts that as acting unchecked)."""
    node: cst.CSTNode = statement
    while True:
        parent = analysis.parent_of(node)
        if parent is None:
            return
        if isinstance(parent, cst.IndentedBlock):
            body = list(parent.body)
            index = next(i for i, item in enumerate(body) if item is node)
            yield from body[index + 1 :]
        elif isinstance(parent, (cst.If, cst.Else, cst.With, cst.SimpleStatementSuite)):
            pass  # the block ends: what follows the compound statement runs next
        else:
            yield None  # a loop's head, a ``try``'s handlers, the function's end
            return
        node = parent


def _skips_the_pass(statement: cst.If) -> bool:
    """``if not self._queue: continue`` (no ``else``): a test of the object's state whose
    only answer is to go back to the loop's head, where the thread waits again; what
    follows runs only when there is something to do (supysonic's scanner queue,
    seventeenth set: judged false)."""
    if not isinstance(_lone_statement(statement), cst.Continue):
        return False
    return any(
        isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
        for node in walk(statement.test)
    )


def _lone_statement(statement: cst.If) -> cst.BaseSmallStatement | None:
    """The one small statement an ``if`` without ``else`` runs (``continue`` in ``if
    not self._queue: continue``), or None when it runs more or has an ``else``."""
    body = statement.body
    if statement.orelse is not None or not isinstance(body, cst.IndentedBlock):
        return None
    if len(body.body) != 1 or not isinstance(body.body[0], cst.SimpleStatementLine):
        return None
    line = body.body[0].body
    return line[0] if len(line) == 1 else None


class _Walker:
    """Follows statements in order, deciding at the first one that does anything."""

    def __init__(self, analysis: ModuleAnalysis, names: frozenset[str], func: FunctionInfo):
        self.analysis = analysis
        self.names = names
        self.func = func
        self.taken: set[str] = set()
        self.depth = 0

    def sequence(
        self, statements: Iterator[cst.CSTNode | None] | list[cst.BaseStatement]
    ) -> Verdict:
        for statement in statements:
            verdict = self.statement(statement)
            if verdict is not None:
                return verdict
        return None

    def statement(self, statement: cst.CSTNode | None) -> Verdict:
        if statement is None:
            return False
        if isinstance(statement, cst.With) and isinstance(statement.body, cst.IndentedBlock):
            if any(self._names_state(item.item) for item in statement.items):
                return False
            return self.sequence(list(statement.body.body))
        if isinstance(statement, cst.If) and _skips_the_pass(statement):
            return True  # ``if not self._queue: continue``: nothing to do, wait again
        if isinstance(statement, cst.If) and self._only_leaves(statement):
            return None  # ``if self._stopped: return``: leaves without touching the state
        if isinstance(statement, (cst.If, cst.While)):
            return self._names_state(statement.test)
        if isinstance(statement, cst.For):
            return self._names_state(statement.iter)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return False
        small = statement.body[0]
        if isinstance(small, cst.Pass):
            return None
        if isinstance(small, cst.Expr):
            return self._expression(small.value)
        if isinstance(small, cst.Assign) and self._takes(small):
            return None
        return False

    def _expression(self, value: cst.BaseExpression) -> Verdict:
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)) or is_log_call(value):
            return None
        if not isinstance(value, cst.Call) or self._names_state(value):
            return False
        callee = self.analysis.resolve_function(value.func, self.func)
        if callee is None or self.depth >= _DEPTH or not isinstance(callee.node, cst.FunctionDef):
            return False
        if not isinstance(callee.node.body, cst.IndentedBlock):
            return False
        outer = self.func
        self.func, self.depth = callee, self.depth + 1
        try:
            return self.sequence(list(callee.node.body.body))
        finally:
            self.func, self.depth = outer, self.depth - 1

    def _only_leaves(self, statement: cst.If) -> bool:
        """``if self._stopped: return`` (no ``else``): a test of other state whose branch
        only returns (nothing, or a constant) or raises. It does not act on the predicate's
        state, and the code after it runs only when it did not leave, so the walk goes on
        past it (fact0-sdk's audit flusher, seventy-seventh set: judged false)."""
        if self._names_state(statement.test):
            return False
        small = _lone_statement(statement)
        if isinstance(small, cst.Return):
            return small.value is None or (
                isinstance(small.value, (cst.Name, cst.Integer, cst.SimpleString))
                and not self._names_state(small.value)
            )
        return isinstance(small, cst.Raise) and (
            small.exc is None or not self._names_state(small.exc)
        )

    def _takes(self, assign: cst.Assign) -> bool:
        """``cmd, self._cmd = self._cmd, None`` or ``items = list(self._items)``: the
        state read into locals by reads that cannot fail on an empty or missing value."""
        if not self._names_state(assign.value) or not self._plain_read(assign.value):
            return False
        targets = [
            element.value if isinstance(element, cst.Element) else element
            for target in assign.targets
            for element in (
                target.target.elements
                if isinstance(target.target, (cst.Tuple, cst.List))
                else [target.target]
            )
        ]
        locals_ = {target.value for target in targets if isinstance(target, cst.Name)}
        if not locals_:
            return False
        self.taken |= locals_
        return True

    def _plain_read(self, value: cst.BaseExpression) -> bool:
        """The state itself (``self._cmd``), a constant or another plain name, a tuple of
        those, or a copy of one (``list(x)``, ``len(x)``, ``x.copy()``, ``x.get(k)``):
        not ``x[0]``, ``x.pop()`` nor ``x.name``, which fail when the predicate is unmet."""
        if isinstance(value, cst.Tuple):
            return all(
                isinstance(element, cst.Element) and self._plain_read(element.value)
                for element in value.elements
            )
        if isinstance(value, cst.Attribute):
            return value.attr.value in self.names or not self._names_state(value.value)
        if isinstance(value, cst.Call):
            func = value.func
            if isinstance(func, cst.Name):
                known = func.value in _COPIES
            elif isinstance(func, cst.Attribute):
                known = func.attr.value in _READS and self._plain_read(func.value)
            else:
                known = False
            return known and all(self._plain_read(arg.value) for arg in value.args)
        return isinstance(
            value, (cst.Name, cst.Integer, cst.Float, cst.SimpleString, cst.Dict, cst.List)
        ) and (not isinstance(value, (cst.Dict, cst.List)) or not self._names_state(value))

    def _names_state(self, node: cst.CSTNode) -> bool:
        wanted = self.names | self.taken
        return any(isinstance(part, cst.Name) and part.value in wanted for part in walk(node))
