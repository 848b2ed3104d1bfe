"""Locks and conditions known by how they are used, where no constructor can be seen.

Real code rarely builds its locks where the analysis can see ``threading.Lock()``: they
arrive as parameters (``sl.l.acquire()``), as attributes of other objects
(``self.coordinator._cond.wait()``), as loop variables, or from factories the analysis
cannot resolve. What the code does with an object tells its kind:

- ``X.acquire()`` and ``X.release()`` (no arguments) on the same receiver in one
  function: X is a lock or a semaphore (``Kind.ACQUIRABLE``);
- ``X.wait()``, ``X.wait_for()``, ``X.notify()`` or ``X.notify_all()`` in a function
  that also holds X (``with X:`` or ``X.acquire()``): X is a Condition, unless the
  module calls a method on X that a Condition does not have (sardana's
  ``with info: info.init(n); ...; info.wait()`` is an object of its own whose ``wait()``
  waits for an Event).

A parameter annotated with a class of another name (``waitable: Waitable``) is not
taken for a Condition, whatever it is used like: airdc's ``Waitable`` enters and waits
like one, but its ``wait()`` answers whether to go on (sixty-eighth set: a false TS301).
``wait()`` means many things; ``acquire()`` with ``release()`` means one, so such a
parameter is still taken for a lock (a ``Bulkhead`` or ``FileLock`` leaks like one). An
annotation that names a primitive (``Condition``, ``Lock``) or says nothing (``Any``,
``object``) leaves the use to decide.

Only objects of no known kind are typed this way, never in ``async`` functions (asyncio
locks have the same method names), and each inferred symbol keeps the evidence so that
messages can say why the object was taken for a lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from tsafe_lint.analysis.events import Regions
from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure
from tsafe_lint.analysis.symbols import SymbolInfo, SymbolKey, SymbolTable, display_name
from tsafe_lint.analysis.tree import walk

_SIGNALS = frozenset({"notify", "notify_all", "notifyAll"})
_WAITS = frozenset({"wait", "wait_for"})
_WATCHED = frozenset({"acquire", "release", *_SIGNALS, *_WAITS})
#: every method a ``threading.Condition`` (or ``multiprocessing``'s) has
_CONDITION_API = frozenset(
    {*_WATCHED, "locked", "_is_owned", "_release_save", "_acquire_restore", "__enter__"}
)


@dataclass
class _Uses:
    """What one function does with one receiver."""

    methods: set[str] = field(default_factory=set)
    entered: bool = False  # ``with X:``
    #: the other methods called on it (``info.init(n)``)
    others: set[str] = field(default_factory=set)


def infer_kinds_from_use(
    structure: ModuleStructure, symbols: SymbolTable, regions: Regions
) -> bool:
    """Add a ``SymbolInfo`` with its evidence for every receiver whose use shows its kind;
    True when anything was added (the lock regions must then be walked again).

    It reads the calls and ``with`` items a first walk of the module recorded, so that no
    second pass over the tree is needed for the many modules where nothing is inferred.
    """
    uses: dict[SymbolKey, dict[FunctionInfo, _Uses]] = {}
    for entry in regions.with_entries:
        if entry.func.is_async or entry.node.asynchronous is not None:
            continue
        key = _receiver_key(entry.item.item, entry.func, symbols)
        if key is not None:
            uses.setdefault(key, {}).setdefault(entry.func, _Uses()).entered = True
    for any_call in regions.calls:  # no awaited call: those are in async functions only
        call, func = any_call.call, any_call.func
        if func.is_async or not isinstance(call.func, cst.Attribute):
            continue
        method = call.func.attr.value
        if method == "release" and call.args:
            continue  # ``pool.release(conn)``: a resource pool, not a lock
        key = _receiver_key(call.func.value, func, symbols)
        if key is None:
            continue
        used = uses.setdefault(key, {}).setdefault(func, _Uses())
        if method in _WATCHED:
            used.methods.add(method)
        else:
            used.others.add(method)
    added = False
    for key, per_function in uses.items():
        if key in symbols.symbols:
            continue  # its kind (or class) is known from how it was made
        decided = _decide(key, per_function)
        if (
            decided is not None
            and decided[0] is Kind.CONDITION
            and _annotated_otherwise(_parameter(key, structure))
        ):
            continue  # ``waitable: Waitable``: an object of the class it names
        if decided is not None:
            kind, evidence = decided
            info = SymbolInfo(key, display_name(key), kind, evidence=evidence)
            info.created_at = _parameter(key, structure)  # a caller's object: see is_parameter
            symbols.add_inferred(info)
            added = True
    return added


def _receiver_key(
    receiver: cst.BaseExpression, func: FunctionInfo, symbols: SymbolTable
) -> SymbolKey | None:
    """The key to type ``receiver`` under; None for the module's own classes' objects
    (``self.acquire()``: their methods are known)."""
    if symbols.class_of_receiver(receiver, func) is not None:
        return None
    return symbols.receiver_key(receiver, func)


def _decide(key: SymbolKey, per_function: dict[FunctionInfo, _Uses]) -> tuple[Kind, str] | None:
    name = display_name(key)
    foreign = any(used.others - _CONDITION_API for used in per_function.values())
    for func, used in per_function.items():
        held = used.entered or "acquire" in used.methods
        signals = sorted(used.methods & (_SIGNALS | _WAITS))
        if held and signals and not foreign:
            evidence = (
                f"'{name}' is taken for a Condition: '{func.name}' holds it and calls "
                f"{signals[0]}() on it"
            )
            return Kind.CONDITION, evidence
    for func, used in per_function.items():
        if {"acquire", "release"} <= used.methods:
            evidence = f"'{name}' is taken for a lock: '{func.name}' acquires and releases it"
            return Kind.ACQUIRABLE, evidence
    return None


def _parameter(key: SymbolKey, structure: ModuleStructure) -> cst.Param | None:
    """The parameter a ``("local", function, name)`` key names, if it is one."""
    if key[0] != "local":
        return None
    func = structure.function_named(key[1])
    if func is None or not isinstance(func.node, cst.FunctionDef):
        return None
    params = func.node.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == key[2]:
            return param
    return None


#: Annotation names that leave a parameter's kind to its use: primitives and "anything".
_OPEN_ANNOTATIONS = frozenset(
    {"Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "LockType", "Any",
     "object", "ContextManager", "AbstractContextManager"}
)  # fmt: skip
#: Names that only wrap another (``Optional[X]``, ``X | None``).
_WRAPPERS = frozenset({"Optional", "Union", "None", "typing", "t"})


def _annotated_otherwise(param: cst.Param | None) -> bool:
    """Is ``param`` annotated with a class that is not a threading primitive, by the
    names the annotation uses (``Waitable``, ``"pkg.Waitable"``, ``Waitable | None``)?"""
    if param is None or param.annotation is None:
        return False
    names: list[str] = []
    for node in walk(param.annotation.annotation):
        if isinstance(node, cst.Name):
            names.append(node.value)
        elif isinstance(node, cst.SimpleString):
            text = node.evaluated_value
            names.extend(re.findall(r"\w+", text if isinstance(text, str) else ""))
    if any(name in _OPEN_ANNOTATIONS for name in names):
        return False
    return any(name not in _WRAPPERS for name in names)
