"""Which module a file is, so that imports between the linted files can be followed."""

from __future__ import annotations

import ast
import os


def module_name(path: str) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod`` (walking up through ``__init__.py`` packages);
    a file outside any package is a top-level module named after itself."""
    directory, filename = os.path.split(os.path.abspath(path))
    stem = filename[:-3] if filename.endswith(".py") else filename
    parts = [] if stem == "__init__" else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
        if not package:
            break
    return ".".join(parts) or stem


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
