"""``ModuleAnalysis``: the shared facts of one module, computed once, read by every rule."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, partial

import libcst as cst

from tsafe_lint.analysis.acquisitions import LockFacts
from tsafe_lint.analysis.attribute_classes import settle as settle_attribute_classes
from tsafe_lint.analysis.callbacks import callback_sites
from tsafe_lint.analysis.conflicts import Conflicts
from tsafe_lint.analysis.decorators import WRAPPER_VERB, expects_threads
from tsafe_lint.analysis.decorators import wrappers as decorator_wrappers
from tsafe_lint.analysis.events import EMPTY, Held, Regions, State
from tsafe_lint.analysis.evidence import LISTED_VERB, Evidence, is_listed, is_public, listed
from tsafe_lint.analysis.finalizers import (
    Finalizer,
    LockSite,
    finalizer_code,
    find_finalizers,
    lock_sites,
    wrapper_methods,
)
from tsafe_lint.analysis.fresh_object import constructor_helpers, under_construction
from tsafe_lint.analysis.inline_without_thread import InlineWithoutThread
from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.lent import lent_sites
from tsafe_lint.analysis.locking_decorators import decorator_held
from tsafe_lint.analysis.log_aliases import LOG_METHODS, log_aliases, log_attributes
from tsafe_lint.analysis.per_thread_args import PerThread, per_thread_params
from tsafe_lint.analysis.reachability import Entry, ThreadReach, compute_reach, verb_of
from tsafe_lint.analysis.regions import RegionWalker
from tsafe_lint.analysis.registrations import registration_decorators
from tsafe_lint.analysis.scopes import (
    FunctionInfo,
    ModuleStructure,
    collect_structure,
    reached_from,
)
from tsafe_lint.analysis.shared_args import SharedCall, shared_calls
from tsafe_lint.analysis.sharing import Sharing, is_setup_name
from tsafe_lint.analysis.symbols import SymbolInfo, SymbolKey, SymbolTable
from tsafe_lint.analysis.thread_keyed import ThreadKeyed
from tsafe_lint.analysis.threads import ThreadStart, own_attribute, thread_starts
from tsafe_lint.analysis.tree import Span, children, positions, walk
from tsafe_lint.analysis.usage import infer_kinds_from_use
from tsafe_lint.module_names import is_package, module_name
from tsafe_lint.project_context import EMPTY_CONTEXT, ProjectContext

_REF = "\x00"  # brackets a line placeholder in messages (never in source text)

#: Methods Python calls implicitly: nothing is known to be held when they start.
_IMPLICIT_ENTRY = frozenset({"__enter__", "__exit__", "__aenter__", "__aexit__", "__del__"})


@dataclass(frozen=True)
class WalkedModule:
    """A module's structure, symbols and lock regions: what the region walk makes of it.

    They depend on the module, its name and the lock kinds it imports, and not on which
    of its functions other modules run on threads: a re-analysis that learns only that
    can start from the walk of the first analysis (``pipeline.py``)."""

    structure: ModuleStructure
    symbols: SymbolTable
    walker: RegionWalker
    regions: Regions


def walk_module(
    module: cst.Module,
    name: str,
    package: bool,
    imported_kinds: tuple[tuple[str, str], ...],
    made_kinds: tuple[tuple[str, str], ...] = (),
    inherited_kinds: tuple[tuple[str, str, str], ...] = (),
) -> WalkedModule:
    """Collect the structure and symbols of ``module`` and walk its lock regions."""
    structure = collect_structure(module, name, package)
    external = {qualified: Kind(value) for qualified, value in imported_kinds}
    made = {qualified: Kind(value) if value else None for qualified, value in made_kinds}
    inherited: dict[str, dict[str, Kind]] = {}
    for cls, attr, value in inherited_kinds:
        inherited.setdefault(cls, {})[attr] = Kind(value)
    symbols = SymbolTable(structure, external, made, inherited)
    settle_attribute_classes(symbols)  # conflicting classes: none
    walker = RegionWalker(structure, symbols)
    regions = walker.walk()
    if infer_kinds_from_use(structure, symbols, regions):
        # new locks and conditions change what is held where: walk again
        walker = RegionWalker(structure, symbols)
        regions = walker.walk()
    if settle_attribute_classes(symbols, regions.calls):
        # attributes whose class ``__init__``'s callers show: calls through them
        # (``self.zc.cache.entries()``) resolve now, and so do local copies of them
        symbols.recollect()
        settle_attribute_classes(symbols, regions.calls)
        walker = RegionWalker(structure, symbols)
        regions = walker.walk()
    return WalkedModule(structure, symbols, walker, regions)


class ModuleAnalysis:
    """Structure, symbols and lock regions of one parsed module.

    Positions are computed at the end, only for the nodes that findings need: most
    modules have no finding, and positions for every node cost more than parsing.
    """

    def __init__(
        self,
        module: cst.Module,
        path: str = "<string>",
        context: ProjectContext = EMPTY_CONTEXT,
        name: str = "",
        evidence: frozenset[str] = frozenset(),
        walked: WalkedModule | None = None,
    ) -> None:
        """``walked``: ``walk_module`` of this module, name and context's imported kinds,
        when the caller has it already."""
        self.module = module
        #: the opt-in evidence kinds turned on (``OPT_IN_EVIDENCE``)
        self.extra_evidence = evidence
        self.path = path
        self.context = context
        self.name = name or module_name(path)
        if walked is None:
            walked = walk_module(
                module,
                self.name,
                is_package(path),
                context.imported_kinds,
                context.made_kinds,
                context.inherited_kinds,
            )
        self.structure: ModuleStructure = walked.structure
        self.symbols = walked.symbols
        self._walker = walked.walker
        self.regions: Regions = walked.regions
        self._line_refs: list[cst.CSTNode] = []
        self._parents: dict[cst.CSTNode, cst.CSTNode] | None = None
        self._log_aliases: dict[cst.CSTNode, frozenset[str]] = {}
        self._log_attributes: dict[cst.CSTNode, tuple[frozenset[str], frozenset[str]]] = {}

    # -- symbols -----------------------------------------------------------------
    def symbol(self, key: SymbolKey | None) -> SymbolInfo | None:
        return self.symbols.symbols.get(key) if key is not None else None

    def evidence(self, key: SymbolKey | None) -> str:
        """``" ('sl.l' is taken for a lock: 'f' acquires and releases it)"`` for a symbol
        known only by its use, to end a message with; ``""`` for every other symbol."""
        info = self.symbol(key)
        return f" ({info.evidence})" if info is not None and info.evidence else ""

    def kind(self, key: SymbolKey | None) -> Kind | None:
        info = self.symbol(key)
        return info.kind if info is not None else None

    def resolve_function(self, expr: cst.BaseExpression, func: FunctionInfo) -> FunctionInfo | None:
        """The module's own function or method that ``expr`` names, seen from ``func``."""
        return self._walker.resolve_function(expr, func)

    @cached_property
    def called(self) -> frozenset[str]:
        """The imported names the module's calls resolve to (``threading.enumerate``) and
        the method names they call (``task_done``): a rule that needs one of them asks
        here before it walks every function."""
        names: set[str] = set()
        for call in self.regions.calls:
            if call.qualified is not None:
                names.add(call.qualified)
            if isinstance(call.call.func, cst.Attribute):
                names.add(call.call.func.attr.value)
        return frozenset(names)

    @cached_property
    def thread_starts(self) -> list[ThreadStart]:
        """Every call that hands a callable to a thread or a worker pool."""
        return thread_starts(
            self.regions, self.symbols.symbols, self.symbols.kind_of, self.symbols.key_of
        )

    @cached_property
    def per_thread_params(self) -> PerThread:
        """Parameters that hold a value of the thread running the function (what a
        thread started in a loop was handed, followed into the calls it makes)."""
        return per_thread_params(self)

    @cached_property
    def reach(self) -> ThreadReach:
        """Which functions run on threads (and why)."""
        external = []
        through = []
        for entry in self.context.entries:
            func = self.structure.function_named(entry.function)
            if func is not None and entry.through:
                thread = f"{entry.verb} at {entry.origin}"  # one thread, however it arrives
                through.append(
                    Entry(
                        func,
                        None,
                        entry.verb,
                        entry.many,
                        entry.origin,
                        through=entry.through,
                        thread=thread,
                        holders=frozenset({entry.holder}),
                    )
                )
            elif func is not None:
                external.append((func, entry.verb, entry.origin, entry.many, entry.thread))
        # functions the configuration lists as shared: several threads run them at once
        shared = listed(self.extra_evidence, "shared")
        for func in self.structure.functions:
            top_level = not func.is_module and func.cls is None
            if top_level and is_listed(shared, self.name, func.qualname):
                external.append((func, LISTED_VERB, "[tool.tsafe-lint]", True, ""))
        wrappers = []
        if expects_threads(self.symbols, len(self.thread_starts)):
            for wrapper, decorator in decorator_wrappers(self.structure):
                verb = WRAPPER_VERB.format(decorator.name)
                wrappers.append(Entry(wrapper, decorator.node, verb, True))
        # methods a fan-out's threads call on the one object they all share
        one_object = [
            Entry(call.method, call.start.call, call.verb(verb_of(call.start)), True)
            for call in self.shared_calls
            if call.method is not None
        ]
        return compute_reach(
            self.structure,
            self.regions,
            self.thread_starts,
            self.resolve_function,
            external,
            through + wrappers + one_object,
            self.inline_without_thread,
        )

    @cached_property
    def inline_without_thread(self) -> InlineWithoutThread:
        """Calls made only while an object has no thread of its own, and the state such a
        path never shares with that thread."""
        return InlineWithoutThread(self.structure, self.thread_starts)

    @cached_property
    def shared_calls(self) -> list[SharedCall]:
        """Method calls a fan-out's threads make on the one object every thread is
        handed (``pool.submit(self._test_port, device, port)`` in a loop); only with the
        opt-in ``shared-argument`` evidence (docs/evidence.md: below 80% on retired sets)."""
        return shared_calls(self) if "shared-argument" in self.extra_evidence else []

    @cached_property
    def sharing(self) -> Sharing:
        """Whether a write of shared state can race with another thread."""
        return Sharing(
            self.structure,
            self.symbols,
            self.regions,
            self.reach,
            self.setup_functions,
            self.starts_later,
            self.under_construction,
            partial(self.inline_without_thread.exclusive, reach=self.reach),
        )

    @cached_property
    def thread_evidence(self) -> Evidence:
        """Which classes are shared by contract or by their own lock, and the two sides of
        classes that start their own threads."""
        return Evidence(
            self.structure,
            self.symbols,
            self.regions,
            self.reach,
            self.setup_functions,
            self.thread_starts,
            self.callees,
            docstrings="docstring" in self.extra_evidence,
            options=self.extra_evidence,
            module=self.name,
        )

    @cached_property
    def thread_keyed(self) -> ThreadKeyed:
        """Containers keyed by the current thread's identity: several threads use them."""
        return ThreadKeyed(self)

    @cached_property
    def conflicts(self) -> Conflicts:
        """Which other access of a piece of state can run at the same time, and why."""
        return Conflicts(self, lock_owned="lock-owned" in self.extra_evidence)

    @cached_property
    def finalizers(self) -> list[Finalizer]:
        """``__del__`` methods and the functions registered as gc, weakref or signal
        callbacks: code that may run in the middle of any code of a thread."""
        return find_finalizers(self.structure, self.regions, self.resolve_function)

    @cached_property
    def lock_wrapper_methods(self) -> set[FunctionInfo]:
        """Methods of the module's classes whose ``__enter__`` or ``acquire`` takes a lock."""
        return wrapper_methods(self.structure, self.locks)

    @cached_property
    def finalizer_code(self) -> dict[FunctionInfo, tuple[Finalizer, list[FunctionInfo]]]:
        """Every function a finalizer runs: the finalizer and the call path from it."""
        if not self.finalizers:
            return {}
        return finalizer_code(
            self.finalizers, self.regions, self.lock_wrapper_methods, self.parent_of
        )

    @cached_property
    def lock_sites(self) -> list[LockSite]:
        """Where the module's code takes each lock, through its lock wrappers too."""
        return lock_sites(self.regions, self.locks, self.lock_wrapper_methods, self.symbols.key_of)

    @cached_property
    def locks(self) -> LockFacts:
        """Acquisitions, lock identities and what each function takes transitively."""
        return LockFacts(self.symbols, self.regions)

    def held_at(self, func: FunctionInfo, state: State) -> Held:
        """Locks held at a point once the state is shared: those taken in ``func`` plus
        those held whenever it starts (calls from set-up code aside)."""
        return state.held | self.entry_held_shared.get(func, EMPTY)

    @cached_property
    def first_thread_start(self) -> dict[FunctionInfo, int]:
        """For each function that starts threads, the walk order of its first start
        (writes before it happen before any thread it starts can see them)."""
        starting = {start.call for start in self.thread_starts}
        starting |= {
            call.call
            for call in self.regions.method_calls
            if call.kind is Kind.THREAD and call.method == "start"
        }
        first: dict[FunctionInfo, int] = {}
        for any_call in self.regions.calls:
            callee = any_call.call.func
            chained_start = (
                isinstance(callee, cst.Attribute)
                and callee.attr.value == "start"
                and isinstance(callee.value, cst.Call)
                and callee.value in starting
            )
            if any_call.call in starting or chained_start:
                known = first.get(any_call.func)
                if known is None or any_call.order < known:
                    first[any_call.func] = any_call.order
        return first

    @cached_property
    def call_orders(self) -> dict[int, int]:
        """The walk order of each call (by ``id`` of its node) in its function."""
        return {id(any_call.call): any_call.order for any_call in self.regions.calls}

    @cached_property
    def constructor_helpers(self) -> frozenset[FunctionInfo]:
        """Private helpers ``__init__`` calls on ``self`` before handing it out
        (``fresh_object.py``); not those another thread or a callback runs."""
        roots = {entry.root for entries in self.reach.entries.values() for entry in entries}
        rebuilt = {func.cls for func in self.reinitialisers if func.cls is not None}
        return constructor_helpers(
            self.structure,
            self.symbols,
            self.regions.call_sites,
            roots | self.regions.referenced,
            rebuilt,
        )

    def under_construction(self, key: SymbolKey, func: FunctionInfo) -> bool:
        """Is ``key`` an attribute of the object ``func`` is still building, which no
        other thread can reach yet?"""
        return under_construction(key, func, self.constructor_helpers, self.structure)

    @cached_property
    def single_start_orders(self) -> dict[cst.CSTNode, tuple[FunctionInfo, int]]:
        """For each thread start made once per call of its function (not in a loop), that
        function and the walk order of the start: what the function does before that
        order, in the same call, happens before the thread exists."""
        orders = self.call_orders
        found: dict[cst.CSTNode, tuple[FunctionInfo, int]] = {}
        for start in self.thread_starts:
            order = orders.get(id(start.call))
            if order is not None and not start.repeated:
                found[start.call] = (start.func, order)
        return found

    def starts_later(self, func: FunctionInfo, order: int, other: FunctionInfo) -> bool:
        """Is ``func``, at ``order``, before the start of every thread that runs the
        private function ``other``, all started once by ``func`` itself? Then, in this
        call, that thread does not exist yet (``connect()`` tests ``self._device``, then
        starts the worker whose code sets it to None: bearpaw-daemon's USB transport,
        eightieth set, judged false). A worker left running by an earlier call is not
        considered, as for the writes made before a start."""
        if is_public(other):
            return False
        entries = self.reach.entries.get(other)
        if not entries:
            return False
        starts = self.single_start_orders
        for entry in entries:
            where = starts.get(entry.node) if entry.node is not None else None
            if where is None or where[0] is not func or where[1] < order:
                return False
        return True

    @cached_property
    def before_thread_starts(self) -> frozenset[FunctionInfo]:
        """Helpers that run only before their caller starts its threads: every call of
        them is explicit and comes, in a function that starts threads, before its first
        start (``connect()`` calls ``self._init()``, then starts the reader). What they
        write happens before any thread started there can see it, like the writes before
        the start in the caller itself. So do the helpers that only such helpers call
        (``connect()`` calls ``self._connect_pipeline()`` before the start, which calls
        ``self._build_pipeline()``: syncfield's camera, seventy-seventh set: judged
        false). Not a helper a thread runs, nor one handed around as a value."""
        first = self.first_thread_start
        if not first:
            return frozenset()
        orders = self.call_orders
        sites: dict[FunctionInfo, list[tuple[FunctionInfo, bool, bool]]] = {}
        for site in self.regions.call_sites:
            start = first.get(site.func)
            order = orders.get(id(site.call))
            early = not site.implicit and start is not None and order is not None and order < start
            sites.setdefault(site.callee, []).append((site.func, early, site.implicit))
        candidates = {
            func: callers
            for func, callers in sites.items()
            if func not in self.regions.referenced and not self.reach.entries.get(func)
        }
        found: set[FunctionInfo] = set()
        grew = True
        while grew:
            grew = False
            for func, callers in candidates.items():
                if func not in found and all(
                    early or (not implicit and caller in found and caller is not func)
                    for caller, early, implicit in callers
                ):
                    found.add(func)
                    grew = True
        return frozenset(found)

    def thread_reason(self, func: FunctionInfo) -> str:
        """Why ``func`` runs on a thread, for messages: ``'book_seat' runs on ...``."""
        entries = self.reach.entries.get(func)
        if not entries:
            return ""
        entry = entries[0]
        if entry.node is not None:
            where = f"{self.path}:{self.line_of(entry.node)}"
        else:
            where = entry.origin
        threads = "several threads" if self.reach.many(func) else "a thread"
        path = self.reach.path(func)
        via = ""
        if len(path) > 1:
            chain = self.reach.chain(path)
            through = f" through '{chain}'" if chain else ""
            callers = " -> ".join(f"'{step.name}'" for step in path[:-1])
            via = f" (called from {callers}{through})"
        if entry.through:
            via += f" (reached through {entry.through})"
        return f"'{func.name}' runs on {threads}{via} ({entry.verb} at {where})"

    # -- interprocedural ---------------------------------------------------------
    @cached_property
    def callees(self) -> dict[FunctionInfo, list[FunctionInfo]]:
        """The module's call graph: the module functions each function calls."""
        found: dict[FunctionInfo, list[FunctionInfo]] = {}
        for site in self.regions.call_sites:
            found.setdefault(site.func, []).append(site.callee)
        return found

    def call_chain(self, root: FunctionInfo, func: FunctionInfo) -> list[FunctionInfo]:
        """A shortest chain of calls from ``root`` down to ``func`` (both included), or
        ``[]`` when ``root`` does not reach it: what a message shows so that a reader can
        check how a thread gets to ``func``."""
        came_from: dict[FunctionInfo, FunctionInfo | None] = {root: None}
        queue = deque([root])
        while queue:
            current = queue.popleft()
            if current is func:
                chain: list[FunctionInfo] = []
                step: FunctionInfo | None = current
                while step is not None:
                    chain.append(step)
                    step = came_from[step]
                return chain[::-1]
            for callee in self.callees.get(current, ()):
                if callee not in came_from:
                    came_from[callee] = current
                    queue.append(callee)
        return []

    def reached_from(self, roots: Iterable[FunctionInfo]) -> set[FunctionInfo]:
        """``roots`` and every module function they call, directly or not."""
        return reached_from(self.callees, roots)

    @cached_property
    def setup_functions(self) -> frozenset[FunctionInfo]:
        """Set-up code: module top level, ``__init__`` & co, registration decorators, and
        helpers called only by them."""
        setup = {func for func in self.structure.functions if is_setup_name(func)}
        setup |= self.reinitialisers
        setup |= registration_decorators(self.structure, self.thread_starts)
        callers: dict[FunctionInfo, set[FunctionInfo]] = {}
        for site in self.regions.call_sites:
            caller = site.func
            if self._on_fresh_object(site.call, caller):
                # ``chan = Channel(); chan._setup(...)``: nobody else has it yet
                caller = self.structure.module_scope
            callers.setdefault(site.callee, set()).add(caller)
        # a method a fan-out's threads call on their shared object runs on those threads,
        # whatever else calls it (``sender.request()`` on a fresh sender, then handed out)
        threaded = {call.method for call in self.shared_calls}
        changed = True
        while changed:
            changed = False
            for func, func_callers in callers.items():
                if func in setup or func in self.regions.referenced or func in threaded:
                    continue
                if func_callers <= setup:
                    setup.add(func)
                    changed = True
        return frozenset(setup)

    @cached_property
    def reinitialisers(self) -> set[FunctionInfo]:
        """Methods that run ``self.__init__(...)`` again (paho-mqtt's ``reinitialise``):
        they rebuild the object, as ``__init__`` does, so no other thread may use it
        meanwhile; what they write is set-up."""
        found: set[FunctionInfo] = set()
        for site in self.regions.call_sites:
            call = site.call
            if (
                site.callee.name == "__init__"
                and site.func.name != "__init__"
                and site.func.cls is not None
                and isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and isinstance(call.func.value, cst.Name)
                and call.func.value.value == "self"
            ):
                found.add(site.func)
        return found

    def _on_fresh_object(self, call: cst.CSTNode, caller: FunctionInfo) -> bool:
        """Is ``call`` a method call on an object the caller has just constructed?"""
        if not isinstance(call, cst.Call):
            return False
        callee = call.func
        if not isinstance(callee, cst.Attribute) or not isinstance(callee.value, cst.Name):
            return False
        info = self.symbol(self.symbols.key_of(callee.value, caller))
        return (
            info is not None
            and info.key[0] == "local"
            and info.fresh
            and info.instance_of is not None
        )

    @cached_property
    def entry_held(self) -> dict[FunctionInfo, Held]:
        """Locks held whenever a function starts: those held at every call site in the module.

        A function that is referenced without being called (a callback, a thread target),
        called implicitly (``__enter__``) or never called here starts with nothing held;
        but for one only handed to the module's functions that call it
        (``callbacks.py``) or lent by a context manager to its ``with`` blocks
        (``lent.py``): those calls are its call sites.
        """
        return self._entry_held(frozenset())

    @cached_property
    def decorator_held(self) -> dict[FunctionInfo, Held]:
        """The lock each method's locking decorator holds around it (``@_atomic``)."""
        return decorator_held(self.structure, self.symbols, self._walker.entered_lock)

    @cached_property
    def callback_sites(self) -> dict[FunctionInfo, list[tuple[FunctionInfo, Held]]]:
        """Functions only handed to the module's functions that call them, with where
        they are called (``callbacks.py``)."""
        return callback_sites(self)

    @cached_property
    def lent_sites(self) -> dict[FunctionInfo, list[tuple[FunctionInfo, Held]]]:
        """Functions a context manager yields while holding a lock, with where its
        ``with`` blocks call them (``lent.py``)."""
        return lent_sites(self)

    @cached_property
    def entry_held_shared(self) -> dict[FunctionInfo, Held]:
        """Like ``entry_held``, ignoring calls from set-up code: a helper that ``__init__``
        calls bare and every other caller calls under a lock is locked once shared. Set-up
        code a thread runs too (a ``_reinitialize_model()`` the worker calls with the
        model lock held: vocalinux, sixty-seventh set) is a caller like any other."""
        threaded = self.reach.entries
        return self._entry_held(
            frozenset(func for func in self.setup_functions if func not in threaded)
        )

    def _entry_held(self, ignored_callers: frozenset[FunctionInfo]) -> dict[FunctionInfo, Held]:
        sites: dict[FunctionInfo, list[tuple[FunctionInfo, Held]]] = {}
        for site in self.regions.call_sites:
            if site.func not in ignored_callers:
                sites.setdefault(site.callee, []).append((site.func, site.state.held))
        handed = {**self.callback_sites}
        for func, through in self.lent_sites.items():
            handed[func] = handed.get(func, []) + through
        for func, through in handed.items():
            sites.setdefault(func, []).extend(through)
        result: dict[FunctionInfo, Held | None] = {}
        fixed: set[FunctionInfo] = set()
        decorated = self.decorator_held
        for func in self.structure.functions:
            open_entry = (
                func not in sites
                or (func in self.regions.referenced and func not in handed)
                or func.name in _IMPLICIT_ENTRY
                or func.is_module
            )
            # None: not yet known (top). A locking decorator's lock is held on every call,
            # whoever calls (the locks its callers hold as well are not looked for).
            result[func] = decorated.get(func, EMPTY) if open_entry or func in decorated else None
            if result[func] is not None:
                fixed.add(func)
        self._shrink(sites, result, fixed)
        # Functions reached only through a cycle that no known caller enters (public
        # methods calling each other) are still unknown. Grow them from "nothing held"
        # instead: the least fixed point, which never claims a lock that is not held.
        unknown = [func for func, held in result.items() if held is None]
        for func in unknown:
            result[func] = EMPTY
        changed = True
        while changed:
            changed = False
            for func in unknown:
                meet: Held | None = None
                for caller, held in sites.get(func, ()):
                    at_site = held | (result.get(caller) or EMPTY)
                    meet = at_site if meet is None else meet & at_site
                if meet is not None and meet != result[func]:
                    result[func] = meet
                    changed = True
        return {func: (held if held is not None else EMPTY) for func, held in result.items()}

    @staticmethod
    def _shrink(
        sites: dict[FunctionInfo, list[tuple[FunctionInfo, Held]]],
        result: dict[FunctionInfo, Held | None],
        fixed: set[FunctionInfo],
    ) -> None:
        """A must-analysis: start from "everything" (None) and shrink to a fixed point."""
        changed = True
        while changed:
            changed = False
            for func, func_sites in sites.items():
                if func in fixed:
                    continue
                meet: Held | None = None
                for caller, held in func_sites:
                    caller_entry = result.get(caller, EMPTY)
                    if caller_entry is None:
                        continue  # unknown yet: contributes "everything"
                    at_site = held | caller_entry
                    meet = at_site if meet is None else meet & at_site
                if meet is not None and meet != result[func]:
                    result[func] = meet
                    changed = True

    def is_log_alias(self, name: str, func: FunctionInfo) -> bool:
        """Does ``name``, read in ``func``, stand for a logger's method (``debug =
        log.debug``, in the function, an enclosing one or the module)?"""
        scope = func.binding_function(name)
        node = scope.node if scope is not None else self.module
        known = self._log_aliases.get(node)
        if known is None:
            known = self._log_aliases[node] = log_aliases(node)
        return name in known

    def is_log_attribute(self, expr: cst.BaseExpression, func: FunctionInfo) -> bool:
        """Does ``expr``, read in ``func``, stand for a logger's method kept on the object:
        ``self._debug``, every store of which in the class is ``logger.debug`` or a
        do-nothing lambda, or, named after a logger's method, neither stored nor defined
        in the module's class (a base class of another module sets it up)?"""
        name = own_attribute(expr, "self")
        cls = func.cls
        if name is None or func.self_name != "self" or cls is None:
            return False
        known = self._log_attributes.get(cls.node)
        if known is None:
            known = self._log_attributes[cls.node] = log_attributes(cls.node)
        good, stored = known
        if name in good:
            return True
        return (
            name.lstrip("_") in LOG_METHODS
            and name not in stored
            and self.structure.method(cls, name) is None
        )

    def within(
        self, node: cst.CSTNode, func: FunctionInfo, kinds: tuple[type[cst.CSTNode], ...]
    ) -> bool:
        """Is ``node``, or a node around it in ``func``'s own code, one of ``kinds`` (a
        loop, a ``try``)?"""
        current: cst.CSTNode | None = node
        while current is not None and current is not func.node:
            if isinstance(current, kinds):
                return True
            current = self.parent_of(current)
        return False

    def parent_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The node containing ``node`` (built on first use: only fixes need it)."""
        if self._parents is None:
            self._parents = {}
            for parent in walk(self.module):
                for child in children(parent):
                    self._parents[child] = parent
        found = self._parents.get(node)
        if found is None and isinstance(node, cst.SimpleStatementLine) and node.body:
            # the line ``block()`` makes of a one-line suite (``if x: lock.acquire()``)
            # is not in the tree: it stands for that suite, in the suite's place
            suite = self._parents.get(node.body[0])
            if isinstance(suite, cst.SimpleStatementSuite) and len(suite.body) == len(node.body):
                return suite
        return found

    # -- positions ---------------------------------------------------------------
    def line_of(self, node: cst.CSTNode) -> str:
        """A placeholder for ``node``'s line in a message, filled in by ``resolve``.

        Positions cost a code generation of the module, so they are computed once, at
        the end, for the reported nodes and the lines messages mention together.
        """
        self._line_refs.append(node)
        return f"{_REF}{len(self._line_refs) - 1}{_REF}"

    def spans(self, nodes: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, Span]:
        """Positions of ``nodes`` and of every node a message referred to."""
        return positions(self.module, [*nodes, *self._line_refs])

    def fill_lines(self, message: str, spans: dict[cst.CSTNode, Span]) -> str:
        """Replace the ``line_of`` placeholders in ``message`` by line numbers."""
        if _REF not in message:
            return message
        parts = message.split(_REF)
        for i in range(1, len(parts), 2):
            span = spans.get(self._line_refs[int(parts[i])])
            parts[i] = str(span.line) if span is not None else "?"
        return "".join(parts)
