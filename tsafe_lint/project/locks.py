"""TS203 and TS205 across modules, from the summaries.

Each module's own rules find re-acquisition and lock-order inversion along its own call
graph. Here the same facts are followed through calls into other modules: what each
function acquires, directly or through anything it calls; a finding is reported only
when its chain crosses a module boundary (the others are the modules' own).
"""

from __future__ import annotations

from dataclasses import dataclass

from tsafe_lint.codes import code_name
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.project.join import Node, ProjectIndex


@dataclass(frozen=True)
class _Taken:
    reentrant: bool
    where: str  # "pkg/tasks.py:12"
    crossed: bool  # the acquisition is reached through another module


def _short(lock: str) -> str:
    return ".".join(lock.split(".")[-2:]) if lock.count(".") >= 2 else lock


def _takes(index: ProjectIndex) -> dict[Node, dict[str, _Taken]]:
    takes: dict[Node, dict[str, _Taken]] = {}
    for summary in index.modules.values():
        for function, acquires in summary.acquires.items():
            mine = takes.setdefault((summary.module, function), {})
            for lock, reentrant, _, line in acquires:
                mine.setdefault(lock, _Taken(reentrant, f"{summary.path}:{line}", False))
    calls = [
        ((summary.module, caller), target)
        for summary in index.modules.values()
        for caller, sites in summary.calls.items()
        for callee, _, _ in sites
        if (target := index.callee(summary.module, callee)) is not None
    ]
    changed = True
    while changed:
        changed = False
        for caller, callee in calls:
            mine = takes.setdefault(caller, {})
            for lock, taken in takes.get(callee, {}).items():
                if lock in mine:
                    continue
                crossed = taken.crossed or caller[0] != callee[0]
                mine[lock] = _Taken(taken.reentrant, taken.where, crossed)
                changed = True
    return takes


def cross_module_findings(index: ProjectIndex) -> list[Diagnostic]:
    takes = _takes(index)
    found: list[Diagnostic] = []
    edges: dict[tuple[str, str], tuple[str, int, bool]] = {}
    for summary in index.modules.values():
        for acquires in summary.acquires.values():
            for lock, _, held, line in acquires:
                for first in held:
                    edges.setdefault((first, lock), (summary.path, line, False))
        for sites in summary.calls.values():
            for callee, held, line in sites:
                target = index.callee(summary.module, callee)
                if target is None or not held:
                    continue
                for lock, taken in sorted(takes.get(target, {}).items()):
                    crossed = taken.crossed or target[0] != summary.module
                    if lock in held and not taken.reentrant and crossed:
                        found.append(
                            _diagnostic(
                                "TS203",
                                summary.path,
                                line,
                                f"'{target[1]}' acquires '{_short(lock)}' again (at "
                                f"{taken.where}) while it is held here; a Lock is not "
                                "reentrant, so the thread deadlocks on itself: use RLock or "
                                "an unlocked helper",
                            )
                        )
                    for first in held:
                        if first != lock:
                            key = (first, lock)
                            if key not in edges or (crossed and not edges[key][2]):
                                edges[key] = (summary.path, line, crossed)
    for (first, second), (path, line, crossed) in sorted(edges.items()):
        reverse = edges.get((second, first))
        if reverse is None or not (crossed or reverse[2] or reverse[0] != path):
            continue  # both paths in one module, none through another: the module's own
        found.append(
            _diagnostic(
                "TS205",
                path,
                line,
                f"'{_short(second)}' is acquired while holding '{_short(first)}' here, but in "
                f"the opposite order at {reverse[0]}:{reverse[1]}: potential deadlock",
            )
        )
    return found


def _diagnostic(code: str, path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, 1, code, message, line, 1, code_name(code), False)
