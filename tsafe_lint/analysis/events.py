"""The records every rule reads: events of the lock-region walk and shared-state accesses.

The walk (``regions.py``) produces them, one list per kind in a ``Regions``; the rules and
the other facts only read them. Every event names the function it happens in as ``func``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import libcst as cst

from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.none_tests import NoneTest
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.symbols import SymbolKey

Held = frozenset[SymbolKey]
EMPTY: Held = frozenset()


class WriteKind(Enum):
    REBIND = "rebind"  # x = v, self.x = v, del x
    READ_MODIFY_WRITE = "read-modify-write"  # x += 1, x = x + 1, d[k] += 1
    MUTATE = "mutate"  # d[k] = v, del d[k], L.append(x)


@dataclass(frozen=True)
class Write:
    """One write of a shared key by a small statement or call."""

    key: SymbolKey
    kind: WriteKind
    node: cst.CSTNode
    per_instance: bool = False  # ``self.x`` / ``obj.x``: one object's, not the class's


@dataclass(frozen=True)
class State:
    """Locks held at a point; ``manual`` are those taken by ``acquire()`` (not ``with``)."""

    held: Held = EMPTY
    manual: Held = EMPTY
    protected: Held = EMPTY  # released by the ``finally`` of an enclosing ``try``
    loop: cst.While | None = None  # the innermost enclosing ``while`` of this function
    looping: bool = False  # inside any ``for``/``while`` body of this function
    #: locks a non-blocking ``if x.acquire(False):`` on this path found free: code past
    #: that guard runs only when no thread, this one included, held them there
    tried: Held = EMPTY
    #: locks this path released without having taken them: the function was entered
    #: holding them and gave them back (``release()``, then the work): what it calls
    #: now may take them without re-entering (a caller-to-callee hand-over protocol)
    given_back: Held = EMPTY
    #: locks the function holds by contract on entry (it only releases them) and has not
    #: released yet on this path
    entered: Held = EMPTY

    @property
    def in_while(self) -> bool:
        return self.loop is not None


@dataclass(eq=False)
class StatementPlace:
    """Where a statement stands: its block and index, for "what comes next" questions."""

    block: Sequence[cst.BaseStatement]
    index: int

    @property
    def statement(self) -> cst.BaseStatement:
        return self.block[self.index]

    def following(self) -> cst.BaseStatement | None:
        nxt = self.index + 1
        return self.block[nxt] if nxt < len(self.block) else None

    def previous(self) -> cst.BaseStatement | None:
        return self.block[self.index - 1] if self.index > 0 else None


@dataclass(eq=False)
class MethodCall:
    """``x.method(...)`` where ``x`` is a known symbol (a lock, condition, pool, ...)."""

    func: FunctionInfo
    call: cst.Call
    target: SymbolKey
    kind: Kind
    method: str
    state: State
    place: StatementPlace
    form: str  # "statement", "assign", "if", "if-not", "expression"

    @property
    def receiver(self) -> cst.BaseExpression:
        """The object the method is called on: ``self._lock`` of ``self._lock.acquire()``."""
        callee = self.call.func
        assert isinstance(callee, cst.Attribute)
        return callee.value


@dataclass(eq=False)
class WithEntry:
    """An item of a ``with`` statement, with the locks held before it."""

    func: FunctionInfo
    node: cst.With
    item: cst.WithItem
    target: SymbolKey | None
    kind: Kind | None
    state: State


@dataclass(eq=False)
class CallSite:
    """A call from ``func`` into ``callee``, one of the module's own functions.

    ``call`` is a ``cst.Call``, or for the calls Python makes implicitly the expression
    that makes them: ``self[k]`` (``__getitem__``), ``k in self`` (``__contains__``),
    ``self.prop`` (a property getter), ``for x in self`` (``__iter__``)...
    """

    func: FunctionInfo
    callee: FunctionInfo
    call: cst.CSTNode
    state: State
    implicit: bool = False  # Python calls ``callee`` for ``call`` (``self[k]``, ``len(self)``)
    #: the receiver when it is another object reached through an attribute
    #: (``'self.zc.cache'``): the callee runs on that object (``attribute_classes.py``)
    through: str | None = None
    holder: str | None = None  # the attribute that holds that object: ``'Zeroconf.cache'``


@dataclass(eq=False)
class AnyCall:
    """Every call, with the imported name it resolves to (if any) and the held locks."""

    func: FunctionInfo
    call: cst.Call
    qualified: str | None
    state: State
    place: StatementPlace
    in_comprehension: bool = False
    order: int = 0

    @property
    def repeated(self) -> bool:
        """Does this call run repeatedly (in a loop or a comprehension)?"""
        return self.state.looping or self.in_comprehension


@dataclass(eq=False)
class EarlyExit:
    """A ``return`` while a lock taken with ``acquire()`` is held and not released by finally."""

    func: FunctionInfo
    node: cst.Return
    target: SymbolKey


@dataclass(eq=False)
class LoopInfo:
    """A ``while`` loop and the locks held at its test."""

    func: FunctionInfo
    node: cst.While
    state: State
    order: int = 0  # position in the walk of its function (source order)


@dataclass(eq=False)
class Access:
    """A write of shared state (a global or an attribute) with the locks held there."""

    func: FunctionInfo
    key: SymbolKey
    kind: WriteKind
    node: cst.CSTNode
    state: State
    order: int = 0  # position in the walk of its function (source order)
    per_instance: bool = False  # one object's attribute (``self.x``), not a class's


@dataclass(eq=False)
class CheckThenAct:
    """An ``if``/``while`` whose test reads ``key`` and whose body writes it."""

    func: FunctionInfo
    test_node: cst.If | cst.While
    key: SymbolKey
    state: State  # held at the test
    write: Access
    rechecked: bool = False  # an inner test under more locks reads ``key`` again
    early: bool = False  # ``if <test>: return`` followed by the write
    via_property: str | None = None  # the test reads ``key`` through this property
    #: the test reads ``key`` only as ``X is None`` / ``X is not None``
    none_test: NoneTest | None = None


@dataclass(eq=False)
class CheckThenUse:
    """An ``if`` that tests ``key`` (``if self.sock:``, ``if x is None: return``) and then
    uses it as an object (``self.sock.close()``): the use assumes the test still holds."""

    func: FunctionInfo
    test_node: cst.If | cst.While
    key: SymbolKey
    use: cst.BaseExpression  # the ``self.sock`` of ``self.sock.close()``
    state: State  # held at the use
    test_state: State
    order: int = 0
    #: exceptions a ``try`` around the use catches by name: ``except AttributeError:``
    #: around ``self.sock.recv()`` anticipates the state turning None
    caught: frozenset[str] = frozenset()
    test_order: int = 0  # where the test stands in the walk
    #: the use takes an item by its position (``self.queue[0]``): it fails when another
    #: thread empties the container, not only when it stores None
    by_position: bool = False


@dataclass(eq=False)
class Iteration:
    """A Python-level iteration over shared state: ``for v in self._d.values()``, a
    comprehension over it, ``reduce(f, self._d.values())``; or a copy made by a builtin
    (``list(self._d.values())``, ``self._d.copy()``), which iterates in Python only for
    the weak containers (``copy`` is True: the rule checks what the state holds)."""

    func: FunctionInfo
    key: SymbolKey
    node: cst.CSTNode
    state: State
    order: int = 0
    copy: bool = False


@dataclass(eq=False)
class Take:
    """A read of shared state as a value (``buf = self._buf``, ``out.extend(self._buf)``):
    with a later rebind of the same state it is a take-and-reset."""

    func: FunctionInfo
    key: SymbolKey
    node: cst.CSTNode
    state: State
    order: int = 0


@dataclass
class Yielded:
    """A ``yield VALUE`` statement and the locks held there: ``with self._lock: yield
    self._open`` in a context manager lends ``_open`` to the ``with`` body under the lock
    (``lent.py``)."""

    func: FunctionInfo
    value: cst.BaseExpression
    held: Held


@dataclass
class Regions:
    """Everything the walk recorded for one module."""

    method_calls: list[MethodCall] = field(default_factory=list)
    with_entries: list[WithEntry] = field(default_factory=list)
    call_sites: list[CallSite] = field(default_factory=list)
    calls: list[AnyCall] = field(default_factory=list)
    early_exits: list[EarlyExit] = field(default_factory=list)
    while_loops: list[LoopInfo] = field(default_factory=list)
    referenced: set[FunctionInfo] = field(default_factory=set)
    escaped: set[SymbolKey] = field(default_factory=set)  # locals handed on, stored or returned
    writes: list[Access] = field(default_factory=list)
    check_then_act: list[CheckThenAct] = field(default_factory=list)
    check_then_use: list[CheckThenUse] = field(default_factory=list)
    iterations: list[Iteration] = field(default_factory=list)
    takes: list[Take] = field(default_factory=list)
    yields: list[Yielded] = field(default_factory=list)
    #: the nodes of ``except KeyboardInterrupt:`` handlers (by id): Python raises it in
    #: the main thread only, so no other thread runs what they call
    interrupt_only: set[int] = field(default_factory=set)
    #: the write nodes (by id) that store the tested state in the act of a check whose act
    #: is harmless to repeat (``idempotent.py``): racing threads store equivalent values
    settled_writes: set[int] = field(default_factory=set)

    def forget(self, functions: set[FunctionInfo]) -> None:
        """Drop what was recorded in ``functions`` (before walking them again)."""
        self.method_calls = [e for e in self.method_calls if e.func not in functions]
        self.with_entries = [e for e in self.with_entries if e.func not in functions]
        self.call_sites = [e for e in self.call_sites if e.func not in functions]
        self.calls = [e for e in self.calls if e.func not in functions]
        self.early_exits = [e for e in self.early_exits if e.func not in functions]
        self.while_loops = [e for e in self.while_loops if e.func not in functions]
        self.writes = [e for e in self.writes if e.func not in functions]
        self.check_then_act = [e for e in self.check_then_act if e.func not in functions]
        self.check_then_use = [e for e in self.check_then_use if e.func not in functions]
        self.iterations = [e for e in self.iterations if e.func not in functions]
        self.takes = [e for e in self.takes if e.func not in functions]
        self.yields = [e for e in self.yields if e.func not in functions]
