"""Decorator state: what a decorator keeps for every call of the function it wraps.

A decorator runs once, at import; the wrapper it returns runs on whichever thread calls
the decorated function. State the decorator keeps in its closure (a ``nonlocal``
counter, a dict cache) or on itself (a decorator object whose wrapper runs ``with
self:``) is shared by all those threads.

Evidence needed besides the shape, to keep precision: the module expects threads (it
starts one or creates a lock, an event or a pool of its own). A decorator in a module
that never mentions threads is most often used by single-threaded code.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure, block
from tsafe_lint.analysis.symbols import SymbolTable
from tsafe_lint.analysis.tree import walk

#: Symbols made in a module that say its author expects threads.
_THREADED_KINDS = frozenset(
    {
        Kind.LOCK,
        Kind.RLOCK,
        Kind.CONDITION,
        Kind.SEMAPHORE,
        Kind.BOUNDED_SEMAPHORE,
        Kind.EVENT,
        Kind.THREAD_POOL,
        Kind.THREAD,
    }
)

WRAPPER_VERB = "the wrapper of decorator '{}', run by every thread that calls a decorated function,"


def expects_threads(symbols: SymbolTable, starts: int) -> bool:
    """Does the module start threads or make a lock, event, pool or thread of its own?"""
    if starts:
        return True
    return any(info.fresh and info.kind in _THREADED_KINDS for info in symbols.symbols.values())


def returned_wrapper(structure: ModuleStructure, func: FunctionInfo) -> FunctionInfo | None:
    """The nested function that ``func`` returns, by name or wrapped in a call."""
    assert isinstance(func.node, cst.FunctionDef)
    nested = {
        other.name: other
        for other in structure.functions
        if other.parent is func and isinstance(other.node, cst.FunctionDef)
    }
    if not nested:
        return None
    for statement in block(func.node.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, cst.Return) or small.value is None:
                continue
            # ``return wrapper``, ``return decorate(f, wrapper)``, ``return
            # functools.update_wrapper(wrapper, f)``
            for node in walk(small.value, skip=(cst.Lambda,)):
                if isinstance(node, cst.Name) and node.value in nested:
                    return nested[node.value]
    return None


def wrappers(structure: ModuleStructure) -> Iterator[tuple[FunctionInfo, FunctionInfo]]:
    """``(wrapper, decorator)`` for each module-level decorator function that keeps state
    in its closure: the wrapper it returns declares a ``nonlocal`` name or the decorator
    builds a container or object the wrapper uses. It must be a decorator: applied as
    ``@name`` in the module, or its wrapper hands its own arguments on to a function it
    was given. A factory whose closure only calls back (``build_ready_callback(cb)``
    returning ``def ready(): ... cb(event)``) is none: nothing says its closure runs on
    the threads that call some decorated function. An ``async def`` wrapper is not one:
    calling the decorated function only makes a coroutine, whose body runs on the event
    loop that awaits it, one step between two ``await`` at a time."""
    applied: frozenset[str] | None = None
    for func in structure.functions:
        if func.is_module or func.parent is not structure.module_scope or func.cls is not None:
            continue
        wrapper = returned_wrapper(structure, func)
        if wrapper is None or wrapper.is_async:
            continue
        if _decorates(func, wrapper):
            # ``func`` is a decorator factory: what it returns runs once per decoration;
            # the wrapper is the function that decorator returns in turn
            inner = returned_wrapper(structure, wrapper)
            if inner is None or inner.is_async or not _passes_arguments_on(inner):
                continue
            if inner.declared_nonlocal or any(
                _uses_closure_objects(outer, inner) for outer in (func, wrapper)
            ):
                yield inner, func
            continue
        if applied is None:
            applied = _applied_names(structure)
        if func.name not in applied and not _passes_arguments_on(wrapper):
            continue
        if wrapper.declared_nonlocal or _uses_closure_objects(func, wrapper):
            yield wrapper, func


def _decorates(factory: FunctionInfo, returned: FunctionInfo) -> bool:
    """Is ``returned`` the decorator a decorator factory makes (``def realtime(path): def
    marker(fn): ...; return marker``), not a wrapper? It takes one argument, the function
    it decorates, and never calls it nor anything the factory was given; it hands that
    function on (returns it, or an expression with a call that takes it first) or returns
    a function of its own. A wrapper calls what it wraps."""
    if len(returned.params) != 1:
        return False
    (decorated,) = returned.params
    given = set(factory.params) | {decorated}
    assert isinstance(returned.node, cst.FunctionDef)
    own = {
        statement.name.value
        for statement in block(returned.node.body)
        if isinstance(statement, cst.FunctionDef)
    }
    # its own statements only: the wrapper nested in it calls what it wraps
    values: list[cst.BaseExpression] = []
    for node in walk(returned.node, skip=(cst.FunctionDef, cst.Lambda)):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            if node.func.value in given:
                return False
        elif isinstance(node, cst.Return) and node.value is not None:
            values.append(node.value)
    for value in values:
        if isinstance(value, cst.Name) and value.value in own | {decorated}:
            return True
        if any(_takes_first(call, decorated) for call in walk(value, skip=(cst.Lambda,))):
            return True
    return False


def _takes_first(node: cst.CSTNode, name: str) -> bool:
    """Is ``node`` a call whose first argument is ``name`` (``Endpoint(fn, path)``, and
    ``wraps(fn)`` in ``functools.wraps(fn)(Function(fn, ...))``)?"""
    return (
        isinstance(node, cst.Call)
        and bool(node.args)
        and not node.args[0].keyword
        and not node.args[0].star
        and isinstance(node.args[0].value, cst.Name)
        and node.args[0].value.value == name
    )


def _passes_arguments_on(wrapper: FunctionInfo) -> bool:
    """Does the wrapper hand its own arguments on to a function it was given (``return
    func(*args, **kwargs)``, ``dispatch(args[0].__class__)(*args, **kw)``): a call of a
    name the enclosing function binds? A closure that takes no arguments, keeps them, or
    only hands them to functions of its own choosing (``int.from_bytes(data)`` in
    osgar's ``timedelta_parser``, a parser factory: sixty-sixth set) does not wrap."""
    own = set(wrapper.params)
    outer = wrapper.parent
    if not own or outer is None or outer.is_module:
        return False
    return any(
        isinstance(call, cst.Call)
        and _given_by(call.func, outer)
        and any(
            isinstance(name, cst.Name) and name.value in own
            for arg in call.args
            for name in walk(arg.value)
        )
        for call in walk(wrapper.node)
    )


def _given_by(callee: cst.BaseExpression, outer: FunctionInfo) -> bool:
    """Is the called expression rooted at a name ``outer`` binds (its parameter, the
    wrapped function, or what it made of it: ``dispatch(...)``, ``registry[key]``)?"""
    node: cst.BaseExpression = callee
    while isinstance(node, (cst.Attribute, cst.Call, cst.Subscript)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return isinstance(node, cst.Name) and outer.is_local(node.value)


def _applied_names(structure: ModuleStructure) -> frozenset[str]:
    """The bare names the module applies as decorators (``@name``, ``@name(...)``)."""
    names = set()
    for applied in walk(structure.module_scope.node):
        if isinstance(applied, cst.Decorator):
            expr = applied.decorator
            expr = expr.func if isinstance(expr, cst.Call) else expr
            if isinstance(expr, cst.Name):
                names.add(expr.value)
    return frozenset(names)


def _uses_closure_objects(decorator: FunctionInfo, wrapper: FunctionInfo) -> bool:
    """Does ``wrapper`` use a name that ``decorator`` binds to a new container or object
    (``cache = {}``, ``timer = Timer()``)?"""
    assert isinstance(decorator.node, cst.FunctionDef)
    made: set[str] = set()
    for statement in block(decorator.node.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and isinstance(small.value, (cst.Dict, cst.List, cst.Set, cst.Call))
            ):
                made.add(small.targets[0].target.value)
    made -= set(wrapper.params) | wrapper.assigned
    return bool(made) and any(
        isinstance(node, cst.Name) and node.value in made for node in walk(wrapper.node)
    )


def decorator_objects(structure: ModuleStructure) -> Iterator[ClassInfo]:
    """Classes whose ``__call__`` returns a nested wrapper that uses ``self``: one object
    decorates a function, and every call of it, from any thread, runs the object's
    methods (``with self:`` runs ``__enter__`` and ``__exit__``)."""
    for cls in structure.classes.values():
        call = cls.methods.get("__call__")
        if call is None or call.self_name is None:
            continue
        wrapper = returned_wrapper(structure, call)
        if wrapper is None or wrapper.is_async:  # runs on an event loop (``wrappers``)
            continue
        if any(
            isinstance(node, cst.Name) and node.value == call.self_name
            for node in walk(wrapper.node)
        ):
            yield cls


def methods_run_on_self(structure: ModuleStructure, cls: ClassInfo) -> frozenset[str]:
    """The methods the wrapper of a decorator object runs on the object itself, once per
    call of the decorated function: ``with self:`` runs ``__enter__`` and ``__exit__``,
    ``self.start()`` runs ``start``. ``with self._new_timer():`` (a new object per call)
    runs none of them on the shared one."""
    call = cls.methods.get("__call__")
    if call is None or call.self_name is None:
        return frozenset()
    wrapper = returned_wrapper(structure, call)
    if wrapper is None:
        return frozenset()
    found: set[str] = set()
    for node in walk(wrapper.node):
        if isinstance(node, cst.WithItem) and _is_name(node.item, call.self_name):
            found |= {"__enter__", "__exit__"}
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and _is_name(node.func.value, call.self_name)
        ):
            found.add(node.func.attr.value)
    return frozenset(found)


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name
