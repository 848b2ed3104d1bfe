"""TS413: a restart resets the stop signal the old thread may still be looping on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.kinds import Kind, kind_of_factory
from tsafe_lint.analysis.threads import own_attribute
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule
from tsafe_lint.rules.raised_flags import other_methods

FAMILY = "threads"

#: Methods that set an object up, before any thread can have it: no restart.
_SET_UP = frozenset({"__init__", "__new__", "__post_init__", "setUp"})


@dataclass(frozen=True)
class _LoopSignal:
    """What a thread's loop runs on: ``while self.running:`` (a flag) or ``while not
    self._stop.is_set():`` / ``while not self._stop.wait(t):`` (an Event)."""

    attribute: str
    event: bool

    def spelled(self) -> str:
        return f"self.{self.attribute}"


class RestartRevivesOldThread(Rule):
    """Flags a start method that resets the stop flag or Event of a thread loop for its
    new thread, when the stop method does not wait for the old thread to end.

    **What it does**

    Finds a method (not ``__init__``) that starts ``Thread(target=self._loop)``, where
    ``_loop`` runs ``while self.running:`` or ``while not self._stop.is_set():`` (or
    ``.wait(t)``) at its top level, and that first resets that signal for the new thread
    (``self.running = True``, ``self._stop.clear()``, or a new ``Event`` in
    ``self._stop``), while another method of the class stops the loop
    (``self.running = False``, ``self._stop.set()``) and waits for the thread with a
    timeout (``join(timeout=2)``) or not at all. A start that first checks the old
    thread (``is_alive()``) or joins it without a timeout, and a loop that is handed its
    own Event as an argument, are not reported. Nor is a stop that is itself a thread of
    the class (a reader loop that lowers the flag when it fails) or a start (one that
    lowers it again when ``start()`` raised).

    **Opt-in**

    Off by default: select it with ``--select TS413``. Whether a stopped object is ever
    started again, and whether its old thread can still be inside a pass by then, is
    seldom visible in the code: most such classes are started once per object (a new
    spinner, session or client each time), and many loops wait on the Event itself with
    a pass far shorter than the stop's join. On the retired validation sets 44 to 63 and
    bench/bugs it reported 35 findings, which two reviewers who wrote no rule judged 3
    true, 23 false and 9 debatable (12%), far below what a default-on rule needs; it is
    there for an audit of start/stop code (the revivals reviewers found by reading code,
    forexsmartbot's among them).

    **Why is this bad**

    The old thread reads the signal from the object, not from a value of its own. After a
    stop whose join timed out (the thread was in a slow call) or that did not wait (it
    was asleep between passes), a restart resets the one signal both threads read: the
    old thread wakes up, finds the flag up again and keeps looping beside the new one.
    Every pass now runs twice (forexsmartbot's price stream and cloud sync, found in a
    review of the sixty-third validation set's misses), and the next stop cannot stop
    the orphan, whose handle is gone.

    **Example**

    ```python
    import threading

    class Streamer:
        def start(self):
            self.running = True
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

        def stop(self):
            self.running = False
            self._thread.join(timeout=2.0)

        def _loop(self):
            while self.running:
                self.poll()
    ```

    **Use instead**

    ```python
    import threading

    class Streamer:
        def start(self):
            stop = self._stop = threading.Event()
            self._thread = threading.Thread(target=self._loop, args=(stop,), daemon=True)
            self._thread.start()

        def stop(self):
            self._stop.set()
            self._thread.join(timeout=2.0)

        def _loop(self, stop):
            while not stop.is_set():
                self.poll()
    ```

    Each thread loops on its own Event; a restart makes a new one and never revives the
    old thread. Or refuse to start while the old thread is alive.

    **References**

    The talk's "Event" slides; Python docs, ``threading.Thread.join`` (with a timeout,
    call ``is_alive()`` afterwards to tell whether the join timed out).
    """

    code = "TS413"
    name = "restart-revives-old-thread"
    summary = "a restart resets the stop signal a thread that has not ended still reads"
    default_enabled = False

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        reported: set[tuple[FunctionInfo, str]] = set()
        for start in analysis.thread_starts:
            starter = start.func
            if (
                start.how != "Thread"
                or start.target is None
                or starter.cls is None
                or starter.self_name is None
                or starter.name in _SET_UP
            ):
                continue
            loop = analysis.resolve_function(start.target, starter)
            if loop is None or loop.cls is None or loop.is_async:
                continue
            signal = _loop_signal(loop)
            if signal is None or (starter, signal.attribute) in reported:
                continue
            reset = _reset(starter, signal, analysis)
            if reset is None or _checks_old_thread(starter):
                continue
            stoppers = _stoppers_without_wait(signal, loop, analysis)
            if not stoppers:
                continue
            reported.add((starter, signal.attribute))
            names = " or ".join(f"'{name}()'" for name in stoppers)
            yield Finding(
                reset,
                f"'{signal.spelled()}' is {_action(reset, signal)} here for the new thread, "
                f"but {names} does not make sure the old one has ended: if it is still running "
                f"'{loop.name}', it finds the signal reset and keeps looping beside the new "
                "thread; give each thread its own Event (pass it as an argument), or do not "
                "start while the old thread is alive",
            )


def _action(reset: cst.CSTNode, signal: _LoopSignal) -> str:
    if not signal.event:
        return "raised again"
    return "cleared" if isinstance(reset, cst.Call) else "replaced by a new Event"


def _loop_signal(loop: FunctionInfo) -> _LoopSignal | None:
    """The signal of the first top-level ``while`` of the thread's function (directly, or
    in a top-level ``try``)."""
    node = loop.node
    if not isinstance(node, cst.FunctionDef) or loop.self_name is None:
        return None
    for statement in block(node.body):
        inner = block(statement.body) if isinstance(statement, cst.Try) else [statement]
        for candidate in inner:
            if isinstance(candidate, cst.While):
                return _signal_of(candidate.test, loop.self_name)
    return None


def _signal_of(test: cst.BaseExpression, self_name: str) -> _LoopSignal | None:
    flag = own_attribute(test, self_name)
    if flag is not None:
        return _LoopSignal(flag, event=False)
    if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
        return None
    call = test.expression
    if (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value in ("is_set", "wait")
    ):
        event = own_attribute(call.func.value, self_name)
        if event is not None:
            return _LoopSignal(event, event=True)
    return None


def _reset(
    starter: FunctionInfo, signal: _LoopSignal, analysis: ModuleAnalysis
) -> cst.CSTNode | None:
    """The statement of the start method that puts the signal back to "run"."""
    assert starter.self_name is not None
    for node in walk(starter.node, NOT_RUN):
        if signal.event and _calls_on(node, starter, signal, "clear"):
            return node
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = own_attribute(node.targets[0].target, starter.self_name)
            if target != signal.attribute:
                continue
            if not signal.event and _is_name(node.value, "True"):
                return node
            if signal.event and isinstance(node.value, cst.Call):
                made = analysis.structure.qualified_name(node.value.func, starter)
                if kind_of_factory(made) is Kind.EVENT:
                    return node
    return None


def _calls_on(node: cst.CSTNode, func: FunctionInfo, signal: _LoopSignal, method: str) -> bool:
    """Is ``node`` the call ``self.<signal>.<method>()``?"""
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == method
        and func.self_name is not None
        and own_attribute(node.func.value, func.self_name) == signal.attribute
    )


def _is_name(node: cst.BaseExpression | None, value: str) -> bool:
    return isinstance(node, cst.Name) and node.value == value


def _checks_old_thread(starter: FunctionInfo) -> bool:
    """Does the start method ask whether the old thread is alive, or wait for it to end?"""
    return any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and (node.func.attr.value == "is_alive" or _waits_for_good(node))
        for node in walk(starter.node, NOT_RUN)
    )


def _waits_for_good(call: cst.Call) -> bool:
    """``x.join()`` with no timeout."""
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "join" and not call.args


def _stoppers_without_wait(
    signal: _LoopSignal, loop: FunctionInfo, analysis: ModuleAnalysis
) -> list[str]:
    """The methods of the class family, besides set-up, the methods that start threads
    and what the class's threads run, that stop the loop and never wait for a thread
    without a timeout (in themselves or what they call)."""
    starters = {start.func for start in analysis.thread_starts}
    threads = set(analysis.reach.entries)
    found: list[str] = []
    for func in other_methods(loop, analysis):
        if (
            func in starters  # lowers it again where its own start failed
            or func in threads  # a thread of the class ending the run, not a stop
            or not _stops(func, signal)
        ):
            continue
        reached = analysis.reached_from([func])
        if any(
            isinstance(node, cst.Call) and _waits_for_good(node)
            for callee in reached
            for node in walk(callee.node, NOT_RUN)
        ):
            continue
        found.append(func.name)
    return sorted(set(found))


def _stops(func: FunctionInfo, signal: _LoopSignal) -> bool:
    """Does ``func`` itself lower the flag or set the Event?"""
    assert func.self_name is not None
    for node in walk(func.node, NOT_RUN):
        if signal.event:
            if _calls_on(node, func, signal, "set"):
                return True
        elif (
            isinstance(node, cst.Assign)
            and len(node.targets) == 1
            and own_attribute(node.targets[0].target, func.self_name) == signal.attribute
            and _is_name(node.value, "False")
        ):
            return True
    return False


RULES: list[type[Rule]] = [RestartRevivesOldThread]
