"""Writes to the object ``__init__`` is still building, which no other thread can reach.

``Resource(...)`` may be called on a worker thread, so its ``__init__`` runs on one; but
the object it initialises is new: until ``__init__`` hands ``self`` out, no other thread
holds a reference, so ``self.data += chunk`` there races with nothing (rns's Resource,
built by a preparing thread for the next segment). ``__init__`` hands ``self`` out when
it passes ``self`` or one of its bound methods anywhere (``Thread(target=self.run)``,
``registry.append(self)``, ``self.start()`` of a ``Thread`` subclass, a closure over
``self``), itself or through a method of the class it calls; then its writes count as
any other. A base class's set-up of the same object (``super().__init__(...)``,
``threading.Thread.__init__(self)``) does not hand it out.

The private helpers ``__init__`` calls on ``self`` before it hands ``self`` out run on
the same new object (``constructor_helpers``), when nothing else calls them and they do
not hand ``self`` out themselves: their reads and writes of its attributes race with
nothing either (pytrain-ogr's cache-sync sidecar, opened by the constructor that a
factory runs on a thread, ninetieth set). A class attribute is every object's, and
stays shared.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.events import Access, CallSite
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable
from tsafe_lint.analysis.tree import walk

#: Methods of ``self`` that hand it to another thread or to the world.
_PUBLISHING_CALLS = frozenset({"start", "run", "register", "subscribe", "connect"})


def constructing(access: Access, structure: ModuleStructure) -> bool:
    """Is ``access`` a write of ``self.attr`` (or ``self.attr[k]``) in ``__init__`` of an
    object that ``__init__`` has not handed out yet: no statement of its body before the
    one that holds the write (nor that one) hands ``self`` out?"""
    func = access.func
    node = func.node
    if func.name != "__init__" or func.cls is None or func.self_name is None:
        return False
    if not isinstance(node, cst.FunctionDef) or not isinstance(node.body, cst.IndentedBlock):
        return False
    if not access.per_instance or not _own_attribute(access.node, func.self_name):
        return False
    return _before_publication(list(node.body.body), access.node, func, structure) is True


def constructor_helpers(
    structure: ModuleStructure,
    symbols: SymbolTable,
    call_sites: list[CallSite],
    excluded: set[FunctionInfo],
    rebuilt: set[ClassInfo],
) -> frozenset[FunctionInfo]:
    """The private methods only ``__init__`` (``__post_init__``, or such a helper) calls,
    on ``self``, before it hands ``self`` out, that hand it out nowhere themselves (nor
    through the methods they call, however deep) and reach no other object of their
    class. ``excluded``: functions other code runs (thread targets, callbacks,
    references); ``rebuilt``: classes whose ``__init__`` runs again on a live object."""
    callers: dict[FunctionInfo, list[CallSite]] = {}
    for site in call_sites:
        callers.setdefault(site.callee, []).append(site)
    publication = _Publication(structure)
    candidates = [
        (helper, sites)
        for helper, sites in callers.items()
        if helper not in excluded
        and _private_method(helper)
        and not publication.method(helper)
        and not _reaches_another(helper, symbols, structure)
    ]
    found: set[FunctionInfo] = set()
    changed = True
    while changed:
        changed = False
        for helper, sites in candidates:
            if helper not in found and all(
                _early_call_on_self(site, found, rebuilt, publication) for site in sites
            ):
                found.add(helper)
                changed = True
    return frozenset(found)


def under_construction(
    key: SymbolKey, func: FunctionInfo, helpers: frozenset[FunctionInfo], structure: ModuleStructure
) -> bool:
    """Is ``key`` an instance attribute of the object ``func``, one of the
    ``constructor_helpers``, is still building?"""
    if func not in helpers or func.cls is None or key[0] != "attr" or len(key) != 3:
        return False
    for cls in structure.class_bases(func.cls):
        if cls.qualname == key[1]:
            return key[2] not in cls.body_names  # a class attribute is every object's
    return False


class _Publication:
    """Does code hand ``self`` out, itself or through the methods of its class it calls
    on ``self``, at any depth (each method's answer computed once)?"""

    def __init__(self, structure: ModuleStructure) -> None:
        self.structure = structure
        self._methods: dict[FunctionInfo, bool] = {}
        self._early: dict[FunctionInfo, set[int]] = {}

    def method(self, func: FunctionInfo) -> bool:
        known = self._methods.get(func)
        if known is None:
            self._methods[func] = False  # recursion guard
            known = self._methods[func] = self.node(func.node, func)
        return known

    def node(self, node: cst.CSTNode, func: FunctionInfo) -> bool:
        if _publishes(node, func, self.structure, depth=1):
            return True
        if func.cls is None:
            return False
        for part in walk(node):
            callee = _self_method(part, func)
            if callee is not None:
                method = self.structure.method(func.cls, callee)
                if method is not None and method is not func and self.method(method):
                    return True
        return False

    def early_calls(self, init: FunctionInfo) -> set[int]:
        """The calls (by ``id``) ``init`` makes before it first hands ``self`` out."""
        known = self._early.get(init)
        if known is None:
            known = self._early[init] = self._early_calls(init)
        return known

    def _early_calls(self, init: FunctionInfo) -> set[int]:
        node = init.node
        if not isinstance(node, cst.FunctionDef) or not isinstance(node.body, cst.IndentedBlock):
            return set()
        found: set[int] = set()
        for statement in node.body.body:
            calls = [part for part in walk(statement) if isinstance(part, cst.Call)]
            if not self.node(statement, init):
                found.update(id(call) for call in calls)
                continue
            # the statement that hands ``self`` out: the calls that come first in it
            found.update(
                id(call)
                for call in calls
                if _before_publication([statement], call, init, self.structure) is True
            )
            break
        return found


def _self_method(node: cst.CSTNode, func: FunctionInfo) -> str | None:
    """``name`` for a call ``self.name(...)``."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and isinstance(node.func.value, cst.Name)
        and node.func.value.value == func.self_name
    ):
        return node.func.attr.value
    return None


def _reaches_another(
    helper: FunctionInfo, symbols: SymbolTable, structure: ModuleStructure
) -> bool:
    """Does ``helper`` reach an attribute of its class through something else than
    ``self`` (``old = Conn._current; old._sock.close()``)? That object is shared."""
    assert helper.cls is not None
    family = structure.class_family(helper.cls)
    for part in walk(helper.node):
        if not isinstance(part, cst.Attribute):
            continue
        receiver = part.value
        if isinstance(receiver, cst.Name) and receiver.value == helper.self_name:
            continue
        cls = symbols.class_of_receiver(receiver, helper)
        if cls is not None and cls.qualname in family:
            return True
    return False


def _private_method(func: FunctionInfo) -> bool:
    name = func.name
    return (
        func.cls is not None
        and func.self_name is not None
        and name.startswith("_")
        and not name.endswith("__")
    )


_CONSTRUCTORS = frozenset({"__init__", "__post_init__"})


def _early_call_on_self(
    site: CallSite,
    helpers: set[FunctionInfo],
    rebuilt: set[ClassInfo],
    publication: _Publication,
) -> bool:
    """``self._helper(...)`` in ``__init__`` before it hands ``self`` out, or in a helper
    found already (which never hands it out), of a class that has the helper."""
    caller, call = site.func, site.call
    if caller.cls is None or caller.cls in rebuilt:
        return False
    if site.callee.cls not in list(publication.structure.class_bases(caller.cls)):
        return False
    if not isinstance(call, cst.Call) or _self_method(call, caller) is None:
        return False
    if caller in helpers:
        return True
    if caller.name not in _CONSTRUCTORS:
        return False
    return id(call) in publication.early_calls(caller)


def _before_publication(
    statements: list[cst.BaseStatement],
    target: cst.CSTNode,
    func: FunctionInfo,
    structure: ModuleStructure,
) -> bool | None:
    """In source order: True when ``target`` runs before anything hands ``self`` out,
    False when something may hand it out first, None when ``target`` is not here.
    Compound statements are entered; a loop that holds both may run them either way."""
    for statement in statements:
        holds = any(part is target for part in walk(statement))
        if not holds:
            if _publishes(statement, func, structure, depth=0):
                return False
            continue
        if isinstance(statement, (cst.For, cst.While)) and _publishes(
            statement, func, structure, depth=0
        ):
            return False
        inner = _blocks(statement)
        if not inner:
            return not _publishes(statement, func, structure, depth=0)
        for block in inner:
            found = _before_publication(block, target, func, structure)
            if found is not None:
                return found
            if _publishes_any(block, func, structure):
                return False  # an earlier branch or the ``try`` body may hand it out
        return None
    return None


def _blocks(statement: cst.BaseStatement) -> list[list[cst.BaseStatement]]:
    """The statement blocks of a compound statement, in source order."""
    found: list[list[cst.BaseStatement]] = []
    for part in statement.children:
        if isinstance(part, cst.IndentedBlock):
            found.append(list(part.body))
        elif isinstance(part, (cst.If, cst.Else, cst.Finally, cst.ExceptHandler)):
            found.extend(_blocks(part) if isinstance(part, cst.If) else _own_block(part))
    return found


def _own_block(part: cst.CSTNode) -> list[list[cst.BaseStatement]]:
    body = getattr(part, "body", None)
    return [list(body.body)] if isinstance(body, cst.IndentedBlock) else []


def _publishes_any(
    statements: list[cst.BaseStatement], func: FunctionInfo, structure: ModuleStructure
) -> bool:
    return any(_publishes(statement, func, structure, depth=0) for statement in statements)


def _own_attribute(node: cst.CSTNode, self_name: str) -> bool:
    """Is every target the statement writes ``self.attr`` or ``self.attr[...]``?"""
    targets: list[cst.BaseExpression] = []
    if isinstance(node, cst.AugAssign):
        targets = [node.target]
    elif isinstance(node, cst.Assign):
        targets = [target.target for target in node.targets]
    if not targets:
        return False
    for target in targets:
        while isinstance(target, cst.Subscript):
            target = target.value
        if not (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == self_name
        ):
            return False
    return True


def _publishes(
    node: cst.CSTNode, func: FunctionInfo, structure: ModuleStructure, depth: int
) -> bool:
    """Does ``node`` (code of ``func``) hand ``self`` out: ``self`` as a value (not the
    base of an attribute), a bound method of the class as a value, a closure over
    ``self``, a publishing call on ``self``, or (one level down) a method of the class it
    calls that does?"""
    self_name = func.self_name
    if func.cls is None or self_name is None:
        return True
    parts = list(walk(node))
    bases = {
        id(part.value)
        for part in parts
        if isinstance(part, cst.Attribute)
        and isinstance(part.value, cst.Name)
        and part.value.value == self_name
    }
    callees = {
        id(part.func)
        for part in parts
        if isinstance(part, cst.Call) and isinstance(part.func, cst.Attribute)
    }
    # ``threading.Thread.__init__(self, daemon=True)``: the base's set-up of the same
    # object, as ``super().__init__(...)`` is (neither hands it to anyone)
    initialised = {
        id(part.args[0].value)
        for part in parts
        if isinstance(part, cst.Call)
        and isinstance(part.func, cst.Attribute)
        and part.func.attr.value == "__init__"
        and part.args
        and part.args[0].keyword is None
        and not part.args[0].star
    }
    for part in parts:
        if isinstance(part, (cst.Lambda, cst.FunctionDef)):
            handed = part is not func.node and _names(part, self_name)
        elif isinstance(part, cst.Name):
            # ``registry.append(self)``, ``args=(self,)``
            handed = (
                part.value == self_name
                and id(part) not in bases
                and id(part) not in initialised
                and not _is_parameter_name(part, func.node)
            )
        elif isinstance(part, cst.Attribute) and id(part.value) in bases:
            handed = _hands_out(part, id(part) in callees, func, structure, depth)
        else:
            handed = False
        if handed:
            return True
    return False


def _hands_out(
    part: cst.Attribute, called: bool, func: FunctionInfo, structure: ModuleStructure, depth: int
) -> bool:
    """``self.start()`` (publishing), ``self._setup()`` that publishes, ``self.run`` as a
    value (a bound method handed on)."""
    assert func.cls is not None
    name = part.attr.value
    method = structure.method(func.cls, name)
    if not called:
        return method is not None
    if name in _PUBLISHING_CALLS:
        return True
    if method is None or depth > 0 or method is func:
        return False
    return _publishes(method.node, method, structure, depth + 1)


def _names(node: cst.CSTNode, name: str) -> bool:
    return any(isinstance(inner, cst.Name) and inner.value == name for inner in walk(node))


def _is_parameter_name(name: cst.Name, node: cst.CSTNode) -> bool:
    """Is ``name`` the ``self`` parameter's own name node in the ``def``?"""
    if not isinstance(node, cst.FunctionDef):
        return False
    return any(param.name is name for param in node.params.params)
