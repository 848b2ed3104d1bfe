"""Phase 2: join the per-file summaries into what each module needs to know of the others.

Threads started in one module on another module's functions, followed through calls
across modules (``ex.map(tasks.process, items)`` in ``main.py`` makes ``process`` in
``tasks.py``, and whatever it calls, thread code); locks imported from another module;
and the cross-module lock findings (re-acquiring a ``Lock`` through a call into another
module, lock-order inversions whose two paths span modules).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Container
from dataclasses import dataclass, replace

from tsafe_lint.project.file_summary import FileSummary
from tsafe_lint.project.import_closure import ImportClosure
from tsafe_lint.project_context import ExternalEntry, ProjectContext, awaited_in_turn

Node = tuple[str, str]  # (module, function qualified name)


class ProjectIndex:
    """The summaries by module, and name resolution across them (``__init__`` re-exports)."""

    def __init__(self, summaries: list[FileSummary]) -> None:
        self.modules: dict[str, FileSummary] = {}
        for summary in sorted(summaries, key=lambda s: s.path):
            self.modules.setdefault(summary.module, summary)
        self._functions = {m: set(s.functions) for m, s in self.modules.items()}

    def resolve(self, qualified: str, depth: int = 0) -> Node | None:
        """The project function a fully qualified name refers to, if any."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            summary = self.modules.get(module)
            if summary is None:
                continue
            rest = ".".join(parts[cut:])
            if rest in self._functions[module]:
                return module, rest
            head, _, tail = rest.partition(".")
            target = summary.imports.get(head)
            if target is not None and depth < 8 and target != qualified:
                return self.resolve(f"{target}.{tail}" if tail else target, depth + 1)
            if tail and depth < 8:  # a method the class inherits: ``Histogram.labels``
                for base in summary.class_bases.get(head, ()):
                    found = self.resolve(f"{base}.{tail}", depth + 1)
                    if found is not None:
                        return found
            return None
        return None

    def typed_global(self, qualified: str, depth: int = 0) -> str | None:
        """The kind of the project global a qualified name refers to (``pkg.locks.lock``)."""
        module, _, name = qualified.rpartition(".")
        summary = self.modules.get(module)
        if summary is None:
            return None
        if name in summary.typed_globals:
            return summary.typed_globals[name]
        target = summary.imports.get(name)
        if target is not None and depth < 8 and target != qualified:
            return self.typed_global(target, depth + 1)
        return None

    def copying_class(self, qualified: str) -> bool:
        """Is a qualified name a project class whose iteration methods return copies
        (``own_classes``), defined in its module or re-exported there?"""
        return self._class_in(qualified, lambda summary: summary.copying_classes) is not None

    def primitive_class(self, qualified: str) -> str | None:
        """The kind of the objects of a project class named like a threading primitive
        (``primitive_classes``; "" for none), defined in its module or re-exported there;
        ``None`` for any other name."""
        found = self._class_in(qualified, lambda summary: summary.primitive_classes)
        return found[0].primitive_classes[found[1]] if found is not None else None

    def attribute_kinds(self, qualified: str, depth: int = 0) -> dict[str, str]:
        """The kinds of the attributes a project class makes and inherits (its own win
        over its bases', an earlier base's over a later one's), by the class's qualified
        name, followed through re-exports."""
        found = self._class_in(qualified, lambda s: s.attribute_kinds.keys() | s.class_bases.keys())
        if found is None or depth >= 8:
            return {}
        summary, name = found
        kinds: dict[str, str] = {}
        for base in reversed(summary.class_bases.get(name, [])):
            kinds.update(self.attribute_kinds(base, depth + 1))
        kinds.update(summary.attribute_kinds.get(name, {}))
        return kinds

    def inherited_kinds(self, summary: FileSummary) -> tuple[tuple[str, str, str], ...]:
        """(class, attribute, kind) for the attributes the module's classes inherit from
        bases in other modules: a base of the module's own is analysed with it."""
        own = f"{summary.module}."
        found: set[tuple[str, str, str]] = set()
        for name, bases in summary.class_bases.items():
            kinds: dict[str, str] = {}
            for base in reversed(bases):
                if not (base.startswith(own) and "." not in base[len(own) :]):
                    kinds.update(self.attribute_kinds(base))
            mine = summary.attribute_kinds.get(name, {})
            found.update((name, attr, kind) for attr, kind in kinds.items() if attr not in mine)
        return tuple(sorted(found))

    def _class_in(
        self, qualified: str, listed: Callable[[FileSummary], Container[str]], depth: int = 0
    ) -> tuple[FileSummary, str] | None:
        """The summary and name of the class a qualified name refers to, following
        re-exports, if that summary lists it in ``listed``."""
        module, _, name = qualified.rpartition(".")
        summary = self.modules.get(module)
        if summary is None or depth >= 8:
            return None
        if name in listed(summary):
            return summary, name
        target = summary.imports.get(name)
        if target is None or target == qualified:
            return None
        return self._class_in(target, listed, depth + 1)

    def callee(self, caller_module: str, callee: str) -> Node | None:
        if callee.startswith("local:"):
            return caller_module, callee[len("local:") :]
        return self.resolve(callee)


@dataclass(frozen=True)
class _Root:
    node: Node
    verb: str
    origin: str
    many: bool
    thread: str = ""  # several roots, one thread: the calls one coroutine awaits in turn


