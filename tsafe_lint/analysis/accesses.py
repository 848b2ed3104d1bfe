"""Reads and writes of state that other threads can reach: globals and attributes.

Locals are never shared. A write is classified because the rules care about the
difference: a plain ``x = v`` is one atomic store (the CPython FAQ lists it as
thread-safe), ``x += 1`` / ``x = x + 1`` is a read-modify-write that loses updates, and
``d[k] = v`` / ``L.append(x)`` mutate the object in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import libcst as cst

from tsafe_lint.analysis.events import Access, Write, WriteKind
from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable
from tsafe_lint.analysis.tree import children, walk

#: In-place mutators of the builtin containers (and deque); each alone is atomic.
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "update",
        "add",
        "discard",
        "setdefault",
        "popitem",
        "appendleft",
        "popleft",
        "extendleft",
        "sort",
        "reverse",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)

#: The mutators above that change nothing of a builtin container called bare (``update()``
#: adds no key) or raise (``append()``, ``insert()``), and return None: one called bare
#: whose result's attribute is taken (``table.update().where(...)``) is a query builder's.
NEED_AN_ARGUMENT = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "update",
        "add",
        "discard",
        "appendleft",
        "extendleft",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)


#: The most positional arguments each mutator takes on a builtin container (``dict.update``
#: one mapping, ``pop`` a key and a default, ``insert`` an index and an item,
#: ``OrderedDict.popitem`` its ``last``); a set's ``update`` takes any number, so ``update``
#: is held to one only on a name imported from another module (``imported``), not named
#: like a constant.
MAX_POSITIONAL = {
    "append": 1,
    "extend": 1,
    "insert": 2,
    "pop": 2,
    "remove": 1,
    "clear": 0,
    "update": 1,
    "add": 1,
    "discard": 1,
    "setdefault": 2,
    "popitem": 1,
    "appendleft": 1,
    "popleft": 0,
    "extendleft": 1,
    "sort": 0,
    "reverse": 0,
}


def fits_a_container(call: cst.Call, method: str, imported: bool) -> bool:
    """Could ``x.method(...)`` be a builtin container's mutator, by its positional
    arguments? ``jobs_store.update(home, _stamp)`` on an imported name not spelled like a
    constant passes two, which no dict takes (a set's ``update`` would, but a module or
    function is what such a name mostly is): another object's method (alpi-agent's jobs
    store module, ninety-fifth set: a TS103 judged false); ``_counter.add(1, attrs)`` passes
    two, which no set takes (an OpenTelemetry counter, the same set). A call that unpacks
    ``*args`` may be anything."""
    limit = MAX_POSITIONAL.get(method)
    if limit is None or any(arg.star == "*" for arg in call.args):
        return True
    if method == "update" and not imported:
        return True  # ``seen.update(a, b)``: a set's takes any number
    positional = sum(1 for arg in call.args if arg.keyword is None and not arg.star)
    return positional <= limit


def per_instance(target: cst.BaseExpression, func: FunctionInfo, symbols: SymbolTable) -> bool:
    """Is ``target`` (``self.x``, ``ctx.x``, ``self.d[k]``) state of one object, rather than
    of a class (``Cls.x``, ``cls.x``, ``type(self).x``) or of a module-level object?"""
    while isinstance(target, cst.Subscript):
        target = target.value
    if not isinstance(target, cst.Attribute):
        return False
    receiver = target.value
    while isinstance(receiver, cst.Attribute):  # self.a.b: still self's
        receiver = receiver.value
    if not isinstance(receiver, cst.Name):
        return False
    name = receiver.value
    if symbols.structure.class_named(name, func) is not None and not func.is_local(name):
        return False
    scope: FunctionInfo | None = func
    while scope is not None and not scope.is_module:
        if scope.self_name == name:
            return not scope.is_classmethod
        if scope.is_local(name):
            return True
        scope = scope.parent
    return False  # a module-level object: shared like a global


def shared_key(
    expr: cst.BaseExpression, func: FunctionInfo, symbols: SymbolTable, *, for_write: bool
) -> SymbolKey | None:
    """The global or attribute ``expr`` denotes, or ``None`` for locals and the unknown.

    A bare name is a global when written only under a ``global`` declaration; when read,
    when it is not a local of ``func`` (or of an enclosing function).
    """
    if isinstance(expr, cst.Name):
        if func.is_module:
            return None
        name = expr.value
        if name in func.declared_global:
            return ("global", name)
        if name in func.declared_nonlocal:
            return symbols.key_of(expr, func)
        if for_write:
            return None
        key = symbols.key_of(expr, func)
        return key if key is not None and key[0] == "global" else None
    if isinstance(expr, cst.Attribute):
        key = symbols.key_of(expr, func)
        return key if key is not None and key[0] == "attr" else None
    return None


def closure_cell(expr: cst.BaseExpression, func: FunctionInfo) -> SymbolKey | None:
    """``("local", "fan_out", "done")`` for ``done`` in ``done[0] += 1`` inside a function
    nested in ``fan_out``, which binds it: a container of the enclosing frame (the
    mutable-box counter, ``done = [0]``), the same object for every call of the nested
    function and every thread that runs it."""
    if not isinstance(expr, cst.Name) or func.is_module:
        return None
    scope = func.binding_function(expr.value)
    if scope is None or scope is func:
        return None
    return ("local", scope.qualname, expr.value)


def _mentions(expr: cst.CSTNode, target: cst.BaseExpression) -> bool:
    """Does ``expr`` contain an expression equal to ``target`` (``x`` in ``x + 1``)? An
    attribute's or a keyword's name is no read of a variable: ``robot = worker.robot``
    rebinds ``robot`` (teleop-xr's reload, sixty-fourth set: a TS102 judged false)."""
    kind = type(target)
    names_only: set[int] = set()
    for node in walk(expr, skip=(cst.ConcatenatedString, cst.Lambda)):
        if isinstance(node, cst.Attribute):
            names_only.add(id(node.attr))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            names_only.add(id(node.keyword))
        if type(node) is kind and id(node) not in names_only and node.deep_equals(target):
            return True
    return False


def writes_of(
    small: cst.BaseSmallStatement, func: FunctionInfo, symbols: SymbolTable
) -> list[Write]:
    """The shared-state writes a small statement performs directly (not through calls)."""
    writes: list[Write] = []

    def target(node: cst.BaseExpression, kind: WriteKind) -> None:
        if isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                target(element.value, kind)
            return
        if isinstance(node, cst.StarredElement):
            target(node.value, kind)
            return
        if isinstance(node, cst.Subscript):
            key = shared_key(node.value, func, symbols, for_write=False)
            sub_kind = (
                WriteKind.READ_MODIFY_WRITE
                if kind is WriteKind.READ_MODIFY_WRITE
                else (WriteKind.MUTATE)
            )
            if key is None and sub_kind is WriteKind.READ_MODIFY_WRITE:
                key = closure_cell(node.value, func)
            if key is not None:
                writes.append(Write(key, sub_kind, small, per_instance(node, func, symbols)))
            return
        key = shared_key(node, func, symbols, for_write=True)
        if key is not None:
            writes.append(Write(key, kind, small, per_instance(node, func, symbols)))

    if isinstance(small, cst.Assign):
        for assign_target in small.targets:
            rmw = _mentions(small.value, assign_target.target)
            target(assign_target.target, WriteKind.READ_MODIFY_WRITE if rmw else WriteKind.REBIND)
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        target(small.target, WriteKind.REBIND)
    elif isinstance(small, cst.AugAssign):
        target(small.target, WriteKind.READ_MODIFY_WRITE)
    elif isinstance(small, cst.Del):
        target(small.target, WriteKind.REBIND)
    return writes


def every_write_in_functions(
    key: SymbolKey, writes: Sequence[Access], test: Callable[[Access], bool]
) -> bool:
    """Does every write of ``key`` in the module's functions (its own module-level
    binding aside) pass ``test``, and is there one?"""
    mine = [write for write in writes if write.key == key and not write.func.is_module]
    return bool(mine) and all(test(write) for write in mine)


def rebound_globals(writes: Iterable[Access]) -> frozenset[str]:
    """The module globals that some function (not the module's top level) rebinds or
    changes: the others keep what the module bound at import."""
    return frozenset(
        write.key[-1] for write in writes if write.key[0] == "global" and not write.func.is_module
    )


def import_time_constant(
    name: str, func: FunctionInfo, structure: ModuleStructure, rebound: frozenset[str]
) -> bool:
    """Is ``name``, read in ``func``, a module global that only the module's top level
    binds (``rebound``: ``rebound_globals`` of the module's writes)?"""
    return (
        name in structure.module_scope.assigned and name not in rebound and not func.is_local(name)
    )


def mutation_of(
    call: cst.Call, func: FunctionInfo, symbols: SymbolTable, chained: bool = False
) -> SymbolKey | None:
    """``S.append(x)`` and other in-place mutators of a shared container ``S``.

    ``chained``: the call's result is the receiver of an attribute (``S.update().where``).
    Called bare, a builtin container's ``update()`` changes nothing and ``insert()``
    raises, and either returns None, which has no ``where``: that is a query builder's
    method (a SQLAlchemy ``Table``, painfree, eighty-ninth set: one false TS103), not a
    mutation. A fluent mutator called with arguments (rich's ``text.append(s).append(t)``)
    still counts.

    Nor is a call whose positional arguments no builtin container's method takes
    (``_counter.add(1, attrs)``; ``jobs_store.update(home, _stamp)`` on a name imported
    from another module and not named like a constant, since a set's ``update`` takes any
    number: ``fits_a_container``).

    A name bound by ``import m`` is a module, not a container: ``os.remove(path)``
    deletes a file, it does not mutate ``os``. Nor is an object of a class the project
    defines in another module: ``self.state.update(run_id, ...)`` on ``self.state =
    FleetState(...)`` runs that class's method, whose own accesses its module's
    analysis sees (marshal-agents, sixty-eighth set: two false TS103). A class from
    another distribution may be a mapping (``cachetools.LRUCache``): it stays one."""
    callee = call.func
    if isinstance(callee, cst.Attribute) and callee.attr.value in MUTATING_METHODS:
        if chained and not call.args and callee.attr.value in NEED_AN_ARGUMENT:
            return None
        receiver = callee.value
        imported = (
            isinstance(receiver, cst.Name)
            and not receiver.value.isupper()  # ``from state import SEEN``: a set, maybe
            and (
                receiver.value in func.imports
                or receiver.value in symbols.structure.module_scope.imports
            )
        )
        if not fits_a_container(call, callee.attr.value, imported):
            return None  # ``store.update(home, fn)``: no builtin container takes that
        key = shared_key(callee.value, func, symbols, for_write=False)
        if key is None or symbols.symbols.get(key) is not None:
            return None  # a typed symbol (Queue, Event, ...) is not a plain container
        if key[0] == "global" and key[1] in symbols.structure.module_scope.modules:
            return None
        if _own_class(symbols.imported_classes.get(key), symbols.structure.name):
            return None
        return key
    return None


def _own_class(real_name: str | None, module: str) -> bool:
    """Is ``real_name`` (``pkg.state.FleetState``) a class of ``module``'s own top-level
    package?"""
    if not real_name or not module:
        return False
    return real_name.partition(".")[0] == module.partition(".")[0] and "." in real_name


def reads_in(expr: cst.CSTNode, func: FunctionInfo, symbols: SymbolTable) -> Iterator[SymbolKey]:
    """Shared keys an expression reads (names and attribute chains)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)):
            key = shared_key(node, func, symbols, for_write=False)
            if key is not None:
                yield key
            elif isinstance(node, cst.Attribute):
                stack.append(node.value)
        elif isinstance(node, cst.Arg):
            stack.append(node.value)
        elif not isinstance(
            node, (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.ConcatenatedString)
        ):
            stack.extend(children(node))
