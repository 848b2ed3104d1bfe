"""Code that realistically fails: what TS201 and TS202 let stand between an ``acquire()``
and the ``try`` (or the ``release()``) that gives the lock back.

Reviewers of real code judge a lock leak real when something between the acquire and the
release can fail in use: an explicit ``raise``, I/O, a network call, a user's callback, a
foreign object's method, a parse of input. They judge it false when the code between only
moves data around (attribute and container stores, arithmetic, a ``notify()``, a log
line), even where a ``KeyError`` is possible in principle. ``cannot_raise`` proves the
stricter claim; this module adds the realistic one, and follows the module's own functions
and methods (a few calls deep) to see what they run.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, Kind, ModuleAnalysis, SymbolKey, block
from tsafe_lint.analysis.contexts import fresh_context
from tsafe_lint.analysis.entry_points import THREADING_MIXINS
from tsafe_lint.analysis.kinds import LOCKLIKE
from tsafe_lint.analysis.names import looks_like_lock
from tsafe_lint.analysis.reachability import call_makes_coroutine
from tsafe_lint.analysis.scopes import ClassInfo, ModuleStructure, final_name, parameter_annotation
from tsafe_lint.analysis.settings import is_setting
from tsafe_lint.analysis.symbols import means_builtin
from tsafe_lint.analysis.thread_keyed import indexed_by, membership_test
from tsafe_lint.analysis.toolkits import literal_arguments, own_widget
from tsafe_lint.analysis.tree import NOT_RUN, bare_method_call, per_node, walk
from tsafe_lint.module_names import is_package
from tsafe_lint.rules.cannot_raise import (
    _DIVISIONS,
    _changed_only_under,
    _nonzero_constant,
    _slot_names,
    cannot_raise,
    catches_all,
    catches_one_of,
    value_cannot_raise,
)
from tsafe_lint.rules.held_condition import held_by_own_with
from tsafe_lint.rules.narrowing_assert import narrows_ensured_state
from tsafe_lint.rules.safe_imports import import_cannot_fail
from tsafe_lint.rules.self_logging import bound_names, is_log_call, reads_unbound, swallows

#: The builtins' names (``len``, ``open``...).
_BUILTINS = frozenset(dir(builtins))
#: How many calls deep the module's own functions are followed; deeper means "may fail".
_DEPTH = 3
#: Statements that leave the lock held or hand control away: they always count.
#: ``asyncio.gather``, which with ``return_exceptions=True`` hands errors back as results.
_GATHERS = frozenset({"asyncio.gather", "asyncio.tasks.gather"})
_LEAVING = (cst.Raise, cst.Assert, cst.Yield, cst.Await)
#: Builtins that fail on ordinary input: files, parsing, dynamic code, exhausted iterators.
_FAILING_BUILTINS = frozenset(
    {
        "open",
        "input",
        "print",
        "exec",
        "eval",
        "compile",
        "__import__",
        "next",
        "int",
        "float",
        "complex",
    }
)
#: Of those, the conversions to a number: they parse a string, and only convert a number.
_NUMBER_CONVERSIONS = frozenset({"int", "float"})
#: Operators whose result is a number (``+`` and ``%`` also join and format strings).
_NUMERIC_OPERATORS = (cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Power)
#: Builtins that iterate their argument: a caller's iterable may run any code.
_ITERATING_BUILTINS = frozenset(
    {
        "dict",
        "list",
        "set",
        "tuple",
        "frozenset",
        "sorted",
        "iter",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "bytes",
        "bytearray",
        "enumerate",
        "reversed",
        "zip",
        "map",
        "filter",
    }
)
#: Modules whose functions report every failure as an ``OSError``.
_OS_MODULES = ("os.", "shutil.")
#: The names ``OSError`` goes by.
_OS_ERRORS = frozenset({"OSError", "IOError", "EnvironmentError"})
#: Standard-library calls that only read the clock, the thread or the process, copy, arm
#: a timer, make a future or store the thread's event loop; and numpy's allocations of an
#: array of a given shape.
_SAFE_QUALIFIED_PREFIXES = ("time.", "collections.", "itertools.", "functools.partial")
_SAFE_QUALIFIED = frozenset(
    {
        "threading.Thread",
        "threading.Timer",
        "threading.Event",
        "threading.Lock",
        "threading.RLock",
        "threading.Condition",
        "concurrent.futures.Future",
        "asyncio.Future",
        "asyncio.futures.Future",
        "asyncio.set_event_loop",
        "asyncio.events.set_event_loop",
        "numpy.empty",
        "numpy.zeros",
        "numpy.ones",
        "numpy.empty_like",
        "numpy.zeros_like",
        "numpy.ones_like",
        "queue.Queue",
        "queue.SimpleQueue",
        "timeit.default_timer",
        "signal.setitimer",
        "signal.getitimer",
        "signal.alarm",
        "threading.get_ident",
        "threading.get_native_id",
        "threading.current_thread",
        "threading.currentThread",
        "os.getpid",
        "copy.copy",
        "copy.deepcopy",
        "weakref.ref",
        "uuid.uuid4",
        "random.random",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "datetime.timedelta",
        # Django's housekeeping for a thread of its own: it closes the connections past
        # their age or broken, which does not fail in use (iotsploit's
        # campaign task, calling it before its ``try`` and in its ``finally``, ninety-first
        # set: TS401 judged false)
        "django.db.close_old_connections",
    }
)
#: Clock reads whose value the methods of ``_CLOCK_FORMATS`` turn into text or a number.
_CLOCK_READS = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
    }
)
_CLOCK_FORMATS = frozenset({"isoformat", "strftime", "timestamp"})
#: The state queries of an event, thread, lock or queue, and an event's ``set()``, taking
#: no argument: they read or raise a flag (``server._shut_down.is_set()``,
#: ``self.server.ready.set()``, where the object's kind is not known here).
_FLAG_METHODS = frozenset(
    {"is_set", "isSet", "is_alive", "isAlive", "locked", "empty", "qsize", "set"}
)
#: Methods of a dict, list, set, deque or str: data moved in memory; and the flag methods.
_DATA_METHODS = (
    frozenset(
        {
            "append",
            "appendleft",
            "extend",
            "extendleft",
            "insert",
            "pop",
            "popleft",
            "popitem",
            "setdefault",
            "discard",
            "clear",
            "copy",
            "keys",
            "values",
            "items",
            "sort",
            "reverse",
            "count",
            "lower",
            "upper",
            "strip",
            "lstrip",
            "rstrip",
            "split",
            "rsplit",
            "splitlines",
            "startswith",
            "endswith",
            "replace",
        }
    )
    | _FLAG_METHODS
)
#: Of those, the ones a container's version takes no argument of: ``source.copy(pos)``
#: is some other object's method.
_NO_ARGUMENT_METHODS = (
    frozenset(
        {
            "copy",
            "clear",
            "keys",
            "values",
            "items",
            "popleft",
            "popitem",
            "reverse",
            "lower",
            "upper",
        }
    )
    | _FLAG_METHODS
)
#: A socket's timeout setters: given a constant, they store it (and switch the descriptor's
#: blocking mode), which fails only on a socket already closed (omnipkg's client handler,
#: sixtieth set: judged false).
_TIMEOUT_SETTERS = frozenset({"settimeout", "setblocking"})
#: Their getters read back the stored number, closed socket or not (atmem's dashboard
#: handler saving ``self.connection.gettimeout()`` before its ``try``, eighty-eighth set:
#: judged false).
_TIMEOUT_GETTERS = frozenset({"gettimeout", "getblocking"})
#: What a threading server's ``process_request_thread`` calls outside its ``except
#: Exception`` (``handle_error`` is called in it), each standard one raising nothing.
_SERVER_REPORTING = ("handle_error", "shutdown_request", "close_request")
_SERVER_METHODS = ("process_request_thread", *_SERVER_REPORTING)
#: The standard library's server classes, whose ``process_request_thread`` (the threading
#: ones), ``handle_error``, ``shutdown_request`` and ``close_request`` raise nothing.
_STANDARD_SERVER_BASES = frozenset(
    {
        *THREADING_MIXINS,
        "socketserver.BaseServer",
        "socketserver.TCPServer",
        "socketserver.UDPServer",
        "socketserver.UnixStreamServer",
        "socketserver.UnixDatagramServer",
        "http.server.HTTPServer",
    }
)
#: A ``contextvars.ContextVar``'s methods: they read or set the current context's value
#: (``reset`` of a token from another context is a program error, not a failure in use).
_CONTEXT_VAR_METHODS = frozenset({"get", "set", "reset"})
#: Decorators that generate a class's ``__init__`` from its fields.
_RECORD_DECORATORS = frozenset({"dataclass", "dataclasses.dataclass", "attr.s", "attrs.define"})
#: Field factories a generated ``__init__`` may call: empty containers.
_PLAIN_FACTORIES = frozenset({"list", "dict", "set", "tuple", "frozenset"})
#: Of those, the ones a foreign object often has with another meaning (an HTTP
#: session's ``get``, a client's ``update``): they count only on a known container.
_CONTAINER_ONLY_METHODS = frozenset({"get", "update", "add", "remove", "index", "join", "format"})
#: Container constructors whose value a receiver may be bound to.
_CONTAINER_MAKERS = frozenset(
    {"dict", "list", "set", "bytearray", "deque", "OrderedDict", "defaultdict", "Counter"}
)
#: Methods of synchronisation objects that do not fail in use (``release`` and
#: ``acquire`` stop the walk instead: the caller looks for the release itself).
_SYNC_METHODS = {
    Kind.EVENT: frozenset({"set", "clear", "is_set", "isSet", "wait"}),
    Kind.QUEUE: frozenset({"put", "get", "qsize", "empty", "full", "task_done"}),
    Kind.FUTURE: frozenset({"done", "cancel", "cancelled", "running"}),
    # and ``join()``, unless the handle may still be None there (``_Walk.may_be_none``)
    Kind.THREAD: frozenset({"is_alive", "isAlive", "getName"}),
}
_CONDITION_METHODS = frozenset({"notify", "notify_all", "notifyAll", "wait", "wait_for"})
#: Methods that take or give back a lock: the walk stops there.
_LOCK_METHODS = frozenset({"acquire", "release", "__enter__", "__exit__"})
#: Locks of a known constructor, whose ``acquire()`` waits and never fails (one known
#: only by its use may be a file lock that times out).
_BUILT_LOCKS = LOCKLIKE - {Kind.ACQUIRABLE}


def realistically_cannot_raise(
    statement: cst.BaseStatement,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    lock: SymbolKey | None = None,
    returning_fails: bool = True,
) -> bool:
    """Can ``statement``, run with the lock held, not fail in use? Proven by
    ``cannot_raise``, or free of every realistic failure (``_Walk``). A ``return`` of
    the function leaves the lock held, a failure for TS201; ``returning_fails=False``
    asks only about exceptions (TS401: a task's guard clause ``if job is None:
    return`` leaves nothing in its Future)."""
    if cannot_raise(statement, analysis, func, lock=lock):
        return True
    return not _Walk(analysis, lock, returning_fails).statement_fails(statement, func)


#: Per module (by its tree's identity): for each class, the overrides of the server's
#: reporting methods among the classes linked to it by inheritance in the module, or None
#: when that family cannot be trusted (``_families``).
_FAMILIES: dict[int, tuple[cst.CSTNode, dict[str, list[FunctionInfo] | None]]] = {}


def _server_family(analysis: ModuleAnalysis, cls: ClassInfo) -> list[FunctionInfo] | None:
    """The module's overrides of ``handle_error``, ``shutdown_request`` and
    ``close_request`` that ``self`` may run in a method of ``cls``, or None when the
    standard ``process_request_thread`` may not be what runs (``_families``)."""
    structure = analysis.structure
    families = per_node(_FAMILIES, structure.module_scope.node, lambda: _families(structure))
    return families.get(cls.qualname)


def _families(structure: ModuleStructure) -> dict[str, list[FunctionInfo] | None]:
    """Per class: every class linked to it by inheritance in the module (a superset of
    its bases, its subclasses and theirs) is judged together. The family gets None when
    one of them derives from a class of another module that is not a standard server
    (it may override the methods), sets a server method as an attribute (``handle_error
    = reraise``, ``self.handle_error = f``) or defines ``process_request_thread``; every
    family gets None when the module sets a server method from outside a class body
    (``Server.handle_error = f``, ``setattr``) or decorates a class."""
    for node in walk(structure.module_scope.node):
        if isinstance(node, cst.ClassDef) and node.decorators:
            return {}
        if (
            isinstance(node, cst.AssignTarget)
            and isinstance(node.target, cst.Attribute)
            and node.target.attr.value in _SERVER_METHODS
            and not (isinstance(node.target.value, cst.Name) and node.target.value.value == "self")
        ):
            return {}
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value == "setattr"
        ):
            return {}
    parent = {name: name for name in structure.classes}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for name, info in structure.classes.items():
        for base_name in info.base_names:
            base = structure.classes.get(base_name)
            if base is not None:
                parent[root(base.qualname)] = root(name)
    groups: dict[str, list[ClassInfo]] = {}
    for name, info in structure.classes.items():
        groups.setdefault(root(name), []).append(info)
    verdicts: dict[str, list[FunctionInfo] | None] = {}
    for members in groups.values():
        trusted = all(
            _standard_bases(member, structure)
            and "process_request_thread" not in member.methods
            and not any(
                (name in member.body_names and name not in member.methods)
                or name in member.instance_names
                for name in _SERVER_METHODS
            )
            for member in members
        )
        overrides = [
            member.methods[name]
            for member in members
            for name in _SERVER_REPORTING
            if name in member.methods
        ]
        for member in members:
            verdicts[member.qualname] = overrides if trusted else None
    return verdicts


def _standard_bases(cls: ClassInfo, structure: ModuleStructure) -> bool:
    """Does ``cls`` name as bases only the module's own classes and the standard
    library's servers (``ThreadingMixIn``, ``HTTPServer``, ``object``)?"""
    scope = structure.module_scope
    for base in cls.node.bases:
        if base.keyword is not None:
            continue
        if structure.qualified_name(base.value, scope) in _STANDARD_SERVER_BASES:
            continue
        if isinstance(base.value, cst.Name) and (
            base.value.value == "object" or structure.class_named(base.value.value, scope)
        ):
            continue
        return False
    return True


