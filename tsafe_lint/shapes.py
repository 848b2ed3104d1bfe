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
from collections.abc import Mapping
from typing import Any, Union

#: Stricter JSON types for some dataclass fields: {dataclass: {field: type}}.
Refinements = Mapping[type, Mapping[str, object]]

_UNION_TYPES: tuple[object, ...] = (Union, getattr(types, "UnionType", Union))


def conforms(value: object, hint: object, refined: Refinements | None = None) -> bool:
    """Is ``value`` (decoded JSON) of the type ``hint``?"""
    refined = refined or {}
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in _UNION_TYPES:
        return any(conforms(value, option, refined) for option in args)
    if origin is list:
        return isinstance(value, list) and all(conforms(v, args[0], refined) for v in value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return isinstance(value, list) and all(conforms(v, args[0], refined) for v in value)
        return (
            isinstance(value, list)
            and len(value) == len(args)
            and all(conforms(v, a, refined) for v, a in zip(value, args))
        )
    if origin is dict:
        return isinstance(value, dict) and all(
            isinstance(k, str) and conforms(v, args[1], refined) for k, v in value.items()
        )
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        fields = {**_field_types(hint), **refined.get(hint, {})}
        return (
            isinstance(value, dict)
            and set(value) == set(fields)
            and all(conforms(value[name], fields[name], refined) for name in fields)
        )
    raise TypeError(f"no JSON shape for {hint!r}")


@functools.cache
def _field_types(cls: type) -> dict[str, object]:
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}
