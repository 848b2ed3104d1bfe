"""Objects of the project's own classes whose iteration hands out a copy.

``rooms = ThreadSafeDict()`` binds an object whose ``items()`` is whatever the project
wrote: drevoid's returns a list copied under the object's own lock, so another thread
adding keys cannot change the size of what the loop walks. A wrapper whose ``__iter__``
returns ``iter(self._store)`` (pymavswarm's ``NotifierDict``) still walks a dict, and a
``dict`` subclass keeps the dict's own iteration. For a class of the module the class's
methods say which; for one of another module of the package, the project join does
(``ProjectContext.copying_classes``, from the summaries' ``copying_classes``). A base
class may say it by the annotations of its stubs (fluksio's ``StateBackend``, whose
``keys(self) -> list[str]`` every backend fills in), and an attribute annotated with
such a class (``self._state: StateBackend = ...``) holds one, unless the code binds it to
something else it builds (``DictState()``, ``{}``).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis.names import looks_like_class
from tsafe_lint.analysis.scopes import (
    ClassInfo,
    FunctionInfo,
    ModuleStructure,
    block,
    final_name,
    is_stub_statement,
)
from tsafe_lint.analysis.tree import NOT_RUN, walk

#: Bases that make a class a builtin dict or set, with the builtin's own iteration.
BUILTIN_CONTAINERS = frozenset(
    {"dict", "set", "defaultdict", "OrderedDict", "Counter", "UserDict", "frozenset"}
)
#: The methods a loop over the object, or over its keys, values or items, calls.
ITERATION = ("__iter__", "keys", "values", "items")
#: Calls that build a new container from what they are given: a copy.
_COPIES = frozenset({"list", "tuple", "sorted", "dict", "set", "frozenset"})
#: Bases that only mark an interface, whatever module names them.
_INTERFACE_BASES = frozenset({"ABC", "object", "Protocol"})
#: Annotations of a returned list or tuple, by their final name.
_SEQUENCES = frozenset({"list", "List", "tuple", "Tuple"})


def own_class_instance(
    value: cst.BaseExpression,
    func: FunctionInfo,
    structure: ModuleStructure,
    module: str,
    copying: tuple[str, ...] = (),
) -> bool:
    """Does ``value`` construct an object of a class of this project whose iteration
    hands out a copy: a class of the module (``copies_on_iteration``), or a capitalised
    name imported from the module's own top-level package that the project join knows as
    one (``copying``)?"""
    if not isinstance(value, cst.Call):
        return False
    if isinstance(value.func, cst.Name):
        cls = structure.class_named(value.func.value, func)
        if cls is not None:
            return copies_on_iteration(cls, structure)
    qualified = _package_name(value.func, func, structure, module)
    return qualified is not None and qualified in copying


def own_class_annotation(
    annotation: cst.BaseExpression,
    func: FunctionInfo,
    structure: ModuleStructure,
    module: str,
    copying: tuple[str, ...] = (),
) -> bool:
    """Does the annotation (``Optional`` or ``| None`` aside) name a class of this project
    whose iteration hands out a copy, as ``own_class_instance`` asks of a construction
    (``self._state: StateBackend = state if state is not None else MemoryState()``)?"""
    named = annotated_class(annotation)
    if named is None:
        return False
    if isinstance(named, cst.Name):
        cls = structure.class_named(named.value, func)
        if cls is not None:
            return copies_on_iteration(cls, structure)
    qualified = _package_name(named, func, structure, module)
    return qualified is not None and qualified in copying


def annotated_class(annotation: cst.BaseExpression) -> cst.Name | cst.Attribute | None:
    """The class an annotation names: ``StateBackend``, ``state.StateBackend``, the same
    in ``Optional[...]`` or ``... | None``; None for anything else."""
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        sides = [annotation.left, annotation.right]
        named = [
            side for side in sides if not (isinstance(side, cst.Name) and side.value == "None")
        ]
        return annotated_class(named[0]) if len(named) == 1 else None
    if (
        isinstance(annotation, cst.Subscript)
        and final_name(annotation.value) == "Optional"
        and len(annotation.slice) == 1
        and isinstance(annotation.slice[0].slice, cst.Index)
    ):
        return annotated_class(annotation.slice[0].slice.value)
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        return annotation
    return None


def copies_on_iteration(cls: ClassInfo, structure: ModuleStructure) -> bool:
    """Does every iteration method the class (or a base in the module) defines return a
    copy (``return list(self._dict.items())``, ``iter(list(self._d))``, ``self._d.copy()``,
    ``iter(self.keys())`` of such a ``keys``), at least one of them, and no base of it is a
    builtin dict or set?"""
    bases = list(structure.class_bases(cls))
    if any(base.rsplit(".", 1)[-1] in BUILTIN_CONTAINERS for c in bases for base in c.base_names):
        return False
    methods: dict[str, cst.FunctionDef] = {}
    for name in ITERATION:
        method = structure.method(cls, name)
        if method is not None and isinstance(method.node, cst.FunctionDef):
            methods[name] = method.node
    if any(_stub(node) for node in methods.values()) and not _bases_known(bases, structure):
        return False  # a promise of subclasses, on a base of another module (``dict``?)
    return bool(methods) and all(_returns_copies(node, methods, ()) for node in methods.values())


def _stub(node: cst.FunctionDef) -> bool:
    return all(is_stub_statement(statement) for statement in block(node.body))


def _bases_known(bases: list[ClassInfo], structure: ModuleStructure) -> bool:
    """Is every base of the classes a class of the module or a plain marker of an
    interface (``ABC``, ``object``, ``Protocol``)?"""
    return all(
        base in structure.classes or base.rsplit(".", 1)[-1] in _INTERFACE_BASES
        for cls in bases
        for base in cls.base_names
    )


def _returns_copies(
    node: cst.FunctionDef, methods: dict[str, cst.FunctionDef], seen: tuple[cst.FunctionDef, ...]
) -> bool:
    """Does every ``return`` of the method give a copy? A stub that subclasses fill in
    (``pass``, ``...``, ``raise NotImplementedError``) counts when its annotation promises
    a list or a tuple (``def keys(self) -> list[str]: ...``: fluksio's state backends,
    ninety-fourth set): a loop over a list or tuple never sees a dict change size."""
    if node in seen:
        return False
    if _stub(node):
        return node.returns is not None and _promises_sequence(node.returns.annotation)
    returns = []
    for inner in walk(node.body, NOT_RUN):
        if isinstance(inner, (cst.Yield, cst.Await)):
            return False  # a generator walks the live container as it goes
        if isinstance(inner, cst.Return):
            returns.append(inner.value)
    return bool(returns) and all(
        value is not None and _copy(value, methods, (*seen, node)) for value in returns
    )


def _promises_sequence(annotation: cst.BaseExpression) -> bool:
    """``list[str]``, ``List[str]``, ``tuple[int, ...]``, ``Tuple``."""
    if isinstance(annotation, cst.Subscript):
        annotation = annotation.value
    return final_name(annotation) in _SEQUENCES


def _copy(
    value: cst.BaseExpression,
    methods: dict[str, cst.FunctionDef],
    seen: tuple[cst.FunctionDef, ...],
) -> bool:
    if isinstance(value, (cst.List, cst.Tuple, cst.ListComp, cst.SetComp, cst.DictComp)):
        return True
    if not isinstance(value, cst.Call):
        return False
    callee = value.func
    if isinstance(callee, cst.Name):
        if callee.value in _COPIES:
            return True
        if callee.value == "iter" and len(value.args) == 1:
            return _copy(value.args[0].value, methods, seen)  # ``iter(list(self._d))``
        return False
    if not isinstance(callee, cst.Attribute) or value.args:
        return False
    if callee.attr.value == "copy":
        return True
    own = methods.get(callee.attr.value)
    if own is not None and isinstance(callee.value, cst.Name) and callee.value.value == "self":
        return _returns_copies(own, methods, seen)  # ``iter(self.keys())``
    return False


def _package_name(
    callee: cst.BaseExpression, func: FunctionInfo, structure: ModuleStructure, module: str
) -> str | None:
    """The qualified name of a capitalised callable imported from the module's own
    top-level package (``drevoid.core.protocol.ThreadSafeDict``)."""
    qualified = structure.qualified_name(callee, func)
    if qualified is None or "." not in qualified or not module:
        return None
    if not looks_like_class(qualified.rsplit(".", 1)[-1]):
        return None  # ``setting.load_d_map()``: a function, whatever it returns
    if qualified.partition(".")[0] != module.partition(".")[0]:
        return None
    return qualified


def bound_package_calls(module: cst.Module, structure: ModuleStructure, name: str) -> list[str]:
    """The capitalised names of the module's own package, defined in other modules, whose
    calls the module binds to a name or an attribute (``rooms = ThreadSafeDict()``,
    ``self.d = Registry()``, ``self.s = s or MemoryState()``), or that annotate such a
    binding (``self._state: StateBackend = ...``): the classes the project join is asked
    about, whether they copy on iteration and which primitive they make (``made_kinds``)."""
    found: set[str] = set()
    scope = structure.module_scope
    for node in walk(module):
        named: list[cst.BaseExpression | None] = []
        if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
            named.extend(
                value.func for value in alternatives(node.value) if isinstance(value, cst.Call)
            )
        if isinstance(node, cst.AnnAssign):
            named.append(annotated_class(node.annotation.annotation))
        for callee in named:
            qualified = _package_name(callee, scope, structure, name) if callee else None
            if qualified is not None:
                found.add(qualified)
    return sorted(found)


def alternatives(value: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The values ``value`` may be: both branches of ``a if c else b``, each operand of
    ``a or b`` (and of ``a and b``), or itself."""
    if isinstance(value, cst.IfExp):
        yield from alternatives(value.body)
        yield from alternatives(value.orelse)
    elif isinstance(value, cst.BooleanOperation):
        yield from alternatives(value.left)
        yield from alternatives(value.right)
    else:
        yield value


def module_level_values(module: cst.Module, name: str) -> Iterator[cst.BaseExpression]:
    """The values the module's own code binds to the global ``name`` (``name = value``
    or ``name: T = value``, under an ``if`` or ``try`` too), outside any function."""
    for node in walk(module, NOT_RUN):
        if isinstance(node, cst.Assign):
            targets = [target.target for target in node.targets]
        elif isinstance(node, cst.AnnAssign):
            targets = [node.target]
        else:
            continue
        if node.value is not None and any(_names(target, name) for target in targets):
            yield node.value


def _names(target: cst.BaseExpression, name: str) -> bool:
    return isinstance(target, cst.Name) and target.value == name
