"""An ``assert X is not None`` written for the type checker, on a path the module guards.

``realistic_raise`` counts an ``assert`` as a failure: it raises ``AssertionError`` when
its test is false. Reviewers of real code judge one shape otherwise (harbormaster-mcp's
chunk dispatcher, ninety-fifth set: ``assert self.chunk_handler is not None  # narrowed
by caller`` before a ``try`` that catches, logs and reports everything): the assert only
narrows an optional attribute for the type checker, and every way into the function
passes a test of that same state first. Here that is proved lexically:

- the assert is ``assert X is not None`` (a message may follow), X an attribute of
  ``self``;
- no code of the module binds or deletes an attribute of that name, on any object but
  the ``self`` of an unrelated class (not a base, a subclass or a mixin combined with
  it), except the code building the object on ``self`` (``__init__``, ``__post_init__``,
  ``__new__``, not the functions nested in them); no property or method has that name;
  ``setattr``, ``delattr``, ``__setattr__`` and ``__dict__`` appear nowhere; no
  ``__init__`` is called outside that code: no setter, no ``close()`` or callback that
  clears it while a queued task is about to assert it;
- the method is private (a leading ``_``, not a dunder: users do not call it), not
  decorated, named in the class body only as ``self.<name>`` (no dispatch table, no
  ``getattr`` of a computed name anywhere in the module), and every such reference stands
  under ``if X is not None:`` (or ``if X:``, also as one conjunct of an ``and``) or after an
  ``if X is None: return`` (or ``raise``, or ``if not X:``) earlier in a block around it, or
  in a private method whose own references are all so guarded (three levels: harbormaster's
  worker loop, started only when the handler is set), and there is at least one.

A reference from another module, ``getattr`` or a subclass defined elsewhere is not seen:
each would be a way in that the module does not guard; nor is a store of the attribute
by another module.
"""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis
from tsafe_lint.analysis.none_tests import none_subject
from tsafe_lint.analysis.scopes import ClassInfo, dotted_name, ends_by_leaving
from tsafe_lint.analysis.tree import OWN_SCOPE, stored_targets, walk

#: How many callers up a guard is looked for.
_DEPTH = 3
#: Names that store attributes dynamically: any of them in the module ends the proof.
_DYNAMIC_STORES = frozenset({"setattr", "delattr", "__setattr__", "__delattr__", "__dict__"})
#: The functions that build the object: ``None`` stored there is the initial state.
_BUILDERS = frozenset({"__init__", "__post_init__", "__new__"})


