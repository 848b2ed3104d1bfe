"""Scoring a real bug: does a finding lie inside the named function, or on the named line?

The function is named as in a traceback's qualified name: ``Class.method``,
``outer.inner`` for nested functions, or ``<module>`` for the module's top-level code.
Its lines are found with Python's ``ast`` on the buggy file itself, so the score never
depends on what tsafe-lint thinks a function is.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Union

from bugs_data import Bug

MODULE = "<module>"

Definition = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef]
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class ResolveError(Exception):
    """The file or the named function cannot be found; the message says which."""


@dataclass(frozen=True)
class Scope:
    """Lines ``start``..``end`` (1-based, inclusive) minus the ``holes``."""

    name: str
    start: int
    end: int
    holes: tuple[tuple[int, int], ...] = ()

    def __contains__(self, line: object) -> bool:
        if not isinstance(line, int) or not self.start <= line <= self.end:
            return False
        return not any(first <= line <= last for first, last in self.holes)

    def describe(self) -> str:
        return f"{self.name} (lines {self.start}-{self.end})"


def span(node: Definition) -> tuple[int, int]:
    """A definition's lines, its decorators included."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first, node.end_lineno or node.lineno


def definitions(body: list[ast.stmt]) -> Iterator[Definition]:
    """The functions and classes defined directly in ``body``, including those under
    ``if``/``try``/``with``/loops/``match`` (conditional definitions), not nested ones."""
    for statement in body:
        if isinstance(statement, DEFINITIONS):
            yield statement
            continue
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(statement, name, None)
            if isinstance(inner, list):
                yield from definitions(inner)
        for handler in getattr(statement, "handlers", []):
            yield from definitions(handler.body)
        for case in getattr(statement, "cases", []):
            yield from definitions(case.body)


def resolve(source: str, qualname: str, line: int | None = None) -> Scope:
    """The scope of ``qualname`` in ``source``. When several definitions share the name
    (conditional definitions, a property's getter and setter), the one holding ``line``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for old escape sequences
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError) as exc:
            raise ResolveError(f"cannot parse: {exc}") from exc
    if qualname == MODULE:
        end = max(len(source.splitlines()), 1)
        holes = tuple(span(node) for node in definitions(tree.body))
        return Scope(MODULE, 1, end, holes)
    candidates: list[Definition] = []
    bodies: list[list[ast.stmt]] = [tree.body]
    parts = qualname.split(".")
    for depth, part in enumerate(parts):
        candidates = [d for body in bodies for d in definitions(body) if d.name == part]
        if not candidates:
            where = ".".join(parts[:depth]) or "the module"
            raise ResolveError(f"no {part!r} in {where}")
        bodies = [d.body for d in candidates]
    spans = [span(d) for d in candidates]
    holding = [s for s in spans if line is not None and s[0] <= line <= s[1]]
    first, last = (holding or spans)[0]
    return Scope(qualname, first, last)


def resolve_file(root: Path, relative: str, qualname: str, line: int | None = None) -> Scope:
    path = root / relative
    if not path.is_file():
        raise ResolveError(f"no file {relative}")
    try:
        source = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise ResolveError(f"cannot read {relative}: {exc}") from exc
    return resolve(source, qualname, line)


def find_moved(files: list[str], relative: str) -> str | None:
    """Where ``relative`` went in a release that moved it (``pkg/m.py`` to ``src/pkg/m.py``
    or back): the one linted file sharing the longest tail of at least two components."""
    if relative in files:
        return relative
    parts = PurePosixPath(relative).parts
    for keep in range(len(parts), 1, -1):
        tail = parts[-keep:]
        matches = [f for f in files if PurePosixPath(f).parts[-keep:] == tail]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            return None
    return None


def normal_path(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).as_posix().removeprefix("./")


_SAME_FILE_LINE = re.compile(r"\bline (\d+)\b")
_FILE_LINE = re.compile(r"([\w./\\-]+\.py):(\d+)\b")


def points_at(finding: dict[str, Any], target: str, line: int) -> bool:
    """Does the finding's why-trail name ``target``'s ``line`` ("... again (line 834)",
    "... opposite order at pkg/m.py:20")? A deadlock has two places; the finding sits at
    one and names the other."""
    message = str(finding.get("message", ""))
    if normal_path(str(finding.get("path", ""))) == target and any(
        int(match) == line for match in _SAME_FILE_LINE.findall(message)
    ):
        return True
    return any(
        int(number) == line and target.endswith(normal_path(path).lstrip("/"))
        for path, number in _FILE_LINE.findall(message)
    )


def hits(
    findings: list[dict[str, Any]], relative: str, scope: Scope, line: int | None = None
) -> list[dict[str, Any]]:
    """The findings in file ``relative`` whose line lies in ``scope`` or is ``line``, and
    the findings anywhere whose message names ``line`` of that file."""
    target = normal_path(relative)
    return [
        f
        for f in findings
        if (
            normal_path(str(f.get("path", ""))) == target
            and (f.get("line") in scope or (line is not None and f.get("line") == line))
        )
        or (line is not None and points_at(f, target, line))
    ]


# -- one bug against the runs of its buggy and its fixed release ----------------------------
@dataclass
class Run:
    """One lint of one release: what was linted and what was found (``error``: why not)."""

    package: str
    version: str
    dist: str
    root: Path | None = None
    files: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    lines: int = 0
    seconds: float = 0.0
    returncode: int = 0
    stderr: str = ""
    error: str = ""


FOUND, MISSED, ERROR = "found", "missed", "error"


@dataclass
class Outcome:
    """The score of one bug. ``fixed_hits`` is None when the fixed release could not be
    checked (``fixed_error`` says why)."""

    bug: Bug
    status: str
    error: str = ""
    scope: Scope | None = None
    hits: list[dict[str, Any]] = field(default_factory=list)
    fixed_hits: list[dict[str, Any]] | None = None
    fixed_error: str = ""
    warning: str = ""

    @property
    def fixed_clean(self) -> bool | None:
        return None if self.fixed_hits is None else not self.fixed_hits


def locate(run: Run, relative: str, qualname: str, line: int | None) -> Scope:
    """The scope of ``qualname`` in a linted file of ``run``; ResolveError when the run
    failed, the file is missing or was not linted, or the function is not there."""
    if run.error or run.root is None:
        raise ResolveError(f"{run.package} {run.version}: {run.error or 'not run'}")
    if relative not in run.files:
        if (run.root / relative).is_file():
            raise ResolveError(f"{relative} was not linted (excluded by the default excludes)")
        raise ResolveError(f"no file {relative}")
    return resolve_file(run.root, relative, qualname, line)


def score(bug: Bug, buggy: Run, fixed: Run) -> Outcome:
    try:
        scope = locate(buggy, bug.file, bug.function, bug.line)
    except ResolveError as exc:
        return Outcome(bug, ERROR, error=f"{bug.buggy}: {exc}")
    found = hits(buggy.findings, bug.file, scope, bug.line)
    outcome = Outcome(bug, FOUND if found else MISSED, scope=scope, hits=found)
    if bug.line not in scope:
        outcome.warning = f"{bug.id}: line {bug.line} is outside {scope.describe()}"
    try:
        moved = bug.fixed_file or find_moved(fixed.files, bug.file) or bug.file
        fixed_scope = locate(fixed, moved, bug.function_in_fixed(), None)
    except ResolveError as exc:
        outcome.fixed_error = str(exc)
    else:
        outcome.fixed_hits = hits(fixed.findings, moved, fixed_scope)
    return outcome
