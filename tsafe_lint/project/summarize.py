"""Build a file's summary (``tsafe_lint.project.file_summary``): from its full analysis, or
from CPython's ``ast`` alone for a file without threading vocabulary."""

from __future__ import annotations

import ast
from collections.abc import Callable

import libcst as cst

from tsafe_lint.analysis import AnyCall, ModuleAnalysis, is_lock
from tsafe_lint.analysis.attribute_classes import through_object
from tsafe_lint.analysis.instances import ImportedInstances
from tsafe_lint.analysis.kinds import FINAL_NAMES, Kind
from tsafe_lint.analysis.own_classes import bound_package_calls, copies_on_iteration
from tsafe_lint.analysis.primitive_classes import primitive_class_kinds
from tsafe_lint.analysis.reachability import target_functions, verb_of
from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure, dotted_name
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.threads import ThreadStart
from tsafe_lint.analysis.tree import Span
from tsafe_lint.module_names import imported_from, is_package
from tsafe_lint.project.file_summary import FileSummary
from tsafe_lint.project.flag_copies import flag_copies
from tsafe_lint.project.import_statements import ast_imports, cst_imports


def summarize(analysis: ModuleAnalysis) -> FileSummary:
    """The summary of a fully analysed module."""
    nodes, finish = plan_summary(analysis)
    return finish(analysis.spans(nodes) if nodes else {})


