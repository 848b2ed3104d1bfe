"""TS408: a thread's own code joins that thread."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, Kind, ModuleAnalysis, awaited_code
from tsafe_lint.analysis.scopes import final_name
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule, snippet
from tsafe_lint.rules.cannot_raise import in_try_taking

FAMILY = "threads"

#: Calls that tell a thread which thread it is: a guard against joining oneself.
_IDENTITY = frozenset({"current_thread", "currentThread", "get_ident", "get_native_id"})
#: Handlers that take the ``RuntimeError`` a self-join raises.
_TAKES_RUNTIME_ERROR = frozenset({"RuntimeError", "Exception", "BaseException"})


class ThreadJoinsItself(Rule):
    """Flags ``thread.join()`` in code that the joined thread runs itself.

    **What it does**

    Finds ``t.join()`` where every thread the module stores in ``t`` runs a function of
    the module (``Thread(target=self._run_flush)``), and that function reaches the
    join through the module's calls: a worker that shuts its owner down when it meets
    an error (``_run_flush`` -> ``flush`` -> ``shutdown`` -> ``self._thread.join()``).
    A join in a ``try`` whose handler takes ``RuntimeError`` and code that asks which
    thread it runs on (``threading.current_thread()``, ``get_ident()``) on the way are
    not reported, nor a path through an ``except KeyboardInterrupt:`` handler of the
    thread's code: Python raises ``KeyboardInterrupt`` in the main thread alone.

    **Why is this bad**

    A thread cannot wait for itself to finish: ``join()`` raises ``RuntimeError:
    cannot join current thread``. The shutdown the worker meant to run stops half way
    (the session is never closed), the exception ends the thread with a traceback, and
    a later ``shutdown()`` from the main thread may find the work already marked done
    and skip it (sqlmesh's analytics dispatcher, found in a review of the fifty-third
    validation set's misses).

    **Example**

    ```python
    import threading

    class Dispatcher:
        def __init__(self):
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

        def _run(self):
            while not self._stop.wait(5):
                self.flush()

        def flush(self):
            if not self.send():
                self.shutdown()

        def shutdown(self):
            self._stop.set()
            self._thread.join()
    ```

    **Use instead**

    ```python
    import threading

    class Dispatcher:
        def __init__(self):
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

        def _run(self):
            while not self._stop.wait(5):
                self.flush()

        def flush(self):
            if not self.send():
                self.shutdown()

        def shutdown(self):
            self._stop.set()
            if threading.current_thread() is not self._thread:
                self._thread.join()
    ```

    **References**

    The talk's "Thread" slides; Python docs, ``threading.Thread.join`` ("join() raises a
    RuntimeError if an attempt is made to join the current thread").
    """

    code = "TS408"
    name = "thread-joins-itself"
    summary = "join() of a thread in code that thread runs itself: RuntimeError"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for call in analysis.regions.method_calls:
            if call.method != "join" or call.kind is not Kind.THREAD:
                continue
            awaited = awaited_code(call.receiver, Kind.THREAD, call.func, analysis)
            if awaited is None or in_try_taking(call.call, _TAKES_RUNTIME_ERROR, analysis):
                continue
            for entry in awaited.entries:
                chain = analysis.call_chain(entry, call.func)
                if not chain or any(asks_which_thread(step) for step in chain):
                    continue
                if _through_keyboard_interrupt(chain, analysis):
                    continue
                path = " -> ".join(f"'{step.name}'" for step in chain)
                yield Finding(
                    call.call,
                    f"'{snippet(call.call)}' can run on the thread it joins: its function "
                    f"reaches it ({path}), and a thread cannot join itself (RuntimeError: "
                    "cannot join current thread): skip the join when "
                    "threading.current_thread() is that thread",
                )
                break


def asks_which_thread(func: FunctionInfo, identity: frozenset[str] = _IDENTITY) -> bool:
    """Does ``func``'s own code call one of ``identity``, asking which thread runs it (a
    guard against joining oneself; TS414 passes its own names)?"""
    return any(
        isinstance(node, cst.Call) and final_name(node.func) in identity
        for node in walk(func.node, NOT_RUN)
    )


def _through_keyboard_interrupt(chain: list[FunctionInfo], analysis: ModuleAnalysis) -> bool:
    """Is a step of ``chain`` (code the joined thread runs) called only from an ``except
    KeyboardInterrupt:`` handler? Python raises ``KeyboardInterrupt`` in the main thread
    alone, so a started thread never runs that handler (nedo-vision-worker's RabbitMQ
    listener, sixty-fifth set: a TS408 judged false)."""
    for caller, callee in zip(chain, chain[1:]):
        sites = [
            site.call
            for site in analysis.regions.call_sites
            if site.func is caller and site.callee is callee
        ]
        if sites and all(_in_keyboard_interrupt_handler(site, analysis) for site in sites):
            return True
    return False


def _in_keyboard_interrupt_handler(node: cst.CSTNode, analysis: ModuleAnalysis) -> bool:
    current: cst.CSTNode | None = node
    while current is not None and not isinstance(current, (cst.FunctionDef, cst.Module)):
        if isinstance(current, cst.ExceptHandler) and current.type is not None:
            caught = current.type
            names = caught.elements if isinstance(caught, cst.Tuple) else None
            values = [e.value for e in names] if names is not None else [caught]
            return all(final_name(value) == "KeyboardInterrupt" for value in values)
        current = analysis.parent_of(current)
    return False


RULES: list[type[Rule]] = [ThreadJoinsItself]
