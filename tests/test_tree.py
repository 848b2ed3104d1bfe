"""The fast traversal and targeted positions agree with LibCST's own machinery."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from tsafe_lint.analysis.tree import FastVisitor, positions, walk

FIXTURES = sorted((Path(__file__).parent / "fixtures").rglob("*.py"))
TRICKY = '''\
# leading comment
import threading  # trailing comment
lock = threading.Lock()


@decorator(
    arg,
)
def f(a, *, b=(1,
               2)):
    """doc"""
    if a:  # comment after if
        with lock:
            x = [i for i in (a, b)]; y = {"k": (1)}
    else:
        pass
    # dangling comment
    return (
        a
    )


class C(Base, metaclass=M):
    def m(self):
        try:
            pass
        except (ValueError, TypeError) as exc:  # why
            raise
        finally:
            lock.release()
'''


def _sources() -> list[tuple[str, str]]:
    cases = [("tricky", TRICKY), ("crlf", TRICKY.replace("\n", "\r\n"))]
    cases += [(p.name, p.read_text("utf-8")) for p in FIXTURES[:12]]
    return cases


@pytest.mark.parametrize(("name", "source"), _sources(), ids=[n for n, _ in _sources()])
def test_positions_match_libcst_position_provider(name: str, source: str) -> None:
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = [node for node in walk(module) if node in expected]
    assert len(nodes) > 20
    got = positions(module, nodes)
    for node in nodes:
        ref = expected[node]
        span = got[node]
        assert (span.line, span.col, span.end_line, span.end_col) == (
            ref.start.line,
            ref.start.column + 1,
            ref.end.line,
            ref.end.column + 1,
        ), type(node).__name__


def test_positions_of_a_few_nodes_only() -> None:
    module = cst.parse_module(TRICKY)
    calls = [node for node in walk(module) if isinstance(node, cst.Call)]
    got = positions(module, calls[-1:])
    assert list(got) == calls[-1:]
    assert got[calls[-1]].line == 30  # lock.release()


def test_fast_visitor_sees_what_cst_visitor_sees() -> None:
    """Same nodes, parents before children (sibling order follows field order, which the
    analysis does not rely on)."""
    module = cst.parse_module(TRICKY)

    class Names(FastVisitor):
        def __init__(self) -> None:
            self.names: list[str] = []

        def visit_Name(self, node: cst.Name) -> None:
            self.names.append(node.value)

    class Reference(cst.CSTVisitor):
        def __init__(self) -> None:
            self.names: list[str] = []

        def visit_Name(self, node: cst.Name) -> None:
            self.names.append(node.value)

    fast, reference = Names(), Reference()
    fast.run(module)
    module.visit(reference)
    assert Counter(fast.names) == Counter(reference.names)
