"""Does a JSON value have the shape a Python type describes?

What the cache hands back was written by some earlier run, but anything may have
happened to it since: a half-written disk, another version's bug, a person's editor. A
value is used only when it conforms to the type its reader expects, so that a bad entry
is a cache miss, never a crash. Types are the ones JSON round-trips: ``str``, ``int``,
``float``, ``bool``, ``None``, ``Any``, ``list[T]``, ``dict[str, T]``, ``tuple[...]``
(a JSON array of that length), unions, and dataclasses (an object with exactly their
fields; ``refined`` may give a field a stricter type than its annotation).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Union

#: Stricter JSON types for some dataclass fields: {dataclass: {field: type}}.
Refinements = Mapping[type, Mapping[str, object]]

_UNION_TYPES: tuple[object, ...] = (Union, getattr(types, "UnionType", Union))


#: Checks one value against one type.
Check = Callable[[object], bool]

_NO_REFINEMENTS: Refinements = {}
#: Each type's check, built once per (type, refinements): a warm run checks every cached
#: entry of the project, and reading the type each time cost more than the JSON parse.
_CHECKS: dict[tuple[object, int], tuple[Refinements, Check]] = {}


def conforms(value: object, hint: object, refined: Refinements | None = None) -> bool:
    """Is ``value`` (decoded JSON) of the type ``hint``?"""
    return _check(hint, refined or _NO_REFINEMENTS)(value)


def _check(hint: object, refined: Refinements) -> Check:
    key = (hint, id(refined))
    known = _CHECKS.get(key)
    if known is None:  # the refinements are kept with their check: their id stays theirs
        known = _CHECKS[key] = (refined, _build(hint, refined))
    return known[1]


def _build(hint: object, refined: Refinements) -> Check:
    """The check of ``hint``; the checks of the types inside it are looked up when first
    needed, so that a type with no JSON shape raises only where ``value`` reaches it."""
    if hint is Any:
        return lambda value: True
    if hint is None or hint is type(None):
        return lambda value: value is None
    if hint is bool:
        return lambda value: isinstance(value, bool)
    if hint is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return lambda value: isinstance(value, str)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    checks = [_later(arg, refined) for arg in args]

    if origin in _UNION_TYPES:
        return lambda value: any(check(value) for check in checks)
    if origin is list or (origin is tuple and len(args) == 2 and args[1] is Ellipsis):
        element = checks[0]
        return lambda value: isinstance(value, list) and all(map(element, value))
    if origin is tuple:
        return lambda value: (
            isinstance(value, list)
            and len(value) == len(checks)
            and all(check(v) for v, check in zip(value, checks))
        )
    if origin is dict:
        item = checks[1]
        return lambda value: (
            isinstance(value, dict)
            and all(isinstance(k, str) and item(v) for k, v in value.items())
        )
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        fields = {**_field_types(hint), **refined.get(hint, {})}
        names = set(fields)
        field_checks = [(name, _later(field_hint, refined)) for name, field_hint in fields.items()]
        return lambda value: (
            isinstance(value, dict)
            and value.keys() == names
            and all(check(value[name]) for name, check in field_checks)
        )

    def unknown(value: object) -> bool:
        raise TypeError(f"no JSON shape for {hint!r}")

    return unknown


def _later(hint: object, refined: Refinements) -> Check:
    """The check of ``hint``, looked up when a value first reaches it and kept from then
    on: looking it up for every element (hashing the type each time) cost a one-file-
    changed run as much as parsing the cache's JSON."""
    found: list[Check] = []

    def check(value: object) -> bool:
        if not found:
            found.append(_check(hint, refined))
        return found[0](value)

    return check


@functools.cache
def _field_types(cls: type) -> dict[str, object]:
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}
