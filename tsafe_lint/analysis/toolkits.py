"""Widgets of GUI toolkits an object builds for itself: setters that do not fail.

Reviewers judge a lock leak false when the code between ``acquire()`` and the ``try``
only sets the state of the object's own widgets with literal values
(``self._spinner.start()``, ``self._button.set_sensitive(False)``): a GTK or Qt widget
method taking a constant of the right type does not raise in use, and an exception in a
signal handler it fires is printed by PyGObject, not raised in the caller
(wayround-org-pyabber, thirty-eighth set: judged false). Tk is left out: its widgets
raise ``RuntimeError`` when called from a thread other than the main loop's.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, local_values
from tsafe_lint.analysis.symbols import SymbolTable

#: The real names of GTK's and Qt's widget classes start so.
WIDGET_PREFIXES = (
    "gi.repository.Gtk.",
    "PyQt5.QtWidgets.",
    "PyQt6.QtWidgets.",
    "PySide2.QtWidgets.",
    "PySide6.QtWidgets.",
)


def own_widget(receiver: cst.BaseExpression, func: FunctionInfo, symbols: SymbolTable) -> bool:
    """Is ``receiver`` (``self._button``) an attribute every assignment of which is a
    widget the object builds: ``self._button = Gtk.Button()``, or a local of the
    assigning function bound only to one (``button = Gtk.Button("Go"); ...;
    self._button = button``)?"""
    if not isinstance(receiver, cst.Attribute):
        return False
    key = symbols.key_of(receiver, func)
    if key is None or key[0] != "attr":
        return False
    if symbols.imported_classes.get(key, "").startswith(WIDGET_PREFIXES):
        return True
    values = symbols.attribute_values.get(key, {}).values()
    return bool(values) and all(_builds_widget(value, where, symbols) for value, where in values)


def literal_arguments(call: cst.Call) -> bool:
    """Are all of ``call``'s arguments constants (``False``, ``0.0``, ``"Go"``, ``-1``)?
    A value of the wrong type is what makes a widget method raise (``TypeError``)."""
    return all(not arg.star and _constant(arg.value) for arg in call.args)


def _constant(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    if isinstance(value, cst.Name):
        return value.value in ("True", "False", "None")
    return isinstance(value, (cst.Integer, cst.Float, cst.SimpleString))


def _builds_widget(value: cst.BaseExpression, func: FunctionInfo, symbols: SymbolTable) -> bool:
    if isinstance(value, cst.Name) and func.is_local(value.value):
        bound = local_values(value.value, func)
        return bool(bound) and all(
            _widget_call(bound_value, func, symbols) for bound_value in bound or ()
        )
    return _widget_call(value, func, symbols)


def _widget_call(value: cst.BaseExpression, func: FunctionInfo, symbols: SymbolTable) -> bool:
    if not isinstance(value, cst.Call):
        return False
    qualified = symbols.structure.qualified_name(value.func, func)
    return qualified is not None and qualified.startswith(WIDGET_PREFIXES)
