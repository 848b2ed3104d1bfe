"""TS412: a double-checked initialiser that stores the attribute its unlocked fast path
tests before the rest of what it sets up."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import LOCKLIKE, FunctionInfo, ModuleAnalysis, block
from tsafe_lint.analysis.none_tests import none_subject
from tsafe_lint.analysis.scopes import ends_by_leaving
from tsafe_lint.analysis.threads import own_attribute
from tsafe_lint.analysis.tree import NOT_RUN, walk
from tsafe_lint.rules.base import Finding, Rule

FAMILY = "locks"


class PublishedBeforeReady(Rule):
    """Flags a double-checked initialiser that stores the attribute its unlocked fast
    path tests before it sets up the other attributes the callers go on to use.

    **What it does**

    Finds a method that returns at once when ``self.x`` is set (``if self._url is not
    None: return self._url``), without the lock, and otherwise takes a lock, tests again
    and initialises: when, under the lock, it stores ``self.x`` before storing another
    attribute ``self.y`` that the class reads in its other methods, the store of
    ``self.x`` is reported. Storing ``self.x`` last, a fast path that tests the last
    attribute stored, and an initialiser with no unlocked fast path are not reported;
    nor is ``self.y`` read elsewhere only in a ``with`` of the initialiser's own lock,
    which waits until both stores are done.

    **Why is this bad**

    The unlocked fast path is what other threads run once ``self.x`` is set. Between
    the store of ``self.x`` and that of ``self.y`` (a client built, a connection opened:
    often the slow part), a second thread sees ``self.x``, skips the lock, returns, and
    uses ``self.y``, still ``None`` or missing: an ``AttributeError`` on first use under
    concurrency (surya-ocr's batch-service client publishes ``_base_url`` before it
    builds ``_http``: fifty-second validation set's misses).

    **Example**

    ```python
    import threading

    class Client:
        def __init__(self):
            self._lock = threading.Lock()
            self._url = None
            self._http = None

        def _ensure_started(self):
            if self._url is not None:
                return self._url
            with self._lock:
                if self._url is not None:
                    return self._url
                self._url = spawn_server()
                self._http = make_http_client(self._url)   # others already use it
                return self._url

        def infer(self, item):
            self._ensure_started()
            return self._http.post("/infer", json=item)
    ```

    **Use instead**

    Store the attribute the fast path tests last, once everything it stands for is set:

    ```python
            with self._lock:
                if self._url is not None:
                    return self._url
                url = spawn_server()
                self._http = make_http_client(url)
                self._url = url
                return url
    ```

    **References**

    "Double-checked locking" (the publication order); Python docs, ``threading.Lock``.
    """

    code = "TS412"
    name = "published-before-ready"
    summary = "double-checked initialiser stores the tested attribute before the rest"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for func in analysis.structure.functions:
            if func.cls is None or func.self_name != "self" or func.name == "__init__":
                continue
            if not isinstance(func.node, cst.FunctionDef):
                continue
            statements = list(block(func.node.body))
            for index, statement in enumerate(statements):
                tested = _fast_path(statement)
                if tested is None:
                    continue
                for later in statements[index + 1 :]:
                    locked = _locked_body(later, func, analysis)
                    if locked is None:
                        continue
                    lock, body = locked
                    found = _early_store(body, tested, lock, func, analysis)
                    if found is not None:
                        store, other = found
                        yield Finding(
                            store,
                            f"'self.{tested}' is stored here, before 'self.{other[0]}' "
                            f"(line {analysis.line_of(other[1])}): a thread on the unlocked "
                            f"fast path (line {analysis.line_of(statement)}) sees "
                            f"'self.{tested}' set, returns, and can use 'self.{other[0]}' "
                            "before it is set; store it last",
                        )
                    break
                break


def _own_attribute(expr: cst.BaseExpression) -> str | None:
    return own_attribute(expr, "self")  # the rule looks at methods whose self is ``self``


def _tested_set(test: cst.BaseExpression) -> str | None:
    """``x`` of ``self.x is not None`` or ``self.x``: a test that is true once it is set."""
    attr = _own_attribute(test)
    if attr is not None:
        return attr
    subject = none_subject(test)
    if subject is not None and subject[1]:  # ``is not None``
        return _own_attribute(subject[0])
    return None


def _fast_path(statement: cst.BaseStatement) -> str | None:
    """The attribute of ``if self.x is not None: return ...`` (no ``else``)."""
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return None
    if not ends_by_leaving(statement.body, (cst.Return,)):
        return None
    return _tested_set(statement.test)


def _locked_body(
    statement: cst.BaseStatement, func: FunctionInfo, analysis: ModuleAnalysis
) -> tuple[cst.BaseExpression, list[cst.BaseStatement]] | None:
    """The lock and the statements of ``with <lock>:``."""
    if not isinstance(statement, cst.With):
        return None
    for item in statement.items:
        if analysis.symbols.kind_of(item.item, func) in LOCKLIKE:
            return item.item, list(block(statement.body))
    return None


def _early_store(
    body: list[cst.BaseStatement],
    tested: str,
    lock: cst.BaseExpression,
    func: FunctionInfo,
    analysis: ModuleAnalysis,
) -> tuple[cst.CSTNode, tuple[str, cst.CSTNode]] | None:
    """Under the lock, after the re-check: the store of ``self.<tested>`` and the first
    later store of another attribute the class reads elsewhere without that lock."""
    statements = body
    for index, statement in enumerate(body):
        if _fast_path(statement) == tested:
            statements = body[index + 1 :]  # ``if self.x is not None: return``: re-checked
            break
        if isinstance(statement, cst.If) and _tests_unset(statement.test, tested):
            statements = list(block(statement.body))  # ``if self.x is None:`` around it
            break
    else:
        return None
    store: cst.CSTNode | None = None
    for statement in statements:
        for node in walk(statement, NOT_RUN):
            if not isinstance(node, cst.Assign) or len(node.targets) != 1:
                continue
            attr = _own_attribute(node.targets[0].target)
            if attr is None:
                continue
            if attr == tested and store is None:
                if isinstance(node.value, cst.Name) and node.value.value == "None":
                    return None
                store = node
            elif (
                store is not None and attr != tested and _read_elsewhere(attr, lock, func, analysis)
            ):
                return store, (attr, node)
    return None


def _tests_unset(test: cst.BaseExpression, tested: str) -> bool:
    """``self.x is None`` or ``not self.x``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _own_attribute(test.expression) == tested
    subject = none_subject(test)
    return subject is not None and not subject[1] and _own_attribute(subject[0]) == tested


def _read_elsewhere(
    attr: str, lock: cst.BaseExpression, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Does another method of the class (not ``__init__``) read ``self.<attr>`` outside a
    ``with`` of the initialiser's lock? A reader holding that lock waits until both stores
    are done (fastapi-injectable's shutdown reads the loop's thread under the lock that
    built it: seventy-fifth validation set, judged false)."""
    for other in analysis.structure.functions:
        if other is func or other.cls is not func.cls or other.name == "__init__":
            continue
        for node in walk(other.node, NOT_RUN):
            if isinstance(node, cst.Attribute) and _own_attribute(node) == attr:
                parent = analysis.parent_of(node)
                if isinstance(parent, cst.AssignTarget):
                    continue
                if _inside_with_of(node, lock, other, analysis):
                    continue
                return True
    return False


def _inside_with_of(
    node: cst.CSTNode, lock: cst.BaseExpression, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Is ``node`` in the body of a ``with`` of ``lock`` (spelled alike) in ``func``?"""
    current = analysis.parent_of(node)
    while current is not None and current is not func.node:
        if isinstance(current, cst.With) and any(
            item.item.deep_equals(lock) for item in current.items
        ):
            return True
        current = analysis.parent_of(current)
    return False


RULES: list[type[Rule]] = [PublishedBeforeReady]
