"""What a ``thread.join()`` or ``pool.shutdown()`` waits for, and whether it needs a lock.

The awaited code is known when every thread the receiver can hold is made in the module
(``self._t = Worker(...)`` with ``Worker`` a ``Thread`` subclass whose ``run`` is the
module's, ``Thread(target=self._loop)`` or ``Timer(..., self._tick)`` with a target the
module defines), or, for a pool, when the module submits tasks to it. A target or task
that is a bound method of another object the module does not define
(``pool.submit(producer.stop)``, ``Thread(target=self.proxy.serve_forever)``) is that
object's code. A ``multiprocessing.Process`` runs in another process: it cannot take this
process's ``threading`` locks (its copies are its own).

That code *stays away from* a held lock when the lock is private (``_lock``, a global
or an attribute no other module is meant to name, or a local; never handed on) and nothing the
module's code reached from the awaited entries does names the lock, acquires it (the
module's lock facts, through its call graph), or calls a function by the name of one of
the module's functions that acquire it (a receiver of unknown type may be that object)
with arguments that can bind to that function's parameters; a call the module resolves
(``self._store.update(...)`` on an attribute holding another class of the module) is
that function, followed through the call graph instead.
Other modules cannot name a private lock; a callback from them into the module is not
followed.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.module import ModuleAnalysis
from tsafe_lint.analysis.scopes import FunctionInfo, final_name
from tsafe_lint.analysis.symbols import SymbolKey, argument
from tsafe_lint.analysis.tree import NOT_RUN, walk

#: qualified constructor -> (target position, target keyword)
_THREAD_MAKERS = {"threading.Thread": (1, "target"), "threading.Timer": (1, "function")}
_PROCESS_MAKERS = frozenset({"multiprocessing.Process", "multiprocessing.context.Process"})
#: pool methods that hand a task (their first argument) to the pool's workers
_POOL_METHODS = frozenset({"submit", "map", "apply_async", "map_async", "imap", "starmap"})


@dataclass(frozen=True)
class Awaited:
    """The module's functions the awaited threads start in; ``foreign``: tasks that are
    another object's bound methods (their code is not the module's)."""

    entries: tuple[FunctionInfo, ...]
    foreign: int = 0
    processes: int = 0  # ``multiprocessing.Process`` objects: another process's code


def awaited_code(
    receiver: cst.BaseExpression, kind: Kind, scope: FunctionInfo, analysis: ModuleAnalysis
) -> Awaited | None:
    """The code a ``join()`` (``kind`` THREAD) or ``shutdown()`` (THREAD_POOL) on
    ``receiver`` waits for; None when some of it is unknown."""
    key = canonical_key(analysis.symbols.key_of(receiver, scope), analysis)
    if key is None:
        return None
    if kind is Kind.THREAD:
        return _threads_of(key, analysis)
    if kind is Kind.THREAD_POOL:
        return _tasks_of(key, analysis)
    return None


def stays_away(
    lock: SymbolKey, awaited: Awaited, analysis: ModuleAnalysis, public_ok: bool = False
) -> bool:
    """Does no awaited code take ``lock`` (see the module docstring)? ``public_ok``: a
    lock named like a public attribute counts too (for code that must not even reach
    the lock's object, such as a queue's feeders: only the module's own code can)."""
    name = lock[-1]
    if (not public_ok and not name.startswith("_")) or lock in analysis.regions.escaped:
        return False
    if awaited.processes and not _threading_lock(lock, analysis):
        return False  # a multiprocessing lock: the child process may take it
    facts = analysis.locks
    takers: dict[str, list[FunctionInfo]] = {}
    for func, taken in facts.takes.items():
        if lock in taken:
            takers.setdefault(func.name, []).append(func)
    for func in analysis.reached_from(awaited.entries):
        if lock in facts.takes.get(func, {}):
            return False
        for node in walk(func.node, NOT_RUN):
            if isinstance(node, NOT_RUN) and node is not func.node:
                continue
            if isinstance(node, cst.Name) and node.value == name:
                return False  # names the lock (``self.owner._lock``): it may take it
            if (
                isinstance(node, cst.Call)
                and any(
                    _may_be(node, taker) for taker in takers.get(final_name(node.func) or "", ())
                )
                and analysis.resolve_function(node.func, func) is None
            ):
                return False  # may call back into a function that takes it
    return True


def _may_be(call: cst.Call, taker: FunctionInfo) -> bool:
    """Could ``call`` (``sock.shutdown(socket.SHUT_RDWR)``, receiver unknown) be a call of
    ``taker``, the module's function of that name? Not when the arguments cannot bind to
    its parameters: too many positional ones, or a keyword it does not have."""
    node = taker.node
    if not isinstance(node, cst.FunctionDef) or any(arg.star for arg in call.args):
        return True
    params = node.params
    if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
        return True  # ``*args`` / ``**kwargs`` take anything
    positional = [*params.posonly_params, *params.params]
    if taker.self_name is not None and not taker.is_classmethod and positional:
        positional = positional[1:]  # called on an object: ``self`` is bound
    names = {param.name.value for param in (*params.params, *params.kwonly_params)}
    given = [arg for arg in call.args if arg.keyword is None]
    if len(given) > len(positional):
        return False
    return all(arg.keyword.value in names for arg in call.args if arg.keyword is not None)


def canonical_key(key: SymbolKey | None, analysis: ModuleAnalysis) -> SymbolKey | None:
    """Through aliases (``thread = self._thread``) to the symbol the object is kept in."""
    seen: set[SymbolKey] = set()
    while key is not None and key not in seen:
        seen.add(key)
        info = analysis.symbols.symbols.get(key)
        if info is None or info.alias_of is None:
            break
        key = info.alias_of
    return key


def assignments_of(
    key: SymbolKey, analysis: ModuleAnalysis
) -> list[tuple[FunctionInfo, cst.BaseExpression | None]]:
    """The value of every ``<target> = value`` (or ``<target>: T = value``) of the module
    whose target resolves to ``key``; None for a value that cannot be seen (a tuple
    unpacking, a ``for`` target, ``with ... as``). A class attribute's value in the class
    body (``_ready = threading.Event()``) counts, seen from the module's scope."""
    found: list[tuple[FunctionInfo, cst.BaseExpression | None]] = _class_body_values(key, analysis)
    for func in analysis.structure.functions:
        for node in walk(func.node, NOT_RUN):
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    if _names(target.target, key, func, analysis):
                        found.append((func, node.value))
                    elif _binds(target.target, key, func, analysis):
                        found.append((func, None))
            elif isinstance(node, cst.AnnAssign) and _names(node.target, key, func, analysis):
                found.append((func, node.value))
            elif isinstance(node, (cst.For, cst.AugAssign)):
                if _binds(node.target, key, func, analysis):
                    found.append((func, None))
            elif (
                isinstance(node, cst.WithItem)
                and node.asname is not None
                and _binds(node.asname.name, key, func, analysis)
            ):
                found.append((func, None))
    return found


def _class_body_values(
    key: SymbolKey, analysis: ModuleAnalysis
) -> list[tuple[FunctionInfo, cst.BaseExpression | None]]:
    """The values the body of ``key``'s class gives the attribute ``key`` names
    (``_ready = threading.Event()``), from the symbol table's record of every value
    assigned to each attribute: those whose store names it bare (a method's store is
    ``self._ready = ...``, found by walking the method)."""
    if key[0] != "attr" or len(key) != 3:
        return []
    return [
        (func, value)
        for node, (value, func) in analysis.symbols.attribute_values.get(key, {}).items()
        if _stores_bare(node, key[2])
    ]


def _stores_bare(node: cst.CSTNode, name: str) -> bool:
    if isinstance(node, cst.AnnAssign):
        return isinstance(node.target, cst.Name) and node.target.value == name
    return isinstance(node, cst.Assign) and any(
        isinstance(target.target, cst.Name) and target.target.value == name
        for target in node.targets
    )


def _names(
    target: cst.BaseExpression, key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    return canonical_key(analysis.symbols.key_of(target, func), analysis) == key


def _binds(
    target: cst.BaseExpression, key: SymbolKey, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Is ``key`` among the names a (possibly unpacking) target binds?"""
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_binds(element.value, key, func, analysis) for element in target.elements)
    if isinstance(target, cst.StarredElement):
        return _binds(target.value, key, func, analysis)
    return isinstance(target, (cst.Name, cst.Attribute)) and _names(target, key, func, analysis)


def _threading_lock(lock: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Is ``lock`` made by ``threading`` (``threading.Lock()``), never shared with a child
    process?"""
    info = analysis.symbols.symbols.get(lock)
    made_by = info.made_by if info is not None else None
    if info is None or made_by is None:
        return False
    scope = info.created_in or analysis.structure.module_scope
    made = analysis.structure.qualified_name(made_by.func, scope)
    return made is not None and made.startswith("threading.")


def _threads_of(key: SymbolKey, analysis: ModuleAnalysis) -> Awaited | None:
    entries: list[FunctionInfo] = []
    foreign = 0
    processes = 0
    for func, value in assignments_of(key, analysis):
        if value is None:
            return None  # bound where its value is not seen
        if isinstance(value, cst.Name) and value.value == "None":
            continue
        if canonical_key(analysis.symbols.key_of(value, func), analysis) == key:
            continue  # ``thread = self._thread``: the same object
        if not isinstance(value, cst.Call):
            return None  # a thread made elsewhere
        entry = _thread_entry(value, func, analysis)
        if entry is not None:
            entries.append(entry)
        elif _runs_others_method(value, func, analysis):
            foreign += 1  # ``Thread(target=self.proxy.serve_forever)``: that object's code
        elif analysis.structure.qualified_name(value.func, func) in _PROCESS_MAKERS:
            processes += 1
        else:
            return None
    if entries or foreign or processes:
        return Awaited(tuple(entries), foreign, processes)
    return None


def _runs_others_method(call: cst.Call, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """A ``Thread``/``Timer`` whose target is a bound method of another object the module
    does not define (``self.proxy.serve_forever``, ``self._loop.run_forever``)."""
    made = analysis.structure.qualified_name(call.func, func)
    if made not in _THREAD_MAKERS:
        return False
    position, keyword = _THREAD_MAKERS[made]
    target = argument(call, position, keyword)
    if not isinstance(target, cst.Attribute) or analysis.resolve_function(target, func):
        return False
    receiver = target.value
    if _others_method(target, func):
        return True
    return (
        isinstance(receiver, cst.Attribute)
        and isinstance(receiver.value, cst.Name)
        and receiver.value.value == func.self_name
    )


def _thread_entry(
    call: cst.Call, func: FunctionInfo, analysis: ModuleAnalysis
) -> FunctionInfo | None:
    """The function a thread made by ``call`` runs: a module subclass's ``run`` or the
    module's function given as its target."""
    structure = analysis.structure
    made = structure.qualified_name(call.func, func)
    if made in _THREAD_MAKERS:
        position, keyword = _THREAD_MAKERS[made]
        target = argument(call, position, keyword)
        return analysis.resolve_function(target, func) if target is not None else None
    cls = structure.class_named(call.func.value, func) if isinstance(call.func, cst.Name) else None
    if cls is None or not any(
        structure.is_subclass_of(cls, base) for base in ("threading.Thread", "threading.Timer")
    ):
        return None
    return structure.method(cls, "run")


def _tasks_of(key: SymbolKey, analysis: ModuleAnalysis) -> Awaited | None:
    entries: list[FunctionInfo] = []
    foreign = 0
    for call in analysis.regions.method_calls:
        if call.method not in _POOL_METHODS or canonical_key(call.target, analysis) != key:
            continue
        task = argument(call.call, 0, "fn")
        if task is None:
            return None
        entry = analysis.resolve_function(task, call.func)
        if entry is not None:
            entries.append(entry)
        elif _others_method(task, call.func):
            foreign += 1
        else:
            return None  # a closure, lambda or parameter the module does not resolve
    return Awaited(tuple(entries), foreign) if entries or foreign else None


def _others_method(task: cst.BaseExpression, func: FunctionInfo) -> bool:
    """``producer.stop``: a method of an object other than ``self``/``cls``, so not the
    module's own code."""
    return (
        isinstance(task, cst.Attribute)
        and isinstance(task.value, cst.Name)
        and task.value.value != func.self_name
    )
