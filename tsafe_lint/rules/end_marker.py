"""TS411: a producer thread's end-of-queue marker that an exception skips, while a
consumer waits for it with ``get()`` and no timeout."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.reachability import target_functions
from tsafe_lint.analysis.scopes import ends_by_leaving, final_name, is_declaration
from tsafe_lint.analysis.tree import NOT_RUN, bare_call, inert, on_error_paths, walk
from tsafe_lint.rules.base import Finding, Rule, snippet
from tsafe_lint.rules.cannot_raise import catches_all
from tsafe_lint.rules.realistic_raise import realistically_cannot_raise

FAMILY = "threads"

_PUTS = frozenset({"put", "put_nowait"})


class EndMarkerSkipped(Rule):
    """Flags the end-of-queue marker (``q.put(None)``) a producer thread puts only when
    nothing before it raises, while a consumer waits for it with ``q.get()`` and no
    timeout.

    **What it does**

    Finds a function the module runs on a thread that puts a marker on a queue once (not
    in a loop, a handler or a ``finally:``): ``q.put(None)``, a module constant made by
    ``object()`` (``q.put(_DONE)``) or an instance of a marker class of the module, one
    that defines nothing (``q.put(_DummyItem())``); after statements that can fail in use
    (a listing, a download, a foreign call, in its block or the blocks around it), with
    no ``finally:`` or ``except`` handler that puts it too, and no ``try`` before it
    whose handlers, one catching everything, fall through to it; while a loop of the
    module takes items from a queue of the same name with ``get()`` and no timeout and
    leaves when it takes that marker (``if item is None: break``, ``if
    isinstance(item, _DummyItem): break``, or the ``else`` of ``if not
    isinstance(...)``). A marker put in a ``finally:``, code before it that cannot fail
    (stores, a log line), a consumer that waits with a timeout and a queue of another
    name are not reported.

    The producer may be nested in the consumer's function, sharing a local queue and a
    local marker (``sentinel = object()``): a generator that streams what its thread
    produces. Then only that function's loop is the consumer. A coroutine counts when
    the thread runs it to its end (``Thread(target=lambda: asyncio.run(_pump()))``),
    putting on a ``queue.Queue`` (edgevox's streaming speech synthesis, whose caller
    waits forever when the engine raises: sixty-sixth validation set's misses).

    **Why is this bad**

    When the producer raises, the thread dies with its traceback on stderr and the
    marker is never put: the consumer waits in ``get()`` forever, and the error never
    reaches the caller (s3fetch's listing thread, whose failure on bad credentials
    leaves the download loop waiting: fifty-second validation set's misses; multiflow's
    consumer wrapper, forty-ninth).

    **Example**

    ```python
    import queue
    import threading

    def produce(pages, out):
        for page in pages:
            out.put(fetch(page))      # raises: the marker is never put
        out.put(None)

    def download(pages):
        out = queue.Queue()
        threading.Thread(target=produce, args=(pages, out)).start()
        while True:
            item = out.get()          # waits forever
            if item is None:
                break
            save(item)
    ```

    **Use instead**

    ```python
    import queue
    import threading

    def produce(pages, out):
        try:
            for page in pages:
                out.put(fetch(page))
        except BaseException as exc:
            out.put(exc)              # hand the error over
        finally:
            out.put(None)
    ```

    **References**

    The talk's "Queue" slides; Python docs, ``queue.Queue.get`` ("If optional args
    block is true and timeout is None (the default), block if necessary until an item
    is available").
    """

    code = "TS411"
    name = "end-marker-skipped"
    summary = "a producer thread's end-of-queue marker that an exception skips"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        if "get" not in analysis.called or not (_PUTS & analysis.called):
            return
        sentinels = _sentinel_names(analysis)
        done: set[int] = set()
        for start in analysis.thread_starts:
            if start.in_process or start.target is None:
                continue
            for target in _producers(start.target, start.func, analysis):
                yield from self._check_producer(target, sentinels, done, analysis)

    def _check_producer(
        self, target: FunctionInfo, sentinels: set[str], done: set[int], analysis: ModuleAnalysis
    ) -> Iterator[Finding]:
        for put, queue, marker, failing in _skipped_markers(target, sentinels, analysis):
            if id(put) in done:
                continue
            wait = _consumer_wait(queue, marker, analysis, target)
            if wait is None:
                continue
            done.add(id(put))
            yield Finding(
                put,
                f"'{snippet(put)}' is put only when line {analysis.line_of(failing)} "
                f"does not raise: the thread running '{target.name}' then ends without "
                f"it, and '{snippet(wait)}' at line {analysis.line_of(wait)} waits for "
                "it forever; put it in a 'finally' (and hand the error to the consumer)",
            )


def _producers(
    target: cst.BaseExpression, scope: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[FunctionInfo]:
    """The module's functions a thread target runs: the function it names, or the one a
    lambda or ``partial`` calls; a coroutine function only through a call that runs it
    to its end on the thread (``lambda: asyncio.run(_pump())``, edgevox's streaming
    TTS, sixty-sixth set's misses)."""
    for func, _ in target_functions(target, scope, analysis.resolve_function, analysis.structure):
        if isinstance(func.node, cst.FunctionDef) and (
            not func.is_async or isinstance(target, cst.Lambda)
        ):
            yield func


def _sentinel_names(analysis: ModuleAnalysis) -> set[str]:
    """Names bound to ``object()`` (``_DONE = object()`` in the module, ``sentinel =
    object()`` in a function whose nested producer and its own loop share it), and the
    module's marker classes, as ``Name()``: classes whose body holds nothing but a
    docstring, ``pass`` and an ``__init__`` that does nothing (``_DummyItem()``)."""
    names: set[str] = set()
    module = analysis.structure.module_scope.node
    for statement in module.body if isinstance(module, cst.Module) else []:
        if isinstance(statement, cst.ClassDef) and _empty_class(statement):
            names.add(f"{statement.name.value}()")
    for node in walk(module):
        if (
            isinstance(node, cst.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and isinstance(node.value, cst.Call)
            and final_name(node.value.func) == "object"
            and not node.value.args
        ):
            names.add(node.targets[0].target.value)
    return names


def _empty_class(node: cst.ClassDef) -> bool:
    """Does the class define nothing (a docstring, ``pass``, an ``__init__`` that only
    holds those)?"""
    for statement in block(node.body):
        if isinstance(statement, cst.FunctionDef):
            if statement.name.value != "__init__" or not all(
                inert(inner) for inner in block(statement.body)
            ):
                return False
        elif not inert(statement):
            return False
    return True


def _marker(value: cst.BaseExpression, sentinels: set[str]) -> str | None:
    """``None``, a sentinel constant's name, or ``Cls()`` of a marker class."""
    if isinstance(value, cst.Name) and (value.value == "None" or value.value in sentinels):
        return value.value
    if isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Name):
        made = f"{value.func.value}()"
        return made if made in sentinels else None
    return None


def _marker_put(node: cst.CSTNode, sentinels: set[str]) -> tuple[cst.Call, str, str] | None:
    """``(the call, the queue's name, the marker)`` for ``q.put(marker)``."""
    call = bare_call(node)
    if (
        call is not None
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value in _PUTS
        and len(call.args) == 1
        and call.args[0].keyword is None
    ):
        marker = _marker(call.args[0].value, sentinels)
        queue = final_name(call.func.value)
        if marker is not None and queue is not None:
            return call, queue, marker
    return None


def _skipped_markers(
    func: FunctionInfo, sentinels: set[str], analysis: ModuleAnalysis
) -> Iterator[tuple[cst.Call, str, str, cst.BaseStatement]]:
    """``(the put, the queue's name, the marker, the first statement before it that can
    fail)`` for each marker ``func`` puts once (not in a loop, a handler or a
    ``finally:``) after statements of its own that can fail."""
    for node in walk(func.node, NOT_RUN):
        found = _marker_put(node, sentinels)
        if found is None:
            continue
        call, queue, marker = found
        assert isinstance(node, cst.BaseStatement)
        failing = _failing_before(node, func, analysis)
        if failing is not None and not _put_on_error_path(func, queue, marker):
            yield call, queue, marker, failing


def _failing_before(
    statement: cst.BaseStatement, func: FunctionInfo, analysis: ModuleAnalysis
) -> cst.BaseStatement | None:
    """The first statement run before ``statement`` in ``func`` (in its block and the
    blocks around it) that can fail in use; None when there is none, or when
    ``statement`` runs in a loop, a handler or a ``finally:``."""
    earlier: list[list[cst.BaseStatement]] = []
    node: cst.CSTNode = statement
    while node is not func.node:
        parent = analysis.parent_of(node)
        if parent is None or isinstance(
            parent, (cst.For, cst.While, cst.ExceptHandler, cst.Finally)
        ):
            return None
        if isinstance(parent, cst.IndentedBlock):
            body = list(parent.body)
            index = next((i for i, s in enumerate(body) if s is node), len(body))
            earlier.append(body[:index])
        node = parent
    for statements in reversed(earlier):
        for before in statements:
            if is_declaration(before) or isinstance(before, (cst.FunctionDef, cst.ClassDef)):
                continue
            if isinstance(before, cst.Try) and _falls_through(before, analysis, func):
                continue
            if not realistically_cannot_raise(before, analysis, func):
                return before
    return None


def _falls_through(statement: cst.Try, analysis: ModuleAnalysis, func: FunctionInfo) -> bool:
    """A ``try`` one of whose handlers catches everything, each handler going on to what
    follows (none leaves, and none can fail)."""
    if not any(catches_all(handler.type) for handler in statement.handlers):
        return False
    return all(
        not ends_by_leaving(handler.body)
        and all(realistically_cannot_raise(inner, analysis, func) for inner in block(handler.body))
        for handler in statement.handlers
    )


def _put_on_error_path(func: FunctionInfo, queue: str, marker: str) -> bool:
    """Does a ``finally:`` or an ``except`` handler of ``func`` put the marker too?"""
    return any(
        isinstance(inner, cst.Call)
        and isinstance(inner.func, cst.Attribute)
        and inner.func.attr.value in _PUTS
        and final_name(inner.func.value) == queue
        and bool(inner.args)
        and _marker(inner.args[0].value, {marker}) == marker
        for inner in on_error_paths(func.node)
    )


def _consumer_wait(
    queue: str, marker: str, analysis: ModuleAnalysis, producer: FunctionInfo
) -> cst.Call | None:
    """A ``get()`` with no timeout on a queue named ``queue``, in a ``while`` loop that
    leaves when the item taken is ``marker``: in the functions the producer is nested
    in first, and only there when the queue is a local of theirs."""
    enclosing: list[FunctionInfo] = []
    outer = producer.parent
    while outer is not None and not outer.is_module:
        enclosing.append(outer)
        outer = outer.parent
    if any(func.is_local(queue) for func in enclosing):
        others = []  # the enclosing function's own queue: only it can wait for it
    else:
        others = [f for f in analysis.structure.functions if f not in enclosing]
    for func in enclosing + others:
        for loop in walk(func.node, NOT_RUN):
            if not isinstance(loop, cst.While):
                continue
            for statement in block(loop.body):
                taken = _taken(statement, queue)
                if taken is None:
                    continue
                item, call = taken
                if _leaves_on(loop, item, marker):
                    return call
    return None


def _taken(statement: cst.BaseStatement, queue: str) -> tuple[str, cst.Call] | None:
    """``item = queue.get()`` (no timeout, blocking): the item's name and the call."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and isinstance(small.value, cst.Call)
        and isinstance(small.value.func, cst.Attribute)
        and small.value.func.attr.value == "get"
        and final_name(small.value.func.value) == queue
    ):
        return None
    for arg in small.value.args:
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "block" or (keyword is None and arg is small.value.args[0]):
            if not (isinstance(arg.value, cst.Name) and arg.value.value == "True"):
                return None
        elif keyword == "timeout":
            if not (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
                return None
        else:
            return None
    return small.targets[0].target.value, small.value


def _leaves_on(loop: cst.While, item: str, marker: str) -> bool:
    """Does the loop leave (``break`` or ``return``) when the item taken is ``marker``:
    under ``if item is marker:``, ``if isinstance(item, Marker):`` or the ``else`` of
    ``if not isinstance(item, Marker):``?"""
    for node in walk(loop.body, NOT_RUN):
        if not isinstance(node, cst.If):
            continue
        test = node.test
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        tested = test.expression if isinstance(test, cst.UnaryOperation) else test
        if not _tests_marker(tested, item, marker):
            continue
        if not negated and ends_by_leaving(node.body, (cst.Break, cst.Return)):
            return True
        orelse = node.orelse
        if (
            negated
            and isinstance(orelse, cst.Else)
            and ends_by_leaving(orelse.body, (cst.Break, cst.Return))
        ):
            return True
    return False


def _tests_marker(test: cst.BaseExpression, item: str, marker: str) -> bool:
    """``item is marker`` / ``item == marker``, or ``isinstance(item, Marker)`` for a
    marker class."""
    if marker.endswith("()"):
        return (
            isinstance(test, cst.Call)
            and final_name(test.func) == "isinstance"
            and len(test.args) == 2
            and isinstance(test.args[0].value, cst.Name)
            and test.args[0].value.value == item
            and isinstance(test.args[1].value, cst.Name)
            and f"{test.args[1].value.value}()" == marker
        )
    return (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, (cst.Is, cst.Equal))
        and isinstance(test.left, cst.Name)
        and test.left.value == item
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == marker
    )


RULES: list[type[Rule]] = [EndMarkerSkipped]
