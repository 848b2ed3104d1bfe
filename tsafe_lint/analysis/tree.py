"""Fast, read-only traversal of LibCST trees, and positions computed only where needed.

LibCST's ``CSTVisitor`` and ``CSTNode.children`` rebuild every node they pass through
(its visitors are transformers underneath); its ``PositionProvider`` records a range
for every node. Both cost several times the parse itself. A linter only reads the tree
and needs the positions of the handful of nodes it reports, so these helpers read the
dataclass fields directly and run one code generation that records only the nodes asked
for (measured on the standard library: about 4x faster traversal, 10x faster positions).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from typing import Any, TypeVar

import libcst as cst
from libcst._nodes.internal import CodegenState

#: Fields that only ever hold whitespace and punctuation: nothing the analysis reads.
_TRIVIA = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "colon",
        "dot",
        "equal",
        "star_tok",
        "leading_lines",
        "lines_after_decorators",
        "trailing_whitespace",
        "header",
        "footer",
        "newline",
        "indent",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "whitespace_before_colon",
        "whitespace_after_colon",
        "whitespace_before",
        "whitespace_after",
        "whitespace_after_arg",
        "whitespace_before_args",
        "whitespace_after_func",
        "whitespace_after_star",
        "whitespace_after_param",
        "whitespace_before_params",
        "whitespace_after_def",
        "whitespace_after_class",
        "whitespace_after_name",
        "whitespace_before_name",
        "whitespace_after_as",
        "whitespace_before_as",
        "whitespace_after_at",
        "whitespace_after_import",
        "whitespace_after_from",
        "whitespace_before_import",
        "whitespace_after_global",
        "whitespace_after_nonlocal",
        "whitespace_after_return",
        "whitespace_after_del",
        "whitespace_after_assert",
        "whitespace_after_raise",
        "whitespace_after_for",
        "whitespace_before_in",
        "whitespace_after_in",
        "whitespace_after_if",
        "whitespace_before_if",
        "whitespace_after_else",
        "whitespace_before_else",
        "whitespace_after_while",
        "whitespace_after_with",
        "whitespace_after_except",
        "whitespace_after_lambda",
        "whitespace_after_await",
        "whitespace_after_yield",
        "whitespace_after_match",
        "whitespace_after_case",
        "whitespace_before_from",
        "whitespace_before_expression",
        "whitespace_before_walrus",
        "whitespace_after_walrus",
        "whitespace_after_async",
        "whitespace_before_value",
        "whitespace_after_value",
        "whitespace_after_test",
        "whitespace_after_cause",
    }
)

_FIELDS: dict[type, tuple[str, ...]] = {}
_IS_NODE: dict[type, bool] = {}


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in _TRIVIA)
        if "decorators" in names:  # declared after the name, written before it
            names = ("decorators", *(n for n in names if n != "decorators"))
        _FIELDS[cls] = names
    return names


def _is_node(cls: type) -> bool:
    known = _IS_NODE.get(cls)
    if known is None:
        known = _IS_NODE[cls] = issubclass(cls, cst.CSTNode)
    return known


#: ``children`` of the nodes seen since the last ``forget_children``, by ``id``; each
#: entry keeps its node alive, so that an ``id`` is never reused while it is cached.
_CHILDREN: dict[int, tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = {}


def forget_children() -> None:
    """Drop the cache of ``children`` (before the next module: memory stays per module)."""
    _CHILDREN.clear()


def children(node: cst.CSTNode) -> tuple[cst.CSTNode, ...]:
    """The direct children of ``node`` that carry code (whitespace and punctuation left
    out), in field (source) order, without rebuilding anything. A tree is walked many
    times by the analyses: each node's children are found once."""
    entry = _CHILDREN.get(id(node))
    if entry is not None and entry[0] is node:
        return entry[1]
    found: list[cst.CSTNode] = []
    for name in _fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind is list or kind is tuple:
            for item in value:
                if _is_node(type(item)):
                    found.append(item)
        elif _is_node(kind):
            found.append(value)
    result = tuple(found)
    _CHILDREN[id(node)] = (node, result)
    return result


#: The names that are constants, not variables.
CONSTANT_NAMES = frozenset({"True", "False", "None"})

#: Definitions: their code does not run where they stand (skip them to walk only what a
#: function's own code runs).
NOT_RUN: tuple[type[cst.CSTNode], ...] = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
#: the nodes of a function's own scope: nested ``def``s and classes are scopes of their own
OWN_SCOPE: tuple[type[cst.CSTNode], ...] = (cst.FunctionDef, cst.ClassDef)


