"""Locals that hold an object of another module's class: ``latency = Histogram(...)``.

A call ``latency.labels(gen)`` then runs ``Histogram.labels`` of the project module that
defines it, which the project's call graph follows from finalizers (``finalizers.py``).
Only a name bound once in its function, to a call of an imported name, is typed this way.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure
from tsafe_lint.analysis.tree import FastVisitor


class _Bindings(FastVisitor):
    """The names a function binds by plain assignment, and how often."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.values: dict[str, cst.BaseExpression] = {}
        self.count: dict[str, int] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                name = target.target.value
                self.values[name] = node.value
                self.count[name] = self.count.get(name, 0) + 1


class ImportedInstances:
    """Answers "which imported class is this local an instance of?", a function at a time."""

    def __init__(self, structure: ModuleStructure) -> None:
        self.structure = structure
        self._by_function: dict[FunctionInfo, dict[str, str]] = {}

    def class_of(self, name: str, func: FunctionInfo) -> str | None:
        """The qualified name of the imported class whose call ``name`` holds in ``func``
        (looked up in the enclosing functions too, for a closure)."""
        current: FunctionInfo | None = func
        while current is not None and not current.is_module:
            if current.is_local(name):
                return self._instances(current).get(name)
            current = current.parent
        return None

    def _instances(self, func: FunctionInfo) -> dict[str, str]:
        found = self._by_function.get(func)
        if found is None:
            bindings = _Bindings(func.node)
            bindings.run(func.node)
            found = {}
            for name, value in bindings.values.items():
                if bindings.count[name] != 1 or not isinstance(value, cst.Call):
                    continue
                qualified = self.structure.qualified_name(value.func, func)
                if qualified is not None and "." in qualified:
                    found[name] = qualified
            self._by_function[func] = found
        return found
