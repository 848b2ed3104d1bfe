"""Rules about shared state touched without a lock: TS101, TS102, TS103, TS104."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from tsafe_lint.analysis import (
    MUTEXES,
    Access,
    CheckThenAct,
    FunctionInfo,
    ModuleAnalysis,
    State,
    SymbolKey,
    WriteKind,
    conjuncts,
    contains,
    display_name,
    final_name,
    guards,
    methods_run_on_self,
    reads_in,
    walk,
)
from tsafe_lint.analysis.accesses import every_write_in_functions, shared_key
from tsafe_lint.analysis.conflicts import stored_constant
from tsafe_lint.analysis.events import CheckThenUse
from tsafe_lint.analysis.fresh_object import constructing
from tsafe_lint.analysis.handle_clears import cleared_as_stopped, stopped_loop
from tsafe_lint.analysis.in_place import extends_in_place
from tsafe_lint.analysis.lazy_strings import only_lazy_strings
from tsafe_lint.analysis.none_stores import may_store_none
from tsafe_lint.analysis.own_classes import (
    alternatives,
    module_level_values,
    own_class_annotation,
    own_class_instance,
)
from tsafe_lint.analysis.per_thread_args import per_thread_entry, per_thread_slots
from tsafe_lint.analysis.reachability import lone_or_per_request
from tsafe_lint.analysis.regions import in_try_catching
from tsafe_lint.analysis.scopes import block as statements_of
from tsafe_lint.analysis.scopes import parameter_annotation
from tsafe_lint.analysis.symbols import argument
from tsafe_lint.analysis.thread_keyed import membership_test
from tsafe_lint.analysis.tree import CONSTANT_NAMES, NOT_RUN, assignment_targets, names_bound_by
from tsafe_lint.rules.base import Finding, Rule
from tsafe_lint.rules.cap_eviction import evicts_over_cap

_KIND_OF_STATE = {"global": "global", "attr": "attribute", "local": "closure variable"}

FAMILY = "shared_state"


def describe(key: SymbolKey) -> str:
    """``global 'seats'`` / ``attribute 'Account.balance'`` / ``closure variable 'hits'``."""
    return f"{_KIND_OF_STATE.get(key[0], 'variable')} '{display_name(key)}'"


def _mutexes(analysis: ModuleAnalysis, held: frozenset[SymbolKey]) -> frozenset[SymbolKey]:
    """The held keys that can guard shared data: shared mutexes (a semaphore used for
    signalling does not guard, nor does a lock local to one call)."""
    return frozenset(key for key in held if key[0] != "local" and analysis.kind(key) in MUTEXES)


def _unlocked_racing_writes(analysis: ModuleAnalysis, kind: WriteKind) -> Iterator[Access]:
    """Writes of ``kind`` made with no lock held that another thread can race with."""
    for access in analysis.regions.writes:
        if access.kind is not kind or analysis.held_at(access.func, access.state):
            continue
        if analysis.sharing.races(access.key, access.func, access.per_instance, access.order):
            yield access


def _started_threads_only(analysis: ModuleAnalysis, func: FunctionInfo) -> bool:
    """Do threads reach ``func`` only as one thread the code starts (a ``Thread`` target,
    a ``Thread`` subclass's ``run()``, a ``Timer``, started once) or as a server's request
    entry point, with the ``started-threads`` evidence off? TS101-TS103 then stay quiet:
    on the validation sets 14 to 18 such findings were judged 0 true, 18 false and 7
    debatable (the state was ordered by a protocol, confined to one thread, or harmless
    to race on), those that stay 4 true and 14 false (docs/evidence.md)."""
    if "started-threads" in analysis.extra_evidence:
        return False
    entries = analysis.reach.entries.get(func, ())
    return bool(entries) and all(lone_or_per_request(entry) for entry in entries)


def _why(analysis: ModuleAnalysis, access: Access) -> str:
    return analysis.conflicts.thread_write_reason(access)


class GlobalWriteInThread(Rule):
    """Flags a module global rebound by code that runs on several threads, with no lock.

    **What it does**

    Finds ``global x; x = ...`` in a function that runs on threads (a thread target, a pool
    task, or anything they call) when other threads can write ``x`` too (the function runs
    on several threads at once, or other code writes ``x`` as well) and code reads ``x``
    back after the write, expecting its own value: later in the function, in a loop
    around the write, or in a caller after its call (``if TOKEN is None: renew();
    use(TOKEN)``). A store followed in its block only by simple statements and a
    ``return`` or ``raise`` (``_engine = False; return []``) is read back only by those
    statements. A store that nothing reads back is last-writer-wins, the point of a
    status or a setting, and is left alone (every true finding of this rule judged on
    the retired validation sets read its own write back). A single worker that
    sets a result the main thread reads after ``join()`` is fine, and so is lazy set-up of a
    string or a global declared with a scalar type (``if _agent is None: _agent = "lib/" +
    v``, every write of the global alike: see
    TS103), or a global whose every write is the act of a check TS103 finds harmless to
    repeat (``if not _warned: _warned = True``, a refresh stored with its stamp: ``_cached =
    (time.monotonic(), lookup())``), or a one-way flag: a global that every binding
    stores as the same constant, ``True``, ``False`` or ``None`` (``HAS_TESS = True``
    wherever a lookup finds the tool; only the module's plain top-level statements are
    set aside, not ``main()`` nor a store under ``if __name__ == "__main__":``, and any
    other binding, ``for FLAG in``, ``:=``, ``del``, ``+=``, counts as a lowering): a
    thread reads back the value it stored, whoever stored last (writes from other
    modules or through ``globals()`` are not seen, and a plain top-level store after the
    module's own top level started its threads is taken for the initial binding). Code
    that only threads started one per target (a
    ``Thread`` target, a ``Thread`` subclass's ``run()``, a ``Timer``, started once) or a
    server's request entry points reach is reported only with the ``started-threads``
    evidence (``extend-evidence``, docs/evidence.md).

    **Why is this bad**

    Each thread overwrites the others' value: which one wins depends on scheduling.
    Code that reads the global expecting its own write sees another thread's.

    **Example**

    ```python
    import threading

    current_user = None

    def handle(request):
        global current_user
        current_user = request.user   # another thread may overwrite it right now
        audit(current_user)

    for request in pending:
        threading.Thread(target=handle, args=(request,)).start()
    ```

    **Use instead**

    Keep per-thread data in locals or ``threading.local()``, or guard the global with a
    lock:

    ```python
    import threading

    local = threading.local()

    def handle(request):
        local.user = request.user     # each thread has its own
        audit(local.user)

    for request in pending:
        threading.Thread(target=handle, args=(request,)).start()
    ```

    **Fix**

    None: whether to use a lock, ``threading.local`` or a local variable is a design
    choice.

    **References**

    The talk's "Race Conditions" slides; Python FAQ, "What kinds of global value
    mutation are thread-safe?".
    """

    code = "TS101"
    name = "global-write-in-thread"
    summary = "module global rebound by code running on several threads without a lock"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for access in _unlocked_racing_writes(analysis, WriteKind.REBIND):
            if access.key[0] != "global" or _started_threads_only(analysis, access.func):
                continue
            if only_lazy_strings(
                access.key, analysis.regions.writes, analysis.parent_of, analysis.structure
            ):
                continue  # lazy set-up of a string: threads that miss together store equal text
            if _only_settled_writes(access.key, analysis):
                continue  # every write is the act of a check that is harmless to repeat
            if _one_way_flag(access.key, analysis):
                continue  # every function stores the same constant: no other value to get
            if not _used_after(access, analysis):
                continue  # last writer wins, and no code of this function reads its value
            yield Finding(
                access.node,
                f"{describe(access.key)} is rebound without a lock; other threads write it "
                f"too: {_why(analysis, access)}",
            )


def _used_after(access: Access, analysis: ModuleAnalysis) -> bool:
    """Does code use the global again after this write: later in the function
    (``current_user = request.user; audit(current_user)``, ``_index = {}`` then
    ``_index[k] = v``, ``return _cache``), anywhere in a loop around the write, or in a
    caller after its call of the function (``if TOKEN is None: renew(); use(TOKEN)``)?
    Such code expects its own value and can get another thread's. A store nothing reads
    back is last-writer-wins, the point of a plain setting or status (every true TS101
    judged on the retired sets read its own write back)."""
    name = access.key[-1]
    if _read_after(access.node, access.func, name, analysis):
        return True
    return any(
        _read_after(site.call, site.func, name, analysis)
        for site in analysis.regions.call_sites
        if site.callee is access.func and not site.implicit
    )


def _read_after(
    point: cst.CSTNode, func: FunctionInfo, name: str, analysis: ModuleAnalysis
) -> bool:
    """Is the global ``name`` read in ``func`` after ``point`` (or in a loop around it)?"""
    nodes = list(walk(func.node, skip=NOT_RUN))
    index = next((i for i, node in enumerate(nodes) if node is point), None)
    if index is None:
        return True
    own = {id(node) for node in walk(point, skip=NOT_RUN)}
    scope: list[cst.CSTNode] = nodes[index + len(own) :]
    leaving = _leaves_after(point, analysis)
    if leaving is not None:
        scope = [node for statement in leaving for node in walk(statement, skip=NOT_RUN)]
    parent = analysis.parent_of(point)
    while leaving is None and parent is not None and parent is not func.node:
        if isinstance(parent, (cst.For, cst.While)):
            scope = [node for node in walk(parent, skip=NOT_RUN) if id(node) not in own]
            break
        parent = analysis.parent_of(parent)
    not_loads = set()
    for node in scope:
        if isinstance(node, cst.Attribute):
            not_loads.add(id(node.attr))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            not_loads.add(id(node.keyword))
        elif isinstance(node, cst.AssignTarget):
            not_loads.add(id(node.target))
        elif isinstance(node, cst.Global):
            not_loads.update(id(item.name) for item in node.names)
    return any(
        isinstance(node, cst.Name) and node.value == name and id(node) not in not_loads
        for node in scope
    )


def _leaves_after(point: cst.CSTNode, analysis: ModuleAnalysis) -> list[cst.BaseStatement] | None:
    """The rest of the write's block when it is only simple statements that end in a
    ``return`` or ``raise`` (``_engine = False``, ``status.update(...)``, ``return []``):
    nothing else of the function (nor a loop around it) runs after the write, only
    these. None when control can go on past the block. A ``try`` with a ``finally``
    around it runs more, so it does not count (foxy-audit's failed load latched as
    ``False``, seventy-eighth set: judged false)."""
    statement: cst.CSTNode | None = point
    while statement is not None and not isinstance(statement, cst.SimpleStatementLine):
        statement = analysis.parent_of(statement)
    block = analysis.parent_of(statement) if statement is not None else None
    if not isinstance(block, cst.IndentedBlock):
        return None
    body = list(block.body)
    rest = body[next(i for i, item in enumerate(body) if item is statement) :]
    end = next(
        (
            index
            for index, item in enumerate(rest)
            if not isinstance(item, cst.SimpleStatementLine)
            or any(isinstance(small, (cst.Return, cst.Raise)) for small in item.body)
        ),
        None,
    )
    if end is None or not isinstance(rest[end], cst.SimpleStatementLine):
        return None
    node = analysis.parent_of(block)
    while node is not None and not isinstance(node, cst.FunctionDef):
        if isinstance(node, cst.Try) and node.finalbody is not None:
            return None
        node = analysis.parent_of(node)
    return rest[: end + 1]


def _one_way_flag(key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Does every binding of the global store one and the same constant, ``True``,
    ``False`` or ``None`` (``HAS_TESS = True`` wherever a lookup succeeds)? Only the
    module's own plain top-level statements are set aside (``HAS_TESS = False`` at
    import); a store under ``if __name__ == "__main__":`` or in ``main()`` counts, and
    so does any other binding of the name (``for FLAG in``, ``:=``, ``with ... as``,
    ``del``, ``+=``), which is not a constant store. A thread that reads it back then
    gets the value it stored, whoever stored last: a one-way flag, never lowered again
    (myra-linux's tesseract lookup, ninety-seventh set: TS101 judged false). A write
    from another module or through ``globals()`` is not seen."""
    if key[0] != "global":
        return False
    name = key[-1]
    module = analysis.structure.module_scope.node
    assert isinstance(module, cst.Module)
    top = {
        id(node)
        for statement in module.body
        if isinstance(statement, cst.SimpleStatementLine)
        for node in walk(statement)
    }  # the module's plain top-level statements (``HAS_TESS = False``, its import)
    stored: set[str] = set()
    for func in analysis.structure.functions:
        if not func.is_module and name not in func.declared_global:
            continue
        node_of = func.node
        body: cst.CSTNode = node_of.body if isinstance(node_of, cst.FunctionDef) else node_of
        for node in walk(body, NOT_RUN):
            if id(node) in top:
                continue
            value = _constant_store(node, name)
            if value == "?":
                return False
            if value is not None:
                stored.add(value)
            elif not isinstance(node, (cst.Global, cst.AssignTarget)) and name in names_bound_by(
                node
            ):
                return False  # ``for FLAG in``, ``FLAG := ...``, ``del FLAG``, ...
    return len(stored) == 1


def _constant_store(node: cst.CSTNode, name: str) -> str | None:
    """``"True"`` for ``name = True`` (or ``name: bool = True``): the constant a plain
    store of ``name`` alone binds; ``"?"`` for another assignment to it (``+=``, ``name,
    other = True, x``); else None."""
    targets = assignment_targets(node)
    if not any(isinstance(n, cst.Name) and n.value == name for t in targets for n in walk(t)):
        return None
    value = node.value if isinstance(node, (cst.Assign, cst.AnnAssign)) else None
    if (
        len(targets) == 1
        and isinstance(targets[0], cst.Name)
        and isinstance(value, cst.Name)
        and value.value in CONSTANT_NAMES
    ):
        return value.value
    return "?"


def _only_settled_writes(key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Is every write of the global in functions the store of a check-then-act whose act
    is harmless to repeat (TS103 leaves it alone: a constant, a memo, a stamped refresh
    such as ``_cached = (time.monotonic(), lookup())`` under its age test)? Racing
    threads then store equivalent values, and no other writer's value is lost."""
    settled = analysis.regions.settled_writes
    return every_write_in_functions(
        key, analysis.regions.writes, lambda write: id(write.node) in settled
    )


class UnlockedReadModifyWrite(Rule):
    """Flags a read-modify-write of shared state with no lock held: ``count += 1``.

    **What it does**

    Finds ``x += 1``, ``x = x + 1``, ``d[k] += 1``, ``self.n -= 1``, ``Cls.count += 1`` on
    a global or attribute (or on a variable of an enclosing function: ``nonlocal n; n +=
    1``, and ``done[0] += 1`` on the mutable box ``done = [0]`` that a nested worker bumps),
    in code that runs on threads, with no lock held (neither here
    nor at every call of the enclosing helper), when another thread can write the same
    state at the same time: several threads run this code (a pool, a loop of starts,
    ``map``), or other code writes it too. A lone worker whose result the main thread
    reads after ``join()`` is not reported, nor are the tasks of a pool of one worker
    (``ThreadPoolExecutor(max_workers=1)`` kept on the object or the module): they all
    run on that one thread, one after another, however many places submit them and
    whichever functions they run. Nor is ``self.items += more`` on a list or deque the
    object keeps for good (made in set-up, never replaced): it extends that one object
    in place. Nor is ``self.counts[cam] += 1`` where ``cam`` is a value of the thread's
    own (handed by a start in a loop that binds it anew each pass, ``args=(cam,)``, made
    only under ``if cam not in self._threads:``: one thread per value; or, for a
    container of the starting call's own frame, in a loop over a literal sequence of
    distinct constants, ``for key, pipe in (("stdout", ...), ("stderr", ...)):``, over
    ``range(...)`` or the index of ``enumerate(...)``, or ``pool.map(work,
    range(n))``, or over the keys of a dict or set the call binds once to a display,
    ``for name in buffers`` with ``buffers = {"stdout": ..., "stderr": ...}``, in no
    other loop and the target's only start there: one thread per value in that call;
    the value handed for the parameter that keys the update must be the distinct one,
    not one handed beside it) and every write of
    the dict outside ``__init__`` is keyed by such a value: each thread updates only its
    own entry. A loop over items that may repeat, with no such registry, stays reported.
    Take-and-reset (``items = self._buf`` then
    ``self._buf = []`` with no lock across both, while another thread appends) is
    reported here too: what is added in between is lost.

    A per-call value kept on a shared object is the same lost update split across two
    methods: ``__enter__`` stores ``self._start = now()`` and ``__exit__`` reads it back
    (or ``start``/``stop``), on an object several threads use at once (a decorator
    object whose wrapper runs ``with self:``, a class marked ``# tsafe: shared`` or
    listed in ``shared``). Another thread's ``__enter__`` overwrites the value in
    between. Not reported: a wrapper that makes a new object per call (``with
    self._new_timer():``), a value kept in ``threading.local``, a lock acquired in the
    first method (held until the second), a constant every use stores alike.

    A write of ``self.attr`` in ``__init__`` before ``__init__`` hands ``self`` out is not
    reported, even when the object is built on a thread: no other thread holds it yet.
    ``__init__`` hands ``self`` out when it passes ``self`` or one of its bound methods
    anywhere (a thread's target, ``registry.append(self)``), makes a closure over
    ``self``, calls ``self.start()`` (or ``run``, ``register``, ``subscribe``,
    ``connect``), or calls a method of the class that does one of these; a write after
    that, or in a loop that also does it, is reported. A base class's set-up of the
    object (``super().__init__()``, ``threading.Thread.__init__(self)``) hands it to no
    one.

    **Which threads**

    Besides thread starts that reach the code, a ``# tsafe: shared`` marker on a class
    says its methods run on several threads. The other kinds of evidence of
    ``docs/evidence.md`` (the two sides of a class that starts its own thread,
    process-wide state written under a lock, a check outside the lock the act takes) are
    off by default, measured below 80% precision: ``extend-evidence`` turns them on. So
    is code that only threads started one per target (a ``Thread`` target, a ``Thread``
    subclass's ``run()``, a ``Timer``, started once) or a server's request entry points
    reach: the ``started-threads`` kind; a target started several times, a pool's tasks
    and a decorator's wrapper are reported by default. The message names the evidence.
    ``# tsafe: single-thread`` on a class or function silences it.

    **Why is this bad**

    ``x += 1`` is a read, an add and a write. Another thread can run between the read and
    the write, and one of the two updates is lost. The GIL does not prevent it, and
    free-threaded CPython makes it far more frequent.

    **Example**

    ```python
    from concurrent.futures import ThreadPoolExecutor

    available_seats = 10

    def book_seat():
        global available_seats
        available_seats -= 1

    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(book_seat) for _ in range(15)]
    ```

    **Use instead**

    ```python
    import threading
    from concurrent.futures import ThreadPoolExecutor

    available_seats = 10
    seats_lock = threading.Lock()

    def book_seat():
        global available_seats
        with seats_lock:
            available_seats -= 1

    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(book_seat) for _ in range(15)]
    ```

    **Fix**

    None: which lock guards the state, and where it lives, is a design choice.

    **References**

    The talk's "Race Conditions" and "Lock" slides; Python FAQ, "What kinds of global
    value mutation are thread-safe?" (``i = i + 1`` is not).
    """

    code = "TS102"
    name = "unlocked-read-modify-write"
    summary = "read-modify-write of shared state without a lock"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        writes = _writes_by_key(analysis)
        for access in analysis.regions.writes:
            if access.kind is not WriteKind.READ_MODIFY_WRITE:
                continue
            if analysis.held_at(access.func, access.state):
                continue
            if constructing(access, analysis.structure):
                continue  # ``__init__`` of an object no other thread holds yet
            if _started_threads_only(analysis, access.func):
                continue  # opt-in: the ``started-threads`` evidence
            if analysis.sharing.races(access.key, access.func, access.per_instance, access.order):
                why: str | None = _why(analysis, access)
            else:
                why = analysis.conflicts.first(
                    access.key,
                    access.func,
                    access.state,
                    access.per_instance,
                    writes.get(access.key, ()),
                    access.order,
                )
            if why and per_thread_entry(analysis, access, writes.get(access.key, [])):
                continue  # each thread updates only the entry keyed by its own value
            if why and not extends_in_place(access.node, access.key, analysis):
                # (``+=`` on a list or deque the object keeps extends the one object)
                yield Finding(
                    access.node,
                    f"read-modify-write of {describe(access.key)} without a lock can lose "
                    f"updates; {why}",
                )
        yield from _take_and_reset(analysis, writes)
        yield from _per_call_state(analysis)


def _writes_by_key(analysis: ModuleAnalysis) -> dict[SymbolKey, list[Access]]:
    writes: dict[SymbolKey, list[Access]] = {}
    for access in analysis.regions.writes:
        writes.setdefault(access.key, []).append(access)
    return writes


def _take_and_reset(
    analysis: ModuleAnalysis, writes: dict[SymbolKey, list[Access]]
) -> Iterator[Finding]:
    """``items = self._buf; ...; self._buf = []`` with no lock across both, while another
    thread adds to ``self._buf``: what it adds in between is lost."""
    reported: set[int] = set()
    for take in analysis.regions.takes:
        resets = [
            w
            for w in writes.get(take.key, ())
            if w.func is take.func and w.kind is WriteKind.REBIND and w.order > take.order
        ]
        if not resets or id(resets[0]) in reported:
            continue
        reset = resets[0]
        if guards(analysis, take.func, take.state) & guards(analysis, reset.func, reset.state):
            continue
        adds = [w for w in writes.get(take.key, ()) if w.kind is WriteKind.MUTATE]
        if not adds:
            continue
        held = State(held=take.state.held & reset.state.held)
        why = analysis.conflicts.first(
            take.key, take.func, held, reset.per_instance, adds, take.order
        )
        if why:
            reported.add(id(reset))
            yield Finding(
                reset.node,
                f"take-and-reset of {describe(take.key)} without a lock: what another "
                f"thread adds between the read at line {analysis.line_of(take.node)} and "
                f"this reset is lost; {why}",
            )


#: Method pairs every use of an object runs in order, each pair once per use: a value
#: the first stores on the object for the second belongs to that one use.
_PAIRED_METHODS = (("__enter__", "__exit__"), ("start", "stop"))


def _per_call_state(analysis: ModuleAnalysis) -> Iterator[Finding]:
    """``def __enter__(self): self._start = now()`` read back by ``__exit__`` of an object
    that several threads use at once (a decorator object whose wrapper runs ``with
    self:``, a class marked or listed as shared): one thread's ``__enter__`` overwrites
    the value another thread's ``__exit__`` is about to read."""
    evidence = analysis.thread_evidence
    for cls in analysis.structure.classes.values():
        why = evidence.contract.get(cls.qualname)
        if why is None or cls.qualname in evidence.confined:
            continue
        run = methods_run_on_self(analysis.structure, cls)
        for first_name, second_name in _PAIRED_METHODS:
            if cls.qualname in evidence.decorating and not {first_name, second_name} <= run:
                continue  # the wrapper runs the pair on a new object per call
            first = cls.methods.get(first_name)
            second = cls.methods.get(second_name)
            if first is None or second is None or _acquires(first):
                continue  # a lock taken in the first and released in the second
            read = set(_reads_in_body(analysis, second))
            for access in analysis.regions.writes:
                if (
                    access.func is not first
                    or access.kind is not WriteKind.REBIND
                    or not access.per_instance
                    or access.key not in read
                    or analysis.held_at(first, access.state)
                    or not _stores_per_call_value(access)
                    or analysis.kind(access.key) is not None
                ):
                    continue
                yield Finding(
                    access.node,
                    f"per-call value {describe(access.key)} is stored on a shared object by "
                    f"'{first_name}' and read back by '{second_name}': another thread's "
                    f"'{first_name}' can overwrite it in between; {why}; users' threads can "
                    f"run '{first_name}' and '{second_name}' at the same time",
                )


def _acquires(func: FunctionInfo) -> bool:
    return any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "acquire"
        for node in walk(func.node)
    )


def _reads_in_body(analysis: ModuleAnalysis, func: FunctionInfo) -> Iterator[SymbolKey]:
    node = func.node
    if isinstance(node, cst.FunctionDef):
        yield from reads_in(node.body, func, analysis.symbols)


def _stores_per_call_value(access: Access) -> bool:
    """A store of a value computed for this use (``now()``, an argument), not a constant
    every use stores alike (``None``, ``True``, ``0``)."""
    node = access.node
    if not isinstance(node, (cst.Assign, cst.AnnAssign)) or node.value is None:
        return False
    value = node.value
    if isinstance(value, cst.Name) and value.value in ("None", "True", "False"):
        return False
    return not isinstance(value, (cst.Integer, cst.Float, cst.SimpleString, cst.UnaryOperation))


class UnlockedCheckThenAct(Rule):
    """Flags an ``if``/``while`` that tests shared state and then writes it, with no lock.

    **What it does**

    Finds a test that reads a global or attribute followed by a body that writes the same
    state, with no lock held across both: ``if seats > 0: seats -= 1``,
    ``if key not in cache: cache[key] = load(key)``, a lazy singleton; in code that runs
    on threads, when other threads can write the same state (as for TS102). The
    double-checked form, whose write is under a lock and tests again, is not reported;
    a test made outside the lock that the write takes, without a second test under it,
    is, when the ``check-outside-lock`` evidence is on, and by default in one shape, even
    in code no thread start reaches: ``if _client is None:`` whose whole body is ``with
    _lock: _client = make()`` (the lock taken for the creation says several threads get
    there; two that pass the test make two objects). Nor is a loop that tests a flag
    every pass and sets it when every writer of the flag stores the same constant
    (``while not self._stop: ... self._stop = True``, and ``shutdown()`` sets it True
    too): nothing is lost, and the loop reads it again before its next pass.
    Check-then-use is reported too: ``if self.sock: self.sock.close()`` while another
    thread sets ``self.sock = None`` (or deletes the attribute; deleting one of its
    keys, ``del self.timers[t]``, leaves a dict, not None); and ``if self.playlist:
    return self.playlist[0]`` while another thread takes items out (``pop``, ``popleft``,
    ``remove``, ``clear``, ``del x[i]``, a store of an empty list), even a thread that
    runs the reading code too: the index raises ``IndexError`` when the last item went
    in between. Appends alone keep a tested list non-empty and are not reported.
    A thread that clears its own handle as it ends (``self._thread = None`` in the
    ``finally`` around the ``while self.running:`` loop that ``self._thread =
    Thread(target=self._loop)`` runs) is another thread even where a class's own thread
    is not evidence by default, for a method that lowers that flag and then tests and
    uses the handle: its ``if self._thread: self._thread.join()`` can find it None, since
    lowering the flag makes the thread end (pyserial's rfc2217 ``close()``, fixed in 3.5).
    So is the thread of a public method that loops ``while self.keep_running:`` and
    clears a handle in the ``finally`` around that loop (directly, or in a teardown
    helper it calls there): the loop blocks its caller, so the public method that lowers
    the flag and then runs ``if self.sock: self.sock.close()`` runs on another thread
    (unless the loop calls it itself), and its store makes the loop end and clear
    ``sock`` in that window (websocket-client's ``WebSocketApp.close()``, fixed in 1.9.2
    by copying ``self.sock`` to a local first).
    The early-return form (``if x is None: return`` followed by the use or the write)
    counts as well (but not a flag the function tests that way at two places or more:
    ``if cancelled: return`` between the steps of a long task is a cancellation flag
    polled at checkpoints), and so does a test that reads the state through a property of the
    class (``while self._timespan >= p: self.calls.popleft()`` with a getter returning
    ``self.calls[-1] - self.calls[0]``); the message names the property.

    **Not reported**

    The one consumer of a container: ``if self.queue: item = self.queue.popleft()`` on
    a thread that no other thread runs, while other threads only add (``append``,
    ``extend``, ``add``, ...). An add cannot make the non-empty test false; a second
    consumer that also removes can, and is reported.

    A get-or-create in a dict keyed by the current thread's identity:
    ``if get_ident() not in d: d[get_ident()] = make()``, with ``threading.get_ident()``,
    ``get_native_id()``, ``current_thread()`` or its ``.name``/``.ident`` as the key, or
    a local that holds one (``me = get_ident()``; a parameter replaced by it when
    ``None``, ``if id is None: id = get_ident()``, counts: a per-thread registry looked up
    by another thread's id is looked up with an id that thread handed over after it
    registered). Each thread tests and writes only its own entry, which no other thread
    creates. Still reported: a test that reads the dict any other way (``len(d) < 10``),
    and an act that writes anything but that entry.

    The same for a key the thread was handed as its own: a thread started in a loop with
    a value of that pass (``conn, address = sock.accept()`` then ``Thread(target=
    self._handle, args=(conn, address))``, ``executor.submit(self._submit, queue)`` in
    ``for queue in self.queues:``, or the loop's index), followed into the
    functions it passes that value to (when every call of them does), and into closures.
    A dict (or list) whose every write outside ``__init__`` is ``d[address] = v``, ``del
    d[address]``, ``d.pop(address, ...)`` or ``d.setdefault(address, v)`` with such a
    value, tested only as ``address in d``, ``d[address]`` or ``d.get(address)`` (or
    through a local bound to one of those), holds one entry per thread. When the thread's
    act deletes its entry, the starter may also file the new thread under its key in the
    pass that starts it (``self._handlers[conn] = thread``) and make the dict before
    that loop (``self._handlers = {}``, a statement of its own at the top of a function
    that one thread runs and no loop of the module calls again, directly or through its
    callers): a store cannot remove what the thread tests. Still reported: a write that
    empties or replaces the whole dict, or is keyed by anything else, a delete by code no
    thread runs (an admin's ``kick(conn)``), and a starter's store racing a thread's
    check-then-store. Not seen: a listener its users restart while the old handlers run.

    A test of a local bound to what a call returned when it was handed a new container
    or a copy made of the state (``decision = self._run_hooks({"params":
    deepcopy(self.params)})``, a server's reply to ``get(url, params={"since":
    cursor})``): it tests the call's own value, not the state, and nothing another thread
    does changes it. Handed the state itself, alone or in a display (``found =
    lookup(self.cache, key)``, ``first_hit([self.primary, self.fallback], key)``, ``ok =
    is_alive(self.conn)``), a call may return a part of it, and a builtin that
    passes the value on (``n = len(self.items)``, ``list``, ``sorted``, ``min``, ...)
    does: both stay tests of the state, as does a call in the test itself.

    A size cap kept by eviction: ``if len(cache) > MAX: cache.popitem(last=False)``, a
    body that only takes single items out (``popitem``, ``pop``, ``popleft``, ``del
    cache[k]``) under a named cap or one of 2 or more. Two threads that both pass the
    test evict one entry more; the cap still holds. A cap of 0 or 1, or a body that does
    anything else (sends the full batch, then clears it), is still reported.

    A guard no caller can trigger: ``if self._closed and not _anyway: return`` in a
    private function (a leading ``_``, never passed around as a value) whose every call
    in the module passes a true constant for ``_anyway`` or leaves it to a true default
    (or, for ``if P and ...``, a false one). The test never passes, so the write after it
    is unconditional. A public function, a call that passes a variable, and a helper
    handed out as a callback keep the finding: some caller may make the test pass.

    Lazy initialisation or a memo whose value is pure: the act (the ``if`` body, or what
    follows ``if <test>: return``) only stores into the tested state (for a dict, the entry
    the test read: ``if k not in d: d[k] = ...``) a constant, a class built right there
    (``type(name, bases, ns)``, ``types.new_class``, a ``class`` statement), a name the
    act imports by one import alone (``import requests`` then ``self._http = requests``,
    ``from m import breaker``: the one object the interpreter hands every thread), or a
    setting read from the process environment and made a bool, number or string
    (``_debug = os.environ.get("APP_DEBUG", "").strip() not in ("", "0")``,
    ``int(os.getenv("N", "4"))``), with no other effect (no call but side-effect-free
    builtins such as ``isinstance``, no local read after it). Both threads store the same
    constant, module, setting or equivalent classes; the last store wins and nothing
    observes the difference (a thread that changes the environment meanwhile may make the
    cached setting change once). The line is identity: a value with identity (``cls()``, a
    constructor or factory call making a session, thread, lock or socket, a ``{}`` filled
    in place later) is still reported, since one of the two objects is lost, leaked or
    seen by some callers only; so is a fetched or computed value (any other call: nothing
    in the source says whether it returns a new object), and an act with another effect
    (a loader call, registering the value, a local that carries the outcome out).

    Nor is lazy set-up of a global to a string, when every write of the global in the
    module's functions is one: ``if _agent is None: _agent = "lib/" + read_version()``
    (a literal, an f-string, ``"a" + x``, ``"%s" % x``, ``"-".join(...)``, ``str(...)``),
    in the branch that runs while it is unset (also the ``else`` of ``if _agent is not
    None:``, or after ``if _agent is not None: return _agent``). Threads that miss
    together build the same text, and a string has no identity to lose (TS101 leaves
    the same stores alone). So is any value stored into a global the module declares
    with an immutable scalar type (``_user_sid: str | None = None``, also ``bytes``,
    ``int``, ``float``, ``bool``, ``Optional[...]``), whatever call computes it, unless
    the function (or a function of the module it calls by name) draws on chance or the
    clock (``secrets``, ``random``, ``uuid``, ``time``, ``datetime``, ``os.urandom``:
    each thread that missed keeps its own). The
    same holds for a value that pure calls (``re.compile``,
    ``frozenset``, ``sorted``, ``str`` methods) build from literals and module constants
    no function rebinds: ``_patterns = [re.compile(p) for p in PATTERNS]``. A setter
    storing another value, or a global the value is built from that a function rebinds,
    keeps it reported.

    A memo cache of plain values is not reported either: ``found = cache.get(key)``
    (or ``key not in cache``) with a key made only of the function's parameters
    (directly or through a local such as ``key = (int(w), int(h))``), where the miss
    branch computes the value from those parameters alone (its locals, imports, the
    module's constants, builtins and calls on its own locals that fill the value; names
    in logging calls do not count; a ``try`` whose handlers fall back to a value or skip
    an input, ``continue``, ``break`` and ``raise`` may stand among its steps: reading
    the key's files, ``except OSError: paths = []``), stores it once into the entry the
    test read and has no other effect. Two threads that miss together compute equal values and the
    later store replaces an equal one. Still reported: a value made by calling a class
    (a capitalised name), a parameter, or a module function that returns such a call;
    an empty container stored unfilled; a value that reads other shared state or a
    caller's object (``conn.recv()``); a key not made of the parameters; a cache that
    other code of the module (or, for ``self._cache``, of the class) also stores into;
    a value changed in place after the store (``state["next"] += 1``); a local that
    carries the miss out of the act.

    Nor is a lookup memo whose answer is text or a number, however it is fetched: the
    function returns the entry on a hit (``if name in _cache: return _cache[name]``),
    and its miss branch, whatever it calls (a service, a subprocess), stores into that
    entry, keyed by the arguments, a string or a number (a literal, an f-string,
    ``str``/``int``/``float``/``bool``/``len``, a string method, arithmetic of those)
    and returns it. Threads that miss together both ask, and each stores an answer with
    no identity. Still reported: an object or a list stored, a dedup guard whose hit
    path does not return the entry (``if cmd in done: return``, then run it: the act is
    the point), a cache another function also fills, a local that carries the miss out.
    The same memo may store a module it imports (``importlib.import_module(path)``) or
    an object read from one (``getattr(module, name)``), or None when the import fails:
    the interpreter imports a module once and hands every thread the same object. Then
    the act may call nothing but string and container reads and logging, and use the
    imported object only to store and return it; an act that sets up, registers or
    reloads what it imports is reported.

    Nor is a lazy index built from state fixed since set-up: ``if self._gates is None:``
    then a local container (a display filled by the act's own loops, methods and nested
    functions, or a comprehension) built by pure builtins and read-only methods (a
    read of the module's own names: ``globals().get(name)``) from
    attributes that only ``__init__`` (or a dataclass field) binds and nothing changes in
    place, and from module constants, stored once into the tested attribute (or a
    global the function declares), which nothing else fills, empties or resets. Threads
    that miss together build equal indexes; readers see None or a complete one. Still
    reported: an index built from state a method rebinds or changes (an older index can
    land last), one whose build calls a helper or makes objects (a lock per key), and one
    other code fills or resets to None.

    Nor is a throttle: a test that measures the time since a stored moment (``now -
    self._last_log > 60``, ``now - probed.get(name, 0) < 10``) guarding an act that stores
    a clock reading there (``time.monotonic()``, ``datetime.now().timestamp()``, a local
    bound to one, or ``now``). Two threads that pass together run the throttled action
    once each, a warning logged or a probe run twice, and store equal moments. Nor a
    removal that cannot fail once done: ``if k in d: d.pop(k, None)``, ``if k in s:
    s.discard(k)`` (a bare ``d.pop(k)`` raises for the second thread: reported).

    Nor is a cache re-validated by a stamp: the test compares what the cache holds with
    a local or parameter (``cached[0] == mtime``, ``cache.get("mtime") != mtime``), an
    attribute of one (``cached[0] == st.st_mtime`` of a local ``os.stat`` result) or
    checks its age against a clock (``now - cached[0] < TTL``, ``time.monotonic() -
    _cached[0] < 300``), and the miss branch's one shared write stores that stamp
    together with plain values into the same cache (``cache[key] = (mtime, summary)``,
    ``cache.update(mtime=mtime, cfg=load())``, a global tuple rebound whole: ``_cached =
    (time.monotonic(), lookup())``, when no other function rebinds it), with no other
    effect (reading a file in ``with open(...)`` is none, nor is adding rows to the
    function's own result list, a local bound once to ``[]`` and never passed on:
    ``out.extend(rows)``). Threads that miss together
    each load again and store a consistent pair. A warn-once guard is left alone too:
    ``if not _warned: _warned = True; log.warning(...)`` logs twice at worst, and so
    does one kept as a set, ``if name not in self._logged: log.warning(...);
    self._logged.add(name)`` (the set holds the name once), also with
    ``warnings.warn(...)``, ``sys.stderr.write(...)`` or ``print(...)`` (to stdout or stderr,
    not to a file or socket) for the log line.
    So is a once-only value kept in a module list that is only ever read at ``[0]``
    (``if not _FN: fn = ctypes.CDLL(None).clonefile; _FN.append(fn)``, then ``return
    _FN[0]``): every reader takes the first append, and a second built by a racing thread
    is dropped, when every call of the act is a lookup (``ctypes.CDLL``,
    ``shutil.which``, an environment read) or a pure builtin, it binds only its own locals
    with a plain ``=``, stores only into attributes of a local holding what a lookup
    returned, appends such a local, and nothing after it reads its locals; not a list the
    module reads otherwise (``[-1]``, a loop, handed on) or changes elsewhere, nor a value
    built with any other call (a connection made twice leaks, a module imported) or handed
    in (``conf.client``). A list another module imports and changes is not seen. So is a
    size cap that empties the container it measured (``if len(cache) > 64:
    cache.clear()``): two clears end as one. And a change test whose act stores the
    local it compared (``if new != self.blocklist: self.blocklist = new``, also into
    other attributes, with log lines, a loop logging each of its items, an attribute of
    a local or a copy: ``_reported = dict(snapshot.unreadable)``): two threads past it
    store their values as two unguarded stores would.
    Still reported: a stamp kept in a store of its own (a reader can pair one thread's
    stamp with another's value), a value made by calling a class, a cache other code
    also fills, a branch with other effects.

    Close-and-clear: ``if self._sock:`` then ``try: self._sock.close()`` (or
    ``shutdown``, ``cancel``, ``stop``, ``terminate``, ``kill``) under ``except
    Exception:`` (or ``BaseException``, bare) that only passes or logs, with the store of
    a constant in its ``finally``. A second thread past the test closes the same object
    again, which does nothing, or calls ``close()`` on the ``None`` the first stored,
    and the handler swallows that ``AttributeError``. A narrower handler (``except
    OSError:``) or none lets it escape, and that stays reported.

    A test that asks only whether the state is ``None`` (``if self._x is not None:
    self._x += n``; an item, ``self.d.get(k) is not None``, or a local copy of one) when
    no write after set-up stores ``None`` or deletes it: every writer stores a number, a
    string, a display, arithmetic, a builtin such as ``float()`` or a local bound only to
    such values. No other thread can turn that test false; what races is the act, a
    read-modify-write reported as TS102. A write of a value of unknown shape (another
    call, a parameter) counts as a possible ``None`` and keeps the finding. Likewise a
    membership test that lets the act run only while the key is present (``if name not
    in _counts: return`` then ``_counts[name] -= 1``) when no write after set-up removes
    a key (``del``, ``pop``, ``clear``, a new container bound to the name): a key once
    in stays in. ``if k not in d: d[k] = v`` still races (two threads both add it).

    **Which threads**

    Besides thread starts that reach the code, a ``# tsafe: shared`` marker on a class
    says its methods run on several threads. The other kinds of evidence of
    ``docs/evidence.md`` (the two sides of a class that starts its own thread,
    process-wide state written under a lock, a check outside the lock the act takes) are
    off by default, measured below 80% precision: ``extend-evidence`` turns them on. So
    is code that only threads started one per target (a ``Thread`` target, a ``Thread``
    subclass's ``run()``, a ``Timer``, started once) or a server's request entry points
    reach: the ``started-threads`` kind; a target started several times, a pool's tasks
    and a decorator's wrapper are reported by default. The message names the evidence.
    ``# tsafe: single-thread`` on a class or function silences it.

    The wrapper a decorator returns counts as run by every thread that calls the
    decorated function, unless it is an ``async def``: calling it then only makes a
    coroutine, whose body runs on the event loop that awaits it, so ``if running:
    return`` and ``running = True`` with no ``await`` between them cannot interleave.

    A ``threading.Thread`` subclass's own attributes, set in ``__init__`` and then read
    and written only by its ``run()`` (and what only ``run()`` calls), are confined to
    that instance's one thread: a Thread starts once, so making several of them runs
    several threads on several objects, none sharing another's attributes. Not
    reported; nor are those of a thread started on a method of an object built on the
    same pass (``w = Worker(iface); Thread(target=w.run).start()`` in a loop). A class
    attribute (``Worker.done``) that every instance's ``run()`` uses is still reported,
    and so is an instance attribute another thread of the object
    (``Thread(target=self._reset)``) writes too. A test and write of ``self.attr``
    together in ``__init__``, before it hands ``self`` out (as for TS102), are not
    reported: no other thread holds the new object yet.

    **Why is this bad**

    Between the check and the act another thread can change the state: two threads both
    see the last seat and both book it; two threads both build the "singleton".

    **Example**

    ```python
    import time
    from concurrent.futures import ThreadPoolExecutor

    available_seats = 10

    def book_seat():
        global available_seats
        if available_seats > 0:
            time.sleep(0.1)
            available_seats -= 1

    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(book_seat) for _ in range(15)]
    ```

    **Use instead**

    Hold one lock across the check and the act:

    ```python
    import threading
    from concurrent.futures import ThreadPoolExecutor

    available_seats = 10
    seats_lock = threading.Lock()

    def book_seat():
        global available_seats
        with seats_lock:
            if available_seats > 0:
                available_seats -= 1

    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(book_seat) for _ in range(15)]
    ```

    **Fix**

    None: the check and the act must share one lock, which the author has to choose.

    **References**

    The talk's multi-threaded seat-booking app.
    """

    code = "TS103"
    name = "unlocked-check-then-act"
    summary = "check-then-act on shared state without a lock"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        writes = _writes_by_key(analysis)
        reported: set[tuple[object, SymbolKey]] = set()
        dead = _DeadGuards(analysis)
        checkpoints = _checkpoints(analysis.regions.check_then_act)
        for item in analysis.regions.check_then_act:
            slot = (item.test_node, item.key)
            if item.early and (item.func, item.key) in checkpoints:
                continue  # a cancellation flag polled at several checkpoints
            if slot in reported or analysis.held_at(item.func, item.state):
                continue
            if _started_threads_only(analysis, item.func):
                continue  # opt-in: the ``started-threads`` evidence
            if dead.never_passes(item.test_node, item.func):
                continue
            if item.write.func is item.func and constructing(item.write, analysis.structure):
                continue  # tested and written in ``__init__`` of an object nobody holds yet
            if _none_test_holds(analysis, item, writes.get(item.key, ())):
                continue
            if _membership_holds(analysis, item, writes.get(item.key, ())):
                continue
            if item.key[0] == "global" and only_lazy_strings(
                item.key, analysis.regions.writes, analysis.parent_of, analysis.structure
            ):
                continue  # lazy set-up of a string: threads that miss together store equal text
            if isinstance(item.test_node, cst.While) and _one_constant(
                analysis, item.write, writes.get(item.key, ())
            ):
                continue
            if per_thread_slots(analysis, item, writes.get(item.key, [])):
                continue  # each thread tests and writes only the entry keyed by its own value
            if evicts_over_cap(item, analysis):
                continue  # a size cap: a second eviction only drops one entry more
            keyword = "if" if item.test_node.__class__.__name__ == "If" else "while"
            line = analysis.line_of(item.write.node)
            if guards(analysis, item.write.func, item.write.state):
                if "check-outside-lock" not in analysis.extra_evidence and not (
                    _creates_under_lock_untested(item)
                ):
                    continue  # opt-in: below 80% precision on the tuning corpus
                if item.rechecked or item.write.func is not item.func:
                    continue
                if analysis.thread_evidence.is_confined(item.func) or not item.write.state.held:
                    continue
                reported.add(slot)
                yield Finding(
                    item.test_node,
                    f"check-then-act on {describe(item.key)}: this '{keyword}' tests it "
                    f"outside the lock that the write at line {line} takes, and the write "
                    "does not test it again: two threads can both pass the test",
                )
                continue
            if analysis.held_at(item.write.func, item.write.state):
                continue
            # ``if self.q: self.q.popleft()`` on the one consumer's thread: other threads
            # that only add cannot make the test false, so only the many-threads case and
            # other removers (below) race with it
            lone_remover = _removes(item.write) and not analysis.reach.many(item.func)
            if not lone_remover and analysis.sharing.races(
                item.key, item.func, item.write.per_instance, item.write.order
            ):
                why: str | None = _why(analysis, item.write)
            else:
                others = writes.get(item.key, [])
                if _removes(item.write):
                    # ``while self.queue: self.queue.pop()``: an add elsewhere cannot make
                    # the test false, only another removal can
                    others = [w for w in others if not _adds(w)]
                started = _new_thread_handle(analysis, item)
                if started is not None:
                    # ``if self._thread is not None: return`` then ``self._thread =
                    # Thread(...)``: that thread clearing its own handle at exit cannot
                    # land after the new handle (the act needs it cleared already)
                    others = [w for w in others if not _clears_own_handle(analysis, w, started)]
                why = analysis.conflicts.first(
                    item.key,
                    item.func,
                    item.state,
                    item.write.per_instance,
                    others,
                    item.write.order,
                )
            if not why:
                continue
            reported.add(slot)
            through = (
                f" (which reads it through the property '{item.via_property}')"
                if item.via_property
                else ""
            )
            yield Finding(
                item.test_node,
                f"check-then-act on {describe(item.key)} without a lock: another thread can "
                f"change it between this '{keyword}'{through} and the write at line {line}; "
                f"{why}",
            )
        yield from _check_then_use(analysis, writes, reported, dead)


def _checkpoints(items: list[CheckThenAct]) -> set[tuple[FunctionInfo, SymbolKey]]:
    """The (function, state) pairs a function tests with ``if <test>: return`` at two
    places or more: a cancellation flag polled at checkpoints (``if cancelled: return``
    between the steps of a long task), not a guard of the write that follows. One such
    test before a write (``if self.running: return`` then ``self.running = True``) is."""
    tests: dict[tuple[FunctionInfo, SymbolKey], set[int]] = {}
    for item in items:
        if item.early:
            tests.setdefault((item.func, item.key), set()).add(id(item.test_node))
    return {pair for pair, nodes in tests.items() if len(nodes) >= 2}


def _none_test_holds(
    analysis: ModuleAnalysis, item: CheckThenAct, writes: Iterable[Access]
) -> bool:
    """``if self._x is not None: self._x += n`` where nothing after set-up stores None in
    (or deletes) ``_x``: the test cannot turn false under another thread, so only the act
    races (a read-modify-write is reported on its own)."""
    how = item.none_test
    if how is None:
        return False
    if item.early:
        outcome = False  # the act runs after ``if <test>: return``: the test failed
    elif isinstance(item.test_node, cst.While):
        outcome = True
    else:
        outcome = contains(item.test_node.body, item.write.node)
    if outcome not in how.not_none_when:
        return False
    return not any(
        may_store_none(write, how.element)
        for write in writes
        if write.func not in analysis.setup_functions
    )


def _membership_holds(
    analysis: ModuleAnalysis, item: CheckThenAct, writes: Iterable[Access]
) -> bool:
    """``if name not in _counts: return`` then ``_counts[name] -= 1``, where no code after
    set-up removes a key of ``_counts`` (no ``del _counts[k]``, ``pop``, ``clear``, nor a
    new container bound to the name): a key once in stays in, so the test that found it
    cannot turn false under another thread (red-discordbot's driver counts, fifty-fifth
    set). Only a test that lets the act run while the key is present; ``if k not in d:
    d[k] = v`` races with another thread adding it."""
    test = membership_test(item.test_node.test)
    if test is None or analysis.symbols.key_of(test[1], item.func) != item.key:
        return False
    if item.early:
        outcome = False  # the act runs after ``if <test>: return``: the test failed
    elif isinstance(item.test_node, cst.While):
        outcome = True
    else:
        outcome = contains(item.test_node.body, item.write.node)
    present = outcome is not test[2]
    return present and not any(
        _drops_keys(write) for write in writes if write.func not in analysis.setup_functions
    )


def _drops_keys(access: Access) -> bool:
    """Can ``access`` take a key out of its container (``del d[k]``, ``d.pop(k)``,
    ``d.clear()``, or a new container bound in its place)?"""
    node = access.node
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in _DROPPING
    if isinstance(node, cst.Del):
        return True
    return access.kind is WriteKind.REBIND


#: methods that take keys or items out of a dict or set
_DROPPING = frozenset({"pop", "popitem", "clear", "remove", "discard"})


def _one_constant(analysis: ModuleAnalysis, act: Access, writes: Iterable[Access]) -> bool:
    """``while not self._stop: ...; self._stop = True`` where every write of the flag
    outside set-up stores that same constant: whichever thread passes the test, the
    value stored is the one any other writer would store, and the loop's test reads it
    again before the next pass, so nothing is lost (FlexGet's ``_shutdown_now``, set True
    by the worker and by ``shutdown()``). Only for a ``while``: an ``if`` guards an act
    (``self._thread.start()``) that a second thread past the test would repeat."""
    value = stored_constant(act)
    if value is None:
        return False
    return all(
        stored_constant(write) == value
        for write in writes
        if write.func not in analysis.setup_functions
    )


class _DeadGuards:
    """Tests no caller can make pass: ``if self._closed and not _anyway: return`` in a
    private function (a leading ``_``, not passed around as a value) whose every call in
    the module passes a true constant for ``_anyway`` (or leaves it to a true default).
    The test is always false, so there is no check to race with."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self.analysis = analysis
        self._known: dict[FunctionInfo, dict[str, bool]] = {}

    def never_passes(self, test_node: cst.CSTNode, func: FunctionInfo) -> bool:
        if not isinstance(test_node, cst.If):
            return False
        constants = self._constant_params(func)
        if not constants:
            return False
        for conjunct in conjuncts(test_node.test):
            negated = False
            operand = conjunct
            if isinstance(conjunct, cst.UnaryOperation) and isinstance(conjunct.operator, cst.Not):
                negated, operand = True, conjunct.expression
            if (
                isinstance(operand, cst.Name)
                and operand.value in constants
                and constants[operand.value] is negated
            ):
                return True  # ``not P`` with P always true, or ``P`` always false
        return False

    def _constant_params(self, func: FunctionInfo) -> dict[str, bool]:
        """The parameters every call of ``func`` in the module gives a constant of one
        truth value: name -> that truth value."""
        known = self._known.get(func)
        if known is None:
            known = self._known[func] = self._compute(func)
        return known

    def _compute(self, func: FunctionInfo) -> dict[str, bool]:
        node = func.node
        if (
            not isinstance(node, cst.FunctionDef)
            or not func.name.startswith("_")
            or func.name.startswith("__")
            or func in self.analysis.regions.referenced
        ):
            return {}
        sites = [site for site in self.analysis.regions.call_sites if site.callee is func]
        if not sites or any(site.implicit or not isinstance(site.call, cst.Call) for site in sites):
            return {}
        params = [*node.params.posonly_params, *node.params.params]
        bound = 1 if func.self_name is not None else 0
        found: dict[str, bool] = {}
        for index, param in enumerate(params):
            if index < bound:
                continue
            values = {
                _truth(_argument(site.call, param.name.value, index - bound, param.default))
                for site in sites
                if isinstance(site.call, cst.Call)
            }
            if len(values) == 1 and None not in values:
                found[param.name.value] = bool(values.pop())
        return found


def _argument(
    call: cst.Call, name: str, position: int, default: cst.BaseExpression | None
) -> cst.BaseExpression | None:
    """The expression a call passes for a parameter (its default when it passes none);
    ``None`` when ``*args``/``**kwargs`` hide it."""
    positional = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if positional == position:
                return arg.value
            positional += 1
        elif arg.keyword.value == name:
            return arg.value
    return default


def _truth(value: cst.BaseExpression | None) -> bool | None:
    """The truth value of a constant (``True``, ``None``, ``0``, ``"x"``), else ``None``."""
    if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
        return value.value == "True"
    if isinstance(value, (cst.Integer, cst.Float)):
        return value.evaluated_value != 0
    if isinstance(value, cst.SimpleString):
        return bool(value.evaluated_value)
    return None


_ADDING = frozenset({"append", "appendleft", "extend", "extendleft", "insert", "add", "put"})
_REMOVING = frozenset({"pop", "popleft", "popitem", "remove", "discard", "get"})


def _creates_under_lock_untested(item: CheckThenAct) -> bool:
    """``if _client is None:`` whose whole body is ``with _lock: _client = make()``, with no
    second test under the lock: the lock taken for the creation says the author expects
    several threads, and two that both pass the test each make an object, the second
    replacing the first (huggingface-hub's ``get_session()``, fixed in 1.32.0). On by
    default, unlike the other tests outside the lock of the act (a local decided under
    the lock, a shortcut whose locked step recomputes, a constant written twice)."""
    test = item.test_node
    write = item.write.node
    if not isinstance(test, cst.If) or item.early or item.rechecked or test.orelse is not None:
        return False
    if item.write.func is not item.func or not _acts_only_on_none(item):
        return False
    body = statements_of(test.body)
    if len(body) != 1 or not isinstance(body[0], cst.With):
        return False
    if not isinstance(write, cst.Assign) or not isinstance(write.value, cst.Call):
        return False
    return any(
        isinstance(statement, cst.SimpleStatementLine) and write in statement.body
        for statement in statements_of(body[0].body)
    )


def _new_thread_handle(analysis: ModuleAnalysis, item: CheckThenAct) -> cst.Call | None:
    """The thread start whose handle the act stores (``self._thread = Thread(...)``),
    when the test lets the act run only while the handle is None."""
    node = item.write.node
    if not isinstance(node, cst.Assign) or not isinstance(node.value, cst.Call):
        return None
    if node.value not in {start.call for start in analysis.thread_starts}:
        return None
    return node.value if _acts_only_on_none(item) else None


def _acts_only_on_none(item: CheckThenAct) -> bool:
    """``if self.x is not None: return`` / ``if self.x: return`` before the act, or the
    act in the body of ``if self.x is None:`` / ``if not self.x:``."""
    test = item.test_node.test
    if item.early:
        return _tests_key(test, item, is_none=False)
    if not isinstance(item.test_node, cst.If):
        return False
    return contains(item.test_node.body, item.write.node) and _tests_key(test, item, is_none=True)


def _tests_key(test: cst.BaseExpression, item: CheckThenAct, is_none: bool) -> bool:
    """Is ``test`` "the state is None" (``is_none``) or "it is set", and nothing else?"""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _tests_key(test.expression, item, not is_none)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        is_not = isinstance(target.operator, cst.IsNot)
        if not (is_not or isinstance(target.operator, cst.Is)):
            return False
        if not (isinstance(target.comparator, cst.Name) and target.comparator.value == "None"):
            return False
        return _names_key(test.left, item) and is_not != is_none
    return not is_none and _names_key(test, item)


def _names_key(node: cst.BaseExpression, item: CheckThenAct) -> bool:
    if isinstance(node, cst.Name):  # a global or a closure's variable
        return item.key[0] != "attr" and node.value == item.key[-1]
    return isinstance(node, cst.Attribute) and node.attr.value == item.key[-1]


def _clears_own_handle(analysis: ModuleAnalysis, write: Access, started: cst.Call) -> bool:
    """Is ``write`` a ``None`` store made on the thread that ``started`` starts?"""
    return _sets_none(write) and any(
        entry.node is started for entry in analysis.reach.entries.get(write.func, ())
    )


def _method_of(access: Access) -> str | None:
    node = access.node
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value
    return None


def _adds(access: Access) -> bool:
    return _method_of(access) in _ADDING


def _removes(access: Access) -> bool:
    return _method_of(access) in _REMOVING


def _sets_none(access: Access) -> bool:
    """``x = None`` or ``del x``; not ``del x[k]``, which only removes a key."""
    node = access.node
    if isinstance(node, cst.Del):
        return not isinstance(node.target, cst.Subscript)
    return (
        isinstance(node, (cst.Assign, cst.AnnAssign))
        and isinstance(node.value, cst.Name)
        and node.value.value == "None"
    )


#: methods that take items out of a container (``pop(0)``, ``popleft()``, ``clear()``)
_REMOVING = frozenset({"pop", "popleft", "popitem", "remove", "clear"})


def _empties(access: Access) -> bool:
    """Can ``access`` leave its container with fewer items (``self.queue.pop(0)``, ``del
    self.queue[0]``, ``self.queue = []``), so that taking an item by position fails?"""
    node = access.node
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in _REMOVING
    if isinstance(node, cst.Del):
        return isinstance(node.target, cst.Subscript)
    if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
        value = node.value
        if isinstance(value, (cst.List, cst.Tuple)):
            return not value.elements
        return (
            isinstance(value, cst.Call)
            and not value.args
            and final_name(value.func) in _EMPTY_CONTAINERS
        )
    return False


#: constructors whose call with no arguments makes an empty container
_EMPTY_CONTAINERS = frozenset({"list", "deque", "dict", "set", "OrderedDict"})


#: handlers around a use that catch the AttributeError of a None the other thread stored
#: (a broad one only when it does not raise again: bench/validation_seen_4 own-thread
#: review, a keep-alive loop whose ``except Exception`` ends the thread close() stops)
_ANTICIPATED = frozenset({"AttributeError", "Exception", "BaseException"})


def _check_then_use(
    analysis: ModuleAnalysis,
    writes: dict[SymbolKey, list[Access]],
    reported: set[tuple[object, SymbolKey]],
    dead: _DeadGuards,
) -> Iterator[Finding]:
    """``if self.sock: self.sock.close()`` while another thread sets ``self.sock = None``
    (not again where the same test was reported as a check-then-act)."""
    for use in analysis.regions.check_then_use:
        slot = (use.test_node, use.key)
        if slot in reported or dead.never_passes(use.test_node, use.func):
            continue
        if use.caught & _ANTICIPATED:
            continue  # the code anticipates the state turning None: the use raises, caught
        if any(
            w.func is use.func and use.test_order < w.order < use.order
            for w in writes.get(use.key, ())
        ):
            continue  # the use reads what its own function stored after the test
        clears = [
            w for w in writes.get(use.key, ()) if _sets_none(w) or (use.by_position and _empties(w))
        ]
        if not clears:
            continue
        held = State(held=use.state.held & use.test_state.held)
        per_instance = any(w.per_instance for w in clears)
        # an item taken by position fails on the reading thread whenever another empties
        # the container, even one that also runs the reading code (any_pair)
        why = analysis.conflicts.first(
            use.key, use.func, held, per_instance, clears, use.order, any_pair=use.by_position
        )
        if not why:
            why = _stopped_by_user(analysis, use, held, per_instance, clears)
        if not why:
            continue
        reported.add(slot)
        nones = any(_sets_none(w) for w in clears)
        empties = use.by_position and any(_empties(w) for w in clears)
        change = "set it to None" if nones else ""
        if empties:
            change = f"{change} or empty it" if nones else "empty it (then the index raises)"
        yield Finding(
            use.use,
            f"check-then-use of {describe(use.key)} without a lock: it is tested at line "
            f"{analysis.line_of(use.test_node)} and used here, but another thread can "
            f"{change} in between; {why}",
        )


def _stopped_by_user(
    analysis: ModuleAnalysis,
    use: CheckThenUse,
    held: State,
    per_instance: bool,
    clears: list[Access],
) -> str | None:
    """Why a store of None that ``use``'s own function sets off can come in its window:
    the class's own thread clearing its handle as the user stops it, or a public loop
    its caller's thread runs, which the user's flag store stops (both on by default)."""
    stopped = [w for w in clears if cleared_as_stopped(analysis, w, use.func, use.order)]
    if stopped:
        why = analysis.conflicts.first(
            use.key, use.func, held, per_instance, stopped, use.order, own_thread=True
        )
        if why:
            return why
    mine = guards(analysis, use.func, held)
    for write in clears:
        if not mine & guards(analysis, write.func, write.state):
            why = stopped_loop(analysis, write, use.func, use.order)
            if why:
                return why
    return None


class InconsistentLocking(Rule):
    """Flags shared state written under a lock in one place and without it in another.

    **What it does**

    Infers which lock guards a global or attribute (the lock held at most of the writes
    made under a lock, seen at least twice or taken right at the write), and flags
    rebinding or read-modify-write of the same state that does not hold it. Not counted
    either way: set-up code (``__init__`` and helpers only it calls, after-fork hooks),
    writes made before the function starts its threads, platform-specific alternative
    definitions, and ``async def`` code (one event loop's thread). Not flagged: a lone
    atomic container operation left outside the lock (``pending.append(x)``, ``d[k] = v``:
    atomic per the CPython FAQ), a one-way boolean flag and a timestamp
    (``self._stop = True``, ``self.last = time.time()``): last writer wins, harmlessly. Set-up code
    (module top level, ``__init__``) is exempt: no other thread sees the object yet.

    **Opt-in**

    Off by default: select it with ``--select TS104``. Inferring a guard from the code
    alone cannot see protocols that make an unlocked write safe (a write only a forked
    child makes, state only one thread writes while a lock guards other data, a lock
    implementation's own owner check). On 14 thread-heavy packages and the standard
    library a strict review found 12 true, 10 false and 8 debatable findings in a sample
    of 30 (55% precision), below the 80% a default-on rule needs (bench/triage.md).

    **Why is this bad**

    A lock protects only if every writer takes it. The unlocked write races with the
    locked ones, and the lock gives a false sense of safety.

    **Example**

    ```python
    import threading

    class Account:
        def __init__(self):
            self._lock = threading.Lock()
            self.balance = 0

        def deposit(self, amount):
            with self._lock:
                self.balance += amount

        def reset(self):
            self.balance = 0          # not under self._lock
    ```

    **Use instead**

    ```python
    import threading

    class Account:
        def __init__(self):
            self._lock = threading.Lock()
            self.balance = 0

        def deposit(self, amount):
            with self._lock:
                self.balance += amount

        def reset(self):
            with self._lock:
                self.balance = 0
    ```

    **Fix**

    None: the inferred guard may be the wrong lock; taking it here needs a human.

    **References**

    The talk's "Lock" slides; RacerD and Error Prone's ``@GuardedBy`` infer the same.
    """

    code = "TS104"
    name = "inconsistent-locking"
    summary = "shared state written under a lock elsewhere is written here without it"
    default_enabled = False

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        locked: dict[SymbolKey, list[tuple[frozenset[SymbolKey], Access, bool]]] = {}
        for access in analysis.regions.writes:
            if _outside_discipline(analysis, access):
                continue
            held = _mutexes(analysis, analysis.held_at(access.func, access.state))
            if held:
                direct = bool(_mutexes(analysis, access.state.held))
                locked.setdefault(access.key, []).append((held, access, direct))
        for access in analysis.regions.writes:
            if access.key not in locked or _outside_discipline(analysis, access):
                continue
            if access.kind is WriteKind.MUTATE or access.func.is_async:
                continue  # one atomic container operation; or one event loop's thread
            if _another_class_object(analysis, access):
                continue  # that class's own protocol may order it (zipfile's writer)
            if _benign_store(analysis, access):
                continue
            guards, witness, strong = _guards(locked[access.key])
            held = analysis.held_at(access.func, access.state)
            if not strong or held & guards or any(key[0] == "unknown" for key in held):
                continue
            lock_names = " or ".join(sorted(f"'{display_name(k)}'" for k in guards))
            line = analysis.line_of(witness.node)
            yield Finding(
                access.node,
                f"{describe(access.key)} is written under {lock_names} elsewhere (line "
                f"{line}) but here without it",
            )


def _outside_discipline(analysis: ModuleAnalysis, access: Access) -> bool:
    """Writes that say nothing about the locking discipline: set-up code, one of several
    platform-specific definitions, a write made before the function starts its threads
    (itself or in a helper it calls first), and state that guards itself (locks, queues,
    ``threading.local``)."""
    if access.func in analysis.setup_functions or access.func.variant:
        return True
    if access.func in analysis.before_thread_starts:
        return True
    if not analysis.sharing.is_tracked(access.key):
        return True
    first_start = analysis.first_thread_start.get(access.func)
    return first_start is not None and access.order < first_start


#: Stores whose last-writer-wins race is harmless: a timestamp, a one-way flag.
_CLOCKS = frozenset(
    {"time.time", "time.monotonic", "time.perf_counter", "time.time_ns", "time.monotonic_ns"}
)


def _another_class_object(analysis: ModuleAnalysis, access: Access) -> bool:
    """A write of an unrelated class's attribute from a method, on an object reached
    through an attribute (``self._zipfile.start_dir = ...`` in ``_ZipWriteFile``, typed
    by ``attribute_classes.py``) or a local (``info.rc = rc`` on a message just made):
    the lock is that class's discipline, not the writer's."""
    key, cls = access.key, access.func.cls
    if key[0] != "attr" or cls is None:
        return False
    structure = analysis.structure
    owner = structure.classes.get(key[1])
    if owner is None:
        return False
    related = {c.qualname for c in structure.class_bases(cls)}
    return owner.qualname not in related and cls.qualname not in {
        c.qualname for c in structure.class_bases(owner)
    }


def _benign_store(analysis: ModuleAnalysis, access: Access) -> bool:
    node = access.node
    if access.kind is not WriteKind.REBIND or not isinstance(node, (cst.Assign, cst.AnnAssign)):
        return False
    value = node.value
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return True
    return isinstance(value, cst.Call) and (
        analysis.structure.qualified_name(value.func, access.func) in _CLOCKS
    )


def _guards(
    locked: list[tuple[frozenset[SymbolKey], Access, bool]],
) -> tuple[frozenset[SymbolKey], Access, bool]:
    """The lock(s) held at most of the locked writes (the inferred guard), a witness, and
    whether the evidence is strong: two writes under it, or one taken right there (not
    only inherited from every caller of a helper)."""
    counts: dict[SymbolKey, int] = {}
    for held, _, _ in locked:
        for key in held:
            counts[key] = counts.get(key, 0) + 1
    best = max(counts.values())
    guards = frozenset(key for key, count in counts.items() if count == best)
    witness = next(access for held, access, _ in locked if held & guards)
    direct = any(is_direct for held, _, is_direct in locked if held & guards)
    return guards, witness, best >= 2 or direct


#: Container methods that add or remove keys of a dict or set (a list's ``append`` does
#: not make a running iteration raise).
_KEY_CHANGING = frozenset(
    {
        "pop",
        "popitem",
        "setdefault",
        "update",
        "add",
        "discard",
        "remove",
        "clear",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)
_DICT_OR_SET_FACTORIES = frozenset(
    {
        "dict",
        "set",
        "defaultdict",
        "OrderedDict",
        "Counter",
        "WeakSet",
        "WeakValueDictionary",
        "WeakKeyDictionary",
    }
)
_SEQUENCE_FACTORIES = frozenset({"list", "deque", "tuple", "array"})
#: Containers whose copy (``list(d.values())``, ``d.copy()``) iterates in Python: a
#: concurrent change of their keys makes the copy raise.
_WEAK_FACTORIES = frozenset({"WeakValueDictionary", "WeakKeyDictionary", "WeakSet"})


def _bound_values(writes: list[Access]) -> Iterator[cst.BaseExpression]:
    """The values the state is bound to (``x = <value>``, ``x: T = <value>``), in order."""
    for access in writes:
        node = access.node
        if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
            yield node.value


def _values_and_scopes(
    writes: list[Access], analysis: ModuleAnalysis
) -> Iterator[tuple[cst.BaseExpression, FunctionInfo]]:
    """The values the state itself is bound to (not an item stored into it: ``d[k] =
    Item()``), each with the function that binds it; for a global, its bindings at the
    module's top level too (``rooms = ThreadSafeDict()``), which are not writes of a
    function."""
    for access in writes:
        node = access.node
        if not isinstance(node, (cst.Assign, cst.AnnAssign)) or node.value is None:
            continue
        targets = (
            [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        )
        if not any(isinstance(target, cst.Subscript) for target in targets):
            yield node.value, access.func  # the state itself, not an item stored in it
    if writes and writes[0].key[0] == "global":
        module = analysis.structure.module_scope
        for value in module_level_values(analysis.module, writes[0].key[-1]):
            yield value, module


def _weak(writes: list[Access]) -> str | None:
    """The weak container the state is bound to (``WeakValueDictionary``), if any."""
    for value in _bound_values(writes):
        if isinstance(value, cst.Call):
            name = final_name(value.func)
            if name in _WEAK_FACTORIES:
                return name
    return None


def _inherited_writes(
    key: SymbolKey, writes: dict[SymbolKey, list[Access]], analysis: ModuleAnalysis
) -> list[Access]:
    """The writes of the same attribute by the methods of the class's bases in the module
    (``self.status = [...]`` in a base's ``init_status``): they bind it on the same
    objects, so they say what container it is."""
    if len(key) != 3 or key[0] != "attr":
        return []
    cls = analysis.structure.classes.get(key[1])
    if cls is None:
        return []
    found: list[Access] = []
    for base in analysis.structure.class_bases(cls):
        if base is not cls:
            found += writes.get(("attr", base.qualname, key[2]), [])
    return found


def _container(writes: list[Access], analysis: ModuleAnalysis) -> str | None:
    """``"mapping"`` (dict or set), ``"sequence"``, ``"object"`` (of one of the project's
    own classes whose iteration hands out copies: ``own_classes``) or ``None``
    (unknown), from the values the state is bound to."""
    copying = analysis.context.copying_classes
    if any(
        own_class_instance(value, func, analysis.structure, analysis.name, copying)
        for value, func in _values_and_scopes(writes, analysis)
    ):
        return "object"
    for value in _bound_values(writes):
        if isinstance(value, (cst.Dict, cst.Set, cst.DictComp, cst.SetComp)):
            return "mapping"
        if isinstance(value, (cst.List, cst.Tuple, cst.ListComp)):
            return "sequence"
        if _repeated_sequence(value):
            return "sequence"  # ``[0] * MAX_SLOTS``: a fixed-size list of slots
        if isinstance(value, cst.Call):
            name = final_name(value.func)
            if name in _DICT_OR_SET_FACTORIES:
                return "mapping"
            if name in _SEQUENCE_FACTORIES:
                return "sequence"
    if _annotated_copying(writes, analysis):
        return "object"  # ``self._state: StateBackend = state or MemoryState()``
    for access in writes:
        node = access.node
        if isinstance(node, cst.AnnAssign) and not isinstance(node.target, cst.Subscript):
            kind = _annotated(node.annotation.annotation)
            if kind is not None:
                return kind  # ``self.slots: list[bool] = make_slots()``
    for value, func in _values_and_scopes(writes, analysis):
        kind = _parameter_annotation(value, func)
        if kind is not None:
            return kind  # ``def __init__(self, bitmap: List[bool]): self.bitmap = bitmap``
    if any(_sequence_only(access.node) for access in writes):
        return "sequence"  # ``x.insert(0, v)``, ``del x[5:]``: no dict or set does that
    return None


def _annotated_copying(writes: list[Access], analysis: ModuleAnalysis) -> bool:
    """Is the state annotated, in a binding of a function, with one of the project's own
    classes whose iteration hands out copies (``self._state: StateBackend = ...``), while
    no value it is bound to (either branch of ``a if c else b``, each operand of ``a or
    b``) is a call other than a construction of such a class (``DictState()``,
    ``make_state()``) or a display (``{}``): what the code builds beats what the
    annotation promises for every subclass."""
    copying = analysis.context.copying_classes
    structure, name = analysis.structure, analysis.name
    if not any(
        isinstance(access.node, cst.AnnAssign)
        and not isinstance(access.node.target, cst.Subscript)
        and own_class_annotation(
            access.node.annotation.annotation, access.func, structure, name, copying
        )
        for access in writes
    ):
        return False
    for value, func in _values_and_scopes(writes, analysis):
        for built in alternatives(value):
            if isinstance(built, _DISPLAYS):
                return False
            if isinstance(built, cst.Call) and not own_class_instance(
                built, func, structure, name, copying
            ):
                return False
    return True


#: Displays and comprehensions: a container the code builds itself.
_DISPLAYS = (cst.Dict, cst.Set, cst.DictComp, cst.SetComp, cst.List, cst.ListComp, cst.Tuple)


#: Annotations that say a list or tuple, or a dict or set (``List[bool]``, ``dict[str,
#: int]``, ``typing.Mapping[...]``), by their final name.
_SEQUENCE_ANNOTATIONS = frozenset({"list", "List", "Sequence", "MutableSequence", "tuple", "Tuple"})
_MAPPING_ANNOTATIONS = frozenset(
    {
        "dict",
        "Dict",
        "Mapping",
        "MutableMapping",
        "DefaultDict",
        "OrderedDict",
        "set",
        "Set",
        "MutableSet",
        "frozenset",
        "FrozenSet",
    }
)


def _annotated(annotation: cst.BaseExpression) -> str | None:
    """``"sequence"`` or ``"mapping"`` for an annotation naming a list or a dict (set)."""
    if isinstance(annotation, cst.Subscript):
        annotation = annotation.value
    name = final_name(annotation)
    if name in _SEQUENCE_ANNOTATIONS:
        return "sequence"
    if name in _MAPPING_ANNOTATIONS:
        return "mapping"
    return None


def _parameter_annotation(value: cst.BaseExpression, func: FunctionInfo) -> str | None:
    """The container kind of the annotation of the parameter ``value`` names, when the
    function does not rebind it (fiume's ``initial_bitmap: List[bool]`` stored as
    ``self.my_bitmap``, whose slots other threads replace: thirty-ninth set, three TS105
    judged false)."""
    if not isinstance(value, cst.Name) or value.value in func.assigned:
        return None
    annotation = parameter_annotation(value.value, func)
    return _annotated(annotation) if annotation is not None else None


#: Methods of a list or deque that a dict or set does not have.
_SEQUENCE_METHODS = frozenset({"insert", "append", "appendleft", "extend", "sort", "reverse"})


def _sequence_only(node: cst.CSTNode) -> bool:
    """A write only a list (or deque) takes: one of its own methods, or a slice deleted."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value in _SEQUENCE_METHODS
    if isinstance(node, cst.Del) and isinstance(node.target, cst.Subscript):
        return any(isinstance(element.slice, cst.Slice) for element in node.target.slice)
    return False


def _repeated_sequence(value: cst.BaseExpression) -> bool:
    """``[0] * n`` or ``n * [None]``: a list (or tuple) repeated."""
    return (
        isinstance(value, cst.BinaryOperation)
        and isinstance(value.operator, cst.Multiply)
        and (
            isinstance(value.left, (cst.List, cst.Tuple))
            or isinstance(value.right, (cst.List, cst.Tuple))
        )
    )


#: What makes a deque's iterator raise: any call that adds, removes or rotates items
#: (CPython counts them in the deque's ``state``); replacing one in place (``d[i] = v``)
#: or ``reverse()`` does not.
_DEQUE_RESIZING = frozenset(
    {"append", "appendleft", "extend", "extendleft", "pop", "popleft", "clear", "remove",
     "insert", "rotate"}
)  # fmt: skip


def _bound_to_deque(writes: list[Access], analysis: ModuleAnalysis) -> bool:
    """Is the state bound to ``deque(...)`` (``collections.deque``), in a function or, for
    a global, at the module's top level, and to nothing else?"""
    bound = list(_values_and_scopes(writes, analysis))
    return bool(bound) and all(
        isinstance(value, cst.Call)
        and analysis.structure.qualified_name(value.func, scope) == "collections.deque"
        for value, scope in bound
    )


def _resizes_deque(access: Access) -> bool:
    """Would this write make an iterator of a deque raise (``d.append(x)``, ``del
    d[0]``)?"""
    node = access.node
    if isinstance(node, cst.AugAssign):  # ``d += items``, ``d *= 2``: extended in place
        return isinstance(node.operator, (cst.AddAssign, cst.MultiplyAssign))
    if access.kind is not WriteKind.MUTATE:
        return False
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in _DEQUE_RESIZING
    return isinstance(node, cst.Del)


def _changes_keys(access: Access, analysis: ModuleAnalysis) -> bool:
    """Does this write add or remove keys (``d[k] = v``, ``del d[k]``, ``s.add(x)``)?"""
    node = access.node
    if access.kind is not WriteKind.MUTATE:
        return False
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in _KEY_CHANGING
    if isinstance(node, cst.Assign):
        return not _replaces_value(node, access) and not _key_it_was_handed(node, access, analysis)
    return isinstance(node, cst.Del)


def _key_it_was_handed(node: cst.Assign, access: Access, analysis: ModuleAnalysis) -> bool:
    """``d[k] = v`` in a function that every thread start and every call hands, for ``k``,
    a key of a loop over ``d`` itself (``for path, items in d.items(): pool.submit(
    self._query, path, items)``): the key is there, so the store replaces a value and the
    size does not change (superannotate's query pool, fiftieth set: TS105 judged false)."""
    if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Subscript):
        return False
    store = node.targets[0].target
    if len(store.slice) != 1 or not isinstance(store.slice[0].slice, cst.Index):
        return False
    key = store.slice[0].slice.value
    func = access.func
    if not isinstance(key, cst.Name) or key.value not in func.params or key.value in func.assigned:
        return False
    position = func.params.index(key.value) - (1 if func.self_name is not None else 0)
    handed: list[tuple[cst.BaseExpression | None, cst.CSTNode, FunctionInfo]] = []
    for start in analysis.thread_starts:
        if start.target is None or analysis.resolve_function(start.target, start.func) is not func:
            continue
        if start.how != "submit":
            return False  # a map's items, a Thread's args: keys not followed here
        handed.append((argument(start.call, position + 1, key.value), start.call, start.func))
    for site in analysis.regions.call_sites:
        if site.callee is func:
            if site.implicit or not isinstance(site.call, cst.Call):
                return False
            handed.append((argument(site.call, position, key.value), site.call, site.func))
    return bool(handed) and all(
        isinstance(value, cst.Name)
        and _loops_over_keys(value.value, call, caller, access, analysis)
        for value, call, caller in handed
    )


def _loops_over_keys(
    name: str, call: cst.CSTNode, caller: FunctionInfo, access: Access, analysis: ModuleAnalysis
) -> bool:
    """Is ``name`` the key a ``for`` loop around ``call`` takes from the written dict
    (``for name in d``, ``for name in d.keys()``, ``for name, v in d.items()``)?"""
    node = analysis.parent_of(call)
    while node is not None and not isinstance(node, (cst.FunctionDef, cst.Module)):
        if isinstance(node, cst.For):
            source = node.iter
            pairs = False
            if (
                isinstance(source, cst.Call)
                and isinstance(source.func, cst.Attribute)
                and source.func.attr.value in ("keys", "items")
                and not source.args
            ):
                pairs = source.func.attr.value == "items"
                source = source.func.value
            target: cst.BaseExpression = node.target
            if pairs and isinstance(target, cst.Tuple) and target.elements:
                target = target.elements[0].value
            iterated = shared_key(source, caller, analysis.symbols, for_write=False)
            return isinstance(target, cst.Name) and target.value == name and iterated == access.key
        node = analysis.parent_of(node)
    return False


def _replaces_value(node: cst.Assign, access: Access) -> bool:
    """``d[k] = v`` right after a statement of the same block that reads ``d[k]`` (``w =
    d[k]``, which raises ``KeyError`` when the key is missing): the key is there, so the
    store replaces its value and the size does not change (blacs's ``worker, _, _ =
    self.workers[name]`` then ``self.workers[name] = (worker, ...)``). A read under a
    test (``if k in d: return d[k]``) proves nothing about the path that stores."""
    if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Subscript):
        return False
    store = node.targets[0].target
    for suite in walk(access.func.node, NOT_RUN):
        if not isinstance(suite, (cst.IndentedBlock, cst.Module)):
            continue
        for index, statement in enumerate(suite.body):
            if not (isinstance(statement, cst.SimpleStatementLine) and node in statement.body):
                continue
            return any(_reads_item(earlier, store) for earlier in suite.body[:index]) or any(
                _reads_item_small(small, store)
                for small in statement.body[: statement.body.index(node)]
            )
    return False


def _reads_item(statement: cst.BaseStatement, store: cst.Subscript) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        _reads_item_small(small, store) for small in statement.body
    )


def _reads_item_small(small: cst.BaseSmallStatement, store: cst.Subscript) -> bool:
    """``w = d[k]`` (or ``a, b = d[k]``): a plain read of the same item."""
    return (
        isinstance(small, cst.Assign)
        and isinstance(small.value, cst.Subscript)
        and small.value.value.deep_equals(store.value)
        and len(small.value.slice) == len(store.slice) == 1
        and small.value.slice[0].deep_equals(store.slice[0])
    )


class IterationDuringMutation(Rule):
    """Flags iterating a shared dict, set or deque while another thread can add or remove
    keys or items.

    **What it does**

    Finds a Python-level iteration over a global or attribute that holds a dict or a set
    (``for k in self._d``, ``for v in self._d.values()``, a comprehension over it,
    ``reduce(f, self._d.values())``; for a ``weakref.WeakValueDictionary``,
    ``WeakKeyDictionary`` or ``WeakSet``, also a copy, ``list(self._d.values())`` or
    ``self._d.copy()``, which iterates in Python) when code that can run on another thread at the
    same time adds or removes keys of it (``d[k] = v``, ``del d[k]``, ``pop``,
    ``setdefault``, ``update``, ``add``, ``discard``, ``clear``) with no common lock
    held. Which code runs on which thread is decided as for TS102 (thread starts and a
    ``# tsafe: shared`` marker by default; the opt-in kinds of ``docs/evidence.md``
    with ``extend-evidence``); the evidence is named in the message. A list that is only appended
    to is not reported: its iteration does not raise; nor is one known as a list by a
    write only a list or a deque takes (``insert``, ``append``, ``extend``, ``sort``,
    ``del x[5:]``), whatever else changes it, or by an annotation (``self.x: list[int] =
    ...``, or a parameter annotated ``List[bool]`` that it is bound from and that the
    function does not rebind). Nor is an iteration in the body of a
    ``try`` whose handler names ``RuntimeError``: the code expects the changed size and
    handles it. Nor is a list of slots made as
    ``[0] * n`` whose slots are replaced (``self.slots[i] = x``): it never changes size
    (bound in its class or in a base class of the module).
    Nor is a store that replaces the value of a key the function has just read (``w =
    d[k]`` then ``d[k] = (w, ...)`` in the same block): the size does not change. Nor is
    an object of one of the project's own classes whose iteration methods (``__iter__``,
    ``keys``, ``values``, ``items``, those it defines) all return a copy (``rooms =
    ThreadSafeDict()`` whose ``items()`` returns ``list(self._dict.items())`` taken under
    its lock), in the module or in another module of the package (the project join
    says); a stub that subclasses fill in counts when its annotation promises a list or a
    tuple (``def keys(self) -> list[str]: ...``), and so does ``iter(self.keys())`` of
    such a ``keys``, in a class whose bases are the module's own or mark an interface
    (``ABC``, ``Protocol``). The object is known by its construction or by the annotation of a
    binding in a function (``self._state: StateBackend = state or MemoryState()``,
    ``Optional`` or ``| None`` aside) when every value bound to it is a name, an attribute or
    a construction of such a class (not ``DictState()``, ``make_state()`` or ``{}``, in any
    branch): the annotation's promise is then taken on trust for whatever object a caller
    passes. A wrapper whose ``__iter__`` returns its dict's
    iterator, or a ``dict`` subclass, still walks a live dict. A copy taken under the lock
    (``for k in list(self._d)`` inside ``with self._lock:``) is the fix.

    A thread that both iterates and adds keys still races with a second thread that
    iterates: when the iterating code runs on two threads and one of them also runs the
    writer (zeroconf's engine thread reads the cache and adds to it while the reaper
    thread walks it), it is reported. The other shared-state rules do not count that
    pair: for them a writer's thread must run none of the reader's code. Counting the
    pair there added 17 findings on the tuning corpus and the fifth and sixth validation
    sets, mostly of the kinds reviewers judged debatable; for iteration it added none on
    the corpus and all six validation sets, and finds the zeroconf bug (bench/bugs).

    **Why is this bad**

    A dict or set that changes size while a ``for`` loop walks it makes the loop raise
    ``RuntimeError: dictionary changed size during iteration`` (or "Set changed size"),
    on whichever thread was iterating: a reaper, a flusher or a request thread dies.

    **Example**

    ```python
    from concurrent.futures import ThreadPoolExecutor

    registry = {}

    def register(key, value):
        registry[key] = value

    def report():
        for key, value in registry.items():     # RuntimeError when register() runs now
            print(key, value)

    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(register, i, i) for i in range(10)]
        futures.append(pool.submit(report))
    ```

    **Use instead**

    ```python
    import threading
    from concurrent.futures import ThreadPoolExecutor

    registry = {}
    registry_lock = threading.Lock()

    def register(key, value):
        with registry_lock:
            registry[key] = value

    def report():
        with registry_lock:
            items = list(registry.items())      # a copy taken under the lock
        for key, value in items:
            print(key, value)

    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(register, i, i) for i in range(10)]
        futures.append(pool.submit(report))
    ```

    A class that starts its own thread (a reaper iterating ``self._items`` while users
    register, or users iterating while the thread adds keys) is the same race, and this
    rule reports it by default: the ``own-thread`` evidence, opt-in for the other
    shared-state rules, was right for this rule on every unseen validation set where a
    strict reviewer judged it (6 true, 0 false, 2 debatable of the 8 judged on the sixth,
    seventh and ninth sets; on the tenth to twelfth, reviewed after this was decided, 4
    true, 6 false, 1 debatable: 62% in all, docs/evidence.md). An iteration after the
    thread is joined stays clean.

    A container keyed by the current thread's identity (``d[threading.get_ident()] = v``,
    ``d.get(me)``, ``del d[me]``, or a helper method that returns the identity) is
    evidence on its own: it exists so that several threads can each keep their own
    entry, so the writes that add and remove keys run on several threads. Iterating over
    it is reported with no thread start in sight; a copy of a plain dict (one C call),
    and iterations under the lock every writer takes, stay clean.

    Only a keyed store or lookup is that evidence: a membership test
    (``if threading.current_thread() in _workers``) works on any collection, such as
    a list of a pool's threads that one set-up thread fills and empties, and proves
    nothing about who changes it.

    A deque raises too (``RuntimeError: deque mutated during iteration``), on any add,
    removal or rotation (``append``, ``popleft``, ``extend``, ``+=``, ``clear``,
    ``rotate``, ``del d[i]``, ...), not only of keys: a latency window that request
    threads append to and another walks in Python (``for v in self._window``, ``max(v for
    v in self._window)``) is reported when the state is bound to ``collections.deque(...)``
    and to nothing else. Replacing an item in place (``d[i] = v``) does not make it
    raise, and a copy by ``list(d)`` is one C call. Not seen: a library function that
    walks it in Python (``statistics.mean(d)``), and a deque made by a dataclass field's
    ``default_factory``.

    A loop whose body always leaves on its first pass (its last statement a ``return``,
    ``break`` or ``raise``, no ``continue`` in it: ``for s in d.values(): return s``)
    takes one item, one step of the iterator, and walks nothing: it is not reported.

    **Fix**

    None: where the copy is taken and which lock guards the mutations is a design
    choice.

    **References**

    Python docs, "Mapping types: dict" (changing a dict while iterating it raises
    ``RuntimeError``); the CPython FAQ on which operations are atomic.
    """

    code = "TS105"
    name = "iteration-during-mutation"
    summary = "iteration of a shared dict, set or deque while another thread adds or removes keys"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        writes = _writes_by_key(analysis)
        for item in analysis.regions.iterations:
            key_writes = writes.get(item.key, [])
            changes = [w for w in key_writes if _changes_keys(w, analysis)]
            resizes = [w for w in key_writes if _resizes_deque(w)]
            if not changes and not resizes:
                continue
            bindings = key_writes + _inherited_writes(item.key, writes, analysis)
            weak = _weak(bindings)
            if item.copy and weak is None:
                continue  # a builtin's copy of a dict, set or deque is atomic
            if in_try_catching(item.node, "RuntimeError", analysis.parent_of):
                continue  # ``try: ... except RuntimeError:``: the race is anticipated
            container = "deque" if _bound_to_deque(bindings, analysis) else None
            container = container or _container(bindings, analysis)
            if container == "deque":
                # any add or removal, ``append`` too, makes a deque's iterator raise
                changes = resizes
            if container in ("sequence", "object") or not changes:
                continue
            if (
                container is None
                and not any(
                    isinstance(w.node, cst.Call)
                    and isinstance(w.node.func, cst.Attribute)
                    and w.node.func.attr.value in ("add", "discard", "setdefault", "popitem")
                    for w in changes
                )
                and not any(isinstance(w.node, (cst.Assign, cst.Del)) for w in changes)
            ):
                continue
            per_instance = any(w.per_instance for w in changes)
            why = analysis.conflicts.first(
                item.key,
                item.func,
                item.state,
                per_instance,
                changes,
                item.order,
                any_pair=True,
                own_thread=True,
            ) or analysis.conflicts.thread_keyed(item.key, item.func, item.state, changes)
            if not why:
                continue
            what = (
                f"copying {describe(item.key)}, a '{weak}' whose copy iterates in Python,"
                if item.copy
                else f"iteration over {describe(item.key)}"
            )
            if container == "deque":
                yield Finding(
                    item.node,
                    f"{what}, a deque, while another thread can add or remove items raises "
                    f"'RuntimeError: deque mutated during iteration'; {why}; "
                    "iterate over a copy (list(...)) taken under a lock",
                )
                continue
            yield Finding(
                item.node,
                f"{what} while another thread can add or remove keys raises "
                f"'RuntimeError: ... changed size during iteration'; {why}; "
                "iterate over a copy taken under a lock",
            )


RULES: list[type[Rule]] = [
    GlobalWriteInThread,
    UnlockedReadModifyWrite,
    UnlockedCheckThenAct,
    InconsistentLocking,
    IterationDuringMutation,
]
