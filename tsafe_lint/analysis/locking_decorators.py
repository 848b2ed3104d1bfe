"""Locks a decorator holds around the method it wraps.

``@_atomic``, whose wrapper runs ``with self._lock: return fn(self, *args)``, makes every
call of the method run with its object's lock held, whoever calls it (streamlink's cache,
the ``@synchronized`` helpers of many libraries). The wrapper may do other things before
and after, as long as every call of the method is inside the ``with``; and it may hold
the object itself (``with self:``) when the class's ``__enter__`` and ``__exit__`` take
and give back one lock (pythreader's ``@synchronized``, twenty-first set). The
lock-region walk reads the method's own body only, so without this the method's state
looks unlocked and its thread side and its users' side look like a race. The lock is
added to the locks held when the method starts (``ModuleAnalysis.entry_held``), and
flows on to what it calls.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from tsafe_lint.analysis.decorators import returned_wrapper
from tsafe_lint.analysis.events import EMPTY, Held
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure, block, final_name
from tsafe_lint.analysis.symbols import SymbolTable
from tsafe_lint.analysis.tree import walk


def locked_attribute(structure: ModuleStructure, decorator: FunctionInfo) -> str | None:
    """The attribute of the wrapper's first argument that the wrapper holds while it
    calls the wrapped function: ``'_lock'`` for ``def inner(self, *a): with self._lock:
    return fn(self, *a)``, ``''`` for ``with self:``. Every call of the wrapped function
    in the wrapper must be inside that ``with`` (a statement of the wrapper's body), so
    that every call of the decorated method runs under the lock."""
    if not decorator.params or not isinstance(decorator.node, cst.FunctionDef):
        return None
    wrapped = decorator.params[0]
    wrapper = returned_wrapper(structure, decorator)
    if wrapper is None or wrapper.is_async or not isinstance(wrapper.node, cst.FunctionDef):
        return None
    params = wrapper.node.params
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if not positional or wrapped in wrapper.assigned:
        return None
    calls = [
        node
        for node in walk(wrapper.node.body)
        if isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == wrapped
    ]
    if not calls:
        return None
    for statement in block(wrapper.node.body):
        if not isinstance(statement, cst.With) or statement.asynchronous is not None:
            continue
        if len(statement.items) != 1:
            continue
        inside = {id(node) for node in walk(statement.body)}
        if not all(id(call) in inside for call in calls):
            continue
        item = statement.items[0].item
        if isinstance(item, cst.Name) and item.value == positional[0]:
            return ""  # ``with self:``: the class's ``__enter__``
        if (
            isinstance(item, cst.Attribute)
            and isinstance(item.value, cst.Name)
            and item.value.value == positional[0]
        ):
            return item.attr.value
    return None


def decorator_held(
    structure: ModuleStructure,
    symbols: SymbolTable,
    entered: Callable[[ClassInfo], Held],
) -> dict[FunctionInfo, Held]:
    """For each method decorated by one of the module's locking decorators (a bare
    ``@name`` of a module-level function, or of a function in the method's own class body
    used as a decorator there), the lock it holds on every call. ``entered``: what
    ``with obj:`` holds for an object of a class (its ``__enter__``'s lock). Also a
    ``@synchronized("attr")`` (or ``@synchronized(lock)``), wherever it is defined: the
    name is the contract (``_by_synchronized_name``)."""
    named = _by_synchronized_name(structure, symbols)
    found = _by_module_decorators(structure, symbols, entered)
    for func, taken in named.items():
        found[func] = found.get(func, EMPTY) | taken
    return found


#: Decorator factories whose name says that the method runs holding the lock they are
#: given: plico's ``@synchronized("_cond")`` wraps the body in ``with self._cond:``, as
#: do the ``synchronized`` helpers of many libraries (Java's keyword).
_SYNCHRONIZED_NAMES = frozenset({"synchronized", "synchronised"})


def _by_synchronized_name(
    structure: ModuleStructure, symbols: SymbolTable
) -> dict[FunctionInfo, Held]:
    """Methods decorated with ``@synchronized("attr")`` (the lock is ``self.attr``) or
    ``@synchronized(lock)`` (a lock the class body or the module names), from any module
    (plico's decorator lives in another module: thirtieth set, four TS302 judged false)."""
    held: dict[FunctionInfo, Held] = {}
    for func in structure.functions:
        node = func.node
        if func.cls is None or func.self_name is None or not isinstance(node, cst.FunctionDef):
            continue
        for decorator in node.decorators:
            expr = decorator.decorator
            if not isinstance(expr, cst.Call) or len(expr.args) != 1:
                continue
            if final_name(expr.func) not in _SYNCHRONIZED_NAMES:
                continue
            argument = expr.args[0].value
            if isinstance(argument, cst.SimpleString):
                attribute = argument.evaluated_value
                if not isinstance(attribute, str) or not attribute.isidentifier():
                    continue
                lock: cst.BaseExpression = cst.Attribute(
                    cst.Name(func.self_name), cst.Name(attribute)
                )
            elif isinstance(argument, (cst.Name, cst.Attribute)):
                lock = argument
            else:
                continue
            key = symbols.key_of(lock, func)
            if key is not None:
                held[func] = held.get(func, EMPTY) | {key}
    return held


def _by_module_decorators(
    structure: ModuleStructure,
    symbols: SymbolTable,
    entered: Callable[[ClassInfo], Held],
) -> dict[FunctionInfo, Held]:
    """The module's own locking decorators (``decorator_held``)."""
    applied = {
        decorator.decorator.value
        for func in structure.functions
        if func.cls is not None and isinstance(func.node, cst.FunctionDef)
        for decorator in func.node.decorators
        if isinstance(decorator.decorator, cst.Name)
    }
    if not applied:
        return {}
    # keyed by (class qualname, name) for a decorator defined in a class body and applied
    # there by its bare name (maestral's ``_with_lock``), by ("", name) at module level
    locking = {
        (func.cls.qualname if func.cls is not None else "", func.name): attribute
        for func in structure.functions
        if func.name in applied
        and not func.is_module
        and (
            (func.cls is None and func.parent is structure.module_scope)
            or (func.cls is not None and func.cls.methods.get(func.name) is func)
        )
        and (attribute := locked_attribute(structure, func)) is not None
    }
    if not locking:
        return {}
    held: dict[FunctionInfo, Held] = {}
    for func in structure.functions:
        node = func.node
        if func.cls is None or func.self_name is None or func.is_classmethod:
            continue
        if not isinstance(node, cst.FunctionDef):
            continue
        for decorator in node.decorators:
            expr = decorator.decorator
            if not isinstance(expr, cst.Name):
                continue
            attribute = locking.get((func.cls.qualname, expr.value)) or locking.get(
                ("", expr.value)
            )
            if attribute is None:
                continue
            if attribute == "":
                taken = entered(func.cls)
                if taken:
                    held[func] = held.get(func, EMPTY) | taken
                continue
            lock = cst.Attribute(cst.Name(func.self_name), cst.Name(attribute))
            key = symbols.key_of(lock, func)
            if key is not None:
                held[func] = held.get(func, EMPTY) | {key}
    return held
