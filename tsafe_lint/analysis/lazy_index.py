"""Lazy indexes: a container built in a local from state fixed since set-up, published once.

``if self._gate_nodes is None: index = {}; for node in self.plan.nodes: index[node.name] =
node; self._gate_nodes = index``: two threads that both find it unset both build the
index, and the later store replaces an equal one. Readers see ``None`` or a complete
container, never one being filled, and nobody changes it in place afterwards. Reviewers
judge that harmless (cairn-pipelines' gate index, seventy-fourth set: false). It stays
reported when:

- the value reads state that anything but ``__init__`` rebinds or changes (``self.plan =
  ...`` in a method, ``self.plan.nodes.append(...)``), or a global that is not a
  constant: two threads could build different indexes and the older one land last;
- the act calls anything but pure builtins, read-only methods (``globals().get(name)``
  reads the module's own functions by name), its own locals' methods and functions it
  defines itself (a fetch may return a new object each time; a helper may have
  effects);
- the container is filled, emptied or rebound anywhere else (a cache others write into,
  or an invalidation the late store undoes);
- the value is a container stored unfilled, or a made object (``Session()``).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence

import libcst as cst

from tsafe_lint.analysis.log_aliases import is_log_method
from tsafe_lint.analysis.memo import bound_names, only_shared_store
from tsafe_lint.analysis.names import looks_like_constant
from tsafe_lint.analysis.none_tests import none_subject
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.symbols import SymbolTable, means_builtin
from tsafe_lint.analysis.tree import variable_names, walk

_BUILTINS = frozenset(dir(builtins))
#: Builtins that only compute from their arguments.
_PURE_CALLS = frozenset(
    {"isinstance", "issubclass", "len", "sorted", "reversed", "enumerate", "zip", "range",
     "str", "int", "float", "bool", "tuple", "frozenset", "list", "dict", "set", "min",
     "max", "any", "all", "getattr", "hasattr", "repr", "hash", "id", "abs", "round"}
)  # fmt: skip
#: Methods that only read a container or a string.
_READ_METHODS = frozenset(
    {"get", "keys", "values", "items", "copy", "count", "index", "startswith", "endswith",
     "format", "join", "split", "strip", "lower", "upper", "casefold", "rstrip", "lstrip"}
)  # fmt: skip
_DISPLAYS = (cst.Dict, cst.List, cst.Set, cst.DictComp, cst.ListComp, cst.SetComp)
_COMPREHENSIONS = (cst.DictComp, cst.ListComp, cst.SetComp)
_SET_UP = frozenset({"__init__", "__post_init__"})


def is_lazy_index_act(
    act: Sequence[cst.BaseStatement],
    test: cst.BaseExpression,
    func: FunctionInfo,
    symbols: SymbolTable,
) -> bool:
    """Is ``act`` the build of a lazy index (see the module docstring) into the state
    ``test`` finds unset (``x is None``, ``not x``, or their opposites before a return)?"""
    target = _unset_test(test)
    if target is None or not _own_state(target, func):
        return False
    store = only_shared_store(act, func, symbols)
    if store is None:
        return False
    if len(store.targets) != 1 or not store.targets[0].target.deep_equals(target):
        return False
    if not _built_here(store.value, act):
        return False
    defined = {id(node) for s in act for node in walk(s) if isinstance(node, cst.FunctionDef)}
    nested = [f for f in symbols.structure.functions if id(f.node) in defined]
    local_functions = {f.name for f in nested}
    made_here = bound_names(act) | local_functions
    namespace_reads = _namespace_reads(act, func, symbols)
    if not all(
        id(call) in namespace_reads or _plain_call(call, made_here, local_functions)
        for call in _calls(act)
    ):
        return False
    parameters = {name for f in nested for name in f.params}
    if not _reads_fixed_state(act, store, made_here | parameters, func, target):
        return False
    return not _changed_elsewhere(target, store, func, symbols)


def _unset_test(test: cst.BaseExpression) -> cst.Attribute | cst.Name | None:
    """``X`` for ``X is None``, ``X is not None``, ``not X``, ``X``, where ``X`` is an
    attribute or a name."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    subject = none_subject(test)
    if subject is not None:
        test = subject[0]
    return test if isinstance(test, (cst.Attribute, cst.Name)) else None


