"""Which code runs on which thread, beyond the thread starts that reach it.

Library classes are mostly called by their users' threads; the module rarely shows a
``Thread(...)`` that reaches them. The evidence that a piece of state is touched by two
threads at once, each kind named in the messages and in the rule docs:

- **own thread**: the class starts a thread on its own methods (``Thread(target=
  self._run)``, a ``Thread`` subclass's ``run()``, a pool task). What that thread reaches
  is its side; the public methods and what they reach are the callers' side (those of
  the object the thread runs on, without the public methods that run the thread's own
  code: ``alternatives``). State touched on both sides races; state touched on one side
  only is confined to it.
- **contract**: the class's docstring says it is thread-safe, or a ``# tsafe: shared``
  marker says so; its public methods may run on several threads at once.
- **lock owned**: the class builds a lock of its own (on ``self`` or the class); its
  state written under a lock somewhere and in a compound operation outside it races.

``# tsafe: single-thread`` (or ``confined``) on a class or function says the opposite and
silences every kind of evidence for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from tsafe_lint.analysis.decorators import (
    decorator_objects,
    expects_threads,
    methods_run_on_self,
)
from tsafe_lint.analysis.entry_points import locked_by_base
from tsafe_lint.analysis.events import Access, CallSite, Held, Regions
from tsafe_lint.analysis.kinds import MUTEXES, Kind
from tsafe_lint.analysis.qt_workers import connected_names, is_slot
from tsafe_lint.analysis.reachability import QTHREAD_VERB, Entry, ThreadReach
from tsafe_lint.analysis.scopes import (
    ClassInfo,
    FunctionInfo,
    ModuleStructure,
    block,
    reached_from,
)
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable
from tsafe_lint.analysis.threads import ThreadStart
from tsafe_lint.analysis.tree import NOT_RUN, walk

#: Evidence kinds that are off by default: each measured below 80% precision on the
#: tuning corpus (docs/evidence.md); ``extend-evidence`` in ``[tool.tsafe-lint]`` turns
#: them on. A visible thread start and the ``# tsafe: shared`` marker are always on.
OPT_IN_EVIDENCE = (
    "own-thread",  # the class starts a thread on its own methods: its side vs. callers'
    "process-wide",  # a module global or class attribute written under a lock elsewhere
    "check-outside-lock",  # a test outside the lock that the act takes, not re-checked
    "lock-owned",  # the class owns a lock and writes the state under it somewhere
    "docstring",  # the docstring says "thread-safe"
    # shared state reached only by threads started one at a time or per request
    # (``reachability.started_one_by_one``): on for every rule but TS101-TS103
    "started-threads",
    # one object handed to every task of a fan-out: its methods run on those threads
    "shared-argument",
)

_SAYS_THREAD_SAFE = re.compile(r"(?<!not )(?<!n't )\bthread[- ]?safe\b", re.IGNORECASE)
_NOT_THREAD_SAFE = re.compile(
    r"\b(?:not|isn't|is not|never)\s+(?:\w+\s+){0,2}thread[- ]?safe"
    r"|\bnon[- ]?thread[- ]?safe|\bthread[- ]?unsafe",
    re.IGNORECASE,
)
_MARKER = re.compile(r"#\s*tsafe:\s*([a-z-]+)")
_EMPHASIS = re.compile(r"[*`]+")
#: calls Python allows on the main thread only (``ValueError`` on any other)
_MAIN_THREAD_ONLY = frozenset({"signal.signal", "signal.set_wakeup_fd"})
SHARED_MARKERS = frozenset({"shared", "thread-safe"})
CONFINED_MARKERS = frozenset({"single-thread", "confined", "not-shared"})

#: Dunder methods users call (through syntax) on a shared object.
_PUBLIC_DUNDERS = frozenset(
    {
        "__call__",
        "__enter__",
        "__exit__",
        "__getattr__",
        "__getitem__",
        "__setitem__",
        "__delitem__",
        "__contains__",
        "__iter__",
        "__next__",
        "__len__",
    }
)


def is_public(func: FunctionInfo) -> bool:
    """A method the class's users call: no leading underscore, or a dunder they reach
    through syntax (``with obj:``, ``obj[k]``, ``obj()``)."""
    return not func.name.startswith("_") or func.name in _PUBLIC_DUNDERS


def _docstring(body: cst.BaseSuite | list[cst.BaseStatement]) -> str:
    statements = block(body) if isinstance(body, cst.BaseSuite) else body
    if not statements:
        return ""
    first = statements[0]
    if isinstance(first, cst.SimpleStatementLine) and isinstance(first.body[0], cst.Expr):
        value = first.body[0].value
        if isinstance(value, cst.SimpleString):
            return value.value
        if isinstance(value, cst.ConcatenatedString):
            return "".join(
                part.value
                for part in (value.left, value.right)
                if isinstance(part, cst.SimpleString)
            )
    return ""


def says_thread_safe(text: str) -> bool:
    """Does a docstring claim thread safety (and not deny it)? Markdown and reST
    emphasis is read as plain words: "**not** thread-safe" denies it."""
    text = _EMPHASIS.sub("", text)
    return bool(_SAYS_THREAD_SAFE.search(text)) and not _NOT_THREAD_SAFE.search(text)


def markers_of(node: cst.ClassDef | cst.FunctionDef) -> set[str]:
    """``# tsafe: shared`` / ``# tsafe: single-thread`` on the line of the definition,
    or on a comment line right above it."""
    found: set[str] = set()
    comments: list[str] = [line.comment.value for line in node.leading_lines if line.comment]
    header = getattr(node.body, "header", None)
    if header is not None and header.comment is not None:
        comments.append(header.comment.value)
    for comment in comments:
        found.update(match.group(1) for match in _MARKER.finditer(comment))
    return found


#: how a message says a function listed in ``shared`` runs
LISTED_VERB = "listed in 'shared'"


def listed(options: frozenset[str], key: str) -> frozenset[str]:
    """The names the configuration lists under ``key`` (``shared`` or ``single-thread``),
    from the analysis options (``Config.analysis_options``: ``shared=pkg.mod.Cache``)."""
    prefix = key + "="
    return frozenset(option[len(prefix) :] for option in options if option.startswith(prefix))


def is_listed(names: frozenset[str], module: str, qualname: str) -> bool:
    """Does a configuration list name this definition: ``module.qualname`` in full, or
    its ``qualname`` alone (any module)?"""
    return qualname in names or f"{module}.{qualname}" in names


@dataclass(frozen=True)
class Side:
    """Where a function runs: on a thread the class starts (``entry``), or for users."""

    entry: Entry | None  # None: the callers' side


class Evidence:
    """Per module: which classes are shared, and the two sides of classes that start
    their own threads."""

    def __init__(
        self,
        structure: ModuleStructure,
        symbols: SymbolTable,
        regions: Regions,
        reach: ThreadReach,
        setup: frozenset[FunctionInfo],
        starts: list[ThreadStart],
        callees: dict[FunctionInfo, list[FunctionInfo]],
        docstrings: bool = False,
        options: frozenset[str] = frozenset(),
        module: str = "",
    ) -> None:
        self.structure = structure
        self.symbols = symbols
        self.regions = regions
        self.reach = reach
        self.setup = setup
        #: a docstring saying "thread-safe" as evidence: off by default, measured below
        #: 80% on the tuning corpus (docstrings that say "**not** thread-safe", or that
        #: ask implementations to be; docs/evidence.md)
        self.docstrings = docstrings
        #: the configuration's lists (``shared``, ``single-thread`` in [tool.tsafe-lint])
        self.module = module
        self._starts = starts
        self.listed_shared = listed(options, "shared")
        self.listed_confined = listed(options, "single-thread")
        self.confined: set[str] = set()
        self.confined_functions: set[FunctionInfo] = set()
        self.contract: dict[str, str] = {}  # class qualname -> why its methods are shared
        #: methods whose own docstring says they are thread-safe (``push() ... Thread-safe.``):
        #: several threads may run each at once (``contract_covering``); with the docstring
        #: evidence only: on the retired sets 1 true, 6 false, 2 debatable of 9 findings
        self.method_contract: dict[FunctionInfo, str] = {}
        self.decorating: frozenset[str] = frozenset()
        self.lock_owned: dict[str, SymbolKey] = {}  # class qualname -> its lock
        self._callees = callees  # the module's call graph (``ModuleAnalysis.callees``)
        self._reach_cache: dict[FunctionInfo, frozenset[FunctionInfo]] = {}
        self._read_contracts()
        self._read_locks()
        self._users: dict[tuple[str, bool], frozenset[FunctionInfo]] = {}
        self._alternatives: dict[str, frozenset[FunctionInfo]] = {}
        self._wrapped: dict[str, frozenset[FunctionInfo]] = {}
        self._order = {id(call.call): call.order for call in regions.calls}
        #: the order of each thread ``join()`` in each function
        self._joins: dict[FunctionInfo, list[int]] = {}
        for call in regions.method_calls:
            if call.kind is Kind.THREAD and call.method in ("join", "_wait_for_tstate_lock"):
                order = self._order.get(id(call.call))
                if order is not None:
                    self._joins.setdefault(call.func, []).append(order)
        # For after_join, a call of the module's own function that joins is a join too
        # (``terminate()`` calling ``_stop_handler()``, which joins), through any helpers.
        # Not for a starter staying with its thread: ``open()`` calling ``close()`` in an
        # ``except`` after the start joins only when the start failed.
        self._joined: dict[FunctionInfo, list[int]] = {
            func: list(orders) for func, orders in self._joins.items()
        }
        changed = True
        while changed:
            changed = False
            for site in regions.call_sites:
                order = self._order.get(id(site.call))
                if site.callee not in self._joined or order is None:
                    continue
                known = self._joined.setdefault(site.func, [])
                if order not in known:
                    known.append(order)
                    changed = True
        self._bounded: dict[cst.CSTNode, tuple[FunctionInfo, int, float]] = {
            start.call: bound for start in starts if (bound := self._bound_of(start)) is not None
        }
        self._starter_sides: dict[cst.CSTNode, frozenset[FunctionInfo]] = {}

    # -- collection ----------------------------------------------------------------
    def _read_contracts(self) -> None:
        module = self.structure.module_scope.node
        assert isinstance(module, cst.Module)
        module_safe = says_thread_safe(_docstring(list(module.body)))
        module_name = self.module
        decorating: set[str] = set()
        if expects_threads(self.symbols, len(self._starts)):
            decorating = {cls.qualname for cls in decorator_objects(self.structure)}
        #: decorator objects whose contract says they are shared (their wrapper's calls)
        self.decorating = frozenset(decorating)
        for cls in self.structure.classes.values():
            marks = markers_of(cls.node)
            if marks & CONFINED_MARKERS or is_listed(
                self.listed_confined, module_name, cls.qualname
            ):
                self.confined.add(cls.qualname)
            elif marks & SHARED_MARKERS:
                self.contract[cls.qualname] = f"'{cls.qualname}' is marked '# tsafe: shared'"
            elif is_listed(self.listed_shared, module_name, cls.qualname):
                self.contract[cls.qualname] = (
                    f"'{cls.qualname}' is listed in 'shared' of [tool.tsafe-lint]"
                )
            elif cls.qualname in decorating:
                self.contract[cls.qualname] = (
                    f"'{cls.qualname}' is a decorator: the wrapper its '__call__' returns "
                    "runs on every thread that calls the decorated function"
                )
            elif self.docstrings and says_thread_safe(_docstring(cls.node.body)):
                self.contract[cls.qualname] = (
                    f"the docstring of '{cls.qualname}' says it is thread-safe"
                )
            elif self.docstrings and module_safe:
                self.contract[cls.qualname] = "the module docstring says it is thread-safe"
        for func in self.structure.functions:
            if func.is_module:
                continue
            node = func.node
            if (
                self.docstrings
                and func.cls is not None
                and isinstance(node, cst.FunctionDef)
                and says_thread_safe(_docstring(node.body))
            ):
                self.method_contract[func] = (
                    f"the docstring of '{func.qualname}' says it is thread-safe"
                )
            if markers_of(func.node) & CONFINED_MARKERS or is_listed(  # type: ignore[arg-type]
                self.listed_confined, module_name, func.qualname
            ):
                self.confined_functions.add(func)

    def _read_locks(self) -> None:
        for key, info in self.symbols.symbols.items():
            if key[0] != "attr" or info.kind not in MUTEXES or not info.fresh:
                continue
            cls = self.structure.classes.get(key[1])
            if cls is not None and cls.qualname not in self.lock_owned:
                self.lock_owned[cls.qualname] = key

    def _bound_of(self, start: ThreadStart) -> tuple[FunctionInfo, int, float] | None:
        """(starter, start order, end order) when the function that starts the thread
        stays until the thread is over: it joins it, loops on its liveness, or enters an
        endless interaction loop. Then the thread runs alongside that function's own
        work between the start and the end only, not alongside every caller."""
        begin = self._order.get(id(start.call))
        if begin is None:
            return None
        joins = [order for order in self._joins.get(start.func, ()) if order > begin]
        if joins:
            return start.func, begin, float(min(joins))
        for loop in self.regions.while_loops:
            if loop.func is start.func and loop.order > begin and _waits_for_thread(loop.node):
                return start.func, begin, float("inf")
        return None

    # -- questions -----------------------------------------------------------------
    def after_join(self, func: FunctionInfo, order: int | None) -> bool:
        """Does the access at ``order`` in ``func`` come after ``func`` joined a thread
        (the class's own thread is over: a lone worker's result read after ``join()``)?"""
        return order is not None and any(join < order for join in self._joined.get(func, ()))

    def stays_with(self, entry: Entry) -> bool:
        """Does the function that starts ``entry``'s thread stay until it is over?"""
        return entry.node is not None and entry.node in self._bounded

    def opposite(self, entry: Entry, func: FunctionInfo, owner: str) -> bool:
        """Does ``func`` run alongside the class's own thread ``entry``: on the callers'
        side, or (for a thread its starter stays with) in the starter's own work?

        The callers' side is that of the object the thread runs on: a sibling subclass's
        methods (``GeventScheduler.teardown`` for the thread ``ThreadScheduler`` starts
        on the base class's ``run``) never run on that object."""
        if entry.node is not None and entry.node in self._bounded:
            return func in self._starter_side(entry.node)
        return func in self.users_side(self._object_class(entry, owner), alongside=True)

    @cached_property
    def _start_classes(self) -> dict[cst.CSTNode, ClassInfo]:
        """The class of the method that makes each thread start (``Thread(...)``)."""
        return {start.call: start.func.cls for start in self._starts if start.func.cls}

    def _object_class(self, entry: Entry, owner: str) -> str:
        """The class of the object the thread ``entry`` runs on, as far as the module
        shows it: the class whose method starts it (``Thread(target=self.run)`` in
        ``ThreadScheduler.ensure_running`` runs on a ``ThreadScheduler``), when that class
        and the state's ``owner`` are one line of inheritance; else ``owner``."""
        starter = self._start_classes.get(entry.node) if entry.node is not None else None
        cls = self.structure.classes.get(owner)
        if starter is None or cls is None or starter.qualname not in self.family(cls):
            return owner
        if cls.qualname in {base.qualname for base in self.structure.class_bases(starter)}:
            return starter.qualname  # the starter is the owner or a subclass: narrower
        return owner

    def alternatives(self, owner: str) -> frozenset[FunctionInfo]:
        """Public methods of ``owner``'s family that run the same code as the class's own
        thread: users call them *instead of* starting the thread, never alongside it
        (paho-mqtt: ``loop_start()``'s thread runs ``loop_forever()``, which repeats
        ``_loop()`` and ``reconnect()``; a user calls ``loop_forever()``, ``loop()`` or
        ``reconnect()`` to do that work without the thread).

        The thread's main functions are its target and the functions the target calls
        outside a loop that loop themselves (``_thread_main`` -> ``loop_forever``); its
        steps are what a main function calls inside a loop. The alternatives are the
        public main functions (the target aside: it is the thread's by
        ``users_side``), the public steps, and the public methods that call the target
        or a private step that nothing but the main functions and public methods call
        (``loop()`` calling ``_loop()``; not ``_easy_log()``, which every helper calls),
        and the public methods such a step calls (its parts: ``_loop()`` runs
        ``loop_read()``, ``loop_write()`` and ``loop_misc()``, which users of an external
        event loop call instead).
        """
        known = self._alternatives.get(owner)
        if known is not None:
            return known
        cls = self.structure.classes.get(owner)
        found: set[FunctionInfo] = set()
        if cls is not None:
            family = self.family(cls)
            for entry in self._own_entries(family):
                found |= self._runs_same_code(entry.root, family)
        result = frozenset(found)
        self._alternatives[owner] = result
        return result

    def _own_entries(self, family: set[str]) -> list[Entry]:
        return [
            entry
            for entries in self.reach.entries.values()
            for entry in entries
            if entry.root.cls is not None
            and entry.root.cls.qualname in family
            and not entry.per_request
        ]

    def _runs_same_code(self, target: FunctionInfo, family: set[str]) -> set[FunctionInfo]:
        def ours(func: FunctionInfo) -> bool:
            return func.cls is not None and func.cls.qualname in family

        looping = {loop.func for loop in self.regions.while_loops}
        main = {target}
        stack = [target]
        while stack:
            func = stack.pop()
            for site in self._sites_from.get(func, ()):
                callee = site.callee
                if callee in main or site.state.looping or not ours(callee):
                    continue
                if callee in looping:
                    main.add(callee)
                    stack.append(callee)
        steps = {
            site.callee
            for func in main
            for site in self._sites_from.get(func, ())
            if site.state.looping and ours(site.callee) and site.callee not in main
        }
        found = {func for func in (main - {target}) | steps if is_public(func)}
        dedicated = {target} | {
            step
            for step in steps
            if not is_public(step)
            and all(
                caller in main or (is_public(caller) and ours(caller))
                for caller in self._callers_of.get(step, ())
            )
        }
        for func in dedicated:
            found |= {
                caller
                for caller in self._callers_of.get(func, ())
                if is_public(caller) and ours(caller) and caller not in main
            }
            if func is not target:  # a step's public parts: ``_loop()`` runs ``loop_read()``
                found |= {
                    site.callee
                    for site in self._sites_from.get(func, ())
                    if is_public(site.callee) and ours(site.callee)
                }
        return found

    @cached_property
    def _sites_from(self) -> dict[FunctionInfo, list[CallSite]]:
        found: dict[FunctionInfo, list[CallSite]] = {}
        for site in self.regions.call_sites:
            found.setdefault(site.func, []).append(site)
        return found

    @cached_property
    def _callers_of(self) -> dict[FunctionInfo, set[FunctionInfo]]:
        found: dict[FunctionInfo, set[FunctionInfo]] = {}
        for site in self.regions.call_sites:
            found.setdefault(site.callee, set()).add(site.func)
        return found

    def _starter_side(self, node: cst.CSTNode) -> frozenset[FunctionInfo]:
        known = self._starter_sides.get(node)
        if known is not None:
            return known
        starter, begin, end = self._bounded[node]
        found: set[FunctionInfo] = {starter}
        stack = [
            site.callee
            for site in self.regions.call_sites
            if site.func is starter and begin < self._order.get(id(site.call), begin + 1) < end
        ]
        self._reach_from(stack, found)
        result = frozenset(found)
        self._starter_sides[node] = result
        return result

    def _reach_from(
        self,
        stack: list[FunctionInfo],
        found: set[FunctionInfo],
        stop: frozenset[FunctionInfo] = frozenset(),
    ) -> None:
        """Add to ``found`` the functions of ``stack`` and what they call, set-up (and
        ``stop``) aside."""
        while stack:
            func = stack.pop()
            if func in found or func in self.setup or func in stop:
                continue
            found.add(func)
            stack.extend(self._callees.get(func, ()))

    @cached_property
    def _base_locked(self) -> dict[FunctionInfo, str]:
        """Methods a library base class calls under a lock of its own (``emit`` of a
        ``logging.Handler``), and helpers only they call: function -> class."""
        found: dict[FunctionInfo, str] = {}
        for cls in self.structure.classes.values():
            for name in locked_by_base(self.structure, cls):
                method = cls.methods.get(name)
                if method is not None:
                    found[method] = cls.qualname
        callers: dict[FunctionInfo, set[FunctionInfo]] = {}
        for site in self.regions.call_sites:
            callers.setdefault(site.callee, set()).add(site.func)
        changed = True
        while changed:
            changed = False
            for func, func_callers in callers.items():
                if func in found or func in self.regions.referenced:
                    continue
                owners = {found.get(caller, "") for caller in func_callers}
                owner = owners.pop() if len(owners) == 1 else ""
                if owner:
                    found[func] = owner
                    changed = True
        return found

    def serialised(self, func: FunctionInfo, other: FunctionInfo) -> bool:
        """Do ``func`` and ``other`` both run under the lock a library base class takes
        around them (``logging.Handler.handle`` holds the handler's lock for ``emit``)?"""
        mine = self._base_locked.get(func)
        return mine is not None and mine == self._base_locked.get(other)

    @cached_property
    def _main_thread_only(self) -> frozenset[FunctionInfo]:
        """Functions that call ``signal.signal()`` (or ``signal.set_wakeup_fd()``):
        Python raises ``ValueError`` when another thread than the main one calls them,
        so these functions run on the main thread."""
        return frozenset(
            call.func
            for call in self.regions.calls
            if call.qualified in _MAIN_THREAD_ONLY and not call.func.is_module
        )

    def on_main_thread(self, func: FunctionInfo, other: FunctionInfo) -> bool:
        """Do ``func`` and ``other`` both run on the main thread only? Then they never
        run at the same time."""
        return func in self._main_thread_only and other in self._main_thread_only

    def is_confined(self, func: FunctionInfo) -> bool:
        current: FunctionInfo | None = func
        while current is not None:
            if current in self.confined_functions:
                return True
            if current.cls is not None and current.cls.qualname in self.confined:
                return True
            current = current.parent
        return False

    def family(self, cls: ClassInfo) -> set[str]:
        """``cls``, its in-module bases and subclasses: one object's methods."""
        return self.structure.class_family(cls)

    def contract_covering(
        self, family: set[str], first: FunctionInfo, second: FunctionInfo
    ) -> str | None:
        """Why two calls of one method of ``family`` whose own docstring says it is
        thread-safe may run ``first`` and ``second`` at once: the method reaches both
        (soliloquy-tts's ``push()``, "Thread-safe.", which tests and sets ``_started``:
        a miss of the seventy-first set). None when no such method reaches both."""
        for method, why in self.method_contract.items():
            if method.cls is None or method.cls.qualname not in family:
                continue
            reached = self._reached_from(method)
            if first in reached and second in reached:
                return why
        return None

    def _reached_from(self, root: FunctionInfo) -> frozenset[FunctionInfo]:
        known = self._reach_cache.get(root)
        if known is None:
            known = self._reach_cache[root] = frozenset(reached_from(self._callees, [root]))
        return known

    def users_side(self, owner: str, alongside: bool = False) -> frozenset[FunctionInfo]:
        """Functions the public methods of ``owner``'s family reach (the callers' side).

        ``alongside``: only what users run while the class's own thread runs: the
        ``alternatives`` to the thread, and what users reach only through them, aside."""
        known = self._users.get((owner, alongside))
        if known is not None:
            return known
        stop = self.alternatives(owner) if alongside else frozenset()
        cls = self.structure.classes.get(owner)
        found: set[FunctionInfo] = set()
        if cls is not None:
            family = self.family(cls)
            targets = {
                entry.root
                for entries in self.reach.entries.values()
                for entry in entries
                if entry.root.cls is not None
                and entry.root.cls.qualname in family
                and not entry.per_request
            }
            # a Qt worker object moved to its QThread: its slots run on that thread,
            # queued by the signals that call them, not alongside its own code
            worker = any(
                entry.verb.startswith(QTHREAD_VERB)
                for entries in self.reach.entries.values()
                for entry in entries
                if entry.root.cls is not None and entry.root.cls.qualname in family
            )
            module = self.structure.module_scope.node
            assert isinstance(module, cst.Module)
            connected = connected_names(module) if worker else None
            called_from_outside = {
                site.callee
                for site in self.regions.call_sites
                if site.func.cls is None or site.func.cls.qualname not in family
            }
            stack = [
                func
                for func in self.structure.functions
                if func.cls is not None
                and func.cls.qualname in family
                and is_public(func)
                and func not in self.setup
                and func not in targets  # ``run`` of a Thread subclass: the thread's side
                and (connected is None or not is_slot(func, connected))
                # a private class (``_Manager``) has no users outside the module: its
                # public methods are the callers' side only when the module calls them
                and (
                    not _is_private(func.cls.qualname.rpartition(".")[2])
                    or func.name.startswith("__")
                    or func in called_from_outside
                )
            ]
            # closures a public method returns (``__getattr__`` building a method) run
            # for users too; one it hands to a queue or a loop (``self._req_queue.put(
            # do_connect)``) runs wherever that is consumed, not on the caller's thread
            methods = set(stack)
            stack += [
                f
                for f in self.structure.functions
                if f.parent in methods and _returned_by(f, f.parent)
            ]
            self._reach_from(stack, found, stop)
        result = frozenset(found)
        self._users[(owner, alongside)] = result
        return result

    def wrapper_side(self, owner: str) -> frozenset[FunctionInfo]:
        """Functions a decorator object's wrapper runs on the shared object (``with
        self:`` runs ``__enter__`` and ``__exit__``), and what they reach: the only code
        its contract says runs on every calling thread. Its other public methods are
        called by whoever holds the object, as for any class."""
        known = self._wrapped.get(owner)
        if known is not None:
            return known
        cls = self.structure.classes.get(owner)
        found: set[FunctionInfo] = set()
        if cls is not None and owner in self.decorating:
            names = methods_run_on_self(self.structure, cls)
            self._reach_from([m for n in names if (m := self.structure.method(cls, n))], found)
        result = frozenset(found)
        self._wrapped[owner] = result
        return result

    def own_thread(self, func: FunctionInfo, owner: str) -> Entry | None:
        """The thread ``owner``'s family starts on itself that runs ``func``, if any.

        A thread its starting function stays with (``t.start(); ...; t.join()``) runs
        alongside that function's work only (``opposite``).
        """
        cls = self.structure.classes.get(owner)
        if cls is None:
            return None
        family = self.family(cls)
        for entry in self.reach.entries.get(func, ()):
            if entry.per_request:
                continue  # a server's thread, one handler object each: not its own thread
            if entry.node is None:
                continue  # started in another module: not a thread the class starts
            if entry.root.cls is not None and entry.root.cls.qualname in family:
                return entry
        return None

    def owner_of(self, key: SymbolKey) -> str | None:
        return key[1] if key[0] == "attr" and len(key) == 3 else None

    def writers(self, key: SymbolKey) -> list[Access]:
        return [
            access
            for access in self.regions.writes
            if access.key == key
            and access.func not in self.setup
            and not self.is_confined(access.func)
        ]


def _returned_by(closure: FunctionInfo, parent: FunctionInfo) -> bool:
    """Does ``parent`` return ``closure`` (``return method``, ``return wraps(f)(inner)``)?"""
    for node in walk(parent.node, NOT_RUN):
        if (
            isinstance(node, cst.Return)
            and node.value is not None
            and any(
                isinstance(inner, cst.Name) and inner.value == closure.name
                for inner in walk(node.value)
            )
        ):
            return True
    return False


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _waits_for_thread(loop: cst.While) -> bool:
    """``while True:`` / ``while 1:`` (an interaction loop the starter stays in) or a
    loop on a thread's liveness (``while t.is_alive():``)."""
    test = loop.test
    if isinstance(test, cst.Name) and test.value == "True":
        return True
    if isinstance(test, cst.Integer) and test.value != "0":
        return True
    if isinstance(test, cst.UnaryOperation):
        return False
    return any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("is_alive", "isAlive")
        for node in walk(test)
    )


def _mutexes(held: Held, symbols: SymbolTable) -> Held:
    return frozenset(
        key
        for key in held
        if key[0] == "unknown"
        or (symbols.symbols.get(key) is not None and symbols.symbols[key].kind in MUTEXES)
    )
