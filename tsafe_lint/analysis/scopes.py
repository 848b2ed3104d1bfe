"""Functions, classes and imports of a module: the structure every other fact hangs on.

Name resolution here is deliberately small: an import table per scope plus the module's
own definitions. LibCST's ScopeProvider/QualifiedNameProvider would do the same job
about ten times slower than parsing itself (measured on the standard library), which a
linter run on every save cannot afford; what rules need is "does this name mean
``threading.Lock``", and imports and aliases answer that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst

from tsafe_lint.analysis.tree import NOT_RUN, FastVisitor, names_bound_by, walk
from tsafe_lint.module_names import absolute_import


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else ``None``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def final_name(node: cst.BaseExpression) -> str | None:
    """The name a callee ends with: ``b`` of ``a.b``, ``f`` of ``f``, else ``None``."""
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else None


def decorated_with(func: FunctionInfo, names: frozenset[str]) -> bool:
    """Is ``func`` decorated by one of ``names``, called or not (``@mainthread``,
    ``@QtCore.pyqtSlot(str)``)?"""
    node = func.node
    if not isinstance(node, cst.FunctionDef):
        return False
    for decorator in node.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        if final_name(expr) in names:
            return True
    return False


def _import_module_name(node: cst.BaseExpression) -> str:
    name = dotted_name(node)
    return name or ""


@dataclass(eq=False)
class ClassInfo:
    """A class defined in the module."""

    node: cst.ClassDef
    qualname: str
    base_names: list[str]
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    body_names: set[str] = field(default_factory=set)
    #: attributes its methods assign on ``self``: ``self._send = other.send`` shadows
    #: the method ``_send`` on the instance
    instance_names: set[str] = field(default_factory=set)


@dataclass(eq=False)
class FunctionInfo:
    """A function, method, or the module's top level (``node`` is then the Module)."""

    node: cst.FunctionDef | cst.Module
    qualname: str
    parent: FunctionInfo | None = None
    cls: ClassInfo | None = None
    self_name: str | None = None
    is_classmethod: bool = False
    params: list[str] = field(default_factory=list)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)
    assigned: set[str] = field(default_factory=set)
    imports: dict[str, str] = field(default_factory=dict)
    modules: set[str] = field(default_factory=set)  # names bound by ``import m`` (modules)
    returns_value: bool = False
    is_async: bool = False
    variant: bool = False  # one of several same-named definitions (``if os.name == ...``)

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @cached_property
    def plain_bindings(self) -> tuple[dict[str, list[cst.BaseExpression]], frozenset[str]]:
        """The values each name is bound to by a plain ``name = value`` in the function's
        own body, and the names bound some other way there (``local_values``): one pass
        for every name, as a long function asks about many."""
        nodes = list(walk(self.node, NOT_RUN))
        values: dict[str, list[cst.BaseExpression]] = {}
        plain: set[int] = set()
        for node in nodes:
            if isinstance(node, cst.Assign) and len(node.targets) == 1:
                target = node.targets[0].target
                if isinstance(target, cst.Name):
                    values.setdefault(target.value, []).append(node.value)
                    plain.add(id(node.targets[0]))
        other: set[str] = set()
        for node in nodes:
            if id(node) in plain:
                continue
            if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.Del)) and isinstance(
                node.target, (cst.Subscript, cst.Attribute)
            ):
                continue  # stores into the object, not to the name
            other |= names_bound_by(node)
        return values, frozenset(other)

    @cached_property
    def is_property(self) -> bool:
        """A ``@property`` getter: reading the attribute calls it."""
        return isinstance(self.node, cst.FunctionDef) and "property" in _decorator_names(self.node)

    @cached_property
    def is_contextmanager(self) -> bool:
        """``@contextlib.contextmanager``: ``with f():`` runs it up to its ``yield``."""
        return isinstance(self.node, cst.FunctionDef) and "contextmanager" in _decorator_names(
            self.node
        )

    @cached_property
    def is_generator(self) -> bool:
        """Does the function ``yield`` (its own, not a nested function's)?"""
        skip = NOT_RUN
        return not self.is_module and any(
            isinstance(node, cst.Yield) for node in walk(self.node, skip)
        )

    @cached_property
    def is_module(self) -> bool:
        return isinstance(self.node, cst.Module)

    def is_local(self, name: str) -> bool:
        """Is ``name`` a local variable (or parameter) of this function?"""
        if self.is_module or name in self.declared_global or name in self.declared_nonlocal:
            return False
        return name in self.assigned or name in self.params

    def binding_function(self, name: str) -> FunctionInfo | None:
        """The function whose local ``name`` is, read here: this one, or the nearest
        enclosing one that binds it (a closure's cell); None for a global."""
        scope: FunctionInfo | None = self
        while scope is not None and not scope.is_module:
            if scope.is_local(name):
                return scope
            scope = scope.parent
        return None

    def body(self) -> Sequence[cst.BaseStatement]:
        if isinstance(self.node, cst.Module):
            return self.node.body
        return _block(self.node.body)


