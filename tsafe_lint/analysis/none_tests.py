"""Tests that look at shared state only to ask whether it is ``None``.

``if self._relative and self._x is not None: self._x += n`` reads ``_x`` only as
``_x is not None``, and the body runs only when that holds. Another thread can make
the test false there only by storing ``None``; ``none_stores.py`` says whether any
write can. This module records, per key, how the test reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis.symbols import SymbolKey


@dataclass(frozen=True)
class NoneTest:
    """How a test reads a key that it reads only in ``None`` comparisons."""

    #: it looks at an item of the state (``self.d[k]``, ``self.d.get(k)``, a local copy
    #: of one) rather than at the state itself
    element: bool
    #: the outcomes of the test (True: passed, False: failed) after which the state is
    #: known not to be ``None``
    not_none_when: frozenset[bool]


Reads = Callable[[cst.CSTNode], set[SymbolKey]]
Derived = Callable[[str], frozenset[SymbolKey]]
Key = Callable[[cst.BaseExpression], "SymbolKey | None"]


def none_tests(
    test: cst.BaseExpression, reads: Reads, derived: Derived, key_of: Key
) -> tuple[tuple[SymbolKey, NoneTest], ...]:
    """The keys ``test`` reads only as the subject of ``is None``/``is not None`` (key ->
    how), given the walk's readers: ``reads`` (every key an expression reads),
    ``derived`` (the keys a local holds a value of) and ``key_of`` (the key an
    expression denotes)."""
    subjects: dict[SymbolKey, bool] = {}
    other: set[SymbolKey] = set()
    outcomes: dict[SymbolKey, set[bool]] = {}
    for atom, facts in _atoms(test):
        subject = none_subject(atom)
        if subject is None:
            other |= reads(atom)
            continue
        operand, is_not = subject
        found = _subject_keys(operand, reads, derived, key_of, other)
        for key, element in found:
            subjects[key] = subjects.get(key, False) or element
        # the outcomes at which ``X is not None`` is known true (``X is None`` false)
        known = {outcome for outcome, value in facts if value is is_not}
        for key, _ in found:
            outcomes.setdefault(key, set()).update(known)
    return tuple(
        (key, NoneTest(element, frozenset(outcomes.get(key, ()))))
        for key, element in sorted(subjects.items())
        if key not in other
    )


def _atoms(
    test: cst.BaseExpression,
) -> Iterator[tuple[cst.BaseExpression, frozenset[tuple[bool, bool]]]]:
    """The operands of ``and``/``or``/``not``, each with what the outcome of ``test``
    tells of it: pairs (outcome, the operand's truth at that outcome)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        for atom, facts in _atoms(test.expression):
            yield atom, frozenset((not outcome, value) for outcome, value in facts)
        return
    if isinstance(test, cst.BooleanOperation):
        # ``A and B`` passed: both hold; ``A or B`` failed: neither holds
        kept = isinstance(test.operator, cst.And)
        for side in (test.left, test.right):
            for atom, facts in _atoms(side):
                yield atom, frozenset(fact for fact in facts if fact[0] is kept)
        return
    yield test, frozenset({(True, True), (False, False)})


def none_subject(atom: cst.BaseExpression) -> tuple[cst.BaseExpression, bool] | None:
    """``X is not None`` -> (X, True); ``X is None`` -> (X, False); else None."""
    if not (isinstance(atom, cst.Comparison) and len(atom.comparisons) == 1):
        return None
    target = atom.comparisons[0]
    if not isinstance(target.operator, (cst.Is, cst.IsNot)):
        return None
    if not (isinstance(target.comparator, cst.Name) and target.comparator.value == "None"):
        return None
    return atom.left, isinstance(target.operator, cst.IsNot)


def _subject_keys(
    operand: cst.BaseExpression,
    reads: Reads,
    derived: Derived,
    key_of: Key,
    other: set[SymbolKey],
) -> list[tuple[SymbolKey, bool]]:
    """The keys whose None-ness ``operand`` shows, each with its ``element`` flag; the
    keys it reads otherwise (an index, an argument) go to ``other``."""
    key = key_of(operand)
    if key is not None:
        return [(key, False)]
    if isinstance(operand, cst.Name):
        return [(held, True) for held in sorted(derived(operand.value))]
    if isinstance(operand, cst.Subscript):
        for element in operand.slice:
            other |= reads(element.slice)
        inner = _subject_keys(operand.value, reads, derived, key_of, other)
        return [(found, True) for found, _ in inner]
    if (
        isinstance(operand, cst.Call)
        and isinstance(operand.func, cst.Attribute)
        and operand.func.attr.value == "get"
    ):
        for arg in operand.args:
            other |= reads(arg.value)
        return [
            (found, True)
            for found, _ in _subject_keys(operand.func.value, reads, derived, key_of, other)
        ]
    other |= reads(operand)
    return []