def may_be_none(
    receiver: cst.BaseExpression, call: cst.Call, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """Is ``receiver`` of ``call`` bound to None somewhere in the module and not tested
    around the call (``self._pool = None`` in ``close()``, then ``self._pool.submit``:
    ``AttributeError``)?"""
    return _Walk(analysis, None).may_be_none(receiver, call, func)


def _returns(statement: cst.BaseStatement) -> bool:
    """``return`` or ``return value`` where the value is a name or a constant, or a
    ``break``/``continue`` out of the loop the acquire is in (the lock was given back
    just before)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, (cst.Break, cst.Continue)):
        return True
    return isinstance(small, cst.Return) and (
        small.value is None or isinstance(small.value, (cst.Name, cst.Integer, cst.SimpleString))
    )


def _leaves(statements: list[cst.BaseStatement]) -> bool:
    """Is the (last) statement a ``return`` or ``raise``?"""
    return (
        len(statements) == 1
        and isinstance(statements[0], cst.SimpleStatementLine)
        and isinstance(statements[0].body[-1], (cst.Return, cst.Raise))
    )


def value_realistically_cannot_raise(
    value: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """The same for an expression (an ``if`` test, a returned value)."""
    if value_cannot_raise(value, analysis, func):
        return True
    return not _Walk(analysis, None).fails(value, func, 0)


def function_cannot_fail(func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Can the module's own function not fail in use when called: every statement of its
    body free of every realistic failure (a ``try`` whose handler catches everything and
    does not raise covers its body; a ``return`` is fine here)? A task handed to a pool
    that cannot fail leaves nothing in its Future."""
    walk = _Walk(analysis, None)
    body = list(func.body())
    bound = set(func.params)
    for index, statement in enumerate(body):
        if isinstance(statement, cst.Try) and reads_unbound(statement, body[index + 1 :], bound):
            return False  # a name only the ``try`` binds, read after a handler that did not
        bound |= bound_names(statement)
    return not any(walk.fails(statement, func, 1) for statement in body)


class _Walk:
    """One question's walk, with the module's functions already judged."""

    def __init__(
        self, analysis: ModuleAnalysis, lock: SymbolKey | None, returning_fails: bool = True
    ) -> None:
        self.analysis = analysis
        self.lock = lock
        self.returning_fails = returning_fails
        self.judged: dict[FunctionInfo, bool] = {}

    def fails(self, node: cst.CSTNode, func: FunctionInfo, depth: int) -> bool:
        """Does ``node`` contain something that realistically fails, or leaves or
        releases the lock (a ``release()``, a ``return``, a ``break`` out of it)?"""
        nodes = list(_nodes(node, lambda statement: self._os_errors_caught(statement, func)))
        callees = {id(inner.func) for inner in nodes if isinstance(inner, cst.Call)}
        stored = {id(target) for inner in nodes for target in _stored(inner)}
        return any(
            self._fails_here(inner, func, depth)
            or (
                isinstance(inner, cst.Attribute)
                and id(inner) not in callees
                and self._attribute_fails(inner, id(inner) in stored, func, depth)
            )
            for inner in nodes
        )

    def _os_errors_caught(self, statement: cst.Try, func: FunctionInfo) -> bool:
        """A ``try`` whose body only calls the operating system (``os.unlink(path)``,
        ``shutil.rmtree(d)``) on plain arguments, with a handler for ``OSError``: those
        calls fail with an ``OSError`` and nothing else, which the handler takes (its own
        statements are judged as usual)."""
        if not any(catches_one_of(handler.type, _OS_ERRORS) for handler in statement.handlers):
            return False
        calls = 0
        for inner in walk(statement.body, NOT_RUN):
            if isinstance(inner, (cst.Subscript, cst.Await, cst.Yield, cst.Raise)):
                return False
            if isinstance(inner, cst.BaseCompoundStatement):
                return False
            if isinstance(inner, cst.Call):
                qualified = self.analysis.structure.qualified_name(inner.func, func) or ""
                if not qualified.startswith(_OS_MODULES):
                    return False
                calls += 1
        return calls > 0

    def _fails_here(self, node: cst.CSTNode, func: FunctionInfo, depth: int) -> bool:
        if isinstance(node, cst.Return):
            # a callee's return goes back to the locked code
            return depth == 0 and self.returning_fails
        if isinstance(node, cst.With):
            # ``with self._lock:`` waits for the lock, which is no failure, nor does
            # ``contextlib.suppress``; another context manager's ``__enter__`` and
            # ``__exit__`` may do anything
            if _suppressed(node) is not None:
                return False
            return not all(self._is_lock(item.item, func) for item in node.items)
        if isinstance(node, cst.Await) and self._gathers_errors(node.expression, func):
            return False  # the awaitables' errors come back as results
        if isinstance(node, cst.Assert) and narrows_ensured_state(node, func, self.analysis):
            return False  # ``assert self.handler is not None`` the module ensures
        if isinstance(node, _LEAVING):
            return True
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            analysis = self.analysis
            return not import_cannot_fail(  # ``safe_imports``
                node,
                analysis.name,
                is_package(analysis.path),
                frozenset(analysis.context.safe_imports),
            )
        if isinstance(node, (cst.Break, cst.Continue)):
            return True  # ``_nodes`` drops those that stay inside a loop of the statement
        if isinstance(node, cst.Call):
            return self._call_fails(node, func, depth)
        if isinstance(node, cst.For):
            return self._loop_fails(node, func)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _DIVISIONS):
            if isinstance(node.operator, cst.Modulo) and isinstance(
                node.left, (cst.SimpleString, cst.ConcatenatedString)
            ):
                return False  # ``"%s" % value``: string formatting, not a division
            divisor = node.right
            if isinstance(divisor, cst.Attribute) and is_setting(divisor, func, self.analysis):
                return False  # a setting fixed at construction: zero fails on first use
            return not _nonzero_constant(node.right)  # ``ZeroDivisionError``
        if isinstance(node, cst.Subscript):
            if isinstance(self.analysis.parent_of(node), cst.AssignTarget):
                # a store into a caller's object runs its ``__setitem__``
                return _callers_object(node.value, func)
            # a caller's key may be missing (``KeyError``), unless stored just before
            return _callers_key(node, func) and not _key_ensured(node, self.analysis)
        if isinstance(node, cst.Del):
            # ``if name in self.tasks: del self.tasks[name]``: the key is there
            target = node.target
            return (
                isinstance(target, cst.Subscript)
                and _callers_key(target, func)
                and not _key_ensured(target, self.analysis)
            )
        return False

    def _attribute_fails(
        self, target: cst.Attribute, store: bool, func: FunctionInfo, depth: int
    ) -> bool:
        """Does reading (storing) ``self.attr`` run code that may fail: a hook or a
        missing slot (``_runs_code``), or a property of the module whose getter or setter
        does (followed like the module's own functions: ``self._arr[0] = n`` does not)?"""
        if not _runs_code(target, store, self.analysis, func):
            return False
        accessors = _property_accessors(target, store, self.analysis, func)
        if accessors is None:
            return True
        return any(self._function_fails(accessor, depth) for accessor in accessors)

    def _loop_fails(self, loop: cst.For, func: FunctionInfo) -> bool:
        """``for entry in entries:`` over a caller's iterable runs its code; a loop over
        an instance's dict or set that another method resizes without the lock held here
        raises ``RuntimeError``."""
        walked = loop.iter
        if _callers_object(walked, func):
            return True
        if isinstance(walked, cst.Attribute) and _plain_self(walked, func):
            return not _changed_only_under(walked, self.lock, self.analysis, func)
        return False

    def _in_handler(self, node: cst.CSTNode) -> bool:
        """Is ``node`` in an ``except`` handler (of its own function)? A ``print`` of the
        error there is the script's logging, not work that fails in use (remio's
        streamer, thirty-third set)."""
        parent = self.analysis.parent_of(node)
        while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Lambda)):
            if isinstance(parent, cst.ExceptHandler):
                return True
            parent = self.analysis.parent_of(parent)
        return False

    def _print_suppressed(self, node: cst.CSTNode) -> bool:
        """Is ``node`` in a ``with contextlib.suppress(OSError):`` of its own function
        (stealth-chrome-devtools-mcp's ``_emit_stderr``, sixty-seventh set)?"""
        parent = self.analysis.parent_of(node)
        while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Lambda)):
            if isinstance(parent, cst.With) and _suppressed(parent) is not None:
                return True
            parent = self.analysis.parent_of(parent)
        return False

    def _gathers_errors(self, value: cst.BaseExpression, func: FunctionInfo) -> bool:
        """``asyncio.gather(..., return_exceptions=True)``: what the awaitables raise
        comes back as results, so awaiting it does not fail (a2a-sdk's dispatcher,
        seventy-second set: judged false)."""
        return (
            isinstance(value, cst.Call)
            and self.analysis.structure.qualified_name(value.func, func) in _GATHERS
            and any(
                arg.keyword is not None
                and arg.keyword.value == "return_exceptions"
                and isinstance(arg.value, cst.Name)
                and arg.value.value == "True"
                for arg in value.args
            )
        )

    def _server_reports(self, callee: cst.Attribute, func: FunctionInfo, depth: int) -> bool:
        """``self.process_request_thread(request, address)`` in a class deriving from a
        socketserver threading server: the standard method runs the request inside
        ``except Exception: self.handle_error(...)`` and shuts it down in a ``finally``
        that takes ``OSError``, so it reports what fails and raises nothing (nexusloom's
        admin API, which hands each request to its own pool, eighty-eighth set: TS401
        judged false). ``self`` may be the class or one of its subclasses in the module:
        every class linked to it by inheritance in the module must derive only from the
        module's classes and the standard servers (another module's base may override
        the methods), must not set those methods as attributes (``handle_error =
        reraise``, ``self.handle_error = f``), and an override there is judged itself;
        a module that sets them from outside a class, or decorates a class, gets no
        exemption."""
        cls = func.cls
        if cls is None or not (
            isinstance(callee.value, cst.Name)
            and callee.value.value == func.self_name
            and func.self_name not in func.assigned
        ):
            return False
        structure = self.analysis.structure
        if not any(structure.is_subclass_of(cls, mixin) for mixin in THREADING_MIXINS):
            return False
        overrides = _server_family(self.analysis, cls)
        return overrides is not None and not any(
            self._function_fails(own, depth) for own in overrides
        )

    def _call_fails(self, call: cst.Call, func: FunctionInfo, depth: int) -> bool:
        callee = call.func
        analysis = self.analysis
        if self._gathers_errors(call, func):
            return False
        if analysis.structure.qualified_name(callee, func) == "contextlib.suppress":
            return False  # makes the context manager: nothing runs yet
        if is_log_call(call) or analysis.is_log_attribute(callee, func):
            return False  # logging reports its own errors (``Handler.handleError``)
        if isinstance(callee, cst.Name):
            name = callee.value
            if analysis.is_log_alias(name, func):
                # a do-nothing stand-in may take no keyword: ``TypeError``
                return any(arg.keyword is not None or arg.star for arg in call.args)
            own = analysis.resolve_function(callee, func)
            if own is not None:
                # an ``async def`` called and not awaited only makes a coroutine
                return not call_makes_coroutine(
                    call, own, analysis.parent_of
                ) and self._function_fails(own, depth)
            if name in _BUILTINS and means_builtin(name, func):
                if name == "print" and (self._in_handler(call) or self._print_suppressed(call)):
                    return False  # ``except Exception as e: print(e)``: a log line
                if name in _NUMBER_CONVERSIONS and _converts_arithmetic(call):
                    return False  # ``int((now - last) / period)``: no text is parsed
                if name == "next" and _first_of_nonempty(call, analysis):
                    return False  # ``if len(d) > 0: key = next(iter(d))``
                if name in _FAILING_BUILTINS:
                    return True
                if name in _ITERATING_BUILTINS and any(
                    _callers_object(arg.value, func) for arg in call.args
                ):
                    return True  # a caller's iterable may be a generator that raises
                return name == "getattr" and len(call.args) < 3
        if isinstance(callee, cst.Attribute):
            method = callee.attr.value
            ran = self._run_in_fresh_context(call, func)
            if ran is not None:
                return self._function_fails(ran, depth)  # ``ctx.run(self._write, ...)``
            kind = analysis.symbols.kind_of(callee.value, func)
            if method in _LOCK_METHODS:
                # another lock's ``acquire()`` waits and a ``release()`` gives back what
                # this code took (``RuntimeError`` only for a program error); the held
                # lock's, an unknown object's ``acquire()`` (a file lock's timeout) and
                # context-manager calls count
                if self._holds(callee.value, func):
                    return True
                if method == "release" and not call.args:
                    return kind is not None and kind not in LOCKLIKE
                return not (kind in _BUILT_LOCKS and method == "acquire")
            if kind is Kind.CONDITION and method in _CONDITION_METHODS:
                # ``RuntimeError`` unless held: the lock in question, or a ``with`` over it
                held = self._holds(callee.value, func) or held_by_own_with(call, func, analysis)
                return not held
            if kind is Kind.THREAD and (
                method == "join"
                or (method == "cancel" and not call.args and self._timer(callee.value, func))
            ):
                # it waits; it raises only for a program error (joining the current thread
                # or one never started), as ``release()`` of a lock not held does
                # (reportportal-client's stop, forty-second set: judged false); a Timer's
                # ``cancel()`` only sets its Event
                return self.may_be_none(callee.value, call, func)
            if kind is not None:
                return not _sync_method_ok(kind, method)
            if own_widget(callee.value, func, analysis.symbols) and literal_arguments(call):
                return False  # the object's own widget, set with constants (toolkits.py)
            if (
                method == "pop"
                and len(call.args) == 1
                and _callers_object(call.args[0].value, func)
            ):
                return True  # ``KeyError`` for a caller's key that is not there
            own = analysis.resolve_function(callee, func)
            if own is not None:
                # an ``async def`` called and not awaited only makes a coroutine
                return not call_makes_coroutine(
                    call, own, analysis.parent_of
                ) and self._function_fails(own, depth)
            stored = _functions_stored_in(callee, analysis, func)
            if stored:
                return any(self._function_fails(target, depth) for target in stored)
            if method == "process_request_thread" and self._server_reports(callee, func, depth):
                return False
            if (
                method in _DATA_METHODS
                and (method not in _NO_ARGUMENT_METHODS or not call.args)
                and not isinstance(callee.value, cst.Call)
                and not _callers_object(callee.value, func)
            ):
                return False
            if method in (_DATA_METHODS | _CONTAINER_ONLY_METHODS) and _known_container(
                callee.value, analysis, func
            ):
                return False
            if (
                method in _TIMEOUT_SETTERS
                and len(call.args) == 1
                and not isinstance(callee.value, cst.Call)
                and _plain_timeout(call.args[0].value)
            ):
                return False  # ``conn.settimeout(30.0)``: stores a number on the socket
            if (
                method in _TIMEOUT_GETTERS
                and not call.args
                and not isinstance(callee.value, cst.Call)
                and not any(method in cls.methods for cls in analysis.structure.classes.values())
                and not self.may_be_none(callee.value, call, func)
            ):
                return False  # ``previous = conn.gettimeout()``: reads that number back
            if method in _CONTEXT_VAR_METHODS and _context_var(callee.value, func, analysis):
                return False  # ``token = _budget.set(budget)``: this context's own slot
            if method in _CLOCK_FORMATS and self._formats_clock(call, func):
                return False  # ``datetime.now(timezone.utc).isoformat()``
        if isinstance(callee, cst.Name) and _plain_record_class(callee.value, func, analysis):
            return False  # ``Budget(self, deadline)``: the generated ``__init__`` stores fields
        qualified = analysis.structure.qualified_name(callee, func)
        if qualified is not None and (
            qualified in _SAFE_QUALIFIED or qualified.startswith(_SAFE_QUALIFIED_PREFIXES)
        ):
            return False
        # ``len``, ``str``, ``sorted``, ``isinstance`` do not fail; anything else is a
        # foreign function or object: it may do I/O or call back
        return not (
            isinstance(callee, cst.Name)
            and callee.value in _BUILTINS
            and means_builtin(callee.value, func)
        )

    def _formats_clock(self, call: cst.Call, func: FunctionInfo) -> bool:
        """``datetime.now(tz).isoformat()``, ``.timestamp()`` or ``.strftime("%Y-%m-%d")``
        with a literal format: a clock read turned into text or a number, which cannot
        fail (cognitivesystems' refresh task stamping its status after its ``try``,
        ninety-first set: TS401 judged false)."""
        assert isinstance(call.func, cst.Attribute)
        reading = call.func.value
        if not isinstance(reading, cst.Call):
            return False
        qualified = self.analysis.structure.qualified_name(reading.func, func)
        if qualified not in _CLOCK_READS:
            return False
        method = call.func.attr.value
        if method == "strftime":
            return len(call.args) == 1 and isinstance(call.args[0].value, cst.SimpleString)
        if method == "timestamp" and qualified == "datetime.date.today":
            return False  # a ``date`` has no ``timestamp()``: it always fails
        return not call.args

    def _run_in_fresh_context(self, call: cst.Call, func: FunctionInfo) -> FunctionInfo | None:
        """The module's function ``fn`` of ``ctx.run(fn, ...)`` on a copied context
        (``contextvars``), which only calls it (agent-engine-runner-shared's memory
        writer, seventy-ninth set: judged false)."""
        callee = call.func
        if not (
            isinstance(callee, cst.Attribute)
            and callee.attr.value == "run"
            and call.args
            and call.args[0].keyword is None
            and not call.args[0].star
            and fresh_context(callee.value, func, self.analysis.structure)
        ):
            return None
        return self.analysis.resolve_function(call.args[0].value, func)

    def may_be_none(self, receiver: cst.BaseExpression, call: cst.Call, func: FunctionInfo) -> bool:
        """Is ``receiver`` (``self._thread``) bound to None somewhere in the module and
        not tested by an ``if`` around ``call``? ``self._thread.join()`` then raises
        ``AttributeError`` when the stop comes before the start (arizon-usb-apiserver's
        stop_recording, thirty-ninth set: judged true); ``if self._thread is not None:``
        or ``if self._thread.is_alive():`` around it settles that."""
        analysis = self.analysis
        key = analysis.symbols.key_of(receiver, func)
        values = analysis.symbols.attribute_values.get(key, {}) if key is not None else {}
        if not any(_is_none(value) for value, _ in values.values()):
            return False
        node = analysis.parent_of(call)
        inner_node: cst.CSTNode = call
        while node is not None and node is not func.node:
            if isinstance(node, cst.If) and any(
                inner.deep_equals(receiver) for inner in walk(node.test)
            ):
                return False
            if (
                isinstance(node, cst.If)
                and inner_node is node.body
                and key is not None
                and self._set_with_flag(key, node.test, func)
            ):
                return False
            inner_node, node = node, analysis.parent_of(node)
        return True

    def _set_with_flag(self, key: SymbolKey, test: cst.BaseExpression, func: FunctionInfo) -> bool:
        """Does ``test`` (``not self._stopped``, ``self._running``) say the receiver
        ``key`` is set? It does when the flag takes the value that passes the test only
        in a block that also binds the receiver to a new object, and the receiver is bound
        to None only in a block that also gives the flag the value that fails it
        (codecarbon's scheduler: ``self._stopped = False`` next to ``self._timer =
        Timer(...)``, ``None`` only next to ``True``; fifty-third set: judged false)."""
        passes = True
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, passes = test.expression, False
        if not isinstance(test, cst.Attribute):
            return False
        flag = self.analysis.symbols.key_of(test, func)
        flags = self.analysis.symbols.attribute_values.get(flag, {}) if flag is not None else {}
        values = self.analysis.symbols.attribute_values.get(key, {})
        if not flags or not all(_bool_constant(value) for value, _ in flags.values()):
            return False
        passing = [self._block_of(n) for n, (v, _) in flags.items() if _truth(v) is passes]
        failing = {self._block_of(n) for n, (v, _) in flags.items() if _truth(v) is not passes}
        made = {self._block_of(n) for n, (v, _) in values.items() if not _is_none(v)}
        cleared = [self._block_of(n) for n, (v, _) in values.items() if _is_none(v)]
        return (
            bool(passing)
            and all(b is not None and b in made for b in passing)
            and all(b is not None and b in failing for b in cleared)
        )

    def _block_of(self, assignment: cst.CSTNode) -> cst.CSTNode | None:
        """The block of statements an assignment stands in."""
        line = self.analysis.parent_of(assignment)
        return self.analysis.parent_of(line) if line is not None else None

    def _timer(self, receiver: cst.BaseExpression, func: FunctionInfo) -> bool:
        """Is every object the module binds to ``receiver`` (but None) a
        ``threading.Timer``?"""
        analysis = self.analysis
        key = analysis.symbols.key_of(receiver, func)
        values = analysis.symbols.attribute_values.get(key, {}) if key is not None else {}
        made = [(v, f) for v, f in values.values() if not _is_none(v)]
        return bool(made) and all(
            isinstance(v, cst.Call)
            and analysis.structure.qualified_name(v.func, f) == "threading.Timer"
            for v, f in made
        )

    def statement_fails(self, statement: cst.CSTNode, func: FunctionInfo) -> bool:
        """``fails`` for a statement run with the lock held, where an ``if`` (without
        ``else``) may end its branch by giving the lock back and leaving (``if done:
        x.release(); return`` or ``break``, or a release followed by more code and a ``return`` or
        ``raise``): the path goes on past the ``if`` with the lock held. The body of a
        ``with`` of another lock is read the same way (``with self._cond: if
        self._stopping: x.release(); return``: causentra's request slots, seventy-fourth
        set)."""
        if (
            isinstance(statement, cst.With)
            and statement.asynchronous is None
            and all(
                self._is_lock(item.item, func) and not self._holds(item.item, func)
                for item in statement.items
            )
        ):
            return any(self.statement_fails(inner, func) for inner in block(statement.body))
        if not isinstance(statement, cst.If) or statement.orelse is not None:
            return self.fails(statement, func, 0)
        body = list(block(statement.body))
        if len(body) >= 2 and self.releases(body[-2], func) and _returns(body[-1]):
            body = body[:-2]
        elif _leaves(body[-1:]):
            # ``if hit: d = cache[k]; lock.release(); d.wait(); return d.value``: what
            # follows the release runs without the lock, and the branch does not go on
            released = [i for i, inner in enumerate(body) if self.releases(inner, func)]
            if released:
                body = body[: released[0]]
        return self.fails(statement.test, func, 0) or any(
            self.statement_fails(inner, func) for inner in body
        )

    def releases(self, statement: cst.BaseStatement, func: FunctionInfo) -> bool:
        """Is ``statement`` ``x.release()`` of the lock held here?"""
        receiver = bare_method_call(statement, "release")
        return receiver is not None and self._holds(receiver, func)

    def _is_lock(self, expr: cst.BaseExpression, func: FunctionInfo) -> bool:
        """Is ``expr`` (the item of a ``with``) a lock, Condition or semaphore?"""
        return self.analysis.symbols.kind_of(expr, func) in LOCKLIKE or (
            not isinstance(expr, cst.Call) and looks_like_lock(expr)
        )

    def _holds(self, condition: cst.BaseExpression, func: FunctionInfo) -> bool:
        """Is ``condition`` the lock held here?"""
        if self.lock is None:
            return False
        key = self.analysis.symbols.key_of(condition, func)
        locks = self.analysis.locks
        return key is not None and locks.identity(key) == locks.identity(self.lock)

    def _function_fails(self, target: FunctionInfo, depth: int) -> bool:
        """Does the module's own function (or constructor) ``target`` realistically
        fail? Followed ``_DEPTH`` calls deep; a cycle counts as not failing (what it
        runs is judged at its first visit)."""
        if depth >= _DEPTH:
            return True
        if target in self.judged:
            return self.judged[target]
        self.judged[target] = False
        verdict = any(self.fails(statement, target, depth + 1) for statement in target.body())
        if verdict and swallows(target, lambda s: not self.fails(s, target, depth + 1)):
            # ``try: task() except Exception as e: self._on_error(e)``: what the body
            # raises is caught, and the handler only reports it (mtpx's session saver,
            # seventy-ninth set: judged false)
            verdict = False
        self.judged[target] = verdict
        return verdict


