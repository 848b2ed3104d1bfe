"""Autofixes: apply the rules' fixes through LibCST's lossless tree, and write safely.

A file is rewritten only when the fixed code parses (LibCST and CPython both) and
differs; through a temporary file in the same directory and an atomic replace, keeping
its mode, encoding (a BOM too) and line endings; never when it changed on disk since it
was read, never when it is read-only, never when it has a syntax error. Fixing repeats
(bounded) until nothing changes, so a second run changes nothing.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis import ModuleAnalysis
from tsafe_lint.analysis.tree import deeper_stack
from tsafe_lint.module_names import module_name
from tsafe_lint.project_context import EMPTY_CONTEXT
from tsafe_lint.reading import read_source
from tsafe_lint.rules import ALL_RULES, Fix
from tsafe_lint.source import ParseFailure, parse_source
from tsafe_lint.suppression import is_suppressed

MAX_ROUNDS = 10


@dataclass
class FixOutcome:
    """What fixing one file did: the new source (``None``: unchanged) or why not, and how
    many unsafe fixes were left out (without ``--unsafe-fixes``)."""

    path: str
    fixed: bytes | None = None
    applied: int = 0
    problem: str | None = None
    unsafe_left: int = 0


class _Replace(cst.CSTTransformer):
    def __init__(self, replacements: dict[cst.CSTNode, cst.CSTNode]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        return self.replacements.get(original_node, updated_node)


def _fixes(
    analysis: ModuleAnalysis,
    lines: list[str],
    accepts: Callable[[str], bool],
    unsafe: bool,
    only_line: int | None = None,
) -> tuple[list[Fix], int]:
    """The fixes to apply this round: allowed, not silenced by ``# noqa``, not nested in
    one another (the rest wait for the next round); only those of findings reported on
    ``only_line`` when it is given. And how many unsafe ones are left out because
    ``unsafe`` is false."""
    candidates = []
    for rule in ALL_RULES:
        if not rule.fixable or not accepts(rule.code):
            continue
        for finding in rule().check(analysis):
            if finding.fix is not None:
                candidates.append((rule.code, finding))
    if not candidates:
        return [], 0
    spans = analysis.spans(finding.node for _, finding in candidates)
    chosen: list[Fix] = []
    taken: set[cst.CSTNode] = set()
    unsafe_left = 0
    for code, finding in candidates:
        span = spans.get(finding.node)
        line = span.line if span is not None else 0
        if 0 < line <= len(lines) and is_suppressed(code, lines[line - 1]):
            continue
        if only_line is not None and line != only_line:
            continue
        assert finding.fix is not None
        if not (finding.fix.safe or unsafe):
            unsafe_left += 1
            continue
        chain = _ancestors(analysis, finding.fix.old)
        if chain & taken or any(
            finding.fix.old in _ancestors(analysis, other.old) for other in chosen
        ):
            continue
        chosen.append(finding.fix)
        taken.add(finding.fix.old)
    return chosen, unsafe_left


def _ancestors(analysis: ModuleAnalysis, node: cst.CSTNode) -> set[cst.CSTNode]:
    found = {node}
    parent = analysis.parent_of(node)
    while parent is not None:
        found.add(parent)
        parent = analysis.parent_of(parent)
    return found


def fix_source(
    source: bytes,
    path: str,
    accepts: Callable[[str], bool] = lambda code: True,
    unsafe: bool = False,
    only_line: int | None = None,
) -> FixOutcome:
    """The fixed source of one file (in memory). With ``only_line``: only the fixes of
    the findings reported on that line, in one round (an editor's quick fix)."""
    with deeper_stack():
        return _fix_source(source, path, accepts, unsafe, only_line)


def _fix_source(
    source: bytes,
    path: str,
    accepts: Callable[[str], bool],
    unsafe: bool,
    only_line: int | None,
) -> FixOutcome:
    parsed = parse_source(source)
    if isinstance(parsed, ParseFailure):
        return FixOutcome(path, problem=f"not fixed: it does not parse ({parsed.reason})")
    current, applied, unsafe_left = source, 0, 0
    module = module_name(path)
    for _ in range(MAX_ROUNDS if only_line is None else 1):
        if isinstance(parsed, ParseFailure):
            return FixOutcome(path, problem="not fixed: a fix produced code that does not parse")
        analysis = ModuleAnalysis(parsed.module, path, EMPTY_CONTEXT, module)
        fixes, unsafe_left = _fixes(analysis, parsed.lines, accepts, unsafe, only_line)
        if not fixes:
            break
        replaced = parsed.module.visit(_Replace({fix.old: fix.new for fix in fixes}))
        assert isinstance(replaced, cst.Module)
        new = replaced.bytes
        if new == current:
            break
        current, applied = new, applied + len(fixes)
        parsed = parse_source(current)
    if isinstance(parse_source(current), ParseFailure):
        return FixOutcome(path, problem="not fixed: a fix produced code that does not parse")
    return FixOutcome(path, current if current != source else None, applied, None, unsafe_left)


def fix_file(
    path: str, accepts: Callable[[str], bool] = lambda code: True, unsafe: bool = False
) -> FixOutcome:
    """Fix one file in place, or explain why it was left alone."""
    try:
        original = read_source(path)
    except OSError as exc:
        return FixOutcome(path, problem=f"not fixed: cannot read it ({exc.strerror})")
    outcome = fix_source(original, path, accepts, unsafe)
    if outcome.fixed is None or outcome.problem is not None:
        return outcome
    problem = write_atomically(path, original, outcome.fixed)
    if problem is not None:
        return FixOutcome(path, None, 0, problem)
    return outcome


def write_atomically(path: str, original: bytes, fixed: bytes) -> str | None:
    """Replace ``path``'s content by ``fixed``, if it still holds ``original``."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"not fixed: {exc.strerror}"
    if not mode & stat.S_IWUSR:
        return "not fixed: the file is read-only"
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tsafe-fix-")
    except OSError as exc:
        return f"not fixed: cannot write in its directory ({exc.strerror})"
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(fixed)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(mode))
        with open(path, "rb") as check:
            if check.read() != original:
                os.unlink(temporary)
                return "not fixed: the file changed on disk while it was being fixed"
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return f"not fixed: {exc.strerror or exc}"
    return None


def unified_diff(path: str, original: bytes, fixed: bytes) -> str:
    """A unified diff of a fix, for ``--diff``."""
    before = original.decode("utf-8", "replace").splitlines(keepends=True)
    after = fixed.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, f"a/{path}", f"b/{path}"))
