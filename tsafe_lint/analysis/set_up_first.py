"""Lazy set-up done before the threads start: its guarded call in the threads' code never
runs.

``if not HEADERS: make_headers()`` in code a thread runs looks like a check-then-act on a
global, and ``make_headers`` like a function that runs on that thread. It is neither
when the function that starts the thread made the same set-up first, before the start
(``if not HEADERS: make_headers()`` or a bare ``make_headers()`` earlier in its body):
the global is set by then, the guard is false in every thread, and the set-up call in
the threads' code is never taken. That holds while nothing makes the global false again:
``make_headers`` sets it, at its top level, to a value that is true (a non-empty
display or literal, or an object a call returns), and no other code of the module
rebinds it, except the module's own top level (its first value) or to another true value.
A thread started from another module is not known to come after the set-up, so the
guarded call stays an edge of its reach.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure, block
from tsafe_lint.analysis.tree import NOT_RUN, bare_call, walk

Resolver = Callable[[cst.BaseExpression, FunctionInfo], "FunctionInfo | None"]


class SetUpFirst:
    """The guarded set-up calls of a module (``if not G: init()``), and whether a thread
    start comes after the same set-up."""

    def __init__(self, structure: ModuleStructure, resolve: Resolver) -> None:
        self.structure = structure
        self.resolve = resolve
        self._guarded: dict[int, tuple[str, FunctionInfo]] | None = None
        self._after: dict[tuple[int, str], bool] = {}

    @property
    def guarded(self) -> dict[int, tuple[str, FunctionInfo]]:
        """id of each guarded call -> (the global, the set-up function); found on first
        use (only a module that starts threads itself asks)."""
        if self._guarded is None:
            self._guarded = {
                id(call): (name, init)
                for func in self.structure.functions
                for call, name, init in self._guarded_calls(func)
            }
        return self._guarded

    def skips(self, call: cst.CSTNode, start_func: FunctionInfo, start: cst.CSTNode) -> bool:
        """Is ``call`` a guarded set-up call that the function starting the thread
        (``start`` in ``start_func``) already made before it?"""
        found = self.guarded.get(id(call))
        if found is None:
            return False
        name, init = found
        key = (id(start), name)
        if key not in self._after:
            self._after[key] = self._set_up_before(start_func, start, name, init)
        return self._after[key]

    def _guarded_calls(self, func: FunctionInfo) -> Iterator[tuple[cst.Call, str, FunctionInfo]]:
        """``if not G: init()`` (or ``if G is None:``) with that call its whole body,
        where ``init`` keeps the global ``G`` true once it ran."""
        for node in walk(func.node, NOT_RUN):
            if isinstance(node, NOT_RUN) and node is not func.node:
                continue
            if not isinstance(node, cst.If) or node.orelse is not None:
                continue
            name = _unset_test(node.test)
            call = _only_call(node)
            if name is None or call is None or func.is_local(name):
                continue
            init = self.resolve(call.func, func)
            if init is not None and self._keeps_set(name, init):
                yield call, name, init

    def _keeps_set(self, name: str, init: FunctionInfo) -> bool:
        """Does ``init`` bind the global ``name`` to a true value at its top level, and
        no other function of the module bind it to anything that may be false?"""
        if name not in init.declared_global:
            return False
        sets = False
        for statement in init.body():
            for value in _stores(statement, name):
                sets = sets or _true_value(value)
        if not sets:
            return False
        for func in self.structure.functions:
            if func is init or func.is_module or name not in func.declared_global:
                continue
            for node in walk(func.node, NOT_RUN):
                for value in _stores(node, name):
                    if not _true_value(value):
                        return False
                if isinstance(node, cst.Del):
                    return False
        return True

    def _set_up_before(
        self, func: FunctionInfo, start: cst.CSTNode, name: str, init: FunctionInfo
    ) -> bool:
        """Does a statement of ``func``'s own body, before the one holding ``start``,
        make the set-up call (bare, or under the same guard)?"""
        for statement in func.body():
            if any(node is start for node in walk(statement)):
                return False
            call = bare_call(statement)
            if (
                call is None
                and isinstance(statement, cst.If)
                and statement.orelse is None
                and _unset_test(statement.test) == name
            ):
                call = _only_call(statement)
            if call is not None and self.resolve(call.func, func) is init:
                return True
        return False


def _unset_test(test: cst.BaseExpression) -> str | None:
    """The global a test finds unset: ``not G``, ``G is None``, ``G == None``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression.value if isinstance(test.expression, cst.Name) else None
    if (
        isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, (cst.Is, cst.Equal))
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        return test.left.value
    return None


def _only_call(statement: cst.If) -> cst.Call | None:
    body = block(statement.body)
    return bare_call(body[0]) if len(body) == 1 else None


def _stores(node: cst.CSTNode, name: str) -> Iterator[cst.BaseExpression]:
    """The values ``node`` binds to ``name`` (``G = value``, ``G: T = value``); an
    augmented or unpacking store yields the name itself (a value not known)."""
    smalls = node.body if isinstance(node, cst.SimpleStatementLine) else [node]
    for small in smalls:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Name) and target.target.value == name:
                    yield small.value
                elif any(
                    isinstance(inner, cst.Name) and inner.value == name
                    for inner in walk(target.target)
                ):
                    yield target.target
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            if isinstance(small.target, cst.Name) and small.target.value == name:
                yield small.value
        elif (
            isinstance(small, cst.AugAssign)
            and isinstance(small.target, cst.Name)
            and small.target.value == name
        ):
            yield small.target


def _true_value(value: cst.BaseExpression) -> bool:
    """A value that is true: a non-empty display or string, a non-zero number,
    ``True``, or an object a call makes."""
    if isinstance(value, (cst.Dict, cst.List, cst.Set, cst.Tuple)):
        return bool(value.elements)
    if isinstance(value, cst.SimpleString):
        return len(value.evaluated_value or "") > 0
    if isinstance(value, cst.Integer):
        return value.evaluated_value != 0
    if isinstance(value, cst.Name):
        return value.value == "True"
    return isinstance(value, cst.Call)
