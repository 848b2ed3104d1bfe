"""The project's own classes named like threading's primitives: ``Lock``, ``Event``, ...

A call is typed by its final name when nothing better is known (``ctx.Lock()``,
``compat.RLock()``: ``kinds.kind_of_final_name``). A class the project defines itself is
better known: runtime-threading's ``Lock`` wraps an ``RLock`` unless told otherwise, so
``self._lock = Lock()`` in another of its modules holds a reentrant lock, and an
``Event`` dataclass of an event bus is no ``threading.Event`` at all. The class's own
body says which (``made_kind``): the primitives it makes or subclasses. Each module's
summary lists its classes so named (``FileSummary.primitive_classes``) and the project
join hands the modules that import them the kinds (``ProjectContext.made_kinds``).
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.kinds import FINAL_NAMES, Kind, kind_of_factory
from tsafe_lint.analysis.scopes import ClassInfo, ModuleStructure
from tsafe_lint.analysis.tree import walk

#: The kinds whose objects a class named ``Lock`` or ``RLock`` may wrap and still lock.
_MUTEX_NAMES = frozenset({Kind.LOCK, Kind.RLOCK})


def primitive_class_kinds(structure: ModuleStructure) -> dict[str, str]:
    """The module's top-level classes named like a threading primitive, each with the
    kind of its objects (``made_kind``; ``""`` for one that makes no primitive)."""
    kinds: dict[str, str] = {}
    for cls in structure.classes.values():
        named = FINAL_NAMES.get(cls.qualname)
        if named is not None:
            made = made_kind(named, _made_kinds(cls, structure))
            kinds[cls.qualname] = made.value if made is not None else ""
    return kinds


def made_kind(named: Kind, made: set[Kind]) -> Kind | None:
    """The kind of an object of a class named like the primitive ``named`` whose body
    makes or subclasses the primitives ``made``: a ``Lock`` that makes an ``RLock`` (in
    any branch) may be reentrant; a class that makes none is no primitive."""
    if not made:
        return None
    if named in _MUTEX_NAMES and Kind.RLOCK in made:
        return Kind.RLOCK
    return named


def _made_kinds(cls: ClassInfo, structure: ModuleStructure) -> set[Kind]:
    """The primitives the class, or a base of it in the module, makes or subclasses."""
    scope = structure.module_scope
    made: set[Kind] = set()
    for current in structure.class_bases(cls):
        for base in current.node.bases:
            kind = kind_of_factory(structure.qualified_name(base.value, scope))
            if kind is not None:
                made.add(kind)
        for node in walk(current.node.body):
            if isinstance(node, cst.Call):
                kind = kind_of_factory(structure.qualified_name(node.func, scope))
                if kind is not None:
                    made.add(kind)
    return made
