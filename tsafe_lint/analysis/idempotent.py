"""Acts that are harmless to repeat: a check-then-act whose act only stores a pure value.

Two threads that both pass ``if k not in cache:`` both run the act. That is a race worth
reporting when the value they store has identity (a session, a thread, a lock, a socket,
``cls()``, a dict later filled in place): one of the two objects is lost, leaked, or seen by
some callers and not others. It is not when the act has no effect but the store and the
value is pure: a constant (both threads store the same one), a setting read from the
environment and made a bool, number or string, or a class built right there (``type(name,
bases, ns)``, a ``class`` statement), whose copies are equivalent, or a name the act imports
(``from m import breaker``, ``import requests``), the one object every thread gets: the last
store wins and nothing observes the difference. A logging call may go with the store (a
warn-once guard logs twice at worst), and so may a loop that logs each item of a local. A
change test that stores the local it compared (``if new != self.x: self.x = new``), an
attribute of a local, or a copy of either (``_reported = dict(snapshot.unreadable)``) races
no more than the store alone. A computed or fetched value (any other call) may be a new
object with identity, so it stays reported, except in a memo cache keyed by the function's
arguments whose value is plain data, or one stored together with the stamp it is
re-validated by (``memo.py``), in a lazy index built from state fixed since set-up
(``lazy_index.py``), and in a once-only value every reader takes at ``[0]`` of a module
list (``first_wins.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from tsafe_lint.analysis.accesses import writes_of
from tsafe_lint.analysis.first_wins import is_first_wins_act
from tsafe_lint.analysis.lazy_index import is_lazy_index_act
from tsafe_lint.analysis.log_aliases import is_log_method
from tsafe_lint.analysis.memo import (
    is_fetched_memo_act,
    is_memo_act,
    is_stamped_memo_act,
    read_outside,
)
from tsafe_lint.analysis.scopes import FunctionInfo, block
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable, means_builtin
from tsafe_lint.analysis.thread_keyed import membership_test
from tsafe_lint.analysis.throttles import is_throttle_act
from tsafe_lint.analysis.tree import CONSTANT_NAMES, NOT_RUN, names_bound_by, walk

#: Builtins that compute a value without side effects (and make no object with identity
#: that could escape the act, except ``type``'s class, which is the pure value itself).
_PURE_BUILTINS = frozenset(
    {"isinstance", "issubclass", "str", "repr", "len", "int", "float", "bool", "tuple",
     "frozenset", "hash", "id"}
)  # fmt: skip
#: Calls that build a class: ``type(name, bases, ns)``, ``types.new_class``, Python 2's
#: ``types.ClassType`` (often aliased to ``type``).
_CLASS_BUILDERS = frozenset({"type", "new_class", "ClassType"})
#: Reads of the process environment: no effect, and one answer for every thread.
_ENVIRONMENT_READS = frozenset({"os.getenv", "os.environ.get"})
#: String methods that only make a new string (of an environment read).
_TEXT_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "casefold"})
#: Builtins that turn such a string into an immutable value.
_CONVERSIONS = frozenset({"bool", "int", "float", "str"})
#: The nodes a setting read from the environment may be made of (with calls and names
#: checked apart).
_SETTING_PARTS = (
    cst.Comparison,
    cst.ComparisonTarget,
    cst.BaseCompOp,
    cst.BooleanOperation,
    cst.BaseBooleanOp,
    cst.UnaryOperation,
    cst.BaseUnaryOp,
    cst.IfExp,
    cst.Tuple,
    cst.List,
    cst.Set,
    cst.Element,
    cst.Arg,
    cst.Attribute,
    cst.Integer,
    cst.Float,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Comma,
    cst.Dot,
    cst.MaybeSentinel,
    cst.ParenthesizedWhitespace,
    cst.SimpleWhitespace,
    cst.Newline,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Comment,
)
#: Teardown methods that do nothing when called a second time on the same object.
_CLOSERS = frozenset({"close", "shutdown", "cancel", "stop", "terminate", "kill"})


def is_idempotent_act(
    act: Sequence[cst.BaseStatement],
    test: cst.BaseExpression,
    tested: frozenset[SymbolKey],
    func: FunctionInfo,
    symbols: SymbolTable,
) -> bool:
    """Is ``act`` (the body of ``if <test>:``, or what follows ``if <test>: return``) made
    only of stores of a constant, an environment setting or a class built in it into the
    state the test read (for an entry, the entry the test read: ``if k not in d: d[k] =
    ...``, not ``if len(d) < 10: d[k] = 0``, where two threads store two entries), with no
    other effect? Locals it binds must not be read after it (``created = True`` would carry
    the check's outcome out of it)."""
    if is_memo_act(act, test, func, symbols) or is_stamped_memo_act(act, test, func, symbols):
        return True
    if is_fetched_memo_act(act, test, func, symbols):
        return True  # a lookup whose answer is text or a number: ``memo.py``
    if is_throttle_act(act, test, tested, func, symbols):
        return True  # a repeat of the throttled action, once: ``throttles.py``
    if is_lazy_index_act(act, test, func, symbols):
        return True  # an equal index built twice: ``lazy_index.py``
    if is_first_wins_act(act, test, func, symbols):
        return True  # every reader takes the first append: ``first_wins.py``
    checker = _ActChecker(test, tested, func, symbols)
    if not checker.statements(act) or not checker.stored:
        return False
    return not read_outside(checker.locals, act, func)


class _ActChecker:
    def __init__(
        self,
        test: cst.BaseExpression,
        tested: frozenset[SymbolKey],
        func: FunctionInfo,
        symbols: SymbolTable,
    ):
        self.test = test
        self.tested = tested
        self.func = func
        self.symbols = symbols
        self.classes: set[str] = set()  # classes the act defines (or binds from a builder)
        self.locals: set[str] = set()  # locals the act binds
        self.imported: set[str] = set()  # names the act imports (``from m import x``)
        self.stored = False  # has it stored a pure value into the tested state?

    def statements(self, statements: Sequence[cst.BaseStatement]) -> bool:
        return all(self.statement(statement) for statement in statements)

    def statement(self, statement: cst.BaseStatement) -> bool:
        if isinstance(statement, cst.SimpleStatementLine):
            return all(self.small(small) for small in statement.body)
        if isinstance(statement, cst.If):
            if not self.expression(statement.test) or not self.statements(block(statement.body)):
                return False
            orelse = statement.orelse
            if isinstance(orelse, cst.If):
                return self.statement(orelse)
            return orelse is None or self.statements(block(orelse.body))
        if isinstance(statement, cst.ClassDef):
            return self.class_def(statement)
        if isinstance(statement, cst.Try):
            return self.close_and_clear(statement)
        if isinstance(statement, cst.For):
            return self.log_loop(statement)
        return False

    def log_loop(self, node: cst.For) -> bool:
        """``for name, problem in found.items(): log.warning(...)``: a log line for each
        item of a local (or of an attribute of one), which two threads past the test
        log twice at worst (runrail's report of unreadable secrets, eighty-first set:
        judged false)."""
        if node.orelse is not None or node.asynchronous is not None:
            return False
        view = node.iter
        if (
            isinstance(view, cst.Call)
            and not view.args
            and isinstance(view.func, cst.Attribute)
            and view.func.attr.value in ("items", "keys", "values")
        ):
            view = view.func.value
        if not _rooted_at_local(view, self.func):
            return False
        for name in walk(node.target):
            if isinstance(name, cst.Name):
                self.locals.add(name.value)
        return all(
            isinstance(statement, cst.SimpleStatementLine)
            and all(
                isinstance(small, cst.Pass) or self._log_line(small) for small in statement.body
            )
            for statement in block(node.body)
        )

    def close_and_clear(self, node: cst.Try) -> bool:
        """``try: self._sock.close() except Exception: pass finally: self._sock = None``:
        closing what the test read, every error swallowed, then clearing it. A second
        thread past the same test closes the same object again (a no-op for sockets,
        files, timers and pools) or calls ``close()`` on the ``None`` the first stored,
        whose ``AttributeError`` the handler swallows too; both end storing the same
        constant. Without the handler the second thread's ``AttributeError`` escapes,
        and that stays reported."""
        if node.orelse is not None or not node.handlers:
            return False
        if not all(_swallows_everything(handler) for handler in node.handlers):
            return False
        for statement in block(node.body):
            if not isinstance(statement, cst.SimpleStatementLine):
                return False
            for small in statement.body:
                if not (isinstance(small, cst.Expr) and self._closes_tested(small.value)):
                    return False
        return node.finalbody is None or self.statements(block(node.finalbody.body))

    def _closes_tested(self, expr: cst.BaseExpression) -> bool:
        if not (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value in _CLOSERS
            and all(self.expression(arg.value) for arg in expr.args)
        ):
            return False
        return self.symbols.key_of(expr.func.value, self.func) in self.tested

    def class_def(self, node: cst.ClassDef) -> bool:
        """An undecorated class whose body only defines functions and binds names to side
        effect free values: building it runs nothing else."""
        if node.decorators:
            return False
        if not all(self.expression(arg.value) for arg in (*node.bases, *node.keywords)):
            return False
        for inner in block(node.body):
            if isinstance(inner, cst.FunctionDef):
                continue
            if not isinstance(inner, cst.SimpleStatementLine):
                return False
            for small in inner.body:
                if isinstance(small, cst.Pass) or _is_docstring(small):
                    continue
                if not (
                    isinstance(small, cst.Assign)
                    and all(isinstance(t.target, cst.Name) for t in small.targets)
                    and self.expression(small.value)
                ):
                    return False
        self.classes.add(node.name.value)
        self.locals.add(node.name.value)
        return True

    def small(self, small: cst.BaseSmallStatement) -> bool:
        if isinstance(small, cst.Pass) or _is_docstring(small):
            return True
        if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            # ``from m import default_breaker``: the module is imported once, under the
            # import lock; every thread past the test gets the same objects
            for alias in small.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(bound, cst.Name):
                    self.imported.add(bound.value)
                    self.locals.add(bound.value)
            return True
        if isinstance(small, cst.Import):
            # ``import requests``: the one module object ``sys.modules`` holds (memplex's
            # HTTP library kept in an attribute, hundredth set: judged false)
            for module in small.names:
                name: cst.BaseExpression = (
                    module.asname.name if module.asname is not None else module.name
                )
                while isinstance(name, cst.Attribute):  # ``import a.b`` binds ``a``
                    name = name.value
                if isinstance(name, cst.Name):
                    self.imported.add(name.value)
                    self.locals.add(name.value)
            return True
        if self._log_line(small):
            return True  # ``if not _warned: _warned = True; log.warning(...)``: twice at worst
        if (
            self._empties_tested(small)
            or self._adds_tested_member(small)
            or self._removes_tested_member(small)
        ):
            self.stored = True
            return True
        if self._stores_change(small):
            return True
        if isinstance(small, cst.Return):
            value = small.value
            return value is None or (isinstance(value, cst.Name) and value.value in self.classes)
        if not isinstance(small, cst.Assign) or not self.expression(small.value):
            return False
        writes = writes_of(small, self.func, self.symbols)
        if writes:
            if len(writes) != len(small.targets) or any(w.key not in self.tested for w in writes):
                return False
            if not self._pure_value(small.value):
                return False
            if not all(self._tested_slot(target.target) for target in small.targets):
                return False
            self.stored = True
            return True
        for target in small.targets:
            node = target.target
            if isinstance(node, cst.Name) and self.func.is_local(node.value):
                self.locals.add(node.value)
                if self._builds_class(small.value):
                    self.classes.add(node.value)
            elif not (
                isinstance(node, cst.Attribute)
                and isinstance(node.value, cst.Name)
                and node.value.value in self.classes
            ):
                return False  # only the class the act built may be changed in place
        return True

    def _stores_change(self, small: cst.BaseSmallStatement) -> bool:
        """``if new != self.x: self.x = new`` (and ``self.other = new``): a change test
        whose act stores the local it compared. Two threads past the test both store
        their value, as two unguarded stores would; the test adds no harm (ftagent's
        blocklist and subnets refreshed from the server, sixty-fourth set: judged
        false). A call, a counter or any other effect in the act stays reported."""
        if not isinstance(small, cst.Assign):
            return False
        value = _copied(small.value)  # ``self.x = dict(new.items)``: a copy of ``new.items``
        if not _rooted_at_local(value, self.func):
            return False
        compared = [
            other
            for node in walk(self.test)
            if isinstance(node, cst.Comparison)
            and len(node.comparisons) == 1
            and isinstance(node.comparisons[0].operator, cst.NotEqual)
            for mine, other in (
                (node.left, node.comparisons[0].comparator),
                (node.comparisons[0].comparator, node.left),
            )
            if mine.deep_equals(value)
        ]
        if not compared:
            return False
        targets = [target.target for target in small.targets]
        if not all(isinstance(target, (cst.Attribute, cst.Name)) for target in targets):
            return False
        if any(target.deep_equals(other) for target in targets for other in compared):
            writes = writes_of(small, self.func, self.symbols)
            self.stored = self.stored or any(w.key in self.tested for w in writes)
        return True

    def _adds_tested_member(self, small: cst.BaseSmallStatement) -> bool:
        """``s.add(k)`` under ``if k not in s:``: adding the member the test found missing.
        Two threads past the test add the same member; a set holds it once (a warn-once
        guard, hil-testbench's logged errors, sixty-second set: judged false)."""
        if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
            return False
        call = small.value
        if not (
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "add"
            and len(call.args) == 1
            and call.args[0].keyword is None
            and not call.args[0].star
            and self.expression(call.args[0].value)
        ):
            return False
        return self._tested_member(call.func.value, call.args[0].value, missing=True)

    def _removes_tested_member(self, small: cst.BaseSmallStatement) -> bool:
        """``d.pop(k, None)`` (or ``s.discard(k)``) under ``if k in d:``: removing the
        member the test found, in a way that cannot fail when it is gone. Two threads past
        the test both remove it, which ends as one removal does (fwfii's connection
        cache, sixty-seventh set: judged false); a bare ``d.pop(k)`` or ``del d[k]``,
        which raises the second time, stays reported."""
        if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
            return False
        call = small.value
        if not isinstance(call.func, cst.Attribute) or any(
            arg.keyword is not None or arg.star for arg in call.args
        ):
            return False
        method = call.func.attr.value
        if not (
            (method == "pop" and len(call.args) == 2)
            or (method == "discard" and len(call.args) == 1)
        ):
            return False
        if not all(self.expression(arg.value) for arg in call.args):
            return False
        return self._tested_member(call.func.value, call.args[0].value, missing=False)

    def _tested_member(
        self, receiver: cst.BaseExpression, member: cst.BaseExpression, missing: bool
    ) -> bool:
        """Is ``receiver`` the tested state, and the test ``member not in receiver``
        (``missing``) or ``member in receiver``?"""
        if self.symbols.key_of(receiver, self.func) not in self.tested:
            return False
        return any(
            (tested := membership_test(node)) is not None
            and tested[2] is missing
            and tested[0].deep_equals(member)
            and tested[1].deep_equals(receiver)
            for node in walk(self.test)
        )

    def _log_line(self, small: cst.BaseSmallStatement) -> bool:
        """A logger's call (or ``warnings.warn``, a write to ``sys.stderr`` or
        ``sys.stdout``, the builtin ``print`` to either) whose arguments have no effect: a warn-once
        guard that two threads pass together logs twice and loses nothing (pyrtcao,
        thirty-fourth set; darkhunt-telemetry's ``warnings.warn`` once per key,
        seventy-eighth set; oragent's deprecation notice on stderr, eighty-fourth set:
        judged false)."""
        if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
            return False
        call = small.value
        warns = self.symbols.structure.qualified_name(call.func, self.func) in _WARNERS or (
            isinstance(call.func, cst.Name)
            and call.func.value == "print"
            and means_builtin("print", self.func)
            and self._prints_to_the_user(call)
        )
        return (is_log_method(call.func) or warns) and all(
            self.expression(arg.value) or _attribute_lookup(arg.value) for arg in call.args
        )

    def _prints_to_the_user(self, call: cst.Call) -> bool:
        """``print(...)`` to stdout, or with ``file=sys.stderr`` / ``sys.stdout``: not to a
        socket or a file, where a second line is a second message sent."""
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "file":
                where = arg.value
                if not isinstance(where, (cst.Name, cst.Attribute)):
                    return False
                qualified = self.symbols.structure.qualified_name(where, self.func)
                return qualified in ("sys.stderr", "sys.stdout")
        return True

    def _empties_tested(self, small: cst.BaseSmallStatement) -> bool:
        """``if len(cache) > 64: cache.clear()``: a size cap that empties the container
        the test measured. Two threads past the test both empty it, which ends as one clear
        does; an entry another thread stored in between is dropped, as the clear would
        have dropped it a moment later (videokidnapper's preview filter cache,
        thirty-fifth set: judged false)."""
        if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
            return False
        call = small.value
        if not (
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "clear"
            and not call.args
            and self.symbols.key_of(call.func.value, self.func) in self.tested
        ):
            return False
        cleared = call.func.value
        return any(  # the test measures it: ``len(cache)``
            isinstance(node, cst.Call)
            and _callee_name(node.func) == "len"
            and len(node.args) == 1
            and node.args[0].value.deep_equals(cleared)
            for node in walk(self.test)
        )

    def _tested_slot(self, target: cst.BaseExpression) -> bool:
        """A store into ``d[k]`` is into the slot the test read when the test reads that
        same entry (``k in d``, ``d[k]``, ``d.get(k)``); any other store target (an
        attribute, a global) is the tested state itself."""
        if not isinstance(target, cst.Subscript):
            return True
        if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
            return False
        key = target.slice[0].slice.value
        receiver = target.value
        for node in walk(self.test):
            if isinstance(node, cst.Subscript) and node.deep_equals(target):
                return True
            tested = membership_test(node)
            if (
                tested is not None
                and tested[0].deep_equals(key)
                and tested[1].deep_equals(receiver)
            ):
                return True
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value == "get"
                and node.func.value.deep_equals(receiver)
                and bool(node.args)
                and node.args[0].value.deep_equals(key)
            ):
                return True
        return False

    def _pure_value(self, value: cst.BaseExpression) -> bool:
        """A constant, a setting read from the environment, a class built in the act, or a
        name the act imports from another module (``from m import default_breaker`` then
        ``_breaker = default_breaker``): every thread stores that module's one object
        (havn's circuit breaker, eighty-seventh set: judged false)."""
        if self._builds_class(value):
            return True
        if self._environment_setting(value):
            return True
        if isinstance(value, cst.Name):
            return (
                value.value in CONSTANT_NAMES
                or value.value in self.classes
                or (value.value in self.imported and self._bound_only_by_import(value.value))
            )
        return _is_constant(value)

    def _environment_setting(self, value: cst.BaseExpression) -> bool:
        """A setting read from the process environment and turned into an immutable value
        (``os.environ.get("EVI_DEBUG", "").strip() not in ("", "0")``, ``int(os.getenv("N",
        "4"))``): every thread computes the same bool, number or string, so the last store
        wins and nothing observes the difference (evi-assistant's debug flag, ninety-fifth
        set: a TS103 and a TS101 judged false). Only environment reads, string methods of
        them, conversions, constants, comparisons (a list or set only as what ``in``
        tests) and boolean operators. A thread that changes the environment meanwhile may
        leave either value cached, as a locked cache would keep the first."""
        reads = 0
        names = {id(node.attr) for node in walk(value) if isinstance(node, cst.Attribute)}
        # a list or set only as what ``in`` tests against (``not in ("", "0")``): a value
        # with identity of its own (``or []``) would be one object per thread
        members = {
            id(target.comparator)
            for node in walk(value)
            if isinstance(node, cst.Comparison)
            for target in node.comparisons
            if isinstance(target.operator, (cst.In, cst.NotIn))
        }
        names |= {
            id(node.func)
            for node in walk(value)
            if isinstance(node, cst.Call) and self._converts(node)
        }
        for node in walk(value):
            if id(node) in names:
                continue  # ``get`` of ``os.environ.get``, ``int`` of ``int(...)``: no read
            if isinstance(node, cst.Call):
                if self._reads_environment(node):
                    reads += 1
                elif not (self._text_of_environment(node) or self._converts(node)):
                    return False
            elif isinstance(node, cst.Name):
                if node.value not in CONSTANT_NAMES and not self._names_os(node):
                    return False
            elif not isinstance(node, _SETTING_PARTS) or (
                isinstance(node, (cst.List, cst.Set)) and id(node) not in members
            ):
                return False
        return reads > 0

    def _reads_environment(self, call: cst.Call) -> bool:
        qualified = self.symbols.structure.qualified_name(call.func, self.func)
        return qualified in _ENVIRONMENT_READS and all(
            _is_constant(arg.value) and arg.keyword is None and not arg.star for arg in call.args
        )

    def _text_of_environment(self, call: cst.Call) -> bool:
        """``<environment read>.strip()``, ``.lower()`` and the like, with constant
        arguments (``.strip("/")``)."""
        callee = call.func
        if not isinstance(callee, cst.Attribute) or callee.attr.value not in _TEXT_METHODS:
            return False
        receiver = callee.value
        if not isinstance(receiver, cst.Call):
            return False
        if not (self._reads_environment(receiver) or self._text_of_environment(receiver)):
            return False
        return all(_is_constant(arg.value) and not arg.star for arg in call.args)

    def _converts(self, call: cst.Call) -> bool:
        return (
            isinstance(call.func, cst.Name)
            and call.func.value in _CONVERSIONS
            and means_builtin(call.func.value, self.func)
            and len(call.args) == 1
        )

    def _names_os(self, name: cst.Name) -> bool:
        """Is ``name`` the ``os`` module (or ``environ`` of it), as part of an environment
        read?"""
        qualified = self.symbols.structure.qualified_name(name, self.func) or ""
        return qualified in ("os", "os.environ", "os.getenv")

    def _bound_only_by_import(self, name: str) -> bool:
        """Is ``name`` bound in the function by one import only (never assigned, nor
        imported from two places on two paths)?"""
        binders = [node for node in walk(self.func.node, NOT_RUN) if name in names_bound_by(node)]
        return len(binders) == 1 and isinstance(binders[0], (cst.Import, cst.ImportFrom))

    def _builds_class(self, value: cst.BaseExpression) -> bool:
        return isinstance(value, cst.Call) and _callee_name(value.func) in _CLASS_BUILDERS

    def expression(self, expr: cst.BaseExpression) -> bool:
        """Side-effect free: names, attributes, literals, operators, subscripts, and calls
        of the pure builtins and the class builders only."""
        for node in walk(expr):
            if isinstance(node, cst.Call):
                if self._reads_environment(node) or self._text_of_environment(node):
                    continue  # ``os.environ.get("X", "").strip()``: no effect
                name = _callee_name(node.func)
                if name not in _PURE_BUILTINS and name not in _CLASS_BUILDERS:
                    return False
                if isinstance(node.func, cst.Name) and self.func.is_local(node.func.value):
                    return False
            elif isinstance(
                node,
                (cst.Lambda, cst.Yield, cst.Await, cst.NamedExpr, cst.ListComp, cst.SetComp,
                 cst.DictComp, cst.GeneratorExp),
            ):  # fmt: skip
                return False
        return True