def _block(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    return (
        [cst.SimpleStatementLine(body=list(suite.body))]
        if isinstance(suite, cst.SimpleStatementSuite)
        else []
    )


def block(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    """The statements of a suite, a one-line suite counted as one statement line."""
    return _block(suite)


def ends_by_leaving(
    suite: cst.BaseSuite,
    exits: tuple[type[cst.BaseSmallStatement], ...] = (
        cst.Return,
        cst.Raise,
        cst.Continue,
        cst.Break,
    ),
) -> bool:
    """Does the suite end by leaving (``return``, ``raise``, ``continue``, ``break``, or
    only the statements ``exits`` names)?"""
    statements = block(suite)
    last = statements[-1] if statements else None
    return (
        isinstance(last, cst.SimpleStatementLine)
        and bool(last.body)
        and isinstance(last.body[-1], exits)
    )


def script_blocks(module: cst.Module) -> list[cst.If]:
    """The module's ``if __name__ == "__main__":`` blocks: code that runs only when the
    file is run as a script, never when the threads that use it import it."""
    found = []
    for statement in module.body:
        if not isinstance(statement, cst.If):
            continue
        test = statement.test
        if (
            isinstance(test, cst.Comparison)
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Equal)
        ):
            sides = {_literal_or_name(test.left), _literal_or_name(test.comparisons[0].comparator)}
            if sides == {"__name__", "'__main__'"}:
                found.append(statement)
    return found


def _literal_or_name(node: cst.BaseExpression) -> str | None:
    """``__name__`` for the name, ``'__main__'`` for either quoting of the string."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return repr(value) if isinstance(value, str) else None
    return None


def is_declaration(statement: cst.BaseStatement) -> bool:
    """``global READY`` / ``nonlocal n``: a declaration, which runs nothing."""
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Global, cst.Nonlocal)) for small in statement.body
    )


def is_docstring(statement: cst.BaseStatement) -> bool:
    """A statement line that is only a string (a docstring, or a comment written as one):
    it runs nothing."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(
            statement.body[0].value,
            (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString),
        )
    )


def is_stub_statement(statement: cst.BaseStatement) -> bool:
    """A line of a stub body that subclasses fill in: ``pass``, ``...``, a docstring or
    ``raise NotImplementedError``."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Pass):
            continue
        if isinstance(small, cst.Expr) and isinstance(
            small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)
        ):
            continue
        if isinstance(small, cst.Raise) and "NotImplementedError" in _raised_name(small):
            continue
        return False
    return True


def _raised_name(statement: cst.Raise) -> str:
    exc = statement.exc
    if isinstance(exc, cst.Call):
        exc = exc.func
    return exc.value if isinstance(exc, cst.Name) else ""


def _decorator_names(node: cst.FunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        name = dotted_name(expr)
        if name:
            names.add(name.rsplit(".", 1)[-1])
    return names


def target_names(target: cst.BaseExpression) -> Iterator[str]:
    """The names an assignment target rebinds: ``x``, ``x, y``, ``[x, *rest]``; not
    ``d[k]`` or ``obj.attr``, which store into an object."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


