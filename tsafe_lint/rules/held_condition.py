"""A Condition signalled inside a ``with`` over that same Condition, as the module shows it.

``realistic_raise`` asks whether ``cond.notify_all()`` can raise the ``RuntimeError`` of an
unheld Condition. The region walker's lock state answers "probably held" (one key per class
attribute for every object of the class, a release-only helper held by contract, a stored
timed acquire taken as true), which keeps TS302 quiet where it should be but is too loose
to let a failure go. This module answers for the common shape (fluksio's ``_done``,
ninety-fourth set: ``with self._cond: self._n -= 1; self._cond.notify_all()``):

- the call stands in the body of a ``with`` of its own function (not in a lambda, a
  generator expression or a nested function, which may run after the block) whose item is
  spelled exactly as the receiver, or is the lock every construction of the Condition was
  built on (``Condition(self._lock)``), spelled on the same object, after the last binding
  of that lock in the same function;
- the receiver (and that lock) is settled: an attribute of ``self`` that only the code
  building the object (``__init__`` and the private helpers only it calls, in a class whose
  ``__init__`` no method runs again) binds, each time to a ``Condition(...)`` (a lock
  construction for the lock), a global only the module's top level binds so, or a local
  bound once, to such a construction or a settled attribute or global;
- nothing in the block calls ``release()`` or ``__init__()``, rebinds the receiver or what
  it is reached through (or an attribute of one of those names on any object), or calls a
  callable stored on ``self``; nor does a module function it calls, a few calls deep.

Another module that rebinds the attribute, ``setattr``, a subclass's hook, or a thread that
rebinds it while the block runs is not seen: each is a bug of its own.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, argument
from tsafe_lint.analysis.events import WriteKind
from tsafe_lint.analysis.own_classes import module_level_values
from tsafe_lint.analysis.scopes import dotted_name, final_name, local_values
from tsafe_lint.analysis.tree import stored_targets, walk

#: The Condition methods answered here (``wait_for`` runs a predicate this does not judge).
SIGNALS = frozenset({"notify", "notify_all", "notifyAll", "wait"})
#: Nodes whose code may run after the ``with`` block has ended, or not inline.
_DEFERRED = (cst.Lambda, cst.GeneratorExp, cst.FunctionDef, cst.ClassDef)
#: The Condition constructor, by its final name.
_CONDITIONS = frozenset({"Condition"})
#: Constructors of the locks a Condition may be built on.
_LOCKS = frozenset({"Lock", "RLock"})
#: The methods that build the object, before anyone else has it.
_CONSTRUCTORS = frozenset({"__init__", "__post_init__", "__new__"})
#: Calls in the block that give the Condition back, or may build a new one in its place.
_GIVING_BACK = frozenset({"release", "__init__"})
#: How many module calls deep a helper called in the block is searched for a release.
_DEPTH = 4


def held_by_own_with(call: cst.Call, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is ``call`` (``cond.notify()`` and the like) made inside a ``with`` over that
    Condition, in its own function, that nothing in the block can have given back?"""
    callee = call.func
    if not isinstance(callee, cst.Attribute) or callee.attr.value not in SIGNALS:
        return False
    receiver = dotted_name(callee.value)
    if receiver is None or not _settled(callee.value, func, analysis, _CONDITIONS):
        return False
    node: cst.CSTNode = call
    while True:
        parent = analysis.parent_of(node)
        if parent is None or isinstance(parent, _DEFERRED):
            return False
        if (
            isinstance(parent, cst.With)
            and node is parent.body
            and parent.asynchronous is None
            and any(
                _takes(item.item, callee.value, receiver, func, analysis) for item in parent.items
            )
        ):
            return not _may_give_back(parent.body, receiver, func, analysis)
        node = parent


def _takes(
    item: cst.BaseExpression,
    condition: cst.BaseExpression,
    receiver: str,
    func: FunctionInfo,
    analysis: ModuleAnalysis,
) -> bool:
    """Does ``with item:`` take the Condition spelled ``receiver``: the same spelling, or
    the lock every construction of the Condition was built on, on the same ``self``?"""
    spelled = dotted_name(item)
    if spelled is None:
        return False
    if spelled == receiver:
        return True
    if not (
        isinstance(item, cst.Attribute)
        and isinstance(condition, cst.Attribute)
        and _on_self(item, func)
        and _on_self(condition, func)
        and _settled(item, func, analysis, _LOCKS)
    ):
        return False
    lock = analysis.symbols.key_of(item, func)
    locks = _attribute_values(item, func, analysis)
    built = _attribute_values(condition, func, analysis)
    # each Condition built on the lock its function has bound for good by then
    return (
        lock is not None
        and bool(built)
        and all(
            _built_on(value, scope, lock, analysis)
            and all(where is scope and when < order for _, where, when in locks)
            for value, scope, order in built
        )
    )


def _built_on(
    value: cst.BaseExpression, scope: FunctionInfo, lock: object, analysis: ModuleAnalysis
) -> bool:
    """Is ``value`` ``Condition(<lock>)``, the lock given first or as ``lock=``?"""
    if not isinstance(value, cst.Call):
        return False
    given = argument(value, 0, "lock")
    return given is not None and analysis.symbols.key_of(given, scope) == lock


