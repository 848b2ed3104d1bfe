"""Which module a file is, so that imports between the linted files can be followed."""

from __future__ import annotations

import ast
import os


def module_name(path: str, root: str | None = None) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod``, walking up through packages; a file outside
    any package is a top-level module named after itself.

    A directory without ``__init__.py`` is a namespace package (PEP 420) where the layout
    shows it: inside a regular package (``pkg/core/lock.py`` with ``pkg/__init__.py``), or
    between a ``src`` directory of the project ``root`` and the package
    (``src/runtime/threading/core/lock.py`` is ``runtime.threading.core.lock``, as its
    package's own imports name it)."""
    directory, filename = os.path.split(os.path.abspath(path))
    stem = filename[:-3] if filename.endswith(".py") else filename
    parts = [] if stem == "__init__" else [stem]
    while _in_package(directory):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
        if not package:
            break
    if root is not None and parts:
        parts[:0] = _namespaces_below_src(directory, os.path.abspath(root))
    return ".".join(parts) or stem


def _in_package(directory: str) -> bool:
    """Is ``directory`` a package: a regular one, or a namespace inside a regular one?"""
    if os.path.isfile(os.path.join(directory, "__init__.py")):
        return True
    parent, name = os.path.split(directory)
    return name.isidentifier() and os.path.isfile(os.path.join(parent, "__init__.py"))


def _namespaces_below_src(directory: str, root: str) -> list[str]:
    """The directories from a ``src`` directory at or below ``root`` down to
    ``directory``, if every one is a valid package name: namespace packages."""
    names: list[str] = []
    while True:
        parent, name = os.path.split(directory)
        if name == "src":
            inside = os.path.commonpath([root, directory]) == root
            return names if inside else []
        if not name.isidentifier() or parent == directory or directory == root:
            return []
        names.insert(0, name)
        directory = parent


def is_package(path: str) -> bool:
    return os.path.basename(path) == "__init__.py"


def absolute_import(target: str, module: str, package: bool) -> str:
    """Resolve a relative import target (``..tasks.process``) against ``module``."""
    if not target.startswith("."):
        return target
    level = len(target) - len(target.lstrip("."))
    rest = target[level:]
    base = module.split(".") if package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    prefix = ".".join(base)
    if prefix and rest:
        return f"{prefix}.{rest}"
    return prefix or rest


def imported_from(node: ast.ImportFrom, module: str, package: bool) -> list[tuple[str, str]]:
    """(local name, real name) of each name ``from m import x`` binds in ``module`` (``*``
    binds none we can name), relative imports made absolute."""
    base = "." * node.level + (node.module or "")
    sep = "" if base.endswith(".") or not base else "."
    return [
        (alias.asname or alias.name, absolute_import(f"{base}{sep}{alias.name}", module, package))
        for alias in node.names
        if alias.name != "*"
    ]


def import_candidates(
    level: int, source: str | None, names: list[str] | None, module: str, package: bool
) -> list[str]:
    """The modules an import statement in ``module`` may load, absolute: ``import a.b``
    (``names`` None) gives ``a.b``; ``from a import b, c`` gives ``a``, ``a.b`` and
    ``a.c`` (each name may be a submodule: the project join tells which are), relative
    imports resolved against ``module``; ``*`` names nothing more. A relative import
    past the top package (``from . import json`` in a module outside any package) loads
    nothing: it always fails."""
    if level:
        depth = module.count(".") + 1 if package else module.count(".")
        if level > depth:
            return []
    base = absolute_import("." * level + (source or ""), module, package) if level else source
    if names is None:
        return [base] if base else []
    found = [base] if base and source else []
    for name in names:
        if name != "*":
            found.append(f"{base}.{name}" if base else name)
    return found