#: Calls that only tell the user something, as a logger's do.
_WARNERS = frozenset({"warnings.warn", "sys.stderr.write", "sys.stdout.write"})

#: Builtins that copy a container: the copy equals what it copied.
_COPIERS = frozenset({"dict", "list", "set", "tuple", "frozenset"})


def _copied(value: cst.BaseExpression) -> cst.BaseExpression:
    """``E`` for ``dict(E)`` (or ``list``, ``set``, ``tuple``, ``frozenset`` of one
    positional argument), else ``value`` itself."""
    if (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value in _COPIERS
        and len(value.args) == 1
        and value.args[0].keyword is None
        and not value.args[0].star
    ):
        return value.args[0].value
    return value


def _rooted_at_local(expr: cst.BaseExpression, func: FunctionInfo) -> bool:
    """A local of ``func`` (``new``) or an attribute chain on one (``snapshot.unreadable``)."""
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return isinstance(expr, cst.Name) and func.is_local(expr.value)


def _swallows_everything(handler: cst.ExceptHandler) -> bool:
    """``except:``, ``except Exception:`` or ``except BaseException:`` whose body only
    passes or logs: nothing leaves the ``try``."""
    caught = handler.type
    if caught is not None and not (
        isinstance(caught, cst.Name) and caught.value in ("Exception", "BaseException")
    ):
        return False
    for statement in block(handler.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, cst.Pass):
                continue
            if not (
                isinstance(small, cst.Expr)
                and isinstance(small.value, cst.Call)
                and is_log_method(small.value.func)
            ):
                return False
    return True


