"""Qt's worker objects: ``worker.moveToThread(thread)`` and
``thread.started.connect(worker.run)`` run ``worker.run`` on the new thread.

Qt's documented way to use a ``QThread`` is not to subclass it but to move a worker
object to it and connect the thread's ``started`` signal to one of the worker's slots:
when ``thread.start()`` runs, the slot runs on the new thread (the worker lives there),
while the object that set it up goes on on the GUI thread. Without this the worker's
code, the usual home of a Qt application's races with its GUI slots, ran on no thread
the analysis knew (plottr's filter worker iterating the model's dictionaries while the
GUI thread's slots change them, forty-third set's misses).

Only a slot of the object moved to that thread counts: a slot of an object left on the
GUI thread runs there (the connection is queued to the receiver's thread).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis.events import Regions
from tsafe_lint.analysis.scopes import FunctionInfo, decorated_with, final_name, local_values
from tsafe_lint.analysis.symbols import argument
from tsafe_lint.analysis.tree import NOT_RUN, walk


@dataclass(frozen=True)
class WorkerStart:
    """``thread.started.connect(slot)`` where ``slot`` is a method of an object moved to
    ``thread``: ``target`` is the slot as written, or the value of the local bound to
    it (``run = partial(self.worker.run, model)``)."""

    func: FunctionInfo
    call: cst.Call
    thread: cst.BaseExpression
    target: cst.BaseExpression
    repeated: bool


def worker_starts(regions: Regions) -> Iterator[WorkerStart]:
    """Each ``thread.started.connect(worker.slot)`` after ``worker.moveToThread(thread)``
    in the same function."""
    for any_call in regions.calls:
        callee = any_call.call.func
        if not (
            isinstance(callee, cst.Attribute)
            and callee.attr.value == "connect"
            and isinstance(callee.value, cst.Attribute)
            and callee.value.attr.value == "started"
        ):
            continue
        thread = callee.value.value
        slot = argument(any_call.call, 0, "slot")
        if slot is None:
            continue
        target = _bound_value(slot, any_call.func)
        receiver = _receiver(target)
        if receiver is None:
            continue
        if any(moved.deep_equals(receiver) for moved in _moved_to(thread, any_call.func)):
            yield WorkerStart(any_call.func, any_call.call, thread, target, any_call.repeated)


def _bound_value(slot: cst.BaseExpression, func: FunctionInfo) -> cst.BaseExpression:
    """``run_fun`` for ``run_fun = partial(...)`` bound once in ``func``: its value."""
    if isinstance(slot, cst.Name) and func.is_local(slot.value):
        values = local_values(slot.value, func)
        if values is not None and len(values) == 1:
            return values[0]
    return slot


def _receiver(target: cst.BaseExpression) -> cst.BaseExpression | None:
    """The object whose method ``target`` is: ``worker`` for ``worker.run`` and for
    ``functools.partial(worker.run, ...)``."""
    if (
        isinstance(target, cst.Call)
        and final_name(target.func) == "partial"
        and target.args
        and not target.args[0].star
    ):
        target = target.args[0].value
    if isinstance(target, cst.Attribute):
        return target.value
    return None


def _moved_to(thread: cst.BaseExpression, func: FunctionInfo) -> Iterator[cst.BaseExpression]:
    """The objects ``func`` moves to ``thread`` (``worker.moveToThread(thread)``)."""
    for node in walk(func.node, NOT_RUN):
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "moveToThread"
            and len(node.args) == 1
            and node.args[0].value.deep_equals(thread)
        ):
            yield node.func.value


#: Qt's slot decorators (``@Slot()``, ``@QtCore.pyqtSlot(str)``), by final name.
_SLOT_DECORATORS = frozenset({"Slot", "pyqtSlot"})


def connected_names(module: cst.Module) -> frozenset[str]:
    """The method names the module connects to a signal (``sig.connect(self.on_data)``,
    ``sig.connect(obj.on_data)``)."""
    return frozenset(
        node.args[0].value.attr.value
        for node in walk(module, NOT_RUN)
        if isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "connect"
        and node.args
        and isinstance(node.args[0].value, cst.Attribute)
    )


def is_slot(func: FunctionInfo, connected: frozenset[str]) -> bool:
    """Is ``func`` a Qt slot: decorated as one, or connected to a signal in the module?
    On a worker object moved to a QThread, a signal's emission queues the slot to that
    thread: it runs there, between the worker's own code, never alongside it."""
    return decorated_with(func, _SLOT_DECORATORS) or func.name in connected
