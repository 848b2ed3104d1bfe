"""Locks nobody waits for: taken only by a try that refuses the caller at once.

``if not self._consumer.acquire(blocking=False): raise RuntimeError("one consumer at a
time")`` guards a method against a second concurrent caller: the second caller is refused,
it does not wait. Holding such a lock across a blocking call (a ``Queue.get()``) stalls
nobody behind it (zett-agent's single-consumer guard, ninety-second set: TS206 judged
false). Proved only for the plain shape, since every way of taking the refusal back makes
the second caller wait after all:

- one function of the module takes the lock, and only with such tries: the statement is
  ``if not lock.acquire(False):`` (``blocking=False``, ``0``) and its branch is one
  ``raise`` of an exception whose arguments are literals (a ``return`` could hand back
  a property that waits for the holder);
- the try stands in no ``try`` of that function (an ``except`` that waits) and in no
  loop (a spin); the function has no decorator (``@retry``), puts, sets or notifies
  nothing (the awaited item may be its own), and its name is used nowhere in the module
  but in a ``def`` (a call in a caller's retry loop, ``retry(self._try_next)``); no
  ``except`` inside a loop of the module catches what it raises (``while True: try:
  next(stream) except RuntimeError: sleep()``);
- the lock's name is private (``_consumer``: by convention no other module takes it; not
  a mangled ``__name``), named in no string (``getattr(obj, "_consumer")``), and used
  only as the receiver of those tries and of ``release``, and in one store, alone, of a
  ``Lock()`` call (``self._consumer = self._lock = Lock()`` gives it a second name); a
  ``with``, a waiting, timed or polling (``locked()``) use, an ``acquire`` on another
  receiver of that name (``stream._consumer.acquire()`` on a parameter), a Condition
  wait on it, a use in a lambda or a class body, or handing it out keeps the wait
  reported.
"""

from __future__ import annotations

from collections import defaultdict

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, MethodCall, ModuleAnalysis
from tsafe_lint.analysis.scopes import final_name
from tsafe_lint.analysis.tree import NOT_RUN, walk

Uses = dict[str, list[tuple[cst.BaseExpression, "FunctionInfo | None"]]]

#: Methods of the lock its name may be the receiver of.
_TRY_USES = frozenset({"acquire", "release"})
#: Methods that take or wait for a lock (or a Condition built on it).
_TAKING = frozenset({"acquire", "wait", "wait_for", "__enter__", "locked"})
_LOCK_MAKERS = frozenset({"Lock", "RLock"})
#: Calls that hand another thread what it waits for.
_FEEDING = frozenset({"put", "put_nowait", "set", "notify", "notify_all", "set_result"})
_LITERALS = (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)


