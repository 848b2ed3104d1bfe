"""Tasks that catch and log their own exceptions: their Future never holds one (TS401).

A function *swallows its errors* when its body (after a docstring) is one ``try`` with a
bare ``except:`` or ``except Exception:`` handler, no ``raise`` in any handler and no
``else`` (or one that only hands the result to a Future: ``fut.set_result(r)``),
preceded only by statements that cannot raise (``quiet``). A closure or lambda
whose whole body is one call of such a function of the module, with plain arguments,
swallows its errors too (one call is followed, not a chain), and so does a function whose
outermost decorator returns a wrapper that swallows its errors. A logging handler's
``super().emit(record)`` swallows its errors when the ``emit`` it reaches is one of the
standard library's handlers that route every error to ``handleError``.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, walk
from tsafe_lint.analysis.log_aliases import is_log_method, is_logger
from tsafe_lint.analysis.scopes import ClassInfo, ModuleStructure, ends_by_leaving, is_docstring
from tsafe_lint.analysis.tree import variable_names

#: handlers that catch every error a task normally raises
_BROAD = frozenset({"Exception", "BaseException"})
_STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)

Resolver = Callable[[cst.BaseExpression, FunctionInfo], "FunctionInfo | None"]

#: Standard library handlers whose ``emit()`` runs in ``try: ... except Exception:
#: self.handleError(record)``. Not ``FileHandler``/``WatchedFileHandler``: they open a
#: delayed stream before their ``try``.
GUARDED_EMIT = frozenset(
    {
        "logging.StreamHandler",
        "logging.handlers.RotatingFileHandler",
        "logging.handlers.TimedRotatingFileHandler",
        "logging.handlers.SocketHandler",
        "logging.handlers.DatagramHandler",
        "logging.handlers.SysLogHandler",
        "logging.handlers.SMTPHandler",
        "logging.handlers.NTEventLogHandler",
        "logging.handlers.HTTPHandler",
        "logging.handlers.QueueHandler",
    }
)


def swallows(
    func: FunctionInfo, also_quiet: Callable[[cst.BaseStatement], bool] | None = None
) -> bool:
    """Is the body quiet statements, then one ``try`` with no ``else``, a bare
    ``except:`` or ``except Exception:`` handler, and no ``raise`` in any handler (or a
    ``try``/``finally`` around such a body, with a quiet ``finally``), then quiet
    statements? ``also_quiet`` admits more statements as quiet around the ``try`` and in
    its ``finally`` (those the caller's analysis shows cannot fail in use)."""
    body = list(func.body())
    if body and is_docstring(body[0]):
        body = body[1:]

    def calm(statement: cst.BaseStatement) -> bool:
        return quiet(statement) or (also_quiet is not None and also_quiet(statement))

    return _catches_everything(body, calm, set(func.params))


def _catches_everything(
    body: list[cst.BaseStatement],
    calm: Callable[[cst.BaseStatement], bool] | None = None,
    bound: set[str] | None = None,
) -> bool:
    calm = calm or quiet
    bound = set(bound or ())
    # not past the ``try`` itself, which the caller's analysis may clear as a whole
    while body and not isinstance(body[0], cst.Try) and calm(body[0]):
        bound |= bound_names(body[0])
        body = body[1:]
    handed_back = False
    after: list[cst.BaseStatement] = []
    while len(body) > 1 and (calm(body[-1]) or _hands_back(body[-1])):
        handed_back |= not calm(body[-1])
        after.insert(0, body[-1])
        body = body[:-1]  # ``log.debug("done")`` after the ``try``
    if len(body) != 1 or not isinstance(body[0], cst.Try):
        return False
    if reads_unbound(body[0], after, bound):
        return False  # ``NameError`` after a handler that did not bind the name
    if handed_back and not all(
        ends_by_leaving(handler.body, (cst.Return,)) for handler in body[0].handlers
    ):
        return False  # ``set_result`` after a handler's ``set_exception`` would raise
    orelse = body[0].orelse
    if orelse is not None and not all(_hands_back(inner) for inner in _suite(orelse.body)):
        return False
    handlers = body[0].handlers
    final = body[0].finalbody
    if not handlers:  # ``try: <catches everything> finally: <cannot raise>``
        return (
            final is not None
            and all(calm(statement) for statement in _suite(final.body))
            and _catches_everything(_suite(body[0].body), calm, bound)
        )
    if final is not None and not all(calm(statement) for statement in _suite(final.body)):
        return False  # ``finally: conn.close()`` runs outside the handlers
    broad = any(
        handler.type is None
        or any(isinstance(node, cst.Name) and node.value in _BROAD for node in walk(handler.type))
        for handler in handlers
    )
    raises = any(isinstance(node, cst.Raise) for handler in handlers for node in walk(handler))
    return broad and not raises


def reads_unbound(
    statement: cst.Try, after: list[cst.BaseStatement], bound: set[str] | None = None
) -> bool:
    """Do the statements ``after`` the ``try`` read a name that only its body binds
    (``status = source.discover(name)``), when a handler neither binds it nor leaves,
    or the name a handler caught the error as (``except Exception as e:``, unbound
    once the handler ends)? That read raises ``NameError`` after the error was caught
    (a review of the ninety-first set's tuning: ``_refresh`` with the handler's
    assignment taken away)."""
    if not after:
        return False
    read = {name.value for later in after for name in variable_names(later)}
    caught = {
        handler.name.name.value
        for handler in statement.handlers
        if handler.name is not None and isinstance(handler.name.name, cst.Name)
    }
    if read & caught:
        return True
    only_there = (bound_names(statement.body) - (bound or set())) & read
    for handler in statement.handlers:
        if ends_by_leaving(handler.body, (cst.Return,)):
            continue
        if only_there - bound_names(handler.body):
            return True
    return False


def bound_names(suite: cst.CSTNode) -> set[str]:
    """The names a statement or suite binds by assignment, a loop or ``with ... as``."""
    names: set[str] = set()
    for node in walk(suite):
        targets: list[cst.BaseExpression] = []
        if isinstance(
            node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.NamedExpr)
        ):
            targets.append(node.target)  # a comprehension's own names stay inside it
        elif isinstance(node, cst.AsName):
            targets.append(node.name)
        for target in targets:
            names.update(
                inner.value
                for inner in walk(target)
                if isinstance(inner, cst.Name)
                and not isinstance(target, (cst.Attribute, cst.Subscript))
            )
    return names


