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

The same holds for a lazy property (``if not self._auth: self._auth = fetch()``, then
``return self._auth``) that the method starting the pool reads on every path before the
start: the tasks' reads of it find the attribute set, while no other method binds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure, block, is_docstring
from tsafe_lint.analysis.threads import own_attribute
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

    def primed(self, getter: FunctionInfo, start_func: FunctionInfo, start: cst.CSTNode) -> bool:
        """Is ``getter`` a lazy property (``if not self._auth: self._auth = fetch()``,
        then ``return self._auth``) that the method starting the thread reads on every
        path before the start (``n = self.auth["count"]``), so that the threads find the
        attribute set? That holds while no other method of the class binds it again,
        ``__init__`` aside (superannotate's upload use case, fiftieth set: judged
        false)."""
        key = (id(start), getter.qualname)
        if key not in self._after:
            attribute = _lazy_attribute(getter)
            self._after[key] = (
                attribute is not None
                and start_func.cls is not None
                and getter.cls is not None
                and start_func.cls.qualname
                in {cls.qualname for cls in self.structure.class_bases(getter.cls)}
                | {getter.cls.qualname}
                and self._bound_only_by(getter, attribute)
                and _read_before(start_func.body(), start, getter.name, start_func.self_name)
            )
        return self._after[key]

    def _bound_only_by(self, getter: FunctionInfo, attribute: str) -> bool:
        """Does no method of ``getter``'s class and its bases but ``__init__`` and the
        getter itself bind ``self.<attribute>``?"""
        assert getter.cls is not None
        for cls in self.structure.class_bases(getter.cls):
            for method in cls.methods.values():
                if method is getter or method.name == "__init__":
                    continue
                if any(_binds_self(node, attribute) for node in walk(method.node, NOT_RUN)):
                    return False
        return True

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


def _lazy_attribute(getter: FunctionInfo) -> str | None:
    """The attribute a lazy property getter sets and returns: ``if not self.x:`` (or
    ``if self.x is None:``) binding ``self.x`` in its body, then ``return self.x``."""
    if not getter.is_property or not isinstance(getter.node, cst.FunctionDef):
        return None
    statements = [s for s in getter.body() if not is_docstring(s)]
    if len(statements) != 2 or not isinstance(statements[0], cst.If):
        return None
    guard, last = statements
    if not isinstance(guard, cst.If) or guard.orelse is not None:
        return None
    test = guard.test
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        test = test.left
    attribute = _own_attribute(test, getter.self_name)
    if attribute is None or not any(_binds_self(inner, attribute) for inner in block(guard.body)):
        return None
    if not (
        isinstance(last, cst.SimpleStatementLine)
        and isinstance(last.body[0], cst.Return)
        and last.body[0].value is not None
        and _own_attribute(last.body[0].value, getter.self_name) == attribute
    ):
        return None
    return attribute


def _binds_self(node: cst.CSTNode, attribute: str) -> bool:
    """Is ``node`` a statement binding ``self.<attribute>`` (``=``, ``+=``, ``del``)?"""
    smalls = node.body if isinstance(node, cst.SimpleStatementLine) else [node]
    for small in smalls:
        targets: list[cst.BaseExpression] = []
        if isinstance(small, cst.Assign):
            targets = [target.target for target in small.targets]
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign, cst.Del)):
            targets = [small.target]
        for target in targets:
            for inner in walk(target):
                if isinstance(inner, cst.Attribute) and inner.attr.value == attribute:
                    return True
    return False


def _read_before(
    statements: Sequence[cst.BaseStatement], start: cst.CSTNode, name: str, self_name: str | None
) -> bool:
    """Is ``self.<name>`` read by a simple statement (run on every path through it) that
    comes before ``start``, in its block or a block around it?"""
    for statement in statements:
        if _holds(statement, start):
            return any(
                _read_before(inner, start, name, self_name)
                for inner in _blocks(statement)
                if any(_holds(part, start) for part in inner)
            )
        if isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(node, cst.Attribute)
            and node.attr.value == name
            and _own_attribute(node, self_name) == name
            for node in walk(statement, NOT_RUN)
        ):
            return True
    return False


def _holds(statement: cst.BaseStatement, node: cst.CSTNode) -> bool:
    return any(inner is node for inner in walk(statement))


def _blocks(statement: cst.BaseStatement) -> Iterator[Sequence[cst.BaseStatement]]:
    """The blocks of statements a compound statement holds."""
    if isinstance(statement, cst.SimpleStatementLine):
        return
    for child in statement.children:
        if isinstance(child, cst.BaseSuite):
            yield block(child)
        elif isinstance(child, (cst.Else, cst.Finally, cst.ExceptHandler)):
            yield block(child.body)
        elif isinstance(child, cst.If):  # ``elif``
            yield from _blocks(child)


def _own_attribute(expr: cst.BaseExpression, self_name: str | None) -> str | None:
    return own_attribute(expr, self_name) if self_name is not None else None
