"""TS305: a close() that leaves a thread asleep on the object's Condition."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, Kind, MethodCall, ModuleAnalysis
from tsafe_lint.analysis.symbols import argument
from tsafe_lint.analysis.tree import NOT_RUN, assignment_targets, walk
from tsafe_lint.rules.base import Finding, Rule, snippet

FAMILY = "conditions"

#: The methods that end an object's life: what a waiting caller must hear about.
_LIFECYCLE = (
    "close",
    "stop",
    "shutdown",
    "terminate",
    "cancel",
    "dispose",
    "disconnect",
)
_NOTIFY = frozenset({"notify", "notify_all", "notifyAll"})
#: A wait whose timeout is a constant up to this many seconds polls: it re-tests soon.
_POLL_SECONDS = 5.0


class CloseLeavesWaiterAsleep(Rule):
    """Flags a ``close()`` that never wakes the threads waiting on the object's Condition.

    **What it does**

    Finds a class with a ``threading.Condition`` attribute that one of its methods waits
    on in a loop (``while not self._queue: self._not_empty.wait()``), and a method that
    ends the object's life (``close``, ``stop``, ``shutdown``, ``terminate``, ``cancel``,
    ``dispose``, ``disconnect``; not ``__exit__``, often a lock's release) that neither
    notifies that Condition nor calls a method of the module that does (a ``_put(None)``
    that notifies counts). Not reported: a wait with a constant timeout of at most five
    seconds (a poll that looks again soon), a wait with any timeout whose loop reads an
    attribute the closing method sets (the waiter sees it when the timeout ends), and a
    closing method that itself waits in the waiting function (``close()`` calling
    ``self.wait_settled()`` ends nothing the waiters wait for).

    **Opt-in**

    Off by default: select it with ``--select TS305``. Whether anything still wakes the
    waiter after the object is closed is seldom visible in the module's calls: the
    producer thread notifies on its way out, a remote peer answers, or the "closing"
    method ends something else than what the waiter waits for. On the retired validation
    sets 44 to 79 it first reported 20 findings, which a reviewer who wrote no rule
    judged 1 true, 18 false and 1 debatable; six are left alone since (``__exit__``, a
    close that waits in the waiting function, a flag read in the loop's body), which
    leaves 1 true and 13 false (bench/ts305_triage.md). It finds watchdog's bug in
    bench/bugs.

    **Why is this bad**

    A thread waiting on the Condition when ``close()`` runs keeps waiting for a
    ``notify()`` that nothing will send any more: the producer is stopped, the socket
    closed. It hangs for good (a reader blocked in ``read_event()``, and a ``join()`` of
    it with it), or until its long timeout ends, and then reports a spurious error
    instead of ending (watchdog's inotify buffer in bench/bugs; commandagi's frame
    waiter, found in a review of the seventy-ninth validation set's misses).

    **Example**

    ```python
    import threading
    from collections import deque

    class Buffer:
        def __init__(self):
            self._not_empty = threading.Condition()
            self._items = deque()
            self._closed = False

        def get(self):
            with self._not_empty:
                while not self._items:
                    self._not_empty.wait()
                return self._items.popleft()

        def close(self):
            self._closed = True
    ```

    **Use instead**

    ```python
    import threading
    from collections import deque

    class Buffer:
        def __init__(self):
            self._not_empty = threading.Condition()
            self._items = deque()
            self._closed = False

        def get(self):
            with self._not_empty:
                while not self._items and not self._closed:
                    self._not_empty.wait()
                if not self._items:
                    return None
                return self._items.popleft()

        def close(self):
            with self._not_empty:
                self._closed = True
                self._not_empty.notify_all()
    ```

    **References**

    The talk's "Condition" slides (every state change the waiters test needs a
    notify); Python docs, ``threading.Condition.wait``.
    """

    code = "TS305"
    name = "close-leaves-waiter-asleep"
    default_enabled = False
    summary = "close() never notifies the Condition a method of the class waits on"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for wait in analysis.regions.method_calls:
            if wait.method != "wait" or wait.kind is not Kind.CONDITION:
                continue
            cls = wait.func.cls
            if cls is None or wait.state.loop is None or not _on_self(wait):
                continue
            closer = next(
                (
                    closer
                    for closer in _closers(wait.func)
                    if not _wakes(closer, wait, analysis) and not _polls(wait, closer, analysis)
                ),
                None,
            )
            if closer is None:
                continue
            yield Finding(
                wait.call,
                f"'{snippet(wait.call)}' in '{wait.func.name}' waits for a notify, but "
                f"'{cls.qualname}.{closer.name}' never notifies '{snippet(wait.receiver)}': "
                f"a thread waiting here when {closer.name}() runs keeps sleeping after "
                "nothing is left to wake it; set the state the loop tests and notify_all() "
                f"under the condition in {closer.name}()",
            )


def _on_self(wait: MethodCall) -> bool:
    """Is the Condition an attribute of the waiting method's own object?"""
    receiver = wait.receiver
    return (
        isinstance(receiver, cst.Attribute)
        and isinstance(receiver.value, cst.Name)
        and receiver.value.value == wait.func.self_name
    )


def _closers(func: FunctionInfo) -> list[FunctionInfo]:
    """The methods of ``func``'s class that end the object's life, ``close`` first."""
    cls = func.cls
    assert cls is not None
    return [
        cls.methods[name]
        for name in _LIFECYCLE
        if name in cls.methods and not cls.methods[name].is_async and cls.methods[name] is not func
    ]


def _wakes(closer: FunctionInfo, wait: MethodCall, analysis: ModuleAnalysis) -> bool:
    """Does ``closer``, or a module function it reaches, notify the waited Condition? Or
    wait in the same function itself: a ``close()`` that first waits for the work to
    settle (``self.wait_settled()``) ends nothing the waiters wait for (agently-stage,
    fifty-ninth set)."""
    reached = analysis.reached_from([closer])
    return wait.func in reached or any(
        call.method in _NOTIFY and call.target == wait.target and call.func in reached
        for call in analysis.regions.method_calls
    )


def _polls(wait: MethodCall, closer: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Does the waiter look again by itself: a short constant timeout, or any timeout
    with a loop that reads an attribute the closing method sets, in its test or its body
    (``if not self._open: return b""``: esplink's socket, sixty-third set)?"""
    timeout = argument(wait.call, 0, "timeout")
    if timeout is None or (isinstance(timeout, cst.Name) and timeout.value == "None"):
        return False  # waits until notified
    if isinstance(timeout, (cst.Integer, cst.Float)):
        return float(timeout.evaluated_value) <= _POLL_SECONDS
    loop = wait.state.loop
    assert loop is not None
    return bool(_self_attributes(loop, wait.func) & _set_by(closer, analysis))


def _self_attributes(node: cst.CSTNode, func: FunctionInfo) -> set[str]:
    """The attributes of ``func``'s own object that ``node`` names (``self._open``)."""
    return {
        sub.attr.value
        for sub in walk(node, NOT_RUN)
        if isinstance(sub, cst.Attribute)
        and isinstance(sub.value, cst.Name)
        and sub.value.value == func.self_name
    }


def _set_by(closer: FunctionInfo, analysis: ModuleAnalysis) -> set[str]:
    """The attributes of ``self`` that ``closer`` or the module functions it reaches set."""
    names: set[str] = set()
    for func in analysis.reached_from([closer]):
        for node in walk(func.node, NOT_RUN):
            for target in assignment_targets(node):
                names |= _self_attributes(target, func)
    return names


RULES: list[type[Rule]] = [CloseLeavesWaiterAsleep]
