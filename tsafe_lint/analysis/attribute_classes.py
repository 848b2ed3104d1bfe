"""Which class an attribute holds, from how the module builds it.

A thread often reaches another class's methods through an object's attribute: the
Reaper thread calls ``self.zc.cache.entries()``, where ``Reaper(self)`` is built by a
method of ``Zeroconf`` and ``Zeroconf.__init__`` sets ``self.cache = DNSCache()``. Two
facts make that call resolve to ``DNSCache.entries``:

- ``self.a = C(...)`` in any method (or ``a = C(...)`` in the class body), ``C`` a class
  of the module or an imported one (by its real name, ``pkg.conn.Connection``);
- ``self.a = param`` in ``__init__``, when every construction ``Owner(...)`` the module
  shows passes ``param`` an object of one known class (``Owner(self)`` from a method of
  ``K``: a ``K``).

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
    SymbolInfo,
    SymbolKey,
    SymbolTable,
    argument,
    display_name,
    method_scope,
)

#: A module class, or an imported class's real name.
ClassRef = ClassInfo | str
_NONE = "None"
_UNKNOWN = None
#: calls that hand over their first argument itself (a weak proxy behaves as the object)
_SAME_OBJECT = frozenset({"weakref.proxy"})


def settle(symbols: SymbolTable, calls: Iterable[AnyCall] = ()) -> bool:
    """Give each attribute the one class all its assignments agree on (none when they
    disagree or one is unknown); with ``calls``, the module's calls, also the attributes
    set from ``__init__`` parameters. True when a module class was added or taken away
    (calls through the attribute resolve differently)."""
    structure = symbols.structure
    constructions = _constructions(structure, calls) if calls else {}
    changed = False
    for key, values in symbols.attribute_values.items():
        info = symbols.symbols.get(key)
        if info is not None and info.kind is not None:
            continue  # a lock, a queue, an event...: typed by its factory
        found: set[str | int] = set()
        classes: list[ClassRef] = []
        unknown = False
        for node, (value, func) in values.items():
            ref = class_of_value(symbols, value, func)
            if ref is _UNKNOWN and calls:
                ref = _parameter_class(symbols, constructions, node, value, func)
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


def _parameter_class(
    symbols: SymbolTable,
    constructions: dict[FunctionInfo, list[AnyCall] | None],
    node: cst.CSTNode,
    value: cst.BaseExpression,
    func: FunctionInfo,
) -> ClassRef | None:
    """``self.a = param`` in ``__init__``: the one class every construction passes."""
    if (
        func.name != "__init__"
        or func.cls is None
        or not isinstance(value, cst.Name)
        or value.value not in func.params
        or value.value == func.self_name
        or value.value in func.assigned
    ):
        return None
    calls = constructions.get(func)
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
        ref = class_of_value(symbols, arg, call.func)
        if ref is None or ref == _NONE:
            return None
        classes.add(ref if isinstance(ref, str) else id(ref))
    return ref if len(classes) == 1 else None


def through_object(
    symbols: SymbolTable, receiver: cst.BaseExpression, func: FunctionInfo
) -> tuple[str, str] | None:
    """(``'self.zc.cache'``, the attribute that holds the object: ``'Zeroconf.cache'``)
    when a method call's receiver is another object reached through an attribute (or a
    local copy of one, ``pubsub = self.pubsub``); else None."""
    if isinstance(receiver, cst.Attribute):
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
