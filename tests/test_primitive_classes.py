"""The package's own classes named like threading's primitives: the project join types
their objects by what the classes make, not by their names."""

from __future__ import annotations

import ast
import textwrap

import libcst as cst

from tsafe_lint.analysis.module import ModuleAnalysis
from tsafe_lint.project.join import ProjectIndex, contexts
from tsafe_lint.project.summarize import summarize, summarize_syntax_only

LOCKS = """
import threading

class Lock:
    def __init__(self, reentrant=True):
        self._lock = threading.RLock() if reentrant else threading.Lock()

class Condition(threading.Condition):
    pass

class Semaphore:
    def __init__(self):
        self._lock = threading.Lock()
        self._count = 1

class Event:
    def __init__(self, name):
        self.name = name
"""

BUS = """
class Event:
    def __init__(self, topic):
        self.topic = topic
"""

USER = """
import threading
from pkg.locks import Condition, Event, Lock, Semaphore
from pkg.bus import Event as BusEvent

class Worker:
    def __init__(self):
        self._lock = Lock()
        self._cond = Condition()
        self._gate = Semaphore()
        self._event = Event("started")
        self._posted = BusEvent("jobs")
        self._stop = threading.Event()
"""


def _analysed(source: str, path: str, name: str) -> ModuleAnalysis:
    return ModuleAnalysis(cst.parse_module(textwrap.dedent(source)), path, name=name)


def _index() -> ProjectIndex:
    bus = summarize_syntax_only("pkg/bus.py", "pkg.bus", False, ast.parse(BUS))
    return ProjectIndex(
        [
            summarize(_analysed(LOCKS, "pkg/locks.py", "pkg.locks")),
            bus,
            summarize(_analysed(USER, "pkg/worker.py", "pkg.worker")),
        ]
    )


def test_each_class_is_what_its_body_makes() -> None:
    index = _index()
    assert index.primitive_class("pkg.locks.Lock") == "RLock"  # an RLock in one branch
    assert index.primitive_class("pkg.locks.Condition") == "Condition"  # a subclass
    assert index.primitive_class("pkg.locks.Semaphore") == "Semaphore"  # wraps a lock
    assert index.primitive_class("pkg.locks.Event") == ""  # makes nothing
    assert index.primitive_class("pkg.bus.Event") == ""  # no threading vocabulary at all
    assert index.primitive_class("pkg.worker.Worker") is None  # not named like one


def test_the_join_hands_the_kinds_to_the_module_that_binds_their_objects() -> None:
    context = contexts(_index())["pkg/worker.py"]
    assert dict(context.made_kinds) == {
        "pkg.locks.Lock": "RLock",
        "pkg.locks.Condition": "Condition",
        "pkg.locks.Semaphore": "Semaphore",
        "pkg.locks.Event": "",
        "pkg.bus.Event": "",
    }


def test_the_objects_are_typed_by_the_classes_kinds() -> None:
    context = contexts(_index())["pkg/worker.py"]
    source = textwrap.dedent(USER)
    analysis = ModuleAnalysis(cst.parse_module(source), "pkg/worker.py", context, "pkg.worker")
    kinds = {
        key[-1]: info.kind.value if info.kind is not None else None
        for key, info in analysis.symbols.symbols.items()
        if key[0] == "attr"
    }
    assert kinds["_lock"] == "RLock"
    assert kinds["_cond"] == "Condition"
    assert kinds["_stop"] == "Event"  # threading's own, by its real name
    assert kinds.get("_event") is None
    assert kinds.get("_posted") is None
