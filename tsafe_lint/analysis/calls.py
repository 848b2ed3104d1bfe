"""The calls and name references of an expression, for the lock-region walk."""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.tree import FastVisitor, walk

#: methods of a lock that only tell whether it is held: handing one on hands nobody the
#: power to take or release it
_QUERIES = frozenset({"locked", "is_locked", "is_held", "owned", "is_owned"})


class CallScanner(FastVisitor):
    """The calls and name references of an expression, not entering lambdas or defs."""

    def __init__(self) -> None:
        self.calls: list[cst.Call] = []
        self.called: set[cst.BaseExpression] = set()
        self.receivers: set[cst.BaseExpression] = set()
        self.references: list[cst.BaseExpression] = []
        #: names whose object leaves as a value: bare names (not ``x.attr``, not
        #: targets), the ``x`` of a bound method handed on (``on_event(lock.release)``,
        #: not a query that cannot take or give back anything: ``guard=lock.is_held``)
        #: and names a lambda captures
        self.escapes: list[cst.Name] = []
        #: names that name no variable: the ``attr`` of ``x.attr``, the keyword of
        #: ``f(key=value)`` (``run.decide(day)`` and ``update(advance=1)`` refer to no
        #: function ``decide`` or ``advance`` of the module)
        self.labels: set[cst.Name] = set()
        self.in_comprehension: set[cst.Call] = set()
        self.subscripts: list[cst.Subscript] = []
        self.membership: list[tuple[cst.Comparison, cst.BaseExpression]] = []  # x in <this>
        self.iterated: list[cst.BaseExpression] = []  # ``for ... in <this>`` of comprehensions
        self.dotted: set[cst.BaseExpression] = set()  # the ``x`` of every ``x.attr``
        self._comprehension_depth = 0

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._comprehension_depth += 1

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._comprehension_depth -= 1

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._comprehension_depth += 1

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._comprehension_depth -= 1

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._comprehension_depth += 1

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._comprehension_depth -= 1

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._comprehension_depth += 1

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._comprehension_depth -= 1

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        params = {param.name.value for param in node.params.params}
        self.escapes.extend(
            name
            for name in walk(node.body)
            if isinstance(name, cst.Name) and name.value not in params
        )
        return False

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        # Implicit concatenation nests one level per piece (thousands in generated
        # files such as pydoc_data/topics.py); strings bind and call nothing we track.
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)
        self.called.add(node.func)
        if self._comprehension_depth:
            self.in_comprehension.add(node)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.iterated.append(node.iter)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.subscripts.append(node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        for target in node.comparisons:
            if isinstance(target.operator, (cst.In, cst.NotIn)):
                self.membership.append((node, target.comparator))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.receivers.add(node.target)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.labels.add(node.keyword)

    def visit_Name(self, node: cst.Name) -> None:
        if node not in self.called and node not in self.labels:
            self.references.append(node)
        if node not in self.receivers:
            self.escapes.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.dotted.add(node.value)
        self.receivers.add(node.value)
        self.receivers.add(node.attr)
        self.labels.add(node.attr)
        if node not in self.called:
            self.references.append(node)
            if (
                node not in self.receivers
                and isinstance(node.value, cst.Name)
                and node.attr.value not in _QUERIES
            ):
                self.escapes.append(node.value)  # a bound method (or attribute) as a value


def scan(node: cst.CSTNode) -> CallScanner:
    scanner = CallScanner()
    scanner.run(node)
    return scanner


def releases_in(suite: cst.BaseSuite | None) -> list[cst.Call]:
    """The ``x.release()`` calls anywhere in ``suite`` (not in nested defs)."""
    if suite is None:
        return []
    scanner = CallScanner()
    scanner.run(suite)
    return [
        call
        for call in scanner.calls
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "release"
    ]
