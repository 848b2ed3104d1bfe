"""A size cap enforced by eviction: ``if len(cache) > MAX: cache.popitem(last=False)``.

Two threads that both pass the test both evict: one entry more than needed leaves the
cache, and the cap still holds. Nothing is lost that the cache did not promise to keep,
so TS103 leaves the pattern alone (databricks-labs-dqx's telemetry dedup cache, fifty-first
set, judged false). It stays a finding when the cap may be tiny (a literal 0 or 1: the
extra eviction may meet an empty container) or when the body does anything but evict
(``if len(batch) >= size: send(batch); batch.clear()`` hands the same batch on twice).
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import ModuleAnalysis
from tsafe_lint.analysis.events import CheckThenAct
from tsafe_lint.analysis.scopes import block

#: methods that take one item out of a container
_EVICTING = frozenset({"popitem", "pop", "popleft"})


def evicts_over_cap(item: CheckThenAct, analysis: ModuleAnalysis) -> bool:
    """``if len(X) > cap:`` (or ``>=``) whose body only takes single items out of X."""
    node = item.test_node
    if not isinstance(node, cst.If) or item.early or node.orelse is not None:
        return False
    test = node.test
    if not (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, (cst.GreaterThan, cst.GreaterThanEqual))
        and _big_cap(test.comparisons[0].comparator)
        and isinstance(test.left, cst.Call)
        and isinstance(test.left.func, cst.Name)
        and test.left.func.value == "len"
        and len(test.left.args) == 1
        and _is_key(test.left.args[0].value, item, analysis)
    ):
        return False
    statements = block(node.body)
    return bool(statements) and all(
        isinstance(statement, cst.SimpleStatementLine)
        and all(_evicts(small, item, analysis) for small in statement.body)
        for statement in statements
    )


def _big_cap(cap: cst.BaseExpression) -> bool:
    """A named cap (``MAX_SIZE``, ``self.maxsize``) or a literal of 2 or more."""
    if isinstance(cap, cst.Integer):
        return int(cap.evaluated_value) >= 2
    return isinstance(cap, (cst.Name, cst.Attribute))


def _evicts(small: cst.BaseSmallStatement, item: CheckThenAct, analysis: ModuleAnalysis) -> bool:
    """``X.popitem(...)``, ``X.pop(...)``, ``X.popleft()`` or ``del X[k]``."""
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        callee = small.value.func
        return (
            isinstance(callee, cst.Attribute)
            and callee.attr.value in _EVICTING
            and _is_key(callee.value, item, analysis)
        )
    if isinstance(small, cst.Del) and isinstance(small.target, cst.Subscript):
        return _is_key(small.target.value, item, analysis)
    return False


def _is_key(expr: cst.BaseExpression, item: CheckThenAct, analysis: ModuleAnalysis) -> bool:
    return analysis.symbols.key_of(expr, item.func) == item.key
