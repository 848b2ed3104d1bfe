"""Objects of the project's own classes, whose methods are the project's code.

``rooms = ThreadSafeDict()`` binds an object whose ``items()`` is whatever the project
wrote (drevoid's returns a list copied under the object's own lock), not a dict's view:
what a builtin container does on another thread says nothing about it.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure
from tsafe_lint.analysis.tree import NOT_RUN, walk

#: Bases that make a class a builtin dict or set, with the builtin's own iteration.
BUILTIN_CONTAINERS = frozenset(
    {"dict", "set", "defaultdict", "OrderedDict", "Counter", "UserDict", "frozenset"}
)


def own_class_instance(
    value: cst.BaseExpression, func: FunctionInfo, structure: ModuleStructure, module: str
) -> bool:
    """Does ``value`` construct an object of a class of this project that is not a dict or
    set subclass: a class of the module whose bases (in the module) name no builtin
    container, or a name imported from the module's own top-level package (whose bases
    this module cannot see: a dict subclass there is not told apart)?"""
    if not isinstance(value, cst.Call):
        return False
    if isinstance(value.func, cst.Name):
        cls = structure.class_named(value.func.value, func)
        if cls is not None:
            return not any(
                base.rsplit(".", 1)[-1] in BUILTIN_CONTAINERS
                for known in structure.class_bases(cls)
                for base in known.base_names
            )
    qualified = structure.qualified_name(value.func, func)
    if qualified is None or "." not in qualified or not module:
        return False
    return qualified.partition(".")[0] == module.partition(".")[0]


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
