"""Objects handed to every thread of a fan-out: one object, used on many threads at once.

``for port in ports: pool.submit(self._test_port, device, port)`` hands each task a port
of its own and the one ``device`` they all share. The methods the tasks call on that
``device`` run on the pool's threads at once, on one object: its attributes are shared
state, however private they look (lanscape's ``Device.ports_scanned += 1``, forty-eighth
set's misses). A value is the same for every thread when the loop that starts them does
not bind it anew on each pass (a parameter or a local made before the loop), when every
task of ``pool.map(partial(f, device), items)`` gets it from the ``partial``, or when
``map`` is handed it repeated (``itertools.repeat(device)``).

Its class comes from the target's annotation of the parameter (``device: Device``), else
from the value handed (a local made by ``Device()``, a parameter annotated so); a
module class gives the methods themselves, an imported one their qualified names, for
the project join to find in the module that defines them. The target may hand the
object on to the module's own functions by position or keyword; those are followed too.
Nothing else about the object is assumed: calls whose class is not known are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.per_thread_args import bound_each_pass
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure, dotted_name
from tsafe_lint.analysis.symbols import argument
from tsafe_lint.analysis.threads import ThreadStart
from tsafe_lint.analysis.tree import NOT_RUN, walk

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis

#: A module class, or an imported class's real name.
ClassRef = ClassInfo | str

#: A handed value by keyword (or ``None`` for a position), ``None`` for a value made anew
#: on each pass of the loop: it still fills its position.
Handed = tuple[str | None, cst.BaseExpression | None]

#: pool methods whose every task is handed the same extra arguments' items
_MAPS = frozenset({"map", "map_async", "imap", "imap_unordered"})


@dataclass(frozen=True)
class SharedCall:
    """A method called, on a thread of a fan-out, on the object every thread shares."""

    start: ThreadStart
    param: str  # the parameter that holds the object where the call is made: "device"
    method: FunctionInfo | None  # the module's own method it runs, if the class is local
    qualified: str | None  # else the imported class's method: "pkg.device.Device.test_port"

    def verb(self, started: str) -> str:
        """How a message says the method comes to run on several threads at once."""
        return f"called on the one '{self.param}' every task shares, {started}"


def shared_calls(analysis: ModuleAnalysis) -> list[SharedCall]:
    """Every method call made by a fan-out's threads on the object they all share."""
    found: list[SharedCall] = []
    seen: set[tuple[int, str]] = set()
    for start in analysis.thread_starts:
        if start.in_process or start.target is None:
            continue
        for target, params in _shared_params(start, analysis).items():
            for func, param, cls in _followed(target, params, analysis):
                for call in _method_calls(func, param):
                    attr = call.func
                    assert isinstance(attr, cst.Attribute)
                    method = _method_ref(cls, attr.attr.value, analysis.structure)
                    key = (id(call), str(method))
                    if method is None or key in seen:
                        continue
                    seen.add(key)
                    if isinstance(method, FunctionInfo):
                        found.append(SharedCall(start, param, method, None))
                    else:
                        found.append(SharedCall(start, param, None, method))
    return found


def _shared_params(
    start: ThreadStart, analysis: ModuleAnalysis
) -> dict[FunctionInfo, dict[str, ClassRef | None]]:
    """The target's parameters every thread of ``start`` is handed the same object in,
    each with the class the handed value is known to have (or None)."""
    target_expr = start.target
    assert target_expr is not None
    bound: list[cst.Arg] = []  # what a ``partial`` target binds: every task gets it
    if isinstance(target_expr, cst.Call):
        qualified = analysis.structure.qualified_name(target_expr.func, start.func)
        if qualified != "functools.partial" or not target_expr.args:
            return {}
        bound = list(target_expr.args[1:])
        target_expr = target_expr.args[0].value
    target = analysis.resolve_function(target_expr, start.func)
    if target is None or not isinstance(target.node, cst.FunctionDef):
        return {}
    handed: list[Handed]
    if start.how in _MAPS:
        handed = _as_handed(bound, set())
        if not bound:
            # ``map(f, itertools.repeat(device), ports)``: the leading repeated iterables
            for arg in start.call.args[1:]:
                if arg.keyword is not None or arg.star or not _repeats(arg.value):
                    break
                repeated = arg.value
                assert isinstance(repeated, cst.Call)
                handed.append((None, repeated.args[0].value))
    elif start.repeated:
        extra = list(start.call.args[1:]) if start.how == "submit" else _thread_args(start)
        if extra is None:
            return {}
        handed = _as_handed([*bound, *extra], bound_each_pass(start.call, analysis))
    else:
        return {}
    result: dict[str, ClassRef | None] = {}
    for param, value in _bind(target, handed).items():
        if isinstance(value, cst.Name) and param not in target.assigned:
            result[param] = _class_of_name(value, start.func, analysis)
    return {target: result} if result else {}


def _as_handed(args: list[cst.Arg], per_pass: set[str]) -> list[Handed]:
    """The arguments up to the first starred one, those that use a name bound on each
    pass of the loop (``per_pass``) as ``None``: a value of that task's own."""
    handed: list[Handed] = []
    for arg in args:
        if arg.star:
            break
        keyword = arg.keyword.value if arg.keyword is not None else None
        own = any(isinstance(n, cst.Name) and n.value in per_pass for n in walk(arg.value))
        handed.append((keyword, None if own else arg.value))
    return handed


