"""TS106, TS107: state of the whole process changed by code that runs on threads.

The working directory, the environment, ``sys.stdout`` and ``sys.argv``, the umask and
the locale belong to the process, not to a thread: a worker that changes them changes
them under every other thread's feet. Unlike a module global, no lock the worker takes
protects the readers, which are the interpreter and every library that opens a relative
path, starts a subprocess or prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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
    (``locale.setlocale`` with a new value), for good: a change that the function
    undoes (a ``with redirect_stdout(...)``, a restore in a ``finally`` block) is a
    swap, which TS107 reports on any thread. A change made while a lock is held is left
    alone: code that changes such state under one lock serialises its users. Process
    pools are not threads: each worker has its own process; so is the child's branch
    after ``pid = os.fork()`` (``if pid == 0:``).

    Off by default: select it with ``--select TS106``. A strict review of its findings
    on the retired validation sets (forty-fourth to seventy-sixth) judged 0 true, 1 false
    and 15 debatable: such changes are mostly deliberate settings for the whole process
    (every thread stores the same value, an admin action sets a key, a worker process
    that runs one request at a time). The true ones of that review were swaps, which
    TS107 reports.

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
    #: off: on the retired sets its changes for good were mostly deliberate settings of
    #: the whole process (0 true, 1 false, 15 debatable)
    default_enabled = False
    summary = "the working directory, environment or sys.stdout changed for good on several threads"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        reported: set[int] = set()
        for change in _changes(analysis):
            if change.swap or id(change.node) in reported:
                continue
            if analysis.reach.many(change.func):
                reported.add(id(change.node))
                yield Finding(
                    change.node,
                    f"changes {change.what}, which every thread of the process shares, from "
                    f"code that runs on several threads: the other threads' paths, prints or "
                    f"subprocesses see this one's value; pass it to what needs it instead; "
                    f"{analysis.thread_reason(change.func)}",
                )


class ProcessStateSwappedOnThread(Rule):
    """Flags code on a thread that changes state of the whole process for a while.

    **What it does**

    Finds, in code that a thread runs (a ``Thread`` target, a pool task, a ``Timer``, a
    callback run on another thread, or anything they call), state of the process
    changed for a while and then restored: ``with contextlib.redirect_stdout(...)``,
    ``redirect_stderr`` or ``contextlib.chdir``, or a change of the working directory,
    the environment, ``sys.stdout``, ``sys.stderr``, ``sys.stdin``, ``sys.argv``, the
    umask or the locale that the same function undoes in a ``finally`` block. It reports
    each function once, at its first such change. A swap made while a lock is held is
    left alone, as is a change for good (TS106 looks at those) and a forked child's.

    On by default. A strict review of its findings on the retired validation sets
    (forty-fourth to seventy-fifth), by a reviewer who wrote no rule, judged 11 true, 2
    false and 3 debatable (85%): the false ones were a swap serialised by a turn lock of
    the package's own making and one made only when the pool runs a single task on the
    calling thread.

    **Why is this bad**

    A swap expects the value to stay this code's own until it is undone, but it belongs
    to the process: until then the main thread and every other thread print into this
    one's buffer, resolve relative paths against this one's directory or create files
    under this one's umask. Two threads that swap at once restore each other's values:
    the first to finish puts back the original while the second still needs its own,
    and the second then puts back the first one's value, which stays for good (a
    ``sys.stdout`` left pointing at a buffer nobody reads). The Python docs call
    ``redirect_stdout`` and ``contextlib.chdir`` unsuitable for threaded code.

    **Example**

    ```python
    import contextlib
    import io
    import threading

    def run_captured(task, log):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):  # every thread prints here now
            task()
        log.write(buffer.getvalue())

    def on_click(task, log):
        threading.Thread(target=run_captured, args=(task, log)).start()
    ```

    **Use instead**

    Pass the stream, directory or environment to what needs it (``print(..., file=f)``,
    ``subprocess.run(..., cwd=..., env=...)``, ``os.open(..., mode)``), or hold one lock
    around every swap and every use of the state:

    ```python
    import io
    import threading

    def run_captured(task, log):
        buffer = io.StringIO()
        task(out=buffer)
        log.write(buffer.getvalue())

    def on_click(task, log):
        threading.Thread(target=run_captured, args=(task, log)).start()
    ```

    **Fix**

    None: what to pass instead depends on the code.

    **References**

    Python docs, ``contextlib.redirect_stdout`` and ``contextlib.chdir`` ("not suitable
    for use in library code and most threaded applications"), ``os.umask``.
    """

    code = "TS107"
    name = "process-state-swapped-on-thread"
    default_enabled = True
    summary = "the working directory, environment or sys.stdout swapped for a while on a thread"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        first: dict[FunctionInfo, _Change] = {}
        what: dict[FunctionInfo, list[str]] = {}
        for change in _changes(analysis):
            if not change.swap:
                continue
            first.setdefault(change.func, change)
            if change.what not in what.setdefault(change.func, []):
                what[change.func].append(change.what)
        for func, change in first.items():
            *rest, last = what[func]
            swapped = f"{', '.join(rest)} and {last}" if rest else last
            several = len(what[func]) > 1
            it, they = ("them", "they are") if several else ("it", "it is")
            value = "values" if several else "value"
            yield Finding(
                change.node,
                f"swaps {swapped} for a while on a thread: every thread of the process "
                f"shares {it}, so until {they} restored the other threads (the main one too) "
                f"see this one's {value}, and two such swaps restore each other's; pass {it} to "
                f"what needs {it} instead; {analysis.thread_reason(func)}",
            )


@dataclass(frozen=True)
class _Change:
    """A change of process-wide state in code a thread runs, not under a lock."""

    func: FunctionInfo
    node: cst.CSTNode
    what: str
    #: made for a while: a ``with`` that undoes it, or undone in a ``finally``
    swap: bool


#: context managers that change process-wide state until their block ends
_TEMPORARY_CALLS = frozenset(
    {"contextlib.chdir", "contextlib.redirect_stdout", "contextlib.redirect_stderr"}
)


def _changes(analysis: ModuleAnalysis) -> Iterator[_Change]:
    """Every change of process-wide state, in source order per function, in the
    functions threads run, but for those made under a lock, in a forked child, or in a
    ``finally`` block (the restores of a swap); one per state a statement changes
    (``sys.stdout = sys.stderr = buffer``)."""
    held = {id(call.call) for call in analysis.regions.calls if call.state.held}
    for func in analysis.reach.entries:
        restores, restored = _restores(func, analysis)
        for node in walk(func.node, skip=NOT_RUN):
            changed = _changed_by(node, analysis, func)
            if (
                not changed
                or id(node) in held
                or id(node) in restores
                or _under_lock(node, func, analysis)
                or _in_forked_child(node, func, analysis)
            ):
                continue
            temporary = (
                isinstance(node, cst.Call)
                and _qualified(node.func, analysis, func) in _TEMPORARY_CALLS
                and isinstance(analysis.parent_of(node), cst.WithItem)
            )
            for what in changed:
                yield _Change(func, node, what, temporary or what in restored)


def _restores(func: FunctionInfo, analysis: ModuleAnalysis) -> tuple[set[int], set[str]]:
    """The changes of process-wide state in the ``finally`` blocks of ``func`` (the ids
    of the calls and statements, and what they change): the restores of a swap."""
    restores: set[int] = set()
    restored: set[str] = set()
    for node in walk(func.node, skip=NOT_RUN):
        if not isinstance(node, cst.Try) or node.finalbody is None:
            continue
        for inner in walk(node.finalbody, skip=NOT_RUN):
            changed = _changed_by(inner, analysis, func)
            if changed:
                restores.add(id(inner))
                restored.update(changed)
    return restores, restored


def _changed_by(node: cst.CSTNode, analysis: ModuleAnalysis, func: FunctionInfo) -> list[str]:
    """What process-wide state the call or statement ``node`` changes (none, one, or
    several for ``sys.stdout = sys.stderr = buffer``)."""
    if isinstance(node, cst.Call):
        what = _changed_by_call(node, _qualified(node.func, analysis, func), analysis, func)
        return [] if what is None else [what]
    if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del)):
        return _stored_by(node, analysis, func)
    return []


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


def _stored_by(
    node: cst.Assign | cst.AugAssign | cst.AnnAssign | cst.Del,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
) -> list[str]:
    """The process-wide state the statement ``node`` stores into (both of ``sys.stdout,
    sys.stderr = ...``)."""
    stored: list[str] = []
    if isinstance(node, cst.Assign):
        targets: list[cst.BaseExpression] = [t.target for t in node.targets]
    else:
        targets = [node.target]
    for target in targets:
        parts = (
            [element.value for element in target.elements]
            if isinstance(target, (cst.Tuple, cst.List))
            else [target]
        )
        for part in parts:
            what = _stored_state(part, analysis, func)
            if what is not None and what not in stored:
                stored.append(what)
    return stored


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


RULES: list[type[Rule]] = [ProcessStateChangedInThread, ProcessStateSwappedOnThread]
