"""Where threads are started: the calls that hand a callable to another thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis.constructions import built_here
from tsafe_lint.analysis.entry_points import (
    CALLBACK_FUNCTIONS,
    FUTURE_CALLBACKS,
    keeps_its_object_alive,
    many_callbacks,
)
from tsafe_lint.analysis.events import AnyCall, Regions
from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.names import looks_like_setup
from tsafe_lint.analysis.qt_workers import worker_starts
from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure, ends_by_leaving
from tsafe_lint.analysis.symbols import SymbolInfo, SymbolKey, argument
from tsafe_lint.analysis.tree import (
    CONSTANT_NAMES,
    NOT_RUN,
    bare_method_call,
    conjuncts,
    contains,
    names_bound_by,
    walk,
)


@dataclass(frozen=True)
class ThreadStart:
    """A call that runs ``target`` on another thread (or process), with its ``args``."""

    func: FunctionInfo
    call: cst.Call
    how: str  # "Thread", "Timer", "submit", ...
    target: cst.BaseExpression | None
    args: cst.BaseExpression | None
    in_process: bool = False
    repeated: bool = False  # started in a loop or a comprehension
    per_call: bool = False  # handed to a pool of several workers once per call of func
    #: the pool, when it has one worker and outlives the call (``self._pool =
    #: ThreadPoolExecutor(1)``): every task handed to it runs on that one thread
    worker: SymbolKey | None = None
    #: the object's attribute the new thread is stored in (``self._print_thread =
    #: Thread(...)``), as ``"Class.attr"``: starts of one target that all replace the
    #: same handle are one thread at a time (a new one takes the old one's place)
    handle: str | None = None
    #: ``await loop.run_in_executor(None, f)`` / ``await asyncio.to_thread(f)``: the
    #: coroutine that awaits it (qualified); the calls one coroutine awaits run one after
    #: another, each done before the next starts (a coroutine function is taken to run
    #: once at a time, as for a loop of such calls)
    sequence: str | None = None
    #: the object's flag every start behind it tests and sets (``if not self.running:``
    #: ... ``self.running = True``, or ``if self._thread is None: self._thread =
    #: Thread(...)``), as ``"Class.attr"``: starts of one target behind the same flag run
    #: it on one thread at a time, as starts into one handle do (and so does a start in
    #: a loop, when the flag is tested inside the loop: ``_once_per_loop``)
    guard: str | None = None
    #: started and at once joined (no timeout) by a coroutine (``t = Thread(target=f)``,
    #: ``t.start()``, ``t.join()`` one after the other in an ``async def``): the join
    #: blocks the event loop's thread until ``f`` ends, so no other coroutine of the loop
    #: runs meanwhile, and no other such start, of any target: they are one thread at a
    #: time (one event loop assumed)
    loop_blocked: bool = False

    @property
    def many(self) -> bool:
        """Does this start run its target on several threads at once?"""
        return self.repeated or self.per_call or self.how in _FAN_OUT or self.how in _MANY_CALLBACKS


#: qualified constructor/function -> (how, target position, target keyword, args position)
_STARTERS: dict[str, tuple[str, int, str, int | None]] = {
    "threading.Thread": ("Thread", 1, "target", 3),
    "threading.Timer": ("Timer", 1, "function", 2),
    "_thread.start_new_thread": ("start_new_thread", 0, "function", 1),
    "_thread.start_new": ("start_new_thread", 0, "function", 1),
    "asyncio.to_thread": ("to_thread", 0, "func", None),
    # callbacks that other code runs on its threads (``entry_points.py``)
    **{name: (cb.how, cb.position, cb.keyword, None) for name, cb in CALLBACK_FUNCTIONS.items()},
}


#: pool methods that run the target once per item, on several workers at once.
_FAN_OUT = frozenset({"map", "map_async", "imap", "imap_unordered", "starmap", "starmap_async"})

#: callbacks run once per object or task, on whichever thread finishes it
_MANY_CALLBACKS = many_callbacks()

#: executor/pool methods that run their first argument on a worker.
_POOL_METHODS = frozenset(
    {
        "submit",
        "map",
        "apply",
        "apply_async",
        "map_async",
        "imap",
        "imap_unordered",
        "starmap",
        "starmap_async",
    }
)


#: pool methods that run one task per call: a function that calls them on a pool that
#: outlives the call (an attribute or a global, not a local pool of its own) runs again
#: before the last task ends, so two tasks run at once on a pool of several workers.
_PER_CALL = frozenset({"submit", "apply_async"})


def _runs_per_call(func: FunctionInfo) -> bool:
    """Can ``func`` run again while the task it handed over still runs? Not module-level
    code or set-up (``__init__``, ``setup``): they run once per module or object."""
    return not (func.is_module or func.name in ("__init__", "__new__") or looks_like_setup(func))


def single_worker(info: SymbolInfo | None) -> bool:
    """Was the pool made with one worker (``ThreadPoolExecutor(1)``,
    ``max_workers=1``)? Its tasks run one after another."""
    made = info.made_by if info is not None else None
    if made is None:
        return False
    workers = argument(made, 0, "max_workers") or argument(made, 0, "processes")
    return isinstance(workers, cst.Integer) and workers.value == "1"


def thread_starts(
    regions: Regions,
    symbols: dict[SymbolKey, SymbolInfo] | None = None,
    kind_of: Callable[[cst.BaseExpression, FunctionInfo], Kind | None] | None = None,
    symbol_key: Callable[[cst.BaseExpression, FunctionInfo], SymbolKey | None] | None = None,
) -> list[ThreadStart]:
    """Every place in the module that hands a callable to a thread or a worker pool
    (``kind_of`` types an executor argument: a process pool's task shares nothing;
    ``symbol_key`` names it: a one-worker pool runs its tasks one at a time)."""
    symbols = symbols or {}
    starts: list[ThreadStart] = []
    for any_call in regions.calls:
        spec = _STARTERS.get(any_call.qualified or "")
        if spec is None:
            continue
        how, position, keyword, args_position = spec
        if how in ("Thread", "Timer") and _only_run(any_call):
            continue
        if how == "finalize" and keeps_its_object_alive(any_call.call):
            continue  # never collected: it runs at exit, on the main thread
        target = argument(any_call.call, position, keyword)
        args = (
            argument(any_call.call, args_position, "args") if args_position is not None else (None)
        )
        guarding = _guard(any_call.call, any_call.func)
        starts.append(
            ThreadStart(
                any_call.func,
                any_call.call,
                how,
                target,
                args,
                repeated=any_call.repeated
                and not _awaited_at_once(any_call)
                and not _once_per_loop(guarding, any_call.call)
                and not _joined_in_its_pass(any_call),
                handle=stored_handle(any_call.place.statement, any_call.call, any_call.func),
                sequence=_awaiting(any_call),
                guard=guarding[0] if guarding is not None else None,
                loop_blocked=_joined_at_once(any_call),
            )
        )
    repeated = {c.call for c in regions.calls if c.repeated}
    for any_call in regions.calls:
        callee = any_call.call.func
        if (
            isinstance(callee, cst.Attribute)
            and callee.attr.value == "run_in_executor"
            and len(any_call.call.args) >= 2
        ):
            executor = argument(any_call.call, 0, "executor")
            # ``loop.run_in_executor(self._pool, f)`` on ``ThreadPoolExecutor(1)``: every
            # task handed to that pool runs on its one thread, one after another
            pool = (
                symbol_key(executor, any_call.func)
                if executor is not None and symbol_key is not None
                else None
            )
            one_worker = (
                pool is not None and pool[0] != "local" and single_worker(symbols.get(pool))
            )
            starts.append(
                ThreadStart(
                    any_call.func,
                    any_call.call,
                    "run_in_executor",
                    argument(any_call.call, 1, "func"),
                    None,
                    in_process=executor is not None
                    and kind_of is not None
                    and kind_of(executor, any_call.func) is Kind.PROCESS_POOL,
                    repeated=any_call.repeated
                    and not _awaited_at_once(any_call)
                    and not one_worker,
                    worker=pool if one_worker else None,
                    sequence=_awaiting(any_call),
                )
            )
    starts += _future_callbacks(regions, starts)
    for worker in worker_starts(regions):
        # ``self._thread = QThread(); ...; self._thread.started.connect(...)``: one
        # thread at a time in that attribute, as for ``self._t = Thread(...)``
        owner = worker.func.cls
        self_name = worker.func.self_name
        attr = own_attribute(worker.thread, self_name) if self_name is not None else None
        starts.append(
            ThreadStart(
                worker.func,
                worker.call,
                "QThread",
                worker.target,
                None,
                repeated=worker.repeated,
                handle=f"{owner.qualname}.{attr}" if owner is not None and attr else None,
            )
        )
    for method_call in regions.method_calls:
        if method_call.kind not in (Kind.THREAD_POOL, Kind.PROCESS_POOL):
            continue
        if method_call.method not in _POOL_METHODS:
            continue
        keyword = "fn" if method_call.method == "submit" else "func"
        lasting = method_call.target[0] != "local"  # a pool that outlives the call
        one_worker = single_worker(symbols.get(method_call.target))
        starts.append(
            ThreadStart(
                method_call.func,
                method_call.call,
                method_call.method,
                argument(method_call.call, 0, keyword),
                None,
                in_process=method_call.kind is Kind.PROCESS_POOL,
                # a one-worker pool runs its tasks one after another, however many
                repeated=method_call.call in repeated and not one_worker,
                per_call=method_call.method in _PER_CALL
                and lasting
                and _runs_per_call(method_call.func)
                and not one_worker,
                worker=method_call.target if lasting and one_worker else None,
            )
        )
    return starts


def fresh_receiver(start: ThreadStart, structure: ModuleStructure) -> bool:
    """``w = Worker(iface); Thread(target=w.run).start()``: the target is a method of an
    object the starting function builds itself (every binding of the local ``w`` there is
    a call of one of the module's classes), so each start runs on an object of its own,
    as a ``Thread`` subclass's ``run()`` does: starts in a loop share no attributes."""
    target = start.target
    if start.how in _FAN_OUT or start.how in _MANY_CALLBACKS:
        return False  # ``pool.map(w.record, items)``: many tasks on the one object
    if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
        return False
    name = target.value.value
    func = start.func
    body = list(walk(func.node, skip=NOT_RUN))
    # the loop around the start, innermost: the object must be built in it, every pass
    loops = [
        node.body
        for node in body
        if isinstance(node, (cst.For, cst.While)) and contains(node.body, start.call)
    ]
    comprehensions = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
    if any(isinstance(node, comprehensions) and contains(node, start.call) for node in body):
        return False  # started once per item of a comprehension, on one object
    if start.repeated and not loops:
        return False
    around = {id(node) for node in walk(loops[-1], skip=NOT_RUN)} if loops else None
    return (
        built_here(name, func, structure, around) and _starts_on(name, target.attr.value, func) == 1
    )


def _starts_on(name: str, method: str, func: FunctionInfo) -> int:
    """How many arguments ``name.method`` ``func`` passes: one start per object."""
    return sum(
        1
        for node in walk(func.node, skip=NOT_RUN)
        if isinstance(node, cst.Arg)
        and isinstance(node.value, cst.Attribute)
        and isinstance(node.value.value, cst.Name)
        and node.value.value.value == name
        and node.value.attr.value == method
    )


def _only_run(any_call: AnyCall) -> bool:
    """``Thread(target=f).run()``, or ``t = Thread(target=f)`` followed by ``t.run()``
    and never ``t.start()``: ``run()`` calls the target on the calling thread, so no
    thread is started (Timer's ``run()`` waits, then calls it, on the caller's thread)."""
    call = any_call.call
    for node in walk(any_call.place.statement):
        if isinstance(node, cst.Attribute) and node.value is call:
            return node.attr.value == "run"
    name = _bound_name(any_call.place.statement, call)
    if name is None:
        return False
    used = {
        node.attr.value
        for node in walk(any_call.func.node, skip=NOT_RUN)
        if isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == name
    }
    return "run" in used and "start" not in used


def _bound_name(statement: cst.BaseStatement, call: cst.Call) -> str | None:
    """``t`` for ``t = <call>`` on a line of its own."""
    target = _assigned_to(statement, call)
    return target.value if isinstance(target, cst.Name) else None


def _assigned_to(statement: cst.BaseStatement, call: cst.Call) -> cst.BaseExpression | None:
    """The one target of ``<target> = <call>`` on a line of its own."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not isinstance(small, cst.Assign) or small.value is not call or len(small.targets) != 1:
        return None
    return small.targets[0].target


def _joined_in_its_pass(any_call: AnyCall) -> bool:
    """``t = Thread(target=f)``, ``t.start()`` and ``t.join()`` (no timeout) in the same
    block of a loop: each pass waits for its thread before the next starts one, so the
    threads run one at a time (finrl's paper-trading loop, fifty-seventh set)."""
    name = _bound_name(any_call.place.statement, any_call.call)
    if name is None:
        return False
    started = False
    for statement in any_call.place.block[any_call.place.index + 1 :]:
        receiver = bare_method_call(statement, "start")
        if receiver is not None:
            started = started or (isinstance(receiver, cst.Name) and receiver.value == name)
            continue
        receiver = bare_method_call(statement, "join")
        if isinstance(receiver, cst.Name) and receiver.value == name:
            return started
        if name in names_bound_by(statement):
            return False  # the name now holds another thread
    return False


def _joined_at_once(any_call: AnyCall) -> bool:
    """``t = Thread(target=f)``, then (past stores into ``t``'s attributes: ``t.daemon =
    True``) ``t.start()`` and, as the very next statement, ``t.join()`` with no timeout,
    in a coroutine: the event loop's thread waits in ``join()`` from the moment the
    thread starts until it ends, so no other coroutine of the loop runs meanwhile, nor
    does this one start anything else (``ThreadStart.loop_blocked``)."""
    if not any_call.func.is_async:
        return False
    name = _bound_name(any_call.place.statement, any_call.call)
    if name is None:
        return False
    rest = any_call.place.block[any_call.place.index + 1 :]
    while rest and _sets_attribute_of(rest[0], name):
        rest = rest[1:]
    if len(rest) < 2:
        return False
    started = bare_method_call(rest[0], "start")
    joined = bare_method_call(rest[1], "join")
    return (
        isinstance(started, cst.Name)
        and started.value == name
        and isinstance(joined, cst.Name)
        and joined.value == name
    )


def _sets_attribute_of(statement: cst.BaseStatement, name: str) -> bool:
    """``t.daemon = True``: one store into an attribute of ``name``, of a constant (``True``,
    ``False``, ``None``, a number or a string; not ``t.run = f``)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return False
    target = small.targets[0].target
    return (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == name
        and (
            isinstance(small.value, (cst.Integer, cst.SimpleString))
            or (isinstance(small.value, cst.Name) and small.value.value in CONSTANT_NAMES)
        )
    )


def _awaiting(any_call: AnyCall) -> str | None:
    """The coroutine function that awaits the start right where it is made, if any."""
    return any_call.func.qualname if _awaited_at_once(any_call) else None


def _awaited_at_once(any_call: AnyCall) -> bool:
    """``await asyncio.to_thread(f)`` (or ``await loop.run_in_executor(None, f)``): the
    coroutine waits for ``f`` to end before it goes on, so a loop around it runs ``f``
    on one thread at a time, however many passes it makes."""
    call = any_call.call
    return any(
        isinstance(node, cst.Await) and node.expression is call
        for node in walk(any_call.place.statement)
    )


def stored_handle(statement: cst.BaseStatement, call: cst.Call, func: FunctionInfo) -> str | None:
    """``"Printer._print_thread"`` for ``self._print_thread = Thread(...)`` in a method of
    ``Printer``: the attribute a thread is stored in when it is made."""
    if func.cls is None or func.self_name is None:
        return None
    target = _assigned_to(statement, call)
    attr = own_attribute(target, func.self_name) if target is not None else None
    return f"{func.cls.qualname}.{attr}" if attr is not None else None


def family_handle(handle: str | None, structure: ModuleStructure) -> str | None:
    """The handle a thread is stored in (``"RecordButton._thread"``), named by the
    farthest base of its class in the module (``"AcquisitionButton._thread"``): sibling
    subclasses that each start the base's loop into the same attribute run it, on any
    one object, on one thread at a time, as one class that restarts it does
    (glowtracker's live view and record buttons, twenty-ninth set: two TS102 judged
    false). One object is of one class: it has one such attribute, whichever class set
    it. Their threads still share the class's and the module's state."""
    if handle is None:
        return None
    owner, _, attr = handle.rpartition(".")
    cls = structure.classes.get(owner)
    if cls is None:
        return handle
    *_, farthest = structure.class_bases(cls)
    return f"{farthest.qualname}.{attr}"


def own_attribute(node: cst.BaseExpression, self_name: str) -> str | None:
    """``attr`` for ``self.attr`` (``self`` being ``self_name``), else ``None``."""
    if (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == self_name
    ):
        return node.attr.value
    return None


def _once_per_loop(guarding: tuple[str, cst.CSTNode] | None, call: cst.Call) -> bool:
    """Is the start behind a flag tested inside the loop that repeats it (``for c in
    chunks: if self._thread is None: ...start()``)? The later passes find the flag up.
    A loop inside the guarded code (``if not self.running: for _ in range(4):
    ...start()``, or after ``if self.running: return``) starts a thread per pass."""
    if guarding is None:
        return False
    return not any(
        isinstance(node, _REPEATING) and node is not guarding[1] and contains(node, call)
        for node in walk(guarding[1], skip=NOT_RUN)
    )


#: Statements and expressions that run their body once per item.
_REPEATING = (
    cst.For,
    cst.While,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
)


def _guard(call: cst.Call, func: FunctionInfo) -> tuple[str, cst.CSTNode] | None:
    """``("DiffEv.running", <the code it guards>)`` for a start behind a flag of the object
    that the starting method tests and then sets: inside ``if not self.running:`` (or
    one test of an ``and``: ``if self.l7 and not self.l7_running:``, ftagent's L7 loop,
    sixty-fourth set) whose body sets ``self.running = True``, or after ``if
    self.running: return`` in a method that sets it. While the flag is up no other start
    of the same kind runs, so every start behind it is one thread at a time (genx's
    start and resume of one fit, thirty-fifth set: eight findings judged false). The
    handle a thread is stored in is such a flag too: ``if self._thread is None:`` whose
    body sets ``self._thread`` (bdownload's manager thread, started in a loop over
    chunks, forty-first set). Whoever lowers the flag again (the thread as it ends, a
    stop), a start behind it runs only while it is down."""
    if func.cls is None or func.self_name is None or func.is_classmethod:
        return None
    if not isinstance(func.node, cst.FunctionDef):
        return None
    self_name = func.self_name
    for node in walk(func.node, skip=NOT_RUN):
        if not isinstance(node, cst.If) or not contains(node.body, call):
            continue
        # ``if self.l7 and not self.l7_thread_running:``: the body runs with it down too
        for test in conjuncts(node.test):
            flag = _flag_tested(test, self_name, negated=True)
            if flag is not None and _sets_flag(node.body, flag, self_name):
                return f"{func.cls.qualname}.{flag}", node.body
        handle = _none_tested(node.test, self_name)
        if handle is not None and _sets_flag(node.body, handle, self_name, to_anything=True):
            return f"{func.cls.qualname}.{handle}", node.body
    body = func.node.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    for statement in body.body:
        if contains(statement, call):
            break
        if (
            isinstance(statement, cst.If)
            and statement.orelse is None
            and ends_by_leaving(statement.body, (cst.Return, cst.Raise))
        ):
            flag = _flag_tested(statement.test, self_name, negated=False)
            if flag is not None and _sets_flag(func.node.body, flag, self_name):
                return f"{func.cls.qualname}.{flag}", func.node.body
    return None


def _flag_tested(test: cst.BaseExpression, self_name: str, negated: bool) -> str | None:
    """``running`` for ``not self.running`` (``negated``) or ``self.running``."""
    if negated:
        if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
            return None
        test = test.expression
    return own_attribute(test, self_name)


def _none_tested(test: cst.BaseExpression, self_name: str) -> str | None:
    """``_thread`` for ``self._thread is None``, ``not self._thread.is_alive()``, or
    both joined by ``or``: the handle holds no running thread (ismail's audio feeder,
    restarted behind ``if self.feeder is None or not self.feeder.is_alive():`` from a
    polling loop and from request threads, sixty-ninth set: three TS103 on its one
    consumer's deque judged false)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        left = _none_tested(test.left, self_name)
        return left if left is not None and left == _none_tested(test.right, self_name) else None
    if (
        isinstance(test, cst.UnaryOperation)
        and isinstance(test.operator, cst.Not)
        and isinstance(test.expression, cst.Call)
        and not test.expression.args
        and isinstance(test.expression.func, cst.Attribute)
        and test.expression.func.attr.value in ("is_alive", "isAlive")
    ):
        return own_attribute(test.expression.func.value, self_name)
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Is)
        and _is_name(test.comparisons[0].comparator, "None")
    ):
        return own_attribute(test.left, self_name)
    return None


def _sets_flag(tree: cst.CSTNode, flag: str, self_name: str, to_anything: bool = False) -> bool:
    """Does ``tree`` run ``self.<flag> = True`` (``to_anything``: to any value but
    ``None``)?"""
    for node in walk(tree, skip=NOT_RUN):
        if not isinstance(node, cst.Assign):
            continue
        if not (_is_name(node.value, "True") or (to_anything and not _is_name(node.value, "None"))):
            continue
        if any(own_attribute(target.target, self_name) == flag for target in node.targets):
            return True
    return False


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _future_callbacks(regions: Regions, starts: list[ThreadStart]) -> list[ThreadStart]:
    """``future.add_done_callback(cb)`` on a thread pool's future (a name bound to a
    ``submit()``, or the ``submit()`` call itself): ``cb`` runs on the pool's worker."""
    submits = {
        call.call
        for call in regions.method_calls
        if call.kind in (Kind.THREAD_POOL, Kind.PROCESS_POOL) and call.method == "submit"
    }
    found: list[ThreadStart] = []
    for call in regions.method_calls:
        callback = FUTURE_CALLBACKS.get(call.method)
        if call.kind is Kind.FUTURE and callback is not None:
            target = argument(call.call, callback.position, callback.keyword)
            found.append(ThreadStart(call.func, call.call, callback.how, target, None))
    for any_call in regions.calls:
        callee = any_call.call.func
        if not isinstance(callee, cst.Attribute) or callee.value not in submits:
            continue
        callback = FUTURE_CALLBACKS.get(callee.attr.value)
        if callback is not None:
            target = argument(any_call.call, callback.position, callback.keyword)
            found.append(
                ThreadStart(
                    any_call.func,
                    any_call.call,
                    callback.how,
                    target,
                    None,
                    repeated=any_call.repeated,
                )
            )
    return found