def _bind(target: FunctionInfo, handed: list[Handed]) -> dict[str, cst.BaseExpression | None]:
    """Which value each of the target's parameters gets (``self`` left out)."""
    node = target.node
    assert isinstance(node, cst.FunctionDef)
    names = [p.name.value for p in (*node.params.posonly_params, *node.params.params)]
    if target.cls is not None and target.self_name is not None and names:
        names = names[1:]
    bound: dict[str, cst.BaseExpression | None] = {}
    position = 0
    for keyword, value in handed:
        if keyword is not None:
            bound[keyword] = value
        elif position < len(names):
            bound[names[position]] = value
            position += 1
    return bound


def _thread_args(start: ThreadStart) -> list[cst.Arg] | None:
    """``args=(a, b)`` of a ``Thread`` or ``Timer`` as arguments."""
    if not isinstance(start.args, (cst.Tuple, cst.List)):
        return [] if start.args is None else None
    values: list[cst.Arg] = []
    for element in start.args.elements:
        if isinstance(element, cst.StarredElement):
            return None
        values.append(cst.Arg(element.value))
    return values


def _repeats(items: cst.BaseExpression) -> bool:
    """``itertools.repeat(x)``: every task gets the same ``x``."""
    return (
        isinstance(items, cst.Call)
        and dotted_name(items.func) in ("repeat", "itertools.repeat")
        and len(items.args) >= 1
        and items.args[0].keyword is None
    )


def _class_of_name(
    value: cst.Name, scope: FunctionInfo, analysis: ModuleAnalysis
) -> ClassRef | None:
    """The class of the object a name holds where the threads are started: a local made
    by a class's constructor, or a parameter annotated with a class."""
    symbols = analysis.symbols
    if value.value in scope.params and value.value != scope.self_name:
        return annotated_class(scope, value.value, analysis.structure)
    cls = symbols.class_of_receiver(value, scope)
    if cls is not None:
        return cls
    key = symbols.key_of(value, scope)
    return symbols.imported_classes.get(key) if key is not None else None


def annotated_class(func: FunctionInfo, param: str, structure: ModuleStructure) -> ClassRef | None:
    """The class a parameter is annotated with (``device: Device``, ``Optional[Device]``,
    ``"Device"``, ``Device | None``): the module's class, or an imported one's real name."""
    node = func.node
    if not isinstance(node, cst.FunctionDef):
        return None
    params = node.params
    for p in (*params.posonly_params, *params.params, *params.kwonly_params):
        if p.name.value == param and p.annotation is not None:
            return _class_in(p.annotation.annotation, func, structure)
    return None


def _class_in(
    expr: cst.BaseExpression, func: FunctionInfo, structure: ModuleStructure
) -> ClassRef | None:
    if isinstance(expr, cst.SimpleString):
        text = expr.evaluated_value
        if not isinstance(text, str):
            return None
        try:
            parsed = cst.parse_expression(text)
        except cst.ParserSyntaxError:
            return None
        return _class_in(parsed, func, structure)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        sides = [expr.left, expr.right]
        kept = [s for s in sides if not (isinstance(s, cst.Name) and s.value == "None")]
        return _class_in(kept[0], func, structure) if len(kept) == 1 else None
    if isinstance(expr, cst.Subscript) and dotted_name(expr.value) in (
        "Optional",
        "typing.Optional",
    ):
        if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
            return _class_in(expr.slice[0].slice.value, func, structure)
        return None
    if isinstance(expr, cst.Name):
        cls = structure.class_named(expr.value, func)
        if cls is not None:
            return cls
    if isinstance(expr, (cst.Name, cst.Attribute)):
        qualified = structure.qualified_name(expr, func)
        if qualified is not None and "." in qualified and qualified.rsplit(".", 1)[1][:1].isupper():
            return qualified
    return None


def _followed(
    target: FunctionInfo, params: dict[str, ClassRef | None], analysis: ModuleAnalysis
) -> list[tuple[FunctionInfo, str, ClassRef]]:
    """The functions (the target and the module's functions it hands the object on to)
    and the parameter that holds the shared object in each, with its class."""
    result: list[tuple[FunctionInfo, str, ClassRef]] = []
    pending = [(target, param, handed) for param, handed in params.items()]
    seen: set[tuple[int, str]] = set()
    while pending:
        func, param, handed = pending.pop()
        if (id(func), param) in seen or len(seen) > 64:
            continue
        seen.add((id(func), param))
        cls = annotated_class(func, param, analysis.structure) or handed
        if cls is not None:
            result.append((func, param, cls))
        for site in analysis.regions.call_sites:
            if site.func is not func or site.implicit or not isinstance(site.call, cst.Call):
                continue
            callee = site.callee
            if not isinstance(callee.node, cst.FunctionDef):
                continue
            for name in callee.params:
                if name == callee.self_name or name in callee.assigned:
                    continue
                position = callee.params.index(name) - (1 if callee.self_name is not None else 0)
                value = argument(site.call, position, name)
                if isinstance(value, cst.Name) and value.value == param:
                    pending.append((callee, name, cls))
    return result


def _method_calls(func: FunctionInfo, param: str) -> list[cst.Call]:
    """``param.method(...)`` calls in ``func``'s own body (not in nested functions)."""
    if param in func.assigned:
        return []
    return [
        node
        for node in walk(func.node, skip=NOT_RUN)
        if isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and isinstance(node.func.value, cst.Name)
        and node.func.value.value == param
    ]


def _method_ref(cls: ClassRef, name: str, structure: ModuleStructure) -> FunctionInfo | str | None:
    if isinstance(cls, ClassInfo):
        return structure.method(cls, name)
    return f"{cls}.{name}"
