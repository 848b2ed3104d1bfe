"""Code a call switches off by passing a constant flag: ``f(reload=False)``, ``f(have_lock=True)``.

``done(reload=False)`` does not run ``done``'s ``if reload: self.reload()``, and
``_set_strategy(s, have_lock=True)`` does not run its ``if not have_lock:
self._lock.acquire()``. When a call passes a constant (``False``, ``None``, ``0``,
``""``, ``True``, a non-zero number, a non-empty string) for a parameter the callee never
rebinds, the callee's statements under a test that constant decides (``if <param>:``,
``if not <param>:``, ``if x and <param>:``, ``if <param> is None:``, their ``else``),
under ``while`` such a false test, and after ``if <test>: return`` with a true test in
the same block are not run by that call, nor those under a test of a local bound once
(on the paths the call runs) to a constant the flag picks (``cut = None if final else
self._cut()``). A parameter the callee hands on unchanged to a
call of its own (``get_routers(flags, with_renew)``) passes the constant on, so a chain
of such calls is followed (TS203). Facts on attributes of ``self`` work the same way: a
method that stored an object in ``self.config`` and then calls ``self.m()`` does not run
``m``'s ``if self.config is None:`` body (``self_facts``, ``carried_facts``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, block
from tsafe_lint.analysis.tree import NOT_RUN, names_bound_by, walk

#: param -> the literal passed for it: "None", "False", "0", "", "True", "1", "'x'"...
Flags = Mapping[str, str]


def falsy_literal(expr: cst.BaseExpression) -> str | None:
    """``"None"``/``"False"``/``"0"``/``""`` for a constant falsy literal, else None."""
    if isinstance(expr, cst.Name) and expr.value in ("None", "False"):
        return expr.value
    if isinstance(expr, cst.Integer) and int(expr.value.replace("_", ""), 0) == 0:
        return "0"
    if isinstance(expr, cst.SimpleString) and expr.raw_value == "" and "b" not in expr.prefix:
        return ""
    return None


def constant_literal(expr: cst.BaseExpression) -> str | None:
    """The source of a constant whose truth is known (``None``, ``True``, ``0``, ``3``,
    ``""``, ``"x"``), else None."""
    if isinstance(expr, cst.Name) and expr.value in ("None", "False", "True"):
        return expr.value
    if isinstance(expr, cst.Integer):
        return str(int(expr.value.replace("_", ""), 0))
    if isinstance(expr, cst.SimpleString) and "b" not in expr.prefix.lower():
        return repr(expr.raw_value)
    return None


def _truthy(literal: str) -> bool:
    return literal not in ("None", "False", "0", "''")


def constant_flags(
    call: cst.CSTNode, callee: FunctionInfo, known: Flags | None = None
) -> dict[str, str]:
    """The callee's parameters ``call`` passes a constant, which the callee never
    rebinds. ``known``: the calling function's own parameters known to hold a constant
    on this path (a call with ``with_renew=False`` into a function that hands
    ``with_renew`` on): a name among them passes that constant."""
    node = callee.node
    if not isinstance(call, cst.Call) or not isinstance(node, cst.FunctionDef):
        return {}
    params = node.params
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if callee.self_name is not None and _bound(call, callee):
        positional = positional[1:]
    by_keyword = {p.name.value for p in (*params.params, *params.kwonly_params)}
    flags: dict[str, str] = {}
    position = 0
    starred = False
    for arg in call.args:
        if arg.star:
            starred = True  # positions after ``*args`` are unknown
            continue
        if arg.keyword is not None:
            name: str | None = arg.keyword.value if arg.keyword.value in by_keyword else None
        else:
            name = None if starred or position >= len(positional) else positional[position]
            position += 1
        literal = constant_literal(arg.value)
        if literal is None and known and isinstance(arg.value, cst.Name):
            literal = known.get(arg.value.value)
        if name is not None and literal is not None and name not in callee.assigned:
            flags[name] = literal
    return flags


def _bound(call: cst.Call, callee: FunctionInfo) -> bool:
    """Is the callee's first parameter bound by the call (``obj.m()``, ``Cls()``), not
    passed (``Cls.m(obj)``)?"""
    func = call.func
    if callee.is_classmethod or callee.cls is None:
        return True
    return not (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == callee.cls.node.name.value
    )


def switched_off(callee: FunctionInfo, flags: Flags) -> set[cst.CSTNode]:
    """Every node of ``callee``'s body that a call passing ``flags`` does not run."""
    node = callee.node
    if not flags or not isinstance(node, cst.FunctionDef):
        return set()
    dead: set[cst.CSTNode] = set()
    for root in _dead_roots(block(node.body), flags):
        dead.update(walk(root))
    decided = _decided_locals(node, callee, flags, dead)
    if decided:
        for root in _dead_roots(block(node.body), {**flags, **decided}):
            dead.update(walk(root))
    return dead


