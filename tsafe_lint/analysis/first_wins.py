"""A once-only value kept in a module list that is only ever read at ``[0]``.

``_CLONEFILE = []`` at the top level, then ``if not _CLONEFILE: fn =
ctypes.CDLL(None).clonefile; fn.restype = c_int; _CLONEFILE.append(fn)`` and ``return
_CLONEFILE[0]`` (montaj's ``clonefile`` lookup, ninety-sixth set: TS103 judged false). Two
threads that both find the list empty both build a value and both append it, but every
reader takes ``[0]``: the value the first append put there, the same for every thread,
whole from the moment it is appended. The second value is built for nothing and dropped.
That is harmless when building it has no other effect, which is proved narrowly: the act's
statements are plain (``memo._plain_step``: assignments, imports, ``if``/``try`` of those),
every call in it is a lookup (``ctypes.CDLL``, ``shutil.which``, an environment read...:
``_LOOKUPS``) or a pure builtin, it binds only its own locals with a plain ``=`` (no
``+=``, no walrus) and stores only into attributes of a local that holds what a lookup
returned, the appended value is such a local, and no code after the act reads a local of
it (parameters it rebinds included).

Still reported: a list read anywhere but at ``[0]`` (``for f in CELL``, ``len(CELL)``,
``CELL[-1]``: the second append is seen), changed anywhere else in the module
(``CELL.clear()``, another append, a rebinding, a store into ``CELL[0]``), an act that calls
anything else (a connection or a thread made twice leaks; a module imported, whose code may
do anything), stores into anything else (``os.environ[k] = v``, an attribute of an object
it did not make, ``path += [...]`` on an alias of ``sys.path``), appends a value handed in
(``v = param``, ``v = conf.client``), or whose locals the function goes on using. A list
that another module imports and changes is not seen.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from tsafe_lint.analysis.accesses import writes_of
from tsafe_lint.analysis.memo import _plain_step, bound_names, read_outside
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.symbols import SymbolTable, means_builtin
from tsafe_lint.analysis.tree import CONSTANT_NAMES, stored_targets, walk


def is_first_wins_act(
    act: Sequence[cst.BaseStatement],
    test: cst.BaseExpression,
    func: FunctionInfo,
    symbols: SymbolTable,
) -> bool:
    """Is ``act`` the miss branch of ``if not CELL:`` that builds a value in locals and
    ends with ``CELL.append(local)``, on a module list read only at ``[0]``? (See the
    module docstring.)"""
    cell = _emptiness_test(test)
    if cell is None or not act:
        return False
    module = func
    while module.parent is not None:
        module = module.parent
    if not module.is_module or cell not in module.assigned or func.is_local(cell):
        return False
    append = _appended(act[-1], cell)
    if append is None:
        return False
    made_here = bound_names(act)
    value = append.args[0].value
    if not (isinstance(value, cst.Name) and value.value in made_here):
        return False
    if not all(_plain_step(statement, made_here) for statement in act[:-1]):
        return False
    if any(
        writes_of(small, func, symbols)
        for statement in act[:-1]
        for node in walk(statement)
        if isinstance(node, cst.SimpleStatementLine)
        for small in node.body
    ):
        return False  # ``self.ready = True`` beside the value
    if any(cell in _names(statement) for statement in act[:-1]):
        return False
    if not all(_looks_up(call, func, symbols) for call in _calls(act[:-1])):
        return False  # ``socket.create_connection(...)`` made twice: one leaks
    if not _stores_only_into_locals(act[:-1], made_here - func.declared_global, func, symbols):
        return False  # ``os.environ["PATH"] = ...``, ``mod.flag = 1``: shared state
    if not _built(value.value, act[:-1], func, symbols):
        return False  # ``v = param``, ``v = conf.client``: not a value the act made
    if read_outside(made_here, act, func):
        return False  # the loser goes on with its own value (``reg["k"] = v`` later)
    assert isinstance(test, cst.UnaryOperation)
    return _read_only_at_zero(cell, module, append, test)


def _stores_only_into_locals(
    statements: Sequence[cst.BaseStatement],
    locals_: set[str],
    func: FunctionInfo,
    symbols: SymbolTable,
) -> bool:
    """Does every store of the statements bind one of the act's locals (a plain ``=``: no
    ``+=``, which changes in place what the local may alias, no walrus), or an attribute of
    a local that holds only what a lookup made (``fn = ctypes.CDLL(None).clonefile``, then
    ``fn.restype = c_int``; not a local aliasing shared state, ``stats = self._stats``,
    nor a module)?"""
    for statement in statements:
        for node in walk(statement):
            if isinstance(node, (cst.NamedExpr, cst.AugAssign)):
                return False
            for stored in stored_targets(node):
                if isinstance(stored, cst.Name) and stored.value in locals_:
                    continue
                if (
                    isinstance(stored, cst.Attribute)
                    and isinstance(stored.value, cst.Name)
                    and stored.value.value in locals_
                    and _built(stored.value.value, statements, func, symbols)
                ):
                    continue
                return False
    return True


def _built(
    name: str, statements: Sequence[cst.BaseStatement], func: FunctionInfo, symbols: SymbolTable
) -> bool:
    """Is ``name`` bound in the statements, only by plain assignments, each to ``None``,
    ``True``, ``False`` or to what a lookup returns (``shutil.which("ffprobe")``, an
    attribute of it: ``ctypes.CDLL(None).clonefile``): a value the act made, not one
    handed in (``v = param``, ``v = conf.client``)?"""
    found = False
    for statement in statements:
        for node in walk(statement):
            if name not in {n.value for n in _bound_here(node)}:
                continue
            if not isinstance(node, cst.Assign):
                return False  # ``for name in ...``, ``with ... as name``, an import
            found = True
            value = node.value
            if isinstance(value, cst.Name) and value.value in CONSTANT_NAMES:
                continue
            while isinstance(value, cst.Attribute):
                value = value.value
            if not (isinstance(value, cst.Call) and _looks_up(value, func, symbols)):
                return False
            if not isinstance(value.func, (cst.Name, cst.Attribute)) or (
                isinstance(value.func, cst.Name) and value.func.value in _PURE_BUILTINS
            ):
                return False  # ``len(x)`` is no lookup of a value
    return found


def _bound_here(node: cst.CSTNode) -> list[cst.Name]:
    """The plain names ``node`` itself binds (assignment, loop and ``as`` targets)."""
    return [stored for stored in stored_targets(node) if isinstance(stored, cst.Name)]


#: Calls that only look something up: made twice, the second result is just dropped.
_LOOKUPS = frozenset(
    {
        "ctypes.CDLL",
        "ctypes.PyDLL",
        "ctypes.cdll.LoadLibrary",
        "ctypes.util.find_library",
        "shutil.which",
        "os.getenv",
        "os.environ.get",
        "platform.system",
        "platform.machine",
        "platform.release",
    }
)
#: Builtins that only compute.
_PURE_BUILTINS = frozenset({"len", "str", "int", "float", "bool", "tuple", "frozenset", "getattr"})


def _calls(statements: Sequence[cst.BaseStatement]) -> list[cst.Call]:
    return [
        node for statement in statements for node in walk(statement) if isinstance(node, cst.Call)
    ]


def _looks_up(call: cst.Call, func: FunctionInfo, symbols: SymbolTable) -> bool:
    """Is the call a lookup (``_LOOKUPS``, also as the start of a chain:
    ``ctypes.CDLL(None).clonefile``) or a pure builtin? Not a method of a local: a
    module looked up may start anything (``mod.serve()``)."""
    callee = call.func
    if isinstance(callee, cst.Name) and callee.value in _PURE_BUILTINS:
        return means_builtin(callee.value, func)
    return symbols.structure.qualified_name(callee, func) in _LOOKUPS


def _emptiness_test(test: cst.BaseExpression) -> str | None:
    """``CELL`` of ``not CELL``."""
    if (
        isinstance(test, cst.UnaryOperation)
        and isinstance(test.operator, cst.Not)
        and isinstance(test.expression, cst.Name)
    ):
        return test.expression.value
    return None


def _appended(statement: cst.BaseStatement, cell: str) -> cst.Call | None:
    """The call of ``CELL.append(x)`` when ``statement`` is exactly that."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return None
    call = small.value
    callee = call.func
    if (
        isinstance(callee, cst.Attribute)
        and callee.attr.value == "append"
        and isinstance(callee.value, cst.Name)
        and callee.value.value == cell
        and len(call.args) == 1
        and call.args[0].keyword is None
        and not call.args[0].star
    ):
        return call
    return None


