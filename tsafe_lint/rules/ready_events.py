"""TS405: a wait for a thread's "ready" Event that the thread sets only if nothing fails."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis
from tsafe_lint.analysis.awaited import canonical_key
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule, snippet
from tsafe_lint.rules.event_setters import failure_before_set, made_as_event

FAMILY = "threads"


class ReadyEventNotSetOnFailure(Rule):
    """Flags a wait with no timeout for an Event that the thread just started sets only
    when the code before its ``set()`` does not fail.

    **What it does**

    Finds a function that starts a thread and then calls ``event.wait()`` with no
    timeout, where the thread's function (the module's) sets that Event, made by
    ``threading.Event()`` (a local or an attribute), only after statements that can fail
    in use (a server bound, a connection opened, a foreign call) or return early, with
    no ``finally:`` and no ``except`` handler that sets it. A ``set()`` preceded only by
    code that cannot fail in use (stores, arithmetic, the clock, a log line), a ``try``
    whose handlers set the Event (or fall through to the ``set()``), a ``finally:`` that
    sets it and a wait with a timeout are not reported; nor is a ``set()`` made only in
    a callback or a branch (not among the function's own top-level statements). A call
    of one of the module's functions that sets it on every path (``self._announce()``, a
    coroutine run by ``loop.run_until_complete(...)``) counts as its ``set()``. On
    the 1,772 files of retired validation sets 20 to 31, 35 and 43 to 47 and of
    bench/bugs that make an ``Event`` and start a thread, it reports one (dbos's
    background event loop, whose executor and loop are set up before the ``set()``;
    not judged), besides telnetlib3's server.

    **Why is this bad**

    When the thread's set-up raises (or gives up and returns), the thread ends and the
    Event is never set: the caller waits forever instead of seeing the error. A server's
    ``start()`` that cannot bind its port hangs the application at start-up rather than
    failing (telnetlib3's blocking server, found in a review of the forty-eighth
    validation set's misses).

    **Example**

    ```python
    import threading

    class Server:
        def __init__(self):
            self._ready = threading.Event()

        def start(self):
            threading.Thread(target=self._run, daemon=True).start()
            self._ready.wait()

        def _run(self):
            self._sock = bind(self._port)   # raises: _ready is never set
            self._ready.set()
            self._serve()
    ```

    **Use instead**

    ```python
    import threading

    class Server:
        def __init__(self):
            self._ready = threading.Event()
            self._error = None

        def start(self):
            threading.Thread(target=self._run, daemon=True).start()
            self._ready.wait()
            if self._error is not None:
                raise self._error

        def _run(self):
            try:
                self._sock = bind(self._port)
            except BaseException as exc:
                self._error = exc
                return
            finally:
                self._ready.set()
            self._serve()
    ```

    **References**

    The talk's "Event" slides; Python docs, ``threading.Event.wait`` ("block until the
    internal flag is true"; with no timeout, for good).
    """

    code = "TS405"
    name = "ready-event-not-set-on-failure"
    summary = "waits with no timeout for an Event the started thread sets only if nothing fails"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        reported: set[int] = set()
        for start in analysis.thread_starts:
            func = start.func
            if start.in_process or start.target is None or func.is_module or func.is_async:
                continue
            target = analysis.resolve_function(start.target, func)
            if target is None or target.is_async:
                continue
            for wait, key in _waits_after(start.call, func, analysis):
                if id(wait) in reported:
                    continue
                reached, failing = failure_before_set(target, key, analysis)
                if not reached or failing is None:
                    continue
                reported.add(id(wait))
                yield Finding(
                    wait,
                    f"'{snippet(wait.func)}()' waits with no timeout for an Event that "
                    f"'{target.name}', started at line {analysis.line_of(start.call)}, sets "
                    f"only after line {analysis.line_of(failing)}, which can raise or return "
                    "first: the thread then ends without setting it and this wait never "
                    "returns; set it in a 'finally' (and hand the error back), or wait with a "
                    "timeout while the thread is alive",
                )


def _waits_after(
    call: cst.Call, func: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[tuple[cst.Call, SymbolKey]]:
    """The ``event.wait()`` calls with no argument that ``func`` runs after ``call``
    (the thread's construction), on an Event made by ``threading.Event()``."""
    passed = False
    for node in walk(func.node, NOT_RUN):
        if node is call:
            passed = True
            continue
        if not (
            passed
            and isinstance(node, cst.Call)
            and not node.args
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "wait"
        ):
            continue
        key = canonical_key(analysis.symbols.key_of(node.func.value, func), analysis)
        if key is not None and made_as_event(key, analysis):
            yield node, key


RULES: list[type[Rule]] = [ReadyEventNotSetOnFailure]
