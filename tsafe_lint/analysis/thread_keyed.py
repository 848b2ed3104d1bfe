"""Containers keyed by the current thread's identity: several threads use them by design.

A dict that code indexes with ``threading.get_ident()`` (``d[get_ident()] = v``,
``d.get(me)``, ``del d[me]``, directly or through a helper that returns the identity) is
built for several threads at once: each thread adds and removes its own entry. So its
key-changing writes run on several threads, and whoever iterates over it can see its
size change. That is evidence of concurrency on its own, without a thread start in the
module (TS105, ``rules/shared_state.py``). A membership test (``current_thread() in
workers``) is not: it works on any collection, such as a list of worker threads that one
set-up thread fills. Computed on demand, for the few containers a rule asks about.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from functools import cached_property, partial
from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.accesses import shared_key
from tsafe_lint.analysis.scopes import FunctionInfo, final_name
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.tree import walk

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis

#: Calls that return the current thread's identity (``regions.py`` reads the same).
IDENTITY_CALLS = frozenset({"get_ident", "get_native_id", "current_thread", "currentThread"})
#: Attributes of the current thread that identify it (``current_thread().name``).
IDENTITY_ATTRIBUTES = frozenset({"name", "ident", "native_id"})
_SKIP = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ConcatenatedString)


class ThreadKeyed:
    """Answers "is this container keyed by the current thread's identity, and where"."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self.analysis = analysis
        self._helpers: dict[FunctionInfo, bool] = {}

    def witness(self, key: SymbolKey) -> cst.CSTNode | None:
        """The first place (in source order) that reads or writes ``key``'s entry of the
        current thread, or ``None``."""
        return self._witnesses.get(key)

    @cached_property
    def _witnesses(self) -> dict[SymbolKey, cst.CSTNode]:
        found: dict[SymbolKey, cst.CSTNode] = {}
        for func in self.analysis.structure.functions:
            if func.is_module or not isinstance(func.node, cst.FunctionDef):
                continue
            identities: set[str] = set()
            for node in walk(func.node.body, skip=_SKIP):
                if isinstance(node, cst.Assign) and len(node.targets) == 1:
                    target = node.targets[0].target
                    if isinstance(target, cst.Name) and self._is_identity(
                        node.value, func, identities
                    ):
                        identities.add(target.value)
                is_identity = partial(self._is_identity, func=func, names=identities)
                receiver = indexed_by(node, is_identity, membership=False)
                if receiver is None:
                    continue
                key = shared_key(receiver, func, self.analysis.symbols, for_write=False)
                if key is not None and key not in found:
                    found[key] = node
        return found

    def _is_identity(self, expr: cst.BaseExpression, func: FunctionInfo, names: set[str]) -> bool:
        """``is_identity``, with calls of the module's helpers that return the identity."""

        def helper_returns_identity(callee: cst.BaseExpression) -> bool:
            helper = self.analysis.resolve_function(callee, func)
            return helper is not None and self._returns_identity(helper)

        return is_identity(expr, names, helper_returns_identity)

    def _returns_identity(self, func: FunctionInfo) -> bool:
        """Does ``func`` return the current thread's identity (on some path: a helper may
        prefer a greenlet's or a task's id when there is one)?"""
        if func not in self._helpers:
            self._helpers[func] = False  # recursion: not known to
            node = func.node
            self._helpers[func] = isinstance(node, cst.FunctionDef) and any(
                isinstance(inner, cst.Return)
                and inner.value is not None
                and self._is_identity(inner.value, func, set())
                for inner in walk(node.body, skip=_SKIP)
            )
        return self._helpers[func]


def is_identity(
    expr: cst.BaseExpression,
    names: Container[str],
    calls_identity: Callable[[cst.BaseExpression], bool] | None = None,
) -> bool:
    """Is ``expr`` the current thread's identity: ``get_ident()``, ``current_thread()``
    and its ``name``/``ident``, one of ``names`` (locals holding it), or a call that
    ``calls_identity`` accepts (given the callee)?"""
    if isinstance(expr, cst.Name):
        return expr.value in names
    if isinstance(expr, cst.Attribute) and expr.attr.value in IDENTITY_ATTRIBUTES:
        return is_identity(expr.value, names, calls_identity)
    if not isinstance(expr, cst.Call):
        return False
    if final_name(expr.func) in IDENTITY_CALLS:
        return True
    return calls_identity is not None and calls_identity(expr.func)


def membership_test(
    node: cst.CSTNode,
) -> tuple[cst.BaseExpression, cst.BaseExpression, bool] | None:
    """``key in d`` / ``key not in d``: ``(key, d, negated)``; None for anything else."""
    if (
        isinstance(node, cst.Comparison)
        and len(node.comparisons) == 1
        and isinstance(node.comparisons[0].operator, (cst.In, cst.NotIn))
    ):
        negated = isinstance(node.comparisons[0].operator, cst.NotIn)
        return node.left, node.comparisons[0].comparator, negated
    return None


def indexed_by(
    node: cst.CSTNode,
    is_identity: Callable[[cst.BaseExpression], bool],
    methods: tuple[str, ...] = ("get", "pop", "setdefault"),
    *,
    membership: bool = True,
) -> cst.BaseExpression | None:
    """The container ``node`` indexes by a key ``is_identity`` accepts: ``d[k]``,
    ``d.get(k)``, ``d.pop(k)``, ``d.setdefault(k, v)`` (``methods``), and with
    ``membership`` ``k in d`` (which a list answers too: no sign of a keyed store)."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and is_identity(index.value):
            return node.value
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in methods
        and node.args
        and node.args[0].keyword is None
        and is_identity(node.args[0].value)
    ):
        return node.func.value
    tested = membership_test(node) if membership else None
    if tested is not None and is_identity(tested[0]):
        return tested[1]
    return None