def plan_summary(
    analysis: ModuleAnalysis,
) -> tuple[list[cst.CSTNode], Callable[[dict[cst.CSTNode, Span]], FileSummary]]:
    """The nodes whose lines the summary needs, and how to finish it once they are known
    (so that the caller computes positions once, for the findings and the summary)."""
    structure = analysis.structure
    facts = analysis.locks
    summary = FileSummary(analysis.path, analysis.name)
    summary.functions = [f.qualname for f in structure.functions if not f.is_module]
    summary.imports = dict(structure.module_scope.imports)
    submits = any(
        isinstance(call.call.func, cst.Attribute) and call.call.func.attr.value == "submit"
        for call in analysis.regions.calls
    )
    functions = [
        f.node for f in structure.functions if submits and isinstance(f.node, cst.FunctionDef)
    ]
    imports = cst_imports(analysis.module, analysis.name, is_package(analysis.path), functions)
    summary.eager_imports, summary.deferred_imports = imports.eager, imports.deferred
    summary.top_names = imports.top_names
    summary.lock_uses = _lock_uses(analysis)
    for key, info in analysis.symbols.symbols.items():
        if key[0] == "global" and info.kind is not None:
            summary.typed_globals[key[1]] = info.kind.value

    # Collected with their nodes first: lines cost one code generation, done once below.
    threads: list[tuple[str, str, cst.CSTNode, bool, str]] = []
    # the coroutine that awaits each start in turn (``await asyncio.to_thread(f)``)
    awaiting = {id(start.call): start.sequence for start in analysis.thread_starts}
    for func, entries in analysis.reach.entries.items():
        node = entries[0].node
        if node is not None and not func.is_module:
            # one coroutine's awaited calls run one at a time: say which, when that is
            # the only way the function runs on a thread
            sequences = {awaiting.get(id(entry.node)) or "" for entry in entries}
            sequence = sequences.pop() if len(sequences) == 1 else ""
            many = analysis.reach.many(func)
            threads.append((func.qualname, entries[0].verb, node, many, sequence))
    starts: list[tuple[str, str, cst.CSTNode, bool, str]] = []
    instances = ImportedInstances(structure)
    for start in analysis.thread_starts:
        if start.in_process or start.target is None or _resolves_locally(analysis, start):
            continue
        qualified = (
            structure.qualified_name(start.target, start.func)
            or _inherited_method(structure, start.func, start.target)
            or _method_of_object(analysis, instances, start.func, start.target)
        )
        if qualified is not None and "." in qualified:
            starts.append((qualified, verb_of(start), start.call, start.many, start.sequence or ""))
    for shared in analysis.shared_calls:
        if shared.qualified is not None:
            verb = shared.verb(verb_of(shared.start))
            starts.append((shared.qualified, verb, shared.start.call, True, ""))
    for finalizer in analysis.finalizers:
        summary.finalizers[finalizer.func.qualname] = [finalizer.describe(), finalizer.when]
    summary.class_bases = _class_bases(analysis)
    summary.bound_calls = bound_package_calls(analysis.module, structure, analysis.name)
    summary.copying_classes = sorted(
        cls.qualname for cls in structure.classes.values() if copies_on_iteration(cls, structure)
    )
    summary.primitive_classes = primitive_class_kinds(structure)
    summary.attribute_kinds = _attribute_kinds(analysis)
    finalizer_code = analysis.finalizer_code
    calls: list[tuple[str, str, list[str], cst.CSTNode]] = []
    placed: list[cst.CSTNode] = []  # calls whose position the summary keeps
    resolved = set()
    for site in analysis.regions.call_sites:
        resolved.add(site.call)
        held = _canonical_all(analysis, facts.held_locks(site.state))
        calls.append((site.func.qualname, f"local:{site.callee.qualname}", held, site.call))
    for any_call in analysis.regions.calls:
        if any_call.call in resolved:
            continue
        qualified = any_call.qualified or _inherited_method(
            structure, any_call.func, any_call.call.func
        )
        if qualified is None and any_call.func in finalizer_code:
            # followed from finalizers only: measured, the other rules' thread reach
            # through these calls found tkinter's globals "written on threads" by idlelib
            qualified = _method_of_instance(instances, any_call)
        if qualified is None or "." not in qualified:
            continue
        held = _canonical_all(analysis, facts.held_locks(any_call.state))
        calls.append((any_call.func.qualname, qualified, held, any_call.call))
        if held or any_call.func in finalizer_code:
            placed.append(any_call.call)
    objects = _object_calls(analysis)
    acquires: list[tuple[str, str, bool, list[str], cst.CSTNode, bool]] = []
    for acquisition in facts.acquisitions:
        lock = _canonical(analysis, acquisition.lock)
        if lock is None:
            continue
        held = _canonical_all(analysis, facts.held_locks(acquisition.state))
        reentrant = facts.reentrant(acquisition.lock)
        if is_lock(facts, acquisition.lock) and lock not in summary.plain_locks:
            summary.plain_locks.append(lock)
        function = acquisition.func.qualname
        acquires.append(
            (
                function,
                lock,
                reentrant,
                [h for h in held if h != lock],
                acquisition.node,
                acquisition.restores,
            )
        )

    wanted = [t[2] for t in threads] + [s[2] for s in starts] + [a[4] for a in acquires]
    wanted += [c[3] for c in calls if c[2]] + placed
    kept = set(wanted)
    wanted += [o[3] for o in objects]

    def finish(spans: dict[cst.CSTNode, Span]) -> FileSummary:
        def line(node: cst.CSTNode) -> int:
            span = spans.get(node)
            return span.line if span is not None else 0

        def column(node: cst.CSTNode) -> int:
            span = spans.get(node)
            return span.col if span is not None else 0

        for name, verb, node, many, sequence in threads:
            summary.thread_functions[name] = [verb, line(node), many, "" if many else sequence]
        summary.external_starts = [
            [q, verb, line(node), many, sequence] for q, verb, node, many, sequence in starts
        ]
        for caller, callee, held, node in calls:
            where = (line(node), column(node)) if node in kept else (0, 0)
            summary.calls.setdefault(caller, []).append((callee, held, *where))
        for caller, callee, receiver, node, holder in objects:
            made = [callee, receiver, line(node), holder]
            summary.object_calls.setdefault(caller, []).append(made)
        for function, lock, reentrant, held, node, restores in acquires:
            entry = (lock, reentrant, held, line(node), column(node), restores)
            summary.acquires.setdefault(function, []).append(entry)
        return summary

    return wanted, finish