def _own_state(target: cst.Attribute | cst.Name, func: FunctionInfo) -> bool:
    """``self.<attr>`` in a method, or a global the function declares."""
    if isinstance(target, cst.Name):
        return target.value in func.declared_global
    return (
        func.cls is not None
        and isinstance(target.value, cst.Name)
        and target.value.value == func.self_name
    )


def _built_here(value: cst.BaseExpression, act: Sequence[cst.BaseStatement]) -> bool:
    """A comprehension, or a local the act binds once to a display and then fills."""
    if isinstance(value, _COMPREHENSIONS):
        return True
    if not isinstance(value, cst.Name):
        return False
    bound: list[cst.BaseExpression | None] = []
    for statement in act:
        for node in walk(statement):
            if isinstance(node, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value == value.value
                for t in node.targets
            ):
                bound.append(node.value)
            elif (
                isinstance(node, cst.AnnAssign)
                and isinstance(node.target, cst.Name)
                and node.target.value == value.value
            ):
                bound.append(node.value)  # ``index: dict[str, Node] = {}``
    if len(bound) != 1 or not isinstance(bound[0], _DISPLAYS):
        return False
    return isinstance(bound[0], _COMPREHENSIONS) or _filled(value.value, act)


def _filled(name: str, act: Sequence[cst.BaseStatement]) -> bool:
    for statement in act:
        for node in walk(statement):
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and _root(node.func.value) == name
            ):
                return True
            if (
                isinstance(node, cst.AssignTarget)
                and isinstance(node.target, cst.Subscript)
                and _root(node.target) == name
            ):
                return True
    return False


def _calls(act: Sequence[cst.BaseStatement]) -> Iterator[cst.Call]:
    for statement in act:
        for node in walk(statement):
            if isinstance(node, cst.Call):
                yield node


def _namespace_reads(
    act: Sequence[cst.BaseStatement], func: FunctionInfo, symbols: SymbolTable
) -> set[int]:
    """The ``globals()`` calls of the act that only look one name up, whose value the act
    stores as it is (``table[verb] = globals().get(spec.function)``): a lookup of the
    module's functions by name, which only set-up binds (usdq's verb dispatch table,
    eighty-third set: judged false). None when a function of the module rebinds one of
    its functions or classes (``global handler; handler = h``: two builds could see
    different values) or uses ``globals()`` but to look names up (``globals()[name] =
    h``), when ``globals`` is not the builtin, or when the act does anything with the
    value looked up but test it and store it as it is into a local container (a read into
    it, ``.get(name).get(key)`` or ``dict(reg)``, a call of it, a loop over it)."""
    structure = symbols.structure
    rebound = {name for f in structure.functions for name in f.declared_global}
    defined = {f.qualname for f in structure.functions} | set(structure.classes)
    if rebound & defined or not means_builtin("globals", func):
        return set()
    lookups: dict[int, cst.Call] = {}
    for call in _calls(act):
        callee = call.func
        if (
            isinstance(callee, cst.Attribute)
            and callee.attr.value == "get"
            and 1 <= len(call.args) <= 2
            and not any(arg.star or arg.keyword is not None for arg in call.args)
            and isinstance(callee.value, cst.Call)
            and isinstance(callee.value.func, cst.Name)
            and callee.value.func.value == "globals"
            and not callee.value.args
        ):
            lookups[id(call)] = callee.value
    if lookups and _namespace_written(structure.module_scope.node):
        return set()
    held: dict[str, list[int]] = {}  # a local that takes a lookup -> those lookups
    for statement in act:
        for node in walk(statement):
            if not isinstance(node, cst.Assign) or id(node.value) not in lookups:
                continue
            into = node.targets[0].target if len(node.targets) == 1 else None
            if isinstance(into, cst.Name):
                held.setdefault(into.value, []).append(id(node.value))
            elif not (isinstance(into, cst.Subscript) and isinstance(into.value, cst.Name)):
                del lookups[id(node.value)]
    stored = {id(node.value) for s in act for node in walk(s) if isinstance(node, cst.Assign)}
    for name, taken in held.items():
        if not _only_tested_and_stored(name, act):
            for lookup in taken:
                lookups.pop(lookup, None)
    return {id(namespace) for key, namespace in lookups.items() if key in stored}


