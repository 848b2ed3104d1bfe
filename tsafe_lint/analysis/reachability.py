"""Which functions run on threads, and why.

Entry points are the targets handed to threads and thread pools (``thread_starts``) and
the ``run()`` of ``threading.Thread`` subclasses; targets may be names, bound methods,
lambdas whose body calls functions, ``functools.partial(f, ...)`` or nested functions.
Everything the module's call graph reaches from an entry runs on that thread too.
Process pools are not thread entry points: their targets run in other processes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial

import libcst as cst

from tsafe_lint.analysis.entry_points import (
    HANDLER_VERB,
    ROUTE_VERB,
    WSGI_VERB,
    request_handlers,
    runs_on_main_thread,
    verbs,
    web_entry_points,
)
from tsafe_lint.analysis.events import CallSite, Regions
from tsafe_lint.analysis.inline_without_thread import InlineWithoutThread
from tsafe_lint.analysis.names import is_fork_hook
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure, final_name
from tsafe_lint.analysis.set_up_first import SetUpFirst
from tsafe_lint.analysis.symbols import argument
from tsafe_lint.analysis.threads import ThreadStart, family_handle, fresh_receiver, stored_handle
from tsafe_lint.analysis.tree import NOT_RUN, FastVisitor, children, walk
from tsafe_lint.project_context import awaited_in_turn

Resolver = Callable[[cst.BaseExpression, FunctionInfo], "FunctionInfo | None"]

#: How a message says a Qt worker object's slot runs on its QThread (``qt_workers.py``).
QTHREAD_VERB = "started by a QThread"

#: How a message says a thread was started by the code itself, one start per thread.
_STARTED = (
    "started as a Thread target",
    "started by a Timer",
    "the run() of Thread subclass",
    "run by start_new_thread",
    QTHREAD_VERB,
)
#: How it says a server's request entry point runs.
_PER_REQUEST = (HANDLER_VERB, ROUTE_VERB, WSGI_VERB)

_VERBS = {
    "submit": "submitted to a thread pool",
    "map": "mapped over a thread pool",
    "Thread": "started as a Thread target",
    "Timer": "started by a Timer",
    "QThread": QTHREAD_VERB,
    **verbs(),  # callbacks run on other code's threads (``entry_points.py``)
}


@dataclass(frozen=True)
class Entry:
    """One way a function comes to run on a thread."""

    root: FunctionInfo
    node: cst.CSTNode | None  # the call that starts the thread, or the Thread subclass
    verb: str  # "submitted to a thread pool", ...
    many: bool  # several threads run it at once
    origin: str = ""  # "pkg/main.py:12" when the thread starts in another module
    #: each run has an object of the class of its own (a request handler): that object's
    #: attributes are not shared, its class's and the module's state are
    per_request: bool = False
    #: how the thread came from another module through another object's attribute:
    #: "'self._protocol' in 'Conn.send' at pkg/conn.py:793" (``attribute_classes.py``)
    through: str = ""
    #: the thread, when entries of several functions are one thread (a thread of
    #: another module arriving at several of this module's functions): "" for its own
    thread: str = ""
    #: the attributes through which the thread reaches the object whose state is
    #: looked at (``Zeroconf.cache``), when it is another object: empty for its own
    holders: frozenset[str] = frozenset()
    #: the run() of a Thread subclass: a Thread starts once, so each of its threads runs
    #: on an instance of its own, and several of them never share that object's attributes
    own_instance: bool = False
    #: a thread started once into an attribute of ``self`` (``self._thread =
    #: Thread(target=self._loop)``), named by that attribute (``family_handle``): as
    #: seen by that object's own attributes, one thread at a time, even when sibling
    #: classes start the same target into it
    per_object: str = ""
    #: on this path the object's own thread of that name (a ``per_object``) does not
    #: exist: the path enters a call made only while its handle is unset
    #: (``inline_without_thread.py``)
    absent: str = ""
    #: the ``id`` of the entry this one is a view of, whose thread it runs on; 0 for
    #: itself
    alias: int = 0


def view_of(entry: Entry, **changes: object) -> Entry:
    """``entry`` with ``changes``, on the same thread as far as ``thread_of`` tells."""
    return replace(entry, alias=entry.alias or id(entry), **changes)  # type: ignore[arg-type]


def lone_or_per_request(entry: Entry) -> bool:
    """Is ``entry`` one thread the code starts itself (a ``Thread`` target, a ``Thread``
    subclass's ``run()``, a ``Timer``, started once), or a server's request entry point,
    rather than a pool's task, a decorator's wrapper, a callback, or one target started
    several times? Shared-state findings reached only this way were almost never judged
    true on unseen code (the ``started-threads`` evidence kind, docs/evidence.md): what
    one thread shares with the rest is usually ordered by a protocol the analysis cannot
    see, and what request handlers share is mostly per-request or harmless to race on."""
    if entry.verb.startswith(_PER_REQUEST):
        return True
    return not entry.many and entry.verb.startswith(_STARTED)


def _response_object(view: FunctionInfo) -> bool:
    """The WSGI ``__call__`` of a response class (``class Response:``, werkzeug's and
    WebOb's shape): a handler builds one per request and the server calls it once, so
    its attributes are that request's own; its class's and the module's state are not."""
    return (
        view.name == "__call__" and view.cls is not None and view.cls.qualname.endswith("Response")
    )


#: The identity of the threads coroutines start and join at once: the event loop's thread
#: waits for each, so they run one at a time (``ThreadStart.loop_blocked``).
LOOP_BLOCKED = "a thread the event loop waits for"


def thread_of(entry: Entry) -> object:
    """What tells two entries' threads apart."""
    return entry.thread or entry.alias or id(entry)


def other_thread(
    theirs: list[Entry],
    mine: list[Entry],
    any_pair: bool = False,
    apart: Callable[[Entry, Entry], bool] | None = None,
) -> bool:
    """Does one of ``theirs`` run on a thread none of ``mine`` runs on, on the same
    object as far as the analysis can tell? Two threads that reach objects of one class
    through different attributes (``Hub.stats``, ``Worker.stats``) may hold two objects:
    not evidence. With ``any_pair``, a writer's thread that also runs the reader's code
    counts against the reader's other threads (a thread that reads and writes still races
    with another thread that reads). ``apart``: two entries that never run on the object
    whose state is looked at (``InlineWithoutThread.exclusive``)."""
    threads = {thread_of(entry) for entry in mine}
    for entry in theirs:
        others = [o for o in mine if thread_of(o) != thread_of(entry)] if any_pair else mine
        if apart is not None:
            others = [o for o in others if not apart(o, entry)]
        if not others or (not any_pair and thread_of(entry) in threads):
            continue
        if not entry.holders or any(
            not other.holders or other.holders & entry.holders for other in others
        ):
            return True
    return False


@dataclass
class ThreadReach:
    """Functions that run on threads, with the entries that reach each and a call path."""

    entries: dict[FunctionInfo, list[Entry]] = field(default_factory=dict)
    caller: dict[FunctionInfo, FunctionInfo] = field(default_factory=dict)
    #: the receiver of each call the path follows into another object (``self.zc.cache``)
    via: dict[tuple[FunctionInfo, FunctionInfo], str] = field(default_factory=dict)
    #: per entry (by id), the classes whose methods it reaches on another object, each
    #: with the attributes that hold that object
    entered: dict[int, dict[str, set[str]]] = field(default_factory=dict)
    #: the attributes whose container's elements a path calls into (``self.readers[s]``):
    #: one attribute, many objects
    elements: set[str] = field(default_factory=set)
    #: per view without an object's own thread (its entry's id, the thread), the classes
    #: whose methods it reaches past the gate on another object, with the attributes
    view_entered: dict[tuple[int, str], dict[str, set[str]]] = field(default_factory=dict)
    _one_thread: dict[tuple[int, frozenset[str], bool], Entry] = field(default_factory=dict)

    def own_entered(self, entry: Entry) -> dict[str, set[str]]:
        """The classes ``entry`` (or the entry it is a view of) reaches on another object,
        with the attributes that hold it; for a view without an object's own thread, only
        past the gate."""
        if entry.absent:
            return self.view_entered.get((entry.alias, entry.absent), {})
        return self.entered.get(entry.alias or id(entry), {})

    def reached_through(
        self,
        entry: Entry,
        family: set[str],
        one_object: Callable[[str], bool] | None = None,
        class_level: Callable[[str], bool] | None = None,
    ) -> Entry | None:
        """``entry`` as seen by the state of another object of a class in ``family`` that
        it reaches through an attribute, with the attributes it comes through, or None
        when it does not reach such an object. One thread (the object may be its own, so
        that several threads of the entry are not evidence), unless every attribute it
        comes through holds one object for the object its threads all run on:
        ``one_object(holder)``, the attribute's (``Model.bucket``, set once in
        ``__init__``) of the class whose bound method several threads run
        (``pool.submit(self._chat)``)."""
        entered = self.entered.get(id(entry), {})
        holders = frozenset(h for cls in family for h in entered.get(cls, ()))
        if not holders:
            return None
        many = (
            entry.many
            and one_object is not None
            and (
                not (entry.own_instance or entry.per_object or entry.per_request)
                # a request handler's class attribute: one object for every request
                or (
                    entry.per_request and class_level is not None and all(map(class_level, holders))
                )
            )
            and all(h not in self.elements and one_object(h) for h in holders)
        )
        seen = self._one_thread.get((id(entry), holders, many))
        if seen is None:
            seen = view_of(entry, many=many, holders=holders)
            self._one_thread[(id(entry), holders, many)] = seen
        return seen

    def chain(self, path: list[FunctionInfo]) -> str:
        """The first receiver along ``path`` that is another object: ``'self.zc.cache'``."""
        for caller, callee in zip(path, path[1:]):
            text = self.via.get((caller, callee))
            if text is not None:
                return text
        return ""

    def runs_on_thread(self, func: FunctionInfo) -> bool:
        return func in self.entries

    def many(self, func: FunctionInfo) -> bool:
        """Do several threads run ``func`` at once?"""
        return any(entry.many for entry in self.entries.get(func, ()))

    def path(self, func: FunctionInfo) -> list[FunctionInfo]:
        """From the entry function down to ``func`` (``[book_seat, _reserve]``)."""
        chain = [func]
        seen = {func}
        while chain[-1] in self.caller and self.caller[chain[-1]] not in seen:
            chain.append(self.caller[chain[-1]])
            seen.add(chain[-1])
        return list(reversed(chain))


def verb_of(start: ThreadStart) -> str:
    """How a message says the thread starts: ``submitted to a thread pool``."""
    verb = _VERBS.get(start.how, f"run by {start.how}")
    if start.per_call and not start.repeated:
        verb += f" at each call of '{start.func.qualname}'"
    return verb


def target_functions(
    target: cst.BaseExpression | None,
    scope: FunctionInfo,
    resolve: Resolver,
    structure: ModuleStructure,
) -> Iterator[tuple[FunctionInfo, bool]]:
    """The module functions a thread target will call, each with "picked by a loop
    variable" (``for fn in (a, b): Thread(target=fn)`` runs each of a, b once)."""
    if target is None:
        return
    if isinstance(target, (cst.Name, cst.Attribute)):
        found = resolve(target, scope)
        if found is not None:
            yield found, False
        elif isinstance(target, cst.Name):
            for value in _loop_values(target.value, scope):
                for func, _ in target_functions(value, scope, resolve, structure):
                    yield func, True
    elif isinstance(target, cst.Lambda):
        for call in _calls(target.body):
            found = resolve(call.func, scope)
            if found is not None:
                yield found, False
    elif isinstance(target, cst.Call):
        qualified = structure.qualified_name(target.func, scope)
        if qualified == "functools.partial":
            yield from target_functions(argument(target, 0, "func"), scope, resolve, structure)


#: calls that run the coroutine they are given to its end, on the calling thread
RUNS_COROUTINE = frozenset({"run", "run_until_complete"})


def makes_coroutine(site: CallSite, parent_of: Callable[[cst.CSTNode], cst.CSTNode | None]) -> bool:
    """Does the call only create a coroutine (an ``async def`` called and not awaited,
    nor run at once by ``asyncio.run(...)`` or ``loop.run_until_complete(...)``)? Its
    body runs later, on whichever thread runs the event loop (pylutron's ``send()``
    hands ``self._send_coro(cmd)`` to ``asyncio.run_coroutine_threadsafe`` while it
    holds the lock the coroutine takes; nebius' finalizer hands ``cleanup()`` to its
    runtime's loop)."""
    if site.implicit or not isinstance(site.call, cst.Call):
        return False
    return call_makes_coroutine(site.call, site.callee, parent_of)


def call_makes_coroutine(
    call: cst.Call, callee: FunctionInfo, parent_of: Callable[[cst.CSTNode], cst.CSTNode | None]
) -> bool:
    """``makes_coroutine`` for a call of the module's ``callee`` made anywhere."""
    if not callee.is_async:
        return False
    parent = parent_of(call)
    if isinstance(parent, cst.Await):
        return False
    if isinstance(parent, cst.Arg):
        outer = parent_of(parent)
        if isinstance(outer, cst.Call) and final_name(outer.func) in RUNS_COROUTINE:
            return False
    return True


def _runs_now(func: FunctionInfo, call: cst.CSTNode, cache: dict[FunctionInfo, set[int]]) -> bool:
    """Does plain ``func`` run the coroutine that ``call`` of an ``async def`` makes
    (``asyncio.run(self._main())``, ``loop.run_until_complete(...)``)? Otherwise the call
    only makes it, for another thread's event loop to run (``asyncio.run_coroutine_
    threadsafe(self._run(), loop)`` in a Timer's callback: meeting-helper's topic worker,
    sixty-seventh set, two TS103 judged false)."""
    ran = cache.get(func)
    if ran is None:
        ran = {
            id(arg.value)
            for node in walk(func.node, NOT_RUN)
            if isinstance(node, cst.Call) and final_name(node.func) in RUNS_COROUTINE
            for arg in node.args
        }
        cache[func] = ran
    return id(call) in ran


def passed_for(
    func: FunctionInfo, param: str, regions: Regions
) -> list[tuple[cst.BaseExpression | None, FunctionInfo]]:
    """What each call of the module's function ``func`` passes for its parameter
    ``param``, with the calling function: ``None`` where it passes nothing for it or the
    call is one Python makes implicitly (``self[k]``, a property read)."""
    position = func.params.index(param) - (1 if func.self_name is not None else 0)
    return [
        (
            argument(site.call, position, param)
            if not site.implicit and isinstance(site.call, cst.Call)
            else None,
            site.func,
        )
        for site in regions.call_sites
        if site.callee is func
    ]


class _LoopFinder(FastVisitor):
    """``for fn in (a, b)`` / ``[... for fn in targets]`` with ``targets = [a, b]``."""

    def __init__(self, name: str, root: cst.CSTNode) -> None:
        self.name = name
        self.root = root
        self.iterables: list[cst.BaseExpression] = []
        self.literals: dict[str, cst.BaseExpression] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root  # nested functions have their own variables

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Name) and node.target.value == self.name:
            self.iterables.append(node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if isinstance(node.target, cst.Name) and node.target.value == self.name:
            self.iterables.append(node.iter)

    def visit_Assign(self, node: cst.Assign) -> None:
        target = node.targets[0].target if len(node.targets) == 1 else None
        if isinstance(target, cst.Name) and isinstance(node.value, (cst.List, cst.Tuple, cst.Set)):
            self.literals[target.value] = node.value


def _loop_values(name: str, scope: FunctionInfo) -> Iterator[cst.BaseExpression]:
    """The elements a loop variable ``name`` of ``scope`` takes, when they are literal."""
    finder = _LoopFinder(name, scope.node)
    finder.run(scope.node)
    for iterable in finder.iterables:
        if isinstance(iterable, cst.Name):
            iterable = finder.literals.get(iterable.value, iterable)
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
            for element in iterable.elements:
                yield element.value


def _calls(node: cst.CSTNode) -> Iterator[cst.Call]:
    if isinstance(node, cst.Call):
        yield node
    for child in children(node):
        if not isinstance(child, cst.Lambda):
            yield from _calls(child)


#: classes whose subclasses' ``run()`` runs on the thread ``start()`` makes
THREAD_CLASSES = (
    "threading.Thread",
    *(f"{qt}.QtCore.QThread" for qt in ("PyQt5", "PyQt6", "PySide2", "PySide6", "qtpy")),
)


def thread_subclass_entries(
    structure: ModuleStructure, regions: Regions
) -> Iterator[tuple[ClassInfo, FunctionInfo, bool]]:
    """``(class, run method, many)`` for each ``threading.Thread`` subclass with ``run()``,
    and each Qt ``QThread`` subclass: ``start()`` runs its ``run()`` on a new thread alike."""
    instantiations: dict[ClassInfo, list[tuple[bool, str | None]]] = {}
    for any_call in regions.calls:
        if isinstance(any_call.call.func, cst.Name):
            cls = structure.class_named(any_call.call.func.value, any_call.func)
            if cls is not None:
                handle = stored_handle(any_call.place.statement, any_call.call, any_call.func)
                instantiations.setdefault(cls, []).append((any_call.repeated, handle))
    for cls in structure.classes.values():
        run = cls.methods.get("run")
        if run is None or not any(structure.is_subclass_of(cls, base) for base in THREAD_CLASSES):
            continue
        made = instantiations.get(cls, [])
        # every one stored into the same attribute (``self.install_thread =
        # Installer(...)`` in two methods): one thread at a time, as for the starts of
        # one target into one handle
        handles = {handle for _, handle in made}
        one_handle = len(handles) == 1 and None not in handles
        yield cls, run, any(repeated for repeated, _ in made) or (len(made) > 1 and not one_handle)


def compute_reach(
    structure: ModuleStructure,
    regions: Regions,
    starts: list[ThreadStart],
    resolve: Resolver,
    external: list[tuple[FunctionInfo, str, str, bool, str]] = (),  # type: ignore[assignment]
    more_roots: list[Entry] = (),  # type: ignore[assignment]
    inline: InlineWithoutThread | None = None,
) -> ThreadReach:
    """Breadth-first over the call graph from every thread entry point (including those
    other modules start: ``(function, verb, origin, many, thread)``, ``thread`` "" for
    a thread of its own); ``inline``: the calls made only while an object has no thread
    of its own."""
    roots: list[Entry] = [
        Entry(func, None, verb, many, origin, thread=thread)
        for func, verb, origin, many, thread in external
    ]
    set_up = SetUpFirst(structure, resolve)
    #: the function and the call that start each of this module's thread entries
    started_by: dict[int, tuple[FunctionInfo, cst.CSTNode]] = {}
    # the threads that run each target: a start of its own each, but every task of a
    # one-worker pool runs on that pool's one thread
    per_target: dict[FunctionInfo, set[object]] = {}
    # the same, as seen by one object's own attributes (``family_handle``)
    per_object: dict[FunctionInfo, set[object]] = {}
    found: list[tuple[FunctionInfo, ThreadStart, bool]] = []
    for start in starts:
        if start.in_process:
            continue
        for func, by_loop in target_functions(start.target, start.func, resolve, structure):
            found.append((func, start, by_loop))
            if not is_fork_hook(start.func):  # restarts the worker in a forked child only
                # a start the event loop waits for is one at a time with every other
                # such start, of any target, whatever flag it also stands behind (a
                # start of the target elsewhere behind the same flag is then another
                # thread: one more finding, none fewer)
                blocked = LOOP_BLOCKED if start.loop_blocked else None
                thread = (
                    blocked
                    or start.worker
                    or start.sequence
                    or start.handle
                    or start.guard
                    or id(start.call)
                )
                per_target.setdefault(func, set()).add(thread)
                handle = family_handle(start.handle, structure) or start.guard or id(start.call)
                per_object.setdefault(func, set()).add(
                    blocked or start.worker or start.sequence or handle
                )
    for func, start, by_loop in found:
        verb = verb_of(start)
        many = (start.many and not by_loop) or len(per_target.get(func, ())) > 1
        thread = f"the one worker of {'.'.join(start.worker)}" if start.worker else ""
        if not thread and start.sequence:
            thread = awaited_in_turn(start.sequence)
        if not thread and start.loop_blocked:
            thread = LOOP_BLOCKED
        if not thread and start.handle and len(per_target.get(func, ())) == 1:
            thread = f"the thread in {start.handle} running {func.qualname}"
        own = fresh_receiver(start, structure)
        one_per_object = ""
        if (
            start.handle
            and not (start.many and not by_loop)
            and not start.worker
            and len(per_object.get(func, ())) == 1
        ):
            one_per_object = f"the thread in {family_handle(start.handle, structure)}"
        entry = Entry(
            func, start.call, verb, many, thread=thread, own_instance=own, per_object=one_per_object
        )
        started_by[id(entry)] = (start.func, start.call)
        roots.append(entry)
    for cls, run, many in thread_subclass_entries(structure, regions):
        verb = f"the run() of Thread subclass '{cls.qualname}'"
        roots.append(Entry(run, cls.node, verb, many, own_instance=True))
    for method, server in request_handlers(structure, regions):
        roots.append(Entry(method, server, HANDLER_VERB, True, per_request=True))
    for view, where, verb in web_entry_points(structure):
        roots.append(Entry(view, where, verb, True, per_request=_response_object(view)))
    roots += more_roots

    # handed to the GUI's main thread whoever calls them: not the calling thread's code
    main_thread = {func for func in structure.functions if runs_on_main_thread(func)}
    callees: dict[FunctionInfo, list[tuple[FunctionInfo, str | None, str | None, cst.CSTNode]]] = {}
    for site in regions.call_sites:
        callees.setdefault(site.func, []).append(
            (site.callee, site.through, site.holder, site.call)
        )
    reach = ThreadReach()
    run_now: dict[FunctionInfo, set[int]] = {}
    gated = inline.calls if inline is not None else {}
    for entry in roots:
        # what the entry reaches on every path; then, as a view of it that the object's
        # own thread never meets, what it reaches only through a call made while that
        # thread does not exist
        visited = {entry.root}
        waiting: dict[str, list[_Edge]] = {}
        walk_calls = partial(
            _walk_calls,
            gated,
            callees,
            main_thread,
            regions,
            run_now,
            set_up,
            started_by.get(id(entry)),
            reach,
        )
        walk_calls(entry, deque([entry.root]), visited, waiting)
        for absent, edges in waiting.items():
            without = view_of(entry, absent=absent)
            queue: deque[FunctionInfo] = deque()
            seen = set(visited)
            for edge in edges:
                _take(reach, without, edge, seen, queue)
            walk_calls(without, queue, seen, {})
            # the objects it entered past the gate, then also those the entry entered on
            # its way there
            after = reach.entered.setdefault(id(without), {})
            reach.view_entered[(id(entry), absent)] = {
                name: set(holders) for name, holders in after.items()
            }
            for name, holders in reach.entered.get(id(entry), {}).items():
                after.setdefault(name, set()).update(holders)
    return reach


#: a call the walk follows: the caller, the callee, the receiver it goes through when it
#: is another object (``self.zc.cache``), and the attribute that holds that object
_Edge = tuple[FunctionInfo, FunctionInfo, "str | None", "str | None"]


def _walk_calls(
    gated: dict[int, str],
    callees: dict[FunctionInfo, list[tuple[FunctionInfo, str | None, str | None, cst.CSTNode]]],
    main_thread: set[FunctionInfo],
    regions: Regions,
    run_now: dict[FunctionInfo, set[int]],
    set_up: SetUpFirst,
    starter: tuple[FunctionInfo, cst.CSTNode] | None,
    reach: ThreadReach,
    entry: Entry,
    queue: deque[FunctionInfo],
    visited: set[FunctionInfo],
    waiting: dict[str, list[_Edge]],
) -> None:
    """Breadth-first from ``queue`` for ``entry``. A call made only while the object has
    no thread of its own (``gated``) waits in ``waiting``, under that thread's name,
    unless ``entry`` is that thread or already a view without one."""
    while queue:
        func = queue.popleft()
        reach.entries.setdefault(func, []).append(entry)
        for callee, through, holder, call in callees.get(func, ()):
            if callee in main_thread or id(call) in regions.interrupt_only:
                continue  # the GUI's main thread runs it, or only the main thread gets there
            if callee.is_async and not func.is_async and not _runs_now(func, call, run_now):
                continue  # only makes a coroutine: the event loop's thread runs it
            if starter is not None and (
                set_up.skips(call, *starter) or set_up.primed(callee, *starter)
            ):
                continue  # ``if not G: init()``, made by the starter before the start
            absent = gated.get(id(call))
            if absent is not None and not entry.absent and entry.per_object != absent:
                waiting.setdefault(absent, []).append((func, callee, through, holder))
                continue
            _take(reach, entry, (func, callee, through, holder), visited, queue)


def _take(
    reach: ThreadReach,
    entry: Entry,
    edge: _Edge,
    visited: set[FunctionInfo],
    queue: deque[FunctionInfo],
) -> None:
    """Follow ``edge`` for ``entry``: the object it enters, the call path, the callee
    queued once."""
    func, callee, through, holder = edge
    if holder is not None and callee.cls is not None:
        entered = reach.entered.setdefault(id(entry), {})
        entered.setdefault(callee.cls.qualname, set()).add(holder)
        if through is not None and through.endswith("[...]"):
            reach.elements.add(holder)
    if callee not in visited:
        visited.add(callee)
        if callee not in reach.caller:
            reach.caller[callee] = func
            if through is not None:
                reach.via[(func, callee)] = through
        queue.append(callee)
