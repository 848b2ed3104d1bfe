"""TS416: a task started in a loop reads the loop's variable when it runs, not when it
was started."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis
from tsafe_lint.analysis.kinds import Kind
from tsafe_lint.analysis.log_aliases import is_log_method
from tsafe_lint.analysis.scopes import target_names
from tsafe_lint.analysis.symbols import argument, means_builtin
from tsafe_lint.analysis.threads import ThreadStart
from tsafe_lint.analysis.tree import NOT_RUN, assignment_targets, contains, names_bound_by, walk
from tsafe_lint.rules.base import Finding, Rule, snippet

FAMILY = "threads"

#: Starts whose task runs later, on another thread, once: what it reads then is what the
#: loop has bound by then. (``map`` and the like hand each task its item as an argument.)
_LATER = frozenset(
    {
        "Thread",
        "Timer",
        "start_new_thread",
        "to_thread",
        "run_in_executor",
        "submit",
        "apply_async",
        "add_done_callback",
    }
)
#: Calls on a started thread, a task's future or a pool that wait for tasks to end (or for
#: an event the task sets): after one of them in the pass, the pass has waited.
_WAITS = frozenset({"join", "result", "exception", "wait", "shutdown"})
#: Module functions that wait for futures.
_WAIT_FUNCTIONS = frozenset({"concurrent.futures.wait", "concurrent.futures.as_completed"})
#: Methods that hand out the next item of a source (a socket, a deque, a list, a file).
_ITEM_SOURCES = frozenset({"accept", "recv", "recvfrom", "pop", "popleft", "readline"})
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_POOLS = frozenset(
    {"concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor"}
)


@dataclass(frozen=True)
class _Loop:
    """A loop around a start, and the variables each of its passes binds anew."""

    node: cst.CSTNode  # a For, a While or a comprehension
    varying: frozenset[str]


@dataclass(frozen=True)
class _Pass:
    """Facts about one loop's body, computed once per loop (a loop may start thousands of
    tasks): what it binds anew, and where in it (walk order) the last call that waits is."""

    varying: frozenset[str]
    order: dict[int, int]  # id(node) -> its index in a walk of the body
    last_wait: int  # the index of the last call that waits (-1: none)


class LoopVariableReadLate(Rule):
    """Flags a thread's task that reads a variable the loop starting it rebinds.

    **What it does**

    Finds a ``lambda``, or a function nested in the one starting the thread, handed to
    ``Thread(target=...)``, ``Timer``, ``pool.submit``, ``apply_async``,
    ``asyncio.to_thread``, ``loop.run_in_executor`` or any future's
    ``add_done_callback`` inside a loop (``for``, ``while`` or a comprehension), when the
    task reads a variable of the starting function that each pass of that loop binds
    anew: the loop's own variable, a name stepped by ``+=`` in its body, an item taken
    from a source there (``conn, addr = sock.accept()``, ``item = q.get()``), or a name
    the body assigns from one of these (``address = member.address``). A module-level loop and a
    module-level function read late the same way.

    Left alone:

    - a pass that waits for the task before the loop binds the variable again: the thread
      is joined or the future's result taken in the same pass (``t.start(); t.join()``,
      ``pool.submit(f).result()``), the pool is a ``with`` inside the pass (its exit
      waits), the start is awaited (``await asyncio.to_thread(...)``, also through
      ``asyncio.wait_for``; not a comprehension of them), or the pass leaves the loop
      after the start (``break``, ``return``, ``raise``);
    - a thread started at most once, behind a test of the name it is stored in (``if not
      log_task: log_task = Thread(...)``);
    - a variable the task only hands to a logger's call (``log.info("chunk %d", i)``):
      the log line is off, the work is not;
    - a variable the task reads inside a loop of its own (a ticker thread redrawing the
      cursor the loop moves): it follows the latest value on purpose;
    - a value bound when the task is made: a default argument (``lambda task=task:
      ...``), an argument of the start (``args=(task,)``, ``submit(f, task)``),
      ``functools.partial``.

    On by default. On the retired validation sets 44 to 83 its first version gave 10
    findings, judged by a reviewer who did not write it: 1 true, 6 false, 3 debatable.
    The false ones were names bound from a call on every pass (the same value, or a fresh
    event the pass waits on), a pass that waits for its threads, and a task that reads
    the name at once; all are left alone since, and 3 findings stay there (rclone-api's
    copy tasks, true; aiomisc's and napcat-cli's, debatable): a figure on the code it was
    tuned on, not a first-sight one. It finds two fixed bugs of hazelcast-python-client
    (bench/bugs) and voly's parallel workflow (eighty-fourth set's misses, B4).

    **Why is this bad**

    A closure reads its free variables when it runs, not when it is made. The thread
    starts, but by the time its task reads ``task`` the loop may have moved on: two
    threads run with the same item and another item is never handled. Whether it happens
    depends on scheduling, so tests pass and production does not; a ``Timer``, which
    waits first, nearly always reads a later item. Free-threaded Python makes the window
    wider, not narrower.

    **Example**

    ```python
    import threading

    def delegate_all(tasks):
        for task in tasks:
            threading.Thread(target=lambda: delegate(task)).start()
    ```

    **Use instead**

    Bind the value when the task is made:

    ```python
    import threading

    def delegate_all(tasks):
        for task in tasks:
            threading.Thread(target=delegate, args=(task,)).start()
    ```

    **Fix**

    None: whether to pass an argument or bind a default is the code's choice.

    **References**

    Python docs, Programming FAQ, "Why do lambdas defined in a loop with different values
    all return the same result?"; flake8-bugbear B023 (function-uses-loop-variable), for
    every closure made in a loop.
    """

    code = "TS416"
    name = "loop-variable-read-late"
    default_enabled = True
    summary = "a task started in a loop reads the loop's variable when it runs, not when started"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        """One finding per start whose task reads a variable a loop around it rebinds."""
        passes: dict[int, _Pass] = {}
        for start in _starts(analysis):
            target = start.target
            task, bound = _task(start, analysis)
            if task is None or target is None:
                continue
            loops = _loops_around(start, analysis, passes)
            if not loops:
                continue
            varying = {name for loop in loops for name in loop.varying}
            read = [
                name
                for name in _free_names(task, bound)
                if name.value in varying
                and not _only_logged(name, task, analysis)
                and not _watched(name, task, analysis)
            ]
            if not read:
                continue
            name = read[0].value
            loop = next(loop for loop in loops if name in loop.varying)
            if isinstance(task, cst.Lambda):
                what, default = "the lambda", f"'lambda {name}={name}: ...'"
            else:
                what = f"'{snippet(target)}'"
                default = f"'def {snippet(target)}(..., {name}={name})'"
            yield Finding(
                target,
                f"{what} reads '{name}' when the task runs, not when it starts: the loop at "
                f"line {analysis.line_of(loop.node)} binds '{name}' anew on its next pass, so "
                f"the task can run with a later value and skip its own; bind it now "
                f"(pass it as an argument, or {default})",
            )


def _watched(name: cst.Name, task: cst.CSTNode, analysis: ModuleAnalysis) -> bool:
    """Is the read inside a ``while`` loop of the task (``while not stop.is_set():
    draw(current)``)? A task that polls the variable on every pass of its own loop follows
    its latest value on purpose, as a ticker redrawing the cursor does. A ``for`` over
    data in the task (``for row in batch: save(row)``) is not polling."""
    node = analysis.parent_of(name)
    while node is not None and node is not task:
        if isinstance(node, cst.While):
            return True
        node = analysis.parent_of(node)
    return False


def _only_logged(name: cst.Name, task: cst.CSTNode, analysis: ModuleAnalysis) -> bool:
    """Is the read an argument of a logger's call (``log.info("chunk %d", i)``)? A log
    line with a later value misleads, but the task does its work with its own values."""
    node = analysis.parent_of(name)
    while node is not None and node is not task:
        if isinstance(node, cst.Call) and is_log_method(node.func):
            return True
        node = analysis.parent_of(node)
    return False


def _starts(analysis: ModuleAnalysis) -> Iterator[ThreadStart]:
    """The module's starts of a task that runs later in this process: its thread starts,
    and a done callback on any future (hazelcast's client futures run theirs on the
    reactor's thread, asyncio's on the loop's next pass)."""
    known: set[cst.Call] = set()
    for start in analysis.thread_starts:
        known.add(start.call)
        if start.how in _LATER and start.target is not None and not start.in_process:
            yield start
    for site in analysis.regions.calls:
        callee = site.call.func
        if site.call in known or not isinstance(callee, cst.Attribute):
            continue
        if callee.attr.value == "add_done_callback":
            target = argument(site.call, 0, "fn")
            if target is not None:
                yield ThreadStart(site.func, site.call, "add_done_callback", target, None)


def _task(
    start: ThreadStart, analysis: ModuleAnalysis
) -> tuple[cst.CSTNode | None, frozenset[str]]:
    """The code the start runs later that the starting function wrote itself (a
    ``lambda``, or a function nested in it, or a module-level function started by
    module-level code), with the names bound in it (a ``match`` capture, a walrus and
    a nested class's names too: over-approximated, so a name it binds is never taken for
    the loop's)."""
    target = start.target
    if isinstance(target, cst.Lambda):
        return target, frozenset()
    if not isinstance(target, cst.Name):
        return None, frozenset()
    func = analysis.resolve_function(target, start.func)
    if func is None or func.parent is not start.func or not isinstance(func.node, cst.FunctionDef):
        return None, frozenset()
    own = {*func.params, *func.assigned, *_bound_inside(func.node.body)}
    return func.node, frozenset(own - func.declared_nonlocal)  # ``nonlocal item`` reads ours


def _loops_around(
    start: ThreadStart, analysis: ModuleAnalysis, passes: dict[int, _Pass]
) -> list[_Loop]:
    """The loops of the starting function around the start that can bind their
    variables again before the task runs, innermost first. A ``return`` or ``raise``
    after the start, a pool ``with`` around it, or an ``await`` of it ends every loop's
    pass; a ``break`` only the innermost loop's; a wait later in a loop's body (a join,
    a result, ``wait(futures)``, ``shutdown()``) that loop's and the outer ones'."""
    found: list[_Loop] = []
    child: cst.CSTNode = start.call
    node = analysis.parent_of(child)
    handle = _handle(start, analysis)
    waited = _awaited(start, analysis) or _waited_inline(start, analysis)
    breaks = False  # the innermost loop's pass leaves it after the start
    while node is not None and node is not start.func.node:
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            break
        if isinstance(node, cst.If) and handle is not None and _names(node.test, handle):
            waited = True  # ``if not log_task: log_task = Thread(...)``: one start at most
        if isinstance(node, cst.With) and _joining_pool(node, start.func, analysis):
            waited = True  # every pass ends by waiting for the pool's tasks
        if isinstance(node, cst.IndentedBlock):
            leaving = _leaving_after(node, child)
            if leaving is cst.Break:
                breaks = True
            elif leaving is not None:
                waited = True  # ``return``/``raise``: no loop of the function goes on
        if isinstance(node, (cst.For, cst.While)) and child is node.body:
            facts = _pass_of(node, start.func, analysis, passes)
            index = facts.order.get(id(start.call), -1)
            if facts.last_wait > index:
                waited = True  # this pass waits for its tasks before the next one
            if not waited and not breaks:
                found.append(_Loop(node, facts.varying))
            breaks = False
        elif isinstance(node, _COMPREHENSIONS) and not waited:
            fors = list(_comp_fors(node))
            if not contains(fors[0].iter, start.call):  # its first iterator runs once
                targets = {n for f in fors for n in target_names(f.target)}
                found.append(_Loop(node, frozenset(targets)))
        child = node
        node = analysis.parent_of(node)
    return found


def _pass_of(
    loop: cst.For | cst.While,
    func: FunctionInfo,
    analysis: ModuleAnalysis,
    passes: dict[int, _Pass],
) -> _Pass:
    """The facts of ``loop``'s body, computed on first use."""
    known = passes.get(id(loop))
    if known is not None:
        return known
    order: dict[int, int] = {}
    last_wait = -1
    for index, node in enumerate(walk(loop.body, NOT_RUN)):
        order[id(node)] = index
        if isinstance(node, cst.Call) and _waits(node, func, analysis):
            last_wait = index
    facts = _Pass(frozenset(_varying(loop, func, analysis)), order, last_wait)
    passes[id(loop)] = facts
    return facts


def _waits(call: cst.Call, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """``t.join()``, ``f.result()``, ``done.wait()``, ``pool.shutdown()``,
    ``concurrent.futures.wait(fs)``: a call that waits for tasks (or for what they set)."""
    callee = call.func
    if isinstance(callee, cst.Attribute) and callee.attr.value in _WAITS:
        return True
    if isinstance(callee, (cst.Name, cst.Attribute)):
        return analysis.structure.qualified_name(callee, func) in _WAIT_FUNCTIONS
    return False


def _awaited(start: ThreadStart, analysis: ModuleAnalysis) -> bool:
    """Is the start inside an ``await`` (``await asyncio.wait_for(loop.run_in_executor(None,
    f), 10)``: a task that outlives the timeout has read its variables long before)? Not
    through a comprehension: ``await gather(*[to_thread(f) for ...])`` makes every task
    before it waits."""
    node = analysis.parent_of(start.call)
    while node is not None and not isinstance(node, (cst.BaseStatement, *_COMPREHENSIONS)):
        if isinstance(node, cst.Await):
            return True
        node = analysis.parent_of(node)
    return False


def _waited_inline(start: ThreadStart, analysis: ModuleAnalysis) -> bool:
    """``pool.submit(f).result()``: the start's own result waited for at once."""
    parent = analysis.parent_of(start.call)
    return isinstance(parent, cst.Attribute) and parent.attr.value in _WAITS


def _names(expr: cst.BaseExpression, name: str) -> bool:
    """Does ``expr`` read ``name``?"""
    return any(isinstance(node, cst.Name) and node.value == name for node in walk(expr))


def _handle(start: ThreadStart, analysis: ModuleAnalysis) -> str | None:
    """The name the start's call is bound to (``t = Thread(...)``, ``f = pool.submit(...)``)."""
    parent = analysis.parent_of(start.call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Name):
            return target.value
    return None


def _leaving_after(body: cst.IndentedBlock, child: cst.CSTNode) -> type[cst.CSTNode] | None:
    """How the block leaves at its own level after the statement ``child``: ``cst.Break``,
    ``cst.Return`` or ``cst.Raise`` (the first one), or None."""
    seen = False
    for line in body.body:
        if line is child:
            seen = True
        elif seen and isinstance(line, cst.SimpleStatementLine):
            for small in line.body:
                if isinstance(small, (cst.Break, cst.Return, cst.Raise)):
                    return type(small)
    return None


def _joining_pool(node: cst.With, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is an item of the ``with`` a thread or process pool (made there, or a name of one:
    ``with pool:``)? Its exit waits for the pool's tasks."""
    for item in node.items:
        made = item.item
        if isinstance(made, cst.Call) and isinstance(made.func, (cst.Name, cst.Attribute)):
            if analysis.structure.qualified_name(made.func, func) in _POOLS:
                return True
        elif analysis.symbols.kind_of(made, func) in (Kind.THREAD_POOL, Kind.PROCESS_POOL):
            return True
    return False


def _varying(loop: cst.For | cst.While, func: FunctionInfo, analysis: ModuleAnalysis) -> set[str]:
    """What differs from one pass to the next: the loop's own variables (of a ``for`` and
    of the ``for`` loops in its body), names stepped by ``+=`` or from themselves
    (``current = min(current + 1, last)``, not ``session = session or make()``), names
    bound to an item taken from a source (``conn, addr = sock.accept()``, ``item =
    q.get()``, also in a ``while`` test's walrus), and names the body binds from an
    expression that reads one of these (``address = member.address``), in order, but a
    lock, event, semaphore or queue made from them (``gate = Semaphore(len(units))``, a
    fresh one per pass, which the task takes at once). A name bound from any other call
    is not: on the retired validation sets such names (``slash_cb = config.get(...)``,
    ``stop = threading.Event()``) were the same value on every pass, or read before the
    pass moved on, in 7 of 7 findings. A store into an item or an attribute
    (``mapping[k] = v``, ``self.x = v``) binds no name."""
    varying = set(target_names(loop.target)) if isinstance(loop, cst.For) else set()
    if isinstance(loop, cst.While):
        for node in walk(loop.test):
            if isinstance(node, cst.NamedExpr) and _takes_an_item(node.value, func, analysis):
                varying.update(target_names(node.target))
    for node in walk(loop.body, NOT_RUN):
        if isinstance(node, cst.For):
            varying.update(target_names(node.target))
            continue
        if not isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)) or node.value is None:
            continue
        targets = {name for target in assignment_targets(node) for name in target_names(target)}
        read = {inner.value for inner in walk(node.value) if isinstance(inner, cst.Name)}
        if isinstance(node, cst.AugAssign) or _takes_an_item(node.value, func, analysis):
            varying |= targets
        elif _lazy_default(node.value, targets):
            continue
        elif read & (varying | targets) and analysis.symbols.kind_of(node.value, func) is None:
            varying |= targets  # not a fresh primitive sized by them (``Semaphore(len(units))``)
    return {name for name in varying if func.is_module or func.is_local(name)}


def _lazy_default(value: cst.BaseExpression, targets: set[str]) -> bool:
    """``session = session or make_session()``: the name keeps its value once it has one."""
    return (
        isinstance(value, cst.BooleanOperation)
        and isinstance(value.operator, cst.Or)
        and isinstance(value.left, cst.Name)
        and value.left.value in targets
    )


def _takes_an_item(value: cst.BaseExpression, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """``sock.accept()``, ``q.get()`` on a queue, ``items.pop()``, ``next(it)``: a call
    that hands out the next item of a source, a new one on every pass."""
    if not isinstance(value, cst.Call):
        return False
    callee = value.func
    if isinstance(callee, cst.Name):
        return callee.value == "next" and means_builtin("next", func)
    if not isinstance(callee, cst.Attribute):
        return False
    method = callee.attr.value
    if method in _ITEM_SOURCES:
        return True
    return method in ("get", "get_nowait") and (
        analysis.symbols.kind_of(callee.value, func) is Kind.QUEUE
    )


def _comp_fors(node: cst.CSTNode) -> Iterator[cst.CompFor]:
    """The ``for`` clauses of a comprehension, outermost first."""
    current = getattr(node, "for_in", None)
    while isinstance(current, cst.CompFor):
        yield current
        current = current.inner_for_in


def _free_names(node: cst.CSTNode, bound: frozenset[str]) -> list[cst.Name]:
    """The variables ``node`` (a lambda or a nested function) reads from the scopes
    around it: not its own parameters and locals, nor those of lambdas and
    comprehensions inside it."""
    found: list[cst.Name] = []
    _collect(node, bound, found, top=True)
    return found


def _collect(node: cst.CSTNode, bound: frozenset[str], found: list[cst.Name], top: bool) -> None:
    """Add to ``found`` the names read in ``node`` that no scope inside it binds (a
    parameter, a comprehension's variable, a nested function's local); attribute names
    and keyword names are not reads. Defaults and decorators run when the function is
    made, not when the task runs: they are not collected."""
    if isinstance(node, cst.Name):
        if node.value not in bound:
            found.append(node)
        return
    if isinstance(node, cst.Attribute):
        _collect(node.value, bound, found, False)
        return
    if isinstance(node, cst.Arg):
        _collect(node.value, bound, found, False)
        return
    if isinstance(node, cst.Param):
        return
    if isinstance(node, cst.Lambda):
        _collect(node.body, bound | _param_names(node.params), found, False)
        return
    if isinstance(node, cst.FunctionDef):
        inner = bound | _param_names(node.params)
        if not top:
            inner |= _bound_inside(node.body)
        _collect(node.body, inner, found, False)
        return
    if isinstance(node, _COMPREHENSIONS):
        fors = list(_comp_fors(node))
        inner = bound | {n for f in fors for n in names_bound_by(f)} | _bound_inside(node)
        for index, comp in enumerate(fors):
            _collect(comp.iter, bound if index == 0 else inner, found, False)
            for condition in comp.ifs:
                _collect(condition, inner, found, False)
        for part in ("elt", "key", "value"):
            value = getattr(node, part, None)
            if isinstance(value, cst.CSTNode):
                _collect(value, inner, found, False)
        return
    if isinstance(node, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal, cst.ClassDef)):
        return
    for child in node.children:
        _collect(child, bound, found, False)


def _param_names(params: cst.Parameters) -> frozenset[str]:
    """Every name ``params`` binds, ``*args`` and ``**kwargs`` too."""
    every: Sequence[cst.Param] = [
        *params.posonly_params,
        *params.params,
        *params.kwonly_params,
    ]
    names = {param.name.value for param in every}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return frozenset(names)


def _bound_inside(body: cst.CSTNode) -> set[str]:
    """Every name a statement or expression inside ``body`` binds (over-approximated)."""
    return {name for node in walk(body, NOT_RUN) for name in names_bound_by(node)}


RULES: list[type[Rule]] = [LoopVariableReadLate]
