"""Which modules a file can name: the edges of the project's import graph.

Everything one module learns from another in the join (a thread entry point, a lock's
kind, a call into a function that takes a lock, the same lock taken in the other order)
comes from resolving a qualified name, and every qualified name the analysis resolves
starts with an import: ``from work import book``, ``import pkg.mod``, ``pkg.mod.book``
through an imported ``pkg``, a module-level alias of one (``scopes.py``). This scan lists
what those names can be, with CPython's ``ast``, every scope at once and no shadowing
rules, so it is a superset of what the analysis resolves; ``related.py`` keeps the
project modules among them.

Attribute chains (``pkg.sub.mod.f`` through ``import pkg``) can only reach a module when
an imported name is a package, so the expression walk, the costly part, is done only
for files that import one (``chains`` is ``None`` otherwise).
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tsafe_lint.module_names import absolute_import

#: How deep module-level aliases (``X = pkg.mod``; ``Y = X.sub``) are followed: the
#: analysis follows eight (``scopes.py``); following more only adds names.
ALIAS_DEPTH = 10


@dataclass(frozen=True)
class Links:
    """What one file imports (absolute targets), its aliases (``X = a.b``) and, when
    collected, its attribute chains whose head is an imported name or an alias."""

    targets: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]
    chains: tuple[str, ...] | None

    def as_json(self) -> dict[str, Any]:
        chains = None if self.chains is None else list(self.chains)
        return {
            "targets": list(self.targets),
            "aliases": [list(a) for a in self.aliases],
            "chains": chains,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Links:
        chains = data["chains"]
        return cls(
            tuple(data["targets"]),
            tuple((a[0], a[1]) for a in data["aliases"]),
            None if chains is None else tuple(chains),
        )

    def names(self) -> set[str]:
        """Every dotted name the file can resolve to, with every prefix of each."""
        imports: dict[str, set[str]] = {}
        for local, target in self._locals():
            imports.setdefault(local, set()).add(target)
        aliases: dict[str, set[str]] = {}
        for name, value in self.aliases:
            aliases.setdefault(name, set()).add(value)
        full = {target for _, target in self._locals()}
        for chain in {*(self.chains or ()), *aliases}:
            full |= _expand(chain, imports, aliases, ALIAS_DEPTH)
        linked: set[str] = set()
        for name in full:
            parts = name.split(".")
            linked.update(".".join(parts[:cut]) for cut in range(1, len(parts) + 1))
        return linked

    def _locals(self) -> Iterator[tuple[str, str]]:
        for target in self.targets:
            local, _, full = target.partition("=")
            yield local, full


def is_scan_json(data: object) -> bool:
    """The shape of a cached scan: ``{"links": Links or None}`` (else a cache miss)."""
    if not isinstance(data, dict) or set(data) != {"links"}:
        return False
    return data["links"] is None or _is_links_json(data["links"])


def _is_links_json(data: object) -> bool:
    if not isinstance(data, dict) or set(data) != {"targets", "aliases", "chains"}:
        return False
    chains = data["chains"]
    return (
        isinstance(data["targets"], list)
        and all(isinstance(t, str) for t in data["targets"])
        and isinstance(data["aliases"], list)
        and all(
            isinstance(a, list) and len(a) == 2 and all(isinstance(x, str) for x in a)
            for a in data["aliases"]
        )
        and (chains is None or isinstance(chains, list))
        and all(isinstance(c, str) for c in chains or ())
    )


class Unscannable(Exception):
    """CPython ran out of stack or memory on the file here; the analysis, with a deeper
    stack, may still read it: its links are unknown."""


def scan(
    source: bytes, module: str, package: bool, packages: frozenset[str] | None
) -> Links | None:
    """The links of one file; ``None`` when it is not valid Python (the analysis makes it
    a TS001 with no summary: it links nothing). Attribute chains are collected when an
    import target is in ``packages`` (``None``: always)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
        return _links(tree, module, package, packages)
    except (SyntaxError, ValueError):
        return None
    except (RecursionError, MemoryError) as exc:
        raise Unscannable from exc


def _links(tree: ast.Module, module: str, package: bool, packages: frozenset[str] | None) -> Links:
    targets: set[str] = set()  # "local=absolute.target"
    aliases: set[tuple[str, str]] = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".", 1)[0]
                full = alias.name if alias.asname else local
                targets.add(f"{local}={full}")
                targets.add(f"={alias.name}")  # every prefix of the module imported
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                sep = "" if base.endswith(".") or not base else "."
                full = absolute_import(f"{base}{sep}{alias.name}", module, package)
                targets.add(f"{alias.asname or alias.name}={full}")
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            name, value = node.targets[0], _dotted(node.value)
            if isinstance(name, ast.Name) and value is not None:
                aliases.add((name.id, value))
    heads = {t.partition("=")[0] for t in targets} | {a for a, _ in aliases}
    chains: tuple[str, ...] | None = None
    if packages is None or imports_package(targets, packages):
        found = set()
        for expr in ast.walk(tree):
            if isinstance(expr, ast.Attribute):
                dotted = _dotted(expr)
                if dotted is not None and dotted.partition(".")[0] in heads:
                    found.add(dotted)
        chains = tuple(sorted(found))
    return Links(tuple(sorted(targets)), tuple(sorted(aliases)), chains)


def imports_package(targets: Iterable[str], packages: frozenset[str]) -> bool:
    """Does the file import a package (so that its attribute chains can name modules)?"""
    return any(target.partition("=")[2] in packages for target in targets)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included (imports and aliases are statements)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                stack.extend(s for s in inner if isinstance(s, ast.stmt))
        for handler in getattr(node, "handlers", ()):
            stack.extend(handler.body)
        for case in getattr(node, "cases", ()):
            stack.extend(case.body)


def _expand(
    chain: str, imports: dict[str, set[str]], aliases: dict[str, set[str]], depth: int
) -> set[str]:
    """What ``head.rest`` can mean with ``head`` an imported name or an alias."""
    head, _, rest = chain.partition(".")
    bases = set(imports.get(head, ()))
    if depth > 0:
        for value in aliases.get(head, ()):
            if value.partition(".")[0] != head:
                bases |= _expand(value, imports, aliases, depth - 1)
    return {f"{base}.{rest}" if rest else base for base in bases}


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


__all__ = ["Links", "Unscannable", "imports_package", "is_scan_json", "scan"]
