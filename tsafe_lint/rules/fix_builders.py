"""Fix builders: the rewrites of the autofixable rules, built from the shared facts.

A rule attaches the ``Fix`` these return to its finding; ``tsafe_lint.fixes`` applies
them to files. Each builder returns ``None`` when the right rewrite is not unambiguous.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import MethodCall, ModuleAnalysis, SymbolKey, releases_in
from tsafe_lint.rules.base import Fix


def is_release_of(
    statement: cst.BaseStatement | None, key: SymbolKey, analysis: ModuleAnalysis, call: MethodCall
) -> bool:
    """Is ``statement`` exactly ``key.release()``? (acquire-then-release: nothing can leak)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return isinstance(small, cst.Expr) and releases(small.value, key, analysis, call)


def releases(
    value: cst.BaseExpression, key: SymbolKey, analysis: ModuleAnalysis, call: MethodCall
) -> bool:
    """Is ``value`` the call ``key.release()`` (``key`` read in ``call``'s function)?"""
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == "release"
        and analysis.symbols.key_of(func.value, call.func) == key
    )


def with_block_fix(call: MethodCall, analysis: ModuleAnalysis) -> Fix | None:
    """``x.acquire()`` ... ``x.release()`` in one block -> ``with x:`` around what is between.

    Only for a bare ``acquire()`` on a line of its own, released by a ``release()`` line
    later in the same block with no other release of it in between. Always unsafe: an
    exception, a ``return``, ``break`` or ``continue`` between now releases the lock
    where it used to stay held.
    """
    acquire_line = call.place.statement
    if call.form != "statement" or call.call.args:
        return None
    if not isinstance(acquire_line, cst.SimpleStatementLine) or len(acquire_line.body) != 1:
        return None
    statements = list(call.place.block)
    start = call.place.index
    end = next(
        (
            i
            for i in range(start + 1, len(statements))
            if is_release_of(statements[i], call.target, analysis, call)
        ),
        None,
    )
    if end is None or end == start + 1:
        return None
    between = statements[start + 1 : end]
    for statement in between:
        for release in releases_in(cst.IndentedBlock(body=[statement])):
            assert isinstance(release.func, cst.Attribute)
            if analysis.symbols.key_of(release.func.value, call.func) == call.target:
                return None  # released in between: the pairing is not this simple
    owner = analysis.parent_of(acquire_line)
    if not isinstance(owner, (cst.IndentedBlock, cst.Module)):
        return None
    release_line = statements[end]
    assert isinstance(release_line, cst.SimpleStatementLine)
    with_block = cst.With(
        items=[cst.WithItem(item=call.receiver)],
        body=cst.IndentedBlock(
            body=between,
            header=acquire_line.trailing_whitespace,
            footer=release_line.leading_lines,
        ),
        leading_lines=acquire_line.leading_lines,
    )
    body = [*statements[:start], with_block, *statements[end + 1 :]]
    return Fix(owner, owner.with_changes(body=body), safe=False)


def while_loop_fix(call: MethodCall, analysis: ModuleAnalysis) -> Fix | None:
    """``if <pred>: cv.wait()`` (nothing else in the body, no ``else``) -> ``while``."""
    line = call.place.statement
    if call.form != "statement" or len(call.place.block) != 1:
        return None
    suite = analysis.parent_of(line)
    guard = analysis.parent_of(suite) if suite is not None else None
    if not isinstance(guard, cst.If) or guard.orelse is not None or guard.body is not suite:
        return None
    loop = cst.While(
        test=guard.test,
        body=guard.body,
        leading_lines=guard.leading_lines,
        whitespace_after_while=guard.whitespace_before_test,
        whitespace_before_colon=guard.whitespace_after_test,
    )
    return Fix(guard, loop, safe=False)  # a wait that returned may now block
