"""TS415: a timed wait for a pool's task inside the ``with`` that owns the pool."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis
from tsafe_lint.analysis.scopes import ends_by_leaving
from tsafe_lint.analysis.symbols import argument
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule, snippet

FAMILY = "threads"

#: Pools whose ``__exit__`` is ``shutdown(wait=True)``: it joins the running tasks.
_JOINING_POOLS = frozenset(
    {"concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor"}
)
#: Module functions that wait for futures with a timeout (positional index of it).
_WAITS = {"concurrent.futures.wait": 1, "concurrent.futures.as_completed": 1}
#: Future methods that wait with a timeout (its positional index).
_FUTURE_WAITS = {"result": 0, "exception": 0}
#: The names a handler catches a timed-out wait's ``TimeoutError`` under.
_TIMEOUT_NAMES = frozenset({"TimeoutError", "Exception", "BaseException"})
#: Methods a timeout handler calls to make the task end: the process it reads killed,
#: the channel or file it blocks on closed, the event it obeys set.
_STOPPING_METHODS = frozenset({"kill", "terminate", "close", "set"})
_TIMEOUT_QUALIFIED = frozenset(
    {"concurrent.futures.TimeoutError", "concurrent.futures._base.TimeoutError"}
)


class TimeoutInsidePoolWith(Rule):
    """Flags a timed wait for a task inside the ``with`` block of the pool that runs it.

    **What it does**

    Finds ``future.result(timeout=...)``, ``future.exception(timeout=...)``,
    ``concurrent.futures.wait(fs, timeout=...)`` and ``as_completed(fs, timeout=...)``
    on futures that ``pool.submit(...)`` made, inside ``with ThreadPoolExecutor(...) as
    pool:`` (or a ``ProcessPoolExecutor``), when the timeout leaves the block: its
    ``TimeoutError`` is not caught there, or the handler that catches it ends in
    ``raise`` or ``return``. A handler that goes on waiting (a progress loop that polls
    with a short timeout) is left alone, and so is one that makes the task end before
    it leaves: it kills or terminates the process the task reads, closes the channel or
    file the task blocks on, or sets the event the task obeys.

    On by default. A reviewer who wrote no rule judged its 16 findings on the retired
    validation sets (forty-fourth to seventy-fifth) 8 true, 5 false and 3 debatable
    (62%; bench/ts415_triage.md). Three of the false ones were handlers that stop the
    task, left alone since: 8 true, 2 false, 3 debatable (80%) on the code it was tuned
    on. The other two: a block that a mis-indentation made dead, and a branch that can
    only run after its coroutine was used up.

    **Why is this bad**

    Leaving the ``with`` block calls ``pool.shutdown(wait=True)``, which waits for every
    task the pool is running, however long it takes. The timeout fires, the code raises
    its own timeout error or returns, and the thread then blocks in ``__exit__`` until
    the task it gave up on finishes: a hung task hangs the caller, and the timeout bounds
    nothing (chainweaver's and aircore's tool timeouts, seventy-fourth and seventy-sixth
    validation sets' misses).

    **Example**

    ```python
    from concurrent.futures import ThreadPoolExecutor

    def call_with_timeout(tool, seconds):
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(tool.run)
            return future.result(timeout=seconds)  # __exit__ waits for tool.run anyway
    ```

    **Use instead**

    Own the pool outside a ``with`` and let go of the task on timeout:

    ```python
    from concurrent.futures import ThreadPoolExecutor

    def call_with_timeout(tool, seconds):
        pool = ThreadPoolExecutor(max_workers=1)
        try:
            future = pool.submit(tool.run)
            return future.result(timeout=seconds)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    ```

    **Fix**

    None: whether the abandoned task may go on running is the code's decision.

    **References**

    Python docs, ``concurrent.futures.Executor.shutdown`` ("You can avoid having to call
    this method explicitly if you use the with statement, which will shutdown the
    Executor (waiting as if Executor.shutdown() were called with wait set to True)").
    """

    code = "TS415"
    name = "timeout-inside-pool-with"
    default_enabled = True
    summary = "a timed wait for a task inside the with block of its pool: the exit waits anyway"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for entry in analysis.regions.with_entries:
            pool = _joining_pool(entry.item, entry.func, analysis)
            if pool is None:
                continue
            submitted, collections = _futures_of(entry.node, pool)
            for call in walk(entry.node.body, skip=NOT_RUN):
                if not isinstance(call, cst.Call):
                    continue
                if _timed_wait(call, submitted, collections, entry.func, analysis) and (
                    _timeout_leaves(call, entry.node, entry.func, analysis)
                ):
                    yield Finding(
                        call,
                        f"'{snippet(call.func)}(...)' times out inside 'with' of the pool "
                        f"'{pool}' that runs the task: leaving the block calls "
                        f"'{pool}.shutdown(wait=True)', which waits for the task anyway, so "
                        f"the timeout bounds nothing; own the pool outside a 'with' and call "
                        f"'shutdown(wait=False, cancel_futures=True)' when it times out",
                    )


def _joining_pool(item: cst.WithItem, func: FunctionInfo, analysis: ModuleAnalysis) -> str | None:
    """The name a ``with ThreadPoolExecutor(...) as pool:`` item binds, if it is one."""
    call = item.item
    if not isinstance(call, cst.Call) or not isinstance(call.func, (cst.Name, cst.Attribute)):
        return None
    if analysis.structure.qualified_name(call.func, func) not in _JOINING_POOLS:
        return None
    if item.asname is None or not isinstance(item.asname.name, cst.Name):
        return None
    return item.asname.name.value


def _submits(node: cst.CSTNode, pool: str) -> bool:
    """Does ``node`` call ``pool.submit(...)`` (anywhere in it: a comprehension of them)?"""
    return any(
        isinstance(inner, cst.Call)
        and isinstance(inner.func, cst.Attribute)
        and inner.func.attr.value == "submit"
        and isinstance(inner.func.value, cst.Name)
        and inner.func.value.value == pool
        for inner in walk(node, skip=NOT_RUN)
    )


def _futures_of(block: cst.With, pool: str) -> tuple[set[str], set[str]]:
    """Names bound in ``block`` to ``pool.submit(...)`` (one future), and names bound to
    something built from such calls (a list or dict of futures)."""
    submitted: set[str] = set()
    collections: set[str] = set()
    for node in walk(block.body, skip=NOT_RUN):
        if not isinstance(node, cst.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0].target
        if not isinstance(target, cst.Name) or not _submits(node.value, pool):
            continue
        direct = (
            isinstance(node.value, cst.Call)
            and isinstance(node.value.func, cst.Attribute)
            and node.value.func.attr.value == "submit"
        )
        (submitted if direct else collections).add(target.value)
    return submitted, collections


def _timed_wait(
    call: cst.Call,
    submitted: set[str],
    collections: set[str],
    func: FunctionInfo,
    analysis: ModuleAnalysis,
) -> bool:
    """Is ``call`` a wait with a timeout on futures of the pool?"""
    callee = call.func
    if (
        isinstance(callee, cst.Attribute)
        and callee.attr.value in _FUTURE_WAITS
        and isinstance(callee.value, cst.Name)
        and callee.value.value in submitted
    ):
        return _has_timeout(argument(call, _FUTURE_WAITS[callee.attr.value], "timeout"))
    if not isinstance(callee, (cst.Name, cst.Attribute)):
        return False
    position = _WAITS.get(analysis.structure.qualified_name(callee, func) or "")
    if position is None:
        return False
    futures = argument(call, 0, "fs")
    return (
        isinstance(futures, cst.Name)
        and futures.value in collections | submitted
        and _has_timeout(argument(call, position, "timeout"))
    )


def _has_timeout(value: cst.BaseExpression | None) -> bool:
    return value is not None and not (isinstance(value, cst.Name) and value.value == "None")


def _timeout_leaves(
    call: cst.Call, block: cst.With, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Does the ``TimeoutError`` of ``call`` leave ``block``: not caught inside it, or
    caught by a handler that ends in ``raise`` or ``return``?"""
    child: cst.CSTNode = call
    parent = analysis.parent_of(call)
    while parent is not None and parent is not block:
        if isinstance(parent, cst.Try) and child is parent.body:
            for handler in parent.handlers:
                if _catches_timeout(handler, func, analysis):
                    leaves = ends_by_leaving(handler.body, (cst.Return, cst.Raise))
                    return leaves and not _stops_the_task(handler.body)
        child, parent = parent, analysis.parent_of(parent)
    return True


def _catches_timeout(
    handler: cst.ExceptHandler, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    if handler.type is None:
        return True
    types = (
        [element.value for element in handler.type.elements]
        if isinstance(handler.type, cst.Tuple)
        else [handler.type]
    )
    for kind in types:
        if not isinstance(kind, (cst.Name, cst.Attribute)):
            continue
        qualified = analysis.structure.qualified_name(kind, func)
        if qualified in _TIMEOUT_QUALIFIED:
            return True
        if qualified is None and isinstance(kind, cst.Name) and kind.value in _TIMEOUT_NAMES:
            return True
    return False


def _stops_the_task(body: cst.BaseSuite) -> bool:
    """Does the handler tell the task to stop before it leaves: kill or terminate the
    process it reads, close the channel or file it blocks on, set the event it obeys?
    Then the exit joins a task that ends at once (pinak-cli's FFmpeg reader, whose
    process the handler kills; unlimited-mcp's SSH reads, whose channel it closes)."""
    return any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in _STOPPING_METHODS
        for node in walk(body, skip=NOT_RUN)
    )


RULES: list[type[Rule]] = [TimeoutInsidePoolWith]
