"""TS109: a locked singleton's ``__init__`` decides without the lock whether to set up."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis
from tsafe_lint.analysis.kinds import LOCKLIKE
from tsafe_lint.analysis.scopes import ClassInfo, final_name
from tsafe_lint.analysis.tree import NOT_RUN, assignment_targets, contains, walk
from tsafe_lint.rules.base import Finding, Rule, snippet

FAMILY = "shared_state"

#: Builtins that read an attribute by its name: ``hasattr(self, "_initialized")``.
_BY_NAME = frozenset({"hasattr", "getattr"})


class SingletonInitRace(Rule):
    """Flags a singleton's ``__init__`` that tests, without a lock, whether it ran before.

    **What it does**

    Finds a class whose ``__new__`` returns one shared instance kept on the class
    (``return cls._instance``, ``return cls._instances[cls]``) and takes a lock to make
    it, and whose ``__init__`` tests outside any lock whether the instance is already
    set up (``if hasattr(self, "_initialized"): return``, ``if not
    Registry._initialized:``) where the attribute tested is one ``__init__`` sets. A test
    made again under a lock before the set-up (double-checked) is not reported, nor a
    class the module itself constructs at its top level (set up while it is imported).

    **Opt-in**

    Off by default: select it with ``--select TS109``. The lock in ``__new__`` is mostly
    a habit: the first construction happens on one thread (at start-up, under another
    lock, on an event loop) before any other thread can construct the class, which only
    the package's callers show. On the retired validation sets 44 to 78 it first
    reported 19 findings, which a reviewer who wrote no rule judged 1 true, 16 false and
    2 debatable; four of the false ones, classes their module constructs at import, are
    left alone since, which leaves 1 true, 12 false, 2 debatable (bench/ts109_triage.md).

    **Why is this bad**

    Python calls ``__init__`` on whatever ``__new__`` returns, at every ``Registry()``
    call: the lock in ``__new__`` makes sure there is one object, not that it is set up
    once. Two threads constructing it at once can both find it not set up: the second
    replaces the dictionary (and the lock) the first built and its callers already used,
    so their entries are lost and two threads can hold two different locks. When the flag
    is raised first, the second thread returns an object whose set-up the first has not
    finished (an ``AttributeError`` on ``self._records``). The author's lock in
    ``__new__`` says several threads construct it (claude-task-master's circuit-breaker
    registry, found in a review of the seventy-eighth validation set's misses).

    **Example**

    ```python
    import threading

    class Registry:
        _instance = None
        _lock = threading.Lock()

        def __new__(cls):
            with cls._lock:
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
            return cls._instance

        def __init__(self):
            if hasattr(self, "_initialized"):
                return
            self._breakers = {}
            self._initialized = True
    ```

    **Use instead**

    ```python
    import threading

    class Registry:
        _instance = None
        _lock = threading.Lock()

        def __new__(cls):
            with cls._lock:
                if cls._instance is None:
                    instance = super().__new__(cls)
                    instance._breakers = {}
                    cls._instance = instance
            return cls._instance
    ```

    Or test and set up inside ``with self._lock:`` in ``__init__``.

    **References**

    The talk's "Lock" slides (check-then-act); Python docs, ``object.__new__`` ("If
    ``__new__()`` ... returns an instance of cls, then the new instance's ``__init__()``
    method will be invoked").
    """

    code = "TS109"
    name = "singleton-init-race"
    default_enabled = False
    summary = "a locked singleton's __init__ tests without the lock whether it is set up"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for cls in analysis.structure.classes.values():
            new = cls.methods.get("__new__")
            init = cls.methods.get("__init__")
            if new is None or init is None or not isinstance(init.node, cst.FunctionDef):
                continue
            lock = _lock_taken(new, analysis)
            if lock is None or not _returns_kept_instance(new, cls):
                continue
            if _built_at_import(cls, analysis):
                continue
            test = _unlocked_guard(init, cls, analysis)
            if test is None:
                continue
            yield Finding(
                test,
                f"'if {snippet(test.test)}' decides without a lock whether the shared "
                f"{cls.qualname} is set up: __new__ returns one instance (it takes "
                f"'{lock}') but Python runs __init__ at every {cls.qualname}() call, so two "
                "threads can both run the set-up (the second replacing what the first "
                "built) or one can use the object half set up: test and set up under that "
                "lock",
            )


def _lock_taken(func: FunctionInfo, analysis: ModuleAnalysis) -> str | None:
    """The lock ``func`` takes (``with cls._lock:`` or ``cls._lock.acquire()``), as
    written: the author's word that several threads construct the class."""
    for entry in analysis.regions.with_entries:
        if entry.func is func and entry.kind in LOCKLIKE:
            return snippet(entry.item.item)
    for call in analysis.regions.method_calls:
        if call.func is func and call.method == "acquire" and call.kind in LOCKLIKE:
            return snippet(call.receiver)
    return None


def _built_at_import(cls: ClassInfo, analysis: ModuleAnalysis) -> bool:
    """Does the module's top level construct ``cls`` (``_loader = Loader()``)? The one
    instance is then set up while the module is imported, before its users' threads can
    reach it (aiecs's and claude-task-master's config loaders: TS109 judged false)."""
    own = cls.qualname.rsplit(".", 1)[-1]
    return any(
        isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == own
        for node in walk(analysis.module, NOT_RUN)
    )


def _returns_kept_instance(new: FunctionInfo, cls: ClassInfo) -> bool:
    """Does ``__new__`` return an object kept on the class (``cls._instance``,
    ``cls._instances[cls]``), the same one at every call?"""
    for node in walk(new.node, NOT_RUN):
        if isinstance(node, cst.Return) and node.value is not None:
            value = node.value
            if isinstance(value, cst.Subscript):
                value = value.value
            if isinstance(value, cst.Attribute) and _names_class(value.value, new, cls):
                return True
    return False


def _names_class(expr: cst.BaseExpression, func: FunctionInfo, cls: ClassInfo) -> bool:
    """Is ``expr`` the class itself as ``func`` can name it: ``cls``, its own name,
    ``type(self)`` or ``self.__class__``?"""
    own = cls.qualname.rsplit(".", 1)[-1]
    if isinstance(expr, cst.Name):
        first = func.params[0] if func.params else None
        return expr.value == own or (expr.value == first and func.name == "__new__")
    if isinstance(expr, cst.Call):
        return (
            final_name(expr.func) == "type"
            and len(expr.args) == 1
            and _names_self(expr.args[0].value, func)
        )
    return (
        isinstance(expr, cst.Attribute)
        and expr.attr.value == "__class__"
        and _names_self(expr.value, func)
    )


def _names_self(expr: cst.BaseExpression, func: FunctionInfo) -> bool:
    return (
        isinstance(expr, cst.Name) and func.self_name is not None and (expr.value == func.self_name)
    )


def _holder(expr: cst.BaseExpression, func: FunctionInfo, cls: ClassInfo) -> bool:
    """Is ``expr`` the instance or its class, where an init-once flag lives?"""
    return _names_self(expr, func) or _names_class(expr, func, cls)


def _tested_attributes(test: cst.BaseExpression, func: FunctionInfo, cls: ClassInfo) -> set[str]:
    """The attributes of the instance or the class that ``test`` reads: ``self.x``,
    ``Cls.x``, ``hasattr(self, "x")``, ``getattr(self, "x", False)``."""
    names: set[str] = set()
    for node in walk(test, NOT_RUN):
        if isinstance(node, cst.Attribute) and _holder(node.value, func, cls):
            names.add(node.attr.value)
        elif (
            isinstance(node, cst.Call)
            and final_name(node.func) in _BY_NAME
            and len(node.args) >= 2
            and _holder(node.args[0].value, func, cls)
            and isinstance(node.args[1].value, cst.SimpleString)
        ):
            name = node.args[1].value.evaluated_value
            if isinstance(name, str):
                names.add(name)
    return names


def _set_up(init: FunctionInfo, cls: ClassInfo) -> set[str]:
    """The attributes ``__init__`` stores on the instance or the class (its own code)."""
    stored: set[str] = set()
    for node in walk(init.node, NOT_RUN):
        for target in assignment_targets(node):
            if isinstance(target, cst.Attribute) and _holder(target.value, init, cls):
                stored.add(target.attr.value)
    return stored


def _unlocked_guard(init: FunctionInfo, cls: ClassInfo, analysis: ModuleAnalysis) -> cst.If | None:
    """The first ``if`` of ``__init__`` that tests, outside any lock, an attribute
    ``__init__`` itself sets up, unless a test under a lock reads it again."""
    stored = _set_up(init, cls)
    locked = _locked_withs(init, analysis)
    for node in walk(init.node, NOT_RUN):
        if not isinstance(node, cst.If):
            continue
        tested = _tested_attributes(node.test, init, cls) & stored
        if not tested or any(contains(with_node, node) for with_node in locked):
            continue
        if _tested_again_under_lock(tested, locked, init, cls):
            continue
        return node
    return None


def _locked_withs(func: FunctionInfo, analysis: ModuleAnalysis) -> list[cst.With]:
    """The ``with`` statements of ``func`` that take a lock."""
    return [
        entry.node
        for entry in analysis.regions.with_entries
        if entry.func is func and entry.kind in LOCKLIKE
    ]


def _tested_again_under_lock(
    tested: set[str], withs: list[cst.With], init: FunctionInfo, cls: ClassInfo
) -> bool:
    """Does an ``if`` inside one of ``withs`` read one of ``tested`` again
    (double-checked set-up)?"""
    return any(
        isinstance(node, cst.If) and _tested_attributes(node.test, init, cls) & tested
        for with_node in withs
        for node in walk(with_node.body, NOT_RUN)
    )


RULES: list[type[Rule]] = [SingletonInitRace]
