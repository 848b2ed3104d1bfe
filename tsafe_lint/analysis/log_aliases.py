"""Names that stand for a logger's method (``debug = log.debug``), per scope.

Calling a logger's method does not raise: logging reports its handlers' and formatting
errors itself (``Handler.handleError``). Modules often shorten it to a name, at the top
level or in a function, sometimes with a do-nothing stand-in when the level is off::

    if logger.isEnabledFor(logging.DEBUG):
        debug = logger.debug
    else:
        def debug(message, *args):
            pass

A name is such an alias in a scope when every binding of it there is ``name =
<logger>.<method>`` or a ``def`` of that shape whose body does nothing.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.scopes import block
from tsafe_lint.analysis.threads import own_attribute
from tsafe_lint.analysis.tree import inert, names_bound_by, walk

#: ``logger.debug(...)``: logging reports its handlers' errors itself, it does not raise
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)


def is_logger(receiver: cst.BaseExpression) -> bool:
    """``logger``, ``self._logger``, ``LOG``, ``logging``: a name that says it logs."""
    name = receiver.attr.value if isinstance(receiver, cst.Attribute) else None
    if isinstance(receiver, cst.Name):
        name = receiver.value
    return name is not None and "log" in name.lower()


def is_log_method(func: cst.BaseExpression) -> bool:
    """``log.debug``, ``self.logger.warning``: a logger's method."""
    return (
        isinstance(func, cst.Attribute) and func.attr.value in LOG_METHODS and is_logger(func.value)
    )


def log_aliases(scope: cst.Module | cst.FunctionDef) -> frozenset[str]:
    """The names of ``scope`` (not of nested functions or classes) bound only to a
    logger's method or to a do-nothing ``def name(message, *args)``."""
    candidates: set[str] = set()
    others: set[str] = set()
    aliasing: set[int] = set()  # the targets of ``debug = log.debug``
    for node in walk(scope, skip=(cst.FunctionDef, cst.ClassDef)):
        if node is scope or id(node) in aliasing:
            continue
        if isinstance(node, cst.FunctionDef):
            (candidates if _does_nothing(node) else others).add(node.name.value)
        elif isinstance(node, cst.ClassDef):
            others.add(node.name.value)
        elif isinstance(node, cst.Assign) and _alias_target(node) is not None:
            candidates.add(str(_alias_target(node)))
            aliasing.add(id(node.targets[0]))
        else:
            others |= names_bound_by(node)
    return frozenset(candidates - others)


def _alias_target(assign: cst.Assign) -> str | None:
    """``debug = log.debug``: the name it binds."""
    if len(assign.targets) != 1:
        return None
    target = assign.targets[0].target
    if isinstance(target, cst.Name) and is_log_method(assign.value):
        return target.value
    return None


def _does_nothing(node: cst.FunctionDef) -> bool:
    """``def debug(message, *args): pass``: undecorated, one positional parameter
    without default, ``*args``, maybe ``**kwargs``, a body of ``pass`` or a docstring."""
    params = node.params
    if node.decorators or node.asynchronous is not None:
        return False
    if len(params.params) != 1 or params.params[0].default is not None or params.posonly_params:
        return False
    if not isinstance(params.star_arg, cst.Param) or params.kwonly_params:
        return False
    return all(inert(statement) for statement in block(node.body))


def is_log_value(value: cst.BaseExpression) -> bool:
    """``logger.debug``, a do-nothing ``lambda *a, **k: None``, or a choice between such
    values (``logger.debug if logger.isEnabledFor(DEBUG) else lambda *a, **k: None``)."""
    if isinstance(value, cst.IfExp):
        return is_log_value(value.body) and is_log_value(value.orelse)
    if isinstance(value, cst.Lambda):
        params = value.params
        return (
            isinstance(params.star_arg, cst.Param)
            and not params.params
            and not params.posonly_params
            and not params.kwonly_params
            and isinstance(value.body, cst.Name)
            and value.body.value == "None"
        )
    return is_log_method(value)


def log_attributes(cls: cst.ClassDef) -> tuple[frozenset[str], frozenset[str]]:
    """The attributes of ``self`` the class's methods store only a logger's method (or a
    do-nothing stand-in) in: ``self._debug = logger.debug if ... else lambda *a, **k:
    None`` (python-statemachine's engine, fifty-sixth set); and every attribute they
    store anything else in."""
    good: set[str] = set()
    bad: set[str] = set()
    for node in walk(cls):
        if not isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            continue
        targets = (
            [target.target for target in node.targets]
            if isinstance(node, cst.Assign)
            else [node.target]
        )
        for target in targets:
            attr = own_attribute(target, "self")
            if attr is not None:
                value = node.value if not isinstance(node, cst.AugAssign) else None
                ok = isinstance(node, cst.Assign) and value is not None and is_log_value(value)
                (good if ok else bad).add(attr)
    return frozenset(good - bad), frozenset(bad)
