"""Code the interpreter runs at arbitrary points of any thread: finalizers and callbacks.

``__del__`` runs when an object's last reference goes or the garbage collector collects
it: on whichever thread dropped the reference or allocated at that moment, between two
bytecodes of whatever that thread was doing. ``gc.callbacks`` functions run at every
collection, weakref callbacks when their referent dies, and ``signal.signal`` handlers
on the main thread between any two bytecodes. Each can interrupt code of the same thread
that holds a lock, so a lock it takes must be reentrant or never held around other code.

``lock_sites`` says where the module's code takes each lock as it is written: ``with``
and ``acquire()`` on the lock, or on an object of a module class that wraps locks (its
``__enter__`` or ``acquire`` takes them: the wrapper's own body is not a site).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis.acquisitions import LockFacts
from tsafe_lint.analysis.entry_points import keeps_its_object_alive
from tsafe_lint.analysis.events import CallSite, Regions
from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.reachability import (
    Resolver,
    makes_coroutine,
    passed_for,
    target_functions,
)
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure, dotted_name
from tsafe_lint.analysis.symbols import SymbolKey, argument

KeyOf = Callable[[cst.BaseExpression, FunctionInfo], "SymbolKey | None"]

ANY_THREAD = "can run on any thread at any allocation"
MAIN_THREAD = "runs on the main thread between any two bytecodes"


@dataclass(frozen=True)
class Registration:
    """A call that hands ``position``/``keyword`` to the interpreter to run later."""

    position: int
    keyword: str
    what: str  # how a message names the function: "registered in gc.callbacks"
    when: str  # ANY_THREAD or MAIN_THREAD


#: Qualified names of the calls that register finalizer-context code.
REGISTRATIONS: dict[str, Registration] = {
    "gc.callbacks.append": Registration(0, "object", "registered in gc.callbacks", ANY_THREAD),
    "gc.callbacks.insert": Registration(1, "object", "registered in gc.callbacks", ANY_THREAD),
    "weakref.ref": Registration(1, "callback", "a weakref callback", ANY_THREAD),
    "weakref.proxy": Registration(1, "callback", "a weakref callback", ANY_THREAD),
    "weakref.WeakMethod": Registration(1, "callback", "a weakref callback", ANY_THREAD),
    "weakref.finalize": Registration(1, "func", "run by weakref.finalize", ANY_THREAD),
    "signal.signal": Registration(1, "handler", "a signal handler", MAIN_THREAD),
}


@dataclass(frozen=True)
class Finalizer:
    """A function the interpreter may run in the middle of any code of a thread."""

    func: FunctionInfo
    what: str  # "'__del__'" is enough for a finalizer; else "registered in gc.callbacks"
    when: str

    def describe(self) -> str:
        """``'tqdm.__del__'`` / ``'_cb' (registered in gc.callbacks)``."""
        name = self.func.qualname.replace(".<locals>", "")
        if self.func.name == "__del__":
            return f"'{name}'"
        return f"'{name}' ({self.what})"


def registered_name(call: cst.Call, func: FunctionInfo, structure: ModuleStructure) -> str | None:
    """The qualified name of ``call``'s callee; a parameter that defaults to a module
    (``def __init__(self, gc=gc)``) counts as that module."""
    qualified = structure.qualified_name(call.func, func)
    if qualified is not None:
        return qualified
    dotted = dotted_name(call.func)
    if dotted is None or "." not in dotted:
        return None
    head, _, rest = dotted.partition(".")
    node = func.node
    if not isinstance(node, cst.FunctionDef) or func.parent is None:
        return None
    for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
        if param.name.value == head and isinstance(param.default, cst.Name):
            module = structure.qualified_name(param.default, func.parent)
            return f"{module}.{rest}" if module is not None else None
    return None


def find_finalizers(
    structure: ModuleStructure, regions: Regions, resolve: Resolver
) -> list[Finalizer]:
    """Every ``__del__`` of the module's classes and every function it registers as a gc
    callback, weakref callback, ``weakref.finalize`` function or signal handler."""
    found: list[Finalizer] = []
    for cls in structure.classes.values():
        method = cls.methods.get("__del__")
        if method is not None:
            found.append(Finalizer(method, "a finalizer", ANY_THREAD))
    for any_call in regions.calls:
        name = any_call.qualified
        if name not in REGISTRATIONS:
            name = registered_name(any_call.call, any_call.func, structure)
        registration = REGISTRATIONS.get(name or "")
        if registration is None:
            continue
        if name == "weakref.finalize" and keeps_its_object_alive(any_call.call):
            continue  # never collected: it runs at exit, not inside other code
        registered = argument(any_call.call, registration.position, registration.keyword)
        for target, scope in _handed_in(registered, any_call.func, regions):
            for func, _ in target_functions(target, scope, resolve, structure):
                found.append(Finalizer(func, registration.what, registration.when))
    return found


def _handed_in(
    target: cst.BaseExpression | None, func: FunctionInfo, regions: Regions
) -> list[tuple[cst.BaseExpression | None, FunctionInfo]]:
    """The registered function, with the scope it is named in: itself, or, when it is a
    parameter of a module-level helper (``def install(handler): signal.signal(SIGTERM,
    handler)``), what each call of the helper in the module passes for it."""
    if not (isinstance(target, cst.Name) and func.cls is None and target.value in func.params):
        return [(target, func)]
    return passed_for(func, target.value, regions)


def followed_into(
    site: CallSite,
    wrappers: set[FunctionInfo],
    parent_of: Callable[[cst.CSTNode], cst.CSTNode | None],
) -> bool:
    """Does a finalizer's code run the callee of ``site`` (``finalizer_code``'s edges):
    not a lock wrapper, nor a coroutine the call only makes?"""
    return site.callee not in wrappers and not makes_coroutine(site, parent_of)


def finalizer_code(
    finalizers: list[Finalizer],
    regions: Regions,
    wrappers: set[FunctionInfo],
    parent_of: Callable[[cst.CSTNode], cst.CSTNode | None],
) -> dict[FunctionInfo, tuple[Finalizer, list[FunctionInfo]]]:
    """Each function a finalizer runs (through calls in the module, not into lock
    wrappers, nor into a coroutine it only makes: the event loop runs that later),
    with the first finalizer that reaches it and the call path from it."""
    callees: dict[FunctionInfo, list[FunctionInfo]] = {}
    for site in regions.call_sites:
        if followed_into(site, wrappers, parent_of):
            callees.setdefault(site.func, []).append(site.callee)
    reached: dict[FunctionInfo, tuple[Finalizer, list[FunctionInfo]]] = {}
    for finalizer in finalizers:
        if finalizer.func in reached:
            continue
        queue = deque([(finalizer.func, [finalizer.func])])
        reached[finalizer.func] = (finalizer, [finalizer.func])
        while queue:
            func, path = queue.popleft()
            for callee in callees.get(func, ()):
                if callee not in reached:
                    reached[callee] = (finalizer, [*path, callee])
                    queue.append((callee, [*path, callee]))
    return reached


@dataclass(frozen=True)
class LockSite:
    """Where the module's code takes a lock as written: ``with x:``, ``x.acquire()``, or
    ``with w:`` / ``w.acquire()`` on a lock wrapper of the module (``lock`` is then the
    lock the wrapper takes, ``shown`` the wrapper object)."""

    func: FunctionInfo
    node: cst.CSTNode
    lock: SymbolKey
    shown: SymbolKey | None


def wrapper_methods(structure: ModuleStructure, facts: LockFacts) -> set[FunctionInfo]:
    """Methods of the module's lock wrappers: classes whose ``__enter__`` or ``acquire``
    takes a lock."""
    methods: set[FunctionInfo] = set()
    for cls in structure.classes.values():
        if _wraps_locks(structure, cls, facts):
            methods.update(cls.methods.values())
    return methods


def _wraps_locks(structure: ModuleStructure, cls: ClassInfo, facts: LockFacts) -> bool:
    for name in ("__enter__", "acquire"):
        method = structure.method(cls, name)
        if method is not None and facts.takes.get(method):
            return True
    return False


def lock_sites(
    regions: Regions, facts: LockFacts, wrappers: set[FunctionInfo], key_of: KeyOf
) -> list[LockSite]:
    """Every place the module takes a blocking lock, wrappers' bodies excluded."""
    sites: list[LockSite] = []
    for acquisition in facts.acquisitions:
        if acquisition.func not in wrappers:
            sites.append(
                LockSite(acquisition.func, acquisition.node, acquisition.lock, acquisition.shown)
            )
    for site in regions.call_sites:
        if site.func in wrappers or site.callee not in wrappers:
            continue
        receiver = site.call
        if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute):
            receiver = receiver.func.value
        elif isinstance(receiver, cst.Call):
            continue  # a call of the wrapper class itself
        shown = key_of(receiver, site.func) if isinstance(receiver, cst.BaseExpression) else None
        for lock in facts.takes.get(site.callee, {}):
            sites.append(LockSite(site.func, site.call, lock, shown))
    return sites


def is_lock(facts: LockFacts, lock: SymbolKey) -> bool:
    """A ``threading.Lock`` (or a lock built on one) known from its constructor."""
    info = facts.symbols.symbols.get(lock)
    return info is not None and info.kind is Kind.LOCK