def walk(node: cst.CSTNode, skip: tuple[type[cst.CSTNode], ...] = ()) -> Iterator[cst.CSTNode]:
    """Pre-order traversal of ``node`` and its descendants, not entering ``skip`` types
    (the root itself is always yielded and entered)."""
    stack = [node]
    root = True
    exact = _exact_types(skip) if skip else None
    while stack:
        current = stack.pop()
        yield current
        if (
            not root
            and skip
            and (type(current) in exact if exact is not None else isinstance(current, skip))
        ):
            continue
        root = False
        stack.extend(reversed(children(current)))


#: ``skip`` tuples of classes no class derives from, as sets: ``type(node) in`` them
#: answers what ``isinstance`` does, without the abstract base classes' slow
#: ``__instancecheck__`` (LibCST's nodes are ABCs; a walk asks once per node)
_EXACT: dict[tuple[type, ...], frozenset[type] | None] = {}


def _exact_types(skip: tuple[type, ...]) -> frozenset[type] | None:
    if skip not in _EXACT:
        leaves = all(not cls.__subclasses__() for cls in skip)
        _EXACT[skip] = frozenset(skip) if leaves else None
    return _EXACT[skip]


def inert(statement: cst.BaseStatement) -> bool:
    """``pass`` or a docstring: a statement that does nothing."""
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Pass)
        or (isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString))
        for small in statement.body
    )


def on_error_paths(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes of ``node``'s own code that run when something raises: every node of
    its ``except`` handlers and ``finally:`` blocks (a stop, a ``set()``, a marker put
    there reaches the other thread whatever happened)."""
    for inner in walk(node, NOT_RUN):
        if isinstance(inner, (cst.Try, cst.TryStar)):
            parts: list[cst.CSTNode] = [*inner.handlers]
            if inner.finalbody is not None:
                parts.append(inner.finalbody)
            for part in parts:
                yield from walk(part, NOT_RUN)


def assignment_targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """What an ``=``, ``+=`` or annotated assignment stores into (each ``a`` and ``b`` of
    ``a = b = v``); nothing for any other node."""
    if isinstance(node, cst.Assign):
        return [target.target for target in node.targets]
    if isinstance(node, (cst.AugAssign, cst.AnnAssign)):
        return [node.target]
    return []


def names_bound_by(node: cst.CSTNode) -> set[str]:
    """The names ``node`` itself binds, not its nested statements' (over-approximated:
    every ``Name`` in an assignment, loop, ``with`` or ``except`` target, a ``case``
    capture, an import, ``global``, ``nonlocal`` or ``del``)."""
    targets: list[cst.CSTNode] = []
    if isinstance(node, _TARGETED):
        targets = [node.target]
    elif isinstance(node, cst.WithItem) and node.asname is not None:
        targets = [node.asname.name]
    elif isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)) and node.name is not None:
        targets = [node.name.name]
    elif isinstance(node, (cst.MatchAs, cst.MatchStar)) and node.name is not None:
        targets = [node.name]  # ``case Point() as p``, ``case [first, *rest]``
    elif isinstance(node, cst.MatchMapping) and node.rest is not None:
        targets = [node.rest]  # ``case {"k": v, **rest}``
    elif isinstance(node, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal)):
        targets = [node]
    return {n.value for target in targets for n in walk(target) if isinstance(n, cst.Name)}


def variable_names(node: cst.CSTNode) -> Iterator[cst.Name]:
    """The ``Name`` nodes under ``node`` that name a variable: not the ``attr`` of
    ``x.attr`` nor the keyword of ``f(key=value)`` (``service.name`` reads ``service``,
    not a variable ``name``)."""
    labels: set[int] = set()
    for inner in walk(node):
        if isinstance(inner, cst.Attribute):
            labels.add(id(inner.attr))
        elif isinstance(inner, cst.Arg) and inner.keyword is not None:
            labels.add(id(inner.keyword))
        elif isinstance(inner, cst.Name) and id(inner) not in labels:
            yield inner


def single_bindings(function: cst.FunctionDef) -> dict[str, cst.CSTNode]:
    """The names ``function``'s own code binds exactly once, each with the node that
    binds it (an ``AssignTarget``, a ``For``...); its parameters and the names nested
    functions and classes bind are not counted (a parameter bound again is still
    counted once: callers bind it too, so leave those out with ``FunctionInfo.params``)."""
    seen: dict[str, cst.CSTNode | None] = {}
    for node in walk(function.body, skip=NOT_RUN):
        for name in names_bound_by(node):
            seen[name] = node if name not in seen else None
    return {name: node for name, node in seen.items() if node is not None}


#: Nodes that bind the names of their ``target``.
_TARGETED = (
    cst.AssignTarget,
    cst.AugAssign,
    cst.AnnAssign,
    cst.Del,
    cst.For,
    cst.CompFor,
    cst.NamedExpr,
)


def contains(tree: cst.CSTNode, target: cst.CSTNode) -> bool:
    """Is ``target`` (by identity) inside ``tree``?"""
    return any(node is target for node in walk(tree))


def stored_constant(statement: cst.CSTNode, value: str) -> cst.BaseExpression | None:
    """The target when ``statement`` is exactly ``<target> = <value>`` on a line of its
    own, ``value`` a name such as ``True``, ``False`` or ``None`` (``self.busy = True``)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.value, cst.Name)
        and small.value.value == value
    ):
        return None
    return small.targets[0].target


