"""TS414: a signal handler installed by code that runs on a started thread."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis
from tsafe_lint.analysis.reachability import QTHREAD_VERB
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule, snippet
from tsafe_lint.rules.cannot_raise import in_try_taking
from tsafe_lint.rules.self_join import asks_which_thread

FAMILY = "threads"

#: Calls Python allows only in the main thread (``ValueError`` elsewhere).
_MAIN_THREAD_ONLY = frozenset({"signal.signal", "signal.set_wakeup_fd"})
#: How an entry says its function runs on a thread the code started itself (not a pool
#: that may be a process pool, not a callback that may run on the caller's thread).
_STARTED = (
    "started as a Thread target",
    "started by a Timer",
    "the run() of Thread subclass",
    "run by start_new_thread",
    "run by to_thread",
    QTHREAD_VERB,
)
#: Calls that ask which thread runs the code: a guard around the handler's installation.
_IDENTITY = frozenset({"main_thread", "current_thread", "currentThread", "get_ident"})
#: Handlers that take the ``ValueError``.
_TAKES_VALUE_ERROR = frozenset({"ValueError", "Exception", "BaseException"})


class SignalHandlerInThread(Rule):
    """Flags ``signal.signal(...)`` in code that runs on a thread the module starts.

    **What it does**

    Finds a call of ``signal.signal`` or ``signal.set_wakeup_fd`` in a function that runs
    on a started thread: a ``Thread`` or ``Timer`` target, the ``run()`` of a ``Thread``
    subclass, a ``QThread``'s, ``asyncio.to_thread``'s, or a function they call, in this
    module or, through the project's calls, in another. A call in a ``try`` whose handler
    takes ``ValueError``, and a function that asks which thread runs it
    (``threading.current_thread()``, ``threading.main_thread()``, ``get_ident()``), are
    not reported; nor is a thread pool's task, which may run in a process of its own.

    **Why is this bad**

    Python lets only the main thread install signal handlers: anywhere else the call
    raises ``ValueError: signal only works in main thread of the main interpreter``. The
    thread ends with a traceback before it does its work, while the code that started it
    goes on as if it ran (claude-cortex's watch mode, started from its terminal UI on a
    thread, stays marked running and does nothing: seventy-fifth validation set's misses;
    cadence-orchestration's SIGALRM timeouts in parallel steps: seventy-sixth's).

    **Example**

    ```python
    import signal
    import threading

    class Watcher:
        def run(self):
            signal.signal(signal.SIGTERM, self.stop)
            self.loop()

    watcher = Watcher()
    threading.Thread(target=watcher.run, daemon=True).start()
    ```

    **Use instead**

    Install the handler on the main thread, and let it tell the thread to stop:

    ```python
    import signal
    import threading

    class Watcher:
        def __init__(self):
            self.stopping = threading.Event()

        def run(self):
            while not self.stopping.wait(1):
                self.check()

    watcher = Watcher()
    signal.signal(signal.SIGTERM, lambda *_: watcher.stopping.set())
    threading.Thread(target=watcher.run, daemon=True).start()
    ```

    **References**

    Python docs, ``signal``: "Python signal handlers are always executed in the main
    Python thread of the main interpreter ... only the main thread is allowed to set a
    new signal handler."
    """

    code = "TS414"
    name = "signal-handler-set-in-thread"
    summary = "signal.signal() in code a started thread runs: ValueError off the main thread"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for func in analysis.structure.functions:
            entries = analysis.reach.entries.get(func, [])
            if not any(entry.verb.startswith(_STARTED) for entry in entries):
                continue
            if _asks_which_thread(func, analysis):
                continue
            for node in walk(func.node, NOT_RUN):
                if not isinstance(node, cst.Call):
                    continue
                if analysis.structure.qualified_name(node.func, func) not in _MAIN_THREAD_ONLY:
                    continue
                if in_try_taking(node, _TAKES_VALUE_ERROR, analysis):
                    continue
                yield Finding(
                    node,
                    f"'{snippet(node.func)}()' raises ValueError off the main thread, and "
                    f"{analysis.thread_reason(func)}: install the handler on the main thread",
                )


def _asks_which_thread(func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Does ``func``, or a function on the path from its thread's entry, ask which thread
    runs it?"""
    return any(asks_which_thread(step, _IDENTITY) for step in analysis.reach.path(func))


RULES: list[type[Rule]] = [SignalHandlerInThread]