def narrows_ensured_state(node: cst.Assert, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is ``node`` an ``assert X is not None`` whose state only set-up code clears, in a
    function every way into which tests X first? (See the module docstring.)"""
    subject = none_subject(node.test)
    if subject is None or not subject[1]:
        return False
    spelled = dotted_name(subject[0])
    if spelled is None:
        return False
    head, _, rest = spelled.partition(".")
    if func.self_name is None or head != func.self_name or not rest or "." in rest:
        return False
    if any(cls is func.cls for cls in (f.cls for f in analysis.reinitialisers)):
        return False  # ``self.__init__()`` run again stores the initial ``None`` anew
    guard = _Guard(analysis, func.cls, rest)
    return not guard.bound_elsewhere() and guard.entered_guarded(func, 0)


class _Guard:
    """The state X of one assert: ``self.<attr>`` of a class."""

    def __init__(self, analysis: ModuleAnalysis, cls: ClassInfo | None, attr: str) -> None:
        self.analysis = analysis
        self.cls = cls
        self.attr = attr

    def spelling(self, func: FunctionInfo) -> str | None:
        """How a method spells X (``None`` outside the class's methods)."""
        if func.cls is not self.cls or func.self_name is None:
            return None
        return f"{func.self_name}.{self.attr}"

    def bound_elsewhere(self) -> bool:
        """Can code of the module bind X other than while building the object: an
        attribute of X's name bound or deleted on any object (but the ``self`` of an
        unrelated class's methods; in the building code, on ``self`` only), X a property
        or method of the module (a getter over a field ``close()`` clears), ``setattr``,
        ``delattr``, ``__setattr__`` or ``__dict__`` named anywhere, or an ``__init__``
        run again outside the building code?"""
        for node in walk(self.analysis.module):
            if isinstance(node, cst.Name) and node.value in _DYNAMIC_STORES:
                return True
            if isinstance(node, cst.Attribute) and node.attr.value in _DYNAMIC_STORES:
                return True
            if isinstance(node, cst.FunctionDef) and node.name.value == self.attr:
                return True  # ``@property def handler(self): return self._handler``
        for func in self.analysis.structure.functions:
            building = func.cls is self.cls and func.name in _BUILDERS
            foreign = self._foreign_self(func)
            for node in walk(func.node, OWN_SCOPE):
                if (
                    not building
                    and isinstance(node, cst.Call)
                    and isinstance(node.func, cst.Attribute)
                    and node.func.attr.value == "__init__"
                ):
                    return True  # ``Relay.__init__(obj)``, a subclass's ``self.__init__()``
                for target in stored_targets(node):
                    if not (isinstance(target, cst.Attribute) and target.attr.value == self.attr):
                        continue
                    named = target.value.value if isinstance(target.value, cst.Name) else None
                    if building and named == func.self_name:
                        continue
                    if named is None or named != foreign:
                        return True
        return False

    def _foreign_self(self, func: FunctionInfo) -> str | None:
        """The ``self`` of a method of a class unrelated to X's (nor a base nor a
        subclass of it), or of a function nested in one: its attributes are another
        object's."""
        method: FunctionInfo | None = func
        while method is not None and method.self_name is None:
            method = method.parent
        if method is None or method.cls is None or self._related(method.cls):
            return None
        return method.self_name

    def _related(self, cls: ClassInfo) -> bool:
        """Is ``cls`` X's class, a base or a subclass of it, or a class combined with it
        in a subclass of the module (a mixin)?"""
        return self.cls is None or cls.qualname in self._related_classes

    @cached_property
    def _related_classes(self) -> frozenset[str]:
        """The qualified names of X's class, its bases, its subclasses and the classes
        a subclass of the module combines with it: found once, asked per function."""
        own = self.cls
        if own is None:
            return frozenset()
        structure = self.analysis.structure
        related = {base.qualname for base in structure.class_bases(own)}
        for other in structure.classes.values():
            bases = list(structure.class_bases(other))
            if own in bases:
                related |= {base.qualname for base in bases}
        return frozenset(related)

    def entered_guarded(self, func: FunctionInfo, depth: int) -> bool:
        """Is every reference to ``func`` in the module guarded by a test of X (itself,
        or through its caller's references, ``_DEPTH`` levels up), with at least one?"""
        if depth > _DEPTH or func.is_module:
            return False
        if func.parent is not None and not func.parent.is_module:
            return False  # a nested function: its closure may be handed anywhere
        if not func.name.startswith("_") or func.name.endswith("__"):
            return False  # public, or a hook: its users call it without the test
        if isinstance(func.node, cst.FunctionDef) and func.node.decorators:
            return False  # a decorator may hand the function anywhere
        references = self._references(func)
        if not references:
            return False
        for caller, reference in references:
            spelled = self.spelling(caller)
            if spelled is not None and self._guarded(reference, caller, spelled):
                continue
            if caller is func or not self.entered_guarded(caller, depth + 1):
                return False
        return True

    def _references(self, func: FunctionInfo) -> list[tuple[FunctionInfo, cst.CSTNode]]:
        """Each function of the module, with a node of it that names ``func``
        (``self.m`` in a method of the class; ``f`` for a module function); empty when
        one names it some other way (``other.m``, ``cls.m``: a way in not followed)."""
        found: list[tuple[FunctionInfo, cst.CSTNode]] = []
        if func.cls is None:
            return found
        definition = func.node.name if isinstance(func.node, cst.FunctionDef) else None
        for node in walk(func.cls.node):
            if (
                isinstance(node, cst.Name)
                and node.value == func.name
                and node is not definition
                and not isinstance(self.analysis.parent_of(node), cst.Attribute)
            ):
                return []  # ``HANDLERS = {"data": _on_data}`` in the class body
        for other in self.analysis.structure.functions:
            foreign = self._foreign_self(other)
            for node in walk(other.node, OWN_SCOPE):
                if (
                    isinstance(node, cst.Call)
                    and isinstance(node.func, cst.Name)
                    and node.func.value == "getattr"
                    and len(node.args) > 1
                    and not isinstance(node.args[1].value, cst.SimpleString)
                ):
                    return []  # ``getattr(self, "_on_" + kind)``: any method may be handed on
                if isinstance(node, cst.Attribute) and node.attr.value == func.name:
                    named = node.value.value if isinstance(node.value, cst.Name) else None
                    if named is not None and named == foreign:
                        continue  # another class's method of the same name
                    if not (other.cls is func.cls and named == other.self_name):
                        return []
                    found.append((other, node))
        return found

    def _guarded(self, reference: cst.CSTNode, func: FunctionInfo, spelled: str) -> bool:
        """Does ``reference`` stand in the body of ``if X is not None:`` (``if X:``), or
        after ``if X is None: return`` (``if not X:``) in a block around it?"""
        parent_of = self.analysis.parent_of
        node: cst.CSTNode | None = reference
        while node is not None and node is not func.node:
            parent = parent_of(node)
            if (
                isinstance(parent, cst.If)
                and node is parent.body
                and _tests(parent.test, spelled, True)
            ):
                return True
            if isinstance(parent, (cst.IndentedBlock, cst.Module)):
                for statement in parent.body:
                    if statement is node:
                        break
                    if (
                        isinstance(statement, cst.If)
                        and statement.orelse is None
                        and _tests(statement.test, spelled, False)
                        and ends_by_leaving(statement.body, (cst.Return, cst.Raise))
                    ):
                        return True
            node = parent
        return False


def _tests(test: cst.BaseExpression, spelled: str, set_when_true: bool) -> bool:
    """Is X known set when ``test`` is ``set_when_true``: ``X is not None`` or ``X`` (one
    conjunct of an ``and``, for a true test), ``X is None`` or ``not X`` for a false one
    (the early exit)?"""
    if set_when_true and isinstance(test, cst.BooleanOperation):
        if isinstance(test.operator, cst.And):
            return _tests(test.left, spelled, True) or _tests(test.right, spelled, True)
        return False
    if not set_when_true and isinstance(test, cst.BooleanOperation):
        if isinstance(test.operator, cst.Or):
            return _tests(test.left, spelled, False) or _tests(test.right, spelled, False)
        return False
    subject = none_subject(test)
    if subject is not None:
        return dotted_name(subject[0]) == spelled and subject[1] is set_when_true
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return not set_when_true and dotted_name(test.expression) == spelled
    return set_when_true and dotted_name(test) == spelled