def bare_call(statement: cst.CSTNode | None) -> cst.Call | None:
    """The call when ``statement`` is a call on a line of its own (``f()``, ``x.m(a)``)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        return small.value
    return None


def lone_assign(statement: cst.CSTNode | None) -> cst.Assign | None:
    """The assignment when ``statement`` is one ``target = value`` with a single target
    on a line of its own."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return small
    return None


def bare_method_call(statement: cst.CSTNode | None, method: str) -> cst.BaseExpression | None:
    """The receiver when ``statement`` is exactly ``receiver.method()`` on a line of its
    own, with no arguments (``lock.release()``, ``ready.set()``); else ``None``."""
    call = bare_call(statement)
    if call is None or call.args:
        return None
    callee = call.func
    if not isinstance(callee, cst.Attribute) or callee.attr.value != method:
        return None
    return callee.value


def conjuncts(test: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The operands of an ``and`` chain (``a and b and c``); the test itself otherwise."""
    return _operands(test, cst.And)


def disjuncts(test: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The operands of an ``or`` chain (``a or b or c``); the test itself otherwise."""
    return _operands(test, cst.Or)


def _operands(
    test: cst.BaseExpression, operator: type[cst.BaseBooleanOp]
) -> Iterator[cst.BaseExpression]:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, operator):
        yield from _operands(test.left, operator)
        yield from _operands(test.right, operator)
    else:
        yield test


class _AllFound(Exception):
    """Every target has its span: the rest of the module's code is not needed."""