def _namespace_written(module: cst.CSTNode) -> bool:
    """Does the module use ``globals()`` other than to look a name up (``globals()[name] =
    handler``, ``globals().update(...)``: a rebinding the ``global`` statements do not
    show)?"""
    namespaces: list[cst.Call] = []
    looked_up: set[int] = set()
    for node in walk(module):
        if not isinstance(node, cst.Call):
            continue
        if isinstance(node.func, cst.Name) and node.func.value == "globals" and not node.args:
            namespaces.append(node)
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "get":
            looked_up.add(id(node.func.value))
    return any(id(namespace) not in looked_up for namespace in namespaces)


def _only_tested_and_stored(name: str, act: Sequence[cst.BaseStatement]) -> bool:
    """Is the local ``name`` only bound, tested (``if fn is None:``, ``if not fn:``) and
    stored as it is into a local container (``table[verb] = fn``) in the act? Then what
    it looked up is kept, not read into (``reg.get(key)``, ``dict(reg)``, a loop over
    it), and two builds store the same objects."""
    allowed: set[int] = set()
    for statement in act:
        for node in walk(statement):
            if isinstance(node, cst.Assign):
                allowed.update(id(t.target) for t in node.targets)
                target = node.targets[0].target
                if (
                    isinstance(node.value, cst.Name)
                    and isinstance(target, cst.Subscript)
                    and isinstance(target.value, cst.Name)
                ):
                    allowed.add(id(node.value))
            elif isinstance(node, cst.Comparison) and all(
                isinstance(c.operator, (cst.Is, cst.IsNot))
                and isinstance(c.comparator, cst.Name)
                and c.comparator.value == "None"
                for c in node.comparisons
            ):
                allowed.add(id(node.left))
            elif isinstance(node, (cst.If, cst.While)):
                test = node.test
                if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                    test = test.expression
                allowed.add(id(test))
    return all(
        id(node) in allowed
        for statement in act
        for node in variable_names(statement)
        if node.value == name
    )


def _plain_call(call: cst.Call, made_here: set[str], local_functions: set[str]) -> bool:
    """A pure builtin, a function the act defines, a log call, a method of one of the
    act's locals, or a read-only method of anything."""
    callee = call.func
    if isinstance(callee, cst.Name):
        return callee.value in _PURE_CALLS or callee.value in local_functions
    if not isinstance(callee, cst.Attribute):
        return False
    if is_log_method(callee) or callee.attr.value in _READ_METHODS:
        return True
    return _root(callee.value) in made_here


def _reads_fixed_state(
    act: Sequence[cst.BaseStatement],
    store: cst.Assign,
    made_here: set[str],
    func: FunctionInfo,
    target: cst.Attribute | cst.Name,
) -> bool:
    """Does the act read only its own names (``made_here``: its locals, the functions it
    defines and their parameters), imports, builtins, constants and attributes of
    ``self`` that only set-up binds and nothing changes in place (besides the index
    itself, read back after the store)?"""
    skipped = {id(node) for node in walk(store.targets[0].target)}
    for statement in act:
        for node in walk(statement):
            if isinstance(node, cst.Attribute):
                skipped.add(id(node.attr))
            elif isinstance(node, cst.Arg) and node.keyword is not None:
                skipped.add(id(node.keyword))
            elif isinstance(node, (cst.FunctionDef, cst.Param)):
                skipped.add(id(node.name))
            if isinstance(node, type(target)) and node.deep_equals(target):
                skipped.update(id(inner) for inner in walk(node))
    module = func
    while module.parent is not None:
        module = module.parent
    imported = set(module.imports) | module.modules | set(func.imports) | func.modules
    attrs: set[str] = set()
    for statement in act:
        for node in walk(statement):
            if id(node) in skipped:
                continue
            if (
                isinstance(node, cst.Attribute)
                and isinstance(node.value, cst.Name)
                and func.self_name is not None
                and node.value.value == func.self_name
            ):
                attrs.add(node.attr.value)
            if not isinstance(node, cst.Name) or node.value == func.self_name:
                continue
            name = node.value
            if not (
                name in made_here
                or name in imported
                or name in _BUILTINS
                or looks_like_constant(name)
            ):
                return False
    return all(_fixed_after_set_up(attr, func) for attr in attrs)


