"""Which deferred imports cannot fail in use (``tsafe_lint.rules.safe_imports``): a
standard module every platform has, or what the project join found loads nothing new
(``safe``); and what import statements may load (``import_candidates``)."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from tsafe_lint.module_names import import_candidates
from tsafe_lint.project.file_summary import FileSummary
from tsafe_lint.project.import_closure import ImportClosure
from tsafe_lint.project.import_statements import ast_imports, cst_imports
from tsafe_lint.rules.safe_imports import import_cannot_fail

SAFE = frozenset({"ei.media.segments", "ei.media.segments.ensure_seg_file", "ei.media.state"})


def _import(source: str) -> cst.Import | cst.ImportFrom:
    statement = cst.parse_statement(source)
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    assert isinstance(small, (cst.Import, cst.ImportFrom))
    return small


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("import logging", "app"),
        ("import logging.handlers, os.path", "app"),
        ("import concurrent.futures as cf", "pkg.mod"),
        ("from collections.abc import Mapping", "pkg.mod"),
        ("from json import dumps, loads", "pkg.mod"),
        ("from ei.media.segments import ensure_seg_file", "ei.web.context"),
        ("import ei.media.state as state", "ei.web.context"),
        ("from ..media.segments import ensure_seg_file", "ei.web.context"),
    ],
)
def test_standard_imports_and_those_the_project_clears_cannot_fail(
    source: str, module: str
) -> None:
    assert import_cannot_fail(_import(source), module, False, SAFE)


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("import yaml", "ei.web.context"),
        ("import logging, yaml", "ei.web.context"),
        ("from PIL import Image", "ei.web.context"),
        ("import winreg", "app"),
        ("import ssl", "app"),
        ("from os import *", "app"),
        ("from signal import SIGALRM", "app"),
        ("from select import epoll", "app"),
        ("from ei.media import *", "ei.web.context"),
        # the project's own module, but one the join did not clear (it loads more)
        ("from ei.media.encoder import encode", "ei.web.context"),
        ("from .segments import ensure_seg_file", "ei.web.context"),
        # a namespace package's sibling: not the project's
        ("from google.cloud import storage", "google.cloud.mysvc.tasks"),
    ],
)
def test_other_imports_may_fail(source: str, module: str) -> None:
    assert not import_cannot_fail(_import(source), module, False, SAFE)


@pytest.mark.parametrize(
    ("level", "source", "names", "module", "package", "expected"),
    [
        (0, "a.b", None, "pkg.mod", False, ["a.b"]),
        (0, "a", ["b", "c"], "pkg.mod", False, ["a", "a.b", "a.c"]),
        (
            1,
            "segments",
            ["ensure"],
            "ei.media.ui",
            False,
            ["ei.media.segments", "ei.media.segments.ensure"],
        ),
        (1, None, ["segments"], "ei.media.ui", False, ["ei.media.segments"]),
        (1, None, ["segments"], "ei.media", True, ["ei.media.segments"]),
        (2, "web", ["post"], "pkg.sub.mod", False, ["pkg.web", "pkg.web.post"]),
        (0, "a", ["*"], "pkg.mod", False, ["a"]),
    ],
)
def test_import_candidates(
    level: int,
    source: str | None,
    names: list[str] | None,
    module: str,
    package: bool,
    expected: list[str],
) -> None:
    assert import_candidates(level, source, names, module, package) == expected


def test_a_relative_import_past_the_top_package_loads_nothing() -> None:
    assert import_candidates(1, None, ["json"], "my_script", False) == []
    assert not import_cannot_fail(_import("from . import json"), "my_script", False, SAFE)


IMPORT_TIME = """
import os
try:
    import pyarrow
except ImportError as error:
    raise ImportError("needs the extra") from error
with open(os.devnull):
    import openpyxl
if TYPE_CHECKING:
    import typing_only
if __name__ == "__main__":
    import script_only
class Config:
    import yaml
from .arrow import *
NAME = "x"
def __getattr__(name):
    import lazy_only
"""


@pytest.mark.parametrize("parse", ["cst", "ast"])
def test_what_a_module_loads_when_imported(parse: str) -> None:
    if parse == "cst":
        module = cst.parse_module(IMPORT_TIME)
        functions = [node for node in module.body if isinstance(node, cst.FunctionDef)]
        found = cst_imports(module, "pkg.mod", False, functions)
        assert found.deferred == ["lazy_only"]
    else:
        found = ast_imports(ast.parse(IMPORT_TIME), "pkg.mod", False)
        assert found.deferred == []  # no threading vocabulary: no task asks
    assert set(found.eager) == {"os", "pyarrow", "openpyxl", "yaml", "pkg.arrow"}
    assert {"os", "pyarrow", "openpyxl", "Config", "NAME", "__getattr__", "*"} <= set(
        found.top_names
    )
    assert "yaml" not in found.top_names  # bound in the class body, not the module's


def _summary(
    module: str, eager: list[str], deferred: tuple[str, ...] = (), names: tuple[str, ...] = ()
) -> FileSummary:
    summary = FileSummary(f"{module.replace('.', '/')}.py", module)
    summary.eager_imports, summary.deferred_imports = eager, list(deferred)
    summary.top_names = list(names)
    return summary


def test_the_join_compares_modules_outside_the_project_by_their_full_names() -> None:
    modules = {
        "svc.tasks": _summary(
            "svc.tasks",
            ["opentelemetry.trace", "requests"],
            ("svc.otlp", "svc.web", "svc.alarms", "svc.settings.KEY", "svc.ring_a"),
        ),
        "svc.otlp": _summary("svc.otlp", ["opentelemetry.exporter.otlp"]),
        "svc.web": _summary("svc.web", ["requests", "json", "collections.abc"]),
        "svc.alarms": _summary("svc.alarms", ["signal", "signal.SIGALRM"]),
        "svc.settings": _summary("svc.settings", ["os"], names=("OTHER",)),
        # an import cycle: what one of them loads, both do
        "svc.ring_a": _summary("svc.ring_a", ["svc.ring_b"]),
        "svc.ring_b": _summary("svc.ring_b", ["svc.ring_a", "pyarrow"]),
    }
    assert ImportClosure(modules).safe_deferred(modules["svc.tasks"]) == ("svc.web",)


def test_an_import_cycle_shares_what_it_loads() -> None:
    modules = {
        "p": _summary("p", []),
        "p.a": _summary("p.a", ["p.b", "json"]),
        "p.b": _summary("p.b", ["p.c"]),
        "p.c": _summary("p.c", ["p.a", "numpy"]),
        "p.d": _summary("p.d", ["p.a"]),
    }
    closure = ImportClosure(modules)
    assert {closure.outside(name) for name in ("p.a", "p.b", "p.c", "p.d")} == {
        frozenset({"json", "numpy"})
    }
    assert closure.outside("p") == frozenset()