def _on_self(expr: cst.Attribute, func: FunctionInfo) -> bool:
    return isinstance(expr.value, cst.Name) and expr.value.value == func.self_name


def _settled(
    expr: cst.BaseExpression, func: FunctionInfo, analysis: ModuleAnalysis, makers: frozenset[str]
) -> bool:
    """Is ``expr`` bound only before anything can use it, each time to a construction
    whose final name is one of ``makers``: an attribute of ``self`` bound only by set-up
    code, a global bound only by the module's top level, or a local bound once (to such a
    construction, or to a settled attribute or global)?"""
    if isinstance(expr, cst.Attribute):
        if not _on_self(expr, func):
            return False
        stored = _attribute_values(expr, func, analysis)
        return bool(stored) and all(_makes(value, makers) for value, _, _ in stored)
    if not isinstance(expr, cst.Name):
        return False
    name = expr.value
    if func.is_local(name):
        if name in func.params or _nonlocal_elsewhere(name, func, analysis):
            return False
        values = local_values(name, func)
        return (
            values is not None
            and len(values) == 1
            and (
                _makes(values[0], makers)
                or (
                    not (isinstance(values[0], cst.Name) and func.is_local(values[0].value))
                    and _settled(values[0], func, analysis, makers)
                )
            )
        )
    key = analysis.symbols.key_of(expr, func)
    if key is None or key[0] != "global":
        return False
    if any(access.key == key for access in analysis.regions.writes):
        return False  # a function rebinds it (``global _C``)
    bound = list(module_level_values(analysis.module, name))
    return bool(bound) and all(_makes(value, makers) for value in bound)


def _attribute_values(
    expr: cst.Attribute, func: FunctionInfo, analysis: ModuleAnalysis
) -> list[tuple[cst.BaseExpression, FunctionInfo, int]]:
    """The values every binding of the attribute stores, with where and in which order of
    its function's walk, when all of them are
    plain stores made while the object is built (``__init__`` and the private helpers only
    it calls); else empty (another method rebinds it, ``del``, a property)."""
    key = analysis.symbols.key_of(expr, func)
    if key is None or func.cls in {other.cls for other in analysis.reinitialisers}:
        return []  # ``self.__init__(...)`` again, on a live object: rebinds it any time
    helpers = analysis.constructor_helpers
    found: list[tuple[cst.BaseExpression, FunctionInfo, int]] = []
    for access in analysis.regions.writes:
        if access.key != key or access.kind is WriteKind.MUTATE:
            continue  # ``self._cond.x = 1`` stores into it; ``self._cond = f(self._cond)`` not
        node = access.node
        constructing = access.func.name in _CONSTRUCTORS or access.func in helpers
        if not constructing or not isinstance(node, (cst.Assign, cst.AnnAssign)):
            return []
        if node.value is None:
            return []
        found.append((node.value, access.func, access.order))
    return found


def _makes(value: cst.BaseExpression, makers: frozenset[str]) -> bool:
    return isinstance(value, cst.Call) and final_name(value.func) in makers


def _nonlocal_elsewhere(name: str, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Does a function nested in ``func`` declare ``name`` nonlocal (and so rebind it)?"""
    for other in analysis.structure.functions:
        parent = other.parent
        while parent is not None and parent is not func:
            parent = parent.parent
        if parent is func and name in other.declared_nonlocal:
            return True
    return False


def _may_give_back(
    body: cst.BaseSuite, receiver: str, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Does the block release a lock, rebind the receiver (or what it is reached
    through, or an attribute of one of those names on any object), call a callable the
    object stores (which may do so), or call a module function that does any of this, a
    few calls deep (``_DEPTH``; deeper counts as giving back)?"""
    prefixes = {receiver}
    while "." in receiver:
        receiver = receiver.rpartition(".")[0]
        prefixes.add(receiver)
    attributes = frozenset(prefix.rpartition(".")[2] for prefix in prefixes if "." in prefix)
    return _gives_back(body, func, analysis, frozenset(prefixes), attributes, _DEPTH, set())


def _gives_back(
    code: cst.CSTNode,
    func: FunctionInfo,
    analysis: ModuleAnalysis,
    prefixes: frozenset[str],
    attributes: frozenset[str],
    depth: int,
    seen: set[FunctionInfo],
) -> bool:
    for node in walk(code):
        for stored in stored_targets(node):
            if dotted_name(stored) in prefixes:
                return True
            if isinstance(stored, cst.Attribute) and stored.attr.value in attributes:
                return True  # ``me = self; me._cond = ...``: the same attribute by an alias
        if not isinstance(node, cst.Call):
            continue
        callee = node.func
        if isinstance(callee, cst.Attribute) and callee.attr.value in _GIVING_BACK:
            return True  # ``release()``; ``self.__init__()`` rebuilds the object
        called = analysis.resolve_function(callee, func)
        if called is None:
            if isinstance(callee, cst.Attribute) and _on_self(callee, func):
                return True  # ``self._on_idle()``: a callback the object stores
            continue
        if called in seen:
            continue
        if depth <= 0:
            return True
        seen.add(called)
        # a callee's own stores of the receiver's names count wherever they are spelled
        if _gives_back(called.node, called, analysis, frozenset(), attributes, depth - 1, seen):
            return True
    return False
