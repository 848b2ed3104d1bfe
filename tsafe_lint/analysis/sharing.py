"""Is a write of shared state a race? Evidence that other threads touch the same state.

State written from thread code races when several threads run that code at once
(a pool, a loop of starts, a ``map``), or when code another thread runs (another entry
point) writes it too. Writers outside any thread are not counted: they usually run
before ``start()`` or after ``join()``. Set-up code (module top level,
``__init__``, and helpers only set-up code calls) runs before other threads can see the
object and is never counted. A lone worker that writes a result the main thread reads
after ``join()`` is not a race. The many threads of a Thread subclass's ``run()`` run on
as many instances (a Thread starts once): to that instance's own attributes they are one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import libcst as cst

from tsafe_lint.analysis.events import Access, Regions
from tsafe_lint.analysis.inline_without_thread import Pair
from tsafe_lint.analysis.kinds import FACTORIES, Kind
from tsafe_lint.analysis.names import looks_like_setup
from tsafe_lint.analysis.reachability import Entry, ThreadReach, other_thread, thread_of, view_of
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure, script_blocks
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable
from tsafe_lint.analysis.tree import contains, variable_names, walk

SETUP_FUNCTIONS = frozenset(
    {
        "__init__",
        "__new__",
        "__post_init__",
        "__init_subclass__",
        "__set_name__",
        "__setstate__",
        "setUp",
        "setUpClass",
        "__del__",
    }
)


def is_setup_name(func: FunctionInfo) -> bool:
    """Code that runs before other threads can see what it writes (or after a fork, when
    the process has one thread)."""
    if func.is_module or func.name in SETUP_FUNCTIONS:
        return True
    return looks_like_setup(func)


#: The classes whose instances keep one set of attributes per thread.
_THREAD_LOCALS = tuple(name for name, kind in FACTORIES.items() if kind is Kind.THREAD_LOCAL)


class Sharing:
    """Answers "can another thread write this while this code runs?"."""

    def __init__(
        self,
        structure: ModuleStructure,
        symbols: SymbolTable,
        regions: Regions,
        reach: ThreadReach,
        setup: frozenset[FunctionInfo],
        starts_later: Callable[[FunctionInfo, int, FunctionInfo], bool] | None = None,
        under_construction: Callable[[SymbolKey, FunctionInfo], bool] | None = None,
        exclusive: Callable[[SymbolKey], Pair | None] | None = None,
    ) -> None:
        self.structure = structure
        #: ``ModuleAnalysis.starts_later``: is a function, at a point, before it starts
        #: every thread that runs another
        self._starts_later = starts_later
        #: ``ModuleAnalysis.under_construction``: an attribute of an object still being
        #: built, which no other thread can reach yet
        self._under_construction = under_construction
        #: ``InlineWithoutThread.exclusive``: which two entries never run on the object
        #: that owns a key
        self.exclusive = exclusive or (lambda key: None)
        self.symbols = symbols
        self.reach = reach
        self.setup = setup
        self.writers: dict[SymbolKey, list[Access]] = {}
        for access in regions.writes:
            if access.func not in setup:
                self.writers.setdefault(access.key, []).append(access)
        self._shared_classes = self._classes_with_module_level_instances(regions)
        self._per_instance: dict[int, Entry] = {}
        self._per_object: dict[int, Entry] = {}
        self._referenced = regions.referenced
        self._escaping_names: dict[str, frozenset[str] | None] = {}
        #: (class, holding attribute) -> ``_held_once``: asked for each key a rule checks
        self._held: dict[tuple[str, str], bool] = {}

    def is_tracked(self, key: SymbolKey) -> bool:
        """Plain data only: locks, queues, events, ``threading.local`` guard themselves,
        and so do the attributes of a ``threading.local`` subclass of the module (each
        thread sees its own)."""
        if key[0] == "attr" and len(key) == 3:
            cls = self.structure.classes.get(key[1])
            if cls is not None and any(
                self.structure.is_subclass_of(cls, base) for base in _THREAD_LOCALS
            ):
                return False
        info = self.symbols.symbols.get(key)
        return info is None or info.kind is None

    def races(
        self,
        key: SymbolKey,
        func: FunctionInfo,
        per_instance: bool = False,
        order: int | None = None,
    ) -> bool:
        """Can another thread write ``key`` while ``func`` (thread code) runs (at
        ``order`` in its walk, when known: before it starts the writer's thread, no)?

        For one object's attribute (``self.x``), only threads that were handed that kind
        of object count: a bound method as the target (``Thread(target=self.work)``), or
        methods called on a module-level instance. An object a thread creates for itself
        (``ctx = Context(); ctx.depth += 1``) is not shared.
        """
        entries = self.relevant(self.reach.entries.get(func, []), key, per_instance)
        if not entries or not self.is_tracked(key):
            return False
        if self._under_construction is not None and self._under_construction(key, func):
            return False
        if any(entry.many for entry in entries):
            return True
        return self.racing_writer(key, func, per_instance, order) is not None

    def racing_writer(
        self,
        key: SymbolKey,
        func: FunctionInfo,
        per_instance: bool = False,
        order: int | None = None,
    ) -> tuple[Access, Entry] | None:
        """A write of ``key`` that code on another thread than ``func``'s makes, with the
        entry of that thread: what a message names so that a reader can check it."""
        entries = self.relevant(self.reach.entries.get(func, []), key, per_instance)
        if not entries or not self.is_tracked(key):
            return None
        for access in self.writers.get(key, ()):
            if (
                order is not None
                and self._starts_later is not None
                and self._starts_later(func, order, access.func)
            ):
                continue  # its thread is not started yet at that point of ``func``
            other = self.relevant(self.reach.entries.get(access.func, []), key, per_instance)
            if other_thread(other, entries, apart=self.exclusive(key) if per_instance else None):
                mine = {thread_of(entry) for entry in entries}
                theirs = [entry for entry in other if thread_of(entry) not in mine]
                return access, (theirs or other)[0]  # written by another thread
        # Writers outside any thread (the main thread's API) are not evidence: they
        # usually run before start() or after join(), which we cannot order.
        return None

    def relevant(self, entries: list[Entry], key: SymbolKey, per_instance: bool) -> list[Entry]:
        if key[0] == "local" and self._confined_to_frame(key[1], key[-1]):
            return []  # each thread that runs the function has closure cells of its own
        if not per_instance or key[0] != "attr":
            return entries
        owner = self.structure.classes.get(key[1])
        if owner is None:
            return entries
        family = {cls.qualname for cls in self.structure.class_bases(owner)}
        # a request handler's own attributes: one handler object per request
        entries = [
            entry
            for entry in entries
            if not (
                entry.per_request
                and entry.root.cls is not None
                and _related(self.structure, entry.root.cls, owner.qualname, family)
            )
        ]
        if owner.qualname in self._shared_classes:
            return entries
        kept = []
        for entry in entries:
            if entry.root.cls is not None and (
                entry.root.cls.qualname in family
                or owner.qualname
                in {cls.qualname for cls in self.structure.class_bases(entry.root.cls)}
            ):
                if entry.own_instance:
                    entry = self._one_per_instance(entry)
                elif entry.per_object:
                    entry = self._one_per_object(entry)
                kept.append(entry)
                continue
            # the thread reaches the object through another object's attribute
            # (``self.zc.cache.entries()``): one thread of its own on that object, or
            # all of them when each object they run on holds one such object
            through = self.reach.reached_through(
                entry, family, partial(self._held_once, entry.root), self._class_level
            )
            if through is not None:
                kept.append(through)
        return kept

    def _held_once(self, root: FunctionInfo, holder: str) -> bool:
        """Is ``holder`` (``'Model.bucket'``) an attribute of the class family whose
        method ``root`` is, bound only by ``__init__`` (or the class body): one object for
        each object ``root`` runs on, so the threads that run ``root`` on one object share
        it (lagent's token bucket, fifty-fourth set's misses)?"""
        if root.cls is None:
            return False
        key = (root.cls.qualname, holder)
        if key not in self._held:
            owner, _, name = holder.rpartition(".")
            stores = self.symbols.attribute_values.get(("attr", owner, name), {})
            self._held[key] = (
                owner in {cls.qualname for cls in self.structure.class_bases(root.cls)}
                and bool(stores)
                and all(func.name == "__init__" or func.is_module for _, func in stores.values())
            )
        return self._held[key]

    def _class_level(self, holder: str) -> bool:
        """Is ``holder`` (``'Handler.engine'``) bound only in its class's body: one object
        that every object of the class shares, a request handler's among them?"""
        owner, _, name = holder.rpartition(".")
        stores = self.symbols.attribute_values.get(("attr", owner, name), {})
        return bool(stores) and all(func.is_module for _, func in stores.values())

    def _confined_to_frame(self, owner: str, name: str) -> bool:
        """Is the closure variable ``name`` of function ``owner`` used only by the thread
        that runs it? Each call has cells of its own, so it is, unless a nested function
        that reaches it leaves the frame: handed to a thread, a pool or a callback,
        returned, stored, or decorated (a decorator may register it), at any depth, or
        called from a lambda (``Thread(target=lambda: g())``). Then the thread that runs
        it later shares the cell with the frame's own. A nested function that leaves but
        never names the variable, nor calls one of the frame's functions that does, shares
        other cells only (dulus' Telegram poll loop hands its command runners to threads;
        its authorization cache stays with the loop: eighty-first set, judged false)."""
        if owner not in self._escaping_names:
            self._escaping_names[owner] = self._names_escaping(owner)
        escaping = self._escaping_names[owner]
        return escaping is not None and name not in escaping

    def _names_escaping(self, owner: str) -> frozenset[str] | None:
        """The names the nested functions of ``owner`` that leave its frame read or bind
        (through the frame's functions they call, too); None when ``owner`` has no nested
        function (no closure variables to confine)."""
        nested = [
            func
            for func in self.structure.functions
            if func.qualname.startswith(owner + ".") and not func.is_module
        ]
        outer = next((f for f in self.structure.functions if f.qualname == owner), None)
        if outer is None or not nested:
            return None
        by_name = {func.name: func for func in nested}
        pending: list[cst.CSTNode] = [
            func.node
            for func in nested
            if func in self._referenced
            or func.cls is not None  # a method of a class made in the frame
            or (isinstance(func.node, cst.FunctionDef) and func.node.decorators)
        ]
        pending += [node for node in walk(outer.node) if isinstance(node, cst.Lambda)]
        names: set[str] = set()
        visited: set[int] = set()
        while pending:
            node = pending.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            for inner in variable_names(node):
                names.add(inner.value)
                called = by_name.get(inner.value)
                if called is not None:
                    pending.append(called.node)
        return frozenset(names)

    def _one_per_instance(self, entry: Entry) -> Entry:
        """A Thread subclass's run() as seen by its own instance's attributes: one thread
        (a Thread starts once), the same entry each time it is asked for."""
        if not entry.many:
            return entry
        seen = self._per_instance.get(id(entry))
        if seen is None:
            seen = self._per_instance[id(entry)] = view_of(entry, many=False)
        return seen

    def _one_per_object(self, entry: Entry) -> Entry:
        """A thread stored into an attribute of its object as seen by that object's own
        attributes: one thread, named by the attribute (``Entry.per_object``), so that
        the starts of sibling classes are that one thread too."""
        seen = self._per_object.get(id(entry))
        if seen is None:
            seen = view_of(entry, many=False, thread=entry.per_object)
            self._per_object[id(entry)] = seen
        return seen

    def _classes_with_module_level_instances(self, regions: Regions) -> set[str]:
        """Classes whose methods are called on a module-level instance (``counter.add()``):
        that one object is shared by every thread that calls them. Not an instance made
        under ``if __name__ == "__main__":``: it exists only when the file runs as a
        script, not in the program whose threads import it (trxasviewer's dataset,
        thirty-fifth set)."""
        shared: set[str] = set()
        module = self.structure.module_scope.node
        script = script_blocks(module) if isinstance(module, cst.Module) else []
        for site in regions.call_sites:
            if not isinstance(site.call, cst.Call):
                continue  # an implicit call (``self[k]``): no receiver to look at
            if site.func.is_module and any(contains(block, site.call) for block in script):
                continue
            callee = site.call.func
            if site.callee.cls is None or not isinstance(callee, cst.Attribute):
                continue
            if not isinstance(callee.value, cst.Name):
                continue
            key = self.symbols.key_of(callee.value, site.func)
            info = self.symbols.symbols.get(key) if key is not None else None
            if key is not None and key[0] == "global" and info is not None and info.instance_of:
                shared.update(cls.qualname for cls in self.structure.class_bases(info.instance_of))
        return shared

    def is_setup(self, func: FunctionInfo) -> bool:
        return func in self.setup


def _related(structure: ModuleStructure, cls: ClassInfo, owner: str, family: set[str]) -> bool:
    """Is ``cls`` in the family of ``owner`` (one of its bases or a subclass)?"""
    return cls.qualname in family or owner in {c.qualname for c in structure.class_bases(cls)}