class _TargetedState(CodegenState):
    """Code generation that remembers token offsets of selected nodes only, and stops
    once it has them all (the code after the last one costs as much as the rest).

    Its hooks run for every node of the module: they test membership by ``id`` (a
    node's own ``__hash__`` is Python code) and skip the context manager's generator
    for the nodes that are not wanted."""

    def __init__(self, module: cst.Module, targets: set[cst.CSTNode]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.targets = targets
        self._wanted = {id(node) for node in targets}
        self.spans: dict[cst.CSTNode, tuple[int, int]] = {}
        self.hoisted: dict[cst.CSTNode, tuple[cst.CSTNode | None, cst.CSTNode | None]] = {}
        self.syntactic: set[cst.CSTNode] = set()
        self._open: dict[int, int] = {}

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self._wanted:
            self._open[id(node)] = len(self.tokens)

    def after_codegen(self, node: cst.CSTNode) -> None:
        if not self._open:
            return
        start = self._open.pop(id(node), None)
        if start is not None and node not in self.syntactic:
            self.spans[node] = (start, len(self.tokens))
        if start is not None and not self._open and len(self.spans) == len(self.targets):
            raise _AllFound  # a parsed tree holds each node once: no span can change

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> AbstractContextManager[None]:
        if id(node) not in self._wanted:
            return _NOTHING
        return self._record(node, start_node, end_node)

    @contextmanager
    def _record(
        self,
        node: cst.CSTNode,
        start_node: cst.CSTNode | None,
        end_node: cst.CSTNode | None,
    ) -> Iterator[None]:
        if start_node is not None or end_node is not None:
            self.hoisted[node] = (start_node, end_node)
            for extra in (start_node, end_node):
                if extra is not None:
                    self.targets.add(extra)
                    self._wanted.add(id(extra))
        start = len(self.tokens)
        try:
            yield
        finally:
            self.syntactic.add(node)
            self.spans[node] = (start, len(self.tokens))


#: The context of a node whose position is not wanted (most of them): nothing to do.
_NOTHING: AbstractContextManager[None] = nullcontext()


_NEWLINES = ("\n", "\r\n", "\r")


def _trailing(token: str) -> bool:
    """Newlines, trailing spaces and the comment ending a statement's last line."""
    return token in _NEWLINES or not token.strip() or token.lstrip().startswith("#")


@dataclasses.dataclass(frozen=True)
class Span:
    """1-based lines, 1-based columns (flake8 style); end column is exclusive + 1."""

    line: int
    col: int
    end_line: int
    end_col: int


def positions(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, Span]:
    """Syntactic positions (as LibCST's PositionProvider gives them) of ``nodes``."""
    targets = set(nodes)
    if not targets:
        return {}
    state = _TargetedState(module, set(targets))
    with suppress(_AllFound):
        module._codegen(state)
    tokens: list[Any] = state.tokens
    for node, (start, end) in list(state.spans.items()):
        # A compound statement's code ends with its last line's newline; its range
        # ends before it (as LibCST's PositionProvider has it).
        if node in state.syntactic and end > start and tokens[end - 1] in _NEWLINES:
            while end > start and _trailing(tokens[end - 1]):
                end -= 1
        state.spans[node] = (start, end)
    offsets: dict[int, tuple[int, int]] = {}
    wanted = sorted({i for span in state.spans.values() for i in span})
    line, col, cursor = 1, 0, 0
    for index in wanted:
        while cursor < index:
            token = tokens[cursor]
            newlines = token.count("\n") + token.count("\r") - token.count("\r\n")
            if newlines:
                line += newlines
                col = len(token) - max(token.rfind("\n"), token.rfind("\r")) - 1
            else:
                col += len(token)
            cursor += 1
        offsets[index] = (line, col)
    result: dict[cst.CSTNode, Span] = {}
    for node in targets:
        span = state.spans.get(node)
        if span is None:
            continue
        start_node, end_node = state.hoisted.get(node, (None, None))
        first = state.spans.get(start_node, span) if start_node is not None else span
        last = state.spans.get(end_node, span) if end_node is not None else span
        (line0, col0), (line1, col1) = offsets[first[0]], offsets[last[1]]
        result[node] = Span(line0, col0 + 1, line1, col1 + 1)
    return result


class FastVisitor:
    """A read-only visitor with LibCST's ``visit_X``/``leave_X`` conventions.

    ``visit_X`` returning ``False`` skips the node's children. Unlike
    ``CSTNode.visit``, nothing is rebuilt on the way.
    """

    _dispatch: dict[type[cst.CSTNode], tuple[Any, Any]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls._dispatch = {}

    def run(self, node: cst.CSTNode) -> None:
        """Visit ``node`` and its descendants (iteratively: deep code needs no deep stack)."""
        stack: list[tuple[cst.CSTNode, bool]] = [(node, False)]
        dispatch = self._dispatch
        while stack:
            current, leaving = stack.pop()
            kind = type(current)
            hooks = dispatch.get(kind)
            if hooks is None:
                name = kind.__name__
                hooks = (
                    getattr(type(self), f"visit_{name}", None),
                    getattr(type(self), f"leave_{name}", None),
                )
                dispatch[kind] = hooks
            visit, leave = hooks
            if leaving:
                leave(self, current)
                continue
            if leave is not None:
                stack.append((current, True))
            if visit is None or visit(self, current) is not False:
                stack.extend((child, False) for child in reversed(children(current)))


#: LibCST's code generation and transformers recurse once per nesting level, and a long
#: ``elif`` or ``a + b + ...`` chain nests once per link: 500 links exceed Python's
#: default limit. From Python 3.11 such recursion does not use the C stack; before, each
#: level costs some, so the limit is raised less.
DEEP_RECURSION_LIMIT = 30_000 if sys.version_info >= (3, 11) else 8_000


@contextmanager
def deeper_stack() -> Iterator[None]:
    """Run a recursive LibCST operation with a recursion limit that fits long chains."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, DEEP_RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


_Value = TypeVar("_Value")


def per_node(
    cache: dict[int, tuple[cst.CSTNode, _Value]],
    node: cst.CSTNode,
    compute: Callable[[], _Value],
    size: int = 8,
) -> _Value:
    """``compute()`` once per tree node (a module), kept in ``cache`` by the node's
    identity (the node is kept too, so a recycled id is not mistaken for it); a few
    entries only, since each keeps its tree alive."""
    hit = cache.get(id(node))
    if hit is None or hit[0] is not node:
        if len(cache) >= size:
            cache.clear()
        hit = (node, compute())
        cache[id(node)] = hit
    return hit[1]


def stored_targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """What ``node`` binds: assignment, augmented and annotated targets, loop (also a
    comprehension's) and ``with ... as`` targets, walrus targets, deletions (unpacked as
    well) and ``match`` captures."""
    targets: list[cst.BaseExpression]
    if isinstance(node, cst.Assign):
        targets = [target.target for target in node.targets]
    elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr)):
        targets = [node.target]
    elif isinstance(node, cst.AsName):
        targets = [node.name]
    elif isinstance(node, cst.Del):
        targets = [node.target]
    elif isinstance(node, (cst.MatchAs, cst.MatchStar)) and node.name is not None:
        targets = [node.name]
    elif isinstance(node, cst.MatchMapping) and node.rest is not None:
        targets = [node.rest]
    else:
        return []
    found: list[cst.BaseExpression] = []
    while targets:
        target = targets.pop()
        if isinstance(target, (cst.Tuple, cst.List)):
            targets.extend(element.value for element in target.elements)
        elif isinstance(target, cst.StarredElement):
            targets.append(target.value)
        else:
            found.append(target)
    return found
