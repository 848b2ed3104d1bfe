"""Acquisitions of a lock that nobody else can have seen yet: they cannot block.

``waiter = threading.Lock(); waiter.acquire()`` takes a lock created a line before in a
local that nothing has read; ``self._lock = Lock(); self._lock.acquire()`` in
``__init__`` takes the lock of an object nobody else has yet ("born locked"). No other
thread can hold such a lock, so its first acquisition returns at once: it is no edge of
a lock-order cycle (TS205) and no re-entry of a lock a caller holds (TS203), even when
another object of the same class has its lock of the same name held. Only statements of
the same block that do not name the local (or ``self``) may come in between; a second
acquisition is not fresh (it waits for the first's release).
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, final_name
from tsafe_lint.analysis.tree import NOT_RUN, walk

#: Constructors of a new, free mutex (a ``Condition()`` with no lock makes its own RLock;
#: a ``Semaphore(0)`` starts taken, so semaphores are left out).
_FREE_LOCKS = frozenset({"Lock", "RLock"})


def fresh_acquisitions(func: FunctionInfo) -> frozenset[cst.CSTNode]:
    """The ``x.acquire()`` calls and ``with x:`` items of ``func`` that take a lock
    created earlier in the same block, unseen by anyone since (see the module docstring)."""
    node = func.node
    if not isinstance(node, cst.FunctionDef):
        return frozenset()
    found: set[cst.CSTNode] = set()
    for block in walk(node.body, skip=NOT_RUN):
        if isinstance(block, cst.IndentedBlock):
            _scan(list(block.body), func, found)
    return frozenset(found)


def _scan(statements: list[cst.BaseStatement], func: FunctionInfo, found: set[cst.CSTNode]) -> None:
    for index, statement in enumerate(statements):
        target = _new_lock_target(statement, func)
        if target is None:
            continue
        root = _root(target)
        for later in statements[index + 1 :]:
            taken = _acquisition_of(later, target)
            if taken is not None:
                found.add(taken)
                break
            if _names(later, root):
                break


def _new_lock_target(statement: cst.BaseStatement, func: FunctionInfo) -> cst.BaseExpression | None:
    """``x = Lock()`` (a local) or, in ``__init__``, ``self.x = Lock()``: the target."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not isinstance(small, (cst.Assign, cst.AnnAssign)):
        return None
    if isinstance(small, cst.Assign):
        if len(small.targets) != 1:
            return None
        target: cst.BaseExpression = small.targets[0].target
    else:
        target = small.target
    value = small.value
    if not (isinstance(value, cst.Call) and _creates_free_lock(value)):
        return None
    if isinstance(target, cst.Name):
        return target
    if (
        func.name == "__init__"
        and isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == "self"
    ):
        return target
    return None


def _creates_free_lock(call: cst.Call) -> bool:
    name = final_name(call.func)
    return name in _FREE_LOCKS or (name == "Condition" and not call.args)


def _root(target: cst.BaseExpression) -> str:
    while isinstance(target, cst.Attribute):
        target = target.value
    return target.value if isinstance(target, cst.Name) else ""


def _acquisition_of(statement: cst.BaseStatement, target: cst.BaseExpression) -> cst.CSTNode | None:
    """The ``target.acquire()`` statement's call, or the ``with target:`` item."""
    if isinstance(statement, cst.With):
        for item in statement.items:
            if item.item.deep_equals(target):
                return item
        return None
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    call = small.value if isinstance(small, cst.Expr) else None
    if (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "acquire"
        and call.func.value.deep_equals(target)
    ):
        return call
    return None


def _names(statement: cst.BaseStatement, root: str) -> bool:
    return any(isinstance(node, cst.Name) and node.value == root for node in walk(statement))