def _hands_back(statement: cst.BaseStatement) -> bool:
    """A quiet statement, or ``slot.set_result(value)`` with a plain value: the ``else``
    of a task that hands its outcome to a Future of its own (``except BaseException as
    e: futures[i].set_exception(e)``, ``else: futures[i].set_result(r)``: sqlmesh's
    pool, fifty-third set), or the statements after the ``try`` when every handler
    returns (griip-sdk's depth task, seventy-first set). A Future the task made is never
    cancelled by anyone else, so ``set_result`` cannot fail."""
    if quiet(statement):
        return True
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and isinstance(small.value.func, cst.Attribute)
        and small.value.func.attr.value == "set_result"
        and len(small.value.args) <= 1
        and all(_plain(arg.value) for arg in small.value.args)
    )


def delegates_to_swallower(
    task: cst.Lambda | FunctionInfo, scope: FunctionInfo, resolve: Resolver
) -> bool:
    """Is ``task`` (a lambda, or a function of the module) one call, with plain
    arguments, of a function of the module that swallows its errors?"""
    if isinstance(task, cst.Lambda):
        call: cst.BaseExpression | None = task.body
    else:
        call, scope = _whole_body_expression(task), task
    if not isinstance(call, cst.Call) or not all(_plain(arg.value) for arg in call.args):
        return False
    target = resolve(call.func, scope)
    return target is not None and target.name != "__init__" and swallows(target)


