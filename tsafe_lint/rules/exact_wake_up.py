"""A wait without a loop whose every wake-up comes with its predicate already false (TS301).

The writer of a reader/writer lock waits once for the readers to drain (``if
self.readers > 0: cv.wait()``). CPython's ``Condition.wait`` has no spurious wake-ups, so
that is safe when every ``notify`` of the condition fires only once the predicate no
longer holds, and nothing can make it hold again before the waiter runs:

- each notify stands under an ``if`` that tests the same attribute against an integer
  with a test that excludes the waiter's (``if self.readers == 0:``), with the condition
  held from that test to the notify; or runs only in the thread that owns the object
  (after ``if self.owner is not current_thread(): raise``), when the waiter made itself
  the owner (``self.owner = current_thread()``) before its wait;
- each write of the attribute cannot make the waiter's test true again (a decrement for
  ``> 0``, a constant that fails it), or runs only while nobody owns the object (after
  ``while self.owner is not None: cv.wait()`` or ``if self.owner is not None: return``);
- the waiter stays the owner while it waits: every write of the owner runs in the
  owning thread or while nobody owns the object.

Every guard stands before the statement it guards on each path to it in its function
(an earlier statement of its block or of an enclosing block), with the condition held
and not waited on or released in between. A store the analysis cannot tie to the
attribute (``setattr``, ``obj.readers = 0`` on an object of unknown class) spoils it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, MethodCall, ModuleAnalysis, SymbolKey, contains, walk
from tsafe_lint.analysis.events import Access
from tsafe_lint.analysis.tree import lone_assign

_NOTIFY = frozenset({"notify", "notify_all", "notifyAll"})
_LEAVES_THE_LOCK = frozenset({"wait", "wait_for", "release"})
_COMPARISONS: dict[type[cst.BaseCompOp], Callable[[int, int], bool]] = {
    cst.GreaterThan: operator.gt,
    cst.GreaterThanEqual: operator.ge,
    cst.LessThan: operator.lt,
    cst.LessThanEqual: operator.le,
    cst.Equal: operator.eq,
    cst.NotEqual: operator.ne,
}

IntTest = tuple[SymbolKey, Callable[[int], bool], frozenset[int]]


def wakes_only_when_ready(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """Does every wake-up of this ``wait()`` come with its ``if``'s test already false,
    and stay so until the waiter runs? (See the module docstring.)"""
    if call.form != "statement":
        return False
    protocol = _Protocol(call, analysis)
    return protocol.holds()


class _Protocol:
    """The facts about one waiter: its condition, tested attribute and owner."""

    def __init__(self, call: MethodCall, analysis: ModuleAnalysis) -> None:
        self.call = call
        self.analysis = analysis
        self.lock = analysis.locks.identity(call.target)
        same = [
            other
            for other in analysis.regions.method_calls
            if analysis.locks.identity(other.target) == self.lock
        ]
        self.leaving = {id(other.call) for other in same if other.method in _LEAVES_THE_LOCK}
        self.releasing = {id(other.call) for other in same if other.method == "release"}
        self.acquiring = {id(other.call) for other in same if other.method == "acquire"}
        self.notifies = [other for other in same if other.method in _NOTIFY]
        self.owner: SymbolKey | None = None

    def holds(self) -> bool:
        call, analysis = self.call, self.analysis
        tested = self._waiting_test()
        if tested is None or not self.notifies:
            return False
        key, must_wait, constants = tested
        self.owner = self._last_guard(call.place.statement, call.func, self._own_store)
        for notify in self.notifies:
            place = notify.place.statement
            if not (
                self._notifies_when_ready(notify, key, must_wait, constants)
                or self._by_owner_only(place, notify.func)
            ):
                return False
        for write in self._writes(key):
            if not (self._cannot_set_back(write, must_wait, constants) or self._unowned(write)):
                return False
        if self.owner is not None:
            for write in self._writes(self.owner):
                by_owner = self._by_owner_only(self._statement_of(write), write.func)
                if not (by_owner or self._unowned(write)):
                    return False
        names = {key[-1]} | ({self.owner[-1]} if self.owner is not None else set())
        return not any(_stored_unseen(analysis, name) for name in names)

    # -- the waiter ------------------------------------------------------------------

    def _waiting_test(self) -> IntTest | None:
        """The ``if`` around the wait (the wait in its body) that tests an attribute
        against an integer, read with the condition held."""
        node: cst.CSTNode = self.call.place.statement
        func = self.call.func
        while node is not func.node:
            parent = self.analysis.parent_of(node)
            if parent is None:
                return None
            if isinstance(parent, cst.If) and parent.body is node:
                tested = self._int_test(parent.test, func)
                if tested is not None and self._held_at(parent, func):
                    return tested
            node = parent
        return None

    def _int_test(self, test: cst.BaseExpression, func: FunctionInfo) -> IntTest | None:
        """``self.n > 0``, ``self.n == 0``, ``self.n``, ``not self.n`` on an attribute."""
        negate = False
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            negate, test = True, test.expression
        constant = 0
        compare: Callable[[int, int], bool] = operator.ne
        subject = test
        if isinstance(test, cst.Comparison):
            if len(test.comparisons) != 1:
                return None
            target = test.comparisons[0]
            found = _COMPARISONS.get(type(target.operator))
            value = _integer(target.comparator)
            if found is None or value is None:
                return None
            compare, constant, subject = found, value, test.left
        if not isinstance(subject, cst.Attribute):
            return None
        key = self.analysis.symbols.key_of(subject, func)
        if key is None or key[0] != "attr":
            return None

        def passes(value: int) -> bool:
            return compare(value, constant) is not negate

        return key, passes, frozenset({constant})

    # -- who notifies ----------------------------------------------------------------

    def _notifies_when_ready(
        self,
        notify: MethodCall,
        key: SymbolKey,
        must_wait: Callable[[int], bool],
        constants: frozenset[int],
    ) -> bool:
        """Does the notify stand under an ``if`` on ``key`` that excludes ``must_wait``,
        with the condition held from the test on and nothing but quiet statements
        between the test and the notify?"""
        statement = notify.place.statement
        node: cst.CSTNode = statement
        while node is not notify.func.node:
            parent = self.analysis.parent_of(node)
            if parent is None:
                return False
            if isinstance(parent, cst.If) and parent.body is node:
                tested = self._int_test(parent.test, notify.func)
                if (
                    tested is not None
                    and tested[0] == key
                    and _implies_not(tested[1], must_wait, constants | tested[2])
                    and self._held_at(parent, notify.func)
                ):
                    before = self._before(statement, notify.func)
                    return not any(_acts(s) for s in before if contains(parent, s))
            node = parent
        return False

    def _by_owner_only(self, statement: cst.CSTNode, func: FunctionInfo) -> bool:
        """Does ``statement`` run only in the thread that owns the object: after an
        owner check (``if self.owner is not current_thread(): raise``) or after its own
        ``self.owner = current_thread()``, with the condition held since?"""

        def owns(earlier: cst.BaseStatement, scope: FunctionInfo) -> SymbolKey | None:
            return self._owner_check(earlier, scope) or self._own_store(earlier, scope)

        return self.owner is not None and self._last_guard(statement, func, owns) == self.owner

    # -- who writes ------------------------------------------------------------------

    def _writes(self, key: SymbolKey) -> list[Access]:
        """Every write of the attribute after set-up, by the class, its bases or its
        subclasses (a subclass's ``self.n += 1`` is keyed on the subclass)."""
        setup = self.analysis.setup_functions
        family = self._family(key[1])
        return [
            write
            for write in self.analysis.regions.writes
            if write.key[0] == "attr"
            and write.key[-1] == key[-1]
            and write.key[1] in family
            and write.func not in setup
        ]

    def _family(self, qualname: str) -> set[str]:
        structure = self.analysis.structure
        cls = structure.classes.get(qualname)
        if cls is None:
            return {qualname}
        names = {base.qualname for base in structure.class_bases(cls)}
        for other in structure.classes.values():
            if qualname in {base.qualname for base in structure.class_bases(other)}:
                names.add(other.qualname)
        return names

    def _statement_of(self, write: Access) -> cst.CSTNode:
        parent = self.analysis.parent_of(write.node)
        return parent if parent is not None else write.node

    def _unowned(self, write: Access) -> bool:
        """Does the write run only while nobody owns the object (so never while the
        waiter, its owner, waits)?"""
        if self.owner is None:
            return False
        statement = self._statement_of(write)
        return self._last_guard(statement, write.func, self._unowned_guard) == self.owner

    @staticmethod
    def _cannot_set_back(
        write: Access, must_wait: Callable[[int], bool], constants: frozenset[int]
    ) -> bool:
        """``self.n -= 1`` when the waiter waits for ``self.n > 0``; ``self.n = 0``."""
        node = write.node
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            value = _integer(node.value)
            return value is not None and not must_wait(value)
        if not isinstance(node, cst.AugAssign):
            return False
        step = _integer(node.value)
        if step is None:
            return False
        if isinstance(node.operator, cst.SubtractAssign):
            step = -step
        elif not isinstance(node.operator, cst.AddAssign):
            return False
        window = _window(constants | {step})
        return all(must_wait(value) or not must_wait(value + step) for value in window)

    # -- guards on the path ----------------------------------------------------------

    def _last_guard(
        self,
        statement: cst.CSTNode,
        func: FunctionInfo,
        guard: Callable[[cst.BaseStatement, FunctionInfo], SymbolKey | None],
    ) -> SymbolKey | None:
        """What ``guard`` found in the last statement before ``statement`` on its path
        that it accepts, held under the condition with no wait or release since."""
        before = self._before(statement, func)
        for index in range(len(before) - 1, -1, -1):
            found = guard(before[index], func)
            if found is not None:
                return found if self._held_at(before[index], func) else None
            if self._leaves(before[index]):
                return None
        return None

    def _own_store(self, statement: cst.BaseStatement, func: FunctionInfo) -> SymbolKey | None:
        """``self.owner = current_thread()``: the owner's key."""
        small = lone_assign(statement)
        if small is None:
            return None
        target = small.targets[0].target
        if not isinstance(target, cst.Attribute) or not _current_thread(small.value):
            return None
        key = self.analysis.symbols.key_of(target, func)
        return key if key is not None and key[0] == "attr" else None

    def _owner_check(self, statement: cst.BaseStatement, func: FunctionInfo) -> SymbolKey | None:
        """``if self.owner is not current_thread(): raise ...`` (or ``!=``)."""
        if not isinstance(statement, cst.If) or statement.orelse is not None:
            return None
        test = statement.test
        if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
            return None
        target = test.comparisons[0]
        if not isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
            return None
        if not _current_thread(target.comparator) or not _leaves_block(statement.body):
            return None
        return self._owner_of(test.left, func)

    def _unowned_guard(self, statement: cst.BaseStatement, func: FunctionInfo) -> SymbolKey | None:
        """A statement after which nobody owns the object: ``while self.owner is not
        None: cv.wait()`` (no ``break``), ``if self.owner is not None: return``, or an
        ``if``/``else`` each of whose branches ends so."""
        if isinstance(statement, cst.While):
            owned = self._owned_test(statement.test, func)
            breaks = any(isinstance(node, cst.Break) for node in walk(statement.body))
            return owned if statement.orelse is None and not breaks else None
        if not isinstance(statement, cst.If):
            return None
        owned = self._owned_test(statement.test, func)
        orelse = statement.orelse
        if owned is not None and _leaves_block(statement.body):
            # falls through only when nobody owns it, through the ``else`` if any
            return owned if orelse is None or not self._leaves(orelse) else None
        if orelse is None:
            return None
        first = self._block_guard(statement.body, func)
        if isinstance(orelse, cst.If):
            second = self._unowned_guard(orelse, func)
        else:
            second = self._block_guard(orelse.body, func)
        return first if first is not None and first == second else None

    def _block_guard(self, block: cst.BaseSuite, func: FunctionInfo) -> SymbolKey | None:
        """The owner a block leaves unowned at its end (or leaves the block)."""
        statements = list(block.body) if isinstance(block, cst.IndentedBlock) else []
        for statement in reversed(statements):
            found = self._unowned_guard(statement, func)
            if found is not None:
                return found
            if self._leaves(statement):
                return None
        return None

    def _owned_test(self, test: cst.BaseExpression, func: FunctionInfo) -> SymbolKey | None:
        """``self.owner is not None`` (or ``self.owner``): the owner's key."""
        subject: cst.BaseExpression = test
        if isinstance(test, cst.Comparison):
            if len(test.comparisons) != 1:
                return None
            target = test.comparisons[0]
            none = isinstance(target.comparator, cst.Name) and target.comparator.value == "None"
            if not (isinstance(target.operator, cst.IsNot) and none):
                return None
            subject = test.left
        return self._owner_of(subject, func)

    def _owner_of(self, subject: cst.BaseExpression, func: FunctionInfo) -> SymbolKey | None:
        if not isinstance(subject, cst.Attribute):
            return None
        key = self.analysis.symbols.key_of(subject, func)
        return key if key is not None and key[0] == "attr" else None

    # -- the condition along a path --------------------------------------------------

    def _before(self, statement: cst.CSTNode, func: FunctionInfo) -> list[cst.BaseStatement]:
        """The statements that ran before ``statement`` on every path to it in its
        function: the earlier ones of its block and of each enclosing block, in order."""
        found: list[cst.BaseStatement] = []
        node = statement
        top = func.node
        while node is not top:
            parent = self.analysis.parent_of(node)
            if parent is None:
                return []
            if isinstance(parent, cst.IndentedBlock):
                body = list(parent.body)
                index = next(i for i, item in enumerate(body) if item is node)
                found[:0] = body[:index]
            node = parent
        return found

    def _held_at(self, statement: cst.CSTNode, func: FunctionInfo) -> bool:
        """Is the condition held where ``statement`` starts: inside a ``with`` that takes
        it, or after an ``acquire()`` not released or waited on since?"""
        node: cst.CSTNode | None = statement
        top = func.node
        while node is not None and node is not top:
            if (
                isinstance(node, cst.With)
                and node is not statement
                and any(self._takes(item.item, func) for item in node.items)
            ):
                return True
            node = self.analysis.parent_of(node)
        for earlier in reversed(self._before(statement, func)):
            if self._acquires(earlier):
                return True
            if self._calls(earlier, self.releasing):
                return False
        return False

    def _takes(self, item: cst.BaseExpression, func: FunctionInfo) -> bool:
        key = self.analysis.symbols.key_of(item, func)
        return key is not None and self.analysis.locks.identity(key) == self.lock

    def _leaves(self, node: cst.CSTNode) -> bool:
        """Does ``node`` wait on or release the condition somewhere inside?"""
        return self._calls(node, self.leaving)

    @staticmethod
    def _calls(node: cst.CSTNode, calls: set[int]) -> bool:
        return any(isinstance(part, cst.Call) and id(part) in calls for part in walk(node))

    def _acquires(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.SimpleStatementLine) and any(
            isinstance(part, cst.Call) and id(part) in self.acquiring for part in walk(node)
        )


def _integer(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        value = node.evaluated_value
        return value if isinstance(value, int) else None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _integer(node.expression)
        return -inner if inner is not None else None
    return None


def _window(constants: frozenset[int]) -> range:
    """Integers around the constants: a comparison with them changes only there."""
    span = max(abs(value) for value in constants) + 2
    return range(min(constants) - span, max(constants) + span + 1)


def _implies_not(
    test: Callable[[int], bool], must_wait: Callable[[int], bool], constants: frozenset[int]
) -> bool:
    """Does ``test`` passing mean the waiter need not wait (for every integer)?"""
    return all(not test(value) or not must_wait(value) for value in _window(constants))


def _current_thread(node: cst.BaseExpression) -> bool:
    """``threading.current_thread()`` (or ``currentThread()``, imported or not)."""
    if not isinstance(node, cst.Call) or node.args:
        return False
    func = node.func
    name = func.attr.value if isinstance(func, cst.Attribute) else None
    if isinstance(func, cst.Name):
        name = func.value
    return name in ("current_thread", "currentThread")


def _leaves_block(block: cst.BaseSuite) -> bool:
    """Does the block end in ``raise`` or ``return`` (never falls through)?"""
    if not isinstance(block, cst.IndentedBlock) or not block.body:
        return False
    last = block.body[-1]
    return isinstance(last, cst.SimpleStatementLine) and isinstance(
        last.body[-1], (cst.Raise, cst.Return)
    )


def _acts(statement: cst.BaseStatement) -> bool:
    """Can the statement change state: does it call or store anything?"""
    stores = (cst.Call, cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del)
    return any(isinstance(node, stores) for node in walk(statement))


def _stored_unseen(analysis: ModuleAnalysis, name: str) -> bool:
    """Is there a store of an attribute called ``name`` (or a ``setattr``) that the
    analysis did not tie to a known object, in code that runs after set-up?"""
    known = {id(access.node) for access in analysis.regions.writes if access.key[-1] == name}
    for node in walk(analysis.module):
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value in ("setattr", "delattr")
        ):
            return True
        if not isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del)):
            continue
        if id(node) in known:
            continue
        targets: list[cst.CSTNode] = (
            [target.target for target in node.targets]
            if isinstance(node, cst.Assign)
            else [node.target]
        )
        for target in targets:
            reaches = any(
                isinstance(part, cst.Attribute) and part.attr.value == name for part in walk(target)
            )
            if reaches and in_running_code(analysis, node):
                return True
    return False


def in_running_code(analysis: ModuleAnalysis, node: cst.CSTNode) -> bool:
    """Is ``node`` inside a function that runs after set-up (not ``__init__`` and its
    helpers, not a class or module body)?"""
    return any(
        contains(func.node, node)
        for func in analysis.structure.functions
        if not func.is_module and func not in analysis.setup_functions
    )