def _names(node: cst.CSTNode) -> set[str]:
    return {inner.value for inner in walk(node) if isinstance(inner, cst.Name)}


def _read_only_at_zero(
    cell: str, module: FunctionInfo, append: cst.Call, test: cst.UnaryOperation
) -> bool:
    """Is every other mention of ``CELL`` in the module a read of ``CELL[0]``, an
    emptiness test ``not CELL``, its one top-level ``CELL = []`` or a ``global``?"""
    assert isinstance(append.func, cst.Attribute)
    allowed = {id(append.func.value), id(test.expression)}
    assert isinstance(module.node, cst.Module)
    top_level = [
        target
        for statement in module.node.body
        if isinstance(statement, cst.SimpleStatementLine)
        for small in statement.body
        if isinstance(small, cst.Assign) and len(small.targets) == 1
        for target in small.targets
        if _names_cell(target.target, cell)
        and isinstance(small.value, cst.List)
        and not small.value.elements
    ]
    if len(top_level) != 1:
        return False
    allowed.add(id(top_level[0].target))
    nodes = list(walk(module.node))
    # ``CELL[0] = x``, ``del CELL[0]``, unpacked too (``CELL[0], y = pair``, ``for CELL[0]
    # in items``): collected once for the whole module
    stored = {id(target) for node in nodes for target in stored_targets(node)}
    for node in nodes:
        if isinstance(node, cst.Global):
            allowed |= {id(item.name) for item in node.names}
        elif isinstance(node, cst.Subscript) and _names_cell(node.value, cell):
            if _index_zero(node) and id(node) not in stored:
                allowed.add(id(node.value))
        elif (
            isinstance(node, cst.UnaryOperation)
            and isinstance(node.operator, cst.Not)
            and _names_cell(node.expression, cell)
        ):
            allowed.add(id(node.expression))
    return all(
        id(node) in allowed for node in nodes if isinstance(node, cst.Name) and node.value == cell
    )


def _names_cell(expr: cst.BaseExpression, cell: str) -> bool:
    return isinstance(expr, cst.Name) and expr.value == cell


def _index_zero(subscript: cst.Subscript) -> bool:
    if len(subscript.slice) != 1:
        return False
    index = subscript.slice[0].slice
    return (
        isinstance(index, cst.Index)
        and isinstance(index.value, cst.Integer)
        and index.value.value == "0"
    )
