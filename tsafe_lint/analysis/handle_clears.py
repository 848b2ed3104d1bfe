"""A thread that clears its own handle as it stops, while the one stopping it uses it.

``close()`` lowers the flag the reader loops on (``self.is_open = False``), then tests
and joins the handle (``if self._thread: self._thread.join()``); the reader, whose loop
``while self.is_open:`` stands in a ``try`` whose ``finally`` stores ``self._thread =
None``, ends because of that very store and clears the handle at a moment close() does
not choose: between the test and the join, the join is a call on None (pyserial's
rfc2217 ``Serial.close()``, fixed in 3.5). A class's own thread against its callers is
not evidence by default; this shape is, because the caller's own act makes the other
write come, in the window. A thread that clears the handle on one error path only, or a
timer function that clears it when it fires, is left alone: nothing ties that write to
the caller's test (caffeine-ng's timer, obd's disconnect, dxcam's capture error and
borneo's token refresh, retired sets 44 to 71: judged 0 true, 1 false, 5 debatable).

The same holds when the loop is a public method the users run on a thread of theirs:
``run_forever()`` loops ``while self.keep_running:`` and its ``finally`` runs a teardown
that stores ``self.sock = None``; ``close()`` stores ``self.keep_running = False``, then
``if self.sock: self.sock.close()``. The loop blocks its caller until the flag drops, so
the ``close()`` that drops it runs on another thread, and its store ends the loop and
clears the socket inside close()'s window (websocket-client's ``WebSocketApp.close``,
fixed in 1.9.2).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.conflicts import attribute_name, stored_constant
from tsafe_lint.analysis.events import Access
from tsafe_lint.analysis.evidence import is_public
from tsafe_lint.analysis.scopes import FunctionInfo, block
from tsafe_lint.analysis.threads import own_attribute
from tsafe_lint.analysis.tree import NOT_RUN, contains, walk

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis


def cleared_as_stopped(
    analysis: ModuleAnalysis, write: Access, user: FunctionInfo, order: int
) -> bool:
    """Is ``write`` the ``None`` store, in the ``finally`` around its loop, that the thread
    held in that same attribute makes as it ends, and does ``user`` lower the loop's flag
    before ``order`` (the use)?"""
    key = write.key
    if key[0] != "attr" or len(key) != 3 or stored_constant(write) != "None":
        return False
    handle = f"{key[1]}.{key[2]}"
    starts = {start.call for start in analysis.thread_starts if start.handle == handle}
    if not any(
        entry.node in starts and entry.root is write.func
        for entry in analysis.reach.entries.get(write.func, ())
    ):
        return False
    flag = _flag_of_loop_in_try(write)
    if flag is None:
        return False
    return _lowers_before(analysis, user, flag, order)


def stopped_loop(analysis: ModuleAnalysis, write: Access, user: FunctionInfo, order: int) -> str:
    """Why ``write`` (a store of ``None``, in the ``finally`` around a public method's
    loop ``while self.<flag>:``, or in a nested function or method of the class that
    ``finally`` calls) can come between ``user``'s test and its use at ``order``: ``user``,
    another public method of the class that the loop does not call, lowers that flag
    before its use; "" when it cannot."""
    key = write.key
    if key[0] != "attr" or len(key) != 3 or stored_constant(write) != "None":
        return ""
    if not is_public(user):
        return ""  # a helper: it may be the loop's own way out, on the loop's thread
    for looping, flag in _loops_ended_by(write):
        if (
            looping is user
            or looping.cls is None
            or looping.cls is not user.cls
            or not is_public(looping)
            or analysis.call_chain(looping, user)
        ):
            continue  # the loop calls it: it may run on the loop's own thread
        if _lowers_before(analysis, user, flag, order):
            return (
                f"'{looping.name}' loops while '{flag}' is set, blocking its caller, and sets "
                f"{attribute_name(key)} to None at line {analysis.line_of(write.node)} as it "
                f"ends; '{user.name}' lowers '{flag}' first, so it runs on another thread and "
                "that store can come in its window"
            )
    return ""


def _lowers_before(analysis: ModuleAnalysis, user: FunctionInfo, flag: str, order: int) -> bool:
    """Does ``user`` store ``self.<flag> = False`` before ``order``?"""
    return any(
        lowered.func is user
        and lowered.order < order
        and lowered.key[0] == "attr"
        and user.cls is not None
        and lowered.key[1] == user.cls.qualname
        and lowered.key[-1] == flag
        and stored_constant(lowered) == "False"
        for lowered in analysis.regions.writes
    )


def _loops_ended_by(write: Access) -> list[tuple[FunctionInfo, str]]:
    """The functions whose ``finally`` around ``while self.<flag>:`` makes ``write``:
    its own function, the function a nested helper making it belongs to
    (``def teardown(): ...`` called as ``teardown()``), or a method of its class
    that calls the method making it (``self._teardown()``)."""
    func = write.func
    found: list[tuple[FunctionInfo, str]] = []
    flag = _flag_of_loop_in_try(write)
    if flag is not None:
        found.append((func, flag))
    if not isinstance(func.node, cst.FunctionDef):
        return found
    parent = func.parent
    if parent is not None and not parent.is_module:
        flag = _flag_of_loop_around(parent, lambda node: _calls_name(node, func.name))
        if flag is not None:
            found.append((parent, flag))
    if func.cls is not None and func.self_name is not None:
        for method in func.cls.methods.values():
            if method is func or method.self_name is None:
                continue
            calls_it = partial(_calls_own_method, self_name=method.self_name, name=func.name)
            flag = _flag_of_loop_around(method, calls_it)
            if flag is not None:
                found.append((method, flag))
    return found


def _calls_name(node: cst.CSTNode, name: str) -> bool:
    return any(
        isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == name
        for call in walk(node, NOT_RUN)
    )


def _calls_own_method(node: cst.CSTNode, self_name: str, name: str) -> bool:
    return any(
        isinstance(call, cst.Call) and own_attribute(call.func, self_name) == name
        for call in walk(node, NOT_RUN)
    )


def _flag_of_loop_in_try(write: Access) -> str | None:
    """``"is_open"`` when ``write`` stands in the ``finally`` of a ``try`` at the top of
    its function whose body loops ``while self.is_open:``."""
    return _flag_of_loop_around(write.func, lambda node: contains(node, write.node))


def _flag_of_loop_around(
    func: FunctionInfo, in_finally: Callable[[cst.CSTNode], bool]
) -> str | None:
    """``"is_open"`` when a ``try`` at the top of ``func`` loops ``while self.is_open:``
    in its body and its ``finally`` satisfies ``in_finally``."""
    if not isinstance(func.node, cst.FunctionDef) or func.self_name is None:
        return None
    for statement in block(func.node.body):
        if not isinstance(statement, cst.Try) or statement.finalbody is None:
            continue
        if not in_finally(statement.finalbody):
            continue
        for node in walk(statement.body, NOT_RUN):
            if isinstance(node, cst.While):
                flag = own_attribute(node.test, func.self_name)
                if flag is not None:
                    return flag
    return None