def _decided_locals(
    node: cst.FunctionDef, callee: FunctionInfo, flags: Flags, dead: set[cst.CSTNode]
) -> dict[str, str]:
    """Locals the flags decide: ``cut = None if final else self._pause_cut(n)``, bound
    once on the paths the call runs, is None for a call that passes ``final=True``
    (python-voiceio's stop-time decode, whose ``if cut is not None: with
    self._freeze_lock:`` then does not run: sixty-seventh set)."""
    binders: dict[str, list[cst.CSTNode]] = {}
    for inner in walk(node.body, NOT_RUN):
        if inner in dead:
            continue
        for name in names_bound_by(inner):
            binders.setdefault(name, []).append(inner)
    decided: dict[str, str] = {}
    for inner in walk(node.body, NOT_RUN):
        if not isinstance(inner, cst.Assign) or inner in dead or len(inner.targets) != 1:
            continue
        target = inner.targets[0]
        if not isinstance(target.target, cst.Name) or not isinstance(inner.value, cst.IfExp):
            continue
        name = target.target.value
        if name in callee.params or name in flags or binders.get(name) != [target]:
            continue
        taken = truth(inner.value.test, flags)
        if taken is not None:
            literal = constant_literal(inner.value.body if taken else inner.value.orelse)
            if literal is not None:
                decided[name] = literal
    return decided


def _dead_roots(statements: Sequence[cst.BaseStatement], flags: Flags) -> Iterator[cst.CSTNode]:
    for index, statement in enumerate(statements):
        if isinstance(statement, cst.If):
            value = truth(statement.test, flags)
            if value is False:
                yield statement.body
            else:
                yield from _dead_roots(block(statement.body), flags)
            if statement.orelse is not None:
                if value is True:
                    yield statement.orelse
                elif isinstance(statement.orelse, cst.If):
                    yield from _dead_roots([statement.orelse], flags)
                else:
                    yield from _dead_roots(block(statement.orelse.body), flags)
            if value is True and ends_in_exit(block(statement.body)):
                yield from statements[index + 1 :]  # the guard returned: nothing after runs
                return
        elif isinstance(statement, cst.While) and truth(statement.test, flags) is False:
            yield statement.body
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue  # not run here
        else:
            for suite in _suites(statement):
                yield from _dead_roots(block(suite), flags)


def _suites(statement: cst.BaseStatement) -> Iterator[cst.BaseSuite]:
    """The bodies of a ``with``, ``for``, ``while`` or ``try`` (handlers included)."""
    if isinstance(statement, (cst.With, cst.For, cst.While, cst.Try, cst.TryStar)):
        yield statement.body
    if isinstance(statement, (cst.Try, cst.TryStar)):
        for handler in statement.handlers:
            yield handler.body
        if statement.orelse is not None:
            yield statement.orelse.body
        if statement.finalbody is not None:
            yield statement.finalbody.body
    elif isinstance(statement, (cst.For, cst.While)) and statement.orelse is not None:
        yield statement.orelse.body


def ends_in_exit(statements: Sequence[cst.BaseStatement]) -> bool:
    """Does the block end in ``return`` or ``raise``?"""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and last.body:
        return isinstance(last.body[-1], (cst.Return, cst.Raise))
    return False


def truth(test: cst.BaseExpression, flags: Flags) -> bool | None:
    """The value of ``test`` given the flags, when they decide it; None when they do not."""
    if isinstance(test, cst.Name) and test.value in flags:
        value = flags[test.value]
        return None if value == NOT_NONE else _truthy(value)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = truth(test.expression, flags)
        return None if inner is None else not inner
    if isinstance(test, cst.BooleanOperation):
        left, right = truth(test.left, flags), truth(test.right, flags)
        decisive = isinstance(test.operator, cst.Or)  # True decides ``or``, False ``and``
        if decisive in (left, right):
            return decisive
        return (not decisive) if left is right is (not decisive) else None
    if (
        isinstance(test, cst.Comparison)
        and _flag_key(test.left) in flags
        and len(test.comparisons) == 1
    ):
        target = test.comparisons[0]
        if isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
            is_none = flags[_flag_key(test.left) or ""] == "None"
            if isinstance(target.operator, cst.Is):
                return is_none
            if isinstance(target.operator, cst.IsNot):
                return not is_none
    return None


def _flag_key(expr: cst.BaseExpression) -> str | None:
    """``flag`` for a parameter, ``self.config`` for an attribute of ``self``."""
    if isinstance(expr, cst.Name):
        return expr.value
    if (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and expr.value.value == "self"
    ):
        return f"self.{expr.attr.value}"
    return None


#: what an attribute fact says of ``self.x``: it holds an object, not None (whether that
#: object is true is not known)
NOT_NONE = "<not None>"


