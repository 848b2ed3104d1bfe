"""Rules about starting threads and handing them work: TS401, TS402, TS403."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, Kind, ModuleAnalysis, argument
from tsafe_lint.analysis.contexts import makes_context
from tsafe_lint.analysis.reachability import passed_for
from tsafe_lint.analysis.scopes import (
    block,
    is_declaration,
    is_docstring,
    is_stub_statement,
    local_values,
)
from tsafe_lint.analysis.tree import CONSTANT_NAMES, walk
from tsafe_lint.rules.base import Finding, Fix, Rule, snippet
from tsafe_lint.rules.cannot_raise import cannot_raise
from tsafe_lint.rules.realistic_raise import function_cannot_fail, realistically_cannot_raise
from tsafe_lint.rules.self_logging import (
    decorated_by_swallower,
    delegates_to_swallower,
    emits_through_guarded_handler,
    swallows,
)

_STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)

FAMILY = "threads"


class ThreadTargetCalled(Rule):
    """Flags a thread target that is called instead of passed: ``Thread(target=f())``.

    **What it does**

    Finds ``threading.Thread(target=f())``, ``threading.Timer(t, f())``,
    ``executor.submit(f())`` and similar, where ``f`` is a function of this module that
    returns nothing. A function that says it returns something though its body has no
    ``return`` (a return annotation other than ``None``, or a stub, a docstring,
    ``pass``, ``...`` or ``raise NotImplementedError``, that subclasses fill in) is a
    factory of the callback (``future.add_done_callback(self._cleanup_for(queue))``):
    not reported.

    **Why is this bad**

    ``f()`` runs right now, in the current thread, and its result (``None``) becomes the
    target: the work is done sequentially, the thread does nothing, and ``submit`` raises
    ``TypeError: 'NoneType' object is not callable`` inside the future.

    **Example**

    ```python
    import threading

    def book_seat():
        reserve()

    threading.Thread(target=book_seat()).start()   # book_seat runs here, now
    ```

    **Use instead**

    ```python
    import threading

    def book_seat():
        reserve()

    threading.Thread(target=book_seat).start()
    threading.Thread(target=book_seat, args=(user,)).start()
    ```

    **Fix**

    ``--fix --unsafe-fixes`` passes the function instead of calling it (``target=f()``
    -> ``target=f``) when the call has no arguments; with arguments, use ``args=``.

    **Fix safety**

    Unsafe: it changes what the program does, so it applies only with
    ``--unsafe-fixes``. ``f`` no longer runs here, in the current thread, before the
    thread starts; it runs in the new thread (or the pool's), later and concurrently
    with the code that follows, and an exception it raises no longer propagates here.

    **References**

    The talk's "Threading" slides; Python docs, ``threading.Thread``.
    """

    code = "TS402"
    name = "thread-target-called"
    summary = "thread target is called here instead of being passed to the thread"
    fixable = True
    fix_safety = "unsafe"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for start in analysis.thread_starts:
            target = start.target
            if not isinstance(target, cst.Call):
                continue
            callee = analysis.resolve_function(target.func, start.func)
            if callee is None or callee.returns_value or callee.name == "__init__":
                continue
            if _declares_a_value(callee):
                continue  # ``def make_callback(self) -> Callable: ...``: a factory
            # unsafe: f no longer runs here and now, but in the thread, later
            fix = Fix(target, target.func, safe=False) if not target.args else None
            yield Finding(
                target,
                f"'{callee.name}()' runs now, in this thread, and passes None as the "
                f"{start.how} target; pass the function itself: '{callee.name}'",
                fix,
            )


def _declares_a_value(func: FunctionInfo) -> bool:
    """Does ``func`` say it returns something, though no ``return`` of its own does: a
    return annotation other than ``None``, or a stub body (a docstring, ``pass``,
    ``...``, ``raise NotImplementedError``) that subclasses fill in (bec-server's
    ``_cleanup_worker_function() -> Callable``, a callback factory)?"""
    node = func.node
    if not isinstance(node, cst.FunctionDef):
        return False
    returns = node.returns
    if returns is not None and not (
        isinstance(returns.annotation, cst.Name) and returns.annotation.value == "None"
    ):
        return True
    return all(is_stub_statement(statement) for statement in block(node.body))


#: displays that make a sequence of arguments, with or without parentheses around them
_SEQUENCE_DISPLAYS = (cst.Tuple, cst.GeneratorExp, cst.List, cst.ListComp)


def _makes_a_sequence(value: cst.BaseExpression) -> bool:
    """A display of a sequence (``(x,)``, ``[x]``), ``tuple(...)``/``list(...)``, or a
    conditional whose every branch is one (``((x,) if x else ())``: netwatch-sec,
    thirty-third set, where the suggested comma would have made the bug)."""
    if isinstance(value, _SEQUENCE_DISPLAYS):
        return True
    if isinstance(value, cst.IfExp):
        return _makes_a_sequence(value.body) and _makes_a_sequence(value.orelse)
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value in ("tuple", "list")
    )


def _star_parameter(value: cst.BaseExpression, func: FunctionInfo) -> bool:
    """``def start(self, *args): Thread(target=work, args=(args))``: the name is the
    function's ``*args``, a tuple already, never rebound (t7pro's acquisition start,
    thirty-eighth set: judged false); the parentheses are only redundant."""
    if not isinstance(value, cst.Name) or not isinstance(func.node, cst.FunctionDef):
        return False
    star = func.node.params.star_arg
    return (
        isinstance(star, cst.Param)
        and star.name.value == value.value
        and value.value not in func.assigned
    )


class ThreadArgsNotTuple(Rule):
    """Flags thread ``args`` that look like a tuple but are not: ``args=(x)``.

    **What it does**

    Finds ``Thread(..., args=(x))``, ``Timer(t, f, args=(x))`` and
    ``_thread.start_new_thread(f, (x))`` where the parenthesised value has no comma, and
    ``args="text"``. Parentheses around a list (``args=([x])``), a ``tuple(...)`` call,
    a conditional choosing between tuples (``args=((x,) if x else ())``) or the
    function's own ``*args`` (``args=(args)``) are harmless: the value is the sequence of
    arguments.

    **Why is this bad**

    ``(x)`` is just ``x``. The thread unpacks it with ``*args``: a string becomes one
    argument per character, another value raises ``TypeError`` in the new thread, where
    nobody sees it.

    **Example**

    ```python
    import threading

    threading.Thread(target=greet, args=("Ada")).start()   # greet('A', 'd', 'a')
    ```

    **Use instead**

    ```python
    import threading

    threading.Thread(target=greet, args=("Ada",)).start()
    ```

    **Fix**

    ``--fix --unsafe-fixes`` adds the missing comma: ``args=(x)`` -> ``args=(x,)``,
    ``args="abc"`` -> ``args=("abc",)``.

    **Fix safety**

    Unsafe: it changes what the program does, so it applies only with
    ``--unsafe-fixes``. The target receives other arguments: ``args=("Ada")`` called
    ``greet('A', 'd', 'a')`` and now calls ``greet('Ada')``; ``args=(items)`` with a list
    passed its items as separate arguments and now passes the list as one. Check that
    one argument is what the target takes.

    **References**

    Python docs, ``threading.Thread`` (``args`` is a list or tuple of arguments).
    """

    code = "TS403"
    name = "thread-args-not-tuple"
    summary = "thread args is not a tuple: (x) needs a trailing comma"
    fixable = True
    fix_safety = "unsafe"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for start in analysis.thread_starts:
            args = start.args
            if args is None or _makes_a_sequence(args) or _star_parameter(args, start.func):
                continue  # ``args=([x])``: the parentheses wrap a list, which works
            source = snippet(args)
            inner = snippet(args.with_changes(lpar=[], rpar=[]))
            bare = args.with_changes(lpar=[], rpar=[])
            element = [cst.Element(bare, comma=cst.Comma())]
            tuple_ = (
                cst.Tuple(element, lpar=args.lpar, rpar=args.rpar)
                if args.lpar
                else cst.Tuple(element)
            )
            if isinstance(args, _STRINGS):
                yield Finding(
                    args,
                    f"args={source} is a string, unpacked one character per argument; "
                    f"write args=({inner},)",
                    Fix(args, tuple_, safe=False),  # other arguments
                )
            elif args.lpar:
                yield Finding(
                    args,
                    f"args={source} is not a tuple (parentheses alone make none); "
                    f"write args=({inner},)",
                    Fix(args, tuple_, safe=False),  # other arguments
                )


class FutureDiscarded(Rule):
    """Flags ``executor.submit(...)`` whose Future is thrown away.

    **What it does**

    Finds ``executor.submit(fn, ...)`` used as a statement, on a ``ThreadPoolExecutor`` or
    ``ProcessPoolExecutor``, so that nobody ever looks at the returned ``Future``.

    A task that catches and logs its own exceptions is left alone: a function of the module
    whose whole body (after a docstring) is one ``try`` with a bare ``except:`` or ``except
    Exception:`` handler, no ``raise`` in any handler and no ``else`` branch but one that
    hands the result to a Future of the task's own (``except BaseException as e:
    futures[i].set_exception(e)``, ``else: futures[i].set_result(r)``) (logging calls may
    follow it, and so may such ``set_result`` calls when every handler returns); its
    Future never holds an exception, so dropping it loses nothing. So is a
    parameter of a private helper (``def _submit(worker, ...): pool.submit(worker, ...)``)
    that every caller in the module binds to such a function. A callable bound in another
    module is not followed, and is still flagged. A task run in a fresh context
    (``submit(contextvars.copy_context().run, fn, ...)``, ``context.copy().run``) is ``fn``,
    and an event loop run over a coroutine (``submit(asyncio.run, self.main())``) is the
    coroutine function (``main``). A task picked by a conditional expression, in the call
    or in a local bound only to such picks (``submit = self._with_media if media else
    self._plain``), is left alone when every choice logs its own errors. So is a lambda
    with no parameters and a constant body submitted with no arguments
    (``submit(lambda: None)``, also through a local bound only to such lambdas, or to
    lambdas that only call a function that logs its own errors), a probe that the pool
    still takes work: it cannot raise (on a process pool its pickling fails, which the
    discarded Future keeps, harmlessly: the probe only asks whether ``submit`` raises).

    Before the ``try`` the function may have statements that cannot raise: logging
    calls (``self.logger.debug(...)`` on a name that says it logs), an ``if`` on the
    logger's level (``if logger.isEnabledFor(logging.DEBUG):``, ``if self.logger.level
    <= logging.DEBUG:``) holding only such calls, an early return on a truth test of
    names and attributes (``if not (items and dirs): return``), and names bound to
    names, constants, attributes, a ``d.get("key")`` lookup or a filter of a list of
    them (``dirs = [d for d in [self.a, self.b] if d]``), or any statement TS201's test
    ("What may stand between") finds cannot fail in use (``started =
    time.perf_counter()``, ``conn.settimeout(30.0)``), where, unlike for TS201, a
    ``return`` is no failure (guard clauses under a lock, ``if job is None: return``,
    end the task normally), as may the ``finally`` of a
    ``try``/``finally`` around the catching ``try`` and the statements after it (a
    status stored under a lock, stamped ``datetime.now(timezone.utc).isoformat()``).
    That test takes a deferred import of a standard module every platform has (``import
    logging``, not a name only some platforms have: ``from signal import SIGALRM``) as
    one that cannot fail, and so a deferred import of the project's own module when
    that module's top-level imports load nothing the importing module had not loaded
    already (``from .segments import ensure``, deferred to break an import cycle), and
    Django's ``close_old_connections()``; a deferred third-party import (``import
    yaml``), or one of the project's modules that imports one of its own (``from
    .exporters.parquet import write`` loading ``pyarrow``), is how code makes a
    dependency optional, and still counts. So does a statement after the ``try`` that
    reads a name only the ``try`` body binds when a handler leaves it unbound, and a
    ``finally`` that can fail. One call is followed: a closure or
    lambda whose whole body is one call, with plain arguments (names, constants,
    attributes), of such a function of the module (``def _run():
    self.run_listeners(message)``) logs its errors too.

    The catching ``try`` may stand inside a ``try``/``finally`` whose ``finally`` holds
    only such statements (a tracking wrapper), and the function may get it from its
    outermost decorator: a decorator of the module (or a decorator factory,
    ``@logged("name")``) that returns a wrapper (``functools.wraps`` or not) whose body
    catches everything so. Submitting the decorated function runs that wrapper, so its
    Future holds nothing. Still flagged: a ``finally`` that can raise, a wrapper that
    catches only some error classes, a swallowing decorator under another decorator.

    A logging handler that hands records to a pool (``submit(self._emit, record)``
    with ``_emit`` just ``super().emit(record)``) loses nothing either when that
    ``emit`` is a standard library handler's that routes every error to
    ``handleError`` (``StreamHandler``, the rotating file handlers, the socket, syslog,
    SMTP, HTTP and queue handlers): the class derives from one, or, for a mixin, every
    class of the module that uses it does, with no other ``emit`` in between. Still
    flagged: ``FileHandler`` and ``WatchedFileHandler`` (they open a delayed stream
    outside their ``try``), a mixin no class of the module completes.

    A threading server that hands each request to a pool of its own
    (``submit(self._process_pooled, request, address)``, whose body calls
    ``self.process_request_thread(request, address)``) loses nothing either: the standard
    ``process_request_thread`` runs the request inside ``except Exception:
    self.handle_error(...)`` and shuts it down in a ``finally``. The class and the
    module's subclasses of it must derive only from the module's classes and the
    standard servers; a ``handle_error``, ``shutdown_request`` or ``close_request`` of
    the module (defined or assigned) is judged itself, and one that raises is flagged.

    Nor is a task that cannot raise at all: every statement is ``pass``, a docstring, a
    ``global`` declaration or one that cannot raise (a store of a constant: TS201's list),
    as a no-op submitted to start a pool's threads early. More generally, a task none of
    whose statements can fail in use, by TS201's test ("What may stand between"): its
    real work inside a ``try`` whose handler catches everything and does not raise, and
    around it only stores, a ``put()`` on a Queue, a ``with`` over a lock, a Condition's
    ``notify()``, ``notify_all()`` or ``wait()`` inside a ``with`` over it (``with
    self._cond: self._n -= 1; self._cond.notify_all()``: held, by TS201's test, so no
    ``RuntimeError`` of an unheld Condition), an ``assert self.handler is not None`` on
    a path the class guards (every way into the private task tests the handler first and
    only ``__init__`` binds it: TS201's test), the module's own
    functions that do no more. A call of another object's method outside the
    ``try`` can fail, and is reported. Among the module's own functions, one that
    catches everything itself as above counts as doing no more, whatever its handler
    does with the error (``except Exception as e: self._on_error(e)``), and so does
    ``ctx.run(fn, ...)`` on a context the function copied for it (``ctx =
    contextvars.copy_context()``), which only calls ``fn``; a context the module keeps
    is not fresh (its ``run`` fails while another thread is in it).

    **Why is this bad**

    An exception raised by the task is stored in its Future and re-raised only by
    ``result()``/``exception()``. Discard the Future and the error vanishes: the
    seat-booking task fails and nobody ever knows.

    **Example**

    ```python
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor() as executor:
        for _ in range(15):
            executor.submit(book_seat)
    ```

    **Use instead**

    ```python
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor() as executor:
        futures = [executor.submit(book_seat) for _ in range(15)]
        for future in as_completed(futures):
            future.result()          # re-raises the task's exception
    ```

    **Fix**

    None: where the Future should be kept and awaited is the author's choice.

    **References**

    The talk's "Multi-Threaded Booking App" slide; Python docs,
    ``concurrent.futures.Executor.submit``.
    """

    code = "TS401"
    name = "future-discarded"
    summary = "Future returned by submit() is discarded: task exceptions are lost"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for call in analysis.regions.method_calls:
            if call.method != "submit" or call.form != "statement":
                continue
            if call.kind not in (Kind.THREAD_POOL, Kind.PROCESS_POOL):
                continue
            task = _run_in_context(argument(call.call, 0, "fn"), call.call, call.func, analysis)
            bare = len(call.call.args) == 1  # ``submit(lambda: None, 1)`` raises TypeError
            if task is not None and _task_swallows_its_errors(task, call.func, analysis, bare):
                continue
            what = snippet(task) if task is not None else "the task"
            yield Finding(
                call.call,
                f"the Future of this submit() is discarded: an exception raised by {what} "
                "is silently lost; keep the Future and call .result()",
            )


def _run_in_context(
    task: cst.BaseExpression | None,
    submit: cst.Call,
    func: FunctionInfo,
    analysis: ModuleAnalysis,
) -> cst.BaseExpression | None:
    """The function a ``submit(ctx.run, fn, ...)`` runs: ``fn``, when the task is the
    ``run`` of a fresh context (``contextvars.copy_context().run``, ``context.copy().run``),
    which only calls it; the coroutine function of ``submit(asyncio.run, coro(...))``,
    whose event loop only runs it (aiomql's executor, seventy-first set); else the task
    itself."""
    if (
        task is not None
        and analysis.structure.qualified_name(task, func) == "asyncio.run"
        and len(submit.args) == 2
        and submit.args[1].keyword is None
        and not submit.args[1].star
        and isinstance(submit.args[1].value, cst.Call)
    ):
        return submit.args[1].value.func
    if not (
        isinstance(task, cst.Attribute)
        and task.attr.value == "run"
        and isinstance(task.value, cst.Call)
        and len(submit.args) > 1
        and submit.args[1].keyword is None
        and not submit.args[1].star
    ):
        return task
    fresh = makes_context(task.value, func, analysis.structure)
    return submit.args[1].value if fresh else task


def _task_swallows_its_errors(
    task: cst.BaseExpression, func: FunctionInfo, analysis: ModuleAnalysis, bare: bool = True
) -> bool:
    """Is the submitted callable one of the module's functions that catches and logs its
    own exceptions, so that its Future never holds one? Also a parameter of a private
    function (a leading ``_``, never passed around as a value) whose every caller in the
    module passes such a function for it, a lambda that only calls such a function or
    (submitted with no arguments: ``bare``) has a constant body, and a local bound only
    to such lambdas. (A callable bound in another module is not followed: the project
    join records no parameter bindings.)"""
    if isinstance(task, cst.Lambda):
        if bare and _constant_lambda(task):
            return True  # ``lambda: None``: a probe that the pool still takes work
        return delegates_to_swallower(task, func, analysis.resolve_function)
    lambdas = _bound_lambdas(task, func)
    if lambdas:
        return all(_task_swallows_its_errors(value, func, analysis, bare) for value in lambdas)
    choices = _chosen_callables(task, func)
    if choices:
        return all(_task_swallows_its_errors(choice, func, analysis, bare) for choice in choices)
    target = analysis.resolve_function(task, func)
    if target is not None:
        return _logs_own_errors(target, analysis)
    if not isinstance(task, cst.Name) or task.value not in func.params:
        return False
    if func.is_module or not func.name.startswith("_") or func in analysis.regions.referenced:
        return False
    passed = passed_for(func, task.value, analysis.regions)
    for value, caller in passed:
        bound = analysis.resolve_function(value, caller) if value is not None else None
        if bound is None or not _logs_own_errors(bound, analysis):
            return False
    return bool(passed)


def _constant_lambda(task: cst.Lambda) -> bool:
    """``lambda: None`` (a constant body, no parameters): running it cannot raise, so
    its Future never holds an exception (duckframework's pool probe, ``submit(lambda:
    None)`` in a ``try`` that catches the ``RuntimeError`` of a shut-down pool,
    ninety-eighth set: TS401 judged false)."""
    params = task.params
    if params.params or params.posonly_params or params.kwonly_params:
        return False
    if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
        return False
    body = task.body
    return (isinstance(body, cst.Name) and body.value in CONSTANT_NAMES) or isinstance(
        body, (cst.Integer, cst.Float, cst.SimpleString)
    )


def _bound_lambdas(task: cst.BaseExpression, func: FunctionInfo) -> list[cst.Lambda]:
    """The lambdas a local is bound to, when plain stores of lambdas are its only
    bindings (``dummy_task = lambda: None`` then ``pool.submit(dummy_task)``)."""
    if not isinstance(task, cst.Name) or not func.is_local(task.value):
        return []
    values, other = func.plain_bindings
    bound = values.get(task.value, [])
    if task.value in other or task.value in func.params:
        return []
    for node in walk(func.node):  # ``def task``, ``class task``, ``nonlocal task``
        if node is func.node:
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.name.value == task.value:
            return []
        if isinstance(node, cst.Nonlocal) and any(
            item.name.value == task.value for item in node.names
        ):
            return []
    if not all(isinstance(value, cst.Lambda) for value in bound):
        return []
    return [value for value in bound if isinstance(value, cst.Lambda)]


def _chosen_callables(
    task: cst.BaseExpression, func: FunctionInfo, depth: int = 0
) -> list[cst.BaseExpression]:
    """The callables a task picks from: both branches of ``a if media else b``, itself
    or the value of a local bound only to such choices (``submit = self._with_media if
    media else self._plain``, herdr-wecom-bot-bridge's frame handler, eightieth set:
    judged false); empty for a task that picks nothing."""
    if depth > 2:
        return []
    if isinstance(task, cst.IfExp):
        return [task.body, task.orelse]
    if not isinstance(task, cst.Name) or func.is_module or task.value in func.params:
        return []
    values = local_values(task.value, func) if func.is_local(task.value) else None
    if not values:
        return []
    chosen: list[cst.BaseExpression] = []
    for value in values:
        inner = _chosen_callables(value, func, depth + 1)
        chosen.extend(inner or [value])
    return chosen if any(isinstance(value, cst.IfExp) for value in values) else []


def _logs_own_errors(target: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Does the module's function catch and log its own errors, itself or through the
    one call of a method that does (``self_logging``)?"""
    if target.name == "__init__":
        return False
    resolve = analysis.resolve_function
    return (
        _cannot_fail(target, analysis)
        or function_cannot_fail(target, analysis)
        or swallows(
            target,
            lambda statement: realistically_cannot_raise(
                statement, analysis, target, returning_fails=False
            ),
        )
        or delegates_to_swallower(target, target, resolve)
        or decorated_by_swallower(target, analysis.structure.functions, resolve)
        or emits_through_guarded_handler(target, analysis.structure)
    )


def _cannot_fail(target: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is every statement of the function one that cannot raise (``pass``, a docstring, a
    store of a constant: ``cannot_raise``)? A no-op task submitted to warm a pool up
    (metaflow) leaves nothing in its Future."""
    node = target.node
    if not isinstance(node, cst.FunctionDef):
        return False
    return all(
        is_docstring(statement)
        or is_declaration(statement)
        or cannot_raise(statement, analysis, target)
        for statement in block(node.body)
    )


RULES: list[type[Rule]] = [ThreadTargetCalled, ThreadArgsNotTuple, FutureDiscarded]