def emits_through_guarded_handler(func: FunctionInfo, structure: ModuleStructure) -> bool:
    """Is ``func``'s whole body ``super().emit(<plain arguments>)`` in a class whose
    every use in the module (the class itself, or each of its subclasses when it is a
    mixin of none) derives from a handler of ``GUARDED_EMIT``, with no class of the
    module in between defining another ``emit``? That ``emit`` reports its errors
    through ``handleError``, so nothing reaches a Future."""
    cls = func.cls
    if cls is None or not _one_super_emit(func):
        return False
    users = [
        other
        for other in structure.classes.values()
        if any(base is cls for base in structure.class_bases(other))
    ]
    if not _guarded(cls, cls, structure):
        users = [other for other in users if other is not cls]  # a mixin
    return bool(users) and all(_guarded(user, cls, structure) for user in users)


def _guarded(user: ClassInfo, mixin: ClassInfo, structure: ModuleStructure) -> bool:
    if not any(structure.is_subclass_of(user, base) for base in GUARDED_EMIT):
        return False
    return not any(
        other is not mixin and "emit" in other.methods for other in structure.class_bases(user)
    )


def _whole_body_expression(func: FunctionInfo) -> cst.BaseExpression | None:
    """The expression of a body that is one expression statement or ``return`` (after a
    docstring)."""
    body = list(func.body())
    if body and is_docstring(body[0]):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
        return None
    statements = body[0].body
    if len(statements) != 1 or not isinstance(statements[0], (cst.Expr, cst.Return)):
        return None
    return statements[0].value


def _one_super_emit(func: FunctionInfo) -> bool:
    call = _whole_body_expression(func)
    return (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "emit"
        and isinstance(call.func.value, cst.Call)
        and isinstance(call.func.value.func, cst.Name)
        and call.func.value.func.value == "super"
        and not call.func.value.args
        and all(_plain(arg.value) for arg in call.args)
    )


def decorated_by_swallower(
    func: FunctionInfo, functions: list[FunctionInfo], resolve: Resolver
) -> bool:
    """Is ``func``'s outermost decorator one of the module's (``@logged`` or a factory,
    ``@logged("name")``) whose wrapper, the function it returns, swallows its errors?
    Calling ``func`` calls that wrapper, so nothing it raises reaches the caller."""
    node = func.node
    if not isinstance(node, cst.FunctionDef) or not node.decorators:
        return False
    expr = node.decorators[0].decorator
    levels = 1
    if isinstance(expr, cst.Call):
        expr, levels = expr.func, 2
    decorator = resolve(expr, func.parent or func)
    for _ in range(levels):
        if decorator is None:
            return False
        decorator = _returned_function(decorator, functions)
    return decorator is not None and swallows(decorator)


def _returned_function(func: FunctionInfo, functions: list[FunctionInfo]) -> FunctionInfo | None:
    """The function defined in ``func`` that every ``return`` of ``func`` returns
    (``return wrapper``)."""
    returns = [
        node
        for node in walk(func.node, skip=(cst.FunctionDef, cst.Lambda, cst.ClassDef))
        if isinstance(node, cst.Return)
    ]
    names = {r.value.value if isinstance(r.value, cst.Name) else None for r in returns}
    if len(names) != 1 or None in names:
        return None
    name = names.pop()
    inner = [f for f in functions if f.parent is func and f.name == name]
    return inner[0] if len(inner) == 1 else None


def quiet(statement: cst.BaseStatement) -> bool:
    """Can the statement not raise? ``pass``; a logging call (``self.logger.debug(...)``);
    an ``if`` on the logger's level (``if logger.isEnabledFor(logging.DEBUG):``) whose
    branches are quiet; an early return on a truth test of names and attributes (``if
    not (items and dirs): return``); names bound to constants, names, attributes,
    ``d.get(<literal>)`` (``type = message.get("type")``) or a filter of a display of
    them (``dirs = [d for d in [self.a, self.b] if d]``)."""
    if _early_return(statement):
        return True
    if isinstance(statement, cst.If):
        branches = [statement.body]
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            return _level_test(statement.test) and quiet(orelse)
        if orelse is not None:
            branches.append(orelse.body)
        return _level_test(statement.test) and all(
            quiet(inner) for suite in branches for inner in _suite(suite)
        )
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(_quiet_small(small) for small in statement.body)


def _suite(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    assert isinstance(suite, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=list(suite.body))]


