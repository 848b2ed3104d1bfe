"""TS409: a join with no timeout of every thread ``threading.enumerate()`` lists."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.scopes import final_name, local_values
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule, snippet

FAMILY = "threads"

#: Calls that name the calling or main thread: comparing with them picks no thread of
#: one's own.
_WHICH_THREAD = frozenset({"main_thread", "current_thread", "currentThread"})
#: Attributes and methods of a thread that every thread has: testing them picks no
#: thread of one's own either.
_EVERY_THREAD = frozenset({"is_alive", "isAlive", "daemon", "isDaemon", "ident", "native_id"})


class JoinsEveryThread(Rule):
    """Flags ``t.join()`` with no timeout in a loop over ``threading.enumerate()``.

    **What it does**

    Finds ``for t in threading.enumerate(): t.join()`` (or a local bound to
    ``threading.enumerate()`` once), where the join has no timeout and no test on the way
    picks the code's own threads: leaving out the main or the current thread, or threads
    that are dead or daemons, picks none. A test of the thread's class
    (``isinstance(t, Worker)``), name or membership in a list of one's own, and a join
    with a timeout, are not reported.

    **Why is this bad**

    ``threading.enumerate()`` lists every live thread of the process, not only the ones
    this code started: a web server's workers, a library's monitor or flush thread,
    IPython's heartbeat. Those may never end, so the join waits forever although the
    work it meant to wait for is done (sahi's threaded COCO loader, which never returns
    in Jupyter; found in a review of the fifty-fourth validation set's misses).

    **Example**

    ```python
    import threading

    def load(chunks):
        for chunk in chunks:
            threading.Thread(target=parse, args=(chunk,)).start()
        for t in threading.enumerate():
            if t is not threading.current_thread():
                t.join()
    ```

    **Use instead**

    ```python
    import threading

    def load(chunks):
        threads = [threading.Thread(target=parse, args=(chunk,)) for chunk in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    ```

    **References**

    The talk's "Thread" slides; Python docs, ``threading.enumerate`` ("Return a list of
    all Thread objects currently active. The list includes daemonic threads and dummy
    thread objects created by current_thread()").
    """

    code = "TS409"
    name = "joins-every-thread"
    summary = "join() with no timeout of every thread threading.enumerate() lists"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        if "threading.enumerate" not in analysis.called:
            return
        for func in analysis.structure.functions:
            for loop in walk(func.node, NOT_RUN):
                if not isinstance(loop, cst.For) or not isinstance(loop.target, cst.Name):
                    continue
                if not _lists_every_thread(loop.iter, func, analysis):
                    continue
                thread = loop.target.value
                for join in _joins(loop, thread):
                    if _picked(join, loop, thread, analysis):
                        continue
                    yield Finding(
                        join,
                        f"'{snippet(join)}' waits with no timeout for every thread of the "
                        f"process ('threading.enumerate()' at line "
                        f"{analysis.line_of(loop.iter)}), not only the ones this code "
                        "started: a server's or a library's long-lived thread never ends, "
                        "so this never returns; keep the threads you start in a list and "
                        "join those",
                    )


def _lists_every_thread(
    value: cst.BaseExpression, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """``threading.enumerate()``, or a local of ``func`` bound to it and to nothing else."""
    if isinstance(value, cst.Call):
        return not value.args and (
            analysis.structure.qualified_name(value.func, func) == "threading.enumerate"
        )
    if not isinstance(value, cst.Name) or not func.is_local(value.value):
        return False
    bound = local_values(value.value, func)
    return bool(bound) and all(
        not isinstance(v, cst.Name) and _lists_every_thread(v, func, analysis) for v in bound or ()
    )


def _joins(loop: cst.For, thread: str) -> Iterator[cst.Call]:
    """The ``thread.join()`` calls with no argument in ``loop``'s body."""
    for statement in block(loop.body):
        for node in walk(statement, NOT_RUN):
            if (
                isinstance(node, cst.Call)
                and not node.args
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value == "join"
                and isinstance(node.func.value, cst.Name)
                and node.func.value.value == thread
            ):
                yield node


def _picked(join: cst.Call, loop: cst.For, thread: str, analysis: ModuleAnalysis) -> bool:
    """Does a test between ``loop`` and ``join`` (an ``if`` around it, or an ``if ...:
    continue`` in the loop's body) pick some of the threads rather than leave out the
    main, the current, dead or daemon ones?"""
    inner: cst.CSTNode = join
    node = analysis.parent_of(join)
    while node is not None and node is not loop:
        if isinstance(node, (cst.If, cst.While)):
            skipping = isinstance(node, cst.If) and inner is node.orelse
            if not _picks_none(node.test, thread, skipping):
                return True
        inner, node = node, analysis.parent_of(node)
    return any(
        isinstance(statement, cst.If)
        and _skips(statement)
        and not _picks_none(statement.test, thread, skipping=True)
        for statement in block(loop.body)
    )


def _skips(statement: cst.If) -> bool:
    """``if test: continue``."""
    body = list(block(statement.body))
    return (
        len(body) == 1
        and isinstance(body[0], cst.SimpleStatementLine)
        and isinstance(body[0].body[-1], cst.Continue)
    )


def _picks_none(test: cst.BaseExpression, thread: str, skipping: bool) -> bool:
    """Is every use of the thread in ``test`` a comparison that leaves out the main or
    current thread (``t is not main`` to go on, ``t is main`` to skip it), or a look at
    what every thread has (``is_alive()``, ``daemon``)?"""
    leaving_out = (cst.Is, cst.Equal) if skipping else (cst.IsNot, cst.NotEqual)
    for node in walk(test, NOT_RUN):
        if isinstance(node, cst.Call) and final_name(node.func) == "isinstance":
            return False
        if (
            isinstance(node, cst.Attribute)
            and _is_thread(node.value, thread)
            and node.attr.value not in _EVERY_THREAD
        ):
            return False
        if isinstance(node, cst.Comparison):
            for target in node.comparisons:
                if isinstance(target.operator, (cst.In, cst.NotIn)):
                    return False
                if _is_thread(node.left, thread) and not (
                    isinstance(target.operator, leaving_out) and _names_a_thread(target.comparator)
                ):
                    return False  # ``t is worker`` picks one; ``t is not main`` leaves one out
    return True


def _is_thread(expr: cst.BaseExpression, thread: str) -> bool:
    return isinstance(expr, cst.Name) and expr.value == thread


def _names_a_thread(expr: cst.BaseExpression) -> bool:
    """``threading.main_thread()``, ``threading.current_thread()``, or a name (a local
    bound to one of them, as ``main = threading.current_thread()``)."""
    if isinstance(expr, cst.Call):
        return final_name(expr.func) in _WHICH_THREAD
    return isinstance(expr, cst.Name)


RULES: list[type[Rule]] = [JoinsEveryThread]
