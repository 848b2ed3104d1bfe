"""TS106: state of the whole process changed by code that runs on several threads.

The working directory, the environment, ``sys.stdout`` and ``sys.argv``, the umask and
the locale belong to the process, not to a thread: a worker that changes them changes
them under every other thread's feet. Unlike a module global, no lock the worker takes
protects the readers, which are the interpreter and every library that opens a relative
path, starts a subprocess or prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.kinds import LOCKLIKE
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis

FAMILY = "shared_state"

#: calls that change process-wide state -> what they change
_CHANGING_CALLS = {
    "os.chdir": "the working directory",
    "os.fchdir": "the working directory",
    "contextlib.chdir": "the working directory",
    "os.putenv": "the environment",
    "os.unsetenv": "the environment",
    "os.umask": "the umask",
    "contextlib.redirect_stdout": "'sys.stdout'",
    "contextlib.redirect_stderr": "'sys.stderr'",
}
#: methods of ``os.environ`` that change it
_ENVIRON_METHODS = frozenset({"update", "pop", "popitem", "setdefault", "clear"})
#: ``sys`` attributes a store replaces for every thread
_SYS_STREAMS = frozenset({"stdout", "stderr", "stdin", "argv"})


class ProcessStateChangedInThread(Rule):
    """Flags code that runs on several threads changing state of the whole process.

    **What it does**

    Finds, in a function that runs on several threads at once (a pool task, a thread
    started in a loop, or anything they call), a change of state that belongs to the
    process: the working directory (``os.chdir``, ``contextlib.chdir``), the environment
    (``os.environ[k] = v``, ``del os.environ[k]``, ``os.environ.update(...)``,
    ``os.putenv``), ``sys.stdout``, ``sys.stderr``, ``sys.stdin`` and ``sys.argv``
    (a store, or ``contextlib.redirect_stdout``), the umask, and the locale
    (``locale.setlocale`` with a new value). A change made while a lock is held is left
    alone: code that changes and restores such state under one lock serialises its users.
    Process pools are not threads: each worker has its own process; so is the child's
    branch after ``pid = os.fork()`` (``if pid == 0:``).

    Off by default: select it with ``--select TS106``. On the retired validation sets its
    first four findings were false (a forked child's change, fixed; a log file every
    thread stores into ``sys.stdout`` alike, for good, which no thread undoes).

    **Why is this bad**

    Threads share one process. When one task changes the directory, every other task's
    relative paths, and the subprocesses it starts, resolve against the new one; when it
    redirects ``sys.stdout``, every thread's prints go to its buffer; when it sets
    ``sys.argv`` and calls a command-line entry point, another task's call may parse its
    arguments. The save-and-restore around such a change does not help: two tasks that
    interleave restore each other's values (the Python docs say ``redirect_stdout`` and
    ``contextlib.chdir`` are not suitable for threaded code). Changing the environment
    while another thread reads it can even crash the process in C code (``setenv``).

    **Example**

    ```python
    import os
    from concurrent.futures import ThreadPoolExecutor

    def build(project):
        os.chdir(project)             # every other task now runs in this directory
        run_make()

    with ThreadPoolExecutor() as pool:
        pool.map(build, projects)
    ```

    **Use instead**

    Pass the directory, environment or stream to what needs it:

    ```python
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    def build(project):
        subprocess.run(["make"], cwd=project, check=True)

    with ThreadPoolExecutor() as pool:
        pool.map(build, projects)
    ```

    **Fix**

    None: what to pass instead depends on the code.

    **References**

    Python docs, ``contextlib.redirect_stdout`` and ``contextlib.chdir`` ("not suitable
    for use in library code and most threaded applications"), ``os.environ``.
    """

    code = "TS106"
    name = "process-state-changed-in-thread"
    #: off until measured: on the retired sets it found 4 changes, all judged false or
    #: fixed (a forked child's, and one shared value every thread stores for good)
    default_enabled = False
    summary = "the working directory, environment or sys.stdout changed by code on several threads"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for call in analysis.regions.calls:
            if call.state.held or not analysis.reach.many(call.func):
                continue
            what = _changed_by_call(call.call, call.qualified, analysis, call.func)
            if what is not None and not _in_forked_child(call.call, call.func, analysis):
                yield self._finding(analysis, call.call, call.func, what)
        for func in analysis.reach.entries:
            if not analysis.reach.many(func):
                continue
            for node, what in _stores(func, analysis):
                if not _under_lock(node, func, analysis) and not _in_forked_child(
                    node, func, analysis
                ):
                    yield self._finding(analysis, node, func, what)

    def _finding(
        self, analysis: ModuleAnalysis, node: cst.CSTNode, func: FunctionInfo, what: str
    ) -> Finding:
        return Finding(
            node,
            f"changes {what}, which every thread of the process shares, from code that runs "
            f"on several threads: the other threads' paths, prints or subprocesses see this "
            f"one's value; pass it to what needs it instead; {analysis.thread_reason(func)}",
        )


def _changed_by_call(
    call: cst.Call, qualified: str | None, analysis: ModuleAnalysis, func: FunctionInfo
) -> str | None:
    """What process-wide state ``call`` changes, or None."""
    if qualified in _CHANGING_CALLS:
        return _CHANGING_CALLS[qualified]
    if qualified == "locale.setlocale" and len(call.args) >= 2:
        return "the locale"
    callee = call.func
    if (
        isinstance(callee, cst.Attribute)
        and callee.attr.value in _ENVIRON_METHODS
        and _qualified(callee.value, analysis, func) == "os.environ"
    ):
        return "the environment"
    return None


def _stores(func: FunctionInfo, analysis: ModuleAnalysis) -> Iterator[tuple[cst.CSTNode, str]]:
    """Stores into process-wide state in ``func``: ``os.environ[k] = v``, ``del
    os.environ[k]``, ``sys.stdout = f``, ``sys.argv = [...]``, ``sys.argv[1:] = ...``."""
    for node in walk(func.node, skip=NOT_RUN):
        if isinstance(node, cst.Assign):
            targets: list[cst.BaseExpression] = [t.target for t in node.targets]
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.Del)):
            targets = [node.target]
        else:
            continue
        for target in targets:
            what = _stored_state(target, analysis, func)
            if what is not None:
                yield node, what
                break


def _stored_state(
    target: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> str | None:
    if isinstance(target, cst.Subscript):
        name = _qualified(target.value, analysis, func)
        if name == "os.environ":
            return "the environment"
        if name == "sys.argv":
            return "'sys.argv'"
        return None
    name = _qualified(target, analysis, func)
    if name is not None and name.startswith("sys.") and name[4:] in _SYS_STREAMS:
        return f"'{name}'"
    return None


def _qualified(
    expr: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> str | None:
    if not isinstance(expr, (cst.Name, cst.Attribute)):
        return None
    return analysis.structure.qualified_name(expr, func)


def _in_forked_child(node: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is ``node`` in the child's branch after ``pid = os.fork()`` (``if pid == 0:``, ``if
    not pid:``, the ``else`` of ``if pid:``)? The child is a process of its own: its
    environment and directory are no other thread's (execo's time zone switch, which
    forks because ``os.environ["TZ"]`` is not thread-safe)."""
    forked = {
        target.target.value
        for assign in walk(func.node, skip=NOT_RUN)
        if isinstance(assign, cst.Assign)
        and isinstance(assign.value, cst.Call)
        and analysis.structure.qualified_name(assign.value.func, func) == "os.fork"
        for target in assign.targets
        if isinstance(target.target, cst.Name)
    }
    if not forked:
        return False
    child: cst.CSTNode = node
    parent = analysis.parent_of(node)
    while parent is not None and parent is not func.node:
        if isinstance(parent, cst.If):
            zero = _tests_zero(parent.test, forked)
            if zero is not None:
                branch = parent.body if zero else parent.orelse
                if branch is not None and child is branch:
                    return True
        child, parent = parent, analysis.parent_of(parent)
    return False


def _tests_zero(test: cst.BaseExpression, forked: set[str]) -> bool | None:
    """True for ``pid == 0`` / ``not pid``, False for ``pid`` / ``pid != 0`` / ``pid >
    0`` (the child is the ``else``), None for a test of anything else."""
    if isinstance(test, cst.Name):
        return False if test.value in forked else None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _tests_zero(test.expression, forked)
        return None if inner is None else not inner
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        left, right = test.left, test.comparisons[0].comparator
        names = [e.value for e in (left, right) if isinstance(e, cst.Name)]
        zeros = [e for e in (left, right) if isinstance(e, cst.Integer) and e.value == "0"]
        if not zeros or not any(name in forked for name in names):
            return None
        operator = test.comparisons[0].operator
        if isinstance(operator, cst.Equal):
            return True
        if isinstance(operator, (cst.NotEqual, cst.GreaterThan, cst.LessThan)):
            return False
    return None


def _under_lock(node: cst.CSTNode, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is ``node`` in the body of a ``with`` that holds a lock (or under a lock already)?"""
    for entry in analysis.regions.with_entries:
        if entry.func is not func:
            continue
        locked = entry.state.held or entry.kind in LOCKLIKE
        if locked and any(inner is node for inner in walk(entry.node.body)):
            return True
    return False


RULES: list[type[Rule]] = [ProcessStateChangedInThread]
