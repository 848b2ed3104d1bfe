"""Deferred imports that load nothing new: the project join's answer to "can this
``from .segments import ensure`` inside a task fail?".

A module that runs has been imported, and so has everything its import-time imports load,
at any depth through the project's modules (its *eager closure*). A deferred import of a
project module cannot fail in use when that module's eager closure needs no module
outside the project that the importing module's closure did not already load, other than
standard modules every platform has (``tsafe_lint.standard_modules``; a name only some
platforms have, ``from signal import SIGALRM``, must have been loaded too). Modules
outside the project are compared by their full names (``opentelemetry.trace`` loaded does
not load ``opentelemetry.exporter.otlp``).

A deferred import that pulls in a module of its own (``from .exporters.parquet import
write``, whose module imports ``pyarrow``, also in a ``try`` that re-raises) is how code
keeps a dependency optional, and its ``ImportError`` is a failure in use. Unknown, so it
may fail: a module outside the linted files (a compiled extension, an excluded file, a
namespace package's sibling: ``from google.cloud import storage`` in
``google.cloud.mysvc``), and a name a project module does not bind at its top level (a
lazy module ``__getattr__``).
"""

from __future__ import annotations

from tsafe_lint.project.file_summary import FileSummary
from tsafe_lint.standard_modules import PLATFORM_NAMES, STANDARD_MODULES


class ImportClosure:
    """The eager closures of the project's modules, each computed once."""

    def __init__(self, modules: dict[str, FileSummary]) -> None:
        self._modules = modules
        self._outside: dict[str, frozenset[str]] = {}

    def safe_deferred(self, summary: FileSummary) -> tuple[str, ...]:
        """The candidates of ``summary``'s deferred imports that load nothing new: a
        project module whose closure needs nothing outside the project that
        ``summary``'s own closure did not load (or a name such a module binds)."""
        if not summary.deferred_imports:
            return ()
        loaded = self.outside(summary.module)
        safe: list[str] = []
        for candidate in summary.deferred_imports:
            owner = self._project_module(candidate)
            if owner is not None and all(
                _covered(needed, loaded) for needed in self.outside(owner)
            ):
                safe.append(candidate)
        return tuple(safe)

    def _project_module(self, candidate: str) -> str | None:
        """The project module ``candidate`` loads: itself, or the module whose top-level
        name it is (``pkg.segments.ensure``); None when it is neither."""
        if candidate in self._modules:
            return candidate
        parent, _, last = candidate.rpartition(".")
        summary = self._modules.get(parent)
        if summary is None:
            return None
        names = summary.top_names
        return parent if last in names or "*" in names else None

    def outside(self, module: str) -> frozenset[str]:
        """The modules outside the project (and the platform-specific names) that
        importing ``module`` loads, through the import-time imports of the project's
        modules, by full name. Computed for every module at the first question, once per
        strongly connected group of modules (an import cycle shares one answer)."""
        if not self._outside:
            self._outside = self._all_outside()
        return self._outside.get(module, frozenset())

    def _edges(self, module: str) -> tuple[list[str], set[str]]:
        """The project modules importing ``module`` loads directly (its packages too),
        and what it loads from outside the project."""
        parts = module.split(".")
        inside = [".".join(parts[:cut]) for cut in range(1, len(parts))]
        found: set[str] = set()
        summary = self._modules[module]
        candidates = set(summary.eager_imports)
        for candidate in candidates:
            owner = self._project_module(candidate)
            if owner is not None:
                inside.append(owner)
                continue
            parent = candidate.rpartition(".")[0]
            if parent in self._modules:
                continue  # a submodule or name the project does not have: unknown
            if parent in candidates and parent not in PLATFORM_NAMES:
                continue  # ``from parent import name``: ``parent`` stands for it
            found.add(candidate)
        return [m for m in inside if m in self._modules and m != module], found

    def _all_outside(self) -> dict[str, frozenset[str]]:
        """Tarjan's strongly connected components, iteratively; each component's answer
        is its own modules' outside imports and those of the components it reaches."""
        edges = {module: self._edges(module) for module in self._modules}
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        result: dict[str, frozenset[str]] = {}
        counter = 0
        for root in sorted(self._modules):
            if root in index:
                continue
            work = [(root, 0)]
            while work:
                node, position = work.pop()
                if position == 0:
                    index[node] = low[node] = counter
                    counter += 1
                    stack.append(node)
                    on_stack.add(node)
                successors = edges[node][0]
                if position < len(successors):
                    work.append((node, position + 1))
                    nxt = successors[position]
                    if nxt not in index:
                        work.append((nxt, 0))
                    elif nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                    continue
                for nxt in successors:
                    if nxt in on_stack and index[nxt] > index[node]:
                        low[node] = min(low[node], low[nxt])
                if low[node] == index[node]:
                    group: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    found: set[str] = set()
                    for member in group:
                        found |= edges[member][1]
                        for nxt in edges[member][0]:
                            if nxt in result:
                                found |= result[nxt]
                    answer = frozenset(found)
                    for member in group:
                        result[member] = answer
        return result


def _covered(needed: str, loaded: frozenset[str]) -> bool:
    """Was ``needed`` loaded already: a standard module every platform has (not a
    platform-specific name of one), a module the importer loaded, or a package of one?"""
    parent = needed.rpartition(".")[0]
    if parent not in PLATFORM_NAMES and (
        needed in STANDARD_MODULES or needed.split(".", 1)[0] in STANDARD_MODULES
    ):
        return True
    if needed in loaded:
        return True
    prefix = needed + "."
    return any(name.startswith(prefix) for name in loaded)