class TryOnlyLocks:
    """Answers "does anyone wait for this lock?" for one module; the index of name uses is
    built once, on the first question that gets that far."""

    def __init__(self, analysis: ModuleAnalysis):
        self.analysis = analysis
        self._uses: Uses | None = None
        self._handlers: list[tuple[cst.ExceptHandler, cst.Try]] | None = None
        self._name_counts: dict[str, int] | None = None
        self._string_values: set[str] | None = None

    def nobody_waits(self, lock: tuple[str, ...]) -> bool:
        """Is ``lock`` taken only by refusing tries (see the module docstring)?"""
        analysis = self.analysis
        name = lock[-1]
        if not name.startswith("_") or _mangled(name) or lock in analysis.regions.escaped:
            return False
        if any(taken.lock == lock for taken in analysis.locks.acquisitions):
            return False  # ``with lock:`` or a waiting ``acquire()``
        takers: set[FunctionInfo] = set()
        tries: set[int] = set()
        raised: list[cst.Raise] = []
        for seen in analysis.regions.method_calls:
            if seen.method not in _TAKING or analysis.locks.identity(seen.target) != lock:
                continue
            refusal = _refusal(seen, analysis) if seen.method == "acquire" else None
            if refusal is None:
                return False
            takers.add(seen.func)
            tries.add(id(seen.call))
            raised.append(refusal)
        if len(takers) != 1:
            return False
        (taker,) = takers
        if not _plain_method(taker) or _feeds(taker) or self._named_elsewhere(taker):
            return False
        if any(self._caught_in_a_loop(refusal, taker) for refusal in raised):
            return False
        return self._only_tried_and_released(lock, tries)

    def _only_tried_and_released(self, lock: tuple[str, ...], tries: set[int]) -> bool:
        """Is every use of what may be the lock (its name, on a receiver not known to be
        another lock's; its name as a string, ``getattr(obj, "_consumer")``) the receiver
        of one of the refusing ``tries`` or of a ``release``, or its one plain store, in a
        function's own code?"""
        analysis = self.analysis
        stores = 0
        if lock[-1] in self._strings():
            return False
        for used, func in self._name_uses().get(lock[-1], []):
            if func is None:
                return False  # in a lambda or a class body: not followed
            key = analysis.symbols.key_of(used, func)
            if key is not None and analysis.locks.identity(key) != lock:
                continue  # another class's lock of the same name
            parent = analysis.parent_of(used)
            if isinstance(parent, cst.AssignTarget) and parent.target is used:
                stores += 1
                if stores > 1 or not _plain_lock_store(parent, analysis):
                    return False
                continue
            if not (isinstance(parent, cst.Attribute) and parent.value is used):
                return False
            call = analysis.parent_of(parent)
            if not isinstance(call, cst.Call) or call.func is not parent:
                return False
            if parent.attr.value == "release" or id(call) in tries:
                continue
            return False
        return True

    def _named_elsewhere(self, taker: FunctionInfo) -> bool:
        """Is the taker's name used anywhere but in a ``def``: a call (a caller's retry
        loop), a reference (``retry(self._try_next)``, ``__next__ = retry(...)``)?"""
        return self._names().get(taker.name, 0) > 0

    def _caught_in_a_loop(self, refusal: cst.Raise, taker: FunctionInfo) -> bool:
        """Does an ``except`` inside a loop of the module catch what the refusal raises,
        around code that may run the taker (a retry)? A taker not named elsewhere runs
        only through a protocol: ``__next__`` through ``next()`` or a ``for``
        (``while True: try: next(stream) except RuntimeError: sleep()``); for any other
        protocol method every such ``except`` counts."""
        if not (taker.name.startswith("__") and taker.name.endswith("__")):
            return False  # named nowhere else: only its users call it
        caught = self._catchers(refusal)
        for handler, attempt in self._loop_handlers():
            if handler.type is not None and not any(
                final_name(kind) in caught for kind in _handled_kinds(handler.type)
            ):
                continue
            if taker.name not in ("__next__", "__iter__") or _iterates(attempt):
                return True
        return False

    def _catchers(self, refusal: cst.Raise) -> set[str]:
        """The exception names that catch the refusal: its own class, the module's
        classes it derives from, and ``Exception``/``BaseException``."""
        raised = refusal.exc.func if isinstance(refusal.exc, cst.Call) else refusal.exc
        names = {"Exception", "BaseException"}
        pending = [final_name(raised)] if raised is not None else []
        classes = {info.node.name.value: info for info in self.analysis.structure.classes.values()}
        while pending:
            name = pending.pop()
            if name is None or name in names:
                continue
            names.add(name)
            info = classes.get(name)
            if info is not None:
                pending.extend(final_name(base.value) for base in info.node.bases)
        return names

    def _loop_handlers(self) -> list[tuple[cst.ExceptHandler, cst.Try]]:
        """The handlers of the ``try`` statements inside loops, with their ``try``."""
        if self._handlers is None:
            self._handlers = [
                (handler, attempt)
                for loop in walk(self.analysis.module)
                if isinstance(loop, (cst.For, cst.While))
                for attempt in walk(loop.body)
                if isinstance(attempt, cst.Try)
                for handler in attempt.handlers
            ]
        return self._handlers

    def _names(self) -> dict[str, int]:
        """How often each name is spelled in the module (names and attributes), the
        names ``def`` statements define aside."""
        if self._name_counts is None:
            counts: dict[str, int] = defaultdict(int)
            defined: set[int] = set()
            for node in walk(self.analysis.module):
                if isinstance(node, cst.FunctionDef):
                    defined.add(id(node.name))
                elif isinstance(node, cst.Name) and id(node) not in defined:
                    counts[node.value] += 1
            self._name_counts = counts
        return self._name_counts

    def _strings(self) -> set[str]:
        if self._string_values is None:
            self._string_values = {
                node.evaluated_value
                for node in walk(self.analysis.module)
                if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str)
            }
        return self._string_values

    def _name_uses(self) -> Uses:
        """Each private name's uses (``self._x`` as the Attribute, ``_x`` as the Name),
        with the function whose own code holds it, or None (a lambda, a class body)."""
        if self._uses is None:
            uses: Uses = defaultdict(list)
            seen: set[int] = set()
            for func in self.analysis.structure.functions:
                for node in walk(func.node, skip=NOT_RUN):
                    used = self._private_use(node)
                    if used is not None:
                        seen.add(id(used[1]))
                        uses[used[0]].append((used[1], func))
            for node in walk(self.analysis.module):
                used = self._private_use(node)
                if used is not None and id(used[1]) not in seen:
                    uses[used[0]].append((used[1], None))
            self._uses = uses
        return self._uses

    def _private_use(self, node: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
        if isinstance(node, cst.Attribute) and node.attr.value.startswith("_"):
            return node.attr.value, node
        if isinstance(node, cst.Name) and node.value.startswith("_"):
            parent = self.analysis.parent_of(node)
            if isinstance(parent, cst.Attribute) and parent.attr is node:
                return None  # the ``_x`` of ``self._x``: seen as the Attribute
            return node.value, node
        return None


def _refusal(seen: MethodCall, analysis: ModuleAnalysis) -> cst.Raise | None:
    """The ``raise`` of ``if not lock.acquire(blocking=False): raise Busy("...")``, in no
    loop and no ``try`` of its function: a try that never waits, whose refusal leaves at
    once with nothing else run (its arguments are literals: a property read could wait)."""
    if seen.form != "if-not" or not _never_waits(seen.call):
        return None
    statement = seen.place.statement
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return None
    test = statement.test
    if not isinstance(test, cst.UnaryOperation) or test.expression is not seen.call:
        return None
    if analysis.within(statement, seen.func, (cst.For, cst.While, cst.Try, cst.TryStar)):
        return None
    body = statement.body
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return None
    line = body.body[0]
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    leaving = line.body[0]
    if not isinstance(leaving, cst.Raise) or leaving.exc is None or leaving.cause is not None:
        return None
    raised = leaving.exc
    if isinstance(raised, cst.Call):
        if not all(isinstance(arg.value, _LITERALS) and not arg.star for arg in raised.args):
            return None
        raised = raised.func
    return leaving if isinstance(raised, (cst.Name, cst.Attribute)) else None


def _never_waits(call: cst.Call) -> bool:
    """``acquire(blocking=False)``, ``acquire(False)``, ``acquire(0)``: a try that returns
    at once (a timeout is only allowed with ``blocking`` true)."""
    for position, arg in enumerate(call.args):
        if arg.star:
            return False
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "blocking" or (keyword is None and position == 0):
            value = arg.value
            return (isinstance(value, cst.Name) and value.value == "False") or (
                isinstance(value, cst.Integer) and int(value.value, 0) == 0
            )
    return False


def _feeds(func: FunctionInfo) -> bool:
    """Does the taker put into a queue, set an event or notify (the awaited item may be
    its own: a second call that would bring it is refused)?"""
    return any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in _FEEDING
        for node in walk(func.node, skip=NOT_RUN)
    )


