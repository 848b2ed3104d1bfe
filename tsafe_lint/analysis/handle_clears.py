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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.conflicts import stored_constant
from tsafe_lint.analysis.events import Access
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
    return any(
        lowered.func is user
        and lowered.order < order
        and lowered.key[-1] == flag
        and stored_constant(lowered) == "False"
        for lowered in analysis.regions.writes
    )


def _flag_of_loop_in_try(write: Access) -> str | None:
    """``"is_open"`` when ``write`` stands in the ``finally`` of a ``try`` at the top of
    its function whose body loops ``while self.is_open:``."""
    func = write.func
    if not isinstance(func.node, cst.FunctionDef) or func.self_name is None:
        return None
    for statement in block(func.node.body):
        if not isinstance(statement, cst.Try) or statement.finalbody is None:
            continue
        if not contains(statement.finalbody, write.node):
            continue
        for node in walk(statement.body, NOT_RUN):
            if isinstance(node, cst.While):
                flag = own_attribute(node.test, func.self_name)
                if flag is not None:
                    return flag
    return None