def _fixed_after_set_up(attr: str, func: FunctionInfo) -> bool:
    """Is ``self.<attr>`` bound in ``__init__`` (or declared as a field in the class
    body: a dataclass's ``plan: Plan``) and neither rebound nor changed in place (a store
    into it or into what it holds, a mutating method call) in any other method of the
    class?"""
    if func.cls is None:
        return False
    bound_in_set_up = False
    for method in func.cls.node.body.body:
        if _declares(method, attr):
            bound_in_set_up = True
        if not isinstance(method, cst.FunctionDef):
            continue
        set_up = method.name.value in _SET_UP
        for node in walk(method):
            changed = _changed_chain(node)
            if changed is None or _first_attr(changed) != attr:
                continue
            if not set_up:
                return False
            bound_in_set_up = True
    return bound_in_set_up


def _declares(statement: cst.CSTNode, attr: str) -> bool:
    """``plan: Plan`` (or ``plan: Plan = field(...)``) in a class body."""
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.AnnAssign)
        and isinstance(small.target, cst.Name)
        and small.target.value == attr
        for small in statement.body
    )


def _changed_chain(node: cst.CSTNode) -> cst.BaseExpression | None:
    """What ``node`` binds, stores into, deletes or calls a mutating method of."""
    if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)):
        return node.target
    if isinstance(node, cst.Del):
        return node.target
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value not in _READ_METHODS
        and not is_log_method(node.func)
    ):
        return node.func.value
    return None


def _first_attr(expr: cst.BaseExpression) -> str | None:
    """``plan`` for ``self.plan.nodes[0]`` (any root name)."""
    first: str | None = None
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            first = expr.attr.value
        expr = expr.value
    return first


def _changed_elsewhere(
    target: cst.Attribute | cst.Name,
    store: cst.Assign,
    func: FunctionInfo,
    symbols: SymbolTable,
) -> bool:
    """Is the published container rebound (but to ``None`` in set-up), stored into or
    changed in place anywhere but the act's one store?"""
    if isinstance(target, cst.Name):
        if any(other is not func for other in symbols.structure.rebinders(target.value)):
            return True
        module = func
        while module.parent is not None:
            module = module.parent
        scope: cst.CSTNode = module.node
    else:
        assert func.cls is not None
        scope = func.cls.node
    for method in walk(scope):
        if not isinstance(method, cst.FunctionDef):
            continue
        set_up = method.name.value in _SET_UP
        for node in walk(method):
            if node is store:
                continue
            changed = _changed_chain(node)
            if changed is None:
                continue
            if changed.deep_equals(target):
                if set_up and isinstance(node, (cst.AssignTarget, cst.AnnAssign)):
                    continue  # ``self._index = None`` in ``__init__``
                if isinstance(node, cst.AssignTarget) and _is_store_target(node, store):
                    continue
                return True
            if _contains(changed, target):
                return True  # ``self._index[k] = v``, ``self._index.clear()``
    return False


def _is_store_target(node: cst.AssignTarget, store: cst.Assign) -> bool:
    return any(t is node for t in store.targets)


def _contains(changed: cst.BaseExpression, target: cst.BaseExpression) -> bool:
    expr = changed
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
        if expr.deep_equals(target):
            return True
    return False


def _root(expr: cst.BaseExpression) -> str | None:
    while isinstance(expr, (cst.Subscript, cst.Attribute, cst.Call)):
        expr = expr.func if isinstance(expr, cst.Call) else expr.value
    return expr.value if isinstance(expr, cst.Name) else None
