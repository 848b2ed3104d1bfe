"""Calls on the elements of a container attribute resolve to the elements' class
(tsafe_lint/analysis/attribute_classes.py): what each form of reading an element, and of
filling the container, gives the call graph that TS203, TS205 and the thread model read."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from tsafe_lint.analysis import ModuleAnalysis

CLASSES = """
class Stream:
    def close(self):
        pass

class Other:
    def close(self):
        pass

class Client:
    def __init__(self):
        self._streams = {}
"""


def _callees(body: str, method: str = "drop") -> set[str]:
    """The callees of ``Client.<method>`` in CLASSES with ``body`` (Client's other
    methods) appended."""
    source = textwrap.dedent(CLASSES) + textwrap.indent(textwrap.dedent(body), "    ")
    analysis = ModuleAnalysis(cst.parse_module(source), "client.py")
    return {
        site.callee.qualname
        for site in analysis.regions.call_sites
        if site.func.qualname == f"Client.{method}"
    }


FILLED_ONCE = """
def add(self, key):
    stream = Stream()
    self._streams[key] = stream
"""

GET_OR_CREATE = """
def add(self, key):
    stream = self._streams.get(key)
    if stream is None:
        stream = Stream()
        self._streams[key] = stream
    return stream
"""


@pytest.mark.parametrize(
    "read",
    [
        "stream = self._streams.pop(key, None)",
        "stream = self._streams.pop(key)",
        "stream = self._streams.get(key)",
        "stream = self._streams.get(key, None)",
        "stream = self._streams[key]",
    ],
)
@pytest.mark.parametrize("fill", [FILLED_ONCE, GET_OR_CREATE])
def test_a_local_bound_once_to_an_element_has_its_class(read: str, fill: str) -> None:
    drop = f"\ndef drop(self, key):\n    {read}\n    stream.close()\n"
    assert _callees(fill + drop) == {"Stream.close"}


@pytest.mark.parametrize(
    "read",
    [
        "stream = self._streams.pop(key, Other())",  # the default is another object
        "stream = self._streams[1:]",  # a slice is a container, not an element
        "stream, _ = self._streams[key]",  # an unpacking: a part of the element
        "stream = self._streams.pop(key, None)\n    if key:\n        stream = Other()",
    ],
)
def test_other_reads_of_the_container_give_no_class(read: str) -> None:
    drop = f"\ndef drop(self, key):\n    {read}\n    stream.close()\n"
    assert "Stream.close" not in _callees(FILLED_ONCE + drop)


def test_a_match_capture_rebinds_the_local() -> None:
    drop = """
    def drop(self, key, value):
        stream = self._streams.pop(key, None)
        match value:
            case Other() as stream:
                pass
        stream.close()
    """
    assert _callees(FILLED_ONCE + textwrap.dedent(drop)) == set()


def test_a_get_or_create_of_a_parameter_holds_what_callers_pass() -> None:
    fill = """
    def add(self, key, stream=None):
        if stream is None:
            stream = Stream()
        self._streams[key] = stream
    """
    use = "\ndef drop(self, key):\n    self._streams[key].close()\n"
    assert _callees(textwrap.dedent(fill) + use) == set()


def test_a_get_or_create_may_make_only_one_class() -> None:
    fill = """
    def add(self, key, fast):
        stream = self._streams.get(key)
        if stream is None:
            stream = Stream() if fast else Other()
            self._streams[key] = stream
        if stream is None:
            stream = Other()
    """
    use = "\ndef drop(self, key):\n    self._streams[key].close()\n"
    assert _callees(textwrap.dedent(fill) + use) == set()


def test_a_nested_function_binding_the_same_name_does_not_count() -> None:
    fill = GET_OR_CREATE + "\n    def later():\n        stream = Other()\n        return stream\n"
    use = "\ndef drop(self, key):\n    self._streams[key].close()\n"
    assert _callees(fill + use) == {"Stream.close"}


@pytest.mark.parametrize(
    "loop",
    [
        "for stream in self._streams.values():",
        "for stream in list(self._streams.values()):",
        "for stream in sorted(self._streams.values()):",
    ],
)
def test_a_loop_over_the_values_or_a_copy_of_them_has_their_class(loop: str) -> None:
    drop = f"\ndef drop(self):\n    {loop}\n        stream.close()\n"
    assert _callees(FILLED_ONCE + drop) == {"Stream.close"}


def test_a_loop_over_a_dict_itself_visits_its_keys() -> None:
    drop = "\ndef drop(self):\n    for stream in self._streams:\n        stream.close()\n"
    assert _callees(FILLED_ONCE + drop) == set()


@pytest.mark.parametrize("empty", ["[]", "set()", "collections.deque()"])
def test_a_loop_over_a_list_set_or_deque_visits_its_elements(empty: str) -> None:
    body = f"""
    def __init__(self):
        self._items = {empty}

    def add(self):
        self._items.{"add" if empty == "set()" else "append"}(Stream())

    def drop(self):
        for item in list(self._items):
            item.close()
        for each in self._items:
            each.close()
    """
    source = "import collections\n" + textwrap.dedent(CLASSES).replace(
        "class Client:\n    def __init__(self):\n        self._streams = {}\n", "class Client:\n"
    )
    source += textwrap.indent(textwrap.dedent(body), "    ")
    analysis = ModuleAnalysis(cst.parse_module(source), "client.py")
    callees = [
        site.callee.qualname
        for site in analysis.regions.call_sites
        if site.func.qualname == "Client.drop"
    ]
    assert callees == ["Stream.close", "Stream.close"]


@pytest.mark.parametrize(
    "shadow",
    [
        "def list(values):\n    return [Other()]\n",
        "list = lambda values: [Other()]\n",
        "from mylib import list\n",
    ],
)
def test_a_shadowed_copy_builtin_is_no_copy(shadow: str) -> None:
    drop = "\ndef drop(self):\n    for stream in list(self._streams.values()):\n"
    drop += "        stream.close()\n"
    source = textwrap.dedent(CLASSES) + textwrap.indent(FILLED_ONCE + drop, "    ") + shadow
    analysis = ModuleAnalysis(cst.parse_module(source), "client.py")
    assert not [s for s in analysis.regions.call_sites if s.callee.qualname == "Stream.close"]


@pytest.mark.parametrize(
    "rebinding",
    [
        "try:\n        pass\n    except* ValueError as stream:\n        pass",
        "match key:\n        case [*stream]:\n            pass",
        "match key:\n        case {'k': _, **stream}:\n            pass",
    ],
)
def test_except_star_and_case_captures_rebind_the_local(rebinding: str) -> None:
    drop = (
        "\ndef drop(self, key):\n    stream = self._streams.pop(key, None)\n"
        f"    {rebinding}\n    stream.close()\n"
    )
    assert _callees(FILLED_ONCE + drop) == set()


@pytest.mark.parametrize(
    "escape",
    [
        "def more(self):\n    self._items += [Other()]\n",
        "def share(self):\n    return self._items\n",
        "def share(self, fill):\n    fill(args=(self._items,))\n",
    ],
)
def test_a_list_filled_in_bulk_or_handed_on_has_no_element_class(escape: str) -> None:
    body = """
    def __init__(self):
        self._items = []

    def add(self):
        self._items.append(Stream())

    def drop(self):
        for item in self._items:
            item.close()
    """
    source = textwrap.dedent(CLASSES).replace(
        "class Client:\n    def __init__(self):\n        self._streams = {}\n", "class Client:\n"
    )
    source += textwrap.indent(textwrap.dedent(body) + escape, "    ")
    analysis = ModuleAnalysis(cst.parse_module(source), "client.py")
    assert not [s for s in analysis.regions.call_sites if s.callee.qualname == "Stream.close"]