class _Collector(FastVisitor):
    """One pass over the module that records its functions, classes and imports."""

    def __init__(self, module: cst.Module) -> None:
        self.module_scope = FunctionInfo(module, "<module>")
        self.functions: list[FunctionInfo] = [self.module_scope]
        self.classes: dict[str, ClassInfo] = {}
        self.function_of: dict[cst.FunctionDef, FunctionInfo] = {}
        self.module_aliases: dict[str, str] = {}
        self.alias_choices: dict[str, set[str]] = {}
        self._function_stack: list[FunctionInfo] = [self.module_scope]
        self._class_stack: list[ClassInfo | None] = [None]

    # -- scopes ------------------------------------------------------------------
    def _qualprefix(self) -> str:
        cls = self._class_stack[-1]
        func = self._function_stack[-1]
        if cls is not None:
            return cls.qualname + "."
        if not func.is_module:
            return func.qualname + ".<locals>."
        return ""

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qualname = self._qualprefix() + node.name.value
        bases = [dotted_name(arg.value) or "" for arg in node.bases if arg.keyword is None]
        info = ClassInfo(node, qualname, bases)
        self.classes[qualname] = info
        self._bind(node.name.value)
        self._class_stack.append(info)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bind(node.name.value)
        cls = self._class_stack[-1]
        parent = self._function_stack[-1]
        decorators = _decorator_names(node)
        params = [p.name.value for p in (*node.params.posonly_params, *node.params.params)]
        extra = [p.name.value for p in node.params.kwonly_params]
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                extra.append(star.name.value)
        info = FunctionInfo(
            node,
            self._qualprefix() + node.name.value,
            parent=parent,
            cls=cls,
            params=params + extra,
            is_async=node.asynchronous is not None,
        )
        if cls is not None:
            cls.methods[node.name.value] = info
            if "staticmethod" not in decorators and params:
                info.self_name = params[0]
                info.is_classmethod = "classmethod" in decorators or node.name.value in {
                    "__new__",
                    "__init_subclass__",
                    "__class_getitem__",
                }
        self.functions.append(info)
        self.function_of[node] = info
        self._function_stack.append(info)
        self._class_stack.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._function_stack.pop()
        self._class_stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        # Implicit concatenation nests one level per piece (thousands in generated
        # files such as pydoc_data/topics.py); strings bind and call nothing we track.
        return False

    # -- bindings ----------------------------------------------------------------
    def _bind(self, name: str) -> None:
        cls = self._class_stack[-1]
        if cls is not None:
            cls.body_names.add(name)
        else:
            self._function_stack[-1].assigned.add(name)

    def visit_Global(self, node: cst.Global) -> None:
        self._function_stack[-1].declared_global.update(n.name.value for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self._function_stack[-1].declared_nonlocal.update(n.name.value for n in node.names)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        for name in target_names(node.target):
            self._bind(name)
        target, func = node.target, self._function_stack[-1]
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and func.cls is not None
            and target.value.value == func.self_name
        ):
            func.cls.instance_names.add(target.attr.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        func = self._function_stack[-1]
        if func.is_module and self._class_stack[-1] is None and len(node.targets) == 1:
            target = node.targets[0].target
            source = dotted_name(node.value)
            if isinstance(target, cst.Name) and source is not None:
                self.module_aliases[target.value] = source
                self.alias_choices.setdefault(target.value, set()).add(source)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            for name in target_names(node.target):
                self._bind(name)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        for name in target_names(node.target):
            self._bind(name)

    def visit_For(self, node: cst.For) -> None:
        for name in target_names(node.target):
            self._bind(name)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        # Comprehension variables live in their own scope; not a binding here.
        return None

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            for name in target_names(node.asname.name):
                self._bind(name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self._bind(node.name.name.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        for name in target_names(node.target):
            self._bind(name)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and not (
            isinstance(node.value, cst.Name) and node.value.value == "None"
        ):
            self._function_stack[-1].returns_value = True

    def visit_Yield(self, node: cst.Yield) -> None:
        self._function_stack[-1].returns_value = True

    def visit_Await(self, node: cst.Await) -> None:
        self._function_stack[-1].returns_value = True

    def visit_Import(self, node: cst.Import) -> None:
        scope = self._function_stack[-1]
        for alias in node.names:
            full = _import_module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
                scope.imports[local] = full
            else:
                local = full.split(".", 1)[0]
                scope.imports[local] = local
            scope.modules.add(local)
            self._bind(local)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        scope = self._function_stack[-1]
        module = _import_module_name(node.module) if node.module is not None else ""
        module = "." * len(node.relative) + module
        for alias in node.names:
            imported = _import_module_name(alias.name)
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            sep = "" if module.endswith(".") else "."
            scope.imports[local] = f"{module}{sep}{imported}" if module else imported
            self._bind(local)


@dataclass
class ModuleStructure:
    """Functions, classes and imports of one module."""

    module_scope: FunctionInfo
    functions: list[FunctionInfo]
    classes: dict[str, ClassInfo]
    function_of: dict[cst.FunctionDef, FunctionInfo]
    module_aliases: dict[str, str]
    #: every source a module-level alias is bound to (``ThreadLocal = threading.local``
    #: in a ``try``, ``ThreadLocal = FallbackLocal`` in its ``except``); the last one is
    #: in ``module_aliases``
    alias_choices: dict[str, set[str]] = field(default_factory=dict)
    #: the module's dotted name (``pkg.sub.mod``), when known
    name: str = ""
    by_qualname: dict[str, FunctionInfo] = field(default_factory=dict)
    _subclasses: dict[str, list[ClassInfo]] | None = None

    def __post_init__(self) -> None:
        for func in self.functions:
            twin = self.by_qualname.get(func.qualname)
            if twin is not None:
                twin.variant = func.variant = True
            else:
                self.by_qualname[func.qualname] = func

    def function_named(self, qualname: str) -> FunctionInfo | None:
        """The function or method with this qualified name (``C.m``, ``f.<locals>.g``)."""
        return self.by_qualname.get(qualname)

    def rebinders(self, name: str) -> list[FunctionInfo]:
        """The functions that rebind the module global ``name`` (``global name`` and a
        binding of it)."""
        return [
            func
            for func in self.functions
            if name in func.declared_global and name in func.assigned
        ]

    def qualified_name(self, expr: cst.BaseExpression, scope: FunctionInfo) -> str | None:
        """The imported name ``expr`` refers to in ``scope`` (``t.Lock`` -> ``threading.Lock``).

        Only names that come from an import (or a module-level alias of one) resolve;
        anything else is ``None``: we never guess from spelling.
        """
        dotted = dotted_name(expr)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        resolved = self._resolve_head(head, scope, depth=0)
        if resolved is None:
            return None
        return f"{resolved}.{rest}" if rest else resolved

    def _resolve_head(self, head: str, scope: FunctionInfo, depth: int) -> str | None:
        current: FunctionInfo | None = scope
        while current is not None:
            if head in current.imports:
                return current.imports[head]
            if not current.is_module and current.is_local(head):
                return None
            current = current.parent
        if head in self.module_scope.imports:
            return self.module_scope.imports[head]
        alias = self.module_aliases.get(head)
        if alias is not None and depth < 8:
            alias_head, _, alias_rest = alias.partition(".")
            if alias_head == head:
                return None
            base = self._resolve_head(alias_head, self.module_scope, depth + 1)
            if base is None:
                return None
            return f"{base}.{alias_rest}" if alias_rest else base
        return None

    def class_named(self, name: str, scope: FunctionInfo) -> ClassInfo | None:
        """The module's class that a bare name refers to from ``scope``."""
        current: FunctionInfo | None = scope
        while current is not None:
            prefix = "" if current.is_module else current.qualname + ".<locals>."
            found = self.classes.get(prefix + name)
            if found is not None:
                return found
            current = current.parent
        return None

    def class_family(self, cls: ClassInfo) -> set[str]:
        """``cls``, its in-module bases and subclasses: one object's methods."""
        names = {base.qualname for base in self.class_bases(cls)}
        for other in self.classes.values():
            if cls.qualname in {base.qualname for base in self.class_bases(other)}:
                names.add(other.qualname)
        return names

    def class_bases(self, cls: ClassInfo) -> Iterator[ClassInfo]:
        """``cls`` and its bases defined in this module, nearest first."""
        seen: set[str] = set()
        stack = [cls]
        while stack:
            current = stack.pop(0)
            if current.qualname in seen:
                continue
            seen.add(current.qualname)
            yield current
            for base in current.base_names:
                found = self.classes.get(base)
                if found is not None:
                    stack.append(found)

    def is_subclass_of(self, cls: ClassInfo, qualified: str) -> bool:
        """Does ``cls`` derive (within this module's view) from the imported ``qualified``?
        A base named by a module-level alias counts when any of its bindings is that
        import (``ThreadLocal = threading.local``, with a fallback class in ``except``)."""
        for current in self.class_bases(cls):
            for base in current.node.bases:
                if base.keyword is not None:
                    continue
                if self.qualified_name(base.value, self.module_scope) == qualified:
                    return True
                if isinstance(base.value, cst.Name) and any(
                    self._source_resolves(source, qualified)
                    for source in self.alias_choices.get(base.value.value, ())
                ):
                    return True
        return False

    def _source_resolves(self, source: str, qualified: str) -> bool:
        """Does the dotted ``source`` of an alias name the imported ``qualified``?"""
        head, _, rest = source.partition(".")
        if head in self.alias_choices:
            return False  # an alias of an alias: the plain resolution covers it
        resolved = self._resolve_head(head, self.module_scope, depth=1)
        if resolved is None:
            return False
        return (f"{resolved}.{rest}" if rest else resolved) == qualified

    def overrides(self, cls: ClassInfo, name: str) -> list[FunctionInfo]:
        """Methods ``name`` of the module's subclasses of ``cls`` (``self.m()`` may run them)."""
        if self._subclasses is None:  # once per module: linear in the classes
            self._subclasses = {}
            for other in self.classes.values():
                for base in self.class_bases(other):
                    if base is not other:
                        self._subclasses.setdefault(base.qualname, []).append(other)
        return [
            sub.methods[name]
            for sub in self._subclasses.get(cls.qualname, ())
            if name in sub.methods
        ]

    def method(self, cls: ClassInfo, name: str) -> FunctionInfo | None:
        """Method ``name`` of ``cls`` or of its in-module bases."""
        for current in self.class_bases(cls):
            if name in current.methods:
                return current.methods[name]
        return None


def collect_structure(module: cst.Module, name: str = "", package: bool = False) -> ModuleStructure:
    """Build the module's structure in one pass. With the module's dotted ``name``,
    relative imports are made absolute (``from .tasks import f`` -> ``pkg.tasks.f``)."""
    collector = _Collector(module)
    collector.run(module)
    if name:
        for func in collector.functions:
            for local, target in func.imports.items():
                func.imports[local] = absolute_import(target, name, package)
    return ModuleStructure(
        collector.module_scope,
        collector.functions,
        collector.classes,
        collector.function_of,
        collector.module_aliases,
        collector.alias_choices,
        name,
    )


def local_values(name: str, func: FunctionInfo) -> list[cst.BaseExpression] | None:
    """Every value ``name`` is bound to in ``func``; ``None`` when some binding is not a
    plain ``name = value`` (a loop target, an augmented store, an unpacking)."""
    values, other = func.plain_bindings
    return None if name in other else list(values.get(name, ()))


def parameter_annotation(name: str, func: FunctionInfo) -> cst.BaseExpression | None:
    """The annotation of ``func``'s parameter ``name`` (``List[bool]``), if it has one."""
    if not isinstance(func.node, cst.FunctionDef):
        return None
    params = func.node.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name and param.annotation is not None:
            return param.annotation.annotation
    return None


def reached_from(
    callees: Mapping[FunctionInfo, Iterable[FunctionInfo]], roots: Iterable[FunctionInfo]
) -> set[FunctionInfo]:
    """``roots`` and every function they call through ``callees`` (a module's call
    graph), directly or not."""
    reached: set[FunctionInfo] = set()
    stack = list(roots)
    while stack:
        func = stack.pop()
        if func not in reached:
            reached.add(func)
            stack.extend(callees.get(func, ()))
    return reached