def self_facts(
    call: cst.CSTNode, func: FunctionInfo, parent_of: Callable[[cst.CSTNode], cst.CSTNode | None]
) -> dict[str, str]:
    """The attributes of ``self`` known not to be None where ``func`` makes ``call`` on
    ``self`` (``self.m()``, a property read ``self.prop``): the last store to each in the
    statements run before the call's, in its block and the blocks around it, assigns
    something other than None. ``_initialize`` storing ``self.config = Parser()`` under
    its lock and then reading a property that calls ``_initialize()`` again does not run
    that call's ``if self.config is None: with self._lock:`` (aqtinstall's settings)."""
    target = call.func if isinstance(call, cst.Call) else call
    if not (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == "self"
        and func.self_name == "self"
    ):
        return {}
    facts: dict[str, str] = {}
    node: cst.CSTNode | None = call
    while node is not None and node is not func.node:
        parent = parent_of(node)
        if isinstance(parent, (cst.IndentedBlock, cst.Module)):
            body = list(parent.body)
            index = next((i for i, statement in enumerate(body) if statement is node), 0)
            for statement in reversed(body[:index]):
                for key, value in _stores(statement):
                    facts.setdefault(key, value)
        elif isinstance(parent, (cst.For, cst.While)):
            for key, _ in _stores(parent):  # a later pass may have stored anything
                facts.setdefault(key, "None")
        node = parent
    return {key: value for key, value in facts.items() if value == NOT_NONE}


def carried_facts(facts: Flags, call: cst.CSTNode, callee: FunctionInfo) -> dict[str, str]:
    """The facts on ``self`` that hold in ``callee`` when ``call`` runs it on the same
    object (``self.m()``, ``self.prop``): those of its attributes the callee never
    stores anything but an object in."""
    target = call.func if isinstance(call, cst.Call) else call
    if not (
        facts
        and isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == "self"
        and callee.self_name == "self"
        and isinstance(callee.node, cst.FunctionDef)
    ):
        return {}
    unknown = set(_none_stores(callee.node))
    return {
        key: value for key, value in facts.items() if key.startswith("self.") and key not in unknown
    }


def _stores(statement: cst.BaseStatement) -> Iterator[tuple[str, str]]:
    """``(self.x, NOT_NONE or "None")`` for the stores to attributes of ``self`` a
    statement makes, last first; a compound statement's stores are "None" (the branch
    taken is not known, so the attribute is not known either)."""
    smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else [statement]
    for small in reversed(smalls):
        if isinstance(small, cst.Assign) and all(
            isinstance(assigned.target, cst.Attribute) for assigned in small.targets
        ):
            value = NOT_NONE if _known_object(small.value) else "None"
            for assigned in small.targets:
                key = _flag_key(assigned.target)
                if key is not None and key.startswith("self."):
                    yield key, value
            continue
        for node in walk(small):  # any other store: the value is not known
            if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)):
                for part in walk(node.target):
                    key = _flag_key(part) if isinstance(part, cst.Attribute) else None
                    if key is not None:
                        yield key, "None"


def _none_stores(node: cst.CSTNode) -> Iterator[str]:
    """The attributes of ``self`` that code under ``node`` may set to None or to a value
    not known (``self.x = None``, ``self.x = load()``, ``self.x += 1``, ``del self.x``,
    a tuple unpacked into it); ``self.x = Parser()`` is not one."""
    for inner in walk(node):
        if isinstance(inner, cst.Assign):
            single = len(inner.targets) == 1 and isinstance(inner.targets[0].target, cst.Attribute)
            if single and _known_object(inner.value):
                continue
            targets: list[cst.BaseExpression] = [assigned.target for assigned in inner.targets]
        elif isinstance(inner, (cst.AugAssign, cst.AnnAssign, cst.Del)):
            targets = [inner.target]
        else:
            continue
        for target in targets:
            for part in walk(target):
                key = _flag_key(part) if isinstance(part, cst.Attribute) else None
                if key is not None:
                    yield key


#: builtins and standard constructors that always return a new object
_BUILT_OBJECTS = frozenset(
    {"dict", "list", "set", "tuple", "frozenset", "object", "bytearray", "deque", "defaultdict"}
)


def _known_object(value: cst.BaseExpression) -> bool:
    """Is ``value`` surely not None: a class built (``Parser()``, a capitalised callee,
    ``dict(...)``), or a literal (a container, a string, a number)?"""
    if isinstance(value, cst.Call):
        name = value.func.attr.value if isinstance(value.func, cst.Attribute) else None
        if isinstance(value.func, cst.Name):
            name = value.func.value
        return name is not None and (name[:1].isupper() or name in _BUILT_OBJECTS)
    return isinstance(
        value,
        (
            cst.List,
            cst.Dict,
            cst.Set,
            cst.Tuple,
            cst.SimpleString,
            cst.ConcatenatedString,
            cst.FormattedString,
            cst.Integer,
            cst.Float,
            cst.ListComp,
            cst.DictComp,
            cst.SetComp,
        ),
    )