def _quiet_small(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.Pass):
        return True
    if isinstance(small, cst.Expr):
        return is_log_call(small.value)
    if isinstance(small, cst.Assign):
        names = all(
            isinstance(target.target, cst.Name)
            or (
                isinstance(target.target, cst.Tuple)
                and all(isinstance(item.value, cst.Name) for item in target.target.elements)
            )
            for target in small.targets
        )
        return names and _safe_value(small.value)
    return False


def _early_return(statement: cst.BaseStatement) -> bool:
    """``if not (items and dirs): return``: a truth test of names and attributes of
    names, whose only statement returns nothing or a plain value, with no ``else``."""
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return False
    body = _suite(statement.body)
    return (
        _truth_test(statement.test)
        and len(body) == 1
        and isinstance(body[0], cst.SimpleStatementLine)
        and len(body[0].body) == 1
        and isinstance(body[0].body[0], cst.Return)
        and (body[0].body[0].value is None or _plain(body[0].body[0].value))
    )


def _truth_test(test: cst.BaseExpression) -> bool:
    """``x``, ``not x``, ``x and y``, ``x is None`` of names and attributes of names."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _truth_test(test.expression)
    if isinstance(test, cst.BooleanOperation):
        return _truth_test(test.left) and _truth_test(test.right)
    if isinstance(test, cst.Comparison):
        return _plain(test.left) and all(
            isinstance(target.operator, (cst.Is, cst.IsNot)) and _plain(target.comparator)
            for target in test.comparisons
        )
    return _plain(test)


def _filtered_display(value: cst.BaseExpression) -> bool:
    """``[d for d in [self.a, self.b] if d]``: a comprehension that keeps the true ones
    of a list or tuple of plain values."""
    if not isinstance(value, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        return False
    loop = value.for_in
    return (
        loop.inner_for_in is None
        and loop.asynchronous is None
        and isinstance(loop.target, cst.Name)
        and isinstance(value.elt, cst.Name)
        and isinstance(loop.iter, (cst.List, cst.Tuple))
        and all(_plain(item.value) for item in loop.iter.elements)
        and all(_truth_test(condition.test) for condition in loop.ifs)
    )


def _safe_value(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.Tuple):
        return all(_safe_value(item.value) for item in value.elements)
    if _plain(value) or _filtered_display(value):
        return True
    return (  # ``d.get("key")`` / ``d.get("key", default)``: a lookup that does not raise
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "get"
        and isinstance(value.func.value, cst.Name)
        and 1 <= len(value.args) <= 2
        and isinstance(value.args[0].value, (cst.SimpleString, cst.Integer))
        and all(_plain(arg.value) for arg in value.args[1:])
    )


def _plain(value: cst.BaseExpression) -> bool:
    """A name, a constant or an attribute of a name: evaluating it does not raise."""
    if isinstance(value, (cst.Name, cst.Integer, cst.Float, *_STRINGS)):
        return not isinstance(value, cst.FormattedString)
    return isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name)


def is_log_call(value: cst.BaseExpression) -> bool:
    """``log.warning(...)``, ``self.logger.debug(...)``: a call of a logger's method
    (whatever its arguments do)."""
    return isinstance(value, cst.Call) and is_log_method(value.func)


def plain_log_call(value: cst.BaseExpression) -> bool:
    """``log.debug("got %s", self.key)``: a logging call whose arguments are names,
    constants or attributes of names, so evaluating them and logging do not raise."""
    return is_log_call(value) and plain_arguments(value)


def plain_arguments(value: cst.BaseExpression) -> bool:
    """A call whose arguments are names, constants or attributes of names."""
    return isinstance(value, cst.Call) and all(_plain(arg.value) for arg in value.args)


def _level_test(test: cst.BaseExpression) -> bool:
    """``logger.isEnabledFor(logging.DEBUG)`` or ``self.logger.level <= logging.DEBUG``."""
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute):
        return test.func.attr.value == "isEnabledFor" and is_logger(test.func.value)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        left = test.left
        return (
            isinstance(left, cst.Attribute)
            and left.attr.value in ("level", "getEffectiveLevel")
            and is_logger(left.value)
        )
    return False
