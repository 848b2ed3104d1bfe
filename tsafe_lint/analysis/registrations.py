"""Registration decorators: code that runs when the decorated function is defined.

``@server.route("/chat")`` calls a factory whose nested ``decorator(func)`` stores
``func`` in a table (``self._handlers[path] = func``; what it does is not checked) and
returns it unchanged. That runs when the ``def`` it decorates runs: at import, or as a
class body is built, before the threads that read the table exist when the module starts
none in set-up code (litefs' WebSocket route table, ninety-seventh validation set: TS105
judged false). Such a nested function is set-up code, as ``__init__`` is.

Known by shape, not by name: a function nested in a function (the factory), with one
parameter, whose every ``return`` gives that parameter back unchanged and which the factory
returns by name. A decorator that wraps (returns a new function) does not have that shape
and is not one. Nor is one the module applies or calls at run time: any call of the
factory's name inside a function (``@self.on("evt")`` on a nested ``def``,
``fut.add_done_callback(self.keep(k))``) makes it code that can run on a thread. Nor are any
in a module whose set-up code (its top level, ``__init__`` & co) starts a thread or calls,
by name, a ``start`` or a function that reaches one (``__init__`` starting a scheduler's
loop before ``@sched.every(5)`` adds jobs to the table the loop walks), or whose decorator
or factory itself reaches a start (a lazy start on the first registration): the reader may
already run. Nor is a factory that also calls its nested function (pyee's ``on(event, f)``
ending in ``return _on(f)``): it registers at run time as well. Not seen: a factory reached
through an alias (``sub = self.on``) or applied at run time by another module, and a thread
another module starts before the decorators run.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure
from tsafe_lint.analysis.sharing import is_setup_name
from tsafe_lint.analysis.threads import ThreadStart
from tsafe_lint.analysis.tree import NOT_RUN, walk


def registration_decorators(
    structure: ModuleStructure, starts: list[ThreadStart]
) -> frozenset[FunctionInfo]:
    """The module's nested functions that register their argument and return it."""
    found = [func for func in structure.functions if _registers(func)]
    if not found:
        return frozenset()
    calls = {func: _names_called(func) for func in structure.functions}
    starting = _starting_names(calls, starts)
    if any(func.name in starting or func.parent.name in starting for func in found if func.parent):
        return frozenset()  # a decorator that starts the reader itself (a lazy start)
    if any(is_setup_name(start.func) for start in starts) or any(
        is_setup_name(func) and names & starting for func, names in calls.items()
    ):
        return frozenset()  # set-up code starts a thread: the reader may already run
    # a factory some function calls at run time (``@self.on("x")`` on a nested ``def``)
    called = {name for func, names in calls.items() if not func.is_module for name in names}
    return frozenset(
        func for func in found if func.parent is not None and func.parent.name not in called
    )


def _starting_names(calls: dict[FunctionInfo, set[str]], starts: list[ThreadStart]) -> set[str]:
    """``start`` and the names of the functions that start a thread or (through calls
    by name) call one that does."""
    starting = {"start"} | {start.func.name for start in starts if not start.func.is_module}
    changed = True
    while changed:
        changed = False
        for func, names in calls.items():
            if not func.is_module and func.name not in starting and names & starting:
                starting.add(func.name)
                changed = True
    return starting


def _names_called(func: FunctionInfo) -> set[str]:
    """The names ``func`` calls when it runs, by name or as a method: a function's body
    (its own decorators ran when it was defined, a nested ``def``'s run now); the
    module's top level and class bodies with the decorators they apply, not the bodies
    of its functions."""
    node = func.node
    if isinstance(node, cst.FunctionDef):
        return set(_call_names(func, node.body, ()))
    skip = (cst.FunctionDef, cst.Lambda)
    parts: list[cst.CSTNode] = [node]
    for inner in walk(node, skip):
        if isinstance(inner, cst.FunctionDef):
            parts.extend(decorator.decorator for decorator in inner.decorators)
    return {name for part in parts for name in _call_names(func, part, skip)}


def _call_names(
    func: FunctionInfo, body: cst.CSTNode, skip: tuple[type[cst.CSTNode], ...]
) -> Iterator[str]:
    for node in walk(body, skip):
        if not isinstance(node, cst.Call):
            continue
        callee = node.func
        if isinstance(callee, cst.Attribute):
            yield callee.attr.value
        elif isinstance(callee, cst.Name) and not func.is_local(callee.value):
            yield callee.value  # not a local of that name (``handler(conn)``)


def _registers(func: FunctionInfo) -> bool:
    node = func.node
    factory = func.parent
    if not isinstance(node, cst.FunctionDef) or factory is None or factory.is_module:
        return False
    if func.cls is not None or node.asynchronous is not None:
        return False
    params = node.params
    if params.star_arg not in (None, cst.MaybeSentinel.DEFAULT) or params.star_kwarg:
        return False
    if params.kwonly_params or params.posonly_params or len(params.params) != 1:
        return False
    param = params.params[0].name.value
    returns = [n for n in walk(node.body, NOT_RUN) if isinstance(n, cst.Return)]
    if not returns or not all(
        isinstance(ret.value, cst.Name) and ret.value.value == param for ret in returns
    ):
        return False
    if param in func.assigned:
        return False  # ``func = wraps(func)(...)``: a new object after all
    factory_node = factory.node
    assert isinstance(factory_node, cst.FunctionDef)
    if any(
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Name)
        and call.func.value == node.name.value
        for call in walk(factory_node.body, NOT_RUN)
    ):
        return False  # ``return _on(f)``: the factory registers at run time too (pyee's ``on``)
    return any(
        isinstance(ret, cst.Return)
        and isinstance(ret.value, cst.Name)
        and ret.value.value == node.name.value
        for ret in walk(factory_node.body, NOT_RUN)
    )