def _inherited_method(
    structure: ModuleStructure, func: FunctionInfo, callee: cst.BaseExpression
) -> str | None:
    """``self._wait`` (called, or a thread's target) in a class whose family here does
    not define ``_wait``: the method of the first imported base,
    ``pkg.base.BaseModel._wait`` (the join looks for it there and in that class's own
    bases)."""
    if not (
        func.cls is not None
        and isinstance(callee, cst.Attribute)
        and isinstance(callee.value, cst.Name)
        and callee.value.value == func.self_name
    ):
        return None
    method = callee.attr.value
    family = list(structure.class_bases(func.cls))
    if any(method in cls.methods or method in cls.body_names for cls in family):
        return None
    for cls in family:
        for base in cls.node.bases:
            qualified = structure.qualified_name(base.value, structure.module_scope)
            if qualified is not None:
                return f"{qualified}.{method}"
    return None


def _method_of_object(
    analysis: ModuleAnalysis,
    instances: ImportedInstances,
    func: FunctionInfo,
    target: cst.BaseExpression,
) -> str | None:
    """A thread's target ``watch.run`` or ``self.watch.run``, where ``watch`` (or the
    attribute ``watch``) holds an object of an imported class: that method's qualified
    name, ``pkg.watch.WatchMode.run`` (claude-cortex's terminal UI starts its watch mode
    so: seventy-fifth validation set's misses)."""
    if not isinstance(target, cst.Attribute):
        return None
    receiver = target.value
    cls: str | None = None
    if isinstance(receiver, cst.Name):
        cls = instances.class_of(receiver.value, func)
    elif isinstance(receiver, cst.Attribute):
        key = analysis.symbols.key_of(receiver, func)
        cls = analysis.symbols.imported_classes.get(key) if key is not None else None
    return f"{cls}.{target.attr.value}" if cls is not None else None


def _method_of_instance(instances: ImportedInstances, any_call: AnyCall) -> str | None:
    """``latency.labels`` with ``latency = metrics.Histogram(...)``: the method's
    qualified name, ``pkg.metrics.Histogram.labels``."""
    callee = any_call.call.func
    if not (isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name)):
        return None
    cls = instances.class_of(callee.value.value, any_call.func)
    return f"{cls}.{callee.attr.value}" if cls is not None else None


def _attribute_kinds(analysis: ModuleAnalysis) -> dict[str, dict[str, str]]:
    """The kinds of each class's attributes made by its own code (not inferred from use,
    not inherited): what a subclass in another module inherits."""
    kinds: dict[str, dict[str, str]] = {}
    for key, info in analysis.symbols.symbols.items():
        if (
            key[0] == "attr"
            and len(key) == 3
            and info.kind is not None
            and info.kind is not Kind.ACQUIRABLE
            and info.evidence is None
            and not info.inherited
            and key[1] in analysis.structure.classes
        ):
            kinds.setdefault(str(key[1]), {})[str(key[2])] = info.kind.value
    return kinds


def _class_bases(analysis: ModuleAnalysis) -> dict[str, list[str]]:
    """Each class's bases, by qualified name (the module's own classes too)."""
    structure = analysis.structure
    bases: dict[str, list[str]] = {}
    for cls in structure.classes.values():
        names = []
        for base in cls.node.bases:
            if base.keyword is not None:
                continue
            own = dotted_name(base.value)
            if own is not None and own in structure.classes:
                names.append(f"{analysis.name}.{own}")
                continue
            qualified = structure.qualified_name(base.value, structure.module_scope)
            if qualified is not None and "." in qualified:
                names.append(qualified)
        if names:
            bases[cls.qualname] = names
    return bases