def contexts(index: ProjectIndex) -> dict[str, ProjectContext]:
    """For each module (by path), the facts other modules give it; only non-empty ones."""
    roots = _thread_roots(index)
    edges = _edges(index)

    entries: dict[str, dict[str, ExternalEntry]] = {}
    # the roots that arrive at each function of another module
    arrivals: dict[tuple[str, str], set[_Root]] = {}
    for root in roots:
        origin_path = root.origin.rsplit(":", 1)[0]
        # (function, module path it was called from, several threads, through)
        queue: deque[tuple[Node, str, bool, tuple[str, str]]] = deque(
            [(root.node, origin_path, root.many, ("", ""))]
        )
        seen = {root.node}
        while queue:
            node, came_from, many, through = queue.popleft()
            path = index.modules[node[0]].path
            if path != came_from:
                # The first function of another module a thread arrives at: that
                # module's own call graph carries the entry further.
                arrived = entries.setdefault(path, {})
                arrivals.setdefault((path, node[1]), set()).add(root)
                if node[1] not in arrived:
                    arrived[node[1]] = ExternalEntry(
                        node[1], root.verb, root.origin, many, *through, thread=root.thread
                    )
            for nxt, into_object in edges.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    if into_object[0]:  # another object: maybe each thread's own
                        queue.append((nxt, path, False, into_object))
                    else:
                        queue.append((nxt, path, many, through))

    for (path, function), arrived_from in arrivals.items():
        kept = entries[path][function]
        if kept.thread and any(root.thread != kept.thread for root in arrived_from):
            # only the first root's entry is kept (its verb and its count of threads, a
            # known limit): its identity would hide the other roots' threads, on which
            # the function runs too
            entries[path][function] = replace(kept, thread="")

    result: dict[str, ProjectContext] = {}
    closure = ImportClosure(index.modules)
    for summary in index.modules.values():
        kinds = _imported_kinds(index, summary)
        module_entries = tuple(sorted(entries.get(summary.path, {}).values(), key=repr))
        copying = tuple(sorted({q for q in summary.bound_calls if index.copying_class(q)}))
        made = {q: index.primitive_class(q) for q in summary.bound_calls}
        made_kinds = tuple(sorted((q, k) for q, k in made.items() if k is not None))
        inherited = index.inherited_kinds(summary)
        safe_imports = closure.safe_deferred(summary)
        context = ProjectContext(
            kinds, module_entries, copying, made_kinds, inherited, safe_imports
        )
        if context:
            result[summary.path] = context
    return result


def _thread_roots(index: ProjectIndex) -> list[_Root]:
    """Every function the project runs on a thread it starts, in any module."""
    roots: list[_Root] = []
    for summary in index.modules.values():
        for name, (verb, line, many, sequence) in summary.thread_functions.items():
            # a function a coroutine of the module awaits through ``to_thread`` runs in
            # turn with the other calls it awaits, wherever they lead (alpi-agent's
            # sweep, which calls two reconcilers of another module: ninety-fifth set)
            thread = awaited_in_turn(f"{summary.path}:{sequence}") if sequence else ""
            own = (summary.module, name)
            roots.append(_Root(own, verb, f"{summary.path}:{line}", many, thread))
        for qualified, verb, line, many, sequence in summary.external_starts:
            node = index.resolve(qualified)
            if node is not None:
                thread = awaited_in_turn(f"{summary.path}:{sequence}") if sequence else ""
                roots.append(_Root(node, verb, f"{summary.path}:{line}", many, thread))
    return roots


#: (callee, how the call reaches another object: ("'self._p' in 'C.f' at m.py:9", the
#: attribute that holds it: "m.C._p"), ("", "") for a plain call)
Edges = dict[Node, list[tuple[Node, tuple[str, str]]]]


def _edges(index: ProjectIndex) -> Edges:
    """The project's calls, plain and into other objects, across modules."""
    edges: Edges = {}
    for summary in index.modules.values():
        for caller, calls in summary.calls.items():
            for callee, _, _, _ in calls:
                target = index.callee(summary.module, callee)
                if target is not None:
                    edges.setdefault((summary.module, caller), []).append((target, ("", "")))
        for caller, object_calls in summary.object_calls.items():
            for callee, receiver, line, holder in object_calls:
                target = index.resolve(callee)
                if target is not None:
                    through = (f"'{receiver}' in '{caller}' at {summary.path}:{line}", holder)
                    edges.setdefault((summary.module, caller), []).append((target, through))
    return edges


def run_outside_started_threads(index: ProjectIndex) -> set[Node]:
    """The functions the program's own thread (the main one) may be running: those no
    started thread reaches, and everything they call. A signal handler interrupts that
    thread only; a lock held on a started thread is one it merely waits for."""
    edges = _edges(index)
    threaded = _closure([root.node for root in _thread_roots(index)], edges)
    unthreaded = [
        (module, function)
        for module, summary in index.modules.items()
        for function in [*summary.functions, *summary.acquires]
        if (module, function) not in threaded
    ]
    return _closure(unthreaded, edges)


def _closure(start: list[Node], edges: Edges) -> set[Node]:
    reached = set(start)
    pending = list(start)
    while pending:
        for callee, _ in edges.get(pending.pop(), ()):
            if callee not in reached:
                reached.add(callee)
                pending.append(callee)
    return reached


def _imported_kinds(index: ProjectIndex, summary: FileSummary) -> tuple[tuple[str, str], ...]:
    """Kinds of the other modules' globals this file uses as locks (or, for a file only
    syntax-checked, imports by name): only they can change its analysis."""
    names = summary.lock_uses if summary.analysed else list(summary.imports.values())
    kinds: dict[str, str] = {}
    for qualified in names:
        kind = index.typed_global(qualified)
        if kind is not None:
            kinds[qualified] = kind
    return tuple(sorted(kinds.items()))
