"""Augmented assignments that change a container in place: ``self.items += more`` on a
list or a deque extends the one object and stores it back, so two threads doing it at
once lose nothing (collate-data-diff's result deque, fifty-ninth set: judged false).

That holds only while the attribute keeps that one object: every value the module
stores into it must be a new list or deque made in set-up code (``__init__``, the
class body), or a declared field without a value. A reset elsewhere (``self.items =
[]``) can be undone by a ``+=`` that read the old list before it, so it keeps the
finding.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.awaited import assignments_of
from tsafe_lint.analysis.module import ModuleAnalysis
from tsafe_lint.analysis.scopes import FunctionInfo, final_name
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.tree import NOT_RUN, walk

#: calls that make a new sequence ``+=`` extends in place
_SEQUENCE_MAKERS = frozenset({"list", "deque"})
#: class-body declarations of a field (attrs, dataclasses) that store no object
_FIELD_DECLARATIONS = frozenset({"field", "ib", "attrib"})
_SET_UP = frozenset({"__init__", "__post_init__", "__attrs_post_init__"})


def extends_in_place(node: cst.CSTNode, key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Is ``node`` ``<key> += value`` on a list or deque that the module never replaces
    after set-up?"""
    if not (isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign)):
        return False
    made = assignments_of(key, analysis)
    if not made:
        return False
    sequence = False
    for maker, value in made:
        if value is None:
            if not _augments(maker, key, analysis):
                return False  # bound some way we cannot see (unpacking, ``for``)
            continue
        if maker.name in _SET_UP or maker.is_module:
            if _new_sequence(value):
                sequence = True
                continue
            if isinstance(value, cst.Call) and final_name(value.func) in _FIELD_DECLARATIONS:
                if any(
                    arg.keyword is not None and arg.keyword.value in ("default", "factory")
                    for arg in value.args
                ):
                    return False  # its default may be anything
                continue
        return False
    return sequence


def _new_sequence(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.List):
        return True
    return isinstance(value, cst.Call) and final_name(value.func) in _SEQUENCE_MAKERS


def _augments(func: FunctionInfo, key: SymbolKey, analysis: ModuleAnalysis) -> bool:
    """Does ``func`` hold an augmented assignment to ``key`` (the value ``assignments_of``
    cannot show)?"""
    return any(
        isinstance(node, cst.AugAssign) and analysis.symbols.key_of(node.target, func) == key
        for node in walk(func.node, NOT_RUN)
    )