def _functions_stored_in(
    callee: cst.Attribute, analysis: ModuleAnalysis, func: FunctionInfo
) -> list[FunctionInfo]:
    """The module's functions that every store into ``self.attr`` puts there
    (``self._do_work = do_work``, a nested function of ``__init__`` included): a call of
    ``self.attr(...)`` runs one of them (vitrage's wrapper that logs every exception,
    seventeenth set). Empty when some store is of anything else."""
    if not _plain_self(callee, func):
        return []
    key = analysis.symbols.key_of(callee, func)
    values = analysis.symbols.attribute_values.get(key) if key is not None else None
    found: list[FunctionInfo] = []
    for value, where in (values or {}).values():
        target = analysis.resolve_function(value, where)
        if target is None:
            return []
        found.append(target)
    return found


def _stored(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """The targets ``node`` stores into."""
    if isinstance(node, cst.AssignTarget):
        return [node.target]
    if isinstance(node, (cst.AugAssign, cst.AnnAssign)):
        return [node.target]
    return []


#: Hooks that run on every attribute store or read of an instance.
_STORE_HOOKS = frozenset({"__setattr__", "__getattribute__"})
_READ_HOOKS = frozenset({"__getattribute__"})


def _runs_code(
    target: cst.Attribute, store: bool, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """Does storing (reading) ``self.attr`` run code: a property, a ``__setattr__`` or
    ``__getattribute__`` of the class or a base in the module, or a store to a name
    that ``__slots__`` leaves out (``AttributeError``)?"""
    cls = func.cls
    if cls is None or not isinstance(target.value, cst.Name):
        return False
    if target.value.value != func.self_name or func.is_classmethod:
        return False
    attr = target.attr.value
    if store and _misses_slot(cls, attr):
        return True
    hooks = _STORE_HOOKS if store else _READ_HOOKS
    for current in analysis.structure.class_bases(cls):
        if current.body_names & hooks:
            return True
        if attr in current.body_names and _descriptor(current, attr):
            return True
    return False


def _misses_slot(cls: ClassInfo, attr: str) -> bool:
    """Does ``__slots__`` leave ``attr`` out, so that storing it raises? Not for empty
    slots (``__slots__ = ()``): the idiom of a mixin or an abstract base, whose instances
    are a subclass's, with that class's slots or ``__dict__`` (spinnman's transceiver
    mixins, seventeenth set)."""
    if "__slots__" not in cls.body_names:
        return False
    names = _slot_names(cls)
    return bool(names) and attr not in names


def _property_accessors(
    target: cst.Attribute, store: bool, analysis: ModuleAnalysis, func: FunctionInfo
) -> list[FunctionInfo] | None:
    """The getters (setters, for a store) of the plain ``@property`` that ``self.attr``
    names, when nothing else makes the access run code (no ``__setattr__`` or
    ``__getattribute__``, no missing slot, no other descriptor); None otherwise."""
    cls = func.cls
    if cls is None:
        return None
    attr = target.attr.value
    if store and _misses_slot(cls, attr):
        return None
    hooks = _STORE_HOOKS if store else _READ_HOOKS
    wanted = "setter" if store else "getter"
    for current in analysis.structure.class_bases(cls):
        if current.body_names & hooks:
            return None
        if attr not in current.body_names:
            continue
        found = [f for f in analysis.structure.functions if f.cls is current and f.name == attr]
        accessors = []
        for accessor in found:
            node = accessor.node
            if not isinstance(node, cst.FunctionDef) or len(node.decorators) != 1:
                return None
            decorator = node.decorators[0].decorator
            if isinstance(decorator, cst.Name) and decorator.value == "property":
                kind = "getter"
            elif (
                isinstance(decorator, cst.Attribute)
                and isinstance(decorator.value, cst.Name)
                and decorator.value.value == attr
                and decorator.attr.value in ("setter", "getter", "deleter")
            ):
                kind = decorator.attr.value
            else:
                return None  # another descriptor: what it runs is not seen
            if kind == wanted:
                accessors.append(accessor)
        return accessors or None
    return None


def _descriptor(cls: ClassInfo, attr: str) -> bool:
    """Is ``attr`` a property (or another descriptor made by a call) in the class body?"""
    for statement in block(cls.node.body):
        if isinstance(statement, cst.FunctionDef) and statement.name.value == attr:
            return bool(statement.decorators)
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if (
                    isinstance(small, cst.Assign)
                    and any(
                        isinstance(t.target, cst.Name) and t.target.value == attr
                        for t in small.targets
                    )
                    and isinstance(small.value, cst.Call)
                ):
                    return True
    return False


def _sync_method_ok(kind: Kind, method: str) -> bool:
    if kind in LOCKLIKE:
        return method == "locked"
    return method in _SYNC_METHODS.get(kind, frozenset())


def _is_none(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


def _bool_constant(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value in ("True", "False")


def _truth(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "True"


def _plain_self(value: cst.Attribute, func: FunctionInfo) -> bool:
    """``self.attr``."""
    return isinstance(value.value, cst.Name) and value.value.value == func.self_name


def _callers_key(subscript: cst.Subscript, func: FunctionInfo) -> bool:
    """``d[key]`` where ``key`` is a parameter: the caller's key may not be in ``d``."""
    return indexed_by(subscript, lambda key: _callers_object(key, func), methods=()) is not None


def _first_of_nonempty(call: cst.Call, analysis: ModuleAnalysis) -> bool:
    """``next(iter(d))`` (or of ``d.keys()``, ``d.values()``, ``d.items()``) in the body of
    an enclosing ``if d:``, ``if len(d) > 0:`` or ``if len(d):``: the container has a
    first item, so no ``StopIteration``."""
    if len(call.args) != 1 or call.args[0].keyword is not None:
        return False
    inner = call.args[0].value
    if not (
        isinstance(inner, cst.Call)
        and isinstance(inner.func, cst.Name)
        and inner.func.value == "iter"
        and len(inner.args) == 1
    ):
        return False
    container = _viewed(inner.args[0].value, ("keys", "values", "items"))
    return any(
        isinstance(parent, cst.If) and node is parent.body and _not_empty(parent.test, container)
        for node, parent in _steps_up(call, analysis)
    )


def _steps_up(
    node: cst.CSTNode, analysis: ModuleAnalysis
) -> Iterator[tuple[cst.CSTNode, cst.CSTNode]]:
    """Each node from ``node`` up to its function's body, with the node containing it."""
    parent = analysis.parent_of(node)
    while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Module)):
        yield node, parent
        node, parent = parent, analysis.parent_of(parent)


def _viewed(expr: cst.BaseExpression, views: tuple[str, ...]) -> cst.BaseExpression:
    """``d`` for ``d.keys()`` (a view among ``views``), else ``expr`` itself."""
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in views
        and not expr.args
    ):
        return expr.func.value
    return expr


def _not_empty(test: cst.BaseExpression, container: cst.BaseExpression) -> bool:
    """``d``, ``len(d)``, ``len(d) > 0`` or ``len(d) >= 1`` (alone or ``and``-ed)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _not_empty(test.left, container) or _not_empty(test.right, container)
    if test.deep_equals(container):
        return True
    sized = test
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        bound = target.comparator
        if not isinstance(bound, cst.Integer):
            return False
        if not (
            (isinstance(target.operator, cst.GreaterThan) and bound.value == "0")
            or (isinstance(target.operator, cst.GreaterThanEqual) and bound.value == "1")
        ):
            return False
        sized = test.left
    return (
        isinstance(sized, cst.Call)
        and isinstance(sized.func, cst.Name)
        and sized.func.value == "len"
        and len(sized.args) == 1
        and sized.args[0].value.deep_equals(container)
    )


def _key_ensured(subscript: cst.Subscript, analysis: ModuleAnalysis) -> bool:
    """``if key not in d: d[key] = 0`` (or ``d[key] = v``, ``d.setdefault(key, v)``) in
    an earlier statement of the same block or an enclosing one, or the body of an
    enclosing ``if key in d:``: ``d[key]`` is there."""
    for node, parent in _steps_up(subscript, analysis):
        if (
            isinstance(parent, cst.If)
            and node is parent.body
            and _tests_key(parent.test, subscript)
        ):
            return True
        if (
            isinstance(parent, cst.If)
            and node is parent.orelse
            and _tests_entry(parent.test, subscript, negated=True)
        ):
            return True  # the ``elif``/``else`` of ``if key not in d:``
        if isinstance(parent, cst.IndentedBlock):
            earlier = list(parent.body)
            earlier = earlier[: next(i for i, item in enumerate(earlier) if item is node)]
            if any(_stores_key(statement, subscript) for statement in earlier):
                return True
    return False


def _tests_key(test: cst.BaseExpression, subscript: cst.Subscript) -> bool:
    """``key in d`` (alone or one of the ``and``-ed tests) for ``d[key]``."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _tests_key(test.left, subscript) or _tests_key(test.right, subscript)
    return _tests_entry(test, subscript, negated=False)


def _tests_entry(test: cst.BaseExpression, subscript: cst.Subscript, negated: bool) -> bool:
    """``key in d`` or ``key in d.keys()`` (``not in`` when ``negated``) for ``d[key]``."""
    tested = membership_test(test)
    if tested is None or tested[2] is not negated:
        return False
    container = _viewed(tested[1], ("keys",))
    return tested[0].deep_equals(_key_of(subscript)) and container.deep_equals(subscript.value)


def _stores_key(statement: cst.BaseStatement, subscript: cst.Subscript) -> bool:
    """Does ``statement`` leave ``subscript``'s key in its container: a store of it, a
    ``setdefault`` of it, or ``if key not in d:`` whose body stores it (an ``else`` or
    ``elif`` runs only when the key is there)?"""
    if isinstance(statement, cst.If):
        stored = any(_stores_key(inner, subscript) for inner in block(statement.body))
        if _tests_entry(statement.test, subscript, negated=True):
            return stored
        # every branch stores it: ``if p not in d: d[p] = {k: []} elif k not in d[p]:
        # d[p][k] = []`` leaves ``d[p][k]`` there
        otherwise = statement.orelse
        if not stored or otherwise is None:
            return False
        if isinstance(otherwise, cst.If):
            return _stores_key(otherwise, subscript)
        return any(_stores_key(inner, subscript) for inner in block(otherwise.body))
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Assign) and any(
            target.target.deep_equals(subscript) or _display_with_key(small, target, subscript)
            for target in small.targets
        ):
            return True
        value = small.value if isinstance(small, cst.Expr) else None
        if (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == "setdefault"
            and value.func.value.deep_equals(subscript.value)
            and value.args
            and value.args[0].value.deep_equals(_key_of(subscript))
        ):
            return True
    return False


def _display_with_key(
    assign: cst.Assign, target: cst.AssignTarget, subscript: cst.Subscript
) -> bool:
    """``d[p] = {k: []}`` for ``d[p][k]``: a dict display holding the key is stored."""
    value = assign.value
    return (
        isinstance(subscript.value, cst.Subscript)
        and target.target.deep_equals(subscript.value)
        and isinstance(value, cst.Dict)
        and any(
            isinstance(element, cst.DictElement) and element.key.deep_equals(_key_of(subscript))
            for element in value.elements
        )
    )


def _key_of(subscript: cst.Subscript) -> cst.BaseExpression:
    """The key of ``d[key]`` (the whole slice node when it is not one plain index)."""
    element = subscript.slice[0].slice if len(subscript.slice) == 1 else None
    return element.value if isinstance(element, cst.Index) else subscript


def _converts_arithmetic(call: cst.Call) -> bool:
    """``int(elapsed / period)``: a conversion of one numeric operation's result (the
    operation's own failures, a division by zero, are looked at on their own)."""
    return (
        len(call.args) == 1
        and call.args[0].keyword is None
        and not call.args[0].star
        and isinstance(call.args[0].value, cst.BinaryOperation)
        and isinstance(call.args[0].value.operator, _NUMERIC_OPERATORS)
    )


def _callers_object(value: cst.BaseExpression, func: FunctionInfo) -> bool:
    """``ledger`` or ``ledger.entries`` where ``ledger`` is a parameter (not ``self`` or
    ``cls``): the caller's object, which may be anything (a database-backed ledger whose
    ``append`` writes to disk)."""
    while isinstance(value, (cst.Attribute, cst.Subscript)):
        value = value.value
    return (
        isinstance(value, cst.Name)
        and value.value in func.params
        and value.value not in ("self", "cls")
    )


def _known_container(
    receiver: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """A string literal, a parameter annotated as a container (``seen: set[int]``: a
    type checker holds every argument to it), or a name or ``self`` attribute some
    binding of which in the module is a container display or a container constructor."""
    if isinstance(receiver, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return True
    if _makes_container(receiver):
        return True  # ``list(self.tasks.values()).copy()``: a fresh builtin container
    if isinstance(receiver, cst.Name) and receiver.value in func.params:
        return _container_annotation(parameter_annotation(receiver.value, func))
    values: list[cst.BaseExpression] = []
    if isinstance(receiver, cst.Attribute):
        key = analysis.symbols.key_of(receiver, func)
        if key is not None:
            values = [value for value, _ in analysis.symbols.attribute_values.get(key, {}).values()]
    elif isinstance(receiver, cst.Name):
        values = list(_bindings_of(receiver.value, func, analysis))
    return any(_makes_container(value) for value in values)


#: Annotations of a parameter that hold a builtin container (``List[int]``, ``set``).
_CONTAINER_ANNOTATIONS = frozenset(
    {"dict", "list", "set", "Dict", "List", "Set", "deque", "Deque", "OrderedDict"}
)


def _container_annotation(annotation: cst.BaseExpression | None) -> bool:
    """``set``, ``list[str]``, ``typing.Dict[str, int]``: a builtin container type."""
    if isinstance(annotation, cst.Subscript):
        annotation = annotation.value
    if isinstance(annotation, cst.Attribute):
        return annotation.attr.value in _CONTAINER_ANNOTATIONS
    return isinstance(annotation, cst.Name) and annotation.value in _CONTAINER_ANNOTATIONS


def _bindings_of(
    name: str, func: FunctionInfo, analysis: ModuleAnalysis
) -> Iterator[cst.BaseExpression]:
    """The values ``name = value`` binds in ``func`` or, for a name ``func`` does not
    bind, at the module's top level."""
    scope = func if func.is_local(name) else analysis.structure.module_scope
    for statement in scope.body():
        for node in _nodes(statement):
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    if isinstance(target.target, cst.Name) and target.target.value == name:
                        yield node.value
            elif (
                isinstance(node, cst.AnnAssign)
                and node.value is not None
                and isinstance(node.target, cst.Name)
                and node.target.value == name
            ):
                yield node.value


def _makes_container(value: cst.BaseExpression) -> bool:
    """A container display, or a call of a container constructor, parametrised or not
    (``set()``, ``collections.deque()``, ``set[str]()``)."""
    if isinstance(value, (cst.Dict, cst.List, cst.Set, cst.DictComp, cst.ListComp, cst.SetComp)):
        return True
    if isinstance(value, cst.Call):
        callee = value.func
        if isinstance(callee, cst.Subscript):
            callee = callee.value
        name = callee.attr.value if isinstance(callee, cst.Attribute) else None
        if isinstance(callee, cst.Name):
            name = callee.value
        return name in _CONTAINER_MAKERS
    return False


def _nodes(
    node: cst.CSTNode, caught: Callable[[cst.Try], bool] | None = None
) -> Iterator[cst.CSTNode]:
    """``node`` and what it contains, without nested functions, classes and lambdas
    (defining one runs nothing), without ``break``/``continue`` that stay inside a loop
    of ``node``, and without the body of a ``try`` whose handler catches everything (or
    what its body can raise: ``caught``)."""
    yield from _walk(node, in_loop=False, caught=caught)


def _walk(
    root: cst.CSTNode, in_loop: bool, caught: Callable[[cst.Try], bool] | None = None
) -> Iterator[cst.CSTNode]:
    """Pre-order, with an explicit stack: generated code nests deeper than Python's
    recursion limit (a sum of thousands of terms)."""
    stack: list[tuple[cst.CSTNode, bool]] = [(root, in_loop)]
    while stack:
        node, looping = stack.pop()
        if isinstance(node, NOT_RUN):
            continue
        if isinstance(node, (cst.Break, cst.Continue)) and looping:
            continue
        yield node
        parts: list[tuple[cst.CSTNode, bool]]
        if isinstance(node, (cst.For, cst.While)):
            parts = [(node.body, True)]
            for part in (getattr(node, "iter", None), getattr(node, "test", None), node.orelse):
                if part is not None:
                    parts.append((part, looping))
        elif isinstance(node, cst.Try) and (
            any(catches_all(h.type) for h in node.handlers) or (caught is not None and caught(node))
        ):
            parts = [(handler, looping) for handler in node.handlers]
            parts += [(part, looping) for part in (node.orelse, node.finalbody) if part is not None]
        elif isinstance(node, cst.With) and _suppressed(node) == "all":
            parts = []  # ``with contextlib.suppress(Exception):``: a catch-all ``try``
        else:
            parts = [(child, looping) for child in node.children]
        stack.extend(reversed(parts))


#: Exceptions whose suppression covers what ``print`` raises: a closed or broken stream.
_PRINT_ERRORS = frozenset({"OSError", "IOError", "BrokenPipeError", "ValueError"})


def _suppressed(node: cst.With) -> str | None:
    """``"all"`` for ``with contextlib.suppress(Exception):`` (or ``BaseException``),
    ``"os"`` for one that suppresses ``OSError`` (what a ``print`` to a closed stream
    raises), None for any other ``with`` or one whose items are not all ``suppress``."""
    names: set[str] = set()
    for item in node.items:
        call = item.item
        if not (isinstance(call, cst.Call) and final_name(call.func) == "suppress"):
            return None
        names.update(name for arg in call.args if (name := final_name(arg.value)) is not None)
    if names & {"Exception", "BaseException"}:
        return "all"
    return "os" if names & _PRINT_ERRORS else None


def _plain_timeout(value: cst.BaseExpression) -> bool:
    """A constant timeout: a number, ``None``, ``True`` or ``False``."""
    if isinstance(value, (cst.Integer, cst.Float)):
        return True
    return isinstance(value, cst.Name) and value.value in ("None", "True", "False")


def _context_var(
    receiver: cst.BaseExpression, func: FunctionInfo, analysis: ModuleAnalysis
) -> bool:
    """A name every binding of which (in ``func`` or at the module's top level) is
    ``contextvars.ContextVar(...)``."""
    if not isinstance(receiver, cst.Name):
        return False
    values = list(_bindings_of(receiver.value, func, analysis))
    module = analysis.structure.module_scope
    return bool(values) and all(
        isinstance(value, cst.Call)
        and analysis.structure.qualified_name(value.func, module) == "contextvars.ContextVar"
        for value in values
    )


def _plain_record_class(name: str, func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """A class of the module whose ``__init__`` is generated from its fields (a
    ``@dataclass``) and does nothing else: no bases, no ``__init__`` or
    ``__post_init__`` of its own, and no field factory but an empty container. Building
    one only stores the arguments (TorrentFinder's request budget, sixty-first set)."""
    cls = analysis.structure.class_named(name, func)
    if cls is None or cls.node.bases or {"__init__", "__post_init__"} & set(cls.methods):
        return False
    module = analysis.structure.module_scope
    decorated = False
    for decorator in cls.node.decorators:
        made = decorator.decorator
        if isinstance(made, cst.Call):
            made = made.func
        if analysis.structure.qualified_name(made, module) in _RECORD_DECORATORS:
            decorated = True
    if not decorated:
        return False
    for node in walk(cls.node.body, NOT_RUN):
        if (
            isinstance(node, cst.Arg)
            and node.keyword is not None
            and node.keyword.value == "default_factory"
            and not (isinstance(node.value, cst.Name) and node.value.value in _PLAIN_FACTORIES)
        ):
            return False
    return True