def _iterates(attempt: cst.Try) -> bool:
    """Does the ``try`` body call ``next()`` or loop over something (``for``, a
    comprehension): what runs an iterator's ``__next__``?"""
    return any(
        isinstance(node, (cst.For, cst.CompFor))
        or (isinstance(node, cst.Call) and final_name(node.func) in ("next", "anext", "iter"))
        for node in walk(attempt.body)
    )


def _handled_kinds(kind: cst.BaseExpression) -> list[cst.BaseExpression]:
    """``except (A, B):`` -> ``[A, B]``."""
    if isinstance(kind, cst.Tuple):
        return [element.value for element in kind.elements]
    return [kind]


def _mangled(name: str) -> bool:
    """``__consumer``: spelled ``_Stream__consumer`` from outside the class."""
    return name.startswith("__") and not name.endswith("__")


def _plain_method(func: FunctionInfo) -> bool:
    """A function or method without decorators (a ``@retry`` takes the refusal back)."""
    return isinstance(func.node, cst.FunctionDef) and not func.node.decorators


def _plain_lock_store(target: cst.AssignTarget, analysis: ModuleAnalysis) -> bool:
    """``self._consumer = threading.Lock()``: one target, a lock made right there."""
    assign = analysis.parent_of(target)
    return (
        isinstance(assign, cst.Assign)
        and len(assign.targets) == 1
        and isinstance(assign.value, cst.Call)
        and final_name(assign.value.func) in _LOCK_MAKERS
    )
