"""Objects of the project's own classes whose iteration hands out a copy.

``rooms = ThreadSafeDict()`` binds an object whose ``items()`` is whatever the project
wrote: drevoid's returns a list copied under the object's own lock, so another thread
adding keys cannot change the size of what the loop walks. A wrapper whose ``__iter__``
returns ``iter(self._store)`` (pymavswarm's ``NotifierDict``) still walks a dict, and a
``dict`` subclass keeps the dict's own iteration. For a class of the module the class's
methods say which; for one of another module of the package, the project join does
(``ProjectContext.copying_classes``, from the summaries' ``copying_classes``).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis.names import looks_like_class
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure
from tsafe_lint.analysis.tree import NOT_RUN, walk

#: Bases that make a class a builtin dict or set, with the builtin's own iteration.
BUILTIN_CONTAINERS = frozenset(
    {"dict", "set", "defaultdict", "OrderedDict", "Counter", "UserDict", "frozenset"}
)
#: The methods a loop over the object, or over its keys, values or items, calls.
ITERATION = ("__iter__", "keys", "values", "items")
#: Calls that build a new container from what they are given: a copy.
_COPIES = frozenset({"list", "tuple", "sorted", "dict", "set", "frozenset"})


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


def copies_on_iteration(cls: ClassInfo, structure: ModuleStructure) -> bool:
    """Does every iteration method the class (or a base in the module) defines return a
    copy (``return list(self._dict.items())``, ``iter(list(self._d))``, ``self._d.copy()``),
    at least one of them, and no base of it is a builtin dict or set?"""
    bases = list(structure.class_bases(cls))
    if any(base.rsplit(".", 1)[-1] in BUILTIN_CONTAINERS for c in bases for base in c.base_names):
        return False
    methods: list[cst.FunctionDef] = []
    for name in ITERATION:
        method = structure.method(cls, name)
        if method is not None and isinstance(method.node, cst.FunctionDef):
            methods.append(method.node)
    return bool(methods) and all(_returns_copies(node) for node in methods)


def _returns_copies(node: cst.FunctionDef) -> bool:
    returns = []
    for inner in walk(node.body, NOT_RUN):
        if isinstance(inner, (cst.Yield, cst.Await)):
            return False  # a generator walks the live container as it goes
        if isinstance(inner, cst.Return):
            returns.append(inner.value)
    return bool(returns) and all(value is not None and _copy(value) for value in returns)


def _copy(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.List, cst.Tuple, cst.ListComp, cst.SetComp, cst.DictComp)):
        return True
    if not isinstance(value, cst.Call):
        return False
    callee = value.func
    if isinstance(callee, cst.Name):
        if callee.value in _COPIES:
            return True
        if callee.value == "iter" and len(value.args) == 1:
            return _copy(value.args[0].value)  # ``iter(list(self._d))``
        return False
    return isinstance(callee, cst.Attribute) and callee.attr.value == "copy" and not value.args


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
    ``self.d = Registry()``): the classes the project join is asked about."""
    found: set[str] = set()
    scope = structure.module_scope
    for node in walk(module):
        if isinstance(node, (cst.Assign, cst.AnnAssign)) and isinstance(node.value, cst.Call):
            qualified = _package_name(node.value.func, scope, structure, name)
            if qualified is not None:
                found.add(qualified)
    return sorted(found)


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
