"""Which class an attribute holds, from how the module builds it.

A thread often reaches another class's methods through an object's attribute: the
Reaper thread calls ``self.zc.cache.entries()``, where ``Reaper(self)`` is built by a
method of ``Zeroconf`` and ``Zeroconf.__init__`` sets ``self.cache = DNSCache()``. Two
facts make that call resolve to ``DNSCache.entries``:

- ``self.a = C(...)`` in any method (or ``a = C(...)`` in the class body), ``C`` a class
  of the module or an imported one (by its real name, ``pkg.conn.Connection``); a
  field declared in the class body (``a: C = dataclasses.field(init=False)``, attrs'
  ``attr.ib()``) is no object: its default, or its factory's class, counts, or, with
  neither, only the stores made elsewhere (``__post_init__``);
- ``self.a = param`` in ``__init__``, when every construction ``Owner(...)`` the module
  shows passes ``param`` an object of one known class (``Owner(self)`` from a method of
  ``K``: a ``K``); in another method, when every call of it the module shows has a
  receiver of known class and passes one known class (``self.engine.add_reader(
  self.listener, sock)``).

The elements of a container attribute have a class too when the container starts empty
and is only filled with objects of one module class: ``self.readers[sock] = reader``,
``self.items.append(Item())``, so that ``self.readers[s].handle_read()`` resolves.
A local stored there counts when the function assigns it once (``future =
Future(...)``, then ``self.pending[key] = future``), or when it is a get-or-create whose
only other value is an element of that container (``reader = self.readers.get(sock)``,
then ``if reader is None: reader = Reader(sock)``). A loop over
``self.readers.values()`` (or a copy of them: ``list(...)``, ``tuple``, ``sorted``), or
over a list, set or deque attribute itself, gives its variable that class, and so does a
local bound once to one element (``reader = self.readers.pop(sock, None)``,
``.get(sock)``, ``self.readers[sock]``): camera-stream's client closes a stream it pops
under its own lock (eighty-third set's misses, B1: a lock-order inversion, TS205). A
container copied into another name, handed to a call (``len``, ``list``... aside),
handed on inside a tuple, list, set or dict display (``args=(self.items,)``), returned,
or filled in bulk (``update``, ``extend``, ``+=``, ``|=``) gets none: what else it holds
is not seen; so does one a subclass also fills (its ``self.readers`` is keyed as the
subclass's). A local assigned more than once is not taken for an element's class (it may
hold objects of several), but for the get-or-create above.

Conservative: an attribute also assigned something of another class (``None`` aside)
gets no class; one also assigned something unknown keeps only the class its own
constructor call gives it (``_lock = WriteLock()`` in the class body, replaced through
``set_lock(lock)``: the default object is still what runs by default), else none; a
parameter with a default that a construction leaves out, a ``*args`` construction or a
subclass with its own ``__init__`` makes it unknown.
Constructions in other modules are not looked at: the module's own already show that
the methods run there. Nothing is imported or run.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from tsafe_lint.analysis.events import AnyCall
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure, dotted_name
from tsafe_lint.analysis.symbols import (
    AssignedValue,
    SymbolInfo,
    SymbolKey,
    SymbolTable,
    argument,
    display_name,
    element_read,
    means_builtin,
    method_scope,
)
from tsafe_lint.analysis.tree import NOT_RUN, walk

#: A module class, or an imported class's real name.
ClassRef = ClassInfo | str
_NONE = "None"
_UNKNOWN = None
#: calls that hand over their first argument itself (a weak proxy behaves as the object)
_SAME_OBJECT = frozenset({"weakref.proxy"})
#: Declarations of a field in a class body (``x: C = dataclasses.field(init=False)``):
#: not an object themselves; what the instance gets is the default, or what the
#: factory makes, or whatever ``__init__``/``__post_init__`` stores.
_FIELD_DECLARATIONS = frozenset(
    {"dataclasses.field", "attr.ib", "attr.attrib", "attr.field", "attrs.field"}
)
_FACTORY_KEYWORDS = ("default_factory", "factory")


def settle(symbols: SymbolTable, calls: Iterable[AnyCall] = ()) -> bool:
    """Give each attribute the one class all its assignments agree on (none when they
    disagree or one is unknown); with ``calls``, the module's calls, also the attributes
    set from method parameters and the elements of container attributes. True when a
    module class was added or taken away (calls through the attribute resolve
    differently)."""
    calls = list(calls)
    callers = _Callers(symbols, calls)
    changed = False
    for key, values in symbols.attribute_values.items():
        info = symbols.symbols.get(key)
        if info is not None and info.kind is not None:
            continue  # a lock, a queue, an event...: typed by its factory
        found: set[str | int] = set()
        classes: list[ClassRef] = []
        unknown = False
        for value, func in values.values():
            ref = class_of_value(symbols, value, func)
            if ref is _UNKNOWN and calls:
                ref = _parameter_class(callers, value, func)
            if ref == _NONE:
                continue
            if ref is None:
                classes = []
                unknown = True
                break
            marker = ref if isinstance(ref, str) else id(ref)
            if marker not in found:
                found.add(marker)
                classes.append(ref)
        one = classes[0] if len(classes) == 1 else None
        if unknown:  # a value from outside (``set_lock(lock)``) replaces the default
            one = symbols.constructed_classes.get(key)  # object, whose class stays
        changed |= _assign(symbols, key, info, one)
    if calls:
        changed |= _settle_elements(symbols, calls, callers)
    return changed


def _assign(
    symbols: SymbolTable, key: SymbolKey, info: SymbolInfo | None, ref: ClassRef | None
) -> bool:
    """Record ``ref`` as the class of ``key``; True when its module class changed."""
    if isinstance(ref, str):
        symbols.imported_classes[key] = ref
    else:
        symbols.imported_classes.pop(key, None)
    instance_of = ref if isinstance(ref, ClassInfo) else None
    if info is None:
        if instance_of is None:
            return False
        symbols.symbols[key] = SymbolInfo(key, display_name(key), instance_of=instance_of)
        return True
    before = info.instance_of
    info.instance_of = instance_of
    return before is not instance_of


def class_of_value(
    symbols: SymbolTable, value: cst.BaseExpression, func: FunctionInfo
) -> ClassRef | str | None:
    """The class of the object ``value`` evaluates to in ``func``; ``"None"`` for
    ``None``; None when unknown."""
    if isinstance(value, cst.Name):
        if value.value == "None":
            return _NONE
        method = method_scope(func)
        if (
            method is not None
            and value.value == method.self_name
            and method.cls is not None
            and (method is func or not func.is_local(value.value))
        ):
            return method.cls
    if isinstance(value, (cst.Name, cst.Attribute)):
        key = symbols.key_of(value, func)
        info = symbols.symbols.get(key) if key is not None else None
        if info is not None and info.kind is None and info.instance_of is not None:
            return info.instance_of
        return symbols.imported_classes.get(key) if key is not None else None
    if isinstance(value, cst.Call):
        qualified = symbols.structure.qualified_name(value.func, func)
        if qualified in _SAME_OBJECT and value.args:
            return class_of_value(symbols, value.args[0].value, func)
        if qualified in _FIELD_DECLARATIONS:
            return _declared_field(symbols, value, func)
        kind, instance_of, _ = symbols.value_info(value, func)
        if kind is not None:
            return None
        if instance_of is not None:
            return instance_of
        if qualified is not None and "." in qualified:
            # an imported class, by its real name (the project join only follows
            # ``pkg.conn.Connection.close`` when that names a method of the project)
            return qualified
    return None


def _declared_field(
    symbols: SymbolTable, declaration: cst.Call, func: FunctionInfo
) -> ClassRef | str | None:
    """The class of what a field declaration gives each instance: its ``default``, or
    what its factory makes when the factory names a class of the module; nothing
    (``None``) when it gives neither (``field(init=False)``: a store elsewhere does)."""
    for arg in declaration.args:
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "default":
            return class_of_value(symbols, arg.value, func)
        if keyword in _FACTORY_KEYWORDS:
            factory = arg.value
            if isinstance(factory, cst.Name) and not func.is_local(factory.value):
                return symbols.structure.class_named(factory.value, func)
            return _UNKNOWN
        if keyword is None:
            return _UNKNOWN  # ``attr.ib(x)``: a positional default
    return _NONE


def _constructions(
    structure: ModuleStructure, calls: Iterable[AnyCall]
) -> dict[FunctionInfo, list[AnyCall] | None]:
    """For each ``__init__``, the calls that construct its class (None: some cannot be
    read, a subclass with its own ``__init__`` calls it)."""
    found: dict[FunctionInfo, list[AnyCall] | None] = {}
    for cls in structure.classes.values():
        init = cls.methods.get("__init__")
        if init is not None:
            found[init] = []
    for cls in structure.classes.values():
        own = structure.method(cls, "__init__")
        for base in list(structure.class_bases(cls))[1:]:
            base_init = base.methods.get("__init__")
            if base_init is not None and base_init is not own:
                found[base_init] = None  # reached through super().__init__(...)
    for call in calls:
        if not isinstance(call.call.func, cst.Name) or call.func.is_local(call.call.func.value):
            continue
        made_of = structure.class_named(call.call.func.value, call.func)
        init = structure.method(made_of, "__init__") if made_of is not None else None
        if init is None:
            continue
        made = found.get(init)
        if made is not None:
            made.append(call)
    return found


class _Callers:
    """The module's calls of each method, found when asked: the constructions of a class
    for its ``__init__``, else the calls of the method's name
    (``self.engine.add_reader(...)``). None when some cannot be read: a subclass's own
    ``__init__`` calls the base's, a call of that name has a receiver of unknown class
    (it may be this method's)."""

    def __init__(self, symbols: SymbolTable, calls: list[AnyCall]) -> None:
        self.symbols = symbols
        self._constructions = _constructions(symbols.structure, calls) if calls else {}
        self._by_name: dict[str, list[AnyCall]] | None = None
        self._calls = calls
        self._found: dict[FunctionInfo, list[AnyCall] | None] = {}

    def of(self, method: FunctionInfo) -> list[AnyCall] | None:
        if method.name == "__init__":
            return self._constructions.get(method)
        if method in self._found:
            return self._found[method]
        if self._by_name is None:
            self._by_name = {}
            for call in self._calls:
                if isinstance(call.call.func, cst.Attribute):
                    self._by_name.setdefault(call.call.func.attr.value, []).append(call)
        found: list[AnyCall] | None = []
        structure = self.symbols.structure
        for call in self._by_name.get(method.name, ()):
            callee = call.call.func
            assert isinstance(callee, cst.Attribute)
            cls = self.symbols.class_of_receiver(callee.value, call.func)
            if cls is not None and not _may_run(structure, cls, method):
                continue  # another class's method of that name
            if cls is None or _names_class(structure, callee.value, call.func):
                found = None  # maybe this method's; or unbound, without ``self``
                break
            assert found is not None
            found.append(call)
        self._found[method] = found
        return found


def _may_run(structure: ModuleStructure, cls: ClassInfo, method: FunctionInfo) -> bool:
    """Can a call of ``method``'s name on an object of class ``cls`` run ``method`` (its
    own or inherited, or an override of it in a subclass)?"""
    if structure.method(cls, method.name) is method:
        return True
    return method.cls is not None and any(base is cls for base in structure.class_bases(method.cls))


def _names_class(structure: ModuleStructure, expr: cst.BaseExpression, func: FunctionInfo) -> bool:
    return (
        isinstance(expr, cst.Name)
        and not func.is_local(expr.value)
        and structure.class_named(expr.value, func) is not None
    )


def _parameter_class(
    callers: _Callers,
    value: cst.BaseExpression,
    func: FunctionInfo,
) -> ClassRef | None:
    """``self.a = param`` in ``__init__``: the one class every construction passes; in
    another method (``add_reader(self, reader)``), every call of it through a receiver
    of known class."""
    if (
        func.cls is None
        or func.self_name is None
        or not isinstance(value, cst.Name)
        or value.value not in func.params
        or value.value == func.self_name
        or value.value in func.assigned
    ):
        return None
    calls = callers.of(func)
    if not calls:
        return None
    definition = func.node
    assert isinstance(definition, cst.FunctionDef)
    params = definition.params
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    name = value.value
    position = positional.index(name) - 1 if name in positional else None
    if position is not None and position < 0:
        return None
    classes: set[str | int] = set()
    ref: ClassRef | None = None
    for call in calls:
        if any(arg.star for arg in call.call.args):
            return None
        arg = argument(call.call, position, name)
        if arg is None:
            return None
        if (
            func.name != "__init__"
            and isinstance(arg, cst.Name)
            and arg.value in call.func.assigned
        ):
            return None  # a local may be assigned objects of several classes
        if _rewraps(call, arg):
            return None  # ``self._data = Wrapper(self._data)``: the value before the store
        ref = class_of_value(callers.symbols, arg, call.func)
        if ref is None or ref == _NONE:
            return None
        classes.add(ref if isinstance(ref, str) else id(ref))
    return ref if len(classes) == 1 else None


def _rewraps(call: AnyCall, arg: cst.BaseExpression) -> bool:
    """Is ``call`` the value of a store into the very expression it is handed
    (``self._data = ThreadSafeGen(self._data)``)? The argument is then what the target
    held before: the wrapper's class, which the store gives the target, is not its class
    (labelbox's thread-safe generator wrapper, forty-fifth set)."""
    statement = call.place.statement
    small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
    return (
        isinstance(small, cst.Assign)
        and small.value is call.call
        and any(target.target.deep_equals(arg) for target in small.targets)
    )


#: methods that put their argument (at this position) into a container
_FILLS = {"append": 0, "add": 0, "appendleft": 0, "insert": 1, "setdefault": 1}
#: methods that put unseen values in (another container's, a caller's)
_BULK_FILLS = frozenset({"extend", "extendleft", "update", "__setitem__", "__ior__"})
#: builtins that only read their argument
_READERS = frozenset(
    {"len", "list", "tuple", "sorted", "set", "frozenset", "iter", "reversed", "bool"}
)
#: how a container attribute starts: empty
_EMPTY_FACTORIES = frozenset(
    {"dict", "list", "set", "collections.deque", "collections.OrderedDict"}
)


def _settle_elements(symbols: SymbolTable, calls: list[AnyCall], callers: _Callers) -> bool:
    """The one module class of every element of a container attribute that starts
    empty and is only filled with objects of that class (``self.readers[sock] =
    reader``, ``self.items.append(Item())``); none when the container is copied into
    another name, handed to a call or filled in bulk. True when one was added or taken
    away."""
    values: dict[SymbolKey, list[AssignedValue]] = {
        key: list(stored.values()) for key, stored in symbols.element_values.items()
    }
    spoiled: set[SymbolKey] = set(symbols.copied_attributes) | _escaped(symbols)
    for any_call in calls:
        callee = any_call.call.func
        if isinstance(callee, cst.Attribute):
            method = callee.attr.value
            if method in _FILLS or method in _BULK_FILLS:
                key = symbols.key_of(callee.value, any_call.func)
                if key is not None and key[0] == "attr":
                    put = argument(any_call.call, _FILLS.get(method), "")
                    if put is None or any(a.star for a in any_call.call.args):
                        spoiled.add(key)
                    else:
                        values.setdefault(key, []).append((put, any_call.func))
        if _builtin(callee, any_call.func) in _READERS:
            continue
        for arg in any_call.call.args:
            if isinstance(arg.value, cst.Attribute):
                key = symbols.key_of(arg.value, any_call.func)
                if key is not None and key[0] == "attr":
                    spoiled.add(key)
    spoiled |= _split_across_subclasses(symbols, {*values, *spoiled, *symbols.attribute_values})
    found: dict[SymbolKey, ClassInfo] = {}
    for key, stored in values.items():
        if key in spoiled or not _starts_empty(symbols, key):
            continue
        classes = {_element_class(callers, value, func, key) for value, func in stored}
        one = classes.pop() if len(classes) == 1 else None
        if isinstance(one, ClassInfo):
            found[key] = one
    changed = found.keys() != symbols.element_classes.keys() or any(
        symbols.element_classes[k] is not v for k, v in found.items()
    )
    symbols.element_classes = found
    return changed


def _escaped(symbols: SymbolTable) -> set[SymbolKey]:
    """The attributes filled in bulk by an augmented assignment (``self.items += more``,
    ``self.seen |= other``), returned (``return self.items``: the caller may fill it), or
    handed on inside a display (``Thread(target=fill, args=(self.items,))``): what else
    they hold is not seen. Computed once per module."""
    if symbols.escaped_containers is not None:
        return symbols.escaped_containers
    found: set[SymbolKey] = set()
    for func in symbols.structure.functions:
        if not isinstance(func.node, cst.FunctionDef):
            continue
        for node in walk(func.node.body, skip=NOT_RUN):
            held: list[cst.BaseExpression] = []
            if isinstance(node, cst.AugAssign):
                held = [node.target]
            elif isinstance(node, cst.Return) and node.value is not None:
                held = [node.value, *_display_items(node.value)]
            elif isinstance(node, cst.Arg):
                held = _display_items(node.value)
            for expr in held:
                key = symbols.key_of(expr, func) if isinstance(expr, cst.Attribute) else None
                if key is not None and key[0] == "attr":
                    found.add(key)
    symbols.escaped_containers = found
    return found


def _display_items(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The items of a tuple, list, set or dict display (keys and values)."""
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
        return [e.value for e in expr.elements]
    if isinstance(expr, cst.Dict):
        items: list[cst.BaseExpression] = []
        for element in expr.elements:
            if isinstance(element, cst.DictElement):
                items += [element.key, element.value]
            else:
                items.append(element.value)
        return items
    return []


def _split_across_subclasses(symbols: SymbolTable, keys: set[SymbolKey]) -> set[SymbolKey]:
    """The keys of an attribute that a class and its subclass both touch under keys of
    their own (``self.readers`` filled in a subclass's method is ``Sub.readers``): each
    holds what the other's methods put in, unseen."""
    structure = symbols.structure
    by_attr: dict[str, list[ClassInfo]] = {}
    for key in keys:
        cls = structure.classes.get(key[1]) if key[0] == "attr" and len(key) == 3 else None
        if cls is not None:
            by_attr.setdefault(key[2], []).append(cls)
    split: set[SymbolKey] = set()
    for attr, classes in by_attr.items():
        for cls in classes:
            for other in classes:
                if other is not cls and any(b is cls for b in structure.class_bases(other)):
                    split.update({("attr", cls.qualname, attr), ("attr", other.qualname, attr)})
    return split


def _element_class(
    callers: _Callers,
    value: cst.BaseExpression,
    func: FunctionInfo,
    container: SymbolKey,
) -> ClassRef | None:
    if (
        isinstance(value, cst.Name)
        and value.value in func.assigned
        and not isinstance(callers.symbols.bound_once(value.value, func), cst.AssignTarget)
    ):
        made = _made_if_missing(callers.symbols, value.value, func, container)
        if made is None:
            return None  # a local may be assigned objects of several classes
        value = made
    ref = class_of_value(callers.symbols, value, func)
    if ref is _UNKNOWN:
        ref = _parameter_class(callers, value, func)
    return None if ref == _NONE else ref


def _made_if_missing(
    symbols: SymbolTable, name: str, func: FunctionInfo, container: SymbolKey
) -> cst.BaseExpression | None:
    """The one other value of a get-or-create local: ``stream = self.streams.get(topic)``,
    then ``if stream is None: stream = Stream(topic)`` and ``self.streams[topic] =
    stream``. The local holds an element of the container it is stored into, or the
    object made in its place; that object's class is the element's. None when the local
    is a parameter, is bound another way (a loop, an unpacking, a second made value) or
    reads another container. Nested functions bind their own locals: not looked at."""
    if name in func.params:
        return None  # a parameter holds whatever callers pass
    values = symbols.plain_assignments(func).get(name)
    if values is None:
        return None  # a loop, a with, an unpacking, a global, several targets...
    made: list[cst.BaseExpression] = []
    for value in values:
        read = element_read(value)
        if read is not None and symbols.key_of(read, func) == container:
            continue
        made.append(value)
    return made[0] if len(made) == 1 else None


def _starts_empty(symbols: SymbolTable, key: SymbolKey) -> bool:
    """Is every value assigned to the attribute itself an empty container (and is there
    one)?"""
    assigned = symbols.attribute_values.get(key)
    if not assigned:
        return False
    for value, func in assigned.values():
        if isinstance(value, (cst.Dict, cst.List, cst.Set)) and not value.elements:
            continue
        if isinstance(value, cst.Call) and not value.args:
            structure = symbols.structure
            name = structure.qualified_name(value.func, func)
            if (name or _builtin(value.func, func)) in _EMPTY_FACTORIES:
                continue
        return False
    return True


def _builtin(expr: cst.BaseExpression, func: FunctionInfo) -> str | None:
    """The name of the builtin ``expr`` names (``len``), unless the module rebinds it."""
    if isinstance(expr, cst.Name) and means_builtin(expr.value, func):
        return expr.value
    return None


def through_object(
    symbols: SymbolTable, receiver: cst.BaseExpression, func: FunctionInfo
) -> tuple[str, str] | None:
    """(``'self.zc.cache'``, the attribute that holds the object: ``'Zeroconf.cache'``)
    when a method call's receiver is another object reached through an attribute (or a
    local copy of one, ``pubsub = self.pubsub``, or an element of a container attribute,
    ``self.readers[sock]``: ``'Engine.readers'``); else None."""
    if isinstance(receiver, cst.Subscript):
        container = through_object(symbols, receiver.value, func)
        if container is not None and symbols.class_of_receiver(receiver, func) is not None:
            return f"{container[0]}[...]", container[1]
    elif isinstance(receiver, cst.Attribute):
        text = dotted_name(receiver)
        key = symbols.key_of(receiver, func)
        if text is not None and key is not None and key[0] == "attr":
            return text, holder_name(key)
    elif isinstance(receiver, cst.Name):
        info = symbols.info(receiver, func)
        if info is not None and info.alias_of is not None and info.alias_of[0] == "attr":
            return receiver.value, holder_name(info.alias_of)
    return None


def holder_name(key: SymbolKey) -> str:
    """``("attr", "Zeroconf", "cache")`` -> ``"Zeroconf.cache"``."""
    return ".".join(key[1:])