def _object_calls(analysis: ModuleAnalysis) -> list[tuple[str, str, str, cst.CSTNode, str]]:
    """Method calls on another object of an imported class, reached through an attribute
    (``self._protocol.send_bytes()`` with ``self._protocol = KafkaProtocol(...)``):
    (caller, ``pkg.parser.KafkaProtocol.send_bytes``, receiver, call, the attribute that
    holds the object: ``pkg.conn.Conn._protocol``)."""
    found: list[tuple[str, str, str, cst.CSTNode, str]] = []
    symbols = analysis.symbols
    for any_call in analysis.regions.calls:
        callee = any_call.call.func
        if any_call.qualified is not None or not isinstance(callee, cst.Attribute):
            continue
        through = through_object(symbols, callee.value, any_call.func)
        key = symbols.key_of(callee.value, any_call.func) if through is not None else None
        imported = symbols.imported_classes.get(key) if key is not None else None
        if through is None or imported is None:
            continue
        qualified = f"{imported}.{callee.attr.value}"
        receiver, holder = through
        caller = any_call.func.qualname
        found.append((caller, qualified, receiver, any_call.call, f"{analysis.name}.{holder}"))
    return found


def _lock_uses(analysis: ModuleAnalysis) -> list[str]:
    """Imported names in the places where knowing they are locks changes the analysis:
    ``with`` items and receivers of method calls."""
    uses: set[str] = set()
    structure = analysis.structure
    for entry in analysis.regions.with_entries:  # typed or not: the same with any context
        qualified = structure.qualified_name(entry.item.item, entry.func)
        if qualified is not None and "." in qualified:
            uses.add(qualified)
    for any_call in analysis.regions.calls:
        callee = any_call.call.func
        if isinstance(callee, cst.Attribute):
            qualified = structure.qualified_name(callee.value, any_call.func)
            if qualified is not None and "." in qualified:
                uses.add(qualified)
    return sorted(uses)


def _resolves_locally(analysis: ModuleAnalysis, start: ThreadStart) -> bool:
    resolve = analysis.resolve_function
    found = target_functions(start.target, start.func, resolve, analysis.structure)
    return next(found, None) is not None


def _canonical(analysis: ModuleAnalysis, key: SymbolKey) -> str | None:
    """A project-wide name for a lock: ``pkg.mod.lock``, ``pkg.mod.Class.attr``."""
    if key[0] == "global":
        return f"{analysis.name}.{key[1]}"
    if key[0] == "attr":
        return f"{analysis.name}.{key[1]}.{key[2]}"
    if key[0] == "ext":
        return key[1]
    return None


def _canonical_all(analysis: ModuleAnalysis, keys: set[SymbolKey]) -> list[str]:
    return sorted(name for name in (_canonical(analysis, k) for k in keys) if name is not None)


def summarize_syntax_only(path: str, module: str, package: bool, tree: ast.Module) -> FileSummary:
    """The summary of a file without threading vocabulary: what it defines and imports,
    enough for other modules to hand it a thread entry point."""
    summary = FileSummary(path, module, analysed=False)
    summary.rebound_imports, summary.polled_globals = flag_copies(tree, module, package)
    imports = ast_imports(tree, module, package)
    summary.eager_imports, summary.deferred_imports = imports.eager, imports.deferred
    summary.top_names = imports.top_names
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            summary.functions.append(node.name)
        elif isinstance(node, ast.ClassDef):
            summary.functions.append(node.name)
            if node.name in FINAL_NAMES:  # no threading vocabulary: no primitive made
                summary.primitive_classes[node.name] = ""
            bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
            if bases:
                summary.class_bases[node.name] = bases  # qualified once imports are known
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    summary.functions.append(f"{node.name}.{item.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    summary.imports[alias.asname] = alias.name
                else:
                    head = alias.name.split(".", 1)[0]
                    summary.imports[head] = head
        elif isinstance(node, ast.ImportFrom):
            summary.imports.update(imported_from(node, module, package))
    classes = set(summary.class_bases)
    for name, bases in summary.class_bases.items():
        summary.class_bases[name] = [
            f"{module}.{base}"
            if base in classes or base not in summary.imports
            else summary.imports[base]
            for base in bases
        ]
    return summary
