"""Lazy set-up of a module global to a string: ``if _agent is None: _agent = "lib/" +
read_version()``, or to a value built from constants alone: ``if _PATTERNS is None:
_PATTERNS = [re.compile(p) for p in SENSITIVE_PATTERNS]``.

Two threads that miss together both build the value and the later store replaces the
other's: a string has no identity callers rely on, and built by the same code it is the
same text, so nothing is lost (work done twice). Reviewers judge such a race harmless
(minecraft-launcher-lib's user agent, twenty-seventh set). So is a value that pure calls
(``re.compile``, ``frozenset``, ``sorted``, ``str`` methods) build from literals and module
constants no function rebinds: every thread builds an equal one, and each reads back a
complete value (toolrecall's compiled patterns, sixty-eighth set: judged false twice).
So is any value of a global the module declares with an immutable scalar type
(``_user_sid: str | None = None``): a string, number or flag whatever call computes it.
Only when every write of the global in the module is such a store: a setter that stores
another value may be overwritten by a thread that missed before it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from tsafe_lint.analysis.accesses import (
    every_write_in_functions,
    import_time_constant,
    rebound_globals,
)
from tsafe_lint.analysis.events import Access
from tsafe_lint.analysis.scopes import FunctionInfo, ModuleStructure, final_name
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.tree import NOT_RUN, walk

ParentOf = Callable[[cst.CSTNode], "cst.CSTNode | None"]


def only_lazy_strings(
    key: SymbolKey, writes: Sequence[Access], parent_of: ParentOf, structure: ModuleStructure
) -> bool:
    """Is every write of the global ``key`` in functions (``writes``: the module's) a
    ``lazy_string_store`` of a string or of a value built from constants (the module's
    own ``_agent = None`` aside)?"""
    rebound = rebound_globals(writes)
    scalar = _declared_scalar(structure, key[-1])

    def equal_everywhere(value: cst.BaseExpression, func: FunctionInfo) -> bool:
        return (
            (scalar and not _draws_chance(func, structure))
            or is_string(value)
            or _built_from_constants(value, func, structure, rebound)
        )

    return every_write_in_functions(
        key, writes, lambda write: lazy_string_store(write, parent_of, equal_everywhere)
    )


def lazy_string_store(
    access: Access,
    parent_of: ParentOf,
    equal_everywhere: Callable[[cst.BaseExpression, FunctionInfo], bool],
) -> bool:
    """Is ``access`` ``name = <value>``, a value ``equal_everywhere`` accepts, in the
    branch of an ``if`` that runs when the global ``name`` is still ``None`` (the body
    of ``if name is None:`` or ``if not name:``, the ``else`` of ``if name is not
    None:``, or after ``if name is not None: return name`` in the same block)?"""
    node = access.node
    if access.key[0] != "global" or not isinstance(node, cst.Assign):
        return False
    if not equal_everywhere(node.value, access.func):
        return False
    name = access.key[-1]
    current: cst.CSTNode = node
    while current is not access.func.node:
        parent = parent_of(current)
        if parent is None:
            return False
        block = parent.body if isinstance(parent, cst.IndentedBlock) else ()
        if _after_early_return(block, current, name):
            return True
        if isinstance(parent, cst.If):
            unset = _tests_unset(parent.test, name)
            if unset is True and current is parent.body:
                return True
            if unset is False and current is parent.orelse:
                return True
        current = parent
    return False


def is_string(value: cst.BaseExpression) -> bool:
    """A string by its shape: a literal, an f-string, ``"a" + x``, ``"%s" % x``,
    ``"-".join(...)``, ``"{}".format(...)`` (a ``str`` method that returns one, on a
    string), ``str(...)``."""
    if isinstance(value, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return True
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Add, cst.Modulo)):
        return is_string(value.left) or (
            isinstance(value.operator, cst.Add) and is_string(value.right)
        )
    if isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Name):
            return func.value == "str"
        if isinstance(func, cst.Attribute):
            return func.attr.value in _STRING_METHODS and is_string(func.value)
    return False


#: Methods of ``str`` that return a ``str`` (``split`` returns a list: not one of them).
_STRING_METHODS = frozenset(
    {"join", "format", "format_map", "strip", "lstrip", "rstrip", "lower", "upper",
     "casefold", "title", "capitalize", "swapcase", "replace", "zfill", "ljust", "rjust",
     "center", "expandtabs", "removeprefix", "removesuffix", "translate"}
)  # fmt: skip


#: Immutable scalar types: a value of one has no identity callers rely on.
_SCALARS = frozenset({"str", "bytes", "int", "float", "bool"})


def _declared_scalar(structure: ModuleStructure, name: str) -> bool:
    """Is the global declared at module level with an immutable scalar type, optional
    or not (``_user_sid: str | None = None``, ``_elevated: Optional[bool] = None``)? Its
    lazy value is then a string, a number or a flag like the strings above, whatever
    call computes it (foxy-audit's cached SID, elevation and ruleset hash, seventy-eighth
    set: judged false)."""
    module = structure.module_scope.node
    if not isinstance(module, cst.Module):
        return False
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.AnnAssign)
                and isinstance(small.target, cst.Name)
                and small.target.value == name
            ):
                return _scalar_type(small.annotation.annotation)
    return False


#: Modules whose calls give another value on each call: a key drawn from them differs
#: between the threads that miss together.
_CHANCE_MODULES = ("random.", "secrets.", "uuid.", "time.", "datetime.")
_CHANCE_CALLS = frozenset({"os.urandom", "os.getrandom"})


def _draws_chance(func: FunctionInfo, structure: ModuleStructure) -> bool:
    """Does ``func`` call a source of chance or of the time (``secrets.token_bytes``,
    ``uuid.uuid4``, ``time.time_ns``, ``os.urandom``)? Two threads that miss together
    then store different values, and one caller keeps a value nobody else sees
    (device-fingerprinting-pro's random obfuscation key, seventy-fourth set: judged
    true)."""
    return _calls_chance(func, structure, follow=True)


def _calls_chance(func: FunctionInfo, structure: ModuleStructure, follow: bool) -> bool:
    """``_draws_chance`` for ``func``'s own calls and, when ``follow``, for the module
    functions it calls by name (``_key = _make_key()``, whose body draws the salt)."""
    for node in walk(func.node, skip=NOT_RUN):
        if not isinstance(node, cst.Call):
            continue
        name = structure.qualified_name(node.func, func)
        if name is not None and (name in _CHANCE_CALLS or name.startswith(_CHANCE_MODULES)):
            return True
        if follow and isinstance(node.func, cst.Name):
            callee = structure.by_qualname.get(node.func.value)
            if callee is not None and _calls_chance(callee, structure, follow=False):
                return True
    return False


def _scalar_type(annotation: cst.BaseExpression) -> bool:
    """``str``, ``str | None``, ``Optional[str]`` (and ``bytes``, ``int``, ``float``,
    ``bool``)."""
    if isinstance(annotation, cst.Name):
        return annotation.value in _SCALARS
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        sides = (annotation.left, annotation.right)
        none = [s for s in sides if isinstance(s, cst.Name) and s.value == "None"]
        return len(none) == 1 and all(_scalar_type(side) for side in sides if side is not none[0])
    if (
        isinstance(annotation, cst.Subscript)
        and isinstance(annotation.value, (cst.Name, cst.Attribute))
        and final_name(annotation.value) == "Optional"
        and len(annotation.slice) == 1
        and isinstance(annotation.slice[0].slice, cst.Index)
    ):
        return _scalar_type(annotation.slice[0].slice.value)
    return False


def _tests_unset(test: cst.BaseExpression, name: str) -> bool | None:
    """True for ``name is None`` / ``not name``, False for ``name is not None`` /
    ``name``; None for any other test."""
    if isinstance(test, cst.Name) and test.value == name:
        return False
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _tests_unset(test.expression, name)
        return None if inner is None else not inner
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.left, cst.Name)
        and test.left.value == name
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        operator = test.comparisons[0].operator
        if isinstance(operator, cst.Is):
            return True
        if isinstance(operator, cst.IsNot):
            return False
    return None


def _after_early_return(
    statements: Sequence[cst.BaseStatement], current: cst.CSTNode, name: str
) -> bool:
    """Is a statement before ``current`` in its block ``if name is not None: return ...``
    (or ``if name: return ...``)?"""
    for statement in statements:
        if statement is current:
            return False
        if (
            isinstance(statement, cst.If)
            and statement.orelse is None
            and _tests_unset(statement.test, name) is False
            and _returns(statement.body)
        ):
            return True
    return False


def _returns(body: cst.BaseSuite) -> bool:
    statements = body.body if isinstance(body, cst.IndentedBlock) else ()
    last = statements[-1] if statements else None
    return (
        isinstance(last, cst.SimpleStatementLine)
        and bool(last.body)
        and isinstance(last.body[-1], cst.Return)
    )


#: Calls that build the same value from the same arguments, touching nothing else.
_PURE_CALLS = frozenset(
    {"re.compile", "list", "tuple", "set", "frozenset", "dict", "sorted", "str", "int",
     "float", "bool", "len", "min", "max", "range", "enumerate", "zip", "reversed"}
)  # fmt: skip


def _built_from_constants(
    value: cst.BaseExpression,
    func: FunctionInfo,
    structure: ModuleStructure,
    rebound: frozenset[str],
) -> bool:
    """Is ``value`` built by pure calls (``_PURE_CALLS``, ``str`` methods of a string)
    from literals, the names its comprehensions bind and module globals no function
    rebinds (``[re.compile(p) for p in PATTERNS]``)? Only a container or compiled value:
    a bare name or literal is a constant store, judged elsewhere."""
    if not isinstance(value, (cst.Call, cst.BaseComp, cst.List, cst.Tuple, cst.Set, cst.Dict)):
        return False
    bound = {
        name.value
        for node in walk(value)
        if isinstance(node, cst.CompFor)
        for name in walk(node.target)
        if isinstance(name, cst.Name)
    }
    callees: set[int] = set()
    for node in walk(value, skip=NOT_RUN):
        if isinstance(node, cst.Lambda):
            return False
        if isinstance(node, cst.Call):
            qualified = structure.qualified_name(node.func, func)
            name = node.func.value if isinstance(node.func, cst.Name) else None
            if qualified in _PURE_CALLS or (
                name in _PURE_CALLS and name not in structure.module_scope.assigned
            ):
                callees.update(id(part) for part in walk(node.func))
            elif isinstance(node.func, cst.Attribute) and is_string(node):
                callees.add(id(node.func))
                callees.add(id(node.func.attr))
            else:
                return False
        elif isinstance(node, cst.Name) and id(node) not in callees:
            if node.value in bound or node.value in ("None", "True", "False"):
                continue
            if not import_time_constant(node.value, func, structure, rebound):
                return False  # rebound, a local, a builtin or an import
        elif isinstance(node, (cst.Attribute, cst.Await)) and id(node) not in callees:
            return False  # another object's state, or a coroutine's result
    return True