def _callee_name(callee: cst.BaseExpression) -> str:
    if isinstance(callee, cst.Name):
        return callee.value
    if isinstance(callee, cst.Attribute) and callee.attr.value in ("new_class", "ClassType"):
        return callee.attr.value  # ``types.new_class``
    return ""


def _is_constant(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(value, cst.ConcatenatedString):
        return _is_constant(value.left) and _is_constant(value.right)
    if isinstance(value, cst.Name):
        return value.value in CONSTANT_NAMES
    if isinstance(value, cst.UnaryOperation):
        return _is_constant(value.expression)
    if isinstance(value, cst.Tuple):
        return all(_is_constant(element.value) for element in value.elements)
    return False


def _is_docstring(small: cst.BaseSmallStatement) -> bool:
    return isinstance(small, cst.Expr) and isinstance(
        small.value, (cst.SimpleString, cst.ConcatenatedString)
    )


def _attribute_lookup(expr: cst.BaseExpression) -> bool:
    """``getattr(field, "formula", "")``: a read of a named attribute with a default, as
    a log line's argument (it stores nothing, and a second log line is the worst)."""
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Name)
        and expr.func.value == "getattr"
        and len(expr.args) == 3
        and isinstance(expr.args[0].value, (cst.Name, cst.Attribute))
        and isinstance(expr.args[1].value, cst.SimpleString)
        and isinstance(expr.args[2].value, (cst.SimpleString, cst.Integer, cst.Name))
    )
