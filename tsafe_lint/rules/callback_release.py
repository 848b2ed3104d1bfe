"""A lock's release handed to the done-callback of the task it limits, inside the ``try``.

A semaphore that bounds the tasks in flight is taken before ``submit`` and given back when
the task ends, whoever waits for it::

    if not in_flight.acquire(timeout=t):
        raise Busy()
    future = None
    try:
        future = pool.submit(job)
        future.add_done_callback(lambda f: in_flight.release())
        return future.result(timeout=t)
    except TimeoutError:
        future.cancel()
        raise
    except Exception:
        if future is None:
            in_flight.release()
        raise

Only ``submit`` can fail before the callback holds the release, and then ``future`` is
still ``None``: the catch-all handler gives the lock back; a task that times out keeps its
slot until it ends, on purpose (atherdlp-server's extraction limit, ninety-third set: TS201
judged false). A ``finally`` that released too would release twice. Proved for that
shape only:

- the name is bound to ``None`` right before the ``try`` and nowhere in it but by
  ``submit``, which comes first, on a ``ThreadPoolExecutor`` or ``ProcessPoolExecutor``
  the analysis knows, with arguments that run nothing (such a ``submit`` raises
  ``RuntimeError`` or a broken-pool error, never ``TimeoutError``);
- the registration comes second: ``add_done_callback`` of a lambda of one parameter
  (which does not hide the lock's name) that releases the lock; the function takes the
  lock only once, and the local names of its expression are bound once, outside any
  loop (the callback reads them when the task ends);
- every handler begins with ``if future is None:`` whose body begins with the release
  (a release after the hand-off would be a second one, and a statement before it could
  leave first), or catches only ``TimeoutError``; one that releases catches everything;
  no ``else``, no ``finally``, no handler binding the name.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import Kind, MethodCall, ModuleAnalysis, block
from tsafe_lint.analysis.none_tests import none_subject
from tsafe_lint.analysis.scopes import final_name
from tsafe_lint.analysis.tree import NOT_RUN, bare_call, lone_assign, names_bound_by, walk
from tsafe_lint.rules.cannot_raise import catches_all
from tsafe_lint.rules.fix_builders import is_release_of, releases


def released_by_callback_in_try(
    statement: cst.BaseStatement | None, call: MethodCall, analysis: ModuleAnalysis
) -> bool:
    """Is ``statement`` the ``try`` of the module docstring for the lock ``call`` took?"""
    if not isinstance(statement, cst.Try) or statement.finalbody is not None:
        return False
    if statement.orelse is not None:
        return False  # what an ``else`` does runs after the hand-off: not followed
    body = block(statement.body)
    if len(body) < 2:
        return False
    name = _submitted_into(body[0], call, analysis)
    if name is None or not _registers_release(body[1], name, call, analysis):
        return False
    if any(name in names_bound_by(node) for later in body[1:] for node in walk(later)):
        return False  # rebound after the hand-off: the handlers' test no longer says
    if not _set_to_none_before(statement, name, analysis):
        return False
    if not _taken_once_and_fixed(call, analysis):
        return False
    releasing_catch_all = False
    for handler in statement.handlers:
        if handler.name is not None and _binds(handler.name, name):
            return False  # ``except Exception as future``: never None there
        if _releases_first_while_unset(handler, name, call, analysis):
            releasing_catch_all = releasing_catch_all or catches_all(handler.type)
        elif not _timeouts_only(handler, call, analysis):
            return False
    return releasing_catch_all


def _taken_once_and_fixed(call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """Does the function take the lock only here (two takes, one callback: one leaks),
    and is every local name in the lock's expression bound once, outside any loop? The
    callback reads the name when the task ends: a loop's next pass, or a later store,
    points it at another lock (``for sem, job in jobs: sem.acquire() ...``)."""
    identity = analysis.locks.identity(call.target)
    takes = [
        seen
        for seen in analysis.regions.method_calls
        if seen.func is call.func
        and seen.method in ("acquire", "__enter__")
        and analysis.locks.identity(seen.target) == identity
    ]
    if len(takes) != 1:
        return False
    func = call.func
    roots = {node.value for node in walk(call.receiver) if isinstance(node, cst.Name)}
    for root in roots:
        if root not in func.params and not func.is_local(root):
            continue  # ``self``'s attribute or a module global: read the same later
        bindings = [node for node in walk(func.node, skip=NOT_RUN) if root in names_bound_by(node)]
        if len(bindings) + (root in func.params) != 1:
            return False
        if bindings and analysis.within(bindings[0], func, (cst.For, cst.While)):
            return False
    return True


def _binds(target: cst.AsName, name: str) -> bool:
    return isinstance(target.name, cst.Name) and target.name.value == name


#: Arguments of ``submit`` that run nothing: the call itself is all that may fail.
_PLAIN = (cst.Name, cst.Attribute, cst.SimpleString, cst.Integer, cst.Float)


def _submitted_into(
    statement: cst.BaseStatement, call: MethodCall, analysis: ModuleAnalysis
) -> str | None:
    """``future = pool.submit(job, arg)`` on a ``ThreadPoolExecutor`` or
    ``ProcessPoolExecutor`` the analysis knows, with arguments that run nothing (names,
    attributes, literals): the name. Such a ``submit`` raises only ``RuntimeError`` (the
    pool is shut down) or a broken-pool error, never ``TimeoutError``."""
    small = lone_assign(statement)
    if small is None:
        return None
    target = small.targets[0].target
    value = small.value
    if not (
        isinstance(target, cst.Name)
        and isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "submit"
    ):
        return None
    pool = analysis.symbols.kind_of(value.func.value, call.func)
    if pool not in (Kind.THREAD_POOL, Kind.PROCESS_POOL):
        return None
    if any(
        arg.keyword is not None or arg.star or not isinstance(arg.value, _PLAIN)
        for arg in value.args
    ):
        return None
    return target.value


def _registers_release(
    statement: cst.BaseStatement, name: str, call: MethodCall, analysis: ModuleAnalysis
) -> bool:
    """``future.add_done_callback(lambda f: lock.release())``."""
    register = bare_call(statement)
    if register is None:
        return False
    callee = register.func
    if not (
        isinstance(callee, cst.Attribute)
        and callee.attr.value == "add_done_callback"
        and isinstance(callee.value, cst.Name)
        and callee.value.value == name
        and len(register.args) == 1
    ):
        return False
    argument = register.args[0]
    callback = argument.value
    if argument.keyword is not None or argument.star or not isinstance(callback, cst.Lambda):
        return False
    parameters = callback.params
    if (
        len(parameters.params) != 1
        or parameters.posonly_params
        or parameters.kwonly_params
        or not isinstance(parameters.star_arg, cst.MaybeSentinel)
        or parameters.star_kwarg is not None
    ):
        return False  # the future is handed as one positional argument
    lock_names = {node.value for node in walk(call.receiver) if isinstance(node, cst.Name)}
    if parameters.params[0].name.value in lock_names:
        return False  # the parameter hides the lock's name: the release is the future's
    return releases(callback.body, call.target, analysis, call)


def _set_to_none_before(statement: cst.Try, name: str, analysis: ModuleAnalysis) -> bool:
    """Is the statement right before the ``try`` ``name = None``?"""
    parent = analysis.parent_of(statement)
    if not isinstance(parent, (cst.IndentedBlock, cst.Module)):
        return False
    statements = list(parent.body)
    index = statements.index(statement)
    if index == 0:
        return False
    before = statements[index - 1]
    if not isinstance(before, cst.SimpleStatementLine) or len(before.body) != 1:
        return False
    small = before.body[0]
    return (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and small.targets[0].target.value == name
        and isinstance(small.value, cst.Name)
        and small.value.value == "None"
    )


def _releases_first_while_unset(
    handler: cst.ExceptHandler, name: str, call: MethodCall, analysis: ModuleAnalysis
) -> bool:
    """Does the handler begin with ``if name is None:`` whose body begins with the
    release? Only while the future is unset: after the hand-off the callback releases,
    and a second release would break the bound."""
    statements = block(handler.body)
    first = statements[0] if statements else None
    if not (isinstance(first, cst.If) and first.orelse is None and _is_none_test(first.test, name)):
        return False
    inner = block(first.body)
    return bool(inner) and is_release_of(inner[0], call.target, analysis, call)


def _is_none_test(test: cst.BaseExpression, name: str) -> bool:
    """``name is None``."""
    subject = none_subject(test)
    return (
        subject is not None
        and not subject[1]
        and isinstance(subject[0], cst.Name)
        and subject[0].value == name
    )


def _timeouts_only(handler: cst.ExceptHandler, call: MethodCall, analysis: ModuleAnalysis) -> bool:
    """``except TimeoutError:`` (``concurrent.futures.TimeoutError``, an alias of it): what
    ``result(timeout=...)`` raises, never ``submit``."""
    caught = handler.type
    if caught is None:
        return False
    kinds = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
    for kind in kinds:
        qualified = analysis.structure.qualified_name(kind, call.func) or final_name(kind)
        if qualified is None or qualified.rsplit(".", 1)[-1] != "TimeoutError":
            return False
    return True
